package executor_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/signalbox/signalbox/sdk/executor"
	"github.com/signalbox/signalbox/sdk/plugintest"
)

func TestClient_Describe(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		desc executor.Description
		err  error
		// want is desc unless set.
		want    *executor.Description
		wantErr string
	}{
		"name, version and apps with their schemas round trip": {
			desc: executor.Description{
				Name: "ansible", Version: "1.2.3",
				Apps: []executor.App{
					{
						ID: "ansible", Title: "Ansible", Description: "Runs playbooks", Version: "2.16.3",
						TemplateSchema: json.RawMessage(`{"type":"object","properties":{"tags":{"type":"string"}}}`),
						TaskSchema:     json.RawMessage(`{"type":"object","properties":{"check":{"type":"boolean"}}}`),
					},
					{ID: "ansible-galaxy", Title: "Galaxy"},
				},
			},
		},
		"an app without schemas comes back without schemas": {
			desc: executor.Description{Name: "bare", Apps: []executor.App{{ID: "bash", Title: "Bash"}}},
		},
		"no apps come back as an empty list": {
			desc: executor.Description{Name: "empty"},
			want: &executor.Description{Name: "empty", Apps: []executor.App{}},
		},
		"an error of the executor reaches the host": {
			err:     errors.New("not configured"),
			wantErr: "not configured",
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			client := plugintest.Executor(t, &fakeExecutor{desc: tc.desc, descErr: tc.err})
			got, err := client.Describe(t.Context())
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Describe() error = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Describe() error = %v", err)
			}
			want := tc.desc
			if tc.want != nil {
				want = *tc.want
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Describe() = %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestClient_Run_request(t *testing.T) {
	t.Parallel()
	for name, req := range map[string]executor.RunRequest{
		"every field reaches the executor": {
			TaskID: 42, ProjectID: 7, TemplateID: 9, Attempt: 3, App: "bash",
			WorkDir: "/work/repo", TempDir: "/tmp/task-42", Playbook: "deploy.sh",
			InventoryFile: "/tmp/task-42/inventory", ExtraVars: json.RawMessage(`{"a":1}`),
			Env: map[string]string{"A": "1", "B": "two"}, Arguments: []string{"--verbose", "x y"},
			TemplateParams: json.RawMessage(`{"shell":"bash"}`), TaskParams: json.RawMessage(`{"wait":2}`),
			Secrets:         map[string]string{executor.SecretSSHUser: "root", executor.SecretSSHPassword: "hunter2"},
			StopGracePeriod: 2500 * time.Millisecond,
			Debug:           true, DryRun: true, Diff: true, Limit: "web*", Commit: "0123abcd",
		},
		"an empty request stays empty": {TaskID: 1},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got := make(chan executor.RunRequest, 1)
			client := plugintest.Executor(t, &fakeExecutor{run: func(_ context.Context, r executor.RunRequest, _ executor.Output) (executor.Result, error) {
				got <- r
				return executor.Result{}, nil
			}})
			if _, err := client.Run(t.Context(), req, &recorder{}); err != nil {
				t.Fatalf("Run() error = %v", err)
			}
			if r := receive(t, got, "the request"); !reflect.DeepEqual(r, req) {
				t.Errorf("executor got %+v\nwant %+v", r, req)
			}
		})
	}
}

// at returns a time with nanoseconds, in a zone other than UTC and Local,
// so that the tests see what survives the wire: the instant.
func at(sec int) time.Time {
	return time.Date(2024, 5, 6, 7, 8, sec, 123456789, time.FixedZone("X", 3*3600))
}

