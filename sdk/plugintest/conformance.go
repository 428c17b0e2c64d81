package plugintest

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/signalbox/signalbox/sdk/executor"
)

// Conformance tells ExecutorConformance how to exercise an executor.
type Conformance struct {
	// Succeeds returns a request for a task that ends successfully within a
	// few seconds. It is called once per run, so it can make fresh folders
	// (t.TempDir) each time. Required.
	Succeeds func(t *testing.T) executor.RunRequest
	// LongRunning returns a request for a task that runs until it is
	// stopped (a minute at least) and ends within its StopGracePeriod when
	// stopped gracefully. It should write a line or report its process soon
	// after it starts: the suite stops it then. Required.
	LongRunning func(t *testing.T) executor.RunRequest
	// Timeout bounds every run and every stop of the suite. Default: 60s.
	Timeout time.Duration
}

// conformanceTaskID numbers the suite's runs; ids are unique within a test
// binary so that suites may run in parallel on one executor.
var conformanceTaskID atomic.Int64

// unknownApp is an app id no executor serves.
const unknownApp = "signalbox-conformance-unknown-app"

// ExecutorConformance checks that impl keeps the executor contract. It
// serves impl in-process (as Executor does) and runs these subtests:
//
//   - Describe returns a name, at least one app with a unique id, and app
//     schemas that are JSON Schema objects of "type": "object"; the apps of
//     c's requests are among them.
//   - A run of c.Succeeds ends with a successful Result.
//   - Runs may be concurrent.
//   - A run of an unknown app fails (an error or a failed Result) and does
//     not hang or panic.
//   - Stop of a task that is not running reports found=false.
//   - A c.LongRunning task ends when stopped gracefully, within its
//     StopGracePeriod (default 10s) plus a margin, with Result.Stopped set.
//   - A c.LongRunning task with an hour of grace ends at once when stopped
//     with force.
//
// After each run, every process group the task reported with
// ProcessStarted must be gone (on Unix). The suite sets the TaskID of every
// request it runs.
func ExecutorConformance(t *testing.T, impl executor.Executor, c Conformance) {
	t.Helper()
	if c.Succeeds == nil || c.LongRunning == nil {
		t.Fatal("plugintest.Conformance needs Succeeds and LongRunning")
	}
	if c.Timeout <= 0 {
		c.Timeout = time.Minute
	}
	client := Executor(t, impl)
	s := &suite{client: client, timeout: c.Timeout}

	t.Run("describe returns a name and valid app schemas", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), c.Timeout)
		defer cancel()
		d, err := client.Describe(ctx)
		if err != nil {
			t.Fatalf("Describe() error = %v", err)
		}
		if d.Name == "" {
			t.Error("Describe() returned an empty name")
		}
		if len(d.Apps) == 0 {
			t.Fatal("Describe() returned no apps")
		}
		ids := map[string]bool{}
		for _, a := range d.Apps {
			if a.ID == "" {
				t.Errorf("app %+v has an empty id", a)
			}
			if ids[a.ID] {
				t.Errorf("app id %q appears twice", a.ID)
			}
			ids[a.ID] = true
			for kind, schema := range map[string]json.RawMessage{"template": a.TemplateSchema, "task": a.TaskSchema} {
				if err := checkSchema(schema); err != nil {
					t.Errorf("app %q: %s schema: %v", a.ID, kind, err)
				}
			}
		}
		for name, mk := range map[string]func(*testing.T) executor.RunRequest{
			"Succeeds": c.Succeeds, "LongRunning": c.LongRunning,
		} {
			if app := mk(t).App; !ids[app] {
				t.Errorf("%s uses app %q, which Describe does not list", name, app)
			}
		}
	})

	t.Run("a run of a described app ends with a successful result", func(t *testing.T) {
		r := s.run(t, c.Succeeds(t))
		if r.Err != nil || r.Result.Failed() {
			t.Fatalf("Run() = %+v, %v; want success; output:\n%s", r.Result, r.Err, r.Text())
		}
	})

	t.Run("runs may be concurrent", func(t *testing.T) {
		runs := make([]<-chan RunResult, 3)
		ids := make([]int64, len(runs))
		for i := range runs {
			ids[i], _, runs[i] = s.start(c.Succeeds(t))
		}
		for i := range runs {
			r := s.await(t, ids[i], runs[i])
			if r.Err != nil || r.Result.Failed() {
				t.Errorf("run %d = %+v, %v; want success; output:\n%s", i, r.Result, r.Err, r.Text())
			}
		}
	})

	t.Run("a run of an unknown app fails without hanging", func(t *testing.T) {
		req := c.Succeeds(t)
		req.App = unknownApp
		r := s.run(t, req)
		if r.Err == nil && !r.Result.Failed() {
			t.Fatalf("Run() of app %q = %+v, want an error or a failed result", unknownApp, r.Result)
		}
	})

	t.Run("stop of an unknown task reports not found", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), c.Timeout)
		defer cancel()
		found, err := client.Stop(ctx, -conformanceTaskID.Add(1), false)
		if err != nil || found {
			t.Fatalf("Stop() = %v, %v; want false, nil", found, err)
		}
	})

	t.Run("a running task stops gracefully when asked", func(t *testing.T) {
		req := c.LongRunning(t)
		if req.StopGracePeriod <= 0 {
			req.StopGracePeriod = 10 * time.Second
		}
		s.stopRun(t, req, false, req.StopGracePeriod+5*time.Second)
	})

	t.Run("a running task stops at once when forced", func(t *testing.T) {
		req := c.LongRunning(t)
		req.StopGracePeriod = time.Hour
		s.stopRun(t, req, true, 10*time.Second)
	})
}

