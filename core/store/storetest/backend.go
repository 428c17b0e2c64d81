package storetest

import (
	"context"
	"sync"
	"testing"

	"github.com/signalbox/signalbox/core/store"
	"github.com/signalbox/signalbox/core/store/kvstore"
	"github.com/signalbox/signalbox/core/store/sqlstore"
	"github.com/signalbox/signalbox/sdk/storage"
	"github.com/signalbox/signalbox/sdk/storage/memory"
)

// backendOf remembers which backend each store of OpenBackend is on.
var backendOf sync.Map // store.Store → string

// OpenBackend returns a fresh, empty store of the backend, closed (and its
// database dropped) when the test ends.
func OpenBackend(t testing.TB, backend string) store.Store {
	t.Helper()
	st := OpenShared(t, backend, 1)[0]
	return st
}

// OpenLike returns a fresh, empty store of the same backend as st, which
// OpenBackend or ForEachBackend returned.
func OpenLike(t testing.TB, st store.Store) store.Store {
	t.Helper()
	return OpenBackend(t, BackendOf(t, st))
}

// BackendOf names the backend of a store OpenBackend returned.
func BackendOf(t testing.TB, st store.Store) string {
	t.Helper()
	b, ok := backendOf.Load(st)
	if !ok {
		t.Fatalf("storetest: store %T was not opened by storetest", st)
	}
	return b.(string)
}

// OpenShared returns n stores on one fresh database or backend, as n
// servers would have: for SQL, n connection pools on one database; for the
// key/value backends, n kvstore.Stores (each with its own lock) on one
// backend.
func OpenShared(t testing.TB, backend string, n int) []store.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	var (
		out  []store.Store
		kvdb storage.Backend
	)
	switch backend {
	case SQLite, Postgres, MySQL:
		cfg := NewDatabase(t, backend)
		for range n {
			st, err := sqlstore.Open(ctx, cfg)
			if err != nil {
				t.Fatalf("storetest: open %s store: %v", backend, err)
			}
			out = append(out, st)
		}
	case Memory:
		kvdb = memory.New()
	case Bolt:
		kvdb = openBolt(t)
	default:
		t.Fatalf("storetest: unknown backend %q", backend)
	}
	if kvdb != nil {
		for range n {
			st, err := kvstore.New(ctx, sharedBackend{kvdb}, testLogger(t))
			if err != nil {
				t.Fatalf("storetest: open %s store: %v", backend, err)
			}
			out = append(out, st)
		}
		t.Cleanup(func() {
			if err := kvdb.Close(); err != nil {
				t.Errorf("storetest: close %s backend: %v", backend, err)
			}
		})
	}
	for _, st := range out {
		backendOf.Store(st, backend)
		t.Cleanup(func() {
			backendOf.Delete(st)
			if err := st.Close(); err != nil {
				t.Errorf("storetest: close %s store: %v", backend, err)
			}
		})
	}
	return out
}

// sharedBackend is a backend that several stores share: closing a store
// leaves it open; the test closes it at its end.
type sharedBackend struct{ storage.Backend }

func (sharedBackend) Close() error { return nil }
