package kvstore_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/signalbox/signalbox/core/model"
	"github.com/signalbox/signalbox/core/store"
	"github.com/signalbox/signalbox/core/store/kvstore"
	"github.com/signalbox/signalbox/sdk/storage"
	"github.com/signalbox/signalbox/sdk/storage/memory"
)

// The tests of this file check the layout of tasks, task output and
// integrations as index_test.go does for the other kinds, and that a page
// of tasks or output reads about what it returns.

// dec decodes the int64 at byte offset off of an encoded key.
func dec(k string, off int) int64 {
	return int64(binary.BigEndian.Uint64([]byte(k[off:off+8])) ^ (1 << 63))
}

// taskEntry is the value of a task's tasks.project and tasks.template
// entries: its status, then its end in Unix microseconds when it ended.
func taskEntry(t model.Task) string {
	if t.End == nil {
		return enc(string(t.Status))
	}
	return enc(string(t.Status), t.End.UnixMicro())
}

// taskIndexes computes the task, output and integration index buckets the
// documents of b call for, and reports chunks and parts whose owner is gone.
func taskIndexes(t *testing.T, b storage.Backend) map[string]bucket {
	t.Helper()
	want := map[string]bucket{}
	for _, name := range []string{
		"tasks.project", "tasks.template", "tasks.status", "output.meta", "integrations.project", "integrations.alias",
	} {
		want[name] = bucket{}
	}
	type log struct{ last, n int64 }
	logs := map[int64]*log{}
	for k, v := range dump(t, b, "output") {
		task, last, first := dec(k, 0), dec(k, 8), dec(v, 0)
		l := logs[task]
		if l == nil {
			l = &log{}
			logs[task] = l
		}
		l.last, l.n = max(l.last, last), l.n+last-first+1
	}
	for _, task := range docs(t, b, "tasks", func(task model.Task) string { return enc(task.ID) }) {
		want["tasks.project"][enc(task.ProjectID, desc(task.ID))] = taskEntry(task)
		if task.TemplateID != 0 {
			want["tasks.template"][enc(task.ProjectID, task.TemplateID, desc(task.ID))] = taskEntry(task)
		}
		want["tasks.status"][enc(string(task.Status), task.ID)] = enc(task.ProjectID, task.TemplateID)
		l := logs[task.ID]
		if l == nil {
			l = &log{}
		}
		want["output.meta"][enc(task.ID)] = enc(l.last, l.n)
		delete(logs, task.ID)
	}
	for task := range logs {
		t.Errorf("output of task %d outlived it", task)
	}
	integrationsOf := map[int64]bool{}
	for _, in := range docs(t, b, "integrations", func(in model.Integration) string { return enc(in.ProjectID, in.ID) }) {
		want["integrations.project"][enc(in.ID)] = enc(in.ProjectID)
		integrationsOf[in.ID] = true
	}
	for _, a := range docs(t, b, "integrations.aliases", func(a model.IntegrationAlias) string {
		return enc(a.ProjectID, a.IntegrationID, a.ID)
	}) {
		want["integrations.alias"][enc(a.Alias)] = enc(a.ProjectID, a.IntegrationID, a.ID)
		if a.IntegrationID != 0 && !integrationsOf[a.IntegrationID] {
			t.Errorf("alias %+v outlived its integration", a)
		}
	}
	for _, m := range docs(t, b, "integrations.matchers", func(m model.IntegrationMatcher) string { return enc(m.IntegrationID, m.ID) }) {
		if !integrationsOf[m.IntegrationID] {
			t.Errorf("matcher %+v outlived its integration", m)
		}
	}
	for _, v := range docs(t, b, "integrations.values", func(v model.IntegrationExtractValue) string { return enc(v.IntegrationID, v.ID) }) {
		if !integrationsOf[v.IntegrationID] {
			t.Errorf("extract value %+v outlived its integration", v)
		}
	}
	return want
}

