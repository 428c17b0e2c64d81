package service

import (
	"context"
	"errors"
	"sort"
	"strings"

	"github.com/signalbox/signalbox/core/auth"
	"github.com/signalbox/signalbox/core/model"
)

// Member is a project member with the user's details.
type Member struct {
	User model.User
	Role model.Role
}

// ListMembers lists a project's members, sorted by sortBy (name,
// username, email or role; default name) in order asc or desc.
func (s *Services) ListMembers(ctx context.Context, a Actor, projectID int64, sortBy string, desc bool) ([]Member, error) {
	if _, err := s.access(ctx, a, projectID, auth.PermRead); err != nil {
		return nil, err
	}
	ms, err := s.store.Members().List(ctx, projectID)
	if err != nil {
		return nil, err
	}
	out := make([]Member, 0, len(ms))
	for _, m := range ms {
		u, err := s.store.Users().Get(ctx, m.UserID)
		if err != nil {
			return nil, err
		}
		out = append(out, Member{User: u, Role: m.Role})
	}
	key := func(m Member) string {
		switch sortBy {
		case "username":
			return m.User.Username
		case "email":
			return m.User.Email
		case "role":
			return string(m.Role)
		default:
			return m.User.Name
		}
	}
	switch sortBy {
	case "", "name", "username", "email", "role":
	default:
		return nil, model.Invalidf("sort must be name, username, email or role")
	}
	sort.SliceStable(out, func(i, j int) bool {
		ki, kj := strings.ToLower(key(out[i])), strings.ToLower(key(out[j]))
		if desc {
			return ki > kj
		}
		return ki < kj
	})
	return out, nil
}

// AddMember adds a user to a project with a role.
func (s *Services) AddMember(ctx context.Context, a Actor, projectID, userID int64, role model.Role) error {
	defer s.forgetProject(projectID)
	if _, err := s.access(ctx, a, projectID, auth.PermManageUsers); err != nil {
		return err
	}
	if !role.Valid() {
		return model.Invalidf("role %q: want owner, manager, task_runner or guest", role)
	}
	u, err := s.store.Users().Get(ctx, userID)
	if errors.Is(err, model.ErrNotFound) {
		return model.Invalidf("user %d does not exist", userID)
	}
	if err != nil {
		return err
	}
	if _, err := s.store.Members().Get(ctx, projectID, userID); err == nil {
		return model.Conflictf("user %q is already a member of this project", u.Username)
	}
	if err := s.store.Members().Add(ctx, model.ProjectUser{ProjectID: projectID, UserID: userID, Role: role}); err != nil {
		return err
	}
	s.event(ctx, a, projectID, "user", userID, "%s added user %q to the project as %s", who(a), u.Username, role)
	return nil
}

// UpdateMember changes a member's role; the last owner stays an owner.
func (s *Services) UpdateMember(ctx context.Context, a Actor, projectID, userID int64, role model.Role) error {
	defer s.forgetProject(projectID)
	if _, err := s.access(ctx, a, projectID, auth.PermManageUsers); err != nil {
		return err
	}
	if !role.Valid() {
		return model.Invalidf("role %q: want owner, manager, task_runner or guest", role)
	}
	return s.store.WithTx(ctx, func(ctx context.Context) error {
		m, err := s.store.Members().Get(ctx, projectID, userID)
		if err != nil {
			return err
		}
		if m.Role == model.RoleOwner && role != model.RoleOwner {
			if err := s.keepAnOwner(ctx, projectID); err != nil {
				return err
			}
		}
		m.Role = role
		if err := s.store.Members().Update(ctx, m); err != nil {
			return err
		}
		s.event(ctx, a, projectID, "user", userID, "%s made user %d %s of the project", who(a), userID, role)
		return nil
	})
}

// RemoveMember removes a user from a project; the last owner stays.
func (s *Services) RemoveMember(ctx context.Context, a Actor, projectID, userID int64) error {
	defer s.forgetProject(projectID)
	if _, err := s.access(ctx, a, projectID, auth.PermManageUsers); err != nil {
		return err
	}
	return s.store.WithTx(ctx, func(ctx context.Context) error {
		m, err := s.store.Members().Get(ctx, projectID, userID)
		if err != nil {
			return err
		}
		if m.Role == model.RoleOwner {
			if err := s.keepAnOwner(ctx, projectID); err != nil {
				return err
			}
		}
		if err := s.store.Members().Remove(ctx, projectID, userID); err != nil {
			return err
		}
		s.event(ctx, a, projectID, "user", userID, "%s removed user %d from the project", who(a), userID)
		return nil
	})
}

// keepAnOwner refuses a change that would leave the project without owner.
func (s *Services) keepAnOwner(ctx context.Context, projectID int64) error {
	ms, err := s.store.Members().List(ctx, projectID)
	if err != nil {
		return err
	}
	owners := 0
	for _, m := range ms {
		if m.Role == model.RoleOwner {
			owners++
		}
	}
	if owners <= 1 {
		return model.Conflictf("the project must keep at least one owner")
	}
	return nil
}

// GetUser returns a user: admins see anyone, users themselves.
func (s *Services) GetUser(ctx context.Context, a Actor, id int64) (model.User, error) {
	if !a.User.Admin && a.User.ID != id {
		return model.User{}, model.Forbiddenf("only administrators may see other users")
	}
	return s.store.Users().Get(ctx, id)
}

// UserChange is an update of a user's details.
type UserChange struct {
	Username, Name, Email string
	Admin, Alert          bool
}

// UpdateUser changes a user's details. Users may change their own, but
// only admins change the admin flag, and the last admin stays one.
func (s *Services) UpdateUser(ctx context.Context, a Actor, id int64, ch UserChange) error {
	if !a.User.Admin && a.User.ID != id {
		return model.Forbiddenf("only administrators may change other users")
	}
	n := NewUser{Username: ch.Username, Name: ch.Name, Email: ch.Email}
	if err := n.validate(); err != nil {
		return err
	}
	defer s.forgetUser(id)
	return s.store.WithTx(ctx, func(ctx context.Context) error {
		u, err := s.store.Users().Get(ctx, id)
		if err != nil {
			return err
		}
		if ch.Admin != u.Admin {
			if !a.User.Admin {
				return model.Forbiddenf("only administrators may grant or revoke administration")
			}
			if !ch.Admin {
				if err := s.keepAnAdmin(ctx, u); err != nil {
					return err
				}
			}
		}
		u.Username, u.Name, u.Email, u.Admin, u.Alert = n.Username, n.Name, n.Email, ch.Admin, ch.Alert
		if err := s.store.Users().Update(ctx, u); err != nil {
			return err
		}
		s.event(ctx, a, 0, "user", id, "%s changed user %q", who(a), u.Username)
		return nil
	})
}

// keepAnAdmin refuses to remove the last administrator.
func (s *Services) keepAnAdmin(ctx context.Context, u model.User) error {
	users, err := s.store.Users().List(ctx, ListOptions{})
	if err != nil {
		return err
	}
	admins := 0
	for _, x := range users {
		if x.Admin {
			admins++
		}
	}
	if admins <= 1 {
		return model.Conflictf("user %q is the last administrator", u.Username)
	}
	return nil
}
