package kvstore

import (
	"cmp"
	"slices"

	"github.com/signalbox/signalbox/core/model"
	"github.com/signalbox/signalbox/core/store"
)

// sorts maps the sort fields of a listing to the value to sort by: a
// string, an int64, an int or a bool.
type sorts[T any] map[string]func(T) any

// with returns s plus more.
func (s sorts[T]) with(more sorts[T]) sorts[T] {
	out := sorts[T]{}
	for k, v := range s {
		out[k] = v
	}
	for k, v := range more {
		out[k] = v
	}
	return out
}

func compareAny(a, b any) int {
	switch x := a.(type) {
	case string:
		return cmp.Compare(x, b.(string))
	case int64:
		return cmp.Compare(x, b.(int64))
	case int:
		return cmp.Compare(x, b.(int))
	case bool:
		y := b.(bool)
		switch {
		case x == y:
			return 0
		case !x:
			return -1
		}
		return 1
	}
	panic("kvstore: bad sort value")
}

// sortPage sorts items as the SQL stores do (the field, then id, both in
// the requested direction; def when SortBy is empty) and applies the
// limit (0: none) and offset. Unknown fields and orders are ErrInvalid.
func sortPage[T any](items []T, opts store.ListOptions, by sorts[T], def string, id func(T) int64) ([]T, error) {
	desc := false
	switch opts.Order {
	case "", store.Asc:
	case store.Desc:
		desc = true
	default:
		return nil, model.Invalidf("unknown sort order %q (want asc or desc)", opts.Order)
	}
	field := opts.SortBy
	if field == "" {
		field = def
	}
	f, ok := by[field]
	if !ok {
		return nil, model.Invalidf("cannot sort by %q", field)
	}
	if opts.Limit < 0 || opts.Offset < 0 {
		return nil, model.Invalidf("negative limit %d or offset %d", opts.Limit, opts.Offset)
	}
	slices.SortStableFunc(items, func(a, b T) int {
		c := compareAny(f(a), f(b))
		if c == 0 {
			c = cmp.Compare(id(a), id(b))
		}
		if desc {
			c = -c
		}
		return c
	})
	return page(items, opts.Limit, opts.Offset), nil
}

// page applies a limit (0: none) and an offset.
func page[T any](items []T, limit, offset int) []T {
	if offset >= len(items) {
		return []T{}
	}
	items = items[offset:]
	if limit > 0 && limit < len(items) {
		items = items[:limit]
	}
	return items
}
