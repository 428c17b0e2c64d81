package kvstore

import (
	"context"

	"github.com/signalbox/signalbox/core/model"
	"github.com/signalbox/signalbox/core/store"
)

// scoped implements store.ProjectScoped for T in bucket, keyed by
// (project id, id), so that a project's objects are one prefix scan and
// a project's deletion one DeletePrefix.
type scoped[T any] struct {
	s      *Store
	bucket string
	kind   string
	sorts  sorts[T]
	// ids points at T's ID and ProjectID.
	ids func(*T) (id, projectID *int64)
	// name is what "name" sorts by.
	name func(T) string
}

// scopedBuckets are the buckets of the project-scoped kinds, which a
// project's deletion clears.
var scopedBuckets = []string{"keys", "repositories", "inventories", "environments", "templates", "views"}

func newScoped[T any](s *Store, bucket, kind string, ids func(*T) (*int64, *int64), name func(T) string, more sorts[T]) scoped[T] {
	id := func(v T) int64 { i, _ := ids(&v); return *i }
	base := sorts[T]{
		"id":   func(v T) any { return id(v) },
		"name": func(v T) any { return name(v) },
	}
	return scoped[T]{s: s, bucket: bucket, kind: kind, sorts: base.with(more), ids: ids, name: name}
}

// Keys returns the access key store.
func (s *Store) Keys() store.ProjectScoped[model.AccessKey] {
	return newScoped(s, "keys", "access key",
		func(v *model.AccessKey) (*int64, *int64) { return &v.ID, &v.ProjectID },
		func(v model.AccessKey) string { return v.Name },
		sorts[model.AccessKey]{"type": func(v model.AccessKey) any { return string(v.Type) }})
}

// Repositories returns the repository store.
func (s *Store) Repositories() store.ProjectScoped[model.Repository] {
	return newScoped(s, "repositories", "repository",
		func(v *model.Repository) (*int64, *int64) { return &v.ID, &v.ProjectID },
		func(v model.Repository) string { return v.Name },
		sorts[model.Repository]{
			"git_url":    func(v model.Repository) any { return v.GitURL },
			"git_branch": func(v model.Repository) any { return v.GitBranch },
		})
}

// Inventories returns the inventory store.
func (s *Store) Inventories() store.ProjectScoped[model.Inventory] {
	return newScoped(s, "inventories", "inventory",
		func(v *model.Inventory) (*int64, *int64) { return &v.ID, &v.ProjectID },
		func(v model.Inventory) string { return v.Name },
		sorts[model.Inventory]{"type": func(v model.Inventory) any { return string(v.Type) }})
}

// Environments returns the environment store.
func (s *Store) Environments() store.ProjectScoped[model.Environment] {
	return newScoped(s, "environments", "environment",
		func(v *model.Environment) (*int64, *int64) { return &v.ID, &v.ProjectID },
		func(v model.Environment) string { return v.Name }, nil)
}

// Templates returns the template store.
func (s *Store) Templates() store.ProjectScoped[model.Template] {
	return newScoped(s, "templates", "template",
		func(v *model.Template) (*int64, *int64) { return &v.ID, &v.ProjectID },
		func(v model.Template) string { return v.Name },
		sorts[model.Template]{
			"app":           func(v model.Template) any { return v.App },
			"playbook":      func(v model.Template) any { return v.Playbook },
			"type":          func(v model.Template) any { return v.Type },
			"repository_id": func(v model.Template) any { return v.RepositoryID },
		})
}

// Views returns the project views.
func (s *Store) Views() store.ProjectScoped[model.View] {
	return newScoped(s, "views", "view",
		func(v *model.View) (*int64, *int64) { return &v.ID, &v.ProjectID },
		func(v model.View) string { return v.Title },
		sorts[model.View]{
			"title":    func(v model.View) any { return v.Title },
			"position": func(v model.View) any { return v.Position },
		})
}

// Create inserts v and sets its ID; the ID v had is ignored (kept when
// the context says store.KeepIDs).
func (c scoped[T]) Create(ctx context.Context, v *T) error {
	nv := *v
	id, projectID := c.ids(&nv)
	err := c.s.update(ctx, func(ctx context.Context) error {
		if err := c.s.requireProject(ctx, *projectID); err != nil {
			return err
		}
		newID, err := c.s.nextID(ctx, c.bucket, *id)
		if err != nil {
			return err
		}
		*id = newID
		if err := c.s.mustBeNew(ctx, c.bucket, key(*projectID, newID), c.kind, newID); err != nil {
			return err
		}
		return putDoc(ctx, c.s, c.bucket, key(*projectID, newID), nv)
	})
	if err != nil {
		return annotate(err, "create %s in project %d", c.kind, *projectID)
	}
	*v = nv
	return nil
}

func (c scoped[T]) Get(ctx context.Context, projectID, id int64) (T, error) {
	v, ok, err := getDoc[T](ctx, c.s, c.bucket, key(projectID, id))
	if err != nil {
		return v, annotate(err, "get %s %d", c.kind, id)
	}
	if !ok {
		return v, model.NotFoundf("%s %d not found", c.kind, id)
	}
	return v, nil
}

// List sorts by name (the default), id, or the kind's own fields.
func (c scoped[T]) List(ctx context.Context, projectID int64, opts store.ListOptions) ([]T, error) {
	all, err := listDocs[T](ctx, c.s, scanRange{bucket: c.bucket, prefix: key(projectID)})
	if err != nil {
		return nil, annotate(err, "list %ss of project %d", c.kind, projectID)
	}
	return sortPage(all, opts, c.sorts, "name", func(v T) int64 { id, _ := c.ids(&v); return *id })
}

// Update changes every field of v but its ID and ProjectID, which find it.
func (c scoped[T]) Update(ctx context.Context, v T) error {
	id, projectID := c.ids(&v)
	err := c.s.update(ctx, func(ctx context.Context) error {
		if _, err := c.Get(ctx, *projectID, *id); err != nil {
			return err
		}
		return putDoc(ctx, c.s, c.bucket, key(*projectID, *id), v)
	})
	return annotate(err, "update %s %d", c.kind, *id)
}

func (c scoped[T]) Delete(ctx context.Context, projectID, id int64) error {
	err := c.s.update(ctx, func(ctx context.Context) error {
		if _, err := c.Get(ctx, projectID, id); err != nil {
			return err
		}
		return c.s.del(ctx, c.bucket, key(projectID, id))
	})
	return annotate(err, "delete %s %d", c.kind, id)
}
