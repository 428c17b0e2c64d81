package service

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/signalbox/signalbox/core/auth"
	"github.com/signalbox/signalbox/core/model"
)

// ScheduleNotifier hears that a project's schedules changed. The scheduler
// implements it and reloads them; app wires it with SetScheduleNotifier.
type ScheduleNotifier interface {
	SchedulesChanged(projectID int64)
}

// SetScheduleNotifier sets who hears of changed schedules. Call it before
// the services serve requests; nil (the default) tells no one.
func (s *Services) SetScheduleNotifier(n ScheduleNotifier) { s.scheduleNotifier = n }

func (s *Services) schedulesChanged(projectID int64) {
	if s.scheduleNotifier != nil {
		s.scheduleNotifier.SchedulesChanged(projectID)
	}
}

// cronParser reads cron expressions: the standard five fields (minute hour
// day-of-month month day-of-week), six with leading seconds, or a
// descriptor (@yearly, @monthly, @weekly, @daily, @hourly, @every <duration>).
// Package scheduler parses with the same options.
var cronParser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// validateCronFormat checks a cron expression; a bad one is ErrInvalid.
func validateCronFormat(spec string) error {
	if strings.TrimSpace(spec) == "" {
		return model.Invalidf("cron_format is required")
	}
	sch, err := cronParser.Parse(strings.TrimSpace(spec))
	if err != nil {
		return model.Invalidf("cron_format %q: %v", spec, err)
	}
	if sch.Next(time.Now()).IsZero() {
		return model.Invalidf("cron_format %q never fires", spec)
	}
	return nil
}

// ScheduleInput is what creating or changing a schedule takes.
type ScheduleInput struct {
	// ID is 0 to create a schedule.
	ID         int64
	ProjectID  int64
	TemplateID int64
	Name       string
	// Type is "" or "cron" for a cron schedule, "run_at" for a one-off.
	Type       model.ScheduleType
	CronFormat string
	RunAt      *time.Time
	// Active nil means true for a new schedule and unchanged for an
	// existing one.
	Active *bool
}

// ListSchedules lists a project's schedules, or with templateID other than
// 0 a template's.
func (s *Services) ListSchedules(ctx context.Context, a Actor, projectID, templateID int64) ([]model.Schedule, error) {
	if _, err := s.access(ctx, a, projectID, auth.PermRead); err != nil {
		return nil, err
	}
	if templateID != 0 {
		if _, err := s.store.Templates().Get(ctx, projectID, templateID); err != nil {
			return nil, err
		}
	}
	return s.store.Schedules().List(ctx, projectID, templateID)
}

// GetSchedule returns a schedule.
func (s *Services) GetSchedule(ctx context.Context, a Actor, projectID, id int64) (model.Schedule, error) {
	if _, err := s.access(ctx, a, projectID, auth.PermRead); err != nil {
		return model.Schedule{}, err
	}
	return s.store.Schedules().Get(ctx, projectID, id)
}

// CheckCronFormat validates a cron expression for a member of the project.
func (s *Services) CheckCronFormat(ctx context.Context, a Actor, projectID int64, spec string) error {
	if _, err := s.access(ctx, a, projectID, auth.PermRead); err != nil {
		return err
	}
	return validateCronFormat(spec)
}

// SaveSchedule creates (ID 0) or changes a schedule and tells the
// scheduler.
func (s *Services) SaveSchedule(ctx context.Context, a Actor, in ScheduleInput) (model.Schedule, error) {
	if _, err := s.access(ctx, a, in.ProjectID, auth.PermManageResources); err != nil {
		return model.Schedule{}, err
	}
	sch := model.Schedule{ID: in.ID, ProjectID: in.ProjectID, TemplateID: in.TemplateID, Name: strings.TrimSpace(in.Name),
		Type: in.Type, CronFormat: strings.TrimSpace(in.CronFormat), RunAt: in.RunAt, Active: true}
	if in.ID != 0 {
		old, err := s.store.Schedules().Get(ctx, in.ProjectID, in.ID)
		if err != nil {
			return model.Schedule{}, err
		}
		sch.Active, sch.LastFired = old.Active, old.LastFired
	}
	if in.Active != nil {
		sch.Active = *in.Active
	}
	if err := s.validateSchedule(ctx, &sch); err != nil {
		return model.Schedule{}, err
	}
	if sch.ID == 0 {
		if err := s.store.Schedules().Create(ctx, &sch); err != nil {
			return model.Schedule{}, err
		}
		s.event(ctx, a, sch.ProjectID, "schedule", sch.ID, "%s created schedule %s", who(a), scheduleLabel(sch))
	} else {
		if err := s.store.Schedules().Update(ctx, sch); err != nil {
			return model.Schedule{}, err
		}
		s.event(ctx, a, sch.ProjectID, "schedule", sch.ID, "%s changed schedule %s", who(a), scheduleLabel(sch))
	}
	s.schedulesChanged(sch.ProjectID)
	return sch, nil
}