// checkTaskIndexes fails the test unless every task, output and
// integration index holds exactly the entries of its documents.
func checkTaskIndexes(t *testing.T, b storage.Backend) {
	t.Helper()
	for name, want := range taskIndexes(t, b) {
		if diff := cmp.Diff(want, dump(t, b, name)); diff != "" {
			t.Errorf("index %s (-want +got):\n%s", name, diff)
		}
	}
}

// newTask creates a task of the fixture's project.
func (f *fixture) newTask(t *testing.T, projectID, templateID int64, status model.TaskStatus) model.Task {
	t.Helper()
	task := model.Task{ProjectID: projectID, TemplateID: templateID, Status: status}
	must(t, f.st.Tasks().Create(t.Context(), &task), "create task")
	return task
}

// lines returns n output lines from seq first.
func lines(first int64, n int, text func(seq int64) string) []model.OutputLine {
	out := make([]model.OutputLine, n)
	for i := range out {
		seq := first + int64(i)
		out[i] = model.OutputLine{Seq: seq, Time: time.Unix(0, seq).UTC(), Text: text(seq)}
	}
	return out
}

func TestTaskIndexes(t *testing.T) {
	t.Parallel()
	runIndexCases(t, checkTaskIndexes, map[string]indexCase{
		"tasks after claims, transitions, renewals and refused fences": {
			run: func(t *testing.T, f *fixture) {
				ts, ctx := f.st.Tasks(), t.Context()
				lease := time.Now().Add(time.Minute)
				for i, tpl := range []int64{f.tpl[0].ID, f.tpl[1].ID, 0, f.tpl[0].ID, 0} {
					task := f.newTask(t, f.project.ID, tpl, "")
					if i == 4 {
						continue // stays waiting
					}
					claimed, ok, err := ts.Claim(ctx, task.ID, "r1", lease)
					if err != nil || !ok {
						t.Fatalf("Claim = %v, %v", ok, err)
					}
					if _, ok, _ := ts.Claim(ctx, task.ID, "r2", lease); ok {
						t.Fatal("second Claim won")
					}
					fence := store.Transition{TaskID: task.ID, Attempt: claimed.Attempt, Owner: "r1"}
					move := func(to model.TaskStatus, end bool, wantOK bool) {
						t.Helper()
						tr := fence
						tr.To = to
						if end {
							now := time.Now()
							tr.End, tr.ClearLease = &now, true
						}
						ok, err := ts.Transition(ctx, tr)
						if err != nil || ok != wantOK {
							t.Fatalf("Transition to %s = %v, %v; want %v", to, ok, err, wantOK)
						}
					}
					move(model.TaskRunning, false, true)
					move(model.TaskRunning, false, true) // no change of status
					switch i {
					case 0:
						move(model.TaskSuccess, true, true)
						move(model.TaskError, true, false) // the lease is gone
					case 1:
						move(model.TaskStopping, false, true)
						move(model.TaskStopped, true, true)
					case 2:
						move(model.TaskWaitingConfirmation, false, true)
					}
				}
				must(t, ts.RenewLeases(ctx, "r1", []int64{1, 2, 3, 4, 5, 6, 7, 8}, lease.Add(time.Hour)), "renew leases")
			},
			keep: []string{"tasks", "tasks.project", "tasks.template", "tasks.status"},
		},
		"tasks and output after the deletion of tasks and of a project": {
			run: func(t *testing.T, f *fixture) {
				ts, out, ctx := f.st.Tasks(), f.st.Output(), t.Context()
				p := f.newProject(t)
				tpl := model.Template{ProjectID: p.ID, Name: "t"}
				must(t, f.st.Templates().Create(ctx, &tpl), "create template")
				var mine []model.Task
				for i := range 6 {
					a := f.newTask(t, f.project.ID, f.tpl[i%2].ID, model.TaskSuccess)
					b := f.newTask(t, p.ID, []int64{tpl.ID, 0}[i%2], []model.TaskStatus{model.TaskWaiting, model.TaskRunning, model.TaskError}[i%3])
					for _, task := range []model.Task{a, b} {
						// Enough output for several chunks, then a small append
						// that joins the last one.
						big := lines(1, 38, func(int64) string { return string(make([]byte, 20<<10)) })
						must(t, out.Append(ctx, task.ID, big), "append output")
						must(t, out.Append(ctx, task.ID, lines(39, 3, func(int64) string { return "tail" })), "append output")
					}
					mine = append(mine, a)
				}
				must(t, ts.Delete(ctx, f.project.ID, mine[0].ID), "delete task")
				must(t, ts.Delete(ctx, 0, mine[1].ID), "delete task of any project")
				must(t, f.st.Projects().Delete(ctx, p.ID), "delete project")
				left, err := ts.List(ctx, store.TaskFilter{})
				must(t, err, "list tasks")
				if len(left) != 4 {
					t.Errorf("%d tasks remain, want 4", len(left))
				}
			},
			keep: []string{"tasks", "output", "output.meta", "tasks.template"},
		},
		"integrations after the deletion of parts, aliases, an integration and a project": {
			run: func(t *testing.T, f *fixture) {
				is, ctx := f.st.Integrations(), t.Context()
				p := f.newProject(t)
				var ins []model.Integration
				for _, pid := range []int64{f.project.ID, f.project.ID, p.ID} {
					in := model.Integration{ProjectID: pid, Name: uniq("in"), AuthMethod: model.IntegrationAuthNone}
					must(t, is.Create(ctx, &in), "create integration")
					ins = append(ins, in)
					for range 2 {
						m := model.IntegrationMatcher{IntegrationID: in.ID, Name: "m"}
						must(t, is.Matchers().Create(ctx, &m), "create matcher")
						v := model.IntegrationExtractValue{IntegrationID: in.ID, Name: "v"}
						must(t, is.ExtractValues().Create(ctx, &v), "create value")
						for _, iid := range []int64{in.ID, 0} {
							a := model.IntegrationAlias{ProjectID: pid, IntegrationID: iid, Alias: uniq("alias")}
							must(t, is.Aliases().Create(ctx, &a), "create alias")
						}
					}
				}
				as, err := is.Aliases().List(ctx, f.project.ID, 0)
				must(t, err, "list aliases")
				must(t, is.Aliases().Delete(ctx, f.project.ID, 0, as[0].ID), "delete alias")
				ms, err := is.Matchers().List(ctx, ins[1].ID)
				must(t, err, "list matchers")
				must(t, is.Matchers().Delete(ctx, ins[1].ID, ms[0].ID), "delete matcher")
				must(t, is.Delete(ctx, f.project.ID, ins[0].ID), "delete integration")
				must(t, f.st.Projects().Delete(ctx, p.ID), "delete project")
				// A freed alias can be taken again.
				a := model.IntegrationAlias{ProjectID: f.project.ID, Alias: as[0].Alias}
				must(t, is.Aliases().Create(ctx, &a), "create alias again")
			},
			keep: []string{"integrations", "integrations.matchers", "integrations.values", "integrations.aliases"},
		},
	})
}

