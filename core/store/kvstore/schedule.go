package kvstore

import (
	"context"
	"errors"
	"time"

	"github.com/signalbox/signalbox/core/model"
	"github.com/signalbox/signalbox/core/store"
)

// Buckets of schedules, under their project like the project-scoped kinds:
//
//	schedules           project id, id → Schedule
//	schedules.id        id → project id: ClaimTick finds a schedule by id
//	schedules.template  project id, template id, id → (empty)
//	schedules.active    id → project id: the active schedules, by id
const (
	schedulesBucket     = "schedules"
	schedulesByID       = "schedules.id"
	schedulesByTemplate = "schedules.template"
	schedulesActive     = "schedules.active"
	schedulesCollection = "schedules"
)

// claimTries is how often ClaimTick tries when another server's write
// overtakes its batch.
const claimTries = 5

type schedules struct{ s *Store }

var _ store.Schedules = schedules{}

// Schedules returns the schedule store.
func (s *Store) Schedules() store.Schedules { return schedules{s} }

// write stores v and its index entries; old is what v replaces, nil for a
// new schedule.
func (ss schedules) write(ctx context.Context, old *model.Schedule, v model.Schedule) error {
	s := ss.s
	if old == nil {
		if err := s.put(ctx, schedulesByID, key(v.ID), key(v.ProjectID)); err != nil {
			return err
		}
	}
	if old == nil || old.TemplateID != v.TemplateID {
		if old != nil {
			if err := s.del(ctx, schedulesByTemplate, key(old.ProjectID, old.TemplateID, old.ID)); err != nil {
				return err
			}
		}
		if err := s.put(ctx, schedulesByTemplate, key(v.ProjectID, v.TemplateID, v.ID), nil); err != nil {
			return err
		}
	}
	switch wasActive := old != nil && old.Active; {
	case v.Active && !wasActive:
		if err := s.put(ctx, schedulesActive, key(v.ID), key(v.ProjectID)); err != nil {
			return err
		}
	case !v.Active && wasActive:
		if err := s.del(ctx, schedulesActive, key(v.ID)); err != nil {
			return err
		}
	}
	return putDoc(ctx, s, schedulesBucket, key(v.ProjectID, v.ID), v)
}

// remove deletes v and its index entries.
func (ss schedules) remove(ctx context.Context, v model.Schedule) error {
	s := ss.s
	for _, d := range []struct {
		bucket string
		key    []byte
	}{
		{schedulesActive, key(v.ID)},
		{schedulesByTemplate, key(v.ProjectID, v.TemplateID, v.ID)},
		{schedulesByID, key(v.ID)},
		{schedulesBucket, key(v.ProjectID, v.ID)},
	} {
		if err := s.del(ctx, d.bucket, d.key); err != nil {
			return err
		}
	}
	return nil
}

// Create inserts s and sets its ID; s.LastFired is ignored. The template
// must exist in the project.
func (ss schedules) Create(ctx context.Context, sc *model.Schedule) error {
	v := *sc
	v.LastFired, v.RunAt = nil, storeTimePtr(v.RunAt)
	err := ss.s.update(ctx, func(ctx context.Context) error {
		if _, err := ss.s.Templates().Get(ctx, v.ProjectID, v.TemplateID); err != nil {
			if errors.Is(err, model.ErrNotFound) {
				return model.NotFoundf("project %d or template %d not found", v.ProjectID, v.TemplateID)
			}
			return err
		}
		id, err := ss.s.nextID(ctx, schedulesCollection, v.ID)
		if err != nil {
			return err
		}
		v.ID = id
		if err := ss.s.mustBeNew(ctx, schedulesBucket, key(v.ProjectID, id), "schedule", id); err != nil {
			return err
		}
		return ss.write(ctx, nil, v)
	})
	if err != nil {
		return annotate(err, "create schedule in project %d", sc.ProjectID)
	}
	*sc = v
	return nil
}

func (ss schedules) Get(ctx context.Context, projectID, id int64) (model.Schedule, error) {
	v, ok, err := getDoc[model.Schedule](ctx, ss.s, schedulesBucket, key(projectID, id))
	if err != nil {
		return v, annotate(err, "get schedule %d", id)
	}
	if !ok {
		return v, model.NotFoundf("schedule %d not found", id)
	}
	return v, nil
}

// List returns a project's schedules (a template's, for a templateID
// other than 0) by id.
func (ss schedules) List(ctx context.Context, projectID, templateID int64) ([]model.Schedule, error) {
	var out []model.Schedule
	var err error
	if templateID == 0 {
		out, err = listDocs[model.Schedule](ctx, ss.s, scanRange{bucket: schedulesBucket, prefix: key(projectID)})
	} else {
		out, err = ss.s.schedulesAt(ctx, scanRange{bucket: schedulesByTemplate, prefix: key(projectID, templateID)},
			func(k, _ []byte) []byte { return key(projectID, lastID(k)) })
	}
	if err != nil {
		return nil, annotate(err, "list schedules of project %d", projectID)
	}
	if out == nil {
		out = []model.Schedule{}
	}
	return out, nil
}

