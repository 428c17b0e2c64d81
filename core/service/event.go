package service

import (
	"context"
	"fmt"
	"time"

	"github.com/signalbox/signalbox/core/auth"
	"github.com/signalbox/signalbox/core/model"
	"github.com/signalbox/signalbox/core/store"
)

// event records what an actor did. It never fails the action it records:
// an event that cannot be written is logged.
func (s *Services) event(ctx context.Context, a Actor, projectID int64, objectType string, objectID int64, format string, args ...any) {
	e := model.Event{ObjectType: objectType, Description: fmt.Sprintf(format, args...), Created: time.Now().UTC()}
	if projectID != 0 {
		e.ProjectID = &projectID
	}
	if objectID != 0 {
		e.ObjectID = &objectID
	}
	if a.User.ID != 0 {
		uid := a.User.ID
		e.UserID = &uid
	}
	// Record it even if the request was cancelled meanwhile.
	if err := s.store.Events().Create(context.WithoutCancel(ctx), &e); err != nil {
		s.log.Error("record event", "object_type", objectType, "error", err)
	}
}

// who names the actor in event descriptions.
func who(a Actor) string {
	if a.User.ID == 0 {
		if a.Label != "" {
			return a.Label
		}
		return "the system"
	}
	return fmt.Sprintf("%q", a.User.Username)
}

// ListEvents lists the newest events the actor may see: a project's, or,
// with projectID 0, those of every project the actor is a member of (all
// events for admins).
func (s *Services) ListEvents(ctx context.Context, a Actor, projectID int64, limit int) ([]model.Event, error) {
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	f := store.EventFilter{ProjectID: projectID, Limit: limit}
	if projectID != 0 {
		if _, err := s.access(ctx, a, projectID, auth.PermRead); err != nil {
			return nil, err
		}
	} else if !a.User.Admin {
		ps, err := s.store.Projects().List(ctx, a.User.ID)
		if err != nil {
			return nil, err
		}
		f.ProjectIDs = make([]int64, 0, len(ps))
		for _, p := range ps {
			f.ProjectIDs = append(f.ProjectIDs, p.ID)
		}
	}
	return s.store.Events().List(ctx, f)
}
