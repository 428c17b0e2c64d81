// Package memory is an in-memory storage backend: the reference
// implementation of the storage protocol's guarantees, for tests of code
// that uses a Backend and as a model for plugin authors. It keeps nothing
// after Close.
package memory

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"sort"
	"sync"

	"github.com/signalbox/signalbox/sdk/storage"
)

// MaxPage is the most items one Scan returns.
const MaxPage = 1000

type bucket struct {
	keys   []string // sorted
	values map[string][]byte
}

func (b *bucket) put(k string, v []byte) {
	if _, ok := b.values[k]; !ok {
		i := sort.SearchStrings(b.keys, k)
		b.keys = slices.Insert(b.keys, i, k)
	}
	// Never nil, even for an empty value: Get tells a present key by a
	// non-nil value.
	b.values[k] = append([]byte{}, v...)
}

func (b *bucket) delete(k string) {
	if _, ok := b.values[k]; !ok {
		return
	}
	delete(b.values, k)
	i := sort.SearchStrings(b.keys, k)
	b.keys = slices.Delete(b.keys, i, i+1)
}

// Backend is the in-memory store. It is safe for concurrent use.
type Backend struct {
	mu      sync.RWMutex
	buckets map[string]*bucket
	seqs    map[string]uint64
	closed  bool
}

var _ storage.Backend = (*Backend)(nil)

// New returns an empty store.
func New() *Backend {
	return &Backend{buckets: map[string]*bucket{}, seqs: map[string]uint64{}}
}

// Plugin serves New as a storage plugin named "memory".
type Plugin struct{}

var _ storage.Plugin = Plugin{}

// Describe names the plugin.
func (Plugin) Describe(context.Context) (storage.Description, error) {
	return storage.Description{Name: "memory", Version: "1"}, nil
}

// Open returns a new empty store; the config is ignored.
func (Plugin) Open(context.Context, storage.Config) (storage.Backend, error) { return New(), nil }

func (m *Backend) check() error {
	if m.closed {
		return fmt.Errorf("%w: memory store closed", storage.ErrUnavailable)
	}
	return nil
}

// Get implements storage.Backend.
func (m *Backend) Get(_ context.Context, name string, keys [][]byte) ([][]byte, error) {
	if err := storage.ValidateBucket(name); err != nil {
		return nil, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	if err := m.check(); err != nil {
		return nil, err
	}
	out := make([][]byte, len(keys))
	b := m.buckets[name]
	if b == nil {
		return out, nil
	}
	for i, k := range keys {
		if v, ok := b.values[string(k)]; ok {
			out[i] = bytes.Clone(v)
		}
	}
	return out, nil
}

// Scan implements storage.Backend.
func (m *Backend) Scan(_ context.Context, req storage.ScanRequest) (storage.ScanResult, error) {
	if err := storage.ValidateBucket(req.Bucket); err != nil {
		return storage.ScanResult{}, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	if err := m.check(); err != nil {
		return storage.ScanResult{}, err
	}
	b := m.buckets[req.Bucket]
	if b == nil {
		return storage.ScanResult{}, nil
	}
	lo, hi := storage.Bounds(req)
	// The keys in [lo, hi).
	from := sort.SearchStrings(b.keys, string(lo))
	to := len(b.keys)
	if hi != nil {
		to = sort.SearchStrings(b.keys, string(hi))
	}
	if to < from {
		to = from
	}
	limit := req.Limit
	if limit <= 0 || limit > MaxPage {
		limit = MaxPage
	}
	var res storage.ScanResult
	n := to - from
	if n > limit {
		n, res.More = limit, true
	}
	res.Items = make([]storage.KV, 0, n)
	for i := range n {
		j := from + i
		if req.Reverse {
			j = to - 1 - i
		}
		k := b.keys[j]
		res.Items = append(res.Items, storage.KV{Key: []byte(k), Value: bytes.Clone(b.values[k])})
	}
	return res, nil
}

// Apply implements storage.Backend.
func (m *Backend) Apply(_ context.Context, batch storage.Batch) (storage.BatchResult, error) {
	if err := storage.ValidateBatch(batch); err != nil {
		return storage.BatchResult{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.check(); err != nil {
		return storage.BatchResult{}, err
	}
	for i, c := range batch.Conditions {
		var v []byte
		ok := false
		if b := m.buckets[c.Bucket]; b != nil {
			v, ok = b.values[string(c.Key)]
		}
		if !storage.ConditionHolds(c, v, ok) {
			return storage.BatchResult{FailedCondition: i}, nil
		}
	}
	for _, op := range batch.Ops {
		b := m.buckets[op.Bucket]
		switch op.Kind {
		case storage.Put:
			if b == nil {
				b = &bucket{values: map[string][]byte{}}
				m.buckets[op.Bucket] = b
			}
			b.put(string(op.Key), op.Value)
		case storage.Delete:
			if b != nil {
				b.delete(string(op.Key))
			}
		case storage.DeletePrefix:
			if b == nil {
				continue
			}
			from := sort.SearchStrings(b.keys, string(op.Key))
			to := from
			for to < len(b.keys) && bytes.HasPrefix([]byte(b.keys[to]), op.Key) {
				delete(b.values, b.keys[to])
				to++
			}
			b.keys = slices.Delete(b.keys, from, to)
		}
	}
	return storage.BatchResult{Applied: true}, nil
}

// NextID implements storage.Backend.
func (m *Backend) NextID(_ context.Context, collection string, count, atLeast uint64) (uint64, error) {
	if err := storage.ValidateBucket(collection); err != nil {
		return 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.check(); err != nil {
		return 0, err
	}
	// seqs holds the last id handed out.
	first, last, err := storage.ReserveIDs(m.seqs[collection], count, atLeast)
	if err != nil {
		return 0, fmt.Errorf("sequence %q: %w", collection, err)
	}
	m.seqs[collection] = last
	return first, nil
}

// Health implements storage.Backend.
func (m *Backend) Health(context.Context) error {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.check()
}

// Close implements storage.Backend.
func (m *Backend) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	return nil
}
