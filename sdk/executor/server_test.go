package executor_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/signalbox/signalbox/sdk/executor"
	"github.com/signalbox/signalbox/sdk/plugintest"
)

// blocking is an executor whose runs report that they started, then wait
// for their ctx to be cancelled and report what they saw.
type blocking struct {
	started chan int64
	// cancelled receives what a run saw when its ctx was done.
	cancelled chan seen
	// proceed lets a cancelled run end; it is closed by the test.
	proceed chan struct{}
	// ended receives what a run saw just before it returned.
	ended chan seen
	// result is what a run returns.
	result executor.Result
}

// seen is what a run observed of its ctx at some moment.
type seen struct {
	taskID int64
	cause  error
	killed bool
	// writeErr is what a Write returned after the ctx was done.
	writeErr error
}

func newBlocking() *blocking {
	return &blocking{
		started:   make(chan int64, 100),
		cancelled: make(chan seen, 100),
		proceed:   make(chan struct{}),
		ended:     make(chan seen, 100),
	}
}

func (b *blocking) Describe(context.Context) (executor.Description, error) {
	return executor.Description{Name: "blocking"}, nil
}

func (b *blocking) Run(ctx context.Context, req executor.RunRequest, out executor.Output) (executor.Result, error) {
	if err := out.Write(executor.Line{Time: time.Now(), Stream: executor.StreamStdout, Text: "started"}); err != nil {
		return executor.Result{}, err
	}
	b.started <- req.TaskID
	select {
	case <-ctx.Done():
	case <-time.After(waitTimeout):
		return executor.Result{}, errors.New("ctx was never cancelled")
	}
	b.cancelled <- seen{taskID: req.TaskID, cause: context.Cause(ctx), killed: isClosed(executor.Killed(ctx))}
	select {
	case <-b.proceed:
	case <-time.After(waitTimeout):
		return executor.Result{}, errors.New("test never let the run proceed")
	}
	werr := out.Write(executor.Line{Time: time.Now(), Stream: executor.StreamStdout, Text: "after cancel"})
	b.ended <- seen{taskID: req.TaskID, cause: context.Cause(ctx), killed: isClosed(executor.Killed(ctx)), writeErr: werr}
	return b.result, nil
}

func TestClient_Run_panicDoesNotStopThePlugin(t *testing.T) {
	t.Parallel()
	client := plugintest.Executor(t, &fakeExecutor{run: func(_ context.Context, req executor.RunRequest, out executor.Output) (executor.Result, error) {
		if err := out.Write(executor.Line{Time: at(1), Stream: executor.StreamStdout, Text: req.App}); err != nil {
			return executor.Result{}, err
		}
		if req.App == "panic" {
			var m map[string]int
			m["x"]++ // a real runtime panic, not a panic(string)
		}
		return executor.Result{ExitCode: 0}, nil
	}})
	// The same task id twice: a panicking run must also free its id.
	for i, app := range []string{"panic", "ok", "panic", "ok"} {
		rec := &recorder{}
		res, err := client.Run(t.Context(), executor.RunRequest{TaskID: 7, App: app}, rec)
		if err != nil {
			t.Fatalf("run %d (%s): Run() error = %v", i, app, err)
		}
		if got := rec.texts(); !slices.Equal(got, []string{app}) {
			t.Errorf("run %d (%s): output = %q, want the line written before the end", i, app, got)
		}
		if app == "panic" {
			if res.ExitCode != -1 || !strings.HasPrefix(res.Error, "executor panicked: ") || !strings.Contains(res.Error, "nil map") {
				t.Errorf("run %d: Run() = %+v, want exit -1 and an \"executor panicked: …nil map…\" error", i, res)
			}
			continue
		}
		if res.Failed() {
			t.Errorf("run %d: Run() = %+v, want success after a panic", i, res)
		}
	}
}

