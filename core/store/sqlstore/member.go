package sqlstore

import (
	"context"
	"fmt"

	"github.com/signalbox/signalbox/core/model"
	"github.com/signalbox/signalbox/core/store"
)

// memberRow is a row of project_users.
type memberRow struct {
	ProjectID int64  `gorm:"column:project_id;primaryKey;autoIncrement:false"`
	UserID    int64  `gorm:"column:user_id;primaryKey;autoIncrement:false"`
	Role      string `gorm:"column:role"`
}

func (memberRow) TableName() string { return "project_users" }

func toMemberRow(m model.ProjectUser) memberRow {
	return memberRow{ProjectID: m.ProjectID, UserID: m.UserID, Role: string(m.Role)}
}

func (r memberRow) model() model.ProjectUser {
	return model.ProjectUser{ProjectID: r.ProjectID, UserID: r.UserID, Role: model.Role(r.Role)}
}

// members implements store.Members.
type members struct{ s *Store }

var _ store.Members = members{}

func (ms members) Add(ctx context.Context, m model.ProjectUser) error {
	if !m.Role.Valid() {
		return model.Invalidf("unknown role %q", m.Role)
	}
	r := toMemberRow(m)
	if err := ms.s.db(ctx).Create(&r).Error; err != nil {
		switch {
		case isDuplicate(err):
			return model.Conflictf("user %d is already a member of project %d", m.UserID, m.ProjectID)
		case isForeignKey(err):
			return model.NotFoundf("project %d or user %d not found", m.ProjectID, m.UserID)
		}
		return fmt.Errorf("add user %d to project %d: %w", m.UserID, m.ProjectID, err)
	}
	return nil
}

func (ms members) Get(ctx context.Context, projectID, userID int64) (model.ProjectUser, error) {
	var r memberRow
	err := ms.s.db(ctx).Where("project_id = ? AND user_id = ?", projectID, userID).Take(&r).Error
	if err != nil {
		if isNotFound(err) {
			return model.ProjectUser{}, model.NotFoundf("user %d is not a member of project %d", userID, projectID)
		}
		return model.ProjectUser{}, fmt.Errorf("get member %d of project %d: %w", userID, projectID, err)
	}
	return r.model(), nil
}

// List returns a project's members by user id.
func (ms members) List(ctx context.Context, projectID int64) ([]model.ProjectUser, error) {
	var rows []memberRow
	if err := ms.s.db(ctx).Where("project_id = ?", projectID).Order("user_id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list members of project %d: %w", projectID, err)
	}
	return mapRows(rows, memberRow.model), nil
}

// Update changes a member's role.
func (ms members) Update(ctx context.Context, m model.ProjectUser) error {
	if !m.Role.Valid() {
		return model.Invalidf("unknown role %q", m.Role)
	}
	res := ms.s.db(ctx).Model(&memberRow{}).Where("project_id = ? AND user_id = ?", m.ProjectID, m.UserID).
		Update("role", string(m.Role))
	if err := res.Error; err != nil {
		return fmt.Errorf("update member %d of project %d: %w", m.UserID, m.ProjectID, err)
	}
	if res.RowsAffected == 0 {
		return model.NotFoundf("user %d is not a member of project %d", m.UserID, m.ProjectID)
	}
	return nil
}

func (ms members) Remove(ctx context.Context, projectID, userID int64) error {
	res := ms.s.db(ctx).Where("project_id = ? AND user_id = ?", projectID, userID).Delete(&memberRow{})
	if err := res.Error; err != nil {
		return fmt.Errorf("remove member %d of project %d: %w", userID, projectID, err)
	}
	if res.RowsAffected == 0 {
		return model.NotFoundf("user %d is not a member of project %d", userID, projectID)
	}
	return nil
}
