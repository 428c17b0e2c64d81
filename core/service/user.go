package service

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"sync"
	"time"

	"github.com/signalbox/signalbox/core/auth"
	"github.com/signalbox/signalbox/core/model"
	"github.com/signalbox/signalbox/core/store"
)

// NewUser is what creating a user takes.
type NewUser struct {
	Username string
	Name     string
	Email    string
	Password string
	Admin    bool
	Alert    bool
}

func (n *NewUser) validate() error {
	n.Username, n.Email, n.Name = strings.TrimSpace(n.Username), strings.TrimSpace(n.Email), strings.TrimSpace(n.Name)
	switch {
	case n.Username == "":
		return model.Invalidf("username is required")
	case strings.ContainsAny(n.Username, " \t\n@"):
		return model.Invalidf("username must not contain spaces or @")
	case n.Email == "":
		return model.Invalidf("email is required")
	case len(n.Username) > 255 || len(n.Email) > 255 || len(n.Name) > 255:
		return model.Invalidf("username, name and email must be at most 255 bytes")
	}
	if _, err := mail.ParseAddress(n.Email); err != nil {
		return model.Invalidf("email %q is not an email address", n.Email)
	}
	if n.Name == "" {
		n.Name = n.Username
	}
	return nil
}

// CreateUser creates a user. Only admins may, except through the CLI
// (SystemActor).
func (s *Services) CreateUser(ctx context.Context, a Actor, n NewUser) (model.User, error) {
	if err := requireAdmin(a); err != nil {
		return model.User{}, err
	}
	if err := n.validate(); err != nil {
		return model.User{}, err
	}
	hash, err := auth.HashPasswordCost(n.Password, s.passwordCost)
	if err != nil {
		return model.User{}, err
	}
	u := model.User{Username: n.Username, Name: n.Name, Email: n.Email, PasswordHash: hash,
		Admin: n.Admin, Alert: n.Alert, Created: time.Now().UTC()}
	if err := s.store.Users().Create(ctx, &u); err != nil {
		return model.User{}, err
	}
	s.log.Info("user created", "user_id", u.ID, "admin", u.Admin)
	s.event(ctx, a, 0, "user", u.ID, "%s created user %q", who(a), u.Username)
	return u, nil
}

// SystemActor acts with every right; only the CLI and start-up use it.
var SystemActor = Actor{User: model.User{Username: "system", Admin: true}}

// ListUsers lists users (admins only).
func (s *Services) ListUsers(ctx context.Context, a Actor) ([]model.User, error) {
	if err := requireAdmin(a); err != nil {
		return nil, err
	}
	return s.store.Users().List(ctx, store.ListOptions{SortBy: "id"})
}

// FindUser finds a user by username or email (admins only).
func (s *Services) FindUser(ctx context.Context, a Actor, login string) (model.User, error) {
	if err := requireAdmin(a); err != nil {
		return model.User{}, err
	}
	return s.store.Users().GetByLogin(ctx, login)
}

// SetPassword changes a user's password: admins for anyone, users for themselves.
func (s *Services) SetPassword(ctx context.Context, a Actor, userID int64, password string) error {
	if !a.User.Admin && a.User.ID != userID {
		return model.Forbiddenf("you may change only your own password")
	}
	hash, err := auth.HashPasswordCost(password, s.passwordCost)
	if err != nil {
		return err
	}
	defer s.forgetUser(userID)
	return s.store.Users().SetPassword(ctx, userID, hash)
}

// DeleteUser deletes a user (admins only); the last admin stays.
func (s *Services) DeleteUser(ctx context.Context, a Actor, userID int64) error {
	if err := requireAdmin(a); err != nil {
		return err
	}
	defer s.forgetUser(userID)
	return s.store.WithTx(ctx, func(ctx context.Context) error {
		u, err := s.store.Users().Get(ctx, userID)
		if err != nil {
			return err
		}
		if u.Admin {
			if err := s.keepAnAdmin(ctx, u); errors.Is(err, model.ErrConflict) {
				return model.Conflictf("user %q is the last administrator and cannot be deleted", u.Username)
			} else if err != nil {
				return err
			}
		}
		if err := s.store.Users().Delete(ctx, userID); err != nil {
			return err
		}
		s.event(ctx, a, 0, "user", userID, "%s deleted user %q", who(a), u.Username)
		return nil
	})
}

// EnsureAdmin creates the first administrator on an empty database. It
// returns the password it generated, if it had to.
func (s *Services) EnsureAdmin(ctx context.Context, login, email, password string) (created bool, generated string, err error) {
	n, err := s.store.Users().Count(ctx)
	if err != nil {
		return false, "", err
	}
	if n > 0 {
		return false, "", nil
	}
	if password == "" {
		if password, err = auth.RandomPassword(); err != nil {
			return false, "", err
		}
		generated = password
	}
	if _, err := s.CreateUser(ctx, SystemActor, NewUser{Username: login, Email: email, Name: login, Password: password, Admin: true}); err != nil {
		return false, "", fmt.Errorf("create first admin: %w", err)
	}
	return true, generated, nil
}

