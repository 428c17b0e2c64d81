package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/signalbox/signalbox/sdk/storage"
)

// The top-level buckets of the file (see the package doc).
var (
	dataBucket = []byte("data")
	seqBucket  = []byte("seq")
	metaBucket = []byte("meta")
	formatKey  = []byte("format")
)

// format is the version of the layout this plugin writes and reads.
const format = "1"

// The bounds of one Scan page: a page stops at whichever comes first.
const (
	maxPageItems = 1000
	maxPageBytes = 4 << 20
)

// errRollback ends an update transaction without writing: a failed
// condition, a sequence left as it was.
var errRollback = errors.New("rollback")

// Store is an open bolt file. It is safe for concurrent use: reads run in
// parallel, writes one at a time, each Apply and NextID in one
// transaction that is on disk (fsync) when it returns, unless no_sync.
type Store struct {
	db   *bolt.DB
	path string
	// file identifies the file at open; Health fails if the path no longer
	// names it.
	file os.FileInfo
}

var _ storage.Backend = (*Store)(nil)

func newStore(db *bolt.DB, path string) (*Store, error) {
	err := db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{dataBucket, seqBucket, metaBucket} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		meta := tx.Bucket(metaBucket)
		switch v := meta.Get(formatKey); {
		case v == nil:
			return meta.Put(formatKey, []byte(format))
		case string(v) != format:
			return fmt.Errorf("%s holds layout format %q; this plugin (version %s) knows format %s", path, v, Version, format)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return &Store{db: db, path: path, file: fi}, nil
}

// wrap gives a bolt error its storage class: a closed store or a failing
// disk cannot serve now.
func (s *Store) wrap(err error) error {
	switch {
	case err == nil, errors.Is(err, storage.ErrInvalid), errors.Is(err, storage.ErrUnavailable):
		return err
	case errors.Is(err, bolterrors.ErrDatabaseNotOpen):
		return fmt.Errorf("%w: %s is closed", storage.ErrUnavailable, s.path)
	}
	return fmt.Errorf("%w: %s: %w", storage.ErrUnavailable, s.path, err)
}

// bucket returns the nested bucket of a storage bucket, or nil.
func bucket(tx *bolt.Tx, name string) *bolt.Bucket {
	return tx.Bucket(dataBucket).Bucket([]byte(name))
}

// lookup finds key in b (which may be nil).
func lookup(b *bolt.Bucket, key []byte) (v []byte, found bool) {
	if b == nil || len(key) == 0 {
		return nil, false
	}
	// Bucket.Get cannot tell an empty value from a missing key; the cursor
	// can.
	k, v := b.Cursor().Seek(key)
	if k == nil || !bytes.Equal(k, key) {
		return nil, false
	}
	return v, true
}

// clone copies a value out of the memory map, which is only valid during
// its transaction. The copy is never nil.
func clone(v []byte) []byte { return append(make([]byte, 0, len(v)), v...) }

// Get implements storage.Backend.
func (s *Store) Get(_ context.Context, name string, keys [][]byte) ([][]byte, error) {
	if err := storage.ValidateBucket(name); err != nil {
		return nil, err
	}
	out := make([][]byte, len(keys))
	err := s.db.View(func(tx *bolt.Tx) error {
		b := bucket(tx, name)
		for i, k := range keys {
			if v, ok := lookup(b, k); ok {
				out[i] = clone(v)
			}
		}
		return nil
	})
	if err != nil {
		return nil, s.wrap(err)
	}
	return out, nil
}

// Scan implements storage.Backend. A page holds at most 1,000 items and
// about 4 MiB (one item at least, however large).
func (s *Store) Scan(_ context.Context, req storage.ScanRequest) (storage.ScanResult, error) {
	if err := storage.ValidateBucket(req.Bucket); err != nil {
		return storage.ScanResult{}, err
	}
	lo, hi := storage.Bounds(req)
	if hi != nil && bytes.Compare(lo, hi) >= 0 {
		return storage.ScanResult{}, nil
	}
	limit := req.Limit
	if limit <= 0 || limit > maxPageItems {
		limit = maxPageItems
	}
	var res storage.ScanResult
	err := s.db.View(func(tx *bolt.Tx) error {
		b := bucket(tx, req.Bucket)
		if b == nil {
			return nil
		}
		c := b.Cursor()
		var (
			k, v    []byte
			next    func() ([]byte, []byte)
			inRange func([]byte) bool
		)
		if req.Reverse {
			// From the last key below hi down to lo.
			if hi == nil {
				k, v = c.Last()
			} else if k, v = c.Seek(hi); k == nil {
				k, v = c.Last()
			} else {
				k, v = c.Prev()
			}
			next = c.Prev
			inRange = func(k []byte) bool { return bytes.Compare(k, lo) >= 0 }
		} else {
			if len(lo) == 0 {
				k, v = c.First()
			} else {
				k, v = c.Seek(lo)
			}
			next = c.Next
			inRange = func(k []byte) bool { return hi == nil || bytes.Compare(k, hi) < 0 }
		}
		size := 0
		for ; k != nil && inRange(k); k, v = next() {
			n := len(k) + len(v)
			if len(res.Items) == limit || (len(res.Items) > 0 && size+n > maxPageBytes) {
				res.More = true
				break
			}
			// One allocation for the key and its value.
			buf := make([]byte, n)
			copy(buf, k)
			copy(buf[len(k):], v)
			res.Items = append(res.Items, storage.KV{Key: buf[:len(k):len(k)], Value: buf[len(k):]})
			size += n
		}
		return nil
	})
	if err != nil {
		return storage.ScanResult{}, s.wrap(err)
	}
	return res, nil
}

// Apply implements storage.Backend: one update transaction that checks the
// conditions, then writes, and is on disk when Apply returns.
func (s *Store) Apply(_ context.Context, batch storage.Batch) (storage.BatchResult, error) {
	if err := storage.ValidateBatch(batch); err != nil {
		return storage.BatchResult{}, err
	}
	failed := -1
	err := s.db.Update(func(tx *bolt.Tx) error {
		for i, c := range batch.Conditions {
			v, found := lookup(bucket(tx, c.Bucket), c.Key)
			if !storage.ConditionHolds(c, v, found) {
				failed = i
				return errRollback
			}
		}
		data := tx.Bucket(dataBucket)
		for i, op := range batch.Ops {
			if err := applyOp(data, op); err != nil {
				return fmt.Errorf("operation %d: %w", i, err)
			}
		}
		return nil
	})
	if errors.Is(err, errRollback) {
		return storage.BatchResult{FailedCondition: failed}, nil
	}
	if err != nil {
		return storage.BatchResult{}, s.wrap(fmt.Errorf("apply: %w", err))
	}
	return storage.BatchResult{Applied: true}, nil
}

func applyOp(data *bolt.Bucket, op storage.Op) error {
	name := []byte(op.Bucket)
	switch op.Kind {
	case storage.Put:
		b, err := data.CreateBucketIfNotExists(name)
		if err != nil {
			return err
		}
		v := op.Value
		if v == nil {
			v = []byte{}
		}
		return b.Put(op.Key, v)
	case storage.Delete:
		if b := data.Bucket(name); b != nil {
			return b.Delete(op.Key)
		}
	case storage.DeletePrefix:
		b := data.Bucket(name)
		switch {
		case b == nil:
		case len(op.Key) == 0:
			// Every key: drop the bucket and its pages at once; a missing
			// bucket reads as an empty one.
			return data.DeleteBucket(name)
		default:
			// Seek again after each delete: a bolt cursor moved on with
			// Next after Delete skips the key that followed.
			c := b.Cursor()
			for k, _ := c.Seek(op.Key); k != nil && bytes.HasPrefix(k, op.Key); k, _ = c.Seek(op.Key) {
				if err := c.Delete(); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// NextID implements storage.Backend. The sequence's last id is in the
// "seq" bucket, written in the same durable transaction that reserves.
func (s *Store) NextID(_ context.Context, collection string, count, atLeast uint64) (uint64, error) {
	if err := storage.ValidateBucket(collection); err != nil {
		return 0, err
	}
	var first uint64
	err := s.db.Update(func(tx *bolt.Tx) error {
		seq := tx.Bucket(seqBucket)
		var last uint64
		if v := seq.Get([]byte(collection)); v != nil {
			if len(v) != 8 {
				return fmt.Errorf("sequence %q holds %d bytes, want 8", collection, len(v))
			}
			last = binary.BigEndian.Uint64(v)
		}
		f, newLast, err := storage.ReserveIDs(last, count, atLeast)
		if err != nil {
			return fmt.Errorf("sequence %q: %w", collection, err)
		}
		first = f
		if newLast == last {
			return errRollback // nothing to write
		}
		return seq.Put([]byte(collection), binary.BigEndian.AppendUint64(nil, newLast))
	})
	if err != nil && !errors.Is(err, errRollback) {
		return 0, s.wrap(err)
	}
	return first, nil
}

// Health implements storage.Backend: the store is open and its path still
// names the file it opened.
func (s *Store) Health(context.Context) error {
	if err := s.db.View(func(*bolt.Tx) error { return nil }); err != nil {
		return s.wrap(err)
	}
	fi, err := os.Stat(s.path)
	if err != nil {
		return fmt.Errorf("%w: %s: %w", storage.ErrUnavailable, s.path, err)
	}
	if !os.SameFile(fi, s.file) {
		return fmt.Errorf("%w: %s was replaced since it was opened", storage.ErrUnavailable, s.path)
	}
	return nil
}

// Close implements storage.Backend. It waits for the transactions in
// progress, then releases the file and its lock.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close %s: %w", s.path, err)
	}
	return nil
}
