package runner_test

// Tests and benchmarks of the output pipeline: an executor served over a
// real in-process gRPC connection (sdk/plugintest) → executor.Client →
// the runner's sink → the store. The tests check every line, its order and
// the final status; they assert nothing about time.

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/signalbox/signalbox/core/model"
	"github.com/signalbox/signalbox/core/runner"
	"github.com/signalbox/signalbox/core/store"
	"github.com/signalbox/signalbox/core/store/storetest"
	"github.com/signalbox/signalbox/sdk/executor"
	"github.com/signalbox/signalbox/sdk/plugintest"
)

// linePad makes pipeline lines about 80 bytes long, like a busy log.
const linePad = "................................................................"

func pipelineLine(i int) string { return fmt.Sprintf("line %09d %s", i, linePad) }

// linesExec is a plugin-side executor that writes the task's number of
// lines (RunRequest.Limit, parsed) in batches of batchLines, as
// sdk/process does per pipe read.
type linesExec struct {
	batchLines int
}

var _ executor.Executor = linesExec{}

func (linesExec) Describe(context.Context) (executor.Description, error) {
	return executor.Description{Name: "lines", Apps: []executor.App{{ID: "bash"}}}, nil
}

func (e linesExec) Run(ctx context.Context, req executor.RunRequest, out executor.Output) (executor.Result, error) {
	var n int
	if _, err := fmt.Sscan(req.Limit, &n); err != nil {
		return executor.Result{}, fmt.Errorf("limit %q: %w", req.Limit, err)
	}
	batch := make([]executor.Line, 0, e.batchLines)
	now := time.Now()
	for i := 1; i <= n; i++ {
		batch = append(batch, executor.Line{Time: now, Stream: executor.StreamStdout, Text: pipelineLine(i)})
		if len(batch) == cap(batch) || i == n {
			if err := out.Write(batch...); err != nil {
				return executor.Result{}, err
			}
			batch = batch[:0]
			now = time.Now()
		}
	}
	return executor.Result{}, nil
}

// clientExecutors serves every app with one executor client.
type clientExecutors struct{ c *executor.Client }

func (c clientExecutors) Executor(context.Context, string) (runner.Executor, error) { return c.c, nil }

// slowStore is a store whose output appends take at least delay, to force
// back-pressure through the sink's bounded queue onto the gRPC stream.
type slowStore struct {
	store.Store
	delay time.Duration
}

func (s slowStore) Output() store.Output { return slowOutput{Output: s.Store.Output(), delay: s.delay} }

type slowOutput struct {
	store.Output
	delay time.Duration
}

func (o slowOutput) Append(ctx context.Context, taskID int64, lines []model.OutputLine) error {
	time.Sleep(o.delay)
	return o.Output.Append(ctx, taskID, lines)
}

// flakyStore loses the answer of every third append (the append is
// stored, the caller told it failed), and refuses every fifth outright.
type flakyStore struct {
	store.Store
	calls *atomic.Int64
}

func (s flakyStore) Output() store.Output {
	return flakyOutput{Output: s.Store.Output(), calls: s.calls}
}

type flakyOutput struct {
	store.Output
	calls *atomic.Int64
}

func (o flakyOutput) Append(ctx context.Context, taskID int64, lines []model.OutputLine) error {
	switch n := o.calls.Add(1); {
	case n%5 == 0:
		return model.Unavailablef("the database went away")
	case n%3 == 0:
		if err := o.Output.Append(ctx, taskID, lines); err != nil {
			return err
		}
		return model.Unavailablef("the connection broke after the commit")
	}
	return o.Output.Append(ctx, taskID, lines)
}

// pipeline is a runner over st whose executor is impl, behind gRPC.
type pipeline struct {
	st       store.Store
	r        *runner.Runner
	project  model.Project
	template model.Template
}

