package sqlstore

import (
	"context"
	"fmt"

	"gorm.io/gorm/clause"

	"github.com/signalbox/signalbox/core/model"
	"github.com/signalbox/signalbox/core/store"
)

// userOptionRow is a row of user_options.
type userOptionRow struct {
	UserID int64  `gorm:"column:user_id;primaryKey"`
	Name   string `gorm:"column:name;primaryKey"`
	Value  string `gorm:"column:value"`
}

func (userOptionRow) TableName() string { return "user_options" }

// userOptions implements store.UserOptions.
type userOptions struct{ s *Store }

var _ store.UserOptions = userOptions{}

func (uo userOptions) Get(ctx context.Context, userID int64) (map[string]string, error) {
	var rows []userOptionRow
	if err := uo.s.db(ctx).Where("user_id = ?", userID).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("get options of user %d: %w", userID, err)
	}
	out := make(map[string]string, len(rows))
	for _, r := range rows {
		out[r.Name] = r.Value
	}
	return out, nil
}

func (uo userOptions) Set(ctx context.Context, userID int64, name, value string) error {
	db := uo.s.db(ctx)
	if value == "" {
		if err := db.Where("user_id = ? AND name = ?", userID, name).Delete(&userOptionRow{}).Error; err != nil {
			return fmt.Errorf("delete option %q of user %d: %w", name, userID, err)
		}
		return nil
	}
	r := userOptionRow{UserID: userID, Name: name, Value: value}
	err := db.Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "user_id"}, {Name: "name"}},
		DoUpdates: clause.AssignmentColumns([]string{"value"}),
	}).Create(&r).Error
	if err != nil {
		if isForeignKey(err) {
			return model.NotFoundf("user %d not found", userID)
		}
		return fmt.Errorf("set option %q of user %d: %w", name, userID, err)
	}
	return nil
}
