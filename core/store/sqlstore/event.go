package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/signalbox/signalbox/core/model"
	"github.com/signalbox/signalbox/core/store"
)

// eventRow is a row of events.
type eventRow struct {
	ID          int64     `gorm:"column:id;primaryKey"`
	ProjectID   *int64    `gorm:"column:project_id"`
	UserID      *int64    `gorm:"column:user_id"`
	ObjectType  string    `gorm:"column:object_type"`
	ObjectID    *int64    `gorm:"column:object_id"`
	Description string    `gorm:"column:description"`
	Created     time.Time `gorm:"column:created"`
}

func (eventRow) TableName() string { return "events" }

func (r eventRow) model() model.Event {
	return model.Event{ID: r.ID, ProjectID: r.ProjectID, UserID: r.UserID, ObjectType: r.ObjectType,
		ObjectID: r.ObjectID, Description: r.Description, Created: modelTime(r.Created)}
}

// events implements store.Events.
type events struct{ s *Store }

var _ store.Events = events{}

func (es events) Create(ctx context.Context, e *model.Event) error {
	e.Created = nowOr(e.Created)
	r := eventRow{ID: keptID(ctx, e.ID), ProjectID: e.ProjectID, UserID: e.UserID, ObjectType: e.ObjectType, ObjectID: e.ObjectID,
		Description: e.Description, Created: dbTime(e.Created)}
	if err := es.s.db(ctx).Create(&r).Error; err != nil {
		return fmt.Errorf("create event: %w", err)
	}
	*e = r.model()
	return nil
}

func (es events) List(ctx context.Context, f store.EventFilter) ([]model.Event, error) {
	db := es.s.db(ctx)
	if f.ProjectID != 0 {
		db = db.Where("project_id = ?", f.ProjectID)
	}
	if f.ProjectIDs != nil {
		if len(f.ProjectIDs) == 0 {
			return nil, nil
		}
		db = db.Where("project_id IN ?", f.ProjectIDs)
	}
	if f.BeforeID > 0 {
		db = db.Where("id < ?", f.BeforeID)
	}
	if f.Limit > 0 {
		db = db.Limit(f.Limit)
	}
	var rows []eventRow
	if err := db.Order("id DESC").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	return mapRows(rows, eventRow.model), nil
}