func TestClient_Run_alreadyRunning(t *testing.T) {
	t.Parallel()
	b := newBlocking()
	client := plugintest.Executor(t, b)
	first := startRun(t.Context(), client, executor.RunRequest{TaskID: 5}, &recorder{})
	receive(t, b.started, "the first run to start")

	t.Run("a second run of a running task id fails with ErrAlreadyRunning", func(t *testing.T) {
		rec := &recorder{}
		_, err := client.Run(t.Context(), executor.RunRequest{TaskID: 5}, rec)
		if !errors.Is(err, executor.ErrAlreadyRunning) {
			t.Fatalf("Run() error = %v, want ErrAlreadyRunning", err)
		}
		if got := rec.texts(); len(got) != 0 {
			t.Errorf("refused run wrote %q, want nothing", got)
		}
	})
	t.Run("another task id runs alongside", func(t *testing.T) {
		other := startRun(t.Context(), client, executor.RunRequest{TaskID: 6}, &recorder{})
		if id := receive(t, b.started, "the other run to start"); id != 6 {
			t.Fatalf("started task %d, want 6", id)
		}
		if found, err := client.Stop(t.Context(), 6, true); err != nil || !found {
			t.Fatalf("Stop(6) = %v, %v; want found", found, err)
		}
		receive(t, b.cancelled, "the other run to be cancelled")
		close(b.proceed)
		if o := receive(t, other, "the other run to end"); o.err != nil {
			t.Fatalf("other Run() error = %v", o.err)
		}
	})
	t.Run("the first run is unharmed by the refused one", func(t *testing.T) {
		if found, err := client.Stop(t.Context(), 5, false); err != nil || !found {
			t.Fatalf("Stop(5) = %v, %v; want found", found, err)
		}
		if o := receive(t, first, "the first run to end"); o.err != nil || !o.res.Stopped {
			t.Fatalf("first Run() = %+v, %v; want a stopped result", o.res, o.err)
		}
	})
	t.Run("a task id is free again once its run ended", func(t *testing.T) {
		// proceed is closed, so this run ends as soon as it is stopped.
		again := startRun(t.Context(), client, executor.RunRequest{TaskID: 5}, &recorder{})
		receive(t, b.started, "the run to start again")
		if found, err := client.Stop(t.Context(), 5, false); err != nil || !found {
			t.Fatalf("Stop(5) = %v, %v; want found", found, err)
		}
		if o := receive(t, again, "the run to end again"); o.err != nil || !o.res.Stopped {
			t.Fatalf("Run() again = %+v, %v; want a stopped result", o.res, o.err)
		}
	})
}

func TestClient_Stop(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		// force lists the Stop calls the host makes, in order.
		force []bool
		// wantCause is context.Cause of the run's ctx.
		wantCause error
		// wantKilledAtCancel is whether Killed(ctx) is closed as soon as
		// ctx is done; wantKilledAtEnd, after every Stop returned.
		wantKilledAtCancel, wantKilledAtEnd bool
	}{
		"a graceful stop cancels with ErrStopped and leaves Killed open": {
			force:     []bool{false},
			wantCause: executor.ErrStopped,
		},
		"a forced stop cancels with ErrKilled and closes Killed": {
			force:              []bool{true},
			wantCause:          executor.ErrKilled,
			wantKilledAtCancel: true, wantKilledAtEnd: true,
		},
		"a forced stop after a graceful one closes Killed": {
			force:           []bool{false, true},
			wantCause:       executor.ErrStopped,
			wantKilledAtEnd: true,
		},
		"a second graceful stop changes nothing": {
			force:     []bool{false, false},
			wantCause: executor.ErrStopped,
		},
		"a second forced stop is harmless": {
			force:              []bool{true, true},
			wantCause:          executor.ErrKilled,
			wantKilledAtCancel: true, wantKilledAtEnd: true,
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b := newBlocking()
			b.result = executor.Result{ExitCode: 143, Error: "terminated"}
			client := plugintest.Executor(t, b)
			rec := &recorder{}
			done := startRun(t.Context(), client, executor.RunRequest{TaskID: 3}, rec)
			receive(t, b.started, "the run to start")

			var atCancel seen
			for i, force := range tc.force {
				found, err := client.Stop(t.Context(), 3, force)
				if err != nil || !found {
					t.Fatalf("Stop(force=%v) #%d = %v, %v; want found", force, i, found, err)
				}
				if i == 0 {
					atCancel = receive(t, b.cancelled, "the run's ctx to be cancelled")
				}
			}
			close(b.proceed)
			atEnd := receive(t, b.ended, "the run to end")
			o := receive(t, done, "Run to return")

			if !errors.Is(atCancel.cause, tc.wantCause) || !errors.Is(atEnd.cause, tc.wantCause) {
				t.Errorf("context.Cause(ctx) = %v then %v, want %v", atCancel.cause, atEnd.cause, tc.wantCause)
			}
			if atCancel.killed != tc.wantKilledAtCancel {
				t.Errorf("Killed(ctx) closed when ctx was done = %v, want %v", atCancel.killed, tc.wantKilledAtCancel)
			}
			if atEnd.killed != tc.wantKilledAtEnd {
				t.Errorf("Killed(ctx) closed after the stops = %v, want %v", atEnd.killed, tc.wantKilledAtEnd)
			}
			if atEnd.writeErr != nil {
				t.Errorf("Write after a stop = %v, want the stream to stay open", atEnd.writeErr)
			}
			want := executor.Result{ExitCode: 143, Error: "terminated", Stopped: true}
			if o.err != nil || o.res.ExitCode != want.ExitCode || o.res.Error != want.Error || o.res.Stopped != want.Stopped {
				t.Errorf("Run() = %+v, %v; want %+v", o.res, o.err, want)
			}
			if got := rec.texts(); !slices.Equal(got, []string{"started", "after cancel"}) {
				t.Errorf("output = %q, want the lines written before and after the stop", got)
			}
			if found, err := client.Stop(t.Context(), 3, true); err != nil || found {
				t.Errorf("Stop() after the run ended = %v, %v; want not found", found, err)
			}
		})
	}
}