func newPipeline(tb testing.TB, st store.Store, impl executor.Executor, cfg runner.Config) *pipeline {
	tb.Helper()
	ctx := context.Background()
	p := &pipeline{st: st}
	p.project = model.Project{Name: "p", Created: time.Now()}
	if err := st.Projects().Create(ctx, &p.project); err != nil {
		tb.Fatal(err)
	}
	repo := model.Repository{ProjectID: p.project.ID, Name: "r", GitURL: tb.TempDir()}
	if err := st.Repositories().Create(ctx, &repo); err != nil {
		tb.Fatal(err)
	}
	p.template = model.Template{ProjectID: p.project.ID, Name: "t", App: "bash", Playbook: "x.sh", RepositoryID: repo.ID}
	if err := st.Templates().Create(ctx, &p.template); err != nil {
		tb.Fatal(err)
	}
	cfg.Owner = "pipeline-runner"
	cfg.WorkDir = tb.TempDir()
	p.r = runner.New(cfg, runner.Deps{Store: st, Executors: clientExecutors{plugintest.Executor(tb, impl)},
		Workspaces: localRepo{}, Secrets: noSecrets{}, Events: &events{statuses: map[int64][]model.TaskStatus{}}})
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { _ = p.r.Run(rctx); close(done) }()
	tb.Cleanup(func() {
		cancel()
		<-done
		sctx, c := context.WithTimeout(context.Background(), 10*time.Second)
		defer c()
		p.r.Shutdown(sctx)
	})
	return p
}

// queue adds a task printing n lines and wakes the runner.
func (p *pipeline) queue(tb testing.TB, n int) model.Task {
	tb.Helper()
	tk := model.Task{ProjectID: p.project.ID, TemplateID: p.template.ID, Status: model.TaskWaiting, Limit: fmt.Sprint(n)}
	if err := p.st.Tasks().Create(context.Background(), &tk); err != nil {
		tb.Fatal(err)
	}
	p.r.Wake()
	return tk
}

// waitFinal polls the task until its status is final and returns it.
func (p *pipeline) waitFinal(tb testing.TB, id int64) model.Task {
	tb.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		tk, err := p.st.Tasks().Get(context.Background(), 0, id)
		if err != nil {
			tb.Fatal(err)
		}
		if tk.Status.Final() {
			return tk
		}
		if time.Now().After(deadline) {
			tb.Fatalf("task %d stuck in %s", id, tk.Status)
		}
		time.Sleep(time.Millisecond)
	}
}

// checkLines reads the task's output page by page and fails unless it is
// exactly lines 1..n, numbered from 1, in order.
func checkLines(t *testing.T, st store.Store, taskID int64, n int) {
	t.Helper()
	const page = 7919 // not a divisor of the batch or chunk sizes
	next := int64(1)
	for {
		got, err := st.Output().List(context.Background(), taskID, next-1, page)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) == 0 {
			break
		}
		for _, l := range got {
			if l.Seq != next || l.Text != pipelineLine(int(next)) {
				t.Fatalf("task %d: line with seq %d is %q, want seq %d %q", taskID, l.Seq, l.Text, next, pipelineLine(int(next)))
			}
			next++
		}
	}
	if next-1 != int64(n) {
		t.Fatalf("task %d: %d lines stored, want %d", taskID, next-1, n)
	}
}

func TestPipeline_NoLineLost(t *testing.T) {
	for _, dialect := range storetest.Backends(t) {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			st := storetest.OpenBackend(t, dialect)
			t.Run("a slow store slows the stream and every line is stored in order", func(t *testing.T) {
				// Small flushes against a slow store fill the sink's queue,
				// so the plugin's stream must wait.
				p := newPipeline(t, slowStore{Store: st, delay: 2 * time.Millisecond},
					linesExec{batchLines: 50}, runner.Config{FlushLines: 200})
				const n = 60_000
				tk := p.queue(t, n)
				done := p.waitFinal(t, tk.ID)
				if done.Status != model.TaskSuccess {
					t.Fatalf("status %s (%s), want success", done.Status, done.Message)
				}
				checkLines(t, st, tk.ID, n)
			})
			t.Run("concurrent tasks each have every line the moment they are final", func(t *testing.T) {
				p := newPipeline(t, slowStore{Store: st, delay: time.Millisecond},
					linesExec{batchLines: 700}, runner.Config{MaxParallel: 8})
				sizes := []int{1, 999, 5000, 20_000, 33_333, 40_000, 50_000, 64_001}
				var wg sync.WaitGroup
				for _, n := range sizes {
					tk := p.queue(t, n)
					wg.Go(func() {
						done := p.waitFinal(t, tk.ID)
						// Counted right when the final status shows: nothing
						// may still be in flight.
						count, err := st.Output().Count(context.Background(), tk.ID)
						if err != nil {
							t.Error(err)
							return
						}
						if done.Status != model.TaskSuccess || count != int64(n) {
							t.Errorf("task of %d lines: status %s with %d lines stored", n, done.Status, count)
						}
					})
				}
				wg.Wait()
			})
			t.Run("appends whose answer was lost or that failed are stored once", func(t *testing.T) {
				p := newPipeline(t, flakyStore{Store: st, calls: new(atomic.Int64)},
					linesExec{batchLines: 100}, runner.Config{FlushLines: 500})
				const n = 20_000
				tk := p.queue(t, n)
				if done := p.waitFinal(t, tk.ID); done.Status != model.TaskSuccess {
					t.Fatalf("status %s (%s), want success", done.Status, done.Message)
				}
				checkLines(t, st, tk.ID, n)
			})
			t.Run("a big task keeps every line in order", func(t *testing.T) {
				p := newPipeline(t, st, linesExec{batchLines: 800}, runner.Config{})
				const n = 200_000
				tk := p.queue(t, n)
				if done := p.waitFinal(t, tk.ID); done.Status != model.TaskSuccess {
					t.Fatalf("status %s (%s), want success", done.Status, done.Message)
				}
				checkLines(t, st, tk.ID, n)
			})
		})
	}
}

