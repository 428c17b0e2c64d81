package sqlstore

import (
	"math"

	"gorm.io/gorm"

	"github.com/signalbox/signalbox/core/model"
	"github.com/signalbox/signalbox/core/store"
)

// sortColumns maps the sort fields of a listing to columns.
type sortColumns map[string]string

// orderBy returns the ORDER BY of a listing: the requested field, then id
// in the same direction, so that pages are stable. An empty SortBy means
// def. Unknown fields and orders are ErrInvalid.
func orderBy(opts store.ListOptions, cols sortColumns, def string) (string, error) {
	dir := " ASC"
	switch opts.Order {
	case "", store.Asc:
	case store.Desc:
		dir = " DESC"
	default:
		return "", model.Invalidf("unknown sort order %q (want asc or desc)", opts.Order)
	}
	field := opts.SortBy
	if field == "" {
		field = def
	}
	col, ok := cols[field]
	if !ok {
		return "", model.Invalidf("cannot sort by %q", field)
	}
	if col == "id" {
		return "id" + dir, nil
	}
	return col + dir + ", id" + dir, nil
}

// page applies a limit (0: none) and an offset to a query.
func page(db *gorm.DB, limit, offset int) (*gorm.DB, error) {
	if limit < 0 || offset < 0 {
		return nil, model.Invalidf("negative limit %d or offset %d", limit, offset)
	}
	switch {
	case limit > 0:
		db = db.Limit(limit)
	case offset > 0:
		// MySQL has no OFFSET without LIMIT.
		db = db.Limit(math.MaxInt32)
	}
	if offset > 0 {
		db = db.Offset(offset)
	}
	return db, nil
}

// list runs a sorted, paged listing of rows.
func list[R any](db *gorm.DB, opts store.ListOptions, cols sortColumns, def string) ([]R, error) {
	order, err := orderBy(opts, cols, def)
	if err != nil {
		return nil, err
	}
	db, err = page(db.Order(order), opts.Limit, opts.Offset)
	if err != nil {
		return nil, err
	}
	var rows []R
	if err := db.Find(&rows).Error; err != nil {
		return nil, err
	}
	return rows, nil
}

// mapRows converts rows with f.
func mapRows[R, T any](rows []R, f func(R) T) []T {
	out := make([]T, len(rows))
	for i, r := range rows {
		out[i] = f(r)
	}
	return out
}

// newQuery starts a query on db's connection (or transaction) without its
// conditions, for a subquery.
func newQuery(db *gorm.DB) *gorm.DB { return db.Session(&gorm.Session{NewDB: true}) }
