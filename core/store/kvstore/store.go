// Package kvstore implements store.Store on a storage.Backend: an ordered
// key/value store, in-process (package sdk/storage/memory) or a storage
// plugin (bolt) behind the storage protocol.
//
// Layout. Every kind of object is a bucket of JSON documents keyed by its
// primary key (see keys.go); secondary lookups the API needs (users by
// login, tasks by project, template and status, …) are index buckets whose
// keys end with the primary key. Documents and their index entries are
// written in the same atomic batch, so they never disagree.
//
// Transactions. Writes of one Store are serialised by a mutex: WithTx
// holds it while fn runs, buffers fn's writes (reads inside the
// transaction see them) and applies them as one batch when fn returns nil.
// The batch also carries a condition for every document fn read by key,
// so that a write from another server on the same backend in between makes
// it fail instead of overwriting (model.ErrConflict). Reads outside a
// transaction go straight to the backend and see whole batches only.
package kvstore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/signalbox/signalbox/core/model"
	"github.com/signalbox/signalbox/core/store"
	"github.com/signalbox/signalbox/sdk/storage"
)

// Store is store.Store on a storage backend. It is safe for concurrent use.
type Store struct {
	b   storage.Backend
	log hclog.Logger
	// mu serialises writers: one transaction at a time.
	mu sync.Mutex
	// closers run on Close, after the backend is closed.
	closers []func() error
}

var _ store.Store = (*Store)(nil)

// New returns a Store on an open backend, which Close closes. It checks
// the layout version the backend holds, writing it on an empty backend.
func New(ctx context.Context, b storage.Backend, log hclog.Logger) (*Store, error) {
	if log == nil {
		log = hclog.NewNullLogger()
	}
	s := &Store{b: b, log: log.Named("kvstore")}
	if err := s.checkLayout(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// layoutVersion is the version of the bucket and document layout. A newer
// layout on disk is refused; older ones get migrations here when they exist.
const layoutVersion = 1

const (
	metaBucket = "meta"
	layoutKey  = "layout"
)

func (s *Store) checkLayout(ctx context.Context) error {
	return s.WithTx(ctx, func(ctx context.Context) error {
		v, ok, err := s.get(ctx, metaBucket, []byte(layoutKey))
		if err != nil {
			return err
		}
		if !ok {
			return s.put(ctx, metaBucket, []byte(layoutKey), fmt.Appendf(nil, "%d", layoutVersion))
		}
		if string(v) != fmt.Sprint(layoutVersion) {
			return model.Unprocessablef("the store holds layout version %s; this server knows version %d", v, layoutVersion)
		}
		return nil
	})
}

// OnClose registers f to run when the store is closed, after the backend.
func (s *Store) OnClose(f func() error) { s.closers = append(s.closers, f) }

// Ping checks that the backend answers.
func (s *Store) Ping(ctx context.Context) error { return s.wrap(s.b.Health(ctx)) }

// Close closes the backend.
func (s *Store) Close() error {
	errs := []error{s.b.Close()}
	for _, f := range s.closers {
		errs = append(errs, f())
	}
	return errors.Join(errs...)
}

// wrap gives backend errors their model class.
func (s *Store) wrap(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, storage.ErrUnavailable), errors.Is(err, storage.ErrNotOpen):
		return fmt.Errorf("%w: %v", model.ErrUnavailable, err)
	case errors.Is(err, storage.ErrInvalid):
		return fmt.Errorf("%w: %v", model.ErrInvalid, err)
	}
	return err
}

// txKey is the context key of a transaction of one Store.
type txKey struct{ s *Store }

// tx is a transaction's write buffer and read set.
type tx struct {
	ops []storage.Op
	// writes is the latest point write per bucket and key; a nil value
	// with deleted set is a deletion.
	writes map[string]map[string]write
	// prefixes are the DeletePrefix operations, per bucket.
	prefixes map[string][][]byte
	// reads are conditions on what fn read by key.
	reads map[string]storage.Condition
	// conds are explicit conditions (unique entries).
	conds []storage.Condition
}

type write struct {
	value   []byte
	deleted bool
}

