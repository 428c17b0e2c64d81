package kvstore

import (
	"context"
	"errors"
	"time"

	"github.com/signalbox/signalbox/core/model"
	"github.com/signalbox/signalbox/core/store"
)

// Buckets of sessions:
//
//	sessions        id → Session
//	sessions.token  token hash → id (expired sessions too, as in SQL)
//	sessions.user   user id, id → (empty): a user's sessions
const (
	sessionsBucket     = "sessions"
	sessionsByToken    = "sessions.token"
	sessionsByUser     = "sessions.user"
	sessionsCollection = "sessions"
)

type sessions struct{ s *Store }

var _ store.Sessions = sessions{}

// Sessions returns the session store.
func (s *Store) Sessions() store.Sessions { return sessions{s} }

// Create inserts a session; a zero Created is now, a zero LastActive is
// Created.
func (ss sessions) Create(ctx context.Context, sn *model.Session) error {
	v := *sn
	v.Created = nowOr(v.Created)
	if v.LastActive.IsZero() {
		v.LastActive = v.Created
	}
	v.LastActive = storeTime(v.LastActive)
	s := ss.s
	err := s.update(ctx, func(ctx context.Context) error {
		if err := s.requireUser(ctx, v.UserID); err != nil {
			return err
		}
		id, err := s.nextID(ctx, sessionsCollection, v.ID)
		if err != nil {
			return err
		}
		v.ID = id
		if err := s.mustBeNew(ctx, sessionsBucket, key(id), "session", id); err != nil {
			return err
		}
		taken := model.Conflictf("a session with this token already exists")
		if err := s.claimUnique(ctx, sessionsByToken, v.TokenHash, id, taken); err != nil {
			return err
		}
		if err := s.put(ctx, sessionsByUser, key(v.UserID, id), nil); err != nil {
			return err
		}
		return putDoc(ctx, s, sessionsBucket, key(id), v)
	})
	if err != nil {
		return annotate(err, "create session of user %d", sn.UserID)
	}
	*sn = v
	return nil
}

// GetByTokenHash returns the session of a token hash unless it is expired.
func (ss sessions) GetByTokenHash(ctx context.Context, hash string) (model.Session, error) {
	id, ok, err := ss.s.indexID(ctx, sessionsByToken, hash)
	if err != nil {
		return model.Session{}, annotate(err, "get session")
	}
	if !ok {
		return model.Session{}, model.NotFoundf("session not found")
	}
	v, ok, err := getDoc[model.Session](ctx, ss.s, sessionsBucket, key(id))
	if err != nil {
		return v, annotate(err, "get session")
	}
	if !ok || v.Expired {
		return model.Session{}, model.NotFoundf("session not found")
	}
	return v, nil
}

// GetWithUser returns an unexpired session and its user.
func (ss sessions) GetWithUser(ctx context.Context, hash string) (model.Session, model.User, error) {
	sess, err := ss.GetByTokenHash(ctx, hash)
	if err != nil {
		return sess, model.User{}, err
	}
	u, err := ss.s.Users().Get(ctx, sess.UserID)
	if errors.Is(err, model.ErrNotFound) {
		return model.Session{}, model.User{}, model.NotFoundf("session not found")
	}
	return sess, u, err
}

// change applies f to session id.
func (ss sessions) change(ctx context.Context, id int64, f func(*model.Session)) error {
	return ss.s.update(ctx, func(ctx context.Context) error {
		v, ok, err := getDoc[model.Session](ctx, ss.s, sessionsBucket, key(id))
		if err != nil {
			return err
		}
		if !ok {
			return model.NotFoundf("session %d not found", id)
		}
		f(&v)
		return putDoc(ctx, ss.s, sessionsBucket, key(id), v)
	})
}

func (ss sessions) Touch(ctx context.Context, id int64, at time.Time) error {
	err := ss.change(ctx, id, func(v *model.Session) { v.LastActive = storeTime(at) })
	return annotate(err, "touch session %d", id)
}

// Expire marks a session expired. It keeps its token hash, which no other
// session may take, as in SQL.
func (ss sessions) Expire(ctx context.Context, id int64) error {
	err := ss.change(ctx, id, func(v *model.Session) { v.Expired = true })
	return annotate(err, "expire session %d", id)
}

// deleteUserSessions removes a user's sessions.
func (s *Store) deleteUserSessions(ctx context.Context, userID int64) error {
	var keys [][]byte
	err := s.scan(ctx, scanRange{bucket: sessionsByUser, prefix: key(userID)}, 0, func(k, _ []byte) error {
		keys = append(keys, key(lastID(k)))
		return nil
	})
	if err != nil {
		return err
	}
	vals, err := s.getMany(ctx, sessionsBucket, keys)
	if err != nil {
		return err
	}
	for i, raw := range vals {
		if raw == nil {
			continue
		}
		v, err := decode[model.Session](sessionsBucket, raw)
		if err != nil {
			return err
		}
		if err := s.del(ctx, sessionsByToken, key(v.TokenHash)); err != nil {
			return err
		}
		if err := s.del(ctx, sessionsBucket, keys[i]); err != nil {
			return err
		}
	}
	return s.delPrefix(ctx, sessionsByUser, key(userID))
}
