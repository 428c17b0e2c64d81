// Package plugintest is the in-process test harness of the Signalbox SDK.
//
// It serves a plugin implementation over a real gRPC connection inside the
// test process (go-plugin's test connection), so a plugin author exercises
// exactly the code path the server uses, without building a binary:
//
//	client := plugintest.Executor(t, &MyExecutor{})
//	run := plugintest.Run(t, client, executor.RunRequest{TaskID: 1, App: "bash", ...})
//	if run.Result.Failed() { t.Fatal(run.Text()) }
//
// Storage plugins have the same: Storage serves one in-process (behind the
// real storage.Serve, in its test mode), LaunchStorage starts a
// built binary and opens it, and StorageConformance checks a backend
// against the guarantees of package storage.
package plugintest

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	goplugin "github.com/hashicorp/go-plugin"

	"github.com/signalbox/signalbox/sdk/executor"
	"github.com/signalbox/signalbox/sdk/host"
)

// Executor serves impl in-process and returns a client to it. The
// connection is closed when the test ends.
func Executor(t testing.TB, impl executor.Executor) *executor.Client {
	t.Helper()
	client, server := goplugin.TestPluginGRPCConn(t, false, map[string]goplugin.Plugin{
		executor.PluginName: &host.ExecutorPlugin{Impl: impl},
	})
	t.Cleanup(func() {
		// Server first: client.Close asks the server to stop itself, and
		// go-plugin's GRPCServer.Stop is not safe to run twice at once.
		server.Stop()
		_ = client.Close()
	})
	raw, err := client.Dispense(executor.PluginName)
	if err != nil {
		t.Fatalf("dispense executor: %v", err)
	}
	c, ok := raw.(*executor.Client)
	if !ok {
		t.Fatalf("dispensed %T, want *executor.Client", raw)
	}
	return c
}

// Recorder is an executor.Output that keeps everything it is given. It is
// safe for concurrent use.
//
// It is an executor.ApprovalHandler too: a run asking for approval is
// recorded (see Approvals and WaitApproval) and waits until the test calls
// the client's Decide.
type Recorder struct {
	mu        sync.Mutex
	lines     []executor.Line
	processes [][2]int
	statuses  []string
	approvals []json.RawMessage
	// changed is closed, and replaced, whenever an approval is recorded.
	changed chan struct{}
}

var (
	_ executor.Output          = (*Recorder)(nil)
	_ executor.ApprovalHandler = (*Recorder)(nil)
)

// ApprovalRequested records an approval request's summary.
func (r *Recorder) ApprovalRequested(summary json.RawMessage) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.approvals = append(r.approvals, append(json.RawMessage(nil), summary...))
	if r.changed != nil {
		close(r.changed)
		r.changed = nil
	}
	return nil
}

// Approvals returns the summaries of the approval requests so far.
func (r *Recorder) Approvals() []json.RawMessage {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]json.RawMessage(nil), r.approvals...)
}

// WaitApproval waits until the run has asked for its n-th approval (from
// 1) and returns that request's summary. It fails the test after timeout.
func (r *Recorder) WaitApproval(t testing.TB, n int, timeout time.Duration) json.RawMessage {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		r.mu.Lock()
		if len(r.approvals) >= n {
			s := r.approvals[n-1]
			r.mu.Unlock()
			return s
		}
		if r.changed == nil {
			r.changed = make(chan struct{})
		}
		ch := r.changed
		r.mu.Unlock()
		select {
		case <-ch:
		case <-deadline.C:
			t.Fatalf("no approval request %d within %v; output:\n%s", n, timeout, r.Text())
			return nil
		}
	}
}

// Write records lines.
func (r *Recorder) Write(lines ...executor.Line) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, lines...)
	return nil
}

// ProcessStarted records a process group.
func (r *Recorder) ProcessStarted(pid, pgid int) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.processes = append(r.processes, [2]int{pid, pgid})
	return nil
}

// Status records a status change.
func (r *Recorder) Status(status, _ string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.statuses = append(r.statuses, status)
	return nil
}

// Lines returns a copy of the lines recorded so far.
func (r *Recorder) Lines() []executor.Line {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]executor.Line(nil), r.lines...)
}

// Text returns the recorded lines' text joined by newlines.
func (r *Recorder) Text() string {
	var b strings.Builder
	for _, l := range r.Lines() {
		b.WriteString(l.Text)
		b.WriteByte('\n')
	}
	return b.String()
}

// ProcessGroups returns the process group ids reported so far.
func (r *Recorder) ProcessGroups() []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]int, 0, len(r.processes))
	for _, p := range r.processes {
		out = append(out, p[1])
	}
	return out
}

// Statuses returns the statuses reported so far.
func (r *Recorder) Statuses() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.statuses...)
}

// RunResult is what Run gathered.
type RunResult struct {
	*Recorder
	Result executor.Result
	Err    error
}

// Run runs one task to its end and records everything it produced.
func Run(t testing.TB, e executor.Executor, req executor.RunRequest) RunResult {
	t.Helper()
	rec := &Recorder{}
	res, err := e.Run(context.Background(), req, rec)
	return RunResult{Recorder: rec, Result: res, Err: err}
}
