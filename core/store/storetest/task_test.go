package storetest_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/signalbox/signalbox/core/model"
	"github.com/signalbox/signalbox/core/store"
	"github.com/signalbox/signalbox/core/store/storetest"
)

func TestTasks(t *testing.T) {
	t.Parallel()
	storetest.ForEachBackend(t, func(t *testing.T, st store.Store) {
		ts := st.Tasks()
		p, other := mustProject(t, st), mustProject(t, st)
		u := mustUser(t, st)

		t.Run("create defaults to waiting and get returns the same task", func(t *testing.T) {
			start := now().Add(-time.Minute)
			task := model.Task{
				ProjectID: p.ID, TemplateID: 5, Message: "m", UserID: &u.ID, Start: &start,
				Debug: true, DryRun: true, Diff: true, Playbook: "site.yml", Environment: `{"a":1}`,
				Arguments: `["-v"]`, GitBranch: "dev", Limit: "web", Params: `{"p":1}`,
				CommitHash: "abc123", Version: "1.2", Summary: `{"changed":1}`,
			}
			mustNoErr(t, ts.Create(t.Context(), &task), "Create")
			if task.ID == 0 || task.Status != model.TaskWaiting || task.Created.IsZero() {
				t.Fatalf("Create set %+v; want an id, status waiting and a creation time", task)
			}
			got, err := ts.Get(t.Context(), p.ID, task.ID)
			mustNoErr(t, err, "Get")
			wantSame(t, got, task, "Get")
			got, err = ts.Get(t.Context(), 0, task.ID)
			mustNoErr(t, err, "Get with project 0")
			wantSame(t, got, task, "Get with project 0")
		})

		t.Run("a task of another project is not found", func(t *testing.T) {
			task := mustTask(t, st, p.ID, "")
			_, err := ts.Get(t.Context(), other.ID, task.ID)
			wantErr(t, err, model.ErrNotFound, "Get from another project")
			wantErr(t, ts.Delete(t.Context(), other.ID, task.ID), model.ErrNotFound, "Delete from another project")
			_, err = ts.Get(t.Context(), p.ID, task.ID)
			mustNoErr(t, err, "Get after refused Delete")
		})

		t.Run("create in a missing project is not found", func(t *testing.T) {
			task := model.Task{ProjectID: 987654, TemplateID: 1}
			wantErr(t, ts.Create(t.Context(), &task), model.ErrNotFound, "Create")
		})

		t.Run("delete removes the task and its output", func(t *testing.T) {
			task := mustTask(t, st, p.ID, "")
			mustNoErr(t, st.Output().Append(t.Context(), task.ID, []model.OutputLine{{Seq: 1, Text: "a"}, {Seq: 2, Text: "b"}}), "Append")
			mustNoErr(t, ts.Delete(t.Context(), p.ID, task.ID), "Delete")
			_, err := ts.Get(t.Context(), 0, task.ID)
			wantErr(t, err, model.ErrNotFound, "Get after Delete")
			n, err := st.Output().Count(t.Context(), task.ID)
			mustNoErr(t, err, "Count")
			if n != 0 {
				t.Fatalf("Count after Delete = %d, want 0", n)
			}
			wantErr(t, ts.Delete(t.Context(), 0, task.ID), model.ErrNotFound, "Delete again")
		})

		t.Run("list filters, newest first", func(t *testing.T) {
			lp := mustProject(t, st)
			mk := func(templateID int64, status model.TaskStatus) int64 {
				task := model.Task{ProjectID: lp.ID, TemplateID: templateID, Status: status}
				mustNoErr(t, ts.Create(t.Context(), &task), "Create")
				return task.ID
			}
			t1 := mk(1, model.TaskSuccess)
			t2 := mk(2, model.TaskRunning)
			t3 := mk(1, model.TaskWaiting)
			t4 := mk(2, model.TaskError)
			mustTask(t, st, other.ID, model.TaskWaiting) // never listed
			for name, tc := range map[string]struct {
				f    store.TaskFilter
				want []int64
			}{
				"by project":               {f: store.TaskFilter{ProjectID: lp.ID}, want: []int64{t4, t3, t2, t1}},
				"by template":              {f: store.TaskFilter{ProjectID: lp.ID, TemplateID: 2}, want: []int64{t4, t2}},
				"by statuses":              {f: store.TaskFilter{ProjectID: lp.ID, Statuses: []model.TaskStatus{model.TaskWaiting, model.TaskSuccess}}, want: []int64{t3, t1}},
				"before an id":             {f: store.TaskFilter{ProjectID: lp.ID, BeforeID: t3}, want: []int64{t2, t1}},
				"limit and offset":         {f: store.TaskFilter{ProjectID: lp.ID, Limit: 2, Offset: 1}, want: []int64{t3, t2}},
				"offset alone":             {f: store.TaskFilter{ProjectID: lp.ID, Offset: 3}, want: []int64{t1}},
				"every filter at once":     {f: store.TaskFilter{ProjectID: lp.ID, TemplateID: 1, Statuses: []model.TaskStatus{model.TaskSuccess}, BeforeID: t4, Limit: 5}, want: []int64{t1}},
				"a filter nothing matches": {f: store.TaskFilter{ProjectID: lp.ID, TemplateID: 99}, want: []int64{}},
			} {
				t.Run(name, func(t *testing.T) {
					got, err := ts.List(t.Context(), tc.f)
					mustNoErr(t, err, "List")
					wantSame(t, taskIDs(got), tc.want, "List ids")
				})
			}
			t.Run("a negative limit is invalid", func(t *testing.T) {
				_, err := ts.List(t.Context(), store.TaskFilter{Limit: -1})
				wantErr(t, err, model.ErrInvalid, "List")
			})
		})
	})
}

