package scheduler

import (
	"context"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/robfig/cron/v3"

	"github.com/signalbox/signalbox/core/model"
	"github.com/signalbox/signalbox/core/store"
)

// Starter starts the task of a schedule's tick, which the scheduler has
// claimed. app wires the services in (service.Services.StartScheduledTask).
type Starter interface {
	StartScheduledTask(ctx context.Context, sch model.Schedule, tick time.Time) (model.Task, error)
}

// Config configures a Scheduler.
type Config struct {
	// Location is the time zone of cron expressions. Default: time.Local.
	Location *time.Location
	// CatchUp is how late a run_at schedule may still fire, when the server
	// was not running at its time. Default: one hour.
	CatchUp time.Duration
	// Resync is how often the active schedules are reloaded without a
	// change notice, to see changes made through other servers. Default: one
	// minute.
	Resync time.Duration
}

// Deps are a Scheduler's dependencies.
type Deps struct {
	Schedules store.Schedules
	Starter   Starter
	Log       hclog.Logger
}

// fireTimeout bounds one firing: the claim and the task's start.
const fireTimeout = 30 * time.Second

// parser reads cron expressions with the options package service checks
// them with: five fields, six with leading seconds, or a descriptor.
var parser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// Scheduler fires the active schedules. Create it with New, start it with
// Run; SchedulesChanged may be called at any time, from any goroutine.
type Scheduler struct {
	cfg       Config
	schedules store.Schedules
	starter   Starter
	log       hclog.Logger
	changed   chan struct{}
	firing    sync.WaitGroup
}

// New returns a scheduler; it does nothing until Run.
func New(cfg Config, d Deps) *Scheduler {
	if cfg.Location == nil {
		cfg.Location = time.Local
	}
	if cfg.CatchUp <= 0 {
		cfg.CatchUp = time.Hour
	}
	if cfg.Resync <= 0 {
		cfg.Resync = time.Minute
	}
	if d.Log == nil {
		d.Log = hclog.NewNullLogger()
	}
	return &Scheduler{cfg: cfg, schedules: d.Schedules, starter: d.Starter, log: d.Log.Named("scheduler"),
		changed: make(chan struct{}, 1)}
}

// SchedulesChanged asks the scheduler to reload the schedules (all of
// them: projectID is informative). It never blocks.
func (s *Scheduler) SchedulesChanged(projectID int64) {
	select {
	case s.changed <- struct{}{}:
	default:
	}
}

// entry is a loaded schedule and its next tick.
type entry struct {
	sch model.Schedule
	// spec is nil for a run_at schedule.
	spec cron.Schedule
	next time.Time
}

// Run loads the active schedules and fires them until ctx is done, then
// waits for the firings under way (each bounded by a timeout).
func (s *Scheduler) Run(ctx context.Context) {
	defer s.firing.Wait()
	entries := map[int64]*entry{}
	warned := map[int64]string{}
	s.reload(ctx, entries, warned)
	resync := time.NewTicker(s.cfg.Resync)
	defer resync.Stop()
	timer := time.NewTimer(s.cfg.Resync)
	defer timer.Stop()
	for {
		now := time.Now()
		var earliest time.Time
		for id, e := range entries {
			if !e.next.After(now) {
				s.fire(ctx, e.sch, e.next)
				if e.spec == nil {
					delete(entries, id)
					continue
				}
				e.next = nextTick(e.spec, now.In(s.cfg.Location))
				if e.next.IsZero() {
					delete(entries, id)
					continue
				}
			}
			if earliest.IsZero() || e.next.Before(earliest) {
				earliest = e.next
			}
		}
		wait := s.cfg.Resync
		if !earliest.IsZero() && earliest.Sub(now) < wait {
			wait = earliest.Sub(now)
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return
		case <-s.changed:
			s.reload(ctx, entries, warned)
		case <-resync.C:
			s.reload(ctx, entries, warned)
		case <-timer.C:
		}
	}
}

