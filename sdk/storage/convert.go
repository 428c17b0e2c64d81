package storage

import (
	"math"

	storagev1 "github.com/signalbox/signalbox/sdk/internal/gen/storagev1"
)

// The conversions share the byte slices of keys and values between the Go
// types and the messages: protobuf copies them when it (un)marshals, and
// nothing else does.
//
// Bucket names are bytes on the wire: a Go string may hold any bytes, and
// a protobuf string must be UTF-8.

// names converts bucket names between string and bytes, reusing the last
// conversion: the operations of a batch mostly share a few buckets.
type names struct {
	s string
	b []byte
}

func (n *names) bytes(s string) []byte {
	if n.b == nil || s != n.s {
		n.s, n.b = s, []byte(s)
	}
	return n.b
}

func (n *names) string(b []byte) string {
	if n.b == nil || string(b) != n.s {
		n.s, n.b = string(b), b
	}
	return n.s
}

func scanRequestToProto(r ScanRequest) *storagev1.ScanRequest {
	limit := uint32(0)
	if r.Limit > 0 {
		limit = uint32(min(r.Limit, math.MaxUint32))
	}
	return &storagev1.ScanRequest{
		Bucket: []byte(r.Bucket), Prefix: r.Prefix, Start: r.Start, End: r.End,
		Reverse: r.Reverse, Limit: limit,
	}
}

func scanRequestFromProto(r *storagev1.ScanRequest) ScanRequest {
	return ScanRequest{
		Bucket: string(r.GetBucket()), Prefix: r.GetPrefix(), Start: r.GetStart(), End: r.GetEnd(),
		Reverse: r.GetReverse(), Limit: int(min(uint64(r.GetLimit()), math.MaxInt32)),
	}
}

func itemsToProto(items []KV) []*storagev1.KV {
	out := make([]*storagev1.KV, len(items))
	kvs := make([]storagev1.KV, len(items)) // one allocation for the page
	for i, it := range items {
		kvs[i].Key, kvs[i].Value = it.Key, it.Value
		out[i] = &kvs[i]
	}
	return out
}

func itemsFromProto(items []*storagev1.KV) []KV {
	out := make([]KV, len(items))
	for i, it := range items {
		out[i] = KV{Key: it.GetKey(), Value: present(it.GetValue())}
	}
	return out
}

// present returns v, or an empty slice for nil: protobuf drops empty
// values, and a present key has a non-nil value.
func present(v []byte) []byte {
	if v == nil {
		return []byte{}
	}
	return v
}

func valuesToProto(vals [][]byte) []*storagev1.Value {
	out := make([]*storagev1.Value, len(vals))
	msgs := make([]storagev1.Value, len(vals))
	for i, v := range vals {
		msgs[i].Found, msgs[i].Data = v != nil, v
		out[i] = &msgs[i]
	}
	return out
}

func valuesFromProto(vals []*storagev1.Value) [][]byte {
	out := make([][]byte, len(vals))
	for i, v := range vals {
		if v.GetFound() {
			out[i] = present(v.GetData())
		}
	}
	return out
}

func batchToProto(b Batch) *storagev1.ApplyRequest {
	req := &storagev1.ApplyRequest{
		Conditions: make([]*storagev1.Condition, len(b.Conditions)),
		Ops:        make([]*storagev1.Op, len(b.Ops)),
	}
	var n names
	conds := make([]storagev1.Condition, len(b.Conditions))
	for i, c := range b.Conditions {
		conds[i].Kind = storagev1.ConditionKind(clampKind(int(c.Kind)))
		conds[i].Bucket, conds[i].Key, conds[i].Value = n.bytes(c.Bucket), c.Key, c.Value
		req.Conditions[i] = &conds[i]
	}
	ops := make([]storagev1.Op, len(b.Ops))
	for i, op := range b.Ops {
		ops[i].Kind = storagev1.OpKind(clampKind(int(op.Kind)))
		ops[i].Bucket, ops[i].Key, ops[i].Value = n.bytes(op.Bucket), op.Key, op.Value
		req.Ops[i] = &ops[i]
	}
	return req
}

// clampKind keeps an out-of-range kind out of range on the wire (enums are
// int32), so that the plugin refuses it rather than see a valid one.
func clampKind(k int) int32 {
	if k < 0 || k > math.MaxInt32 {
		return -1
	}
	return int32(k)
}

func batchFromProto(r *storagev1.ApplyRequest) Batch {
	b := Batch{
		Conditions: make([]Condition, len(r.GetConditions())),
		Ops:        make([]Op, len(r.GetOps())),
	}
	var n names
	for i, c := range r.GetConditions() {
		b.Conditions[i] = Condition{
			Kind: ConditionKind(c.GetKind()), Bucket: n.string(c.GetBucket()), Key: c.GetKey(), Value: c.GetValue(),
		}
	}
	for i, op := range r.GetOps() {
		b.Ops[i] = Op{Kind: OpKind(op.GetKind()), Bucket: n.string(op.GetBucket()), Key: op.GetKey(), Value: op.GetValue()}
	}
	return b
}
