package kvstore

import (
	"context"

	"github.com/signalbox/signalbox/core/model"
	"github.com/signalbox/signalbox/core/store"
)

// Buckets of projects: projects, id → Project.
const (
	projectsBucket     = "projects"
	projectsCollection = "projects"
)

type projects struct{ s *Store }

var _ store.Projects = projects{}

// Projects returns the project store.
func (s *Store) Projects() store.Projects { return projects{s} }

func (ps projects) Create(ctx context.Context, p *model.Project) error {
	v := *p
	v.Created = nowOr(v.Created)
	err := ps.s.update(ctx, func(ctx context.Context) error {
		id, err := ps.s.nextID(ctx, projectsCollection, v.ID)
		if err != nil {
			return err
		}
		v.ID = id
		if err := ps.s.mustBeNew(ctx, projectsBucket, key(id), "project", id); err != nil {
			return err
		}
		return putDoc(ctx, ps.s, projectsBucket, key(id), v)
	})
	if err != nil {
		return annotate(err, "create project %q", p.Name)
	}
	*p = v
	return nil
}

func (ps projects) Get(ctx context.Context, id int64) (model.Project, error) {
	p, ok, err := getDoc[model.Project](ctx, ps.s, projectsBucket, key(id))
	if err != nil {
		return p, annotate(err, "get project %d", id)
	}
	if !ok {
		return p, model.NotFoundf("project %d not found", id)
	}
	return p, nil
}

// List returns projects sorted by name, then id: the user's, or all for 0.
func (ps projects) List(ctx context.Context, userID int64) ([]model.Project, error) {
	var out []model.Project
	if userID == 0 {
		all, err := listDocs[model.Project](ctx, ps.s, scanRange{bucket: projectsBucket})
		if err != nil {
			return nil, annotate(err, "list projects")
		}
		out = all
	} else {
		ids, err := ps.s.projectsOfUser(ctx, userID)
		if err != nil {
			return nil, annotate(err, "list projects of user %d", userID)
		}
		keys := make([][]byte, len(ids))
		for i, id := range ids {
			keys[i] = key(id)
		}
		vals, err := ps.s.getMany(ctx, projectsBucket, keys)
		if err != nil {
			return nil, annotate(err, "list projects of user %d", userID)
		}
		for _, raw := range vals {
			if raw == nil {
				continue
			}
			p, err := decode[model.Project](projectsBucket, raw)
			if err != nil {
				return nil, err
			}
			out = append(out, p)
		}
	}
	return sortPage(out, store.ListOptions{}, sorts[model.Project]{"name": func(p model.Project) any { return p.Name }},
		"name", func(p model.Project) int64 { return p.ID })
}

// Update changes everything but the creation time.
func (ps projects) Update(ctx context.Context, p model.Project) error {
	err := ps.s.update(ctx, func(ctx context.Context) error {
		old, err := ps.Get(ctx, p.ID)
		if err != nil {
			return err
		}
		p.Created = old.Created
		return putDoc(ctx, ps.s, projectsBucket, key(p.ID), p)
	})
	return annotate(err, "update project %d", p.ID)
}

// Delete removes the project and everything in it, in one batch.
func (ps projects) Delete(ctx context.Context, id int64) error {
	err := ps.s.update(ctx, func(ctx context.Context) error {
		if _, err := ps.Get(ctx, id); err != nil {
			return err
		}
		if err := ps.s.deleteProjectData(ctx, id); err != nil {
			return err
		}
		return ps.s.del(ctx, projectsBucket, key(id))
	})
	return annotate(err, "delete project %d", id)
}

// requireProject fails with ErrNotFound unless the project exists; inside
// a transaction, the batch then also requires it to still exist.
func (s *Store) requireProject(ctx context.Context, id int64) error {
	_, ok, err := s.get(ctx, projectsBucket, key(id))
	if err != nil {
		return err
	}
	if !ok {
		return model.NotFoundf("project %d not found", id)
	}
	return nil
}
