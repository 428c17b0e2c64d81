package storage

import (
	"bytes"
	"fmt"
	"math"
)

// Limits every backend accepts at least.
const (
	// MaxKeyBytes is the longest key.
	MaxKeyBytes = 4096
	// MaxBucketBytes is the longest bucket or collection name.
	MaxBucketBytes = 255
	// MaxBatchBytes is the largest batch, counted as the bytes of its
	// bucket names, keys and values (BatchBytes).
	MaxBatchBytes = 64 << 20
)

// BatchBytes is the size of a batch as MaxBatchBytes counts it.
func BatchBytes(b Batch) int {
	n := 0
	for _, c := range b.Conditions {
		n += len(c.Bucket) + len(c.Key) + len(c.Value)
	}
	for _, op := range b.Ops {
		n += len(op.Bucket) + len(op.Key) + len(op.Value)
	}
	return n
}

// ValidateBucket refuses an empty or over-long bucket name.
func ValidateBucket(name string) error {
	if name == "" || len(name) > MaxBucketBytes {
		return fmt.Errorf("%w: bucket name must be 1 to %d bytes, got %d", ErrInvalid, MaxBucketBytes, len(name))
	}
	return nil
}

func validateKey(k []byte, emptyOK bool) error {
	if (len(k) == 0 && !emptyOK) || len(k) > MaxKeyBytes {
		return fmt.Errorf("%w: key must be 1 to %d bytes, got %d", ErrInvalid, MaxKeyBytes, len(k))
	}
	return nil
}

// ValidateBatch refuses a batch a backend must not apply: unknown kinds,
// bad bucket names, empty keys (but for DeletePrefix).
func ValidateBatch(b Batch) error {
	for i, c := range b.Conditions {
		if c.Kind < MustExist || c.Kind > MustEqual {
			return fmt.Errorf("%w: condition %d has unknown kind %d", ErrInvalid, i, c.Kind)
		}
		if err := ValidateBucket(c.Bucket); err != nil {
			return fmt.Errorf("condition %d: %w", i, err)
		}
		if err := validateKey(c.Key, false); err != nil {
			return fmt.Errorf("condition %d: %w", i, err)
		}
	}
	for i, op := range b.Ops {
		if op.Kind < Put || op.Kind > DeletePrefix {
			return fmt.Errorf("%w: operation %d has unknown kind %d", ErrInvalid, i, op.Kind)
		}
		if err := ValidateBucket(op.Bucket); err != nil {
			return fmt.Errorf("operation %d: %w", i, err)
		}
		if err := validateKey(op.Key, op.Kind == DeletePrefix); err != nil {
			return fmt.Errorf("operation %d: %w", i, err)
		}
	}
	return nil
}

// ConditionHolds says whether c holds for a key whose value is v (found
// says whether the key exists).
func ConditionHolds(c Condition, v []byte, found bool) bool {
	switch c.Kind {
	case MustExist:
		return found
	case MustNotExist:
		return !found
	case MustEqual:
		return found && bytes.Equal(v, c.Value)
	}
	return false
}

// Bounds folds a scan's Prefix, Start and End into one range [lo, hi); hi
// nil means unbounded.
func Bounds(r ScanRequest) (lo, hi []byte) {
	lo, hi = r.Start, r.End
	if len(r.Prefix) > 0 {
		if bytes.Compare(r.Prefix, lo) > 0 {
			lo = r.Prefix
		}
		if pe := PrefixEnd(r.Prefix); pe != nil && (hi == nil || bytes.Compare(pe, hi) < 0) {
			hi = pe
		}
	}
	return lo, hi
}

// PrefixEnd returns the first key after every key with prefix p, or nil if
// there is none (p is all 0xff bytes).
func PrefixEnd(p []byte) []byte {
	end := bytes.Clone(p)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}

// ReserveIDs is the arithmetic of NextID for a sequence whose last handed
// out id is last (0 for a new sequence): it returns the first id to hand
// out and the sequence's new last id. It fails, wrapping ErrInvalid, when
// the ids would go past the largest uint64.
func ReserveIDs(last, count, atLeast uint64) (first, newLast uint64, err error) {
	if atLeast > 0 && last < atLeast-1 {
		last = atLeast - 1
	}
	if last > math.MaxUint64-max(count, 1) {
		return 0, 0, fmt.Errorf("%w: %d ids from %d would pass the largest id", ErrInvalid, count, last+1)
	}
	return last + 1, last + count, nil
}
