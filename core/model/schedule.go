package model

import "time"

// ScheduleType says when a schedule fires.
type ScheduleType string

// The schedule types.
const (
	// ScheduleCron fires on every tick of CronFormat. Semaphore's empty
	// type; the API also accepts "cron".
	ScheduleCron ScheduleType = ""
	// ScheduleRunAt fires once, at RunAt, and then becomes inactive.
	ScheduleRunAt ScheduleType = "run_at"
)

// Schedule starts a template's task on a timetable.
type Schedule struct {
	ID         int64
	ProjectID  int64
	TemplateID int64
	Name       string
	Type       ScheduleType
	// CronFormat is the cron expression of a ScheduleCron schedule: five
	// fields, six with leading seconds, or a descriptor such as "@hourly"
	// or "@every 10m".
	CronFormat string
	// RunAt is when a ScheduleRunAt schedule fires.
	RunAt *time.Time
	// Active schedules fire; inactive ones are kept but do not.
	Active bool
	// LastFired is the tick the schedule last took (the scheduled time, not
	// the time the task started); nil before the first. It is set by a
	// compare-and-set before a task starts, so that no tick runs twice.
	LastFired *time.Time
}
