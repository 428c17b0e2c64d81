package storage

import (
	"bytes"
	"errors"
	"math"
	"testing"
)

func TestReserveIDs(t *testing.T) {
	const maxID = math.MaxUint64
	for name, tc := range map[string]struct {
		last, count, atLeast uint64
		first, newLast       uint64
		fail                 bool
	}{
		"a new sequence starts at 1":               {0, 1, 0, 1, 1, false},
		"a range follows the last id":              {7, 3, 0, 8, 10, false},
		"at least raises the first id":             {7, 2, 100, 100, 101, false},
		"at least below the sequence is ignored":   {7, 1, 3, 8, 8, false},
		"count 0 raises without reserving":         {7, 0, 100, 100, 99, false},
		"count 0 and no floor changes nothing":     {7, 0, 0, 8, 7, false},
		"the largest id can be handed out":         {maxID - 1, 1, 0, maxID, maxID, false},
		"nothing comes after the largest id":       {maxID, 1, 0, 0, 0, true},
		"count 0 after the largest id fails":       {maxID, 0, 0, 0, 0, true},
		"a range past the largest id fails":        {maxID - 2, 3, 0, 0, 0, true},
		"at least the largest id with 2 ids fails": {0, 2, maxID, 0, 0, true},
		"every id from 1 fits":                     {0, maxID, 0, 1, maxID, false},
	} {
		t.Run(name, func(t *testing.T) {
			first, newLast, err := ReserveIDs(tc.last, tc.count, tc.atLeast)
			if tc.fail {
				if !errors.Is(err, ErrInvalid) {
					t.Fatalf("ReserveIDs() = %d, %d, %v; want an error wrapping ErrInvalid", first, newLast, err)
				}
				return
			}
			if err != nil || first != tc.first || newLast != tc.newLast {
				t.Fatalf("ReserveIDs() = %d, %d, %v; want %d, %d, nil", first, newLast, err, tc.first, tc.newLast)
			}
		})
	}
}

func TestBounds(t *testing.T) {
	b := func(s string) []byte { return []byte(s) }
	for name, tc := range map[string]struct {
		req    ScanRequest
		lo, hi []byte
	}{
		"open on both sides":             {ScanRequest{}, nil, nil},
		"a prefix bounds both sides":     {ScanRequest{Prefix: b("ab")}, b("ab"), b("ac")},
		"a prefix of 0xff is open above": {ScanRequest{Prefix: b("\xff\xff")}, b("\xff\xff"), nil},
		"a start inside the prefix wins": {ScanRequest{Prefix: b("a"), Start: b("ab")}, b("ab"), b("b")},
		"an end inside the prefix wins":  {ScanRequest{Prefix: b("a"), End: b("ab")}, b("a"), b("ab")},
		"an end past the prefix loses":   {ScanRequest{Prefix: b("a"), End: b("c")}, b("a"), b("b")},
		"a prefix ending in 0xff":        {ScanRequest{Prefix: b("a\xff")}, b("a\xff"), b("b")},
	} {
		t.Run(name, func(t *testing.T) {
			lo, hi := Bounds(tc.req)
			if !bytes.Equal(lo, tc.lo) || !bytes.Equal(hi, tc.hi) || (hi == nil) != (tc.hi == nil) {
				t.Fatalf("Bounds() = %q, %q; want %q, %q", lo, hi, tc.lo, tc.hi)
			}
		})
	}
}
