package service

import (
	"context"
	"strings"
	"time"

	"github.com/signalbox/signalbox/core/auth"
	"github.com/signalbox/signalbox/core/model"
)

func validateProject(p *model.Project) error {
	p.Name = strings.TrimSpace(p.Name)
	if p.Name == "" {
		return model.Invalidf("project name is required")
	}
	if p.MaxParallelTasks < 0 {
		return model.Invalidf("max_parallel_tasks must not be negative")
	}
	return nil
}

// CreateProject creates a project; its creator becomes its owner.
func (s *Services) CreateProject(ctx context.Context, a Actor, p model.Project) (model.Project, error) {
	if err := validateProject(&p); err != nil {
		return model.Project{}, err
	}
	p.ID, p.Created = 0, time.Now().UTC()
	err := s.store.WithTx(ctx, func(ctx context.Context) error {
		if err := s.store.Projects().Create(ctx, &p); err != nil {
			return err
		}
		if a.User.ID == 0 {
			return nil
		}
		return s.store.Members().Add(ctx, model.ProjectUser{ProjectID: p.ID, UserID: a.User.ID, Role: model.RoleOwner})
	})
	if err == nil {
		s.event(ctx, a, p.ID, "project", p.ID, "%s created project %q", who(a), p.Name)
	}
	return p, err
}

// ListProjects lists the projects the actor can see.
func (s *Services) ListProjects(ctx context.Context, a Actor) ([]model.Project, error) {
	if a.User.Admin {
		return s.store.Projects().List(ctx, 0)
	}
	return s.store.Projects().List(ctx, a.User.ID)
}

// GetProject returns a project the actor can see.
func (s *Services) GetProject(ctx context.Context, a Actor, id int64) (model.Project, error) {
	if _, err := s.access(ctx, a, id, auth.PermRead); err != nil {
		return model.Project{}, err
	}
	return s.store.Projects().Get(ctx, id)
}

// UpdateProject changes a project's settings.
func (s *Services) UpdateProject(ctx context.Context, a Actor, p model.Project) error {
	if _, err := s.access(ctx, a, p.ID, auth.PermUpdateProject); err != nil {
		return err
	}
	if err := validateProject(&p); err != nil {
		return err
	}
	old, err := s.store.Projects().Get(ctx, p.ID)
	if err != nil {
		return err
	}
	p.Created = old.Created
	if err := s.store.Projects().Update(ctx, p); err != nil {
		return err
	}
	s.event(ctx, a, p.ID, "project", p.ID, "%s changed project %q", who(a), p.Name)
	return nil
}

// DeleteProject deletes a project and everything in it. Tasks still
// running are stopped first.
func (s *Services) DeleteProject(ctx context.Context, a Actor, id int64) error {
	defer s.forgetProject(id)
	perm, err := s.access(ctx, a, id, auth.PermUpdateProject)
	if err != nil {
		return err
	}
	if !a.User.Admin && !perm.Has(auth.PermManageUsers) {
		return model.Forbiddenf("only the project's owners may delete it")
	}
	if err := s.stopProjectTasks(ctx, id); err != nil {
		return err
	}
	p, err := s.store.Projects().Get(ctx, id)
	if err != nil {
		return err
	}
	if err := s.store.Projects().Delete(ctx, id); err != nil {
		return err
	}
	// The project's own events went with it; this one stays, outside it.
	s.event(ctx, a, 0, "project", id, "%s deleted project %q", who(a), p.Name)
	return nil
}

// ProjectRole returns the actor's role and permission mask in a project.
func (s *Services) ProjectRole(ctx context.Context, a Actor, id int64) (model.Role, auth.Permission, error) {
	perm, err := s.access(ctx, a, id, auth.PermRead)
	if err != nil {
		return "", 0, err
	}
	m, err := s.store.Members().Get(ctx, id, a.User.ID)
	if err != nil {
		// An admin who is not a member acts as owner.
		return model.RoleOwner, perm, nil
	}
	return m.Role, perm, nil
}