func TestClient_Stop_unknownTask(t *testing.T) {
	t.Parallel()
	client := plugintest.Executor(t, newBlocking())
	for name, force := range map[string]bool{
		"a graceful stop of an unknown task reports not found": false,
		"a forced stop of an unknown task reports not found":   true,
	} {
		t.Run(name, func(t *testing.T) {
			found, err := client.Stop(t.Context(), 404, force)
			if err != nil || found {
				t.Errorf("Stop() = %v, %v; want false, nil", found, err)
			}
		})
	}
}

func TestClient_Run_hostGoesAway(t *testing.T) {
	t.Parallel()
	errHost := errors.New("disk full")
	for name, tc := range map[string]struct {
		// end makes the host side give up on the run.
		end func(cancel context.CancelFunc)
		// writeFails is set when the host's Output fails its Write.
		writeFails bool
	}{
		"a failing host Write ends Run with that error and cancels the executor": {
			writeFails: true,
		},
		"cancelling the host's ctx cancels the executor": {
			end: func(cancel context.CancelFunc) { cancel() },
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b := newBlocking()
			client := plugintest.Executor(t, b)
			rec := &recorder{}
			if tc.writeFails {
				rec.writeErr = errHost
			}
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			done := startRun(ctx, client, executor.RunRequest{TaskID: 8}, rec)
			receive(t, b.started, "the run to start")
			if tc.end != nil {
				tc.end(cancel)
			}

			o := receive(t, done, "Run to return")
			if o.err == nil {
				t.Fatalf("Run() = %+v, nil; want an error", o.res)
			}
			if tc.writeFails && !errors.Is(o.err, errHost) {
				t.Errorf("Run() error = %v, want it to wrap %v", o.err, errHost)
			}
			atCancel := receive(t, b.cancelled, "the executor's ctx to be cancelled")
			if errors.Is(atCancel.cause, executor.ErrStopped) || errors.Is(atCancel.cause, executor.ErrKilled) || atCancel.killed {
				t.Errorf("executor saw cause %v, killed %v; want a plain cancellation", atCancel.cause, atCancel.killed)
			}
			close(b.proceed)
			// The executor returns: nothing of the run is left behind.
			atEnd := receive(t, b.ended, "the executor to return")
			if atEnd.writeErr == nil {
				t.Error("Write after the host went away = nil, want an error")
			}
		})
	}
}