func (s *Services) validateSchedule(ctx context.Context, sch *model.Schedule) error {
	if sch.TemplateID == 0 {
		return model.Invalidf("template_id is required")
	}
	if _, err := s.store.Templates().Get(ctx, sch.ProjectID, sch.TemplateID); errors.Is(err, model.ErrNotFound) {
		return model.Invalidf("template_id: template %d does not exist in this project", sch.TemplateID)
	} else if err != nil {
		return err
	}
	switch sch.Type {
	case model.ScheduleCron, "cron":
		sch.Type = model.ScheduleCron
		return validateCronFormat(sch.CronFormat)
	case model.ScheduleRunAt:
		if sch.RunAt == nil || sch.RunAt.IsZero() {
			return model.Invalidf("run_at is required for a schedule of type run_at")
		}
		at := sch.RunAt.UTC()
		sch.RunAt = &at
		if sch.Active && !at.After(time.Now()) {
			return model.Invalidf("run_at %s is not in the future", at.Format(time.RFC3339))
		}
		return nil
	}
	return model.Invalidf("schedule type %q: want \"\" (cron) or run_at", sch.Type)
}

// DeleteSchedule deletes a schedule and tells the scheduler.
func (s *Services) DeleteSchedule(ctx context.Context, a Actor, projectID, id int64) error {
	if _, err := s.access(ctx, a, projectID, auth.PermManageResources); err != nil {
		return err
	}
	sch, err := s.store.Schedules().Get(ctx, projectID, id)
	if err != nil {
		return err
	}
	if err := s.store.Schedules().Delete(ctx, projectID, id); err != nil {
		return err
	}
	s.event(ctx, a, projectID, "schedule", id, "%s deleted schedule %s", who(a), scheduleLabel(sch))
	s.schedulesChanged(projectID)
	return nil
}

// deleteTemplateSchedules deletes a template's schedules, in the
// transaction that deletes the template. The scheduler may reload before
// it commits; a schedule it still holds then fails its claim, as its row
// is gone, and drops out at the next reload.
func (s *Services) deleteTemplateSchedules(ctx context.Context, projectID, templateID int64) error {
	n, err := s.store.Schedules().DeleteByTemplate(ctx, projectID, templateID)
	if err != nil {
		return err
	}
	if n > 0 {
		s.schedulesChanged(projectID)
	}
	return nil
}

// StartScheduledTask starts the task of a schedule whose tick the caller
// (the scheduler) has claimed. It acts as the system; a failure is also
// recorded as an event of the schedule, as no one waits for the answer.
func (s *Services) StartScheduledTask(ctx context.Context, sch model.Schedule, tick time.Time) (model.Task, error) {
	cur, err := s.store.Schedules().Get(ctx, sch.ProjectID, sch.ID)
	if err != nil {
		return model.Task{}, err
	}
	t, err := s.StartTask(ctx, SystemActor, cur.ProjectID, NewTask{TemplateID: cur.TemplateID,
		Message: "started by schedule " + scheduleName(cur)})
	if err != nil {
		s.event(ctx, SystemActor, cur.ProjectID, "schedule", cur.ID, "schedule %s could not start a task for %s: %v",
			scheduleLabel(cur), tick.Format(time.RFC3339), err)
		return model.Task{}, fmt.Errorf("schedule %d: %w", cur.ID, err)
	}
	return t, nil
}

// scheduleName is a schedule's name, or its id when it has none.
func scheduleName(sch model.Schedule) string {
	if sch.Name != "" {
		return sch.Name
	}
	return fmt.Sprintf("%d", sch.ID)
}

// scheduleLabel names a schedule in event descriptions.
func scheduleLabel(sch model.Schedule) string {
	if sch.Name != "" {
		return fmt.Sprintf("%q", sch.Name)
	}
	return fmt.Sprintf("%d", sch.ID)
}
