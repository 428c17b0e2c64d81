package sqlstore

import (
	"context"
	"fmt"

	"github.com/signalbox/signalbox/core/model"
	"github.com/signalbox/signalbox/core/store"
)

// scoped implements store.ProjectScoped for a model type T stored as rows
// of type R. R's table has the columns id and project_id; every query
// filters on both, so an object of another project is not found.
type scoped[T, R any] struct {
	s *Store
	// kind names T in messages: "access key".
	kind  string
	sorts sortColumns
	// key points at T's ID and ProjectID.
	key     func(*T) (id, projectID *int64)
	toRow   func(T) R
	fromRow func(R) T
}

// scopedSorts are the sort fields every project-scoped kind has.
var scopedSorts = sortColumns{"id": "id", "name": "name"}

// withSorts returns scopedSorts plus more.
func withSorts(more sortColumns) sortColumns {
	cols := sortColumns{}
	for k, v := range scopedSorts {
		cols[k] = v
	}
	for k, v := range more {
		cols[k] = v
	}
	return cols
}

// Create inserts v and sets its ID; the ID v had is ignored.
func (c scoped[T, R]) Create(ctx context.Context, v *T) error {
	id, projectID := c.key(v)
	*id = keptID(ctx, *id)
	r := c.toRow(*v)
	if err := c.s.db(ctx).Create(&r).Error; err != nil {
		if isForeignKey(err) {
			return model.NotFoundf("project %d not found", *projectID)
		}
		return fmt.Errorf("create %s in project %d: %w", c.kind, *projectID, err)
	}
	*v = c.fromRow(r)
	return nil
}

func (c scoped[T, R]) Get(ctx context.Context, projectID, id int64) (T, error) {
	var r R
	err := c.s.db(ctx).Where("id = ? AND project_id = ?", id, projectID).Take(&r).Error
	if err != nil {
		var zero T
		if isNotFound(err) {
			return zero, model.NotFoundf("%s %d not found", c.kind, id)
		}
		return zero, fmt.Errorf("get %s %d: %w", c.kind, id, err)
	}
	return c.fromRow(r), nil
}

// List sorts by name (the default), id, or the kind's own fields.
func (c scoped[T, R]) List(ctx context.Context, projectID int64, opts store.ListOptions) ([]T, error) {
	rows, err := list[R](c.s.db(ctx).Where("project_id = ?", projectID), opts, c.sorts, "name")
	if err != nil {
		return nil, fmt.Errorf("list %ss of project %d: %w", c.kind, projectID, err)
	}
	return mapRows(rows, c.fromRow), nil
}

// Update changes every field of v but its ID and ProjectID, which find it.
func (c scoped[T, R]) Update(ctx context.Context, v T) error {
	id, projectID := c.key(&v)
	r := c.toRow(v)
	res := c.s.db(ctx).Model(&r).Where("id = ? AND project_id = ?", *id, *projectID).
		Select("*").Omit("id", "project_id").Updates(&r)
	if err := res.Error; err != nil {
		return fmt.Errorf("update %s %d: %w", c.kind, *id, err)
	}
	if res.RowsAffected == 0 {
		return model.NotFoundf("%s %d not found", c.kind, *id)
	}
	return nil
}

func (c scoped[T, R]) Delete(ctx context.Context, projectID, id int64) error {
	res := c.s.db(ctx).Where("id = ? AND project_id = ?", id, projectID).Delete(new(R))
	if err := res.Error; err != nil {
		return fmt.Errorf("delete %s %d: %w", c.kind, id, err)
	}
	if res.RowsAffected == 0 {
		return model.NotFoundf("%s %d not found", c.kind, id)
	}
	return nil
}
