package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/signalbox/signalbox/core/model"
	"github.com/signalbox/signalbox/core/store"
)

// sessionRow is a row of sessions.
type sessionRow struct {
	ID         int64     `gorm:"column:id;primaryKey"`
	UserID     int64     `gorm:"column:user_id"`
	TokenHash  string    `gorm:"column:token_hash"`
	Created    time.Time `gorm:"column:created"`
	LastActive time.Time `gorm:"column:last_active"`
	Expired    bool      `gorm:"column:expired"`
}

func (sessionRow) TableName() string { return "sessions" }

func toSessionRow(s model.Session) sessionRow {
	return sessionRow{
		ID:         s.ID,
		UserID:     s.UserID,
		TokenHash:  s.TokenHash,
		Created:    dbTime(s.Created),
		LastActive: dbTime(s.LastActive),
		Expired:    s.Expired,
	}
}

func (r sessionRow) model() model.Session {
	return model.Session{
		ID:         r.ID,
		UserID:     r.UserID,
		TokenHash:  r.TokenHash,
		Created:    modelTime(r.Created),
		LastActive: modelTime(r.LastActive),
		Expired:    r.Expired,
	}
}

// sessionUserColumns are the columns GetWithUser reads, in the order of
// its Scan.
const sessionUserColumns = "s.id, s.user_id, s.token_hash, s.created, s.last_active, s.expired, " +
	"u.id, u.username, u.name, u.email, u.password_hash, u.admin, u.alert, u.created"

// GetWithUser reads a session and its user with one query.
func (ss sessions) GetWithUser(ctx context.Context, hash string) (model.Session, model.User, error) {
	rows, err := ss.s.db(ctx).Table("sessions AS s").Select(sessionUserColumns).
		Joins("JOIN users AS u ON u.id = s.user_id").
		Where("s.token_hash = ? AND s.expired = ?", hash, false).Limit(1).Rows()
	if err != nil {
		return model.Session{}, model.User{}, fmt.Errorf("get session: %w", err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return model.Session{}, model.User{}, fmt.Errorf("get session: %w", err)
		}
		return model.Session{}, model.User{}, model.NotFoundf("session not found")
	}
	var (
		s sessionRow
		u userRow
	)
	if err := rows.Scan(&s.ID, &s.UserID, &s.TokenHash, &s.Created, &s.LastActive, &s.Expired,
		&u.ID, &u.Username, &u.Name, &u.Email, &u.PasswordHash, &u.Admin, &u.Alert, &u.Created); err != nil {
		return model.Session{}, model.User{}, fmt.Errorf("get session: %w", err)
	}
	return s.model(), u.model(), nil
}

// sessions implements store.Sessions.
type sessions struct{ s *Store }

var _ store.Sessions = sessions{}

// Create inserts a session; a zero Created is now, a zero LastActive is
// Created.
func (ss sessions) Create(ctx context.Context, s *model.Session) error {
	s.ID = keptID(ctx, s.ID)
	s.Created = nowOr(s.Created)
	if s.LastActive.IsZero() {
		s.LastActive = s.Created
	}
	r := toSessionRow(*s)
	if err := ss.s.db(ctx).Create(&r).Error; err != nil {
		switch {
		case isDuplicate(err):
			return model.Conflictf("a session with this token already exists")
		case isForeignKey(err):
			return model.NotFoundf("user %d not found", s.UserID)
		}
		return fmt.Errorf("create session of user %d: %w", s.UserID, err)
	}
	*s = r.model()
	return nil
}

func (ss sessions) GetByTokenHash(ctx context.Context, hash string) (model.Session, error) {
	var r sessionRow
	err := ss.s.db(ctx).Where("token_hash = ? AND expired = ?", hash, false).Take(&r).Error
	if err != nil {
		if isNotFound(err) {
			return model.Session{}, model.NotFoundf("session not found")
		}
		return model.Session{}, fmt.Errorf("get session: %w", err)
	}
	return r.model(), nil
}

func (ss sessions) Touch(ctx context.Context, id int64, at time.Time) error {
	res := ss.s.db(ctx).Model(&sessionRow{}).Where("id = ?", id).Update("last_active", dbTime(at))
	if err := res.Error; err != nil {
		return fmt.Errorf("touch session %d: %w", id, err)
	}
	if res.RowsAffected == 0 {
		return model.NotFoundf("session %d not found", id)
	}
	return nil
}

func (ss sessions) Expire(ctx context.Context, id int64) error {
	res := ss.s.db(ctx).Model(&sessionRow{}).Where("id = ?", id).Update("expired", true)
	if err := res.Error; err != nil {
		return fmt.Errorf("expire session %d: %w", id, err)
	}
	if res.RowsAffected == 0 {
		return model.NotFoundf("session %d not found", id)
	}
	return nil
}