// TestTasks_ListAgreesWithTheFilter lists tasks with filters that take each
// of List's ways (status index, template and project index, every task) and
// compares with filtering every task as SQL would.
func TestTasks_ListAgreesWithTheFilter(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	other := f.newProject(t)
	statuses := []model.TaskStatus{model.TaskWaiting, model.TaskRunning, model.TaskSuccess, model.TaskError,
		model.TaskStopping, model.TaskSuccess, model.TaskStopped}
	base := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	var all []model.Task
	for i := range 120 {
		task := model.Task{ProjectID: f.project.ID, TemplateID: []int64{f.tpl[0].ID, f.tpl[1].ID, 0}[i%3], Status: statuses[(i*5)%len(statuses)]}
		if i%4 == 1 {
			task.ProjectID = other.ID
		}
		if task.Status.Final() {
			end := base.Add(time.Duration(i) * time.Minute)
			task.End = &end
		}
		must(t, f.st.Tasks().Create(ctx, &task), "create task")
		all = append(all, task)
	}
	slices.Reverse(all)
	want := func(fl store.TaskFilter) []int64 {
		out := []int64{}
		skip := fl.Offset
		for _, task := range all {
			switch {
			case fl.ProjectID != 0 && task.ProjectID != fl.ProjectID,
				fl.TemplateID != 0 && task.TemplateID != fl.TemplateID,
				len(fl.Statuses) > 0 && !slices.Contains(fl.Statuses, task.Status),
				fl.BeforeID != 0 && task.ID >= fl.BeforeID,
				!fl.EndedBefore.IsZero() && (task.End == nil || !task.End.Before(fl.EndedBefore)):
				continue
			}
			if skip > 0 {
				skip--
				continue
			}
			if fl.Limit > 0 && len(out) == fl.Limit {
				break
			}
			out = append(out, task.ID)
		}
		return out
	}
	queue := append([]model.TaskStatus{model.TaskWaiting}, model.ActiveStatuses...)
	final := []model.TaskStatus{model.TaskSuccess, model.TaskError, model.TaskStopped, model.TaskRejected}
	mid := all[len(all)/2].ID
	p, tpl := f.project.ID, f.tpl[1].ID
	for name, fl := range map[string]store.TaskFilter{
		"a project":                               {ProjectID: p},
		"a page of a project":                     {ProjectID: p, Limit: 7, Offset: 3},
		"a page of a project before an id":        {ProjectID: p, Limit: 7, BeforeID: mid},
		"a template":                              {ProjectID: p, TemplateID: tpl},
		"a template before an id, a page":         {ProjectID: p, TemplateID: tpl, BeforeID: mid, Limit: 4, Offset: 1},
		"final statuses of a project":             {ProjectID: p, Statuses: final, Limit: 5},
		"one final status of a template":          {ProjectID: p, TemplateID: tpl, Statuses: []model.TaskStatus{model.TaskSuccess}, Limit: 1},
		"ended before a time":                     {ProjectID: p, EndedBefore: base.Add(60 * time.Minute)},
		"ended before a time, any project":        {Statuses: final, EndedBefore: base.Add(90 * time.Minute), Limit: 10},
		"queue statuses of a project":             {ProjectID: p, Statuses: queue},
		"queue statuses of a template, a page":    {ProjectID: p, TemplateID: tpl, Statuses: queue, Limit: 2, Offset: 1},
		"queue statuses of any project":           {Statuses: queue},
		"queue statuses before an id":             {Statuses: []model.TaskStatus{model.TaskRunning, model.TaskWaiting}, BeforeID: mid},
		"a repeated queue status":                 {Statuses: []model.TaskStatus{model.TaskWaiting, model.TaskWaiting}, Limit: 3},
		"queue and final statuses":                {ProjectID: p, Statuses: []model.TaskStatus{model.TaskWaiting, model.TaskSuccess}},
		"every task":                              {},
		"every task, a page":                      {Limit: 9, Offset: 9},
		"a template of any project":               {TemplateID: tpl, Limit: 6},
		"an offset past the end":                  {ProjectID: p, Offset: 1000},
		"a project without tasks":                 {ProjectID: 987654},
		"a status no task has":                    {ProjectID: p, Statuses: []model.TaskStatus{model.TaskRejected}},
		"before the first task":                   {ProjectID: p, BeforeID: all[len(all)-1].ID},
		"before an id past the last task, a page": {ProjectID: p, BeforeID: all[0].ID + 100, Limit: 2},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := f.st.Tasks().List(ctx, fl)
			must(t, err, "List")
			gotIDs := []int64{}
			for _, task := range got {
				gotIDs = append(gotIDs, task.ID)
			}
			if diff := cmp.Diff(want(fl), gotIDs); diff != "" {
				t.Errorf("task ids (-want +got):\n%s", diff)
			}
		})
	}
}

