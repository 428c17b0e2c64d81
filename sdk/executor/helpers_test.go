package executor_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/signalbox/signalbox/sdk/executor"
)

// waitTimeout bounds every wait of these tests, so that a bug fails a test
// instead of hanging the binary.
const waitTimeout = 10 * time.Second

// fakeExecutor is an Executor whose behaviour each test supplies.
type fakeExecutor struct {
	desc    executor.Description
	descErr error
	run     func(ctx context.Context, req executor.RunRequest, out executor.Output) (executor.Result, error)
}

var _ executor.Executor = (*fakeExecutor)(nil)

func (f *fakeExecutor) Describe(context.Context) (executor.Description, error) {
	return f.desc, f.descErr
}

func (f *fakeExecutor) Run(ctx context.Context, req executor.RunRequest, out executor.Output) (executor.Result, error) {
	return f.run(ctx, req, out)
}

// event is one call the host's Output received.
type event struct {
	lines     []executor.Line // a Write
	pid, pgid int             // a ProcessStarted
	status    string          // a Status
	message   string
}

// recorder is a host-side Output that keeps every call, in order, and
// keeps each Write's batch apart.
type recorder struct {
	mu     sync.Mutex
	events []event
	// writeErr is returned by Write when set.
	writeErr error
}

var _ executor.Output = (*recorder)(nil)

func (r *recorder) Write(lines ...executor.Line) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, event{lines: lines})
	return r.writeErr
}

func (r *recorder) ProcessStarted(pid, pgid int) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, event{pid: pid, pgid: pgid})
	return nil
}

func (r *recorder) Status(status, message string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, event{status: status, message: message})
	return nil
}

// batches returns the lines of each Write, in order.
func (r *recorder) batches() [][]executor.Line {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out [][]executor.Line
	for _, e := range r.events {
		if e.lines != nil {
			out = append(out, e.lines)
		}
	}
	return out
}

// lines returns every line written, in order.
func (r *recorder) lines() []executor.Line {
	var out []executor.Line
	for _, b := range r.batches() {
		out = append(out, b...)
	}
	return out
}

// texts returns the text of every line written, in order.
func (r *recorder) texts() []string {
	out := []string{}
	for _, l := range r.lines() {
		out = append(out, l.Text)
	}
	return out
}

// runOutcome is what Client.Run returned.
type runOutcome struct {
	res executor.Result
	err error
}

// startRun runs req on e in the background; the outcome arrives on the
// returned channel.
func startRun(ctx context.Context, e executor.Executor, req executor.RunRequest, out executor.Output) <-chan runOutcome {
	ch := make(chan runOutcome, 1)
	go func() {
		res, err := e.Run(ctx, req, out)
		ch <- runOutcome{res: res, err: err}
	}()
	return ch
}

// receive returns the next value of ch, failing the test if none arrives
// within waitTimeout.
func receive[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(waitTimeout):
		t.Fatalf("timed out after %v waiting for %s", waitTimeout, what)
		var zero T
		return zero
	}
}

// isClosed reports whether ch is closed, without blocking.
func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
