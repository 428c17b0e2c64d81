package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/signalbox/signalbox/core/model"
	"github.com/signalbox/signalbox/core/store"
)

// apiTokenRow is a row of api_tokens.
type apiTokenRow struct {
	ID        string    `gorm:"column:id;primaryKey"`
	UserID    int64     `gorm:"column:user_id"`
	TokenHash string    `gorm:"column:token_hash"`
	Created   time.Time `gorm:"column:created"`
	Expired   bool      `gorm:"column:expired"`
}

func (apiTokenRow) TableName() string { return "api_tokens" }

func toAPITokenRow(t model.APIToken) apiTokenRow {
	return apiTokenRow{
		ID:        t.ID,
		UserID:    t.UserID,
		TokenHash: t.TokenHash,
		Created:   dbTime(t.Created),
		Expired:   t.Expired,
	}
}

func (r apiTokenRow) model() model.APIToken {
	return model.APIToken{
		ID:        r.ID,
		UserID:    r.UserID,
		TokenHash: r.TokenHash,
		Created:   modelTime(r.Created),
		Expired:   r.Expired,
	}
}

// apiTokens implements store.APITokens.
type apiTokens struct{ s *Store }

var _ store.APITokens = apiTokens{}

// Create inserts a token; its ID, chosen by the caller, must be set.
func (as apiTokens) Create(ctx context.Context, t *model.APIToken) error {
	if t.ID == "" {
		return model.Invalidf("create API token: empty id")
	}
	t.Created = nowOr(t.Created)
	r := toAPITokenRow(*t)
	if err := as.s.db(ctx).Create(&r).Error; err != nil {
		switch {
		case isDuplicate(err):
			return model.Conflictf("an API token with id %q or the same hash already exists", t.ID)
		case isForeignKey(err):
			return model.NotFoundf("user %d not found", t.UserID)
		}
		return fmt.Errorf("create API token of user %d: %w", t.UserID, err)
	}
	*t = r.model()
	return nil
}

func (as apiTokens) GetByHash(ctx context.Context, hash string) (model.APIToken, error) {
	var r apiTokenRow
	err := as.s.db(ctx).Where("token_hash = ? AND expired = ?", hash, false).Take(&r).Error
	if err != nil {
		if isNotFound(err) {
			return model.APIToken{}, model.NotFoundf("API token not found")
		}
		return model.APIToken{}, fmt.Errorf("get API token: %w", err)
	}
	return r.model(), nil
}

// ListByUser returns all of a user's tokens, expired ones included, oldest
// first.
func (as apiTokens) ListByUser(ctx context.Context, userID int64) ([]model.APIToken, error) {
	var rows []apiTokenRow
	err := as.s.db(ctx).Where("user_id = ?", userID).Order("created, id").Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("list API tokens of user %d: %w", userID, err)
	}
	return mapRows(rows, apiTokenRow.model), nil
}

func (as apiTokens) Expire(ctx context.Context, userID int64, id string) error {
	res := as.s.db(ctx).Model(&apiTokenRow{}).Where("id = ? AND user_id = ?", id, userID).Update("expired", true)
	if err := res.Error; err != nil {
		return fmt.Errorf("expire API token %q: %w", id, err)
	}
	if res.RowsAffected == 0 {
		return model.NotFoundf("API token %q not found", id)
	}
	return nil
}
