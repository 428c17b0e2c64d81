package kvstore

import (
	"context"

	"github.com/signalbox/signalbox/core/model"
	"github.com/signalbox/signalbox/core/store"
)

// Buckets of project memberships:
//
//	members       project id, user id → ProjectUser
//	members.user  user id, project id → (empty): a user's projects
const (
	membersBucket = "members"
	membersByUser = "members.user"
)

type members struct{ s *Store }

var _ store.Members = members{}

// Members returns the membership store.
func (s *Store) Members() store.Members { return members{s} }

func notMember(projectID, userID int64) error {
	return model.NotFoundf("user %d is not a member of project %d", userID, projectID)
}

// requireUser fails with ErrNotFound unless the user exists; inside a
// transaction, the batch then also requires it to still exist.
func (s *Store) requireUser(ctx context.Context, id int64) error {
	_, ok, err := s.get(ctx, usersBucket, key(id))
	if err != nil {
		return err
	}
	if !ok {
		return model.NotFoundf("user %d not found", id)
	}
	return nil
}

// Add inserts a membership; the project and the user must exist.
func (ms members) Add(ctx context.Context, m model.ProjectUser) error {
	if !m.Role.Valid() {
		return model.Invalidf("unknown role %q", m.Role)
	}
	s := ms.s
	err := s.update(ctx, func(ctx context.Context) error {
		_, okProject, err := s.get(ctx, projectsBucket, key(m.ProjectID))
		if err != nil {
			return err
		}
		_, okUser, err := s.get(ctx, usersBucket, key(m.UserID))
		if err != nil {
			return err
		}
		if !okProject || !okUser {
			return model.NotFoundf("project %d or user %d not found", m.ProjectID, m.UserID)
		}
		_, exists, err := s.get(ctx, membersBucket, key(m.ProjectID, m.UserID))
		if err != nil {
			return err
		}
		if exists {
			return model.Conflictf("user %d is already a member of project %d", m.UserID, m.ProjectID)
		}
		if err := s.put(ctx, membersByUser, key(m.UserID, m.ProjectID), nil); err != nil {
			return err
		}
		return putDoc(ctx, s, membersBucket, key(m.ProjectID, m.UserID), m)
	})
	return annotate(err, "add user %d to project %d", m.UserID, m.ProjectID)
}

func (ms members) Get(ctx context.Context, projectID, userID int64) (model.ProjectUser, error) {
	m, ok, err := getDoc[model.ProjectUser](ctx, ms.s, membersBucket, key(projectID, userID))
	if err != nil {
		return m, annotate(err, "get member %d of project %d", userID, projectID)
	}
	if !ok {
		return m, notMember(projectID, userID)
	}
	return m, nil
}

// List returns a project's members by user id.
func (ms members) List(ctx context.Context, projectID int64) ([]model.ProjectUser, error) {
	out := []model.ProjectUser{}
	err := scanDocs(ctx, ms.s, scanRange{bucket: membersBucket, prefix: key(projectID)}, func(_ []byte, m model.ProjectUser) error {
		out = append(out, m)
		return nil
	})
	if err != nil {
		return nil, annotate(err, "list members of project %d", projectID)
	}
	return out, nil
}

// Update changes a member's role.
func (ms members) Update(ctx context.Context, m model.ProjectUser) error {
	if !m.Role.Valid() {
		return model.Invalidf("unknown role %q", m.Role)
	}
	err := ms.s.update(ctx, func(ctx context.Context) error {
		old, err := ms.Get(ctx, m.ProjectID, m.UserID)
		if err != nil {
			return err
		}
		old.Role = m.Role
		return putDoc(ctx, ms.s, membersBucket, key(m.ProjectID, m.UserID), old)
	})
	return annotate(err, "update member %d of project %d", m.UserID, m.ProjectID)
}

func (ms members) Remove(ctx context.Context, projectID, userID int64) error {
	err := ms.s.update(ctx, func(ctx context.Context) error {
		if _, err := ms.Get(ctx, projectID, userID); err != nil {
			return err
		}
		if err := ms.s.del(ctx, membersByUser, key(userID, projectID)); err != nil {
			return err
		}
		return ms.s.del(ctx, membersBucket, key(projectID, userID))
	})
	return annotate(err, "remove member %d of project %d", userID, projectID)
}

// projectsOfUser returns the ids of the projects a user is a member of,
// in id order.
func (s *Store) projectsOfUser(ctx context.Context, userID int64) ([]int64, error) {
	var ids []int64
	err := s.scan(ctx, scanRange{bucket: membersByUser, prefix: key(userID)}, 0, func(k, _ []byte) error {
		ids = append(ids, lastID(k))
		return nil
	})
	return ids, err
}

// deleteProjectMembers removes a project's memberships.
func (s *Store) deleteProjectMembers(ctx context.Context, projectID int64) error {
	var userIDs []int64
	err := s.scan(ctx, scanRange{bucket: membersBucket, prefix: key(projectID)}, 0, func(k, _ []byte) error {
		userIDs = append(userIDs, lastID(k))
		return nil
	})
	if err != nil {
		return err
	}
	for _, u := range userIDs {
		if err := s.del(ctx, membersByUser, key(u, projectID)); err != nil {
			return err
		}
	}
	return s.delPrefix(ctx, membersBucket, key(projectID))
}

// deleteUserMembers removes a user's memberships.
func (s *Store) deleteUserMembers(ctx context.Context, userID int64) error {
	projectIDs, err := s.projectsOfUser(ctx, userID)
	if err != nil {
		return err
	}
	for _, p := range projectIDs {
		if err := s.del(ctx, membersBucket, key(p, userID)); err != nil {
			return err
		}
	}
	return s.delPrefix(ctx, membersByUser, key(userID))
}