func TestClient_Run_output(t *testing.T) {
	t.Parallel()
	big := func(c byte) string { return strings.Repeat(string(c), 600<<10) }
	for name, tc := range map[string]struct {
		// writes are the Output calls the executor makes, in order.
		writes func(out executor.Output) error
		// wantEvents are the calls the host's Output must receive, batches
		// of lines aside when wantLines is set.
		wantEvents []event
		// wantLines are the lines the host must receive, whatever the batches.
		wantLines []executor.Line
		// wantMinBatches is the least number of Writes the host must see.
		wantMinBatches int
	}{
		"lines arrive in order with their times and streams": {
			writes: func(out executor.Output) error {
				if err := out.Write(
					executor.Line{Time: at(1), Stream: executor.StreamStdout, Text: "one"},
					executor.Line{Time: at(2), Stream: executor.StreamStderr, Text: "two"},
				); err != nil {
					return err
				}
				if err := out.Write(executor.Line{Time: at(3), Stream: executor.StreamSystem, Text: ""}); err != nil {
					return err
				}
				return out.Write(executor.Line{Time: at(4), Stream: executor.StreamStdout, Text: "  four\ttabs "})
			},
			wantEvents: []event{
				{lines: []executor.Line{
					{Time: at(1), Stream: executor.StreamStdout, Text: "one"},
					{Time: at(2), Stream: executor.StreamStderr, Text: "two"},
				}},
				{lines: []executor.Line{{Time: at(3), Stream: executor.StreamSystem, Text: ""}}},
				{lines: []executor.Line{{Time: at(4), Stream: executor.StreamStdout, Text: "  four\ttabs "}}},
			},
		},
		"process and status events arrive in order between the lines": {
			writes: func(out executor.Output) error {
				return errors.Join(
					out.Status("running", "started"),
					out.ProcessStarted(100, 99),
					out.Write(executor.Line{Time: at(1), Stream: executor.StreamStdout, Text: "hello"}),
					out.ProcessStarted(200, 200),
					out.Status("cleaning", ""),
				)
			},
			wantEvents: []event{
				{status: "running", message: "started"},
				{pid: 100, pgid: 99},
				{lines: []executor.Line{{Time: at(1), Stream: executor.StreamStdout, Text: "hello"}}},
				{pid: 200, pgid: 200},
				{status: "cleaning"},
			},
		},
		"invalid UTF-8 in lines and statuses becomes U+FFFD and the stream goes on": {
			writes: func(out executor.Output) error {
				return errors.Join(
					out.Write(
						executor.Line{Time: at(1), Stream: executor.StreamStdout, Text: "bad \xff byte"},
						executor.Line{Time: at(2), Stream: executor.StreamStderr, Text: "\xc3\x28 and \xe2\x82 cut"},
						executor.Line{Time: at(3), Stream: executor.StreamStdout, Text: "still fine: é €"},
					),
					out.Status("running", "msg \xfe"),
					out.Status("odd\xff", ""),
					out.Write(executor.Line{Time: at(4), Stream: executor.StreamStdout, Text: "the stream goes on"}),
				)
			},
			wantEvents: []event{
				{lines: []executor.Line{
					{Time: at(1), Stream: executor.StreamStdout, Text: "bad \uFFFD byte"},
					{Time: at(2), Stream: executor.StreamStderr, Text: "\uFFFD( and \uFFFD cut"},
					{Time: at(3), Stream: executor.StreamStdout, Text: "still fine: é €"},
				}},
				{status: "running", message: "msg \uFFFD"},
				{status: "odd\uFFFD"},
				{lines: []executor.Line{{Time: at(4), Stream: executor.StreamStdout, Text: "the stream goes on"}}},
			},
		},
		"a batch over the message limit is split and arrives whole": {
			writes: func(out executor.Output) error {
				lines := []executor.Line{}
				for i, text := range []string{big('a'), "small", big('b'), big('c'), "tail"} {
					lines = append(lines, executor.Line{Time: at(i), Stream: executor.StreamStdout, Text: text})
				}
				return out.Write(lines...)
			},
			wantLines: []executor.Line{
				{Time: at(0), Stream: executor.StreamStdout, Text: big('a')},
				{Time: at(1), Stream: executor.StreamStdout, Text: "small"},
				{Time: at(2), Stream: executor.StreamStdout, Text: big('b')},
				{Time: at(3), Stream: executor.StreamStdout, Text: big('c')},
				{Time: at(4), Stream: executor.StreamStdout, Text: "tail"},
			},
			wantMinBatches: 3,
		},
		"many small lines over the message limit are split and arrive whole": {
			writes: func(out executor.Output) error {
				lines := make([]executor.Line, 30000)
				for i := range lines {
					lines[i] = executor.Line{Time: at(i % 60), Stream: executor.StreamStdout, Text: fmt.Sprintf("%05d %s", i, strings.Repeat("x", 58))}
				}
				return out.Write(lines...)
			},
			wantLines: func() []executor.Line {
				lines := make([]executor.Line, 30000)
				for i := range lines {
					lines[i] = executor.Line{Time: at(i % 60), Stream: executor.StreamStdout, Text: fmt.Sprintf("%05d %s", i, strings.Repeat("x", 58))}
				}
				return lines
			}(),
			wantMinBatches: 2,
		},
		"a single line over the message limit arrives whole": {
			writes: func(out executor.Output) error {
				return out.Write(executor.Line{Time: at(1), Stream: executor.StreamStdout, Text: strings.Repeat("z", 3<<20)})
			},
			wantEvents: []event{
				{lines: []executor.Line{{Time: at(1), Stream: executor.StreamStdout, Text: strings.Repeat("z", 3<<20)}}},
			},
		},
		"a write of no lines sends nothing": {
			writes: func(out executor.Output) error { return out.Write() },
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			client := plugintest.Executor(t, &fakeExecutor{run: func(_ context.Context, _ executor.RunRequest, out executor.Output) (executor.Result, error) {
				if err := tc.writes(out); err != nil {
					return executor.Result{}, fmt.Errorf("output: %w", err)
				}
				return executor.Result{}, nil
			}})
			rec := &recorder{}
			res, err := client.Run(t.Context(), executor.RunRequest{TaskID: 1}, rec)
			if err != nil || res.Failed() {
				t.Fatalf("Run() = %+v, %v; want success", res, err)
			}
			if tc.wantLines != nil {
				if got := rec.lines(); !equalLines(got, tc.wantLines) {
					t.Errorf("host got %d lines, want %d (or they differ)", len(got), len(tc.wantLines))
				}
				batches := rec.batches()
				if len(batches) < tc.wantMinBatches {
					t.Errorf("host got %d batches, want at least %d", len(batches), tc.wantMinBatches)
				}
				for i, b := range batches {
					size := 0
					for _, l := range b {
						size += len(l.Text)
					}
					if len(b) > 1 && size > 1<<20 {
						t.Errorf("batch %d holds %d lines of %d bytes, over the 1 MiB limit", i, len(b), size)
					}
				}
				return
			}
			rec.mu.Lock()
			got := rec.events
			rec.mu.Unlock()
			if !equalEvents(got, tc.wantEvents) {
				t.Errorf("host events = %s\nwant %s", describeEvents(got), describeEvents(tc.wantEvents))
			}
		})
	}
}

