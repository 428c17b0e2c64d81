package plugintest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/signalbox/signalbox/sdk/storage"
)

// storageTestTimeout bounds each subtest of StorageConformance.
const storageTestTimeout = 3 * time.Minute

// StorageConformance checks that a storage backend keeps the guarantees
// documented in package storage. open must return a fresh, empty backend
// each time it is called (a new file in t.TempDir(), a new plugin process…)
// and close it when t ends; the suite calls it once per subtest, and
// subtests run in parallel. Run it on the backend itself and over the
// protocol:
//
//	plugintest.StorageConformance(t, func(t *testing.T) storage.Backend {
//		b, err := (&Plugin{}).Open(t.Context(), storage.Config{DSN: filepath.Join(t.TempDir(), "db")})
//		…
//		t.Cleanup(func() { _ = b.Close() })
//		return b
//	})
//
// The subtests prove: Get, Put and Delete of keys, missing keys and
// buckets, empty values; buckets as separate namespaces; binary keys with
// 0x00 and 0xff bytes in bytewise order; scans forward and reverse with
// Prefix, Start, End and Limit, and paging through More over 5,000 keys
// with the continue rules of ScanResult; DeletePrefix; operations in
// order; conditions all or nothing with FailedCondition; no lost update
// under concurrent compare-and-swap; readers never see half a batch;
// NextID unique under concurrency, ranges that do not overlap, atLeast and
// count 0, no wrap-around; values of 1 MiB and batches of MaxBatchBytes
// (skipped with -short); errors wrapping ErrInvalid for malformed
// requests, writing nothing; Health; ErrUnavailable after Close.
func StorageConformance(t *testing.T, open func(t *testing.T) storage.Backend) {
	t.Helper()
	for name, test := range storageTests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(t.Context(), storageTestTimeout)
			defer cancel()
			b := open(t)
			if b == nil {
				t.Fatal("open returned a nil backend")
			}
			test(ctx, t, b)
		})
	}
}

var storageTests = map[string]func(ctx context.Context, t *testing.T, b storage.Backend){
	"get returns nil for missing keys and buckets":                 testMissing,
	"put, get and delete keep and remove values":                   testPutGetDelete,
	"an empty value is present":                                    testEmptyValue,
	"buckets are separate namespaces":                              testBuckets,
	"binary keys with 0x00 and 0xff bytes sort bytewise":           testBinaryKeys,
	"scans honour prefix, start, end, limit and reverse":           testScanRanges,
	"paging through 5,000 keys returns each key once, in order":    testPaging,
	"delete prefix removes exactly the keys with the prefix":       testDeletePrefix,
	"operations apply in order":                                    testOpOrder,
	"conditions apply the batch all or nothing":                    testConditions,
	"concurrent compare-and-swap increments lose no update":        testCAS,
	"readers never see half a batch":                               testAtomicReads,
	"next id starts at 1 and never repeats under concurrency":      testNextIDConcurrent,
	"next id honours count, at least and count 0":                  testNextIDArgs,
	"next id fails rather than wrap around":                        testNextIDOverflow,
	"values of 1 MiB round-trip":                                   testLargeValues,
	"a batch of MaxBatchBytes is applied":                          testMaxBatch,
	"malformed requests fail with ErrInvalid and write nothing":    testInvalid,
	"keys and bucket names of the maximal length are accepted":     testMaxLengths,
	"health answers nil and calls after close fail as unavailable": testHealthClose,
}

// kv builds a KV of strings.
func kv(k, v string) storage.KV { return storage.KV{Key: []byte(k), Value: []byte(v)} }

// apply applies batch and fails the test on an error.
func apply(ctx context.Context, t *testing.T, b storage.Backend, batch storage.Batch) storage.BatchResult {
	t.Helper()
	res, err := b.Apply(ctx, batch)
	if err != nil {
		t.Fatalf("Apply() error = %v", err)
	}
	return res
}

// put writes items to bucket in one batch.
func put(ctx context.Context, t *testing.T, b storage.Backend, bucket string, items ...storage.KV) {
	t.Helper()
	batch := storage.Batch{Ops: make([]storage.Op, 0, len(items))}
	for _, it := range items {
		batch.Ops = append(batch.Ops, storage.Op{Kind: storage.Put, Bucket: bucket, Key: it.Key, Value: it.Value})
	}
	if res := apply(ctx, t, b, batch); !res.Applied {
		t.Fatalf("Apply() of %d puts without conditions = %+v, want applied", len(items), res)
	}
}

// get reads keys and fails the test on an error.
func get(ctx context.Context, t *testing.T, b storage.Backend, bucket string, keys ...string) [][]byte {
	t.Helper()
	ks := make([][]byte, len(keys))
	for i, k := range keys {
		ks[i] = []byte(k)
	}
	vals, err := b.Get(ctx, bucket, ks)
	if err != nil {
		t.Fatalf("Get(%q, %q) error = %v", bucket, keys, err)
	}
	if len(vals) != len(keys) {
		t.Fatalf("Get(%q, %q) returned %d values, want %d", bucket, keys, len(vals), len(keys))
	}
	return vals
}

// wantValues checks that keys of bucket hold want; nil wants a missing key.
func wantValues(ctx context.Context, t *testing.T, b storage.Backend, bucket string, want map[string][]byte) {
	t.Helper()
	keys := slices.Sorted(maps.Keys(want))
	vals := get(ctx, t, b, bucket, keys...)
	for i, k := range keys {
		switch w := want[k]; {
		case w == nil && vals[i] != nil:
			t.Errorf("Get(%q, %q) = %q, want missing (nil)", bucket, k, vals[i])
		case w != nil && vals[i] == nil:
			t.Errorf("Get(%q, %q) = missing (nil), want %q", bucket, k, short(w))
		case !bytes.Equal(w, vals[i]):
			t.Errorf("Get(%q, %q) = %q, want %q", bucket, k, short(vals[i]), short(w))
		}
	}
}

