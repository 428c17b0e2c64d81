package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/signalbox/signalbox/sdk/plugintest"
	"github.com/signalbox/signalbox/sdk/storage"
)

// open opens a bolt store on path and closes it when the test ends.
func open(t *testing.T, path string, settings map[string]string) *Store {
	t.Helper()
	b, err := (&Plugin{}).Open(t.Context(), storage.Config{DSN: path, Settings: settings})
	if err != nil {
		t.Fatalf("Open(%s) error = %v", path, err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Errorf("Close() error = %v", err)
		}
	})
	return b.(*Store)
}

func TestStore_Conformance(t *testing.T) {
	t.Parallel()
	t.Run("in process", func(t *testing.T) {
		t.Parallel()
		plugintest.StorageConformance(t, func(t *testing.T) storage.Backend {
			return open(t, filepath.Join(t.TempDir(), "data.db"), nil)
		})
	})
	t.Run("over the protocol", func(t *testing.T) {
		t.Parallel()
		plugintest.StorageConformance(t, func(t *testing.T) storage.Backend {
			c := plugintest.Storage(t, &Plugin{})
			b, err := c.Open(t.Context(), storage.Config{DSN: filepath.Join(t.TempDir(), "data.db")})
			if err != nil {
				t.Fatalf("Open() error = %v", err)
			}
			return b
		})
	})
}