func TestTaskQueue(t *testing.T) {
	t.Parallel()
	storetest.ForEachBackend(t, func(t *testing.T, st store.Store) {
		ts := st.Tasks()
		p := mustProject(t, st)
		lease := now().Add(time.Minute)

		t.Run("list waiting returns the oldest waiting tasks first", func(t *testing.T) {
			qs := storetest.OpenLike(t, st) // a queue of its own
			qp := mustProject(t, qs)
			w1 := mustTask(t, qs, qp.ID, model.TaskWaiting)
			mustTask(t, qs, qp.ID, model.TaskRunning)
			w2 := mustTask(t, qs, qp.ID, model.TaskWaiting)
			w3 := mustTask(t, qs, qp.ID, model.TaskWaiting)
			got, err := qs.Tasks().ListWaiting(t.Context(), 0)
			mustNoErr(t, err, "ListWaiting")
			wantSame(t, taskIDs(got), []int64{w1.ID, w2.ID, w3.ID}, "ListWaiting ids")
			got, err = qs.Tasks().ListWaiting(t.Context(), 2)
			mustNoErr(t, err, "ListWaiting with limit")
			wantSame(t, taskIDs(got), []int64{w1.ID, w2.ID}, "ListWaiting ids with limit 2")
		})

		t.Run("claim takes a waiting task once", func(t *testing.T) {
			task := mustTask(t, st, p.ID, model.TaskWaiting)
			got, ok, err := ts.Claim(t.Context(), task.ID, "runner-1", lease)
			mustNoErr(t, err, "Claim")
			if !ok {
				t.Fatal("Claim of a waiting task: ok = false")
			}
			want := task
			want.Status, want.Attempt, want.Owner, want.LeaseUntil = model.TaskStarting, 1, "runner-1", &lease
			wantSame(t, got, want, "claimed task")
			stored, err := ts.Get(t.Context(), 0, task.ID)
			mustNoErr(t, err, "Get")
			wantSame(t, stored, want, "stored task")

			_, ok, err = ts.Claim(t.Context(), task.ID, "runner-2", lease)
			mustNoErr(t, err, "Claim again")
			if ok {
				t.Fatal("second Claim: ok = true, want false")
			}
		})

		t.Run("claim of a missing task is refused without error", func(t *testing.T) {
			_, ok, err := ts.Claim(t.Context(), 987654, "runner-1", lease)
			mustNoErr(t, err, "Claim")
			if ok {
				t.Fatal("Claim of a missing task: ok = true")
			}
		})

		t.Run("claim without owner is invalid", func(t *testing.T) {
			task := mustTask(t, st, p.ID, model.TaskWaiting)
			_, _, err := ts.Claim(t.Context(), task.ID, "", lease)
			wantErr(t, err, model.ErrInvalid, "Claim")
		})

		t.Run("of 8 concurrent claimers exactly one wins", func(t *testing.T) {
			for range 10 {
				task := mustTask(t, st, p.ID, model.TaskWaiting)
				wins := claimConcurrently(t, []store.Store{st}, task.ID, 8)
				if len(wins) != 1 {
					t.Fatalf("task %d claimed by %v, want exactly one winner", task.ID, wins)
				}
			}
		})

		t.Run("of claimers in two processes exactly one wins", func(t *testing.T) {
			stores := storetest.OpenShared(t, storetest.BackendOf(t, st), 2)
			pp := mustProject(t, stores[0])
			for range 5 {
				task := mustTask(t, stores[0], pp.ID, model.TaskWaiting)
				wins := claimConcurrently(t, stores, task.ID, 8)
				if len(wins) != 1 {
					t.Fatalf("task %d claimed by %v, want exactly one winner", task.ID, wins)
				}
			}
		})

		// claimed returns a new task claimed by runner-1: attempt 1, starting.
		claimed := func(t *testing.T) model.Task {
			t.Helper()
			task := mustTask(t, st, p.ID, model.TaskWaiting)
			got, ok, err := ts.Claim(t.Context(), task.ID, "runner-1", lease)
			if err != nil || !ok {
				t.Fatalf("Claim = %v, %v", ok, err)
			}
			return got
		}

		for name, tc := range map[string]struct {
			tr     func(task model.Task) store.Transition
			wantOK bool
		}{
			"the current attempt and owner move the task": {
				tr: func(task model.Task) store.Transition {
					return store.Transition{TaskID: task.ID, Attempt: 1, Owner: "runner-1", To: model.TaskRunning}
				},
				wantOK: true,
			},
			"a matching from status moves the task": {
				tr: func(task model.Task) store.Transition {
					return store.Transition{TaskID: task.ID, Attempt: 1, Owner: "runner-1",
						From: []model.TaskStatus{model.TaskWaiting, model.TaskStarting}, To: model.TaskRunning}
				},
				wantOK: true,
			},
			"a stale attempt is refused": {
				tr: func(task model.Task) store.Transition {
					return store.Transition{TaskID: task.ID, Attempt: 0, Owner: "runner-1", To: model.TaskRunning}
				},
			},
			"another owner is refused": {
				tr: func(task model.Task) store.Transition {
					return store.Transition{TaskID: task.ID, Attempt: 1, Owner: "runner-2", To: model.TaskRunning}
				},
			},
			"a status outside from is refused": {
				tr: func(task model.Task) store.Transition {
					return store.Transition{TaskID: task.ID, Attempt: 1, Owner: "runner-1",
						From: []model.TaskStatus{model.TaskRunning}, To: model.TaskStopping}
				},
			},
			"a missing task is refused": {
				tr: func(task model.Task) store.Transition {
					return store.Transition{TaskID: 987654, Attempt: 1, Owner: "runner-1", To: model.TaskRunning}
				},
			},
		} {
			t.Run("transition: "+name, func(t *testing.T) {
				task := claimed(t)
				tr := tc.tr(task)
				ok, err := ts.Transition(t.Context(), tr)
				mustNoErr(t, err, "Transition")
				if ok != tc.wantOK {
					t.Fatalf("Transition ok = %v, want %v", ok, tc.wantOK)
				}
				got, err := ts.Get(t.Context(), 0, task.ID)
				mustNoErr(t, err, "Get")
				want := task
				if tc.wantOK {
					want.Status = tr.To
				}
				wantSame(t, got, want, "task after Transition")
			})
		}

		t.Run("transition sets the times, exit code and summary given, and a final one clears the lease", func(t *testing.T) {
			task := claimed(t)
			start, end := now(), now().Add(time.Second)
			ok, err := ts.Transition(t.Context(), store.Transition{TaskID: task.ID, Attempt: 1, Owner: "runner-1",
				To: model.TaskRunning, Start: &start})
			if err != nil || !ok {
				t.Fatalf("Transition to running = %v, %v", ok, err)
			}
			ok, err = ts.Transition(t.Context(), store.Transition{TaskID: task.ID, Attempt: 1, Owner: "runner-1",
				To: model.TaskStopping, Message: "stopped by user"})
			if err != nil || !ok {
				t.Fatalf("Transition to stopping = %v, %v", ok, err)
			}
			ok, err = ts.Transition(t.Context(), store.Transition{TaskID: task.ID, Attempt: 1, Owner: "runner-1",
				From: []model.TaskStatus{model.TaskStopping}, To: model.TaskStopped,
				End: &end, ExitCode: ptr(130), Summary: ptr(`{"ok":false}`), ClearLease: true})
			if err != nil || !ok {
				t.Fatalf("Transition to stopped = %v, %v", ok, err)
			}
			got, err := ts.Get(t.Context(), 0, task.ID)
			mustNoErr(t, err, "Get")
			want := task
			want.Status, want.Message, want.Start, want.End = model.TaskStopped, "stopped by user", &start, &end
			want.ExitCode, want.Summary, want.Owner, want.LeaseUntil = ptr(130), `{"ok":false}`, "", nil
			wantSame(t, got, want, "task after its transitions")

			ok, err = ts.Transition(t.Context(), store.Transition{TaskID: task.ID, Attempt: 1, Owner: "runner-1", To: model.TaskRunning})
			mustNoErr(t, err, "Transition after the lease is cleared")
			if ok {
				t.Fatal("Transition by the former owner after ClearLease: ok = true")
			}
		})

		t.Run("a waiting task moves with attempt 0 and no owner", func(t *testing.T) {
			task := mustTask(t, st, p.ID, model.TaskWaiting)
			ok, err := ts.Transition(t.Context(), store.Transition{TaskID: task.ID,
				From: []model.TaskStatus{model.TaskWaiting}, To: model.TaskStopped, Message: "cancelled"})
			if err != nil || !ok {
				t.Fatalf("Transition = %v, %v", ok, err)
			}
			_, ok, err = ts.Claim(t.Context(), task.ID, "runner-1", lease)
			if err != nil || ok {
				t.Fatalf("Claim of a stopped task = %v, %v; want false, nil", ok, err)
			}
		})
	})
}

