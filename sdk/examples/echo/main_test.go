package main

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/signalbox/signalbox/sdk/executor"
	"github.com/signalbox/signalbox/sdk/plugintest"
)

func TestEcho_Run(t *testing.T) {
	t.Parallel()
	client := plugintest.Executor(t, &Echo{})
	for name, tc := range map[string]struct {
		req       executor.RunRequest
		wantLines []string
		wantErr   string
	}{
		"arguments and the env var count are printed": {
			req: executor.RunRequest{
				App: "echo", Arguments: []string{"hello", "world"}, Env: map[string]string{"A": "1", "B": "2"},
			},
			wantLines: []string{"hello world", "2 environment variables"},
		},
		"an unknown app fails": {
			req:     executor.RunRequest{App: "nope"},
			wantErr: `unknown app "nope"`,
		},
		"invalid task params fail": {
			req:     executor.RunRequest{App: "echo", TaskParams: json.RawMessage(`{"wait_seconds":"x"}`)},
			wantErr: "invalid task params: json: cannot unmarshal string into Go struct field .wait_seconds of type int",
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			tc.req.TaskID = time.Now().UnixNano()
			run := plugintest.Run(t, client, tc.req)
			if run.Err != nil || run.Result.Error != tc.wantErr {
				t.Fatalf("Run() = %+v, %v; want error %q", run.Result, run.Err, tc.wantErr)
			}
			var got []string
			for _, l := range run.Lines() {
				got = append(got, l.Text)
			}
			if !slices.Equal(got, tc.wantLines) {
				t.Errorf("lines = %q, want %q", got, tc.wantLines)
			}
		})
	}
}

func TestEcho_Conformance(t *testing.T) {
	plugintest.ExecutorConformance(t, &Echo{}, plugintest.Conformance{
		Succeeds: func(*testing.T) executor.RunRequest {
			return executor.RunRequest{App: "echo", Arguments: []string{"hi"}}
		},
		LongRunning: func(*testing.T) executor.RunRequest {
			return executor.RunRequest{App: "echo", TaskParams: json.RawMessage(`{"wait_seconds": 3600}`)}
		},
	})
}

// TestEcho_Binary builds the plugin and runs it as the server does: a
// separate process, started and spoken to through go-plugin.
func TestEcho_Binary(t *testing.T) {
	t.Parallel()
	bin := plugintest.Build(t, ".", "echo")
	client, _ := plugintest.Launch(t, bin)
	ctx := t.Context()

	d, err := client.Describe(ctx)
	if err != nil || d.Name != "echo" || len(d.Apps) != 1 || d.Apps[0].ID != "echo" {
		t.Fatalf("Describe() = %+v, %v; want the echo plugin", d, err)
	}

	run := plugintest.Run(t, client, executor.RunRequest{TaskID: 1, App: "echo", Arguments: []string{"from", "a", "process"}})
	if run.Err != nil || run.Result.Failed() {
		t.Fatalf("Run() = %+v, %v", run.Result, run.Err)
	}
	if got := run.Text(); got != "from a process\n0 environment variables\n" {
		t.Errorf("output = %q", got)
	}

	done := make(chan plugintest.RunResult, 1)
	rec := &plugintest.Recorder{}
	go func() {
		res, err := client.Run(context.Background(), executor.RunRequest{
			TaskID: 2, App: "echo", TaskParams: json.RawMessage(`{"wait_seconds": 3600}`),
		}, rec)
		done <- plugintest.RunResult{Recorder: rec, Result: res, Err: err}
	}()
	deadline := time.Now().Add(10 * time.Second)
	for len(rec.Lines()) < 2 {
		if time.Now().After(deadline) {
			t.Fatal("the waiting task printed nothing")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if found, err := client.Stop(ctx, 2, false); err != nil || !found {
		t.Fatalf("Stop() = %v, %v; want true, nil", found, err)
	}
	select {
	case r := <-done:
		if r.Err != nil || !r.Result.Stopped || r.Result.Error != executor.ErrStopped.Error() {
			t.Errorf("stopped Run() = %+v, %v; want a stopped result", r.Result, r.Err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the stopped task did not end")
	}
}
