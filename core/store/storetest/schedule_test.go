package storetest_test

import (
	"sync"
	"testing"
	"time"

	"github.com/signalbox/signalbox/core/model"
	"github.com/signalbox/signalbox/core/store"
	"github.com/signalbox/signalbox/core/store/storetest"
)

// scheduleTemplate creates a repository and a template in a project.
func scheduleTemplate(t *testing.T, st store.Store, projectID int64) model.Template {
	t.Helper()
	r := model.Repository{ProjectID: projectID, Name: uniq("repo"), GitURL: "/srv/repo"}
	mustNoErr(t, st.Repositories().Create(t.Context(), &r), "create repository")
	tpl := model.Template{ProjectID: projectID, Name: uniq("template"), App: "bash", Playbook: "run.sh", RepositoryID: r.ID}
	mustNoErr(t, st.Templates().Create(t.Context(), &tpl), "create template")
	return tpl
}

func TestSchedules(t *testing.T) {
	t.Parallel()
	storetest.ForEachBackend(t, func(t *testing.T, st store.Store) {
		ss := st.Schedules()
		p, q := mustProject(t, st), mustProject(t, st)
		tp1, tp2, tq := scheduleTemplate(t, st, p.ID), scheduleTemplate(t, st, p.ID), scheduleTemplate(t, st, q.ID)
		runAt := now().Add(time.Hour)

		cron := model.Schedule{ProjectID: p.ID, TemplateID: tp1.ID, Name: "nightly", CronFormat: "0 3 * * *", Active: true,
			LastFired: ptr(now())}
		mustNoErr(t, ss.Create(t.Context(), &cron), "Create cron")
		if cron.ID == 0 || cron.LastFired != nil {
			t.Fatalf("Create set %+v; want an id and no last_fired", cron)
		}
		once := model.Schedule{ProjectID: p.ID, TemplateID: tp2.ID, Name: "once", Type: model.ScheduleRunAt, RunAt: &runAt}
		mustNoErr(t, ss.Create(t.Context(), &once), "Create run_at")
		other := model.Schedule{ProjectID: q.ID, TemplateID: tq.ID, Name: "other", CronFormat: "@hourly", Active: true}
		mustNoErr(t, ss.Create(t.Context(), &other), "Create in q")

		t.Run("a created schedule reads back the same", func(t *testing.T) {
			got, err := ss.Get(t.Context(), p.ID, once.ID)
			mustNoErr(t, err, "Get")
			wantSame(t, got, once, "schedule")
		})
		t.Run("a schedule of another project is not found", func(t *testing.T) {
			_, err := ss.Get(t.Context(), q.ID, cron.ID)
			wantErr(t, err, model.ErrNotFound, "Get in the wrong project")
			wantErr(t, ss.Delete(t.Context(), q.ID, cron.ID), model.ErrNotFound, "Delete in the wrong project")
			wantErr(t, ss.Update(t.Context(), model.Schedule{ID: cron.ID, ProjectID: q.ID, TemplateID: tq.ID}), model.ErrNotFound, "Update in the wrong project")
		})
		t.Run("a schedule of a missing template is refused", func(t *testing.T) {
			s := model.Schedule{ProjectID: p.ID, TemplateID: 999999, CronFormat: "@daily"}
			wantErr(t, ss.Create(t.Context(), &s), model.ErrNotFound, "Create")
		})
		t.Run("list by project and by template", func(t *testing.T) {
			got, err := ss.List(t.Context(), p.ID, 0)
			mustNoErr(t, err, "List")
			wantSame(t, got, []model.Schedule{cron, once}, "schedules of p")
			got, err = ss.List(t.Context(), p.ID, tp2.ID)
			mustNoErr(t, err, "List by template")
			wantSame(t, got, []model.Schedule{once}, "schedules of template 2")
		})
		t.Run("list active spans projects and skips inactive ones", func(t *testing.T) {
			got, err := ss.ListActive(t.Context())
			mustNoErr(t, err, "ListActive")
			wantSame(t, got, []model.Schedule{cron, other}, "active schedules")
		})

		t.Run("a tick is claimed once, and never an earlier one", func(t *testing.T) {
			tick := now().Truncate(time.Second)
			ok, err := ss.ClaimTick(t.Context(), cron.ID, tick, false)
			mustNoErr(t, err, "ClaimTick")
			if !ok {
				t.Fatal("first claim of a tick failed")
			}
			for name, at := range map[string]time.Time{"the same tick": tick, "an earlier tick": tick.Add(-time.Minute)} {
				ok, err := ss.ClaimTick(t.Context(), cron.ID, at, false)
				mustNoErr(t, err, "ClaimTick")
				if ok {
					t.Errorf("claimed %s again", name)
				}
			}
			got, err := ss.Get(t.Context(), p.ID, cron.ID)
			mustNoErr(t, err, "Get")
			if got.LastFired == nil || !got.LastFired.Equal(tick) || !got.Active {
				t.Errorf("after the claim: %+v; want last_fired %s and active", got, tick)
			}
			ok, err = ss.ClaimTick(t.Context(), cron.ID, tick.Add(time.Minute), false)
			mustNoErr(t, err, "ClaimTick")
			if !ok {
				t.Error("a later tick was refused")
			}
		})
		t.Run("of claims racing for one tick exactly one wins", func(t *testing.T) {
			s := model.Schedule{ProjectID: q.ID, TemplateID: tq.ID, CronFormat: "* * * * *", Active: true}
			mustNoErr(t, ss.Create(t.Context(), &s), "Create")
			tick := now().Truncate(time.Second)
			var wg sync.WaitGroup
			var mu sync.Mutex
			won := 0
			for range 8 {
				wg.Go(func() {
					ok, err := ss.ClaimTick(t.Context(), s.ID, tick, false)
					if err != nil {
						t.Errorf("ClaimTick: %v", err)
					}
					if ok {
						mu.Lock()
						won++
						mu.Unlock()
					}
				})
			}
			wg.Wait()
			if won != 1 {
				t.Errorf("%d claims won the tick, want 1", won)
			}
		})
		t.Run("an inactive or missing schedule cannot be claimed", func(t *testing.T) {
			ok, err := ss.ClaimTick(t.Context(), once.ID, runAt, true)
			mustNoErr(t, err, "ClaimTick")
			if ok {
				t.Error("claimed an inactive schedule")
			}
			ok, err = ss.ClaimTick(t.Context(), 999999, runAt, false)
			mustNoErr(t, err, "ClaimTick")
			if ok {
				t.Error("claimed a missing schedule")
			}
		})
		t.Run("update changes the fields but keeps last fired", func(t *testing.T) {
			before, err := ss.Get(t.Context(), p.ID, cron.ID)
			mustNoErr(t, err, "Get")
			changed := before
			changed.Name, changed.CronFormat, changed.TemplateID, changed.Active = "hourly", "@hourly", tp2.ID, false
			changed.LastFired = nil
			mustNoErr(t, ss.Update(t.Context(), changed), "Update")
			got, err := ss.Get(t.Context(), p.ID, cron.ID)
			mustNoErr(t, err, "Get")
			changed.LastFired = before.LastFired
			wantSame(t, got, changed, "updated schedule")
		})
		t.Run("a claim with deactivate makes a run_at schedule inactive", func(t *testing.T) {
			s := model.Schedule{ProjectID: q.ID, TemplateID: tq.ID, Type: model.ScheduleRunAt, RunAt: &runAt, Active: true}
			mustNoErr(t, ss.Create(t.Context(), &s), "Create")
			ok, err := ss.ClaimTick(t.Context(), s.ID, runAt, true)
			mustNoErr(t, err, "ClaimTick")
			got, err := ss.Get(t.Context(), q.ID, s.ID)
			mustNoErr(t, err, "Get")
			if !ok || got.Active || got.LastFired == nil || !got.LastFired.Equal(runAt) {
				t.Errorf("claim ok=%v, schedule %+v; want inactive, last_fired %s", ok, got, runAt)
			}
		})
		t.Run("deleting by template removes only that template's", func(t *testing.T) {
			n, err := ss.DeleteByTemplate(t.Context(), p.ID, tp2.ID)
			mustNoErr(t, err, "DeleteByTemplate")
			if n != 2 {
				t.Errorf("DeleteByTemplate removed %d, want 2", n)
			}
			got, err := ss.List(t.Context(), p.ID, 0)
			mustNoErr(t, err, "List")
			if len(got) != 0 {
				t.Errorf("%d schedules remain in p", len(got))
			}
			mustNoErr(t, st.Templates().Delete(t.Context(), p.ID, tp2.ID), "delete the template")
		})
		t.Run("delete removes one", func(t *testing.T) {
			mustNoErr(t, ss.Delete(t.Context(), q.ID, other.ID), "Delete")
			_, err := ss.Get(t.Context(), q.ID, other.ID)
			wantErr(t, err, model.ErrNotFound, "Get after Delete")
			wantErr(t, ss.Delete(t.Context(), q.ID, other.ID), model.ErrNotFound, "Delete again")
		})
		t.Run("deleting a project deletes its schedules", func(t *testing.T) {
			mustNoErr(t, st.Projects().Delete(t.Context(), q.ID), "Delete project")
			got, err := ss.List(t.Context(), q.ID, 0)
			mustNoErr(t, err, "List")
			if len(got) != 0 {
				t.Errorf("%d schedules of a deleted project remain", len(got))
			}
		})
	})
}
