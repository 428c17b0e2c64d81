package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/signalbox/signalbox/core/model"
	"github.com/signalbox/signalbox/core/store"
)

// userRow is a row of users.
type userRow struct {
	ID       int64  `gorm:"column:id;primaryKey"`
	Username string `gorm:"column:username"`
	Name     string `gorm:"column:name"`
	// Email is NULL when empty: the unique index ignores NULLs.
	Email        *string   `gorm:"column:email"`
	PasswordHash string    `gorm:"column:password_hash"`
	Admin        bool      `gorm:"column:admin"`
	Alert        bool      `gorm:"column:alert"`
	Created      time.Time `gorm:"column:created"`
}

func (userRow) TableName() string { return "users" }

func toUserRow(u model.User) userRow {
	r := userRow{
		ID:           u.ID,
		Username:     u.Username,
		Name:         u.Name,
		PasswordHash: u.PasswordHash,
		Admin:        u.Admin,
		Alert:        u.Alert,
		Created:      dbTime(u.Created),
	}
	if u.Email != "" {
		r.Email = &u.Email
	}
	return r
}

func (r userRow) model() model.User {
	u := model.User{
		ID:           r.ID,
		Username:     r.Username,
		Name:         r.Name,
		PasswordHash: r.PasswordHash,
		Admin:        r.Admin,
		Alert:        r.Alert,
		Created:      modelTime(r.Created),
	}
	if r.Email != nil {
		u.Email = *r.Email
	}
	return u
}

var userSorts = sortColumns{
	"id":       "id",
	"username": "username",
	"name":     "name",
	// NULL (no email) sorts first on every dialect, as "".
	"email":   "COALESCE(email, '')",
	"created": "created",
}

// users implements store.Users.
type users struct{ s *Store }

var _ store.Users = users{}

func (us users) Create(ctx context.Context, u *model.User) error {
	u.ID = keptID(ctx, u.ID)
	u.Created = nowOr(u.Created)
	r := toUserRow(*u)
	if err := us.s.db(ctx).Create(&r).Error; err != nil {
		if isDuplicate(err) {
			return model.Conflictf("a user with username %q or email %q already exists", u.Username, u.Email)
		}
		return fmt.Errorf("create user %q: %w", u.Username, err)
	}
	*u = r.model()
	return nil
}

func (us users) Get(ctx context.Context, id int64) (model.User, error) {
	var r userRow
	if err := us.s.db(ctx).Where("id = ?", id).Take(&r).Error; err != nil {
		if isNotFound(err) {
			return model.User{}, model.NotFoundf("user %d not found", id)
		}
		return model.User{}, fmt.Errorf("get user %d: %w", id, err)
	}
	return r.model(), nil
}

// GetByLogin finds a user by username first, then by email.
func (us users) GetByLogin(ctx context.Context, login string) (model.User, error) {
	if login == "" {
		return model.User{}, model.NotFoundf("user %q not found", login)
	}
	for _, col := range []string{"username", "email"} {
		var r userRow
		err := us.s.db(ctx).Where(col+" = ?", login).Take(&r).Error
		if err == nil {
			return r.model(), nil
		}
		if !isNotFound(err) {
			return model.User{}, fmt.Errorf("get user %q: %w", login, err)
		}
	}
	return model.User{}, model.NotFoundf("user %q not found", login)
}

// List sorts by id, username (default), name, email or created.
func (us users) List(ctx context.Context, opts store.ListOptions) ([]model.User, error) {
	rows, err := list[userRow](us.s.db(ctx), opts, userSorts, "username")
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return mapRows(rows, userRow.model), nil
}

// Update changes the user's username, name, email and flags; neither the
// password hash (see SetPassword) nor the creation time.
func (us users) Update(ctx context.Context, u model.User) error {
	r := toUserRow(u)
	res := us.s.db(ctx).Model(&userRow{}).Where("id = ?", u.ID).
		Select("username", "name", "email", "admin", "alert").Updates(&r)
	if err := res.Error; err != nil {
		if isDuplicate(err) {
			return model.Conflictf("a user with username %q or email %q already exists", u.Username, u.Email)
		}
		return fmt.Errorf("update user %d: %w", u.ID, err)
	}
	if res.RowsAffected == 0 {
		return model.NotFoundf("user %d not found", u.ID)
	}
	return nil
}

func (us users) SetPassword(ctx context.Context, id int64, hash string) error {
	res := us.s.db(ctx).Model(&userRow{}).Where("id = ?", id).Update("password_hash", hash)
	if err := res.Error; err != nil {
		return fmt.Errorf("set password of user %d: %w", id, err)
	}
	if res.RowsAffected == 0 {
		return model.NotFoundf("user %d not found", id)
	}
	return nil
}

// Delete removes the user with its memberships, sessions and API tokens.
// Tasks the user started keep their user id.
func (us users) Delete(ctx context.Context, id int64) error {
	return us.s.WithTx(ctx, func(ctx context.Context) error {
		db := us.s.db(ctx)
		for _, row := range []any{&memberRow{}, &sessionRow{}, &apiTokenRow{}, &userOptionRow{}} {
			if err := db.Where("user_id = ?", id).Delete(row).Error; err != nil {
				return fmt.Errorf("delete user %d: %w", id, err)
			}
		}
		res := db.Where("id = ?", id).Delete(&userRow{})
		if err := res.Error; err != nil {
			return fmt.Errorf("delete user %d: %w", id, err)
		}
		if res.RowsAffected == 0 {
			return model.NotFoundf("user %d not found", id)
		}
		return nil
	})
}

func (us users) Count(ctx context.Context) (int64, error) {
	var n int64
	if err := us.s.db(ctx).Model(&userRow{}).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("count users: %w", err)
	}
	return n, nil
}