func TestClient_Run_result(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		res     executor.Result
		err     error
		panic   any
		want    executor.Result
		wantErr bool
	}{
		"success round trips": {
			res:  executor.Result{},
			want: executor.Result{},
		},
		"exit code, error, summary and stopped round trip": {
			res:  executor.Result{ExitCode: 2, Error: "exit status 2", Summary: json.RawMessage(`{"changed":3,"failed":1}`), Stopped: true},
			want: executor.Result{ExitCode: 2, Error: "exit status 2", Summary: json.RawMessage(`{"changed":3,"failed":1}`), Stopped: true},
		},
		"a negative exit code round trips": {
			res:  executor.Result{ExitCode: -9, Error: "signal: killed"},
			want: executor.Result{ExitCode: -9, Error: "signal: killed"},
		},
		"a summary of a successful task round trips": {
			res:  executor.Result{Summary: json.RawMessage(`{"hosts":["a","b"]}`)},
			want: executor.Result{Summary: json.RawMessage(`{"hosts":["a","b"]}`)},
		},
		"invalid UTF-8 in the result's error becomes U+FFFD": {
			res:  executor.Result{ExitCode: 1, Error: "bad \xff\xfe bytes"},
			want: executor.Result{ExitCode: 1, Error: "bad \uFFFD bytes"},
		},
		"a returned error fails the task with exit code -1 and its message": {
			err:  errors.New("unknown app \"nope\""),
			want: executor.Result{ExitCode: -1, Error: "unknown app \"nope\""},
		},
		"a returned error keeps a non-zero exit code": {
			res:  executor.Result{ExitCode: 3, Error: "replaced", Summary: json.RawMessage(`{}`)},
			err:  errors.New("cleanup failed"),
			want: executor.Result{ExitCode: 3, Error: "cleanup failed", Summary: json.RawMessage(`{}`)},
		},
		"a returned error with invalid UTF-8 becomes U+FFFD": {
			err:  errors.New("open \xffile: no such file"),
			want: executor.Result{ExitCode: -1, Error: "open \uFFFDile: no such file"},
		},
		"a panic fails the task": {
			panic: "boom",
			want:  executor.Result{ExitCode: -1, Error: "executor panicked: boom"},
		},
		"a panic with an error value fails the task": {
			panic: errors.New("nil map"),
			want:  executor.Result{ExitCode: -1, Error: "executor panicked: nil map"},
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			client := plugintest.Executor(t, &fakeExecutor{run: func(context.Context, executor.RunRequest, executor.Output) (executor.Result, error) {
				if tc.panic != nil {
					panic(tc.panic)
				}
				return tc.res, tc.err
			}})
			got, err := client.Run(t.Context(), executor.RunRequest{TaskID: 1}, &recorder{})
			if err != nil {
				t.Fatalf("Run() error = %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Run() = %+v, want %+v", got, tc.want)
			}
			if got.Failed() != tc.want.Failed() {
				t.Errorf("Run().Failed() = %v, want %v", got.Failed(), tc.want.Failed())
			}
		})
	}
}

func equalLines(a, b []executor.Line) bool {
	return slices.EqualFunc(a, b, func(x, y executor.Line) bool {
		return x.Time.Equal(y.Time) && x.Stream == y.Stream && x.Text == y.Text
	})
}

func equalEvents(a, b []event) bool {
	return slices.EqualFunc(a, b, func(x, y event) bool {
		return equalLines(x.lines, y.lines) && x.pid == y.pid && x.pgid == y.pgid &&
			x.status == y.status && x.message == y.message
	})
}

// describeEvents renders events for a failure message, eliding long text.
func describeEvents(evs []event) string {
	var b strings.Builder
	for _, e := range evs {
		switch {
		case e.lines != nil:
			b.WriteString("[write")
			for _, l := range e.lines {
				text := l.Text
				if len(text) > 40 {
					text = fmt.Sprintf("%s…(%d bytes)", text[:40], len(text))
				}
				fmt.Fprintf(&b, " {%s %d %q}", l.Time.UTC().Format(time.RFC3339Nano), l.Stream, text)
			}
			b.WriteString("]")
		case e.status != "":
			fmt.Fprintf(&b, "[status %q %q]", e.status, e.message)
		default:
			fmt.Fprintf(&b, "[process %d %d]", e.pid, e.pgid)
		}
	}
	return b.String()
}
