package kvstore

import (
	"cmp"
	"context"
	"slices"

	"github.com/signalbox/signalbox/core/model"
	"github.com/signalbox/signalbox/core/store"
)

// Buckets of the event log, newest first:
//
//	events          desc(id) → Event
//	events.project  project id, desc(id) → (empty): a project's events
const (
	eventsBucket     = "events"
	eventsByProject  = "events.project"
	eventsCollection = "events"
)

type events struct{ s *Store }

var _ store.Events = events{}

// Events returns the event log.
func (s *Store) Events() store.Events { return events{s} }

// lastDescID decodes the desc(id) a key ends with.
func lastDescID(k []byte) int64 { return ^lastID(k) }

// Create appends an event and sets its ID; a zero Created is now.
func (es events) Create(ctx context.Context, e *model.Event) error {
	v := *e
	v.Created = nowOr(v.Created)
	s := es.s
	err := s.update(ctx, func(ctx context.Context) error {
		id, err := s.nextID(ctx, eventsCollection, v.ID)
		if err != nil {
			return err
		}
		v.ID = id
		if err := s.mustBeNew(ctx, eventsBucket, key(descending(id)), "event", id); err != nil {
			return err
		}
		if v.ProjectID != nil {
			if err := s.put(ctx, eventsByProject, key(*v.ProjectID, descending(id)), nil); err != nil {
				return err
			}
		}
		return putDoc(ctx, s, eventsBucket, key(descending(id)), v)
	})
	if err != nil {
		return annotate(err, "create event")
	}
	*e = v
	return nil
}

// List returns events newest first; a Limit of 0 or less means all.
// Without a project filter it reads the log from its newest event (or
// BeforeID) on; with one, it reads the newest Limit entries of each
// project's index and merges them.
func (es events) List(ctx context.Context, f store.EventFilter) ([]model.Event, error) {
	projects := slices.Clone(f.ProjectIDs)
	if f.ProjectID != 0 {
		if projects != nil && !slices.Contains(projects, f.ProjectID) {
			return nil, nil
		}
		projects = []int64{f.ProjectID}
	}
	if projects != nil && len(projects) == 0 {
		return nil, nil
	}
	out, err := es.list(ctx, projects, f.BeforeID, max(f.Limit, 0))
	if err != nil {
		return nil, annotate(err, "list events")
	}
	return out, nil
}

func (es events) list(ctx context.Context, projects []int64, beforeID int64, limit int) ([]model.Event, error) {
	s := es.s
	// from is where the range of ids below beforeID starts.
	var from []byte
	if beforeID > 0 {
		from = key(descending(beforeID - 1))
	}
	if projects == nil {
		out := []model.Event{}
		err := s.scan(ctx, scanRange{bucket: eventsBucket, start: from}, limit, func(_, raw []byte) error {
			e, err := decode[model.Event](eventsBucket, raw)
			if err != nil {
				return err
			}
			out = append(out, e)
			if limit > 0 && len(out) == limit {
				return errStop
			}
			return nil
		})
		return out, err
	}
	slices.Sort(projects)
	projects = slices.Compact(projects)
	var ids []int64
	for _, p := range projects {
		r := scanRange{bucket: eventsByProject, prefix: key(p)}
		if from != nil {
			r.start = key(p, from)
		}
		n := 0
		err := s.scan(ctx, r, limit, func(k, _ []byte) error {
			ids = append(ids, lastDescID(k))
			if n++; limit > 0 && n == limit {
				return errStop
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	slices.SortFunc(ids, func(a, b int64) int { return cmp.Compare(b, a) })
	ids = page(ids, limit, 0)
	keys := make([][]byte, len(ids))
	for i, id := range ids {
		keys[i] = key(descending(id))
	}
	vals, err := s.getMany(ctx, eventsBucket, keys)
	if err != nil {
		return nil, err
	}
	out := make([]model.Event, 0, len(vals))
	for _, raw := range vals {
		if raw == nil {
			continue
		}
		e, err := decode[model.Event](eventsBucket, raw)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// deleteProjectEvents removes a project's events.
func (s *Store) deleteProjectEvents(ctx context.Context, projectID int64) error {
	var ids []int64
	err := s.scan(ctx, scanRange{bucket: eventsByProject, prefix: key(projectID)}, 0, func(k, _ []byte) error {
		ids = append(ids, lastDescID(k))
		return nil
	})
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := s.del(ctx, eventsBucket, key(descending(id))); err != nil {
			return err
		}
	}
	return s.delPrefix(ctx, eventsByProject, key(projectID))
}
