// Package runner executes tasks. It takes waiting tasks from the database
// (the only queue), holds each claimed attempt with a renewed lease, runs it
// through an executor plugin, stores its output in batches, and reports the
// final status only after the output is durable.
//
// The runner's dependencies are narrow interfaces, so that a remote runner
// process can later take the same role.
package runner

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/signalbox/signalbox/core/gitsrc"
	"github.com/signalbox/signalbox/core/model"
	"github.com/signalbox/signalbox/core/store"
	"github.com/signalbox/signalbox/sdk/executor"
)

// Executor is what the runner needs of an executor plugin.
type Executor interface {
	Run(ctx context.Context, req executor.RunRequest, out executor.Output) (executor.Result, error)
	Stop(ctx context.Context, taskID int64, force bool) (bool, error)
}

// Executors finds the executor serving an app.
type Executors interface {
	Executor(ctx context.Context, app string) (Executor, error)
}

// Workspaces checks out repositories.
type Workspaces interface {
	Prepare(ctx context.Context, src gitsrc.Source, dest string) (gitsrc.Workspace, error)
}

// Secrets decrypts access key secrets.
type Secrets interface {
	OpenJSON(blob []byte, v any) error
}

// Events receives task changes and output as they happen.
type Events interface {
	TaskChanged(t model.Task)
	TaskOutput(t model.Task, lines []model.OutputLine)
}

// Config configures a Runner.
type Config struct {
	// Owner identifies this runner in task leases; stable across restarts.
	Owner string
	// MaxParallel caps the tasks running at once. Default 10.
	MaxParallel int
	// WorkDir holds per-attempt workspaces.
	WorkDir string
	// StopGracePeriod is how long a stopped task may take. Default 10s.
	StopGracePeriod time.Duration
	// LeaseDuration is how long a claim lasts without renewal. Default 30s.
	LeaseDuration time.Duration
	// FlushInterval bounds how long output waits before it is stored.
	// Default 200ms.
	FlushInterval time.Duration
	// FlushLines stores output once this many lines are pending. Default 5000.
	FlushLines int
	// Env is the base environment of tasks (PATH, HOME…), before the
	// environment's own variables.
	Env map[string]string
}

// Deps are the runner's collaborators.
type Deps struct {
	Store      store.Store
	Executors  Executors
	Workspaces Workspaces
	Secrets    Secrets
	Events     Events
	Log        hclog.Logger
}

// Runner runs tasks. Start it with Run; stop it by cancelling Run's context
// and calling Shutdown.
type Runner struct {
	cfg Config
	Deps
	log  hclog.Logger
	wake chan struct{}

	// finished, when set, is told of every task that ended.
	finished func(ctx context.Context, t model.Task)

	mu      sync.Mutex
	running map[int64]*attempt
	wg      sync.WaitGroup
	closing bool
}

// New returns a runner.
func New(cfg Config, deps Deps) *Runner {
	if cfg.MaxParallel < 1 {
		cfg.MaxParallel = 10
	}
	if cfg.StopGracePeriod <= 0 {
		cfg.StopGracePeriod = 10 * time.Second
	}
	if cfg.LeaseDuration <= 0 {
		cfg.LeaseDuration = 30 * time.Second
	}
	if cfg.FlushInterval <= 0 {
		cfg.FlushInterval = 200 * time.Millisecond
	}
	if cfg.FlushLines <= 0 {
		cfg.FlushLines = 5000
	}
	if deps.Log == nil {
		deps.Log = hclog.NewNullLogger()
	}
	return &Runner{cfg: cfg, Deps: deps, log: deps.Log.Named("runner"), wake: make(chan struct{}, 1),
		running: map[int64]*attempt{}}
}

// OnFinish sets a function told of every task that ended, after its final
// status is stored (the services start autorun deploys from it). Call it
// before Run.
func (r *Runner) OnFinish(fn func(ctx context.Context, t model.Task)) { r.finished = fn }

// Wake makes the dispatcher look for waiting tasks now. It never blocks.
func (r *Runner) Wake() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Run reconciles tasks left behind by a previous run of this owner, then
// dispatches waiting tasks until ctx is done.
func (r *Runner) Run(ctx context.Context) error {
	if err := r.reconcile(ctx, true); err != nil {
		return fmt.Errorf("reconcile tasks: %w", err)
	}
	lease := time.NewTicker(r.cfg.LeaseDuration / 3)
	defer lease.Stop()
	// The sweep is a safety net; new tasks wake the dispatcher at once.
	sweep := time.NewTicker(time.Second)
	defer sweep.Stop()
	for {
		r.dispatch(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-r.wake:
		case <-sweep.C:
		case <-lease.C:
			r.renew(ctx)
			if err := r.reconcile(ctx, false); err != nil && ctx.Err() == nil {
				r.log.Error("reconcile tasks", "error", err)
			}
		}
	}
}

// reconcile ends attempts nobody runs: at start-up, those this owner held
// before it stopped; later, those of any owner whose lease ran out.
func (r *Runner) reconcile(ctx context.Context, startup bool) error {
	var (
		stale []model.Task
		err   error
	)
	if startup {
		stale, err = r.Store.Tasks().ListActive(ctx, r.cfg.Owner, time.Time{})
	} else {
		stale, err = r.Store.Tasks().ListActive(ctx, "", time.Now())
	}
	if err != nil {
		return err
	}
	for _, t := range stale {
		if r.isRunning(t.ID) {
			continue
		}
		msg := fmt.Sprintf("the runner %q holding this task stopped renewing its lease", t.Owner)
		if startup {
			msg = "the server stopped while this task was running (killed or crashed); the task did not finish"
		}
		if err := r.finishStale(ctx, t, msg); err != nil {
			r.log.Error("end stale task", "task_id", t.ID, "error", err)
		}
	}
	return nil
}

