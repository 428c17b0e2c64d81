package kvstore

import (
	"context"
	"fmt"

	"github.com/signalbox/signalbox/core/model"
	"github.com/signalbox/signalbox/core/store"
)

// Buckets of users:
//
//	users           id → User
//	users.username  username → id
//	users.email     email → id (users with an email only)
const (
	usersBucket     = "users"
	usersByUsername = "users.username"
	usersByEmail    = "users.email"
	usersCollection = "users"
)

var userSorts = sorts[model.User]{
	"id":       func(u model.User) any { return u.ID },
	"username": func(u model.User) any { return u.Username },
	"name":     func(u model.User) any { return u.Name },
	"email":    func(u model.User) any { return u.Email },
	"created":  func(u model.User) any { return u.Created.UnixNano() },
}

type users struct{ s *Store }

var _ store.Users = users{}

// Users returns the user store.
func (s *Store) Users() store.Users { return users{s} }

func userConflict(u model.User) error {
	return model.Conflictf("a user with username %q or email %q already exists", u.Username, u.Email)
}

// claimUnique writes the index entry bucket/value → id, failing with
// ErrConflict if another id holds it.
func (s *Store) claimUnique(ctx context.Context, bucket, value string, id int64, conflict error) error {
	return s.claimKey(ctx, bucket, key(value), id, conflict)
}

// indexID reads an index entry value → id.
func (s *Store) indexID(ctx context.Context, bucket, value string) (int64, bool, error) {
	raw, ok, err := s.get(ctx, bucket, key(value))
	if err != nil || !ok {
		return 0, false, err
	}
	return lastID(raw), true, nil
}

func (us users) write(ctx context.Context, old *model.User, u model.User) error {
	s := us.s
	if old != nil && old.Username != u.Username {
		if err := s.del(ctx, usersByUsername, key(old.Username)); err != nil {
			return err
		}
	}
	if old != nil && old.Email != "" && old.Email != u.Email {
		if err := s.del(ctx, usersByEmail, key(old.Email)); err != nil {
			return err
		}
	}
	if err := s.claimUnique(ctx, usersByUsername, u.Username, u.ID, userConflict(u)); err != nil {
		return err
	}
	if u.Email != "" {
		if err := s.claimUnique(ctx, usersByEmail, u.Email, u.ID, userConflict(u)); err != nil {
			return err
		}
	}
	return putDoc(ctx, s, usersBucket, key(u.ID), u)
}

func (us users) Create(ctx context.Context, u *model.User) error {
	v := *u
	v.Created = nowOr(v.Created)
	err := us.s.update(ctx, func(ctx context.Context) error {
		id, err := us.s.nextID(ctx, usersCollection, v.ID)
		if err != nil {
			return err
		}
		v.ID = id
		if err := us.s.mustBeNew(ctx, usersBucket, key(id), "user", id); err != nil {
			return err
		}
		return us.write(ctx, nil, v)
	})
	if err != nil {
		return annotate(err, "create user %q", u.Username)
	}
	*u = v
	return nil
}

func (us users) Get(ctx context.Context, id int64) (model.User, error) {
	u, ok, err := getDoc[model.User](ctx, us.s, usersBucket, key(id))
	if err != nil {
		return u, annotate(err, "get user %d", id)
	}
	if !ok {
		return u, model.NotFoundf("user %d not found", id)
	}
	return u, nil
}

// GetByLogin finds a user by username first, then by email.
func (us users) GetByLogin(ctx context.Context, login string) (model.User, error) {
	if login != "" {
		for _, b := range []string{usersByUsername, usersByEmail} {
			id, ok, err := us.s.indexID(ctx, b, login)
			if err != nil {
				return model.User{}, fmt.Errorf("get user %q: %w", login, err)
			}
			if ok {
				return us.Get(ctx, id)
			}
		}
	}
	return model.User{}, model.NotFoundf("user %q not found", login)
}

// List sorts by id, username (default), name, email or created.
func (us users) List(ctx context.Context, opts store.ListOptions) ([]model.User, error) {
	all, err := listDocs[model.User](ctx, us.s, scanRange{bucket: usersBucket})
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return sortPage(all, opts, userSorts, "username", func(u model.User) int64 { return u.ID })
}

// Update changes the user's username, name, email and flags.
func (us users) Update(ctx context.Context, u model.User) error {
	err := us.s.update(ctx, func(ctx context.Context) error {
		old, err := us.Get(ctx, u.ID)
		if err != nil {
			return err
		}
		v := old
		v.Username, v.Name, v.Email, v.Admin, v.Alert = u.Username, u.Name, u.Email, u.Admin, u.Alert
		return us.write(ctx, &old, v)
	})
	if err != nil {
		return annotate(err, "update user %d", u.ID)
	}
	return nil
}

func (us users) SetPassword(ctx context.Context, id int64, hash string) error {
	err := us.s.update(ctx, func(ctx context.Context) error {
		u, err := us.Get(ctx, id)
		if err != nil {
			return err
		}
		u.PasswordHash = hash
		return putDoc(ctx, us.s, usersBucket, key(id), u)
	})
	if err != nil {
		return annotate(err, "set password of user %d", id)
	}
	return nil
}

// Delete removes the user with its memberships, sessions, API tokens and
// options. Tasks the user started keep their user id.
func (us users) Delete(ctx context.Context, id int64) error {
	err := us.s.update(ctx, func(ctx context.Context) error {
		u, err := us.Get(ctx, id)
		if err != nil {
			return err
		}
		if err := us.s.deleteUserData(ctx, id); err != nil {
			return err
		}
		if err := us.s.del(ctx, usersByUsername, key(u.Username)); err != nil {
			return err
		}
		if u.Email != "" {
			if err := us.s.del(ctx, usersByEmail, key(u.Email)); err != nil {
				return err
			}
		}
		return us.s.del(ctx, usersBucket, key(id))
	})
	if err != nil {
		return annotate(err, "delete user %d", id)
	}
	return nil
}

func (us users) Count(ctx context.Context) (int64, error) {
	var n int64
	err := us.s.scan(ctx, scanRange{bucket: usersBucket}, 0, func(_, _ []byte) error {
		n++
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("count users: %w", err)
	}
	return n, nil
}
