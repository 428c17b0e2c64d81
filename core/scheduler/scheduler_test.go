package scheduler_test

import (
	"context"
	"errors"
	"maps"
	"sync"
	"testing"
	"time"

	"github.com/signalbox/signalbox/core/model"
	"github.com/signalbox/signalbox/core/scheduler"
	"github.com/signalbox/signalbox/core/service"
	"github.com/signalbox/signalbox/core/store"
	"github.com/signalbox/signalbox/core/store/sqlstore"
	"github.com/signalbox/signalbox/core/store/storetest"
)

// deadline bounds every wait for the scheduler: ticks are a second apart,
// so this is generous.
const deadline = 15 * time.Second

var system = service.SystemActor

// fixture is a project on a real store, with services over it.
type fixture struct {
	st        store.Store
	svc       *service.Services
	projectID int64
	repoID    int64
}

func newFixture(t *testing.T, st store.Store) *fixture {
	t.Helper()
	p := model.Project{Name: "scheduled"}
	mustNoErr(t, st.Projects().Create(t.Context(), &p), "create project")
	r := model.Repository{ProjectID: p.ID, Name: "repo", GitURL: "/srv/repo"}
	mustNoErr(t, st.Repositories().Create(t.Context(), &r), "create repository")
	return &fixture{st: st, svc: service.New(service.Deps{Store: st}), projectID: p.ID, repoID: r.ID}
}

func (f *fixture) template(t *testing.T, name string) model.Template {
	t.Helper()
	tpl := model.Template{ProjectID: f.projectID, Name: name, App: "bash", Playbook: "run.sh", RepositoryID: f.repoID}
	mustNoErr(t, f.st.Templates().Create(t.Context(), &tpl), "create template")
	return tpl
}

// schedule creates a schedule through the services.
func (f *fixture) schedule(t *testing.T, in service.ScheduleInput) model.Schedule {
	t.Helper()
	in.ProjectID = f.projectID
	sch, err := f.svc.SaveSchedule(t.Context(), system, in)
	mustNoErr(t, err, "save schedule")
	return sch
}

// start runs a scheduler that starts tasks through starter until the test
// ends, and returns a function that stops it and waits for it.
func start(t *testing.T, f *fixture, starter scheduler.Starter) (stop func()) {
	t.Helper()
	return startWith(t, f, f.st.Schedules(), starter)
}

func startWith(t *testing.T, f *fixture, schedules store.Schedules, starter scheduler.Starter) (stop func()) {
	t.Helper()
	s := scheduler.New(scheduler.Config{Location: time.UTC}, scheduler.Deps{Schedules: schedules, Starter: starter})
	f.svc.SetScheduleNotifier(s)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.Run(ctx)
	}()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			<-done
		})
	}
	t.Cleanup(stop)
	return stop
}

func (f *fixture) tasks(t *testing.T, templateID int64) []model.Task {
	t.Helper()
	ts, err := f.st.Tasks().List(context.Background(), store.TaskFilter{ProjectID: f.projectID, TemplateID: templateID})
	mustNoErr(t, err, "list tasks")
	return ts
}

