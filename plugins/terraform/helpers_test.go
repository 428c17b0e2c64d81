package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/signalbox/signalbox/sdk/executor"
	"github.com/signalbox/signalbox/sdk/plugintest"
)

// terraformBinary returns the Terraform the tests run: $SIGNALBOX_TEST_TERRAFORM,
// or .cache/bin/terraform of the repository, which .ci/run builds. The
// test fails without it: CI guarantees it.
func terraformBinary(t testing.TB) string {
	t.Helper()
	p := os.Getenv("SIGNALBOX_TEST_TERRAFORM")
	if p == "" {
		abs, err := filepath.Abs(filepath.Join("..", "..", ".cache", "bin", "terraform"))
		if err != nil {
			t.Fatal(err)
		}
		p = abs
	}
	if !isExecutable(p) {
		t.Fatalf("terraform not found at %s: build it with `GOBIN=$PWD/.cache/bin go install github.com/hashicorp/terraform@v1.5.7` "+
			"at the repository root (.ci/run does), or set SIGNALBOX_TEST_TERRAFORM", p)
	}
	return p
}

// testEnv is the plugin environment of the tests: the host's short one,
// with a private HOME.
func testEnv(t testing.TB) []string {
	t.Helper()
	return []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "LANG=C.UTF-8"}
}

// newTF returns an executor running the test Terraform, with a private
// plugin cache.
func newTF(t testing.TB) *Terraform {
	t.Helper()
	return newTerraform(config{
		env:            testEnv(t),
		binaries:       map[string]string{appTerraform: terraformBinary(t)},
		pluginCacheDir: t.TempDir(),
	})
}

// taskIDs numbers the tests' tasks.
var taskIDs atomic.Int64

func init() { taskIDs.Store(3000) }

// newRepo returns a repository holding testdata/<module> as infra/.
func newRepo(t testing.TB, module string) string {
	t.Helper()
	repo := t.TempDir()
	src := filepath.Join("testdata", module)
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(repo, "infra"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(repo, "infra", e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return repo
}

// request returns a request for the infra/ module of repo with params as
// task parameters.
func request(t testing.TB, repo, params string) executor.RunRequest {
	t.Helper()
	req := executor.RunRequest{
		TaskID: taskIDs.Add(1), ProjectID: 1, TemplateID: 2, Attempt: 1, App: appTerraform,
		WorkDir: repo, TempDir: t.TempDir(), Playbook: "infra", StopGracePeriod: 10 * time.Second,
	}
	if params != "" {
		req.TaskParams = json.RawMessage(params)
	}
	return req
}

// started runs req on c in the background; the end arrives on the channel.
func started(t testing.TB, c *executor.Client, req executor.RunRequest) (*plugintest.Recorder, <-chan plugintest.RunResult) {
	t.Helper()
	rec := &plugintest.Recorder{}
	done := make(chan plugintest.RunResult, 1)
	go func() {
		res, err := c.Run(context.Background(), req, rec)
		done <- plugintest.RunResult{Recorder: rec, Result: res, Err: err}
	}()
	t.Cleanup(func() { _, _ = c.Stop(context.Background(), req.TaskID, true) })
	return rec, done
}

func wait(t testing.TB, done <-chan plugintest.RunResult, limit time.Duration) plugintest.RunResult {
	t.Helper()
	select {
	case r := <-done:
		return r
	case <-time.After(limit):
		t.Fatalf("Run() did not return within %v", limit)
		return plugintest.RunResult{}
	}
}

// waitOutput waits until the output shows marker.
func waitOutput(t testing.TB, rec *plugintest.Recorder, marker string, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !strings.Contains(rec.Text(), marker) {
		if time.Now().After(deadline) {
			t.Fatalf("output did not show %q within %v:\n%s", marker, limit, rec.Text())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// counts is the part of a summary the tests check.
type counts struct {
	Add, Change, Destroy int
	Applied              bool
	Workspace            string
}

func summaryOf(t testing.TB, raw json.RawMessage) counts {
	t.Helper()
	var c counts
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatalf("summary %s: %v", raw, err)
	}
	return c
}

// mustSucceed fails the test unless the run succeeded.
func mustSucceed(t testing.TB, r plugintest.RunResult) {
	t.Helper()
	if r.Err != nil || r.Result.Failed() {
		t.Fatalf("Run() = %+v, %v; want success; output:\n%s", r.Result, r.Err, r.Text())
	}
}

// requireGroupsGone checks that the task's process groups have ended.
func requireGroupsGone(t testing.TB, rec *plugintest.Recorder) {
	t.Helper()
	for _, pgid := range rec.ProcessGroups() {
		if err := plugintest.WaitProcessGroupGone(pgid, 15*time.Second); err != nil {
			t.Errorf("process group %d: %v", pgid, err)
		}
	}
}

// requireNoProcess waits until no live process has a command line
// containing needle.
func requireNoProcess(t testing.TB, needle string, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		var left []string
		entries, _ := os.ReadDir("/proc")
		for _, e := range entries {
			if _, err := strconv.Atoi(e.Name()); err != nil {
				continue
			}
			b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
			if err != nil || len(b) == 0 {
				continue
			}
			cmd := string(bytes.ReplaceAll(bytes.TrimRight(b, "\x00"), []byte{0}, []byte{' '}))
			if strings.Contains(cmd, needle) {
				left = append(left, fmt.Sprintf("%s: %s", e.Name(), cmd))
			}
		}
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("processes left behind:\n%s", strings.Join(left, "\n"))
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// decideAndWait answers the approval request of task id and waits for the
// run's end.
func decideAndWait(t testing.TB, c *executor.Client, id int64, done <-chan plugintest.RunResult, approve bool) plugintest.RunResult {
	t.Helper()
	if found, err := c.Decide(context.Background(), id, approve); err != nil || !found {
		t.Fatalf("Decide() = %v, %v; want true, nil", found, err)
	}
	return wait(t, done, 2*time.Minute)
}