func TestClient_Run_concurrent(t *testing.T) {
	t.Parallel()
	const runs = 20
	const linesPerRun = 50
	// Every run waits for all of them to have started, so they do overlap
	// inside the one plugin.
	var startedWG sync.WaitGroup
	startedWG.Add(runs)
	allStarted := make(chan struct{})
	go func() { startedWG.Wait(); close(allStarted) }()

	client := plugintest.Executor(t, &fakeExecutor{run: func(ctx context.Context, req executor.RunRequest, out executor.Output) (executor.Result, error) {
		startedWG.Done()
		select {
		case <-allStarted:
		case <-ctx.Done():
			return executor.Result{}, ctx.Err()
		case <-time.After(waitTimeout):
			return executor.Result{}, errors.New("runs did not overlap")
		}
		if err := out.ProcessStarted(int(req.TaskID), int(req.TaskID)); err != nil {
			return executor.Result{}, err
		}
		// Lines from several goroutines of one run: Output is safe for
		// concurrent use.
		var wg sync.WaitGroup
		errs := make(chan error, linesPerRun)
		for i := range linesPerRun {
			wg.Go(func() {
				errs <- out.Write(executor.Line{Time: at(i), Stream: executor.StreamStdout, Text: fmt.Sprintf("task %d line %02d", req.TaskID, i)})
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				return executor.Result{}, err
			}
		}
		return executor.Result{ExitCode: int(req.TaskID % 3), Summary: []byte(fmt.Sprintf(`{"task":%d}`, req.TaskID))}, nil
	}})

	type outcome struct {
		id  int64
		rec *recorder
		o   runOutcome
	}
	results := make(chan outcome, runs)
	for id := int64(1); id <= runs; id++ {
		go func() {
			rec := &recorder{}
			res, err := client.Run(t.Context(), executor.RunRequest{TaskID: id}, rec)
			results <- outcome{id: id, rec: rec, o: runOutcome{res: res, err: err}}
		}()
	}
	for range runs {
		r := receive(t, results, "a concurrent run to end")
		if r.o.err != nil {
			t.Errorf("task %d: Run() error = %v", r.id, r.o.err)
			continue
		}
		if r.o.res.ExitCode != int(r.id%3) || string(r.o.res.Summary) != fmt.Sprintf(`{"task":%d}`, r.id) || r.o.res.Error != "" {
			t.Errorf("task %d: Run() = %+v, want its own result", r.id, r.o.res)
		}
		got := r.rec.texts()
		slices.Sort(got)
		want := make([]string, linesPerRun)
		for i := range want {
			want[i] = fmt.Sprintf("task %d line %02d", r.id, i)
		}
		if !slices.Equal(got, want) {
			t.Errorf("task %d: output = %q, want its own %d lines", r.id, got, linesPerRun)
		}
		r.rec.mu.Lock()
		firstEvent := r.rec.events[0]
		r.rec.mu.Unlock()
		if firstEvent.pid != int(r.id) || firstEvent.pgid != int(r.id) {
			t.Errorf("task %d: first event = %+v, want its ProcessStarted", r.id, firstEvent)
		}
	}
}

func TestClient_Run_sameTaskAgain(t *testing.T) {
	t.Parallel()
	client := plugintest.Executor(t, &fakeExecutor{run: func(context.Context, executor.RunRequest, executor.Output) (executor.Result, error) {
		return executor.Result{ExitCode: 1, Error: "failed, retry"}, nil
	}})
	// A host retries a task (the next attempt) as soon as it has a result.
	for attempt := 1; attempt <= 50; attempt++ {
		res, err := client.Run(t.Context(), executor.RunRequest{TaskID: 9, Attempt: attempt}, &recorder{})
		if err != nil {
			t.Fatalf("attempt %d: Run() error = %v, want the task id free once its result arrived", attempt, err)
		}
		if res.ExitCode != 1 {
			t.Fatalf("attempt %d: Run() = %+v", attempt, res)
		}
		if found, err := client.Stop(t.Context(), 9, true); err != nil || found {
			t.Fatalf("attempt %d: Stop() after the result = %v, %v; want not found", attempt, found, err)
		}
	}
}