// waitTasks polls until the template has at least n tasks, and returns them.
func (f *fixture) waitTasks(t *testing.T, templateID int64, n int) []model.Task {
	t.Helper()
	end := time.Now().Add(deadline)
	for {
		ts := f.tasks(t, templateID)
		if len(ts) >= n {
			return ts
		}
		if time.Now().After(end) {
			t.Fatalf("template %d has %d tasks after %s, want at least %d", templateID, len(ts), deadline, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func mustNoErr(t *testing.T, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func TestScheduler_Cron(t *testing.T) {
	t.Parallel()
	for name, spec := range map[string]string{
		"a descriptor":             "@every 1s",
		"six fields, with seconds": "* * * * * *",
	} {
		t.Run(name+" starts the template's task on its tick", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, storetest.Open(t, storetest.SQLite))
			tpl := f.template(t, "tick")
			sch := f.schedule(t, service.ScheduleInput{TemplateID: tpl.ID, Name: "every second", CronFormat: spec})
			start(t, f, f.svc)

			task := f.waitTasks(t, tpl.ID, 1)[0]
			if task.Status != model.TaskWaiting || task.UserID != nil || task.Message != "started by schedule every second" {
				t.Errorf("task = %+v; want waiting, by no user, with the schedule's name", task)
			}
			got, err := f.svc.GetSchedule(t.Context(), system, f.projectID, sch.ID)
			mustNoErr(t, err, "get schedule")
			if got.LastFired == nil || !got.Active {
				t.Fatalf("schedule after firing = %+v; want last_fired set, still active", got)
			}
			if late := task.Created.Sub(*got.LastFired); late < 0 || late > 3*time.Second {
				t.Errorf("the task started %s after its tick %s", late, got.LastFired)
			}
		})
	}
}

func TestScheduler_RunAt(t *testing.T) {
	t.Parallel()
	t.Run("fires once at its time, then is inactive", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, storetest.Open(t, storetest.SQLite))
		once, clock := f.template(t, "once"), f.template(t, "clock")
		at := time.Now().Add(1500 * time.Millisecond).UTC().Truncate(time.Microsecond)
		sch := f.schedule(t, service.ScheduleInput{TemplateID: once.ID, Name: "launch", Type: model.ScheduleRunAt, RunAt: &at})
		// A schedule ticking every second shows that time went on.
		f.schedule(t, service.ScheduleInput{TemplateID: clock.ID, CronFormat: "@every 1s"})
		start(t, f, f.svc)

		task := f.waitTasks(t, once.ID, 1)[0]
		if task.Created.Before(at) {
			t.Errorf("the task started at %s, before run_at %s", task.Created, at)
		}
		got, err := f.svc.GetSchedule(t.Context(), system, f.projectID, sch.ID)
		mustNoErr(t, err, "get schedule")
		if got.Active || got.LastFired == nil || !got.LastFired.Equal(at) {
			t.Errorf("schedule after firing = %+v; want inactive, last_fired = run_at", got)
		}
		ticks := len(f.tasks(t, clock.ID))
		f.waitTasks(t, clock.ID, ticks+2)
		if n := len(f.tasks(t, once.ID)); n != 1 {
			t.Errorf("the run_at schedule started %d tasks, want 1", n)
		}
	})
	t.Run("a missed time fires at start within the catch-up window, and is dropped after it", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, storetest.Open(t, storetest.SQLite))
		recent, old := f.template(t, "recent"), f.template(t, "old")
		// The services refuse a past run_at: write them as a server that
		// went down before their time would have left them.
		mk := func(tpl model.Template, ago time.Duration) model.Schedule {
			at := time.Now().Add(-ago)
			s := model.Schedule{ProjectID: f.projectID, TemplateID: tpl.ID, Type: model.ScheduleRunAt, RunAt: &at, Active: true}
			mustNoErr(t, f.st.Schedules().Create(t.Context(), &s), "create schedule")
			return s
		}
		fresh, stale := mk(recent, 10*time.Minute), mk(old, 2*time.Hour)
		start(t, f, f.svc)

		f.waitTasks(t, recent.ID, 1)
		for _, s := range []model.Schedule{fresh, stale} {
			got, err := f.st.Schedules().Get(t.Context(), f.projectID, s.ID)
			mustNoErr(t, err, "get schedule")
			if got.Active {
				t.Errorf("schedule %d is still active", s.ID)
			}
		}
		if n := len(f.tasks(t, old.ID)); n != 0 {
			t.Errorf("a run_at missed by two hours started %d tasks", n)
		}
	})
}

func TestScheduler_InactiveDoesNotFire(t *testing.T) {
	t.Parallel()
	f := newFixture(t, storetest.Open(t, storetest.SQLite))
	off, clock := f.template(t, "off"), f.template(t, "clock")
	f.schedule(t, service.ScheduleInput{TemplateID: off.ID, CronFormat: "@every 1s", Active: new(false)})
	f.schedule(t, service.ScheduleInput{TemplateID: clock.ID, CronFormat: "@every 1s"})
	start(t, f, f.svc)

	f.waitTasks(t, clock.ID, 2)
	if n := len(f.tasks(t, off.ID)); n != 0 {
		t.Errorf("an inactive schedule started %d tasks", n)
	}
}

func TestScheduler_ChangesApply(t *testing.T) {
	t.Parallel()
	f := newFixture(t, storetest.Open(t, storetest.SQLite))
	tpl, clock := f.template(t, "later"), f.template(t, "clock")
	sch := f.schedule(t, service.ScheduleInput{TemplateID: tpl.ID, CronFormat: "0 0 1 1 *"})
	f.schedule(t, service.ScheduleInput{TemplateID: clock.ID, CronFormat: "@every 1s"})
	start(t, f, f.svc)
	f.waitTasks(t, clock.ID, 1)
	if n := len(f.tasks(t, tpl.ID)); n != 0 {
		t.Fatalf("a yearly schedule started %d tasks", n)
	}

	t.Run("a schedule changed to every second starts firing", func(t *testing.T) {
		_, err := f.svc.SaveSchedule(t.Context(), system, service.ScheduleInput{ID: sch.ID, ProjectID: f.projectID, TemplateID: tpl.ID, CronFormat: "@every 1s"})
		mustNoErr(t, err, "save schedule")
		f.waitTasks(t, tpl.ID, 1)
	})
	t.Run("a deleted schedule stops firing", func(t *testing.T) {
		mustNoErr(t, f.svc.DeleteSchedule(t.Context(), system, f.projectID, sch.ID), "delete schedule")
		// The reload that drops it follows the notice at once; a tick
		// already under way may still land.
		n := len(f.tasks(t, tpl.ID))
		ticks := len(f.tasks(t, clock.ID))
		f.waitTasks(t, clock.ID, ticks+2)
		if got := len(f.tasks(t, tpl.ID)); got > n+1 {
			t.Errorf("a deleted schedule went on starting tasks: %d, then %d", n, got)
		}
	})
}