// short abbreviates a long value for messages.
func short(v []byte) []byte {
	if len(v) > 64 {
		return append(slices.Clip(v[:32]), fmt.Sprintf("…(%d bytes)", len(v))...)
	}
	return v
}

// scanPages scans req to its end with the continue rules of ScanResult and
// checks every page: no more items than the limit, progress when More is
// set, keys in order.
func scanPages(ctx context.Context, t *testing.T, b storage.Backend, req storage.ScanRequest) (items []storage.KV, pages int) {
	t.Helper()
	for {
		res, err := b.Scan(ctx, req)
		if err != nil {
			t.Fatalf("Scan(%s) error = %v", fmtScan(req), err)
		}
		pages++
		if req.Limit > 0 && len(res.Items) > req.Limit {
			t.Fatalf("Scan(%s) returned %d items, more than the limit", fmtScan(req), len(res.Items))
		}
		if res.More && len(res.Items) == 0 {
			t.Fatalf("Scan(%s) returned no items with More set: a scan could never end", fmtScan(req))
		}
		items = append(items, res.Items...)
		if !res.More {
			return items, pages
		}
		if pages > 100_000 {
			t.Fatalf("Scan(%s) still has more after %d pages", fmtScan(req), pages)
		}
		last := res.Items[len(res.Items)-1].Key
		if req.Reverse {
			req.End = bytes.Clone(last)
		} else {
			req.Start = append(bytes.Clone(last), 0)
		}
	}
}

func fmtScan(r storage.ScanRequest) string {
	var b strings.Builder
	fmt.Fprintf(&b, "bucket=%q", r.Bucket)
	if r.Prefix != nil {
		fmt.Fprintf(&b, " prefix=%q", r.Prefix)
	}
	if r.Start != nil {
		fmt.Fprintf(&b, " start=%q", r.Start)
	}
	if r.End != nil {
		fmt.Fprintf(&b, " end=%q", r.End)
	}
	if r.Reverse {
		b.WriteString(" reverse")
	}
	if r.Limit != 0 {
		fmt.Fprintf(&b, " limit=%d", r.Limit)
	}
	return b.String()
}

// expectScan is what a scan of req over all (sorted by key) must return
// in total.
func expectScan(all []storage.KV, req storage.ScanRequest) []storage.KV {
	var out []storage.KV
	for _, it := range all {
		if bytes.HasPrefix(it.Key, req.Prefix) && bytes.Compare(it.Key, req.Start) >= 0 &&
			(req.End == nil || bytes.Compare(it.Key, req.End) < 0) {
			out = append(out, it)
		}
	}
	if req.Reverse {
		slices.Reverse(out)
	}
	return out
}

// diffItems describes how got differs from want, or returns "".
func diffItems(got, want []storage.KV) string {
	for i := range max(len(got), len(want)) {
		switch {
		case i >= len(got):
			return fmt.Sprintf("item %d: missing, want %q (got %d items, want %d)", i, want[i].Key, len(got), len(want))
		case i >= len(want):
			return fmt.Sprintf("item %d: %q, want none (got %d items, want %d)", i, got[i].Key, len(got), len(want))
		case !bytes.Equal(got[i].Key, want[i].Key):
			return fmt.Sprintf("item %d: key %q, want %q", i, got[i].Key, want[i].Key)
		case !bytes.Equal(got[i].Value, want[i].Value):
			return fmt.Sprintf("item %d (key %q): value %q, want %q", i, got[i].Key, short(got[i].Value), short(want[i].Value))
		}
	}
	return ""
}

// sortedKVs returns items sorted by key.
func sortedKVs(items []storage.KV) []storage.KV {
	out := slices.Clone(items)
	slices.SortFunc(out, func(a, b storage.KV) int { return bytes.Compare(a.Key, b.Key) })
	return out
}

func testMissing(ctx context.Context, t *testing.T, b storage.Backend) {
	wantValues(ctx, t, b, "never-written", map[string][]byte{"a": nil, "b": nil})
	put(ctx, t, b, "written", kv("a", "1"))
	wantValues(ctx, t, b, "written", map[string][]byte{"a": []byte("1"), "b": nil, "a\x00": nil, "A": nil})
	if vals, err := b.Get(ctx, "written", nil); err != nil || len(vals) != 0 {
		t.Errorf("Get() of no keys = %q, %v; want no values", vals, err)
	}
	res, err := b.Scan(ctx, storage.ScanRequest{Bucket: "never-written"})
	if err != nil || len(res.Items) != 0 || res.More {
		t.Errorf("Scan() of a missing bucket = %+v, %v; want nothing", res, err)
	}
}

func testPutGetDelete(ctx context.Context, t *testing.T, b storage.Backend) {
	put(ctx, t, b, "docs", kv("one", "1"), kv("two", "2"))
	wantValues(ctx, t, b, "docs", map[string][]byte{"one": []byte("1"), "two": []byte("2")})

	put(ctx, t, b, "docs", kv("one", "uno"))
	wantValues(ctx, t, b, "docs", map[string][]byte{"one": []byte("uno"), "two": []byte("2")})

	res := apply(ctx, t, b, storage.Batch{Ops: []storage.Op{
		{Kind: storage.Delete, Bucket: "docs", Key: []byte("one")},
		{Kind: storage.Delete, Bucket: "docs", Key: []byte("never-there")},
		{Kind: storage.Delete, Bucket: "no-such-bucket", Key: []byte("x")},
	}})
	if !res.Applied {
		t.Fatalf("Apply() of deletes = %+v, want applied", res)
	}
	wantValues(ctx, t, b, "docs", map[string][]byte{"one": nil, "two": []byte("2")})

	// A returned value belongs to the caller: changing it changes nothing.
	vals := get(ctx, t, b, "docs", "two")
	vals[0][0] = 'X'
	wantValues(ctx, t, b, "docs", map[string][]byte{"two": []byte("2")})
	// Nor does changing a value after it was written.
	v := []byte("written")
	put(ctx, t, b, "docs", storage.KV{Key: []byte("three"), Value: v})
	v[0] = 'X'
	wantValues(ctx, t, b, "docs", map[string][]byte{"three": []byte("written")})
}