func (r *Runner) finishStale(ctx context.Context, t model.Task, msg string) error {
	seq, err := r.Store.Output().LastSeq(ctx, t.ID)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	line := model.OutputLine{TaskID: t.ID, Seq: seq + 1, Time: now, Text: "error: " + msg}
	if err := r.Store.Output().Append(ctx, t.ID, []model.OutputLine{line}); err != nil {
		return err
	}
	ok, err := r.Store.Tasks().Transition(ctx, store.Transition{
		TaskID: t.ID, Attempt: t.Attempt, Owner: t.Owner, From: model.ActiveStatuses,
		To: model.TaskError, Message: msg, End: &now, ClearLease: true,
	})
	if err != nil || !ok {
		return err
	}
	r.log.Warn("ended task left behind", "task_id", t.ID, "owner", t.Owner, "reason", msg)
	if t, err := r.Store.Tasks().Get(ctx, 0, t.ID); err == nil {
		r.Events.TaskChanged(t)
	}
	return nil
}

func (r *Runner) renew(ctx context.Context) {
	ids := r.runningIDs()
	if len(ids) == 0 {
		return
	}
	if err := r.Store.Tasks().RenewLeases(ctx, r.cfg.Owner, ids, time.Now().Add(r.cfg.LeaseDuration)); err != nil {
		r.log.Error("renew leases", "error", err)
	}
}

// Running returns how many tasks this runner is running now.
func (r *Runner) Running() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.running)
}

func (r *Runner) isRunning(id int64) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.running[id]
	return ok
}

func (r *Runner) runningIDs() []int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	ids := make([]int64, 0, len(r.running))
	for id := range r.running {
		ids = append(ids, id)
	}
	return ids
}

// dispatch claims waiting tasks while there are free slots, within the
// global and per-project limits.
func (r *Runner) dispatch(ctx context.Context) {
	r.mu.Lock()
	free := r.cfg.MaxParallel - len(r.running)
	closing := r.closing
	r.mu.Unlock()
	if free <= 0 || closing || ctx.Err() != nil {
		return
	}
	waiting, err := r.Store.Tasks().ListWaiting(ctx, free*4+16)
	if err != nil || len(waiting) == 0 {
		if err != nil && ctx.Err() == nil {
			r.log.Error("list waiting tasks", "error", err)
		}
		return
	}
	_, perProject, err := r.Store.Tasks().CountActive(ctx)
	if err != nil {
		r.log.Error("count active tasks", "error", err)
		return
	}
	limits := map[int64]int{}
	for _, w := range waiting {
		if free == 0 {
			return
		}
		limit, ok := limits[w.ProjectID]
		if !ok {
			p, err := r.Store.Projects().Get(ctx, w.ProjectID)
			if err != nil {
				r.log.Error("load project of waiting task", "task_id", w.ID, "error", err)
				continue
			}
			limit = p.MaxParallelTasks
			limits[w.ProjectID] = limit
		}
		if limit > 0 && perProject[w.ProjectID] >= limit {
			continue
		}
		t, ok, err := r.Store.Tasks().Claim(ctx, w.ID, r.cfg.Owner, time.Now().Add(r.cfg.LeaseDuration))
		if err != nil {
			r.log.Error("claim task", "task_id", w.ID, "error", err)
			continue
		}
		if !ok {
			continue
		}
		perProject[w.ProjectID]++
		free--
		r.start(t)
	}
}

// Stop stops a task this runner is running: gracefully, or at once with
// force. found is false when the task does not run here.
func (r *Runner) Stop(ctx context.Context, taskID int64, force bool) (found bool, err error) {
	r.mu.Lock()
	a, ok := r.running[taskID]
	r.mu.Unlock()
	if !ok {
		return false, nil
	}
	return true, a.stop(ctx, force, "")
}

// Decide confirms or rejects a task of this runner that waits for
// confirmation. found is false when the task does not run here.
func (r *Runner) Decide(ctx context.Context, taskID int64, approved bool) (found bool, err error) {
	r.mu.Lock()
	a, ok := r.running[taskID]
	r.mu.Unlock()
	if !ok {
		return false, nil
	}
	return true, a.decide(ctx, approved)
}

// Shutdown stops every running task and waits for them to end, or for ctx.
func (r *Runner) Shutdown(ctx context.Context) {
	r.mu.Lock()
	r.closing = true
	runs := make([]*attempt, 0, len(r.running))
	for _, a := range r.running {
		runs = append(runs, a)
	}
	r.mu.Unlock()
	for _, a := range runs {
		if err := a.stop(ctx, false, "the server is shutting down"); err != nil {
			r.log.Error("stop task", "task_id", a.task.ID, "error", err)
		}
	}
	done := make(chan struct{})
	go func() { r.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		for _, a := range runs {
			_ = a.stop(context.Background(), true, "the server is shutting down")
		}
		<-done
	}
}

// errStopped marks an attempt that ended because it was asked to stop.
var errStopped = errors.New("stopped")