// claimConcurrently has n goroutines, spread over the stores, claim the
// task at once, and returns the owners that won.
func claimConcurrently(t *testing.T, stores []store.Store, taskID int64, n int) []string {
	t.Helper()
	var (
		mu    sync.Mutex
		wins  []string
		errs  []error
		wg    sync.WaitGroup
		start = make(chan struct{})
	)
	for i := range n {
		owner := fmt.Sprintf("runner-%d", i)
		st := stores[i%len(stores)]
		wg.Go(func() {
			<-start
			task, ok, err := st.Tasks().Claim(context.Background(), taskID, owner, time.Now().Add(time.Minute))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				errs = append(errs, err)
			case ok:
				if task.Owner != owner || task.Attempt != 1 || task.Status != model.TaskStarting {
					errs = append(errs, fmt.Errorf("%s won but got %+v", owner, task))
				}
				wins = append(wins, owner)
			}
		})
	}
	close(start)
	wg.Wait()
	for _, err := range errs {
		t.Errorf("Claim: %v", err)
	}
	return wins
}

func TestTaskLeases(t *testing.T) {
	t.Parallel()
	storetest.ForEachBackend(t, func(t *testing.T, st store.Store) {
		ts := st.Tasks()
		p1, p2 := mustProject(t, st), mustProject(t, st)
		base := now()
		claim := func(projectID int64, owner string, lease time.Time) model.Task {
			t.Helper()
			task := mustTask(t, st, projectID, model.TaskWaiting)
			got, ok, err := ts.Claim(t.Context(), task.ID, owner, lease)
			if err != nil || !ok {
				t.Fatalf("Claim = %v, %v", ok, err)
			}
			return got
		}
		move := func(task model.Task, to model.TaskStatus, clear bool) {
			t.Helper()
			ok, err := ts.Transition(t.Context(), store.Transition{TaskID: task.ID, Attempt: task.Attempt,
				Owner: task.Owner, To: to, ClearLease: clear})
			if err != nil || !ok {
				t.Fatalf("Transition to %s = %v, %v", to, ok, err)
			}
		}
		// r1 holds a (expired, p1), b (live, p1, running), c (expired, p2, stopping);
		// r2 holds d (expired, p1); e finished; f waits.
		a := claim(p1.ID, "r1", base.Add(-time.Minute))
		b := claim(p1.ID, "r1", base.Add(time.Minute))
		move(b, model.TaskRunning, false)
		c := claim(p2.ID, "r1", base.Add(-time.Second))
		move(c, model.TaskStopping, false)
		d := claim(p1.ID, "r2", base.Add(-time.Hour))
		e := claim(p1.ID, "r1", base.Add(-time.Hour))
		move(e, model.TaskSuccess, true)
		mustTask(t, st, p2.ID, model.TaskWaiting)

		t.Run("count active counts starting, running and stopping tasks per project", func(t *testing.T) {
			total, per, err := ts.CountActive(t.Context())
			mustNoErr(t, err, "CountActive")
			if total != 4 {
				t.Errorf("total = %d, want 4", total)
			}
			wantSame(t, per, map[int64]int{p1.ID: 3, p2.ID: 1}, "per project")
		})

		t.Run("list active of an owner returns all its active tasks", func(t *testing.T) {
			got, err := ts.ListActive(t.Context(), "r1", time.Time{})
			mustNoErr(t, err, "ListActive")
			wantSame(t, taskIDs(got), []int64{a.ID, b.ID, c.ID}, "r1's active tasks")
		})

		t.Run("list active without owner returns the tasks whose lease ended", func(t *testing.T) {
			got, err := ts.ListActive(t.Context(), "", base)
			mustNoErr(t, err, "ListActive")
			wantSame(t, taskIDs(got), []int64{a.ID, c.ID, d.ID}, "expired tasks")
			got, err = ts.ListActive(t.Context(), "", base.Add(-30*time.Minute))
			mustNoErr(t, err, "ListActive")
			wantSame(t, taskIDs(got), []int64{d.ID}, "tasks expired half an hour ago")
		})

		t.Run("renew leases extends only the owner's active tasks", func(t *testing.T) {
			until := base.Add(time.Hour)
			mustNoErr(t, ts.RenewLeases(t.Context(), "r1", []int64{a.ID, c.ID, d.ID, e.ID}, until), "RenewLeases")
			for task, want := range map[model.Task]*time.Time{a: &until, c: &until, d: d.LeaseUntil, e: nil, b: b.LeaseUntil} {
				got, err := ts.Get(t.Context(), 0, task.ID)
				mustNoErr(t, err, "Get")
				wantSame(t, got.LeaseUntil, want, fmt.Sprintf("lease of task %d", task.ID))
			}
			got, err := ts.ListActive(t.Context(), "", base)
			mustNoErr(t, err, "ListActive")
			wantSame(t, taskIDs(got), []int64{d.ID}, "expired tasks after renewal")
		})

		t.Run("renew leases of nothing is a no-op and without owner invalid", func(t *testing.T) {
			mustNoErr(t, ts.RenewLeases(t.Context(), "r1", nil, base), "RenewLeases of no tasks")
			wantErr(t, ts.RenewLeases(t.Context(), "", []int64{a.ID}, base), model.ErrInvalid, "RenewLeases without owner")
		})

		t.Run("clearing the lease of the only active task of a project drops it from the count", func(t *testing.T) {
			cur, err := ts.Get(t.Context(), 0, c.ID)
			mustNoErr(t, err, "Get")
			move(cur, model.TaskStopped, true)
			total, per, err := ts.CountActive(t.Context())
			mustNoErr(t, err, "CountActive")
			if total != 3 {
				t.Errorf("total = %d, want 3", total)
			}
			wantSame(t, per, map[int64]int{p1.ID: 3}, "per project")
		})
	})
}