func testEmptyValue(ctx context.Context, t *testing.T, b storage.Backend) {
	put(ctx, t, b, "e", storage.KV{Key: []byte("empty"), Value: []byte{}}, storage.KV{Key: []byte("nil"), Value: nil})
	for _, k := range []string{"empty", "nil"} {
		v := get(ctx, t, b, "e", k)[0]
		if v == nil || len(v) != 0 {
			t.Errorf("Get(%q) = %#v, want a non-nil empty value", k, v)
		}
	}
	items, _ := scanPages(ctx, t, b, storage.ScanRequest{Bucket: "e"})
	if len(items) != 2 {
		t.Errorf("Scan() = %d items, want the 2 empty values", len(items))
	}
	res := apply(ctx, t, b, storage.Batch{Conditions: []storage.Condition{
		{Kind: storage.MustExist, Bucket: "e", Key: []byte("empty")},
		{Kind: storage.MustEqual, Bucket: "e", Key: []byte("nil"), Value: []byte{}},
		{Kind: storage.MustEqual, Bucket: "e", Key: []byte("empty"), Value: nil},
	}})
	if !res.Applied {
		t.Errorf("conditions on empty values = %+v, want applied", res)
	}
}

func testBuckets(ctx context.Context, t *testing.T, b storage.Backend) {
	// Names and keys that collide if a backend joins bucket and key with a
	// separator, or compares names by prefix.
	put(ctx, t, b, "a", kv("b/c", "a:b/c"), kv("k", "a:k"))
	put(ctx, t, b, "a/b", kv("c", "a/b:c"), kv("k", "a/b:k"))
	put(ctx, t, b, "a\x00", kv("k", "a0:k"))
	put(ctx, t, b, "ab", kv("k", "ab:k"))
	wantValues(ctx, t, b, "a", map[string][]byte{"b/c": []byte("a:b/c"), "k": []byte("a:k"), "c": nil})
	wantValues(ctx, t, b, "a/b", map[string][]byte{"c": []byte("a/b:c"), "k": []byte("a/b:k"), "b/c": nil})
	for bucket, want := range map[string][]storage.KV{
		"a":     {kv("b/c", "a:b/c"), kv("k", "a:k")},
		"a/b":   {kv("c", "a/b:c"), kv("k", "a/b:k")},
		"a\x00": {kv("k", "a0:k")},
		"ab":    {kv("k", "ab:k")},
	} {
		for _, reverse := range []bool{false, true} {
			got, _ := scanPages(ctx, t, b, storage.ScanRequest{Bucket: bucket, Reverse: reverse})
			if reverse {
				want = slices.Clone(want)
				slices.Reverse(want)
			}
			if d := diffItems(got, want); d != "" {
				t.Errorf("Scan(bucket=%q reverse=%v): %s", bucket, reverse, d)
			}
		}
	}
	res := apply(ctx, t, b, storage.Batch{Ops: []storage.Op{{Kind: storage.DeletePrefix, Bucket: "a"}}})
	if !res.Applied {
		t.Fatalf("Apply() = %+v, want applied", res)
	}
	wantValues(ctx, t, b, "a", map[string][]byte{"b/c": nil, "k": nil})
	wantValues(ctx, t, b, "a/b", map[string][]byte{"c": []byte("a/b:c"), "k": []byte("a/b:k")})
	wantValues(ctx, t, b, "ab", map[string][]byte{"k": []byte("ab:k")})
}

// binaryKeys are keys whose order a string-based or text-based backend
// gets wrong.
var binaryKeys = []string{
	"\x00", "\x00\x00", "\x00\x01", "\x00\xff", "\x01", "\x7f", "\x80", "\xfe", "\xff", "\xff\x00", "\xff\xff",
	"\xff\xff\xff", "a", "a\x00", "a\x00\x00", "a\x01", "a\xff", "a\xff\xff", "ab", "b", "B", "\xc3\xa9",
}

func testBinaryKeys(ctx context.Context, t *testing.T, b storage.Backend) {
	var all []storage.KV
	for i, k := range binaryKeys {
		all = append(all, storage.KV{Key: []byte(k), Value: []byte{byte(i), 0, 0xff}})
	}
	put(ctx, t, b, "bin", all...)
	all = sortedKVs(all)
	for _, it := range all {
		if v := get(ctx, t, b, "bin", string(it.Key))[0]; !bytes.Equal(v, it.Value) {
			t.Errorf("Get(%q) = %q, want %q", it.Key, v, it.Value)
		}
	}
	for _, req := range []storage.ScanRequest{
		{Bucket: "bin"}, {Bucket: "bin", Reverse: true},
		{Bucket: "bin", Limit: 1}, {Bucket: "bin", Limit: 2, Reverse: true},
		{Bucket: "bin", Prefix: []byte{0xff}}, {Bucket: "bin", Prefix: []byte{0xff}, Reverse: true},
		{Bucket: "bin", Prefix: []byte{0xff, 0xff}, Limit: 1, Reverse: true},
		{Bucket: "bin", Prefix: []byte{0}}, {Bucket: "bin", Prefix: []byte{0}, Reverse: true, Limit: 1},
		{Bucket: "bin", Start: []byte{0xff}}, {Bucket: "bin", End: []byte{0, 0}},
	} {
		got, _ := scanPages(ctx, t, b, req)
		if d := diffItems(got, expectScan(all, req)); d != "" {
			t.Errorf("Scan(%s): %s", fmtScan(req), d)
		}
	}
}