// BenchmarkPipeline measures lines/s from a plugin's stream, over gRPC,
// through the sink into the store, to the final status: one op is one task
// of 200,000 lines of 80 bytes.
func BenchmarkPipeline(b *testing.B) {
	const n = 200_000
	for _, dialect := range storetest.Backends(b) {
		b.Run(dialect, func(b *testing.B) {
			st := storetest.OpenBackend(b, dialect)
			p := newPipeline(b, st, linesExec{batchLines: 800}, runner.Config{})
			b.ResetTimer()
			for b.Loop() {
				tk := p.queue(b, n)
				if done := p.waitFinal(b, tk.ID); done.Status != model.TaskSuccess {
					b.Fatalf("status %s (%s)", done.Status, done.Message)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "lines/s")
		})
	}
}

// startExec reports the moment its Run starts, and ends at once.
type startExec struct{ started chan time.Time }

func (e startExec) Run(context.Context, executor.RunRequest, executor.Output) (executor.Result, error) {
	e.started <- time.Now()
	return executor.Result{}, nil
}

func (startExec) Stop(context.Context, int64, bool) (bool, error) { return false, nil }

func (e startExec) Executor(context.Context, string) (runner.Executor, error) { return e, nil }

// BenchmarkDispatch measures, on an idle runner, the time from a task's
// insert and wake-up (what POST /tasks does) to its executor's Run, with an
// in-process executor: claim, lease, workspace, request, running status.
func BenchmarkDispatch(b *testing.B) {
	for _, dialect := range storetest.Backends(b) {
		b.Run(dialect, func(b *testing.B) {
			st := storetest.OpenBackend(b, dialect)
			ex := startExec{started: make(chan time.Time, 1)}
			ctx := context.Background()
			proj := model.Project{Name: "p"}
			if err := st.Projects().Create(ctx, &proj); err != nil {
				b.Fatal(err)
			}
			repo := model.Repository{ProjectID: proj.ID, Name: "r", GitURL: b.TempDir()}
			if err := st.Repositories().Create(ctx, &repo); err != nil {
				b.Fatal(err)
			}
			tmpl := model.Template{ProjectID: proj.ID, Name: "t", App: "bash", Playbook: "x.sh", RepositoryID: repo.ID}
			if err := st.Templates().Create(ctx, &tmpl); err != nil {
				b.Fatal(err)
			}
			r := runner.New(runner.Config{Owner: "bench", WorkDir: b.TempDir()}, runner.Deps{Store: st, Executors: ex,
				Workspaces: localRepo{}, Secrets: noSecrets{}, Events: &events{statuses: map[int64][]model.TaskStatus{}}})
			rctx, cancel := context.WithCancel(ctx)
			done := make(chan struct{})
			go func() { _ = r.Run(rctx); close(done) }()
			b.Cleanup(func() { cancel(); <-done; r.Shutdown(context.Background()) })
			var total time.Duration
			b.ResetTimer()
			for b.Loop() {
				tk := model.Task{ProjectID: proj.ID, TemplateID: tmpl.ID, Status: model.TaskWaiting}
				t0 := time.Now()
				if err := st.Tasks().Create(ctx, &tk); err != nil {
					b.Fatal(err)
				}
				r.Wake()
				total += (<-ex.started).Sub(t0)
				// Let it finish, so that every op starts on an idle runner.
				for {
					t, err := st.Tasks().Get(ctx, 0, tk.ID)
					if err != nil {
						b.Fatal(err)
					}
					if t.Status.Final() {
						break
					}
					time.Sleep(200 * time.Microsecond)
				}
			}
			b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "ms-to-start")
		})
	}
}