func TestScheduler_TemplateDeleteRemovesSchedules(t *testing.T) {
	t.Parallel()
	f := newFixture(t, storetest.Open(t, storetest.SQLite))
	tpl, other := f.template(t, "doomed"), f.template(t, "kept")
	sch := f.schedule(t, service.ScheduleInput{TemplateID: tpl.ID, CronFormat: "@daily"})
	kept := f.schedule(t, service.ScheduleInput{TemplateID: other.ID, CronFormat: "@daily"})
	start(t, f, f.svc)

	mustNoErr(t, f.svc.Templates().Delete(t.Context(), system, f.projectID, tpl.ID), "delete template")
	if _, err := f.svc.GetSchedule(t.Context(), system, f.projectID, sch.ID); !errors.Is(err, model.ErrNotFound) {
		t.Errorf("schedule of a deleted template: error = %v, want not found", err)
	}
	got, err := f.svc.ListSchedules(t.Context(), system, f.projectID, 0)
	mustNoErr(t, err, "list schedules")
	if len(got) != 1 || got[0].ID != kept.ID {
		t.Errorf("schedules left = %+v, want only %d", got, kept.ID)
	}
}

// recorder counts the claims tried and the tasks started per tick, across
// schedulers.
type recorder struct {
	mu     sync.Mutex
	claims map[time.Time]int
	starts map[time.Time]int
}

// claimCounter counts the claims a scheduler tries.
type claimCounter struct {
	store.Schedules
	r *recorder
}

func (c claimCounter) ClaimTick(ctx context.Context, id int64, tick time.Time, deactivate bool) (bool, error) {
	c.r.mu.Lock()
	c.r.claims[tick.UTC()]++
	c.r.mu.Unlock()
	return c.Schedules.ClaimTick(ctx, id, tick, deactivate)
}

// starter returns a Starter that records through r and starts with svc.
func (r *recorder) starter(svc *service.Services) scheduler.Starter {
	return starterFunc(func(ctx context.Context, sch model.Schedule, tick time.Time) (model.Task, error) {
		r.mu.Lock()
		r.starts[tick.UTC()]++
		r.mu.Unlock()
		return svc.StartScheduledTask(ctx, sch, tick)
	})
}

// snapshot copies the counts.
func (r *recorder) snapshot() (claims, starts map[time.Time]int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return maps.Clone(r.claims), maps.Clone(r.starts)
}

type starterFunc func(ctx context.Context, sch model.Schedule, tick time.Time) (model.Task, error)

func (f starterFunc) StartScheduledTask(ctx context.Context, sch model.Schedule, tick time.Time) (model.Task, error) {
	return f(ctx, sch, tick)
}

func TestScheduler_TwoServersOneDatabase(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Dialects(t) {
		t.Run(dialect+": each tick starts exactly one task", func(t *testing.T) {
			t.Parallel()
			cfg := storetest.NewDatabase(t, dialect)
			open := func() *sqlstore.Store {
				st, err := sqlstore.Open(t.Context(), cfg)
				mustNoErr(t, err, "open store")
				t.Cleanup(func() { _ = st.Close() })
				return st
			}
			a := newFixture(t, open())
			b := &fixture{st: open(), projectID: a.projectID, repoID: a.repoID}
			b.svc = service.New(service.Deps{Store: b.st})
			tpl := a.template(t, "shared")
			a.schedule(t, service.ScheduleInput{TemplateID: tpl.ID, CronFormat: "@every 1s"})

			rec := &recorder{claims: map[time.Time]int{}, starts: map[time.Time]int{}}
			stopA := startWith(t, a, claimCounter{a.st.Schedules(), rec}, rec.starter(a.svc))
			stopB := startWith(t, b, claimCounter{b.st.Schedules(), rec}, rec.starter(b.svc))
			end := time.Now().Add(deadline)
			for {
				if _, starts := rec.snapshot(); len(starts) >= 3 {
					break
				}
				if time.Now().After(end) {
					t.Fatalf("fewer than 3 ticks fired after %s", deadline)
				}
				time.Sleep(50 * time.Millisecond)
			}
			stopA()
			stopB()

			claims, starts := rec.snapshot()
			contested := 0
			for _, n := range claims {
				if n == 2 {
					contested++
				}
			}
			if contested == 0 {
				t.Errorf("no tick was claimed by both schedulers (claims per tick: %v)", claims)
			}
			total := 0
			for tick, n := range starts {
				total += n
				if n != 1 {
					t.Errorf("tick %s started %d tasks, want 1", tick.Format(time.RFC3339Nano), n)
				}
			}
			if got := len(a.tasks(t, tpl.ID)); got != total {
				t.Errorf("the database holds %d tasks, the schedulers started %d", got, total)
			}
		})
	}
}