// TestTasks_TransitionAcrossServers races fenced transitions of one task
// from two stores on one backend, as two servers would: a batch that
// another overtook reads the task again, so that the fence decides, not
// the race.
func TestTasks_TransitionAcrossServers(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	other, err := kvstore.New(t.Context(), f.b, nil)
	must(t, err, "open a second store")
	ctx := context.WithoutCancel(t.Context())
	for range 10 {
		task := f.newTask(t, f.project.ID, f.tpl[0].ID, "")
		claimed, ok, err := f.st.Tasks().Claim(ctx, task.ID, "r1", time.Now().Add(time.Minute))
		if err != nil || !ok {
			t.Fatalf("Claim = %v, %v", ok, err)
		}
		// Every transition is allowed from where the others leave the
		// task, so all must apply, whatever their order.
		var wg sync.WaitGroup
		for i, st := range []store.Store{f.st, other, f.st, other} {
			wg.Go(func() {
				to := []model.TaskStatus{model.TaskRunning, model.TaskWaitingConfirmation}[i%2]
				ok, err := st.Tasks().Transition(ctx, store.Transition{TaskID: task.ID, Attempt: claimed.Attempt, Owner: "r1", To: to})
				if err != nil || !ok {
					t.Errorf("Transition to %s = %v, %v; want true", to, ok, err)
				}
			})
		}
		wg.Wait()
	}
	checkTaskIndexes(t, f.b)
}

