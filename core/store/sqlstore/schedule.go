package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/signalbox/signalbox/core/model"
	"github.com/signalbox/signalbox/core/store"
)

// scheduleRow is a row of schedules.
type scheduleRow struct {
	ID         int64      `gorm:"column:id;primaryKey"`
	ProjectID  int64      `gorm:"column:project_id"`
	TemplateID int64      `gorm:"column:template_id"`
	Name       string     `gorm:"column:name"`
	Type       string     `gorm:"column:type"`
	CronFormat string     `gorm:"column:cron_format"`
	RunAt      *time.Time `gorm:"column:run_at"`
	Active     bool       `gorm:"column:active"`
	LastFired  *time.Time `gorm:"column:last_fired"`
}

func (scheduleRow) TableName() string { return "schedules" }

func toScheduleRow(s model.Schedule) scheduleRow {
	return scheduleRow{
		ID:         s.ID,
		ProjectID:  s.ProjectID,
		TemplateID: s.TemplateID,
		Name:       s.Name,
		Type:       string(s.Type),
		CronFormat: s.CronFormat,
		RunAt:      dbTimePtr(s.RunAt),
		Active:     s.Active,
		LastFired:  dbTimePtr(s.LastFired),
	}
}

func (r scheduleRow) model() model.Schedule {
	return model.Schedule{
		ID:         r.ID,
		ProjectID:  r.ProjectID,
		TemplateID: r.TemplateID,
		Name:       r.Name,
		Type:       model.ScheduleType(r.Type),
		CronFormat: r.CronFormat,
		RunAt:      modelTimePtr(r.RunAt),
		Active:     r.Active,
		LastFired:  modelTimePtr(r.LastFired),
	}
}

// schedules implements store.Schedules.
type schedules struct{ s *Store }

var _ store.Schedules = schedules{}

func (ss schedules) Create(ctx context.Context, s *model.Schedule) error {
	s.ID, s.LastFired = keptID(ctx, s.ID), nil
	r := toScheduleRow(*s)
	if err := ss.s.db(ctx).Create(&r).Error; err != nil {
		if isForeignKey(err) {
			return model.NotFoundf("project %d or template %d not found", s.ProjectID, s.TemplateID)
		}
		return fmt.Errorf("create schedule in project %d: %w", s.ProjectID, err)
	}
	*s = r.model()
	return nil
}

func (ss schedules) Get(ctx context.Context, projectID, id int64) (model.Schedule, error) {
	var r scheduleRow
	if err := ss.s.db(ctx).Where("id = ? AND project_id = ?", id, projectID).Take(&r).Error; err != nil {
		if isNotFound(err) {
			return model.Schedule{}, model.NotFoundf("schedule %d not found", id)
		}
		return model.Schedule{}, fmt.Errorf("get schedule %d: %w", id, err)
	}
	return r.model(), nil
}

func (ss schedules) List(ctx context.Context, projectID, templateID int64) ([]model.Schedule, error) {
	db := ss.s.db(ctx).Where("project_id = ?", projectID)
	if templateID != 0 {
		db = db.Where("template_id = ?", templateID)
	}
	var rows []scheduleRow
	if err := db.Order("id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list schedules of project %d: %w", projectID, err)
	}
	return mapRows(rows, scheduleRow.model), nil
}

func (ss schedules) Update(ctx context.Context, s model.Schedule) error {
	r := toScheduleRow(s)
	res := ss.s.db(ctx).Model(&scheduleRow{}).Where("id = ? AND project_id = ?", s.ID, s.ProjectID).
		Select("template_id", "name", "type", "cron_format", "run_at", "active").Updates(&r)
	if err := res.Error; err != nil {
		if isForeignKey(err) {
			return model.NotFoundf("template %d not found", s.TemplateID)
		}
		return fmt.Errorf("update schedule %d: %w", s.ID, err)
	}
	if res.RowsAffected == 0 {
		return model.NotFoundf("schedule %d not found", s.ID)
	}
	return nil
}

func (ss schedules) Delete(ctx context.Context, projectID, id int64) error {
	res := ss.s.db(ctx).Where("id = ? AND project_id = ?", id, projectID).Delete(&scheduleRow{})
	if err := res.Error; err != nil {
		return fmt.Errorf("delete schedule %d: %w", id, err)
	}
	if res.RowsAffected == 0 {
		return model.NotFoundf("schedule %d not found", id)
	}
	return nil
}

func (ss schedules) DeleteByTemplate(ctx context.Context, projectID, templateID int64) (int64, error) {
	res := ss.s.db(ctx).Where("project_id = ? AND template_id = ?", projectID, templateID).Delete(&scheduleRow{})
	if err := res.Error; err != nil {
		return 0, fmt.Errorf("delete schedules of template %d: %w", templateID, err)
	}
	return res.RowsAffected, nil
}

func (ss schedules) ListActive(ctx context.Context) ([]model.Schedule, error) {
	var rows []scheduleRow
	if err := ss.s.db(ctx).Where("active = ?", true).Order("id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list active schedules: %w", err)
	}
	return mapRows(rows, scheduleRow.model), nil
}

// ClaimTick is one conditional UPDATE: of several servers claiming the
// same tick at once, the database lets exactly one match.
func (ss schedules) ClaimTick(ctx context.Context, id int64, tick time.Time, deactivate bool) (bool, error) {
	at := dbTime(tick)
	set := map[string]any{"last_fired": at}
	if deactivate {
		set["active"] = false
	}
	res := ss.s.db(ctx).Model(&scheduleRow{}).
		Where("id = ? AND active = ? AND (last_fired IS NULL OR last_fired < ?)", id, true, at).
		Updates(set)
	if err := res.Error; err != nil {
		return false, fmt.Errorf("claim tick %s of schedule %d: %w", at.Format(time.RFC3339), id, err)
	}
	return res.RowsAffected == 1, nil
}