func testScanRanges(ctx context.Context, t *testing.T, b storage.Backend) {
	keys := []string{"a", "a\x00", "a\x01", "aa", "ab", "abc", "ac", "b", "b\x00", "ba", "bb", "c", "z", "\xff", "\xff\xff"}
	for i := range 40 {
		keys = append(keys, fmt.Sprintf("k/%03d", i))
	}
	var all []storage.KV
	for _, k := range keys {
		all = append(all, kv(k, "v:"+k))
	}
	put(ctx, t, b, "r", all...)
	all = sortedKVs(all)
	bs := func(s string) []byte { return []byte(s) }
	cases := map[string]storage.ScanRequest{
		"the whole bucket":                       {},
		"a prefix":                               {Prefix: bs("a")},
		"a prefix that is a whole key":           {Prefix: bs("ab")},
		"a prefix of 0xff bytes":                 {Prefix: bs("\xff")},
		"a prefix matching nothing":              {Prefix: bs("zz")},
		"an inclusive start":                     {Start: bs("ab")},
		"a start between keys":                   {Start: bs("ab\x00")},
		"an exclusive end":                       {End: bs("b")},
		"an end between keys":                    {End: bs("a\x00\x00")},
		"a start and an end":                     {Start: bs("a\x01"), End: bs("ba")},
		"a start after the end":                  {Start: bs("c"), End: bs("a")},
		"a start equal to the end":               {Start: bs("b"), End: bs("b")},
		"a prefix and a start inside it":         {Prefix: bs("k/"), Start: bs("k/017")},
		"a prefix and a start before it":         {Prefix: bs("b"), Start: bs("a")},
		"a prefix and a start past it":           {Prefix: bs("a"), Start: bs("b")},
		"a prefix and an end inside it":          {Prefix: bs("k/"), End: bs("k/02")},
		"a prefix and an end past it":            {Prefix: bs("a"), End: bs("z")},
		"a prefix and an end before it":          {Prefix: bs("b"), End: bs("a")},
		"a prefix, a start and an end inside it": {Prefix: bs("k/0"), Start: bs("k/005"), End: bs("k/031")},
		"a limit of 1":                           {Limit: 1},
		"a limit of 7 with a prefix":             {Prefix: bs("k/"), Limit: 7},
		"a limit larger than the range":          {Prefix: bs("a"), Limit: 1000},
	}
	for name, req := range cases {
		t.Run(name, func(t *testing.T) {
			for _, reverse := range []bool{false, true} {
				req.Bucket, req.Reverse = "r", reverse
				want := expectScan(all, req)
				// The first page: a start of the range, with More set
				// exactly when items are left.
				res, err := b.Scan(ctx, req)
				if err != nil {
					t.Fatalf("Scan(%s) error = %v", fmtScan(req), err)
				}
				if len(res.Items) > len(want) || (len(want) > 0 && len(res.Items) == 0) {
					t.Fatalf("Scan(%s) first page has %d items; the range has %d", fmtScan(req), len(res.Items), len(want))
				}
				if d := diffItems(res.Items, want[:len(res.Items)]); d != "" {
					t.Errorf("Scan(%s) first page: %s", fmtScan(req), d)
				}
				if more := len(res.Items) < len(want); res.More != more {
					t.Errorf("Scan(%s) first page: More = %v with %d of %d items", fmtScan(req), res.More, len(res.Items), len(want))
				}
				got, _ := scanPages(ctx, t, b, req)
				if d := diffItems(got, want); d != "" {
					t.Errorf("Scan(%s) all pages: %s", fmtScan(req), d)
				}
			}
		})
	}
}

func testPaging(ctx context.Context, t *testing.T, b storage.Backend) {
	// 5,000 binary keys, and for some of them the key plus 0x00 or 0xff:
	// the continue rules must neither skip nor repeat those.
	var all []storage.KV
	for i := range 5000 {
		k := []byte{byte(i >> 8), byte(i), 0x00, byte(i % 3)}
		all = append(all, storage.KV{Key: k, Value: []byte(strconv.Itoa(i))})
		if i%7 == 0 {
			all = append(all, storage.KV{Key: append(slices.Clip(k), 0x00), Value: []byte(strconv.Itoa(i) + "+00")})
		}
		if i%11 == 0 {
			all = append(all, storage.KV{Key: append(slices.Clip(k), 0xff, 0x00), Value: []byte(strconv.Itoa(i) + "+ff")})
		}
	}
	for chunk := range slices.Chunk(all, 1000) {
		put(ctx, t, b, "pages", chunk...)
	}
	all = sortedKVs(all)
	for _, req := range []storage.ScanRequest{
		{}, {Limit: 1000}, {Limit: 1001}, {Limit: 333}, {Limit: 7}, {Prefix: []byte{0x05}, Limit: 10},
		{Start: []byte{0x02}, End: []byte{0x10, 0x40}, Limit: 100},
	} {
		for _, reverse := range []bool{false, true} {
			req.Bucket, req.Reverse = "pages", reverse
			got, pages := scanPages(ctx, t, b, req)
			want := expectScan(all, req)
			if d := diffItems(got, want); d != "" {
				t.Errorf("Scan(%s) over %d pages: %s", fmtScan(req), pages, d)
			}
		}
	}
}

