// Package storage is the storage plugin protocol of Signalbox, as Go types:
// what a storage backend implements and what the server calls.
//
// A backend is an ordered key/value store with named buckets. Keys and
// values are bytes; keys sort bytewise. The server keeps its documents,
// its secondary indexes and its task output in it, and relies on these
// guarantees, which every backend must give (the conformance suite in
// package plugintest checks them):
//
//   - Read your writes: a Get or Scan that starts after Apply returned sees
//     the batch.
//   - Atomic batches: Apply checks every condition and then applies every
//     operation, all or nothing, isolated from other batches: no reader sees
//     a batch half applied, and a crash leaves it applied or not at all.
//   - Order: Scan returns keys in bytewise order (reversed on request).
//   - Sequences: NextID never returns an id twice, even across restarts.
//
// A plugin serves a Plugin with Serve; the server opens it with the DSN and
// settings the operator gave, then calls the Backend Open returned. On the
// server's side, Client is that Plugin and Backend over gRPC; errors keep
// their class across the process boundary (see Client). Package memory is
// the reference backend, and plugintest.StorageConformance the test every
// backend passes.
package storage

import (
	"context"
	"errors"
)

// ProtocolVersion is the storage protocol version this package speaks.
const ProtocolVersion = 1

// Errors a backend or the client return. Backends return them wrapped or
// as they are; the client maps transport failures to ErrUnavailable.
var (
	// ErrUnavailable: the backend cannot serve now (its process died, it
	// hangs, its disk is gone). Retrying later may work.
	ErrUnavailable = errors.New("storage unavailable")
	// ErrInvalid: the request is malformed (empty bucket name, empty key).
	ErrInvalid = errors.New("invalid storage request")
	// ErrNotOpen: a call came before Open.
	ErrNotOpen = errors.New("storage not open")
)

// Description says what a storage plugin is.
type Description struct {
	// Name is how operators select the plugin (SIGNALBOX_STORE=name).
	Name    string
	Version string
}

// Config is what the operator gave for the backend.
type Config struct {
	// DSN says where the data lives: a file path, a URL… Its meaning is
	// the plugin's.
	DSN string
	// Settings are further options, by name.
	Settings map[string]string
}

// Plugin is what a storage plugin binary serves.
type Plugin interface {
	Describe(ctx context.Context) (Description, error)
	// Open opens the store. It is called once per plugin process, before
	// any Backend call.
	Open(ctx context.Context, cfg Config) (Backend, error)
}

// KV is one key and its value.
type KV struct {
	Key   []byte
	Value []byte
}

// ScanRequest reads a range of a bucket in key order.
type ScanRequest struct {
	Bucket string
	// Prefix, when not empty, keeps only keys that start with it.
	Prefix []byte
	// Start is the first key of the range (inclusive) and End its bound
	// (exclusive); nil leaves that side open. Both apply with Prefix.
	Start []byte
	End   []byte
	// Reverse returns the range from its last key down.
	Reverse bool
	// Limit caps the items returned. 0 lets the backend choose its page
	// size; a backend may return fewer items than Limit and set More.
	Limit int
}

// ScanResult is one page of a scan. To continue a forward scan, set Start
// to the last key plus a zero byte; a reverse one, set End to the last key.
type ScanResult struct {
	Items []KV
	// More says the range holds more items than returned.
	More bool
}

// ConditionKind says what a condition checks.
type ConditionKind int

// The condition kinds.
const (
	// MustExist: the key is present.
	MustExist ConditionKind = iota + 1
	// MustNotExist: the key is absent.
	MustNotExist
	// MustEqual: the key is present with exactly Value.
	MustEqual
)

// Condition is a check Apply makes before writing anything.
type Condition struct {
	Kind   ConditionKind
	Bucket string
	Key    []byte
	// Value is what MustEqual compares with.
	Value []byte
}

// OpKind says what an operation does.
type OpKind int

// The operation kinds.
const (
	// Put sets Key to Value, creating the bucket if needed.
	Put OpKind = iota + 1
	// Delete removes Key; a missing key is not an error.
	Delete
	// DeletePrefix removes every key of the bucket that starts with Key
	// (every key for an empty Key).
	DeletePrefix
)

// Op is one write of a batch.
type Op struct {
	Kind   OpKind
	Bucket string
	Key    []byte
	Value  []byte
}

// Batch is a set of conditions and writes applied atomically.
type Batch struct {
	Conditions []Condition
	Ops        []Op
}

// BatchResult says whether a batch was applied.
type BatchResult struct {
	// Applied is false when a condition failed; nothing was written then.
	Applied bool
	// FailedCondition is the index of the first failed condition.
	FailedCondition int
}

// Backend is an open store.
type Backend interface {
	// Get returns the values of keys of a bucket, in the order of keys; a
	// missing key (or bucket) gives a nil value, a present key a non-nil
	// one, even when it is empty. The values come from one consistent view:
	// never half of a batch.
	Get(ctx context.Context, bucket string, keys [][]byte) ([][]byte, error)
	// Scan reads a range of a bucket.
	Scan(ctx context.Context, req ScanRequest) (ScanResult, error)
	// Apply checks the conditions, then applies the operations in order,
	// all or nothing. Every backend accepts batches of MaxBatchBytes.
	Apply(ctx context.Context, b Batch) (BatchResult, error)
	// NextID reserves count consecutive ids of the collection's sequence
	// and returns the first. Every id it returns is at least atLeast and
	// was never returned before; with count 0 it reserves nothing but
	// raises the sequence, so that later ids are at least atLeast (the
	// server does so when it imports objects with their ids). Sequences
	// start at 1. NextID fails rather than go past the largest uint64
	// (ReserveIDs does the arithmetic).
	NextID(ctx context.Context, collection string, count, atLeast uint64) (uint64, error)
	// Health says whether the store can serve.
	Health(ctx context.Context) error
	// Close releases the store. Calls after Close fail with ErrUnavailable;
	// closing a closed store returns nil.
	Close() error
}