type suite struct {
	client  *executor.Client
	timeout time.Duration
}

// run runs req to its end within the timeout and checks that its process
// groups are gone.
func (s *suite) run(t *testing.T, req executor.RunRequest) RunResult {
	t.Helper()
	id, _, done := s.start(req)
	return s.await(t, id, done)
}

// start runs req in the background under a fresh task id.
func (s *suite) start(req executor.RunRequest) (int64, *Recorder, <-chan RunResult) {
	req.TaskID = conformanceTaskID.Add(1)
	rec := &Recorder{}
	done := make(chan RunResult, 1)
	go func() {
		res, err := s.client.Run(context.Background(), req, rec)
		done <- RunResult{Recorder: rec, Result: res, Err: err}
	}()
	return req.TaskID, rec, done
}

// await waits for a run started by start, then checks that its process
// groups are gone.
func (s *suite) await(t *testing.T, id int64, done <-chan RunResult) RunResult {
	t.Helper()
	select {
	case r := <-done:
		s.checkGroupsGone(t, r.Recorder)
		return r
	case <-time.After(s.timeout):
		_, _ = s.client.Stop(context.Background(), id, true)
		t.Fatalf("Run() of task %d did not end within %v", id, s.timeout)
		return RunResult{}
	}
}

// stopRun starts req, stops it once it shows signs of life and checks that
// it ends within limit.
func (s *suite) stopRun(t *testing.T, req executor.RunRequest, force bool, limit time.Duration) {
	t.Helper()
	id, rec, done := s.start(req)
	t.Cleanup(func() { _, _ = s.client.Stop(context.Background(), id, true) })

	// Wait for the task to show signs of life, then until the plugin knows
	// it (Stop reports found).
	alive := time.Now().Add(s.timeout)
	for len(rec.Lines()) == 0 && len(rec.ProcessGroups()) == 0 && len(rec.Statuses()) == 0 {
		if time.Now().After(alive) {
			t.Fatalf("task %d showed no output, process or status within %v", id, s.timeout)
		}
		select {
		case r := <-done:
			t.Fatalf("task %d ended before it was stopped: %+v, %v; output:\n%s", id, r.Result, r.Err, r.Text())
		case <-time.After(10 * time.Millisecond):
		}
	}
	var stoppedAt time.Time
	for {
		found, err := s.client.Stop(context.Background(), id, force)
		if err != nil {
			t.Fatalf("Stop(%d, force=%v) error = %v", id, force, err)
		}
		if found {
			stoppedAt = time.Now()
			break
		}
		if time.Now().After(alive) {
			t.Fatalf("Stop(%d) never found the running task", id)
		}
		time.Sleep(10 * time.Millisecond)
	}
	select {
	case r := <-done:
		if took := time.Since(stoppedAt); took > limit {
			t.Errorf("task %d took %v to stop, want at most %v", id, took, limit)
		}
		if r.Err != nil {
			t.Errorf("Run() error = %v after a stop, want a result", r.Err)
		}
		if !r.Result.Stopped {
			t.Errorf("Run() = %+v after a stop, want Stopped set", r.Result)
		}
		s.checkGroupsGone(t, rec)
	case <-time.After(limit):
		t.Fatalf("task %d did not stop within %v (force=%v); output:\n%s", id, limit, force, rec.Text())
	}
}

func (s *suite) checkGroupsGone(t *testing.T, rec *Recorder) {
	t.Helper()
	if rec == nil {
		return
	}
	for _, pgid := range rec.ProcessGroups() {
		if err := WaitProcessGroupGone(pgid, 15*time.Second); err != nil {
			t.Errorf("process group %d of the task survived it: %v", pgid, err)
		}
	}
}

// checkSchema checks the shape of an app schema: empty, or a JSON object
// with "type": "object" whose "properties", if any, are objects.
func checkSchema(raw json.RawMessage) error {
	if len(raw) == 0 {
		return nil
	}
	var s map[string]json.RawMessage
	if err := json.Unmarshal(raw, &s); err != nil {
		return fmt.Errorf("not a JSON object: %w", err)
	}
	var typ string
	if err := json.Unmarshal(s["type"], &typ); err != nil || typ != "object" {
		return fmt.Errorf(`"type" is %s, want "object"`, s["type"])
	}
	if v, ok := s["$schema"]; ok {
		var uri string
		if err := json.Unmarshal(v, &uri); err != nil || uri == "" {
			return fmt.Errorf(`"$schema" is %s, want a URI`, v)
		}
	}
	if v, ok := s["properties"]; ok {
		var props map[string]map[string]any
		if err := json.Unmarshal(v, &props); err != nil {
			return fmt.Errorf(`"properties" must map names to schema objects: %w`, err)
		}
	}
	if v, ok := s["required"]; ok {
		var req []string
		if err := json.Unmarshal(v, &req); err != nil || slices.Contains(req, "") {
			return fmt.Errorf(`"required" is %s, want an array of names`, v)
		}
	}
	return nil
}
