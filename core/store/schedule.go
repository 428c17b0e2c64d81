package store

import (
	"context"
	"time"

	"github.com/signalbox/signalbox/core/model"
)

// Schedules stores the schedules that start tasks on a timetable. The
// scheduler reads the active ones and takes each tick with ClaimTick, so
// that every tick starts at most one task, on any number of servers.
type Schedules interface {
	// Create inserts s and sets its ID; s.LastFired is ignored.
	Create(ctx context.Context, s *model.Schedule) error
	Get(ctx context.Context, projectID, id int64) (model.Schedule, error)
	// List returns a project's schedules, by id; a templateID other than 0
	// limits them to that template's.
	List(ctx context.Context, projectID, templateID int64) ([]model.Schedule, error)
	// Update changes every field but ID, ProjectID and LastFired.
	Update(ctx context.Context, s model.Schedule) error
	Delete(ctx context.Context, projectID, id int64) error
	// DeleteByTemplate removes a template's schedules and says how many.
	DeleteByTemplate(ctx context.Context, projectID, templateID int64) (int64, error)
	// ListActive returns the active schedules of every project, by id.
	ListActive(ctx context.Context) ([]model.Schedule, error)
	// ClaimTick records that schedule id fired for tick: it sets LastFired
	// to tick, and with deactivate also makes the schedule inactive, only
	// if the schedule exists, is active and has not yet taken tick or a
	// later one. ok says whether this call took it.
	ClaimTick(ctx context.Context, id int64, tick time.Time, deactivate bool) (ok bool, err error)
}