func testDeletePrefix(ctx context.Context, t *testing.T, b storage.Backend) {
	var items []storage.KV
	// Interleaved keys with and without the prefix, many of them, so that
	// a backend deleting while it iterates is caught skipping keys.
	for i := range 2000 {
		items = append(items, kv(fmt.Sprintf("x/%04d", i), "x"), kv(fmt.Sprintf("x%04d", i), "y"))
	}
	items = append(items, kv("x", "x"), kv("x/", "x/"), kv("w", "w"),
		storage.KV{Key: []byte{0xff}, Value: []byte("ff")}, storage.KV{Key: []byte{0xff, 0x00}, Value: []byte("ff00")},
		storage.KV{Key: []byte{0xff, 0xff}, Value: []byte("ffff")}, storage.KV{Key: []byte{0xfe, 0xff}, Value: []byte("feff")})
	put(ctx, t, b, "dp", items...)
	put(ctx, t, b, "other", kv("x/1", "kept"))

	res := apply(ctx, t, b, storage.Batch{Ops: []storage.Op{
		{Kind: storage.DeletePrefix, Bucket: "dp", Key: []byte("x/")},
		{Kind: storage.DeletePrefix, Bucket: "dp", Key: []byte{0xff}},
		{Kind: storage.DeletePrefix, Bucket: "no-such-bucket", Key: []byte("x")},
	}})
	if !res.Applied {
		t.Fatalf("Apply() = %+v, want applied", res)
	}
	var want []storage.KV
	for _, it := range items {
		if !bytes.HasPrefix(it.Key, []byte("x/")) && !bytes.HasPrefix(it.Key, []byte{0xff}) {
			want = append(want, it)
		}
	}
	got, _ := scanPages(ctx, t, b, storage.ScanRequest{Bucket: "dp"})
	if d := diffItems(got, sortedKVs(want)); d != "" {
		t.Errorf("after DeletePrefix: %s", d)
	}
	wantValues(ctx, t, b, "other", map[string][]byte{"x/1": []byte("kept")})

	// An empty prefix empties the bucket, and the bucket stays usable.
	res = apply(ctx, t, b, storage.Batch{Ops: []storage.Op{
		{Kind: storage.DeletePrefix, Bucket: "dp"},
		{Kind: storage.Put, Bucket: "dp", Key: []byte("after"), Value: []byte("1")},
	}})
	if !res.Applied {
		t.Fatalf("Apply() = %+v, want applied", res)
	}
	got, _ = scanPages(ctx, t, b, storage.ScanRequest{Bucket: "dp"})
	if d := diffItems(got, []storage.KV{kv("after", "1")}); d != "" {
		t.Errorf("after DeletePrefix of everything and a put: %s", d)
	}
	wantValues(ctx, t, b, "other", map[string][]byte{"x/1": []byte("kept")})
}

func testOpOrder(ctx context.Context, t *testing.T, b storage.Backend) {
	put(ctx, t, b, "o", kv("d/old", "old"))
	op := func(kind storage.OpKind, k, v string) storage.Op {
		o := storage.Op{Kind: kind, Bucket: "o", Key: []byte(k)}
		if kind == storage.Put {
			o.Value = []byte(v)
		}
		return o
	}
	res := apply(ctx, t, b, storage.Batch{Ops: []storage.Op{
		op(storage.Put, "twice", "1"), op(storage.Put, "twice", "2"),
		op(storage.Put, "put-then-delete", "1"), op(storage.Delete, "put-then-delete", ""),
		op(storage.Delete, "delete-then-put", ""), op(storage.Put, "delete-then-put", "1"),
		op(storage.Put, "d/1", "1"), op(storage.DeletePrefix, "d/", ""), op(storage.Put, "d/2", "2"),
	}})
	if !res.Applied {
		t.Fatalf("Apply() = %+v, want applied", res)
	}
	wantValues(ctx, t, b, "o", map[string][]byte{
		"twice": []byte("2"), "put-then-delete": nil, "delete-then-put": []byte("1"),
		"d/old": nil, "d/1": nil, "d/2": []byte("2"),
	})
}

func testConditions(ctx context.Context, t *testing.T, b storage.Backend) {
	cond := func(kind storage.ConditionKind, bucket, key string, value ...string) storage.Condition {
		c := storage.Condition{Kind: kind, Bucket: bucket, Key: []byte(key)}
		if len(value) > 0 {
			c.Value = []byte(value[0])
		}
		return c
	}
	const (
		exist    = storage.MustExist
		notExist = storage.MustNotExist
		equal    = storage.MustEqual
	)
	cases := map[string]struct {
		conds      []storage.Condition
		wantFailed int // -1: applied
	}{
		"no conditions":                          {nil, -1},
		"must exist on a present key":            {[]storage.Condition{cond(exist, "c", "present")}, -1},
		"must exist on a missing key":            {[]storage.Condition{cond(exist, "c", "missing")}, 0},
		"must exist in a missing bucket":         {[]storage.Condition{cond(exist, "no-such-bucket", "present")}, 0},
		"must exist on an empty value":           {[]storage.Condition{cond(exist, "c", "empty")}, -1},
		"must not exist on a missing key":        {[]storage.Condition{cond(notExist, "c", "missing")}, -1},
		"must not exist in a missing bucket":     {[]storage.Condition{cond(notExist, "no-such-bucket", "x")}, -1},
		"must not exist on a present key":        {[]storage.Condition{cond(notExist, "c", "present")}, 0},
		"must not exist on an empty value":       {[]storage.Condition{cond(notExist, "c", "empty")}, 0},
		"must equal the value":                   {[]storage.Condition{cond(equal, "c", "present", "value")}, -1},
		"must equal another value":               {[]storage.Condition{cond(equal, "c", "present", "other")}, 0},
		"must equal a prefix of the value":       {[]storage.Condition{cond(equal, "c", "present", "val")}, 0},
		"must equal a longer value":              {[]storage.Condition{cond(equal, "c", "present", "value\x00")}, 0},
		"must equal on a missing key":            {[]storage.Condition{cond(equal, "c", "missing", "")}, 0},
		"must equal an empty value":              {[]storage.Condition{cond(equal, "c", "empty", "")}, -1},
		"all of several conditions hold":         {[]storage.Condition{cond(exist, "c", "present"), cond(notExist, "c", "missing"), cond(equal, "c", "empty", "")}, -1},
		"the second of three conditions fails":   {[]storage.Condition{cond(exist, "c", "present"), cond(exist, "c", "missing"), cond(notExist, "c", "missing")}, 1},
		"the first failing condition is counted": {[]storage.Condition{cond(exist, "c", "present"), cond(equal, "c", "present", "x"), cond(exist, "c", "missing")}, 1},
		"the last of three conditions fails":     {[]storage.Condition{cond(exist, "c", "present"), cond(notExist, "c", "missing"), cond(notExist, "c", "empty")}, 2},
	}
	put(ctx, t, b, "c", kv("present", "value"), storage.KV{Key: []byte("empty"), Value: []byte{}})
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			// Each case writes under its own name, and would delete the
			// keys the conditions look at: a failed batch must do neither.
			marker := "written/" + name
			batch := storage.Batch{Conditions: tc.conds, Ops: []storage.Op{
				{Kind: storage.Put, Bucket: "c", Key: []byte(marker), Value: []byte("1")},
				{Kind: storage.Put, Bucket: "c-other/" + name, Key: []byte("k"), Value: []byte("1")},
			}}
			if tc.wantFailed >= 0 {
				batch.Ops = append(batch.Ops,
					storage.Op{Kind: storage.Delete, Bucket: "c", Key: []byte("present")},
					storage.Op{Kind: storage.DeletePrefix, Bucket: "c", Key: []byte("e")})
			}
			res := apply(ctx, t, b, batch)
			if tc.wantFailed < 0 {
				if !res.Applied {
					t.Fatalf("Apply() = %+v, want applied", res)
				}
				wantValues(ctx, t, b, "c", map[string][]byte{marker: []byte("1")})
				wantValues(ctx, t, b, "c-other/"+name, map[string][]byte{"k": []byte("1")})
				return
			}
			if res.Applied || res.FailedCondition != tc.wantFailed {
				t.Fatalf("Apply() = %+v, want not applied with FailedCondition %d", res, tc.wantFailed)
			}
			wantValues(ctx, t, b, "c", map[string][]byte{marker: nil, "present": []byte("value"), "empty": {}})
			wantValues(ctx, t, b, "c-other/"+name, map[string][]byte{"k": nil})
		})
	}

	t.Run("conditions see the store before the batch", func(t *testing.T) {
		batch := storage.Batch{
			Conditions: []storage.Condition{cond(notExist, "c-once", "k")},
			Ops:        []storage.Op{{Kind: storage.Put, Bucket: "c-once", Key: []byte("k"), Value: []byte("1")}},
		}
		if res := apply(ctx, t, b, batch); !res.Applied {
			t.Fatalf("first Apply() = %+v, want applied", res)
		}
		if res := apply(ctx, t, b, batch); res.Applied || res.FailedCondition != 0 {
			t.Fatalf("second Apply() = %+v, want not applied with FailedCondition 0", res)
		}
	})
}

