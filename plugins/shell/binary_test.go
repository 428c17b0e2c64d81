package main

import (
	"context"
	"errors"
	"os"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/signalbox/signalbox/sdk/executor"
	"github.com/signalbox/signalbox/sdk/plugintest"
)

// hostEnv is the minimal environment the host gives a plugin.
func hostEnv() []string {
	return []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "LANG=C.UTF-8"}
}

// started runs req on c in the background, waits until its stdout shows
// the line "ready" and returns the recorder and a channel of the end.
func started(t *testing.T, c *executor.Client, req executor.RunRequest) (*plugintest.Recorder, <-chan plugintest.RunResult) {
	t.Helper()
	rec := &plugintest.Recorder{}
	done := make(chan plugintest.RunResult, 1)
	go func() {
		res, err := c.Run(context.Background(), req, rec)
		done <- plugintest.RunResult{Recorder: rec, Result: res, Err: err}
	}()
	deadline := time.Now().Add(20 * time.Second)
	for !slices.Contains(texts(rec.Lines(), executor.StreamStdout), "ready") {
		select {
		case r := <-done:
			t.Fatalf("task ended before it was ready: %+v, %v; output:\n%s", r.Result, r.Err, r.Text())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("task not ready; output:\n%s", rec.Text())
		}
		time.Sleep(5 * time.Millisecond)
	}
	return rec, done
}

func wait(t *testing.T, done <-chan plugintest.RunResult, limit time.Duration) plugintest.RunResult {
	t.Helper()
	select {
	case r := <-done:
		return r
	case <-time.After(limit):
		t.Fatalf("Run() did not return within %v", limit)
		return plugintest.RunResult{}
	}
}

func requireGroupsGone(t *testing.T, rec *plugintest.Recorder) {
	t.Helper()
	groups := rec.ProcessGroups()
	if len(groups) == 0 {
		t.Error("the task reported no process group")
	}
	for _, pgid := range groups {
		if err := plugintest.WaitProcessGroupGone(pgid, 15*time.Second); err != nil {
			t.Errorf("process group %d: %v", pgid, err)
		}
	}
}

// TestShell_Binary builds signalbox-plugin-shell and drives it as the host
// does: a separate process behind go-plugin, with a minimal environment.
func TestShell_Binary(t *testing.T) {
	t.Parallel()
	bin := plugintest.Build(t, ".", "shell")

	t.Run("the plugin describes itself, runs scripts and stops them", func(t *testing.T) {
		t.Parallel()
		client, _ := plugintest.Launch(t, bin, hostEnv()...)
		ctx := t.Context()

		d, err := client.Describe(ctx)
		if err != nil || d.Name != "shell" || d.Version != Version || len(d.Apps) < 3 {
			t.Fatalf("Describe() = %+v, %v", d, err)
		}

		req := request(t, "bash", newRepo(t, map[string]string{
			"run.sh": `echo "$1 $SIGNALBOX_TASK_ID $SECRET"
				echo "cookie=${SIGNALBOX_PLUGIN_executor-unset} cert=${PLUGIN_CLIENT_CERT-unset}"
				exit 4`,
		}))
		req.Arguments = []string{"hello"}
		req.Secrets = map[string]string{"SECRET": "s3cret"}
		run := plugintest.Run(t, client, req)
		if run.Err != nil || run.Result.ExitCode != 4 || run.Result.Error != "exit status 4" {
			t.Fatalf("Run() = %+v, %v; want exit status 4", run.Result, run.Err)
		}
		want := []string{"hello 42 s3cret", "cookie=unset cert=unset"}
		if got := texts(run.Lines(), executor.StreamStdout); !slices.Equal(got, want) {
			t.Errorf("stdout = %q, want %q", got, want)
		}

		// Graceful: the script's trap runs and its cleanup line arrives.
		req = request(t, "bash", newRepo(t, map[string]string{
			"run.sh": `trap 'echo cleanup; exit 0' TERM; echo ready; sleep 1000 & wait`,
		}))
		req.TaskID = 43
		rec, done := started(t, client, req)
		if found, err := client.Stop(ctx, req.TaskID, false); err != nil || !found {
			t.Fatalf("Stop() = %v, %v; want true, nil", found, err)
		}
		r := wait(t, done, 20*time.Second)
		if r.Err != nil || !r.Result.Stopped || r.Result.ExitCode != 0 {
			t.Errorf("gracefully stopped Run() = %+v, %v; want stopped with exit 0", r.Result, r.Err)
		}
		if !slices.Contains(texts(rec.Lines(), executor.StreamStdout), "cleanup") {
			t.Errorf("no cleanup line; output:\n%s", rec.Text())
		}
		requireGroupsGone(t, rec)

		// Graceful then forced: a script ignoring TERM with an hour of
		// grace is killed as soon as the stop is forced.
		req = request(t, "bash", newRepo(t, map[string]string{
			"run.sh": `trap '' TERM; echo ready; while :; do sleep 1000; done`,
		}))
		req.TaskID, req.StopGracePeriod = 44, time.Hour
		rec, done = started(t, client, req)
		if found, err := client.Stop(ctx, req.TaskID, false); err != nil || !found {
			t.Fatalf("Stop() = %v, %v; want true, nil", found, err)
		}
		if found, err := client.Stop(ctx, req.TaskID, true); err != nil || !found {
			t.Fatalf("Stop(force) = %v, %v; want true, nil", found, err)
		}
		r = wait(t, done, 20*time.Second)
		if r.Err != nil || !r.Result.Stopped || r.Result.ExitCode != 137 {
			t.Errorf("force-stopped Run() = %+v, %v; want stopped with exit 137", r.Result, r.Err)
		}
		requireGroupsGone(t, rec)
	})

	t.Run("a plugin killed mid-task fails the run with ErrPluginExited", func(t *testing.T) {
		t.Parallel()
		client, pc := plugintest.Launch(t, bin, hostEnv()...)
		req := request(t, "bash", newRepo(t, map[string]string{"run.sh": "echo ready; sleep 1000"}))
		rec, done := started(t, client, req)

		if err := syscall.Kill(pc.ReattachConfig().Pid, syscall.SIGKILL); err != nil {
			t.Fatalf("kill plugin: %v", err)
		}
		r := wait(t, done, 20*time.Second)
		if !errors.Is(r.Err, executor.ErrPluginExited) {
			t.Errorf("Run() error = %v, want %v", r.Err, executor.ErrPluginExited)
		}
		// The host's part: kill the groups the dead plugin reported.
		for _, pgid := range rec.ProcessGroups() {
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
		}
		requireGroupsGone(t, rec)
	})
}