func (s *Store) txOf(ctx context.Context) *tx {
	t, _ := ctx.Value(txKey{s}).(*tx)
	return t
}

// WithTx runs fn in a transaction carried by the context fn receives. fn's
// error or panic discards its writes; inside a transaction, WithTx joins
// it. A transaction that another server's write overtook fails with
// model.ErrConflict and writes nothing.
func (s *Store) WithTx(ctx context.Context, fn func(ctx context.Context) error) error {
	if s.txOf(ctx) != nil {
		return fn(ctx)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := &tx{writes: map[string]map[string]write{}, prefixes: map[string][][]byte{}, reads: map[string]storage.Condition{}}
	if err := fn(context.WithValue(ctx, txKey{s}, t)); err != nil {
		return err
	}
	if len(t.ops) == 0 {
		return nil
	}
	b := storage.Batch{Ops: t.ops, Conditions: t.conds}
	for _, c := range t.reads {
		b.Conditions = append(b.Conditions, c)
	}
	// Apply even if ctx ends now: the caller's writes are all or nothing,
	// and a batch cut off by the caller leaves them unknown.
	res, err := s.b.Apply(context.WithoutCancel(ctx), b)
	if err != nil {
		return fmt.Errorf("apply %d writes: %w", len(b.Ops), s.wrap(err))
	}
	if !res.Applied {
		c := b.Conditions[res.FailedCondition]
		return model.Conflictf("concurrent change of %s %x: try again", c.Bucket, c.Key)
	}
	return nil
}

// update runs fn in the context's transaction, or in a new one.
func (s *Store) update(ctx context.Context, fn func(ctx context.Context) error) error {
	return s.WithTx(ctx, fn)
}

// get reads one key, seeing the transaction's writes.
func (s *Store) get(ctx context.Context, bucket string, key []byte) ([]byte, bool, error) {
	t := s.txOf(ctx)
	if t != nil {
		if w, ok := t.writes[bucket][string(key)]; ok {
			return w.value, !w.deleted, nil
		}
		for _, p := range t.prefixes[bucket] {
			if bytes.HasPrefix(key, p) {
				return nil, false, nil
			}
		}
	}
	vals, err := s.b.Get(ctx, bucket, [][]byte{key})
	if err != nil {
		return nil, false, s.wrap(err)
	}
	v := vals[0]
	if t != nil {
		c := storage.Condition{Kind: storage.MustNotExist, Bucket: bucket, Key: bytes.Clone(key)}
		if v != nil {
			c = storage.Condition{Kind: storage.MustEqual, Bucket: bucket, Key: c.Key, Value: v}
		}
		t.reads[bucket+"\x00"+string(key)] = c
	}
	return v, v != nil, nil
}

// getMany reads keys of a bucket; a missing key gives nil. Inside a
// transaction it reads key by key.
func (s *Store) getMany(ctx context.Context, bucket string, keys [][]byte) ([][]byte, error) {
	if s.txOf(ctx) == nil {
		vals, err := s.b.Get(ctx, bucket, keys)
		return vals, s.wrap(err)
	}
	out := make([][]byte, len(keys))
	for i, k := range keys {
		v, _, err := s.get(ctx, bucket, k)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

// put writes a key in the context's transaction (or its own).
func (s *Store) put(ctx context.Context, bucket string, key, value []byte) error {
	return s.update(ctx, func(ctx context.Context) error {
		t := s.txOf(ctx)
		key, value := bytes.Clone(key), bytes.Clone(value)
		if value == nil {
			value = []byte{}
		}
		t.ops = append(t.ops, storage.Op{Kind: storage.Put, Bucket: bucket, Key: key, Value: value})
		t.setWrite(bucket, key, write{value: value})
		return nil
	})
}

// del deletes a key.
func (s *Store) del(ctx context.Context, bucket string, key []byte) error {
	return s.update(ctx, func(ctx context.Context) error {
		t := s.txOf(ctx)
		key = bytes.Clone(key)
		t.ops = append(t.ops, storage.Op{Kind: storage.Delete, Bucket: bucket, Key: key})
		t.setWrite(bucket, key, write{deleted: true})
		return nil
	})
}

// delPrefix deletes every key of a bucket with a prefix.
func (s *Store) delPrefix(ctx context.Context, bucket string, prefix []byte) error {
	return s.update(ctx, func(ctx context.Context) error {
		t := s.txOf(ctx)
		prefix = bytes.Clone(prefix)
		t.ops = append(t.ops, storage.Op{Kind: storage.DeletePrefix, Bucket: bucket, Key: prefix})
		for k := range t.writes[bucket] {
			if bytes.HasPrefix([]byte(k), prefix) {
				t.writes[bucket][k] = write{deleted: true}
			}
		}
		t.prefixes[bucket] = append(t.prefixes[bucket], prefix)
		return nil
	})
}

// require adds a condition to the context's transaction.
func (s *Store) require(ctx context.Context, c storage.Condition) {
	if t := s.txOf(ctx); t != nil {
		t.conds = append(t.conds, c)
	}
}

func (t *tx) setWrite(bucket string, key []byte, w write) {
	m := t.writes[bucket]
	if m == nil {
		m = map[string]write{}
		t.writes[bucket] = m
	}
	m[string(key)] = w
}

// scanRange is a range of a bucket to scan.
type scanRange struct {
	bucket  string
	prefix  []byte
	start   []byte
	end     []byte
	reverse bool
}

// errStop ends a scan early without an error.
var errStop = errors.New("stop scan")

// scan calls fn for each key of the range in order, seeing the
// transaction's writes, until fn returns errStop or an error. pageSize is
// how many items to fetch at a time (0: the backend's page).
func (s *Store) scan(ctx context.Context, r scanRange, pageSize int, fn func(k, v []byte) error) error {
	err := s.scanAll(ctx, r, pageSize, fn)
	if errors.Is(err, errStop) {
		return nil
	}
	return err
}

func (s *Store) scanAll(ctx context.Context, r scanRange, pageSize int, fn func(k, v []byte) error) error {
	t := s.txOf(ctx)
	req := storage.ScanRequest{Bucket: r.bucket, Prefix: r.prefix, Start: r.start, End: r.end, Reverse: r.reverse, Limit: pageSize}
	// The transaction's writes in range, in scan order.
	var pending []string
	if t != nil {
		lo, hi := storage.Bounds(req)
		for k := range t.writes[r.bucket] {
			if k >= string(lo) && (hi == nil || k < string(hi)) {
				pending = append(pending, k)
			}
		}
		sort.Strings(pending)
		if r.reverse {
			for i, j := 0, len(pending)-1; i < j; i, j = i+1, j-1 {
				pending[i], pending[j] = pending[j], pending[i]
			}
		}
	}
	before := func(a, b string) bool {
		if r.reverse {
			return a > b
		}
		return a < b
	}
	// emitPending sends the pending writes that come before key (all of
	// them for a nil key).
	emitPending := func(key *string) error {
		for len(pending) > 0 && (key == nil || before(pending[0], *key)) {
			k := pending[0]
			pending = pending[1:]
			if w := t.writes[r.bucket][k]; !w.deleted {
				if err := fn([]byte(k), w.value); err != nil {
					return err
				}
			}
		}
		return nil
	}
	for {
		res, err := s.b.Scan(ctx, req)
		if err != nil {
			return s.wrap(err)
		}
		for _, it := range res.Items {
			k := string(it.Key)
			if err := emitPending(&k); err != nil {
				return err
			}
			if t != nil {
				if len(pending) > 0 && pending[0] == k {
					// The transaction rewrote this key.
					pending = pending[1:]
					if w := t.writes[r.bucket][k]; !w.deleted {
						if err := fn(it.Key, w.value); err != nil {
							return err
						}
					}
					continue
				}
				if t.prefixDeleted(r.bucket, it.Key) {
					continue
				}
			}
			if err := fn(it.Key, it.Value); err != nil {
				return err
			}
		}
		if !res.More || len(res.Items) == 0 {
			return emitPending(nil)
		}
		last := res.Items[len(res.Items)-1].Key
		if r.reverse {
			req.End = bytes.Clone(last)
		} else {
			req.Start = append(bytes.Clone(last), 0)
		}
	}
}

func (t *tx) prefixDeleted(bucket string, key []byte) bool {
	for _, p := range t.prefixes[bucket] {
		if bytes.HasPrefix(key, p) {
			return true
		}
	}
	return false
}

// nextID returns a new id of a collection; a kept id (an import) raises
// the sequence past it instead.
func (s *Store) nextID(ctx context.Context, collection string, keep int64) (int64, error) {
	if keep > 0 && store.KeepIDs(ctx) {
		if _, err := s.b.NextID(ctx, collection, 0, uint64(keep)+1); err != nil {
			return 0, fmt.Errorf("raise %s id sequence: %w", collection, s.wrap(err))
		}
		return keep, nil
	}
	id, err := s.b.NextID(ctx, collection, 1, 0)
	if err != nil {
		return 0, fmt.Errorf("new %s id: %w", collection, s.wrap(err))
	}
	return int64(id), nil
}

// annotate prefixes an unclassed error with what failed; an error of a
// model class (not found, conflict…) already says it and stays as it is.
func annotate(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	for _, class := range []error{model.ErrInvalid, model.ErrNotFound, model.ErrConflict, model.ErrUnprocessable, model.ErrForbidden} {
		if errors.Is(err, class) {
			return err
		}
	}
	return fmt.Errorf(format+": %w", append(args, err)...)
}

// decode decodes a JSON document of a bucket.
func decode[T any](bucket string, raw []byte) (T, error) {
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		return v, fmt.Errorf("decode %s document: %w", bucket, err)
	}
	return v, nil
}

// mustBeNew fails with ErrConflict if a document a create with a kept id
// (store.WithKeptIDs) would write already exists; ids from the sequence
// are new by construction and are not checked.
func (s *Store) mustBeNew(ctx context.Context, bucket string, k []byte, kind string, id int64) error {
	if !store.KeepIDs(ctx) {
		return nil
	}
	_, ok, err := s.get(ctx, bucket, k)
	if err != nil {
		return err
	}
	if ok {
		return model.Conflictf("%s %d already exists", kind, id)
	}
	return nil
}

// getDoc reads and decodes a JSON document.
func getDoc[T any](ctx context.Context, s *Store, bucket string, key []byte) (T, bool, error) {
	var v T
	raw, ok, err := s.get(ctx, bucket, key)
	if err != nil || !ok {
		return v, ok, err
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return v, false, fmt.Errorf("decode %s %x: %w", bucket, key, err)
	}
	return v, true, nil
}

// putDoc encodes and writes a JSON document.
func putDoc(ctx context.Context, s *Store, bucket string, key []byte, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s %x: %w", bucket, key, err)
	}
	return s.put(ctx, bucket, key, raw)
}

// scanDocs decodes the documents of a range, in order, until fn returns
// errStop.
func scanDocs[T any](ctx context.Context, s *Store, r scanRange, fn func(k []byte, v T) error) error {
	return s.scan(ctx, r, 0, func(k, raw []byte) error {
		var v T
		if err := json.Unmarshal(raw, &v); err != nil {
			return fmt.Errorf("decode %s %x: %w", r.bucket, k, err)
		}
		return fn(k, v)
	})
}

// listDocs returns every document of a range.
func listDocs[T any](ctx context.Context, s *Store, r scanRange) ([]T, error) {
	var out []T
	err := scanDocs(ctx, s, r, func(_ []byte, v T) error {
		out = append(out, v)
		return nil
	})
	return out, err
}

// storeTime is t as stored: UTC, truncated to the microsecond, as the SQL
// stores keep it.
func storeTime(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC().Truncate(time.Microsecond)
}

func storeTimePtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := storeTime(*t)
	return &v
}

// nowOr returns t, or the current time when t is zero, as stored.
func nowOr(t time.Time) time.Time {
	if t.IsZero() {
		return storeTime(time.Now())
	}
	return storeTime(t)
}