func testCAS(ctx context.Context, t *testing.T, b storage.Backend) {
	const workers, increments = 8, 25
	key := []byte("counter")
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Go(func() {
			for done := 0; done < increments; {
				vals, err := b.Get(ctx, "cas", [][]byte{key})
				if err != nil {
					errs <- fmt.Errorf("Get() error = %w", err)
					return
				}
				c := storage.Condition{Kind: storage.MustNotExist, Bucket: "cas", Key: key}
				n := 0
				if vals[0] != nil {
					c = storage.Condition{Kind: storage.MustEqual, Bucket: "cas", Key: key, Value: vals[0]}
					if n, err = strconv.Atoi(string(vals[0])); err != nil {
						errs <- fmt.Errorf("counter holds %q", vals[0])
						return
					}
				}
				res, err := b.Apply(ctx, storage.Batch{
					Conditions: []storage.Condition{c},
					Ops:        []storage.Op{{Kind: storage.Put, Bucket: "cas", Key: key, Value: []byte(strconv.Itoa(n + 1))}},
				})
				if err != nil {
					errs <- fmt.Errorf("Apply() error = %w", err)
					return
				}
				if res.Applied {
					done++
				} else if res.FailedCondition != 0 {
					errs <- fmt.Errorf("Apply() = %+v, want FailedCondition 0", res)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	wantValues(ctx, t, b, "cas", map[string][]byte{"counter": []byte(strconv.Itoa(workers * increments))})
}

func testAtomicReads(ctx context.Context, t *testing.T, b storage.Backend) {
	const keys, batches = 20, 150
	names := make([]string, keys)
	for i := range names {
		names[i] = fmt.Sprintf("k%02d", i)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	report := func(err error) {
		select {
		case errs <- err:
		default:
		}
		cancel()
	}
	writing := make(chan struct{})
	wg.Go(func() {
		defer close(writing)
		for n := range batches {
			batch := storage.Batch{}
			for _, k := range names {
				batch.Ops = append(batch.Ops, storage.Op{Kind: storage.Put, Bucket: "atomic", Key: []byte(k), Value: []byte(strconv.Itoa(n))})
			}
			if _, err := b.Apply(ctx, batch); err != nil {
				report(fmt.Errorf("Apply() error = %w", err))
				return
			}
		}
	})
	same := func(what string, vals [][]byte) error {
		for _, v := range vals[1:] {
			if !bytes.Equal(v, vals[0]) {
				return fmt.Errorf("%s saw half a batch: %q", what, vals)
			}
		}
		return nil
	}
	for range 2 {
		wg.Go(func() {
			ks := make([][]byte, keys)
			for i, k := range names {
				ks[i] = []byte(k)
			}
			for {
				select {
				case <-writing:
					return
				default:
				}
				vals, err := b.Get(ctx, "atomic", ks)
				if err == nil {
					err = same("Get()", vals)
				}
				if err != nil {
					report(err)
					return
				}
				res, err := b.Scan(ctx, storage.ScanRequest{Bucket: "atomic", Limit: keys})
				if err == nil && len(res.Items) > 0 {
					vals := make([][]byte, len(res.Items))
					for i, it := range res.Items {
						vals[i] = it.Value
					}
					err = same("Scan()", vals)
				}
				if err != nil {
					report(err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func nextID(ctx context.Context, t *testing.T, b storage.Backend, collection string, count, atLeast uint64) uint64 {
	t.Helper()
	id, err := b.NextID(ctx, collection, count, atLeast)
	if err != nil {
		t.Fatalf("NextID(%q, %d, %d) error = %v", collection, count, atLeast, err)
	}
	return id
}

func testNextIDConcurrent(ctx context.Context, t *testing.T, b storage.Backend) {
	for _, c := range []string{"tasks", "projects"} {
		if id := nextID(ctx, t, b, c, 1, 0); id != 1 {
			t.Errorf("first NextID(%q, 1, 0) = %d, want 1", c, id)
		}
	}
	const workers, calls = 8, 40
	type span struct{ first, count uint64 }
	var (
		mu    sync.Mutex
		spans []span
		wg    sync.WaitGroup
	)
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			for i := range calls {
				count := uint64((w+i)%5 + 1) // 1 to 5 ids
				first, err := b.NextID(ctx, "tasks", count, 0)
				if err != nil {
					errs <- fmt.Errorf("NextID() error = %w", err)
					return
				}
				mu.Lock()
				spans = append(spans, span{first, count})
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	slices.SortFunc(spans, func(a, b span) int { return cmpUint(a.first, b.first) })
	prevEnd := uint64(2) // id 1 went to the first call above
	for _, s := range spans {
		if s.first < prevEnd {
			t.Fatalf("NextID returned [%d, %d), which overlaps ids handed out before %d", s.first, s.first+s.count, prevEnd)
		}
		prevEnd = s.first + s.count
	}
	if next := nextID(ctx, t, b, "tasks", 1, 0); next < prevEnd {
		t.Errorf("NextID() after the concurrent calls = %d, want at least %d", next, prevEnd)
	}
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func testNextIDArgs(ctx context.Context, t *testing.T, b storage.Backend) {
	first := nextID(ctx, t, b, "s", 10, 0)
	if first != 1 {
		t.Errorf("NextID(s, 10, 0) = %d, want 1", first)
	}
	if id := nextID(ctx, t, b, "s", 1, 0); id < 11 {
		t.Errorf("NextID(s, 1, 0) after 10 ids = %d, want at least 11", id)
	}
	if id := nextID(ctx, t, b, "s", 1, 1000); id < 1000 {
		t.Errorf("NextID(s, 1, 1000) = %d, want at least 1000", id)
	}
	if id := nextID(ctx, t, b, "s", 1, 5); id <= 1000 {
		t.Errorf("NextID(s, 1, 5) after id 1000 = %d, want more than 1000", id)
	}
	// Count 0 raises the sequence without handing out ids.
	nextID(ctx, t, b, "import", 0, 500)
	nextID(ctx, t, b, "import", 0, 100) // lower: changes nothing
	if id := nextID(ctx, t, b, "import", 1, 0); id < 500 {
		t.Errorf("NextID(import, 1, 0) after raising to 500 = %d, want at least 500", id)
	}
	// Sequences are independent of each other and of buckets.
	put(ctx, t, b, "fresh", kv("1", "x"))
	if id := nextID(ctx, t, b, "fresh", 1, 0); id != 1 {
		t.Errorf("NextID(fresh, 1, 0) = %d, want 1 (a new sequence, whatever the buckets hold)", id)
	}
}

func testNextIDOverflow(ctx context.Context, t *testing.T, b storage.Backend) {
	if id := nextID(ctx, t, b, "big", 1, math.MaxUint64-1); id != math.MaxUint64-1 {
		t.Fatalf("NextID(big, 1, max-1) = %d, want %d", id, uint64(math.MaxUint64-1))
	}
	if id, err := b.NextID(ctx, "big", 2, 0); err == nil {
		t.Fatalf("NextID(big, 2, 0) past the largest id = %d, want an error", id)
	}
	if id := nextID(ctx, t, b, "big", 1, 0); id != math.MaxUint64 {
		t.Fatalf("NextID(big, 1, 0) = %d, want %d", id, uint64(math.MaxUint64))
	}
	for _, count := range []uint64{1, 0} {
		if id, err := b.NextID(ctx, "big", count, 0); err == nil {
			t.Errorf("NextID(big, %d, 0) after the largest id = %d, want an error", count, id)
		}
	}
	if id, err := b.NextID(ctx, "huge", math.MaxUint64, 2); err == nil {
		t.Errorf("NextID(huge, max, 2) = %d, want an error (the range passes the largest id)", id)
	}
}

// randomBytes returns n bytes that depend on seed: a random block of
// 4 KiB, repeated (cheap to make and compare under the race detector).
func randomBytes(seed uint64, n int) []byte {
	block := make([]byte, 4096)
	_, _ = rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8), byte(seed >> 16), 0x5b}).Read(block)
	return bytes.Repeat(block, n/len(block)+1)[:n:n]
}

func testLargeValues(ctx context.Context, t *testing.T, b storage.Backend) {
	const size = 1 << 20
	var items []storage.KV
	for i := range 3 {
		items = append(items, storage.KV{Key: fmt.Appendf(nil, "big/%d", i), Value: randomBytes(uint64(i), size)})
	}
	put(ctx, t, b, "large", items...)
	want := map[string][]byte{}
	for _, it := range items {
		want[string(it.Key)] = it.Value
	}
	wantValues(ctx, t, b, "large", want)
	got, _ := scanPages(ctx, t, b, storage.ScanRequest{Bucket: "large", Prefix: []byte("big/")})
	if d := diffItems(got, items); d != "" {
		t.Errorf("Scan(): %s", d)
	}
}

func testMaxBatch(ctx context.Context, t *testing.T, b storage.Backend) {
	if testing.Short() {
		t.Skip("a 64 MiB batch: skipped with -short")
	}
	const bucket, n = "max", 64
	batch := storage.Batch{}
	per := storage.MaxBatchBytes / n
	for i := range n {
		k := fmt.Appendf(nil, "%02d", i)
		batch.Ops = append(batch.Ops, storage.Op{
			Kind: storage.Put, Bucket: bucket, Key: k, Value: randomBytes(uint64(100+i), per-len(k)-len(bucket)),
		})
	}
	if size := storage.BatchBytes(batch); size != storage.MaxBatchBytes {
		t.Fatalf("the test batch has %d bytes, want %d", size, storage.MaxBatchBytes)
	}
	if res := apply(ctx, t, b, batch); !res.Applied {
		t.Fatalf("Apply() = %+v, want applied", res)
	}
	var want []storage.KV
	for _, op := range batch.Ops {
		want = append(want, storage.KV{Key: op.Key, Value: op.Value})
	}
	got, _ := scanPages(ctx, t, b, storage.ScanRequest{Bucket: bucket})
	if d := diffItems(got, want); d != "" {
		t.Errorf("Scan(): %s", d)
	}
}

func testInvalid(ctx context.Context, t *testing.T, b storage.Backend) {
	long := strings.Repeat("b", storage.MaxBucketBytes+1)
	key := []byte("k")
	okPut := storage.Op{Kind: storage.Put, Bucket: "valid", Key: []byte("written"), Value: []byte("1")}
	batches := map[string]storage.Batch{
		"a put of an empty key":               {Ops: []storage.Op{okPut, {Kind: storage.Put, Bucket: "b", Value: []byte("v")}}},
		"a put of a key over MaxKeyBytes":     {Ops: []storage.Op{okPut, {Kind: storage.Put, Bucket: "b", Key: make([]byte, storage.MaxKeyBytes+1)}}},
		"a delete of an empty key":            {Ops: []storage.Op{okPut, {Kind: storage.Delete, Bucket: "b"}}},
		"an operation on an empty bucket":     {Ops: []storage.Op{okPut, {Kind: storage.Put, Key: key}}},
		"an operation on a bucket too long":   {Ops: []storage.Op{okPut, {Kind: storage.Put, Bucket: long, Key: key}}},
		"an operation of kind 0":              {Ops: []storage.Op{okPut, {Bucket: "b", Key: key}}},
		"an operation of an unknown kind":     {Ops: []storage.Op{okPut, {Kind: 99, Bucket: "b", Key: key}}},
		"an operation of a negative kind":     {Ops: []storage.Op{okPut, {Kind: -1, Bucket: "b", Key: key}}},
		"a condition on an empty key":         {Conditions: []storage.Condition{{Kind: storage.MustNotExist, Bucket: "b"}}, Ops: []storage.Op{okPut}},
		"a condition on an empty bucket":      {Conditions: []storage.Condition{{Kind: storage.MustNotExist, Key: key}}, Ops: []storage.Op{okPut}},
		"a condition of kind 0":               {Conditions: []storage.Condition{{Bucket: "b", Key: key}}, Ops: []storage.Op{okPut}},
		"a condition of an unknown kind":      {Conditions: []storage.Condition{{Kind: 42, Bucket: "b", Key: key}}, Ops: []storage.Op{okPut}},
		"a condition on a key over the limit": {Conditions: []storage.Condition{{Kind: storage.MustExist, Bucket: "b", Key: make([]byte, storage.MaxKeyBytes+1)}}, Ops: []storage.Op{okPut}},
	}
	for name, batch := range batches {
		t.Run(name, func(t *testing.T) {
			res, err := b.Apply(ctx, batch)
			if !errors.Is(err, storage.ErrInvalid) {
				t.Fatalf("Apply() = %+v, %v; want an error wrapping ErrInvalid", res, err)
			}
			wantValues(ctx, t, b, "valid", map[string][]byte{"written": nil})
		})
	}
	calls := map[string]func() error{
		"a get from an empty bucket name": func() error { _, err := b.Get(ctx, "", [][]byte{key}); return err },
		"a get from a bucket name too long": func() error {
			_, err := b.Get(ctx, long, [][]byte{key})
			return err
		},
		"a scan of an empty bucket name":     func() error { _, err := b.Scan(ctx, storage.ScanRequest{}); return err },
		"a scan of a bucket name too long":   func() error { _, err := b.Scan(ctx, storage.ScanRequest{Bucket: long}); return err },
		"a next id of an empty collection":   func() error { _, err := b.NextID(ctx, "", 1, 0); return err },
		"a next id of a collection too long": func() error { _, err := b.NextID(ctx, long, 1, 0); return err },
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			if err := call(); !errors.Is(err, storage.ErrInvalid) {
				t.Fatalf("error = %v, want one wrapping ErrInvalid", err)
			}
		})
	}
}

func testMaxLengths(ctx context.Context, t *testing.T, b storage.Backend) {
	bucket := strings.Repeat("\xff", storage.MaxBucketBytes)
	key := bytes.Repeat([]byte{0xff}, storage.MaxKeyBytes)
	put(ctx, t, b, bucket, storage.KV{Key: key, Value: []byte("v")})
	wantValues(ctx, t, b, bucket, map[string][]byte{string(key): []byte("v")})
	got, _ := scanPages(ctx, t, b, storage.ScanRequest{Bucket: bucket, Prefix: key[:1], Reverse: true})
	if d := diffItems(got, []storage.KV{{Key: key, Value: []byte("v")}}); d != "" {
		t.Errorf("Scan(): %s", d)
	}
	if id := nextID(ctx, t, b, bucket, 1, 0); id != 1 {
		t.Errorf("NextID() of a collection of %d bytes = %d, want 1", storage.MaxBucketBytes, id)
	}
}

func testHealthClose(ctx context.Context, t *testing.T, b storage.Backend) {
	if err := b.Health(ctx); err != nil {
		t.Fatalf("Health() = %v, want nil", err)
	}
	put(ctx, t, b, "h", kv("k", "v"))
	if err := b.Close(); err != nil {
		t.Fatalf("Close() = %v", err)
	}
	calls := map[string]func() error{
		"Get":    func() error { _, err := b.Get(ctx, "h", [][]byte{[]byte("k")}); return err },
		"Scan":   func() error { _, err := b.Scan(ctx, storage.ScanRequest{Bucket: "h"}); return err },
		"Apply":  func() error { _, err := b.Apply(ctx, storage.Batch{}); return err },
		"NextID": func() error { _, err := b.NextID(ctx, "h", 1, 0); return err },
		"Health": func() error { return b.Health(ctx) },
	}
	for _, name := range slices.Sorted(maps.Keys(calls)) {
		if err := calls[name](); !errors.Is(err, storage.ErrUnavailable) {
			t.Errorf("%s() after Close = %v, want an error wrapping ErrUnavailable", name, err)
		}
	}
	if err := b.Close(); err != nil {
		t.Errorf("a second Close() = %v, want nil", err)
	}
}