// schedulesAt reads the schedules an index range points at, in its order;
// docKey gives the document key of an index entry.
func (s *Store) schedulesAt(ctx context.Context, r scanRange, docKey func(k, v []byte) []byte) ([]model.Schedule, error) {
	var keys [][]byte
	err := s.scan(ctx, r, 0, func(k, v []byte) error {
		keys = append(keys, docKey(k, v))
		return nil
	})
	if err != nil {
		return nil, err
	}
	vals, err := s.getMany(ctx, schedulesBucket, keys)
	if err != nil {
		return nil, err
	}
	out := make([]model.Schedule, 0, len(vals))
	for _, raw := range vals {
		if raw == nil {
			continue
		}
		v, err := decode[model.Schedule](schedulesBucket, raw)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// Update changes every field but ID, ProjectID and LastFired; a new
// template must exist in the project.
func (ss schedules) Update(ctx context.Context, sc model.Schedule) error {
	err := ss.s.update(ctx, func(ctx context.Context) error {
		old, err := ss.Get(ctx, sc.ProjectID, sc.ID)
		if err != nil {
			return err
		}
		if sc.TemplateID != old.TemplateID {
			if _, err := ss.s.Templates().Get(ctx, sc.ProjectID, sc.TemplateID); err != nil {
				return err
			}
		}
		v := old
		v.TemplateID, v.Name, v.Type, v.CronFormat, v.RunAt, v.Active =
			sc.TemplateID, sc.Name, sc.Type, sc.CronFormat, storeTimePtr(sc.RunAt), sc.Active
		return ss.write(ctx, &old, v)
	})
	return annotate(err, "update schedule %d", sc.ID)
}

func (ss schedules) Delete(ctx context.Context, projectID, id int64) error {
	err := ss.s.update(ctx, func(ctx context.Context) error {
		v, err := ss.Get(ctx, projectID, id)
		if err != nil {
			return err
		}
		return ss.remove(ctx, v)
	})
	return annotate(err, "delete schedule %d", id)
}

// DeleteByTemplate removes a template's schedules and says how many.
func (ss schedules) DeleteByTemplate(ctx context.Context, projectID, templateID int64) (int64, error) {
	var n int64
	err := ss.s.update(ctx, func(ctx context.Context) error {
		list, err := ss.List(ctx, projectID, templateID)
		if err != nil {
			return err
		}
		for _, v := range list {
			if err := ss.remove(ctx, v); err != nil {
				return err
			}
		}
		n = int64(len(list))
		return nil
	})
	if err != nil {
		return 0, annotate(err, "delete schedules of template %d", templateID)
	}
	return n, nil
}

// ListActive returns the active schedules of every project, by id.
func (ss schedules) ListActive(ctx context.Context) ([]model.Schedule, error) {
	// The entries are id → project id.
	out, err := ss.s.schedulesAt(ctx, scanRange{bucket: schedulesActive}, func(k, v []byte) []byte { return key(lastID(v), lastID(k)) })
	if err != nil {
		return nil, annotate(err, "list active schedules")
	}
	return out, nil
}

// ClaimTick reads and writes the schedule in one transaction: the batch
// requires the schedule as read, so of several servers claiming the same
// tick at once one batch applies; the others try again, and find the tick
// taken.
func (ss schedules) ClaimTick(ctx context.Context, id int64, tick time.Time, deactivate bool) (bool, error) {
	at := storeTime(tick)
	var ok bool
	claim := func(ctx context.Context) error {
		ok = false
		raw, found, err := ss.s.get(ctx, schedulesByID, key(id))
		if err != nil || !found {
			return err
		}
		old, err := ss.Get(ctx, lastID(raw), id)
		if err != nil {
			if errors.Is(err, model.ErrNotFound) {
				return nil
			}
			return err
		}
		if !old.Active || (old.LastFired != nil && !old.LastFired.Before(at)) {
			return nil
		}
		v := old
		v.LastFired = &at
		if deactivate {
			v.Active = false
		}
		ok = true
		return ss.write(ctx, &old, v)
	}
	var err error
	for range claimTries {
		err = ss.s.update(ctx, claim)
		// Inside the caller's transaction, its commit decides.
		if !errors.Is(err, model.ErrConflict) || ss.s.txOf(ctx) != nil {
			break
		}
	}
	if err != nil {
		return false, annotate(err, "claim tick %s of schedule %d", at.Format(time.RFC3339), id)
	}
	return ok, nil
}

// deleteProjectSchedules removes a project's schedules.
func (s *Store) deleteProjectSchedules(ctx context.Context, projectID int64) error {
	list, err := listDocs[model.Schedule](ctx, s, scanRange{bucket: schedulesBucket, prefix: key(projectID)})
	if err != nil {
		return err
	}
	for _, v := range list {
		if err := s.del(ctx, schedulesActive, key(v.ID)); err != nil {
			return err
		}
		if err := s.del(ctx, schedulesByID, key(v.ID)); err != nil {
			return err
		}
	}
	for _, b := range []string{schedulesBucket, schedulesByTemplate} {
		if err := s.delPrefix(ctx, b, key(projectID)); err != nil {
			return err
		}
	}
	return nil
}