// Login checks a username or email and password and opens a session,
// returning the session token for the cookie. Any failure is the same 401.
func (s *Services) Login(ctx context.Context, login, password string) (string, model.User, error) {
	fail := model.Unauthenticatedf("wrong username or password")
	if strings.TrimSpace(login) == "" || password == "" {
		return "", model.User{}, model.Invalidf("auth and password are required")
	}
	u, err := s.store.Users().GetByLogin(ctx, strings.TrimSpace(login))
	if errors.Is(err, model.ErrNotFound) {
		return "", model.User{}, fail
	}
	if err != nil {
		return "", model.User{}, err
	}
	if !auth.CheckPassword(u.PasswordHash, password) {
		return "", model.User{}, fail
	}
	token, hash, err := auth.NewToken()
	if err != nil {
		return "", model.User{}, err
	}
	now := time.Now().UTC()
	if err := s.store.Sessions().Create(ctx, &model.Session{UserID: u.ID, TokenHash: hash, Created: now, LastActive: now}); err != nil {
		return "", model.User{}, err
	}
	return token, u, nil
}

// SessionTTL is how long an idle session stays valid.
const SessionTTL = 7 * 24 * time.Hour

// touchEvery is how often a session's last activity is written.
const touchEvery = time.Minute

// touches remembers when this process last touched each session, so that
// of the concurrent requests of one session that find it due, one writes
// it: the others would queue on the same row (on PostgreSQL, a commit each).
type touches struct {
	mu   sync.Mutex
	last map[int64]time.Time
}

// claim says whether the caller should touch session id now.
func (t *touches) claim(id int64, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.last == nil {
		t.last = map[int64]time.Time{}
	}
	if now.Sub(t.last[id]) < touchEvery {
		return false
	}
	if len(t.last) >= 10000 {
		for k, at := range t.last {
			if now.Sub(at) >= touchEvery {
				delete(t.last, k)
			}
		}
	}
	t.last[id] = now
	return true
}

// AuthenticateSession returns the user of a session token.
func (s *Services) AuthenticateSession(ctx context.Context, token string) (Actor, error) {
	key, now := "s"+auth.HashToken(token), time.Now()
	e, ok := s.auth.get(key, now)
	if !ok {
		gen := s.auth.generation()
		sess, user, err := s.store.Sessions().GetWithUser(ctx, key[1:])
		if errors.Is(err, model.ErrNotFound) {
			return Actor{}, model.Unauthenticatedf("session expired or invalid")
		}
		if err != nil {
			return Actor{}, err
		}
		e = authEntry{user: user, sessionID: sess.ID, lastActive: sess.LastActive}
		s.auth.put(key, e, now, gen)
	}
	if now.Sub(e.lastActive) > SessionTTL {
		s.auth.forget(key)
		_ = s.store.Sessions().Expire(ctx, e.sessionID)
		return Actor{}, model.Unauthenticatedf("session expired")
	}
	if now.Sub(e.lastActive) > touchEvery && s.touches.claim(e.sessionID, now) {
		_ = s.store.Sessions().Touch(ctx, e.sessionID, now.UTC())
	}
	return Actor{User: e.user}, nil
}

// AuthenticateToken returns the user of an API token.
func (s *Services) AuthenticateToken(ctx context.Context, token string) (Actor, error) {
	key, now := "t"+auth.HashToken(token), time.Now()
	if e, ok := s.auth.get(key, now); ok {
		return Actor{User: e.user}, nil
	}
	gen := s.auth.generation()
	t, err := s.store.APITokens().GetByHash(ctx, key[1:])
	if errors.Is(err, model.ErrNotFound) {
		return Actor{}, model.Unauthenticatedf("invalid or expired API token")
	}
	if err != nil {
		return Actor{}, err
	}
	a, err := s.actor(ctx, t.UserID)
	if err == nil {
		s.auth.put(key, authEntry{user: a.User}, now, gen)
	}
	return a, err
}

func (s *Services) actor(ctx context.Context, userID int64) (Actor, error) {
	u, err := s.store.Users().Get(ctx, userID)
	if errors.Is(err, model.ErrNotFound) {
		return Actor{}, model.Unauthenticatedf("user no longer exists")
	}
	return Actor{User: u}, err
}

// Logout ends the session of a token.
func (s *Services) Logout(ctx context.Context, token string) error {
	hash := auth.HashToken(token)
	// After the session is gone: a lookup meanwhile could keep it again.
	defer s.auth.forget("s" + hash)
	sess, err := s.store.Sessions().GetByTokenHash(ctx, hash)
	if errors.Is(err, model.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	return s.store.Sessions().Expire(ctx, sess.ID)
}

// CreateAPIToken creates a token for the actor and returns it: the only
// time the token is shown.
func (s *Services) CreateAPIToken(ctx context.Context, a Actor) (string, model.APIToken, error) {
	token, hash, err := auth.NewToken()
	if err != nil {
		return "", model.APIToken{}, err
	}
	t := model.APIToken{ID: hash[:16], UserID: a.User.ID, TokenHash: hash, Created: time.Now().UTC()}
	if err := s.store.APITokens().Create(ctx, &t); err != nil {
		return "", model.APIToken{}, err
	}
	return token, t, nil
}

// ListAPITokens lists the actor's tokens.
func (s *Services) ListAPITokens(ctx context.Context, a Actor) ([]model.APIToken, error) {
	return s.store.APITokens().ListByUser(ctx, a.User.ID)
}

// ExpireAPIToken expires one of the actor's tokens, by its id or the token itself.
func (s *Services) ExpireAPIToken(ctx context.Context, a Actor, id string) error {
	if len(id) > 16 {
		id = auth.HashToken(id)[:16]
	}
	defer s.forgetUser(a.User.ID)
	return s.store.APITokens().Expire(ctx, a.User.ID, id)
}