// counting is a backend that counts, per bucket, the items its scans
// return and the keys its gets ask for.
type counting struct {
	storage.Backend
	mu      sync.Mutex
	scanned map[string]int
	got     map[string]int
}

func newCounting(b storage.Backend) *counting {
	return &counting{Backend: b, scanned: map[string]int{}, got: map[string]int{}}
}

func (c *counting) Get(ctx context.Context, bucket string, keys [][]byte) ([][]byte, error) {
	c.mu.Lock()
	c.got[bucket] += len(keys)
	c.mu.Unlock()
	return c.Backend.Get(ctx, bucket, keys)
}

func (c *counting) Scan(ctx context.Context, req storage.ScanRequest) (storage.ScanResult, error) {
	res, err := c.Backend.Scan(ctx, req)
	c.mu.Lock()
	c.scanned[req.Bucket] += len(res.Items)
	c.mu.Unlock()
	return res, err
}

// take returns the counts so far, per bucket, and resets them.
func (c *counting) take() (scanned, got map[string]int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	scanned, got = c.scanned, c.got
	c.scanned, c.got = map[string]int{}, map[string]int{}
	return scanned, got
}

// pagedStore returns a store on a counting memory backend with a project
// of n tasks, created in batches in single transactions, of alternating
// templates, one in ten waiting and the others successes.
func pagedStore(tb testing.TB, n int) (*kvstore.Store, *counting, model.Project, [2]int64) {
	tb.Helper()
	ctx := context.Background()
	c := newCounting(memory.New())
	st, err := kvstore.New(ctx, c, nil)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = st.Close() })
	p := model.Project{Name: "bench"}
	if err := st.Projects().Create(ctx, &p); err != nil {
		tb.Fatal(err)
	}
	var tpl [2]int64
	for i := range tpl {
		v := model.Template{ProjectID: p.ID, Name: fmt.Sprint("t", i)}
		if err := st.Templates().Create(ctx, &v); err != nil {
			tb.Fatal(err)
		}
		tpl[i] = v.ID
	}
	end := time.Now()
	const batch = 5000
	for first := 0; first < n; first += batch {
		err := st.WithTx(ctx, func(ctx context.Context) error {
			for i := first; i < min(n, first+batch); i++ {
				task := model.Task{ProjectID: p.ID, TemplateID: tpl[i%2], Status: model.TaskSuccess, End: &end, Playbook: "site.yml"}
				if i%10 == 0 {
					task.Status, task.End = model.TaskWaiting, nil
				}
				if err := st.Tasks().Create(ctx, &task); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			tb.Fatal(err)
		}
	}
	c.take()
	return st, c, p, tpl
}

func TestTasks_ListReadsAPage(t *testing.T) {
	t.Parallel()
	st, c, p, tpl := pagedStore(t, 3000)
	ctx := t.Context()
	first, err := st.Tasks().List(ctx, store.TaskFilter{ProjectID: p.ID, Limit: 1})
	must(t, err, "List")
	c.take()
	for name, tc := range map[string]struct {
		f store.TaskFilter
		// maxScanned bounds the index entries read.
		bucket     string
		maxScanned int
	}{
		"the first page of a project":      {f: store.TaskFilter{ProjectID: p.ID, Limit: 50}, bucket: "tasks.project", maxScanned: 50},
		"a page deep in a project":         {f: store.TaskFilter{ProjectID: p.ID, BeforeID: first[0].ID - 2000, Limit: 50}, bucket: "tasks.project", maxScanned: 50},
		"a page with an offset":            {f: store.TaskFilter{ProjectID: p.ID, Offset: 100, Limit: 50}, bucket: "tasks.project", maxScanned: 150},
		"a page of a template":             {f: store.TaskFilter{ProjectID: p.ID, TemplateID: tpl[1], Limit: 50}, bucket: "tasks.template", maxScanned: 50},
		"a page of a status":               {f: store.TaskFilter{ProjectID: p.ID, Statuses: []model.TaskStatus{model.TaskSuccess}, Limit: 50}, bucket: "tasks.project", maxScanned: 200},
		"the waiting tasks of the project": {f: store.TaskFilter{ProjectID: p.ID, Statuses: []model.TaskStatus{model.TaskWaiting}, Limit: 50}, bucket: "tasks.status", maxScanned: 300},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := st.Tasks().List(ctx, tc.f)
			must(t, err, "List")
			if len(got) != 50 {
				t.Fatalf("List returned %d tasks, want 50", len(got))
			}
			scannedOf, gotOf := c.take()
			scanned, docs := scannedOf[tc.bucket], gotOf["tasks"]
			if scanned > tc.maxScanned || docs != 50 {
				t.Errorf("List read %d entries of %s and %d documents; want at most %d and 50", scanned, tc.bucket, docs, tc.maxScanned)
			}
		})
	}
}