func TestPlugin_Open(t *testing.T) {
	t.Parallel()

	t.Run("the plugin is named bolt", func(t *testing.T) {
		d, err := (&Plugin{}).Describe(t.Context())
		if err != nil || d.Name != "bolt" || d.Version != Version {
			t.Fatalf("Describe() = %+v, %v", d, err)
		}
	})

	t.Run("bad configurations fail with ErrInvalid", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "data.db")
		for name, cfg := range map[string]storage.Config{
			"an empty DSN":                    {DSN: " "},
			"an unknown setting":              {DSN: path, Settings: map[string]string{"lock_timout": "1s"}},
			"a lock timeout that is no time":  {DSN: path, Settings: map[string]string{"lock_timeout": "soon"}},
			"a lock timeout of zero":          {DSN: path, Settings: map[string]string{"lock_timeout": "0s"}},
			"a negative lock timeout":         {DSN: path, Settings: map[string]string{"lock_timeout": "-1s"}},
			"a no_sync that is not a boolean": {DSN: path, Settings: map[string]string{"no_sync": "maybe"}},
		} {
			t.Run(name, func(t *testing.T) {
				b, err := (&Plugin{}).Open(t.Context(), cfg)
				if !errors.Is(err, storage.ErrInvalid) {
					if b != nil {
						_ = b.Close()
					}
					t.Fatalf("Open(%+v) error = %v, want ErrInvalid", cfg, err)
				}
			})
		}
	})

	t.Run("the settings are applied", func(t *testing.T) {
		t.Parallel()
		st := open(t, filepath.Join(t.TempDir(), "data.db"), map[string]string{"lock_timeout": "250ms", "no_sync": "true"})
		if !st.db.NoSync {
			t.Error("no_sync=true left NoSync off")
		}
	})

	t.Run("the folder is created private and the file is 0600", func(t *testing.T) {
		t.Parallel()
		dir := filepath.Join(t.TempDir(), "a", "b")
		path := filepath.Join(dir, "data.db")
		open(t, path, nil)
		for p, want := range map[string]os.FileMode{dir: 0o700 | os.ModeDir, path: 0o600} {
			fi, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode() != want {
				t.Errorf("%s has mode %v, want %v", p, fi.Mode(), want)
			}
		}
	})

	t.Run("data and sequences survive a reopen", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "data.db")
		b, err := (&Plugin{}).Open(t.Context(), storage.Config{DSN: path})
		if err != nil {
			t.Fatal(err)
		}
		ctx := t.Context()
		res, err := b.Apply(ctx, storage.Batch{Ops: []storage.Op{{Kind: storage.Put, Bucket: "b", Key: []byte("k"), Value: []byte("v")}}})
		if err != nil || !res.Applied {
			t.Fatalf("Apply() = %+v, %v", res, err)
		}
		if _, err := b.NextID(ctx, "ids", 3, 0); err != nil {
			t.Fatal(err)
		}
		if err := b.Close(); err != nil {
			t.Fatal(err)
		}
		st := open(t, path, nil)
		if vals, err := st.Get(ctx, "b", [][]byte{[]byte("k")}); err != nil || string(vals[0]) != "v" {
			t.Errorf("Get() after reopen = %q, %v; want v", vals, err)
		}
		if id, err := st.NextID(ctx, "ids", 1, 0); err != nil || id != 4 {
			t.Errorf("NextID() after reopen = %d, %v; want 4", id, err)
		}
	})

	t.Run("a second opener of a locked file fails clearly within lock_timeout", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "data.db")
		open(t, path, nil)
		// bolt locks with flock, which two opens conflict on even within
		// one process.
		started := time.Now()
		b, err := (&Plugin{}).Open(t.Context(), storage.Config{DSN: path, Settings: map[string]string{"lock_timeout": "200ms"}})
		took := time.Since(started)
		if err == nil {
			_ = b.Close()
			t.Fatal("a second Open() of a locked file succeeded")
		}
		if !errors.Is(err, storage.ErrUnavailable) || !strings.Contains(err.Error(), "locked by another process") {
			t.Errorf("Open() error = %v, want ErrUnavailable saying the file is locked", err)
		}
		// bolt retries every 50ms and stops one retry short of the timeout.
		if took < 100*time.Millisecond || took > 5*time.Second {
			t.Errorf("Open() gave up after %v, want about the lock_timeout of 200ms", took)
		}
	})

	t.Run("a file that is not a bolt file is refused", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "data.db")
		if err := os.WriteFile(path, []byte(strings.Repeat("not a database\n", 1000)), 0o600); err != nil {
			t.Fatal(err)
		}
		b, err := (&Plugin{}).Open(t.Context(), storage.Config{DSN: path})
		if err == nil {
			_ = b.Close()
			t.Fatal("Open() of a text file succeeded")
		}
		if !strings.Contains(err.Error(), "not a usable bolt file") {
			t.Errorf("Open() error = %v, want it to say the file is no bolt file", err)
		}
	})

	t.Run("a file of another layout format is refused", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "data.db")
		db, err := bolt.Open(path, 0o600, nil)
		if err != nil {
			t.Fatal(err)
		}
		err = db.Update(func(tx *bolt.Tx) error {
			b, err := tx.CreateBucket(metaBucket)
			if err != nil {
				return err
			}
			return b.Put(formatKey, []byte("2"))
		})
		if cerr := db.Close(); err != nil || cerr != nil {
			t.Fatal(err, cerr)
		}
		b, err := (&Plugin{}).Open(t.Context(), storage.Config{DSN: path})
		if err == nil {
			_ = b.Close()
			t.Fatal("Open() of a format 2 file succeeded")
		}
		if !strings.Contains(err.Error(), `format "2"`) {
			t.Errorf("Open() error = %v, want it to name the format", err)
		}
	})

	t.Run("health fails when the file is removed", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "data.db")
		st := open(t, path, nil)
		if err := st.Health(t.Context()); err != nil {
			t.Fatalf("Health() = %v", err)
		}
		if err := os.Remove(path); err != nil {
			t.Fatal(err)
		}
		if err := st.Health(t.Context()); !errors.Is(err, storage.ErrUnavailable) {
			t.Errorf("Health() after the file was removed = %v, want ErrUnavailable", err)
		}
	})
}

// reopen opens the store of path with a generous lock timeout: a killed
// plugin's lock goes with its process, which may take a moment.
func reopen(t *testing.T, path string) *Store {
	t.Helper()
	return open(t, path, map[string]string{"lock_timeout": "20s"})
}

// ctxTimeout is a test context with a deadline.
func ctxTimeout(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}
