package store

import (
	"context"

	"github.com/signalbox/signalbox/core/model"
)

// EventFilter selects events, newest first.
type EventFilter struct {
	// ProjectID limits the events to one project; 0 means any.
	ProjectID int64
	// ProjectIDs limits the events to these projects; nil means no limit
	// (an empty, non-nil list matches nothing).
	ProjectIDs []int64
	// BeforeID pages backwards.
	BeforeID int64
	Limit    int
}

// Events stores the event log.
type Events interface {
	Create(ctx context.Context, e *model.Event) error
	List(ctx context.Context, f EventFilter) ([]model.Event, error)
}