// BenchmarkTaskList lists pages of 50 tasks of a project of 100,000: one
// op is one page. entries/op and docs/op are what the backend read.
func BenchmarkTaskList(b *testing.B) {
	st, c, p, tpl := pagedStore(b, 100_000)
	ctx := context.Background()
	newest, err := st.Tasks().List(ctx, store.TaskFilter{ProjectID: p.ID, Limit: 1})
	if err != nil {
		b.Fatal(err)
	}
	top := newest[0].ID
	for name, fl := range map[string]func(i int) store.TaskFilter{
		"first page": func(int) store.TaskFilter { return store.TaskFilter{ProjectID: p.ID, Limit: 50} },
		"page before an id": func(i int) store.TaskFilter {
			return store.TaskFilter{ProjectID: p.ID, BeforeID: top - int64((i*7919)%99_000), Limit: 50}
		},
		"page of a template": func(int) store.TaskFilter {
			return store.TaskFilter{ProjectID: p.ID, TemplateID: tpl[0], Limit: 50}
		},
		"page of successes": func(int) store.TaskFilter {
			return store.TaskFilter{ProjectID: p.ID, Statuses: []model.TaskStatus{model.TaskSuccess}, Limit: 50}
		},
	} {
		b.Run(name, func(b *testing.B) {
			c.take()
			i, entries, docs := 0, 0, 0
			for b.Loop() {
				tasks, err := st.Tasks().List(ctx, fl(i))
				if err != nil || len(tasks) != 50 {
					b.Fatalf("List: %d tasks, %v", len(tasks), err)
				}
				i++
				scanned, got := c.take()
				entries += scanned["tasks.project"] + scanned["tasks.template"]
				docs += got["tasks"]
			}
			b.ReportMetric(float64(entries)/float64(i), "entries/op")
			b.ReportMetric(float64(docs)/float64(i), "docs/op")
		})
	}
}