// reload brings entries in line with the active schedules of the store. A
// schedule whose timing did not change keeps its next tick. warned holds
// the cron expressions already reported as unusable, by schedule.
func (s *Scheduler) reload(ctx context.Context, entries map[int64]*entry, warned map[int64]string) {
	list, err := s.schedules.ListActive(ctx)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error("load schedules; keeping the ones loaded", "error", err)
		}
		return
	}
	now := time.Now()
	active := make(map[int64]bool, len(list))
	for _, sch := range list {
		active[sch.ID] = true
		if e, ok := entries[sch.ID]; ok && sameTiming(e.sch, sch) {
			e.sch = sch
			continue
		}
		delete(entries, sch.ID)
		if e := s.newEntry(ctx, sch, now, warned); e != nil {
			entries[sch.ID] = e
		}
	}
	for id := range entries {
		if !active[id] {
			delete(entries, id)
		}
	}
	for id := range warned {
		if !active[id] {
			delete(warned, id)
		}
	}
}

// newEntry returns the entry of a schedule, or nil if it will not fire.
func (s *Scheduler) newEntry(ctx context.Context, sch model.Schedule, now time.Time, warned map[int64]string) *entry {
	log := s.log.With("schedule_id", sch.ID, "project_id", sch.ProjectID)
	if sch.Type == model.ScheduleRunAt {
		switch {
		case sch.RunAt == nil:
			return nil
		case sch.LastFired != nil && !sch.LastFired.Before(*sch.RunAt):
			return nil // already taken; its claim is about to make it inactive
		case sch.RunAt.Before(now.Add(-s.cfg.CatchUp)):
			// Missed by more than the catch-up window: take the tick
			// without a task, which makes the schedule inactive.
			if ok, err := s.schedules.ClaimTick(ctx, sch.ID, *sch.RunAt, true); err != nil {
				log.Error("drop missed run_at schedule", "error", err)
			} else if ok {
				log.Warn("run_at schedule missed by more than the catch-up window; made inactive without a task",
					"run_at", sch.RunAt.Format(time.RFC3339), "catch_up", s.cfg.CatchUp.String())
			}
			return nil
		}
		return &entry{sch: sch, next: *sch.RunAt}
	}
	spec, err := parser.Parse(sch.CronFormat)
	if err != nil {
		if warned[sch.ID] != sch.CronFormat {
			warned[sch.ID] = sch.CronFormat
			log.Warn("schedule has an unusable cron expression; it will not fire", "cron_format", sch.CronFormat, "error", err)
		}
		return nil
	}
	next := nextTick(spec, now.In(s.cfg.Location))
	if next.IsZero() {
		if warned[sch.ID] != sch.CronFormat {
			warned[sch.ID] = sch.CronFormat
			log.Warn("schedule's cron expression never fires", "cron_format", sch.CronFormat)
		}
		return nil
	}
	return &entry{sch: sch, spec: spec, next: next}
}

// sameTiming reports whether two versions of a schedule fire at the same times.
func sameTiming(a, b model.Schedule) bool {
	if a.Type != b.Type || a.CronFormat != b.CronFormat || (a.RunAt == nil) != (b.RunAt == nil) {
		return false
	}
	return a.RunAt == nil || a.RunAt.Equal(*b.RunAt)
}

// nextTick returns the first tick of spec after t, in t's location; zero
// when there is none. "@every d" ticks fall on multiples of d since Go's
// zero time, the same on every server.
func nextTick(spec cron.Schedule, t time.Time) time.Time {
	if d, ok := spec.(cron.ConstantDelaySchedule); ok {
		return t.Truncate(d.Delay).Add(d.Delay)
	}
	return spec.Next(t)
}

// fire claims a tick and, when this server won it, starts the task, in the
// background.
func (s *Scheduler) fire(ctx context.Context, sch model.Schedule, tick time.Time) {
	s.firing.Add(1)
	go func() {
		defer s.firing.Done()
		// A firing that began finishes even if the server is stopping: a
		// claimed tick without its task would be a lost run.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), fireTimeout)
		defer cancel()
		log := s.log.With("schedule_id", sch.ID, "project_id", sch.ProjectID, "tick", tick.Format(time.RFC3339))
		ok, err := s.schedules.ClaimTick(ctx, sch.ID, tick, sch.Type == model.ScheduleRunAt)
		if err != nil {
			log.Error("claim schedule tick", "error", err)
			return
		}
		if !ok {
			log.Debug("tick already taken, or the schedule changed")
			return
		}
		t, err := s.starter.StartScheduledTask(ctx, sch, tick)
		if err != nil {
			log.Error("start scheduled task", "error", err)
			return
		}
		log.Info("schedule fired", "task_id", t.ID, "template_id", t.TemplateID)
	}()
}
