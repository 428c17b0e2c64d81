package pluginhost_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/signalbox/signalbox/core/model"
	"github.com/signalbox/signalbox/core/pluginhost"
	"github.com/signalbox/signalbox/sdk/executor"
	"github.com/signalbox/signalbox/sdk/plugintest"
)

var (
	buildOnce sync.Once
	echoBin   string
	buildErr  error
)

// echoPlugin builds the SDK's example plugin once.
func echoPlugin(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "pluginhost-test-")
		if err != nil {
			buildErr = err
			return
		}
		echoBin = filepath.Join(dir, "signalbox-plugin-echo")
		cmd := exec.Command("go", "build", "-o", echoBin, "./examples/echo")
		cmd.Dir = filepath.Join("..", "..", "sdk")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("build echo plugin: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return echoBin
}

// pluginDir returns a folder holding the echo plugin.
func pluginDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	b, err := os.ReadFile(echoPlugin(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "signalbox-plugin-echo"), b, 0o755); err != nil {
		t.Fatal(err)
	}
	// Files that are not plugins are ignored.
	_ = os.WriteFile(filepath.Join(dir, "README"), []byte("x"), 0o644)
	_ = os.WriteFile(filepath.Join(dir, "signalbox-plugin-notexec"), []byte("x"), 0o644)
	return dir
}

func newHost(t *testing.T, cfg pluginhost.Config) *pluginhost.Host {
	t.Helper()
	cfg.Env = append(cfg.Env, "PATH="+os.Getenv("PATH"))
	cfg.MinBackoff = 10 * time.Millisecond
	h, err := pluginhost.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Shutdown)
	return h
}

func run(t *testing.T, h *pluginhost.Host, taskID int64) plugintest.RunResult {
	t.Helper()
	c, err := h.Executor(context.Background(), "echo")
	if err != nil {
		t.Fatalf("Executor(echo): %v", err)
	}
	return plugintest.Run(t, c, executor.RunRequest{TaskID: taskID, App: "echo", Arguments: []string{"hello", "world"}})
}

// pidsOf lists live processes running the binary at path.
func pidsOf(path string) []int {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
		if err != nil || exe != path {
			continue
		}
		if stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil && strings.Contains(string(stat), ") Z ") {
			continue
		}
		pids = append(pids, pid)
	}
	return pids
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestHost_DiscoverDescribeAndRun(t *testing.T) {
	dir := pluginDir(t)
	h := newHost(t, pluginhost.Config{Dir: dir})
	plugins := h.List(context.Background())
	if len(plugins) != 1 || plugins[0].Name != "echo" || plugins[0].Err != nil {
		t.Fatalf("List() = %+v", plugins)
	}
	if d := plugins[0].Description; d.Name != "echo" || len(d.Apps) != 1 || d.Apps[0].ID != "echo" {
		t.Errorf("description = %+v", d)
	}
	res := run(t, h, 1)
	if res.Err != nil || res.Result.Failed() || !strings.HasPrefix(res.Text(), "hello world\n") {
		t.Errorf("run = %+v %v %q", res.Result, res.Err, res.Text())
	}
	// One long-lived process serves every task.
	run(t, h, 2)
	if pids := pidsOf(filepath.Join(dir, "signalbox-plugin-echo")); len(pids) != 1 {
		t.Errorf("%d plugin processes, want 1", len(pids))
	}
	if _, err := h.Executor(context.Background(), "cobol"); !errors.Is(err, model.ErrUnprocessable) {
		t.Errorf("Executor(cobol) error = %v, want ErrUnprocessable", err)
	}
}

func TestHost_RestartsACrashedPlugin(t *testing.T) {
	dir := pluginDir(t)
	bin := filepath.Join(dir, "signalbox-plugin-echo")
	h := newHost(t, pluginhost.Config{Dir: dir})
	run(t, h, 1)
	pids := pidsOf(bin)
	if len(pids) != 1 {
		t.Fatalf("%d plugin processes, want 1", len(pids))
	}
	if err := syscall.Kill(pids[0], syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	// The host starts it again by itself, and the next task works.
	waitFor(t, "the plugin to be restarted", func() bool {
		p := pidsOf(bin)
		return len(p) == 1 && p[0] != pids[0]
	})
	if res := run(t, h, 2); res.Err != nil || res.Result.Failed() {
		t.Errorf("run after restart = %+v %v", res.Result, res.Err)
	}
}

func TestHost_SHA256Pinning(t *testing.T) {
	bin := echoPlugin(t)
	b, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	for name, tc := range map[string]struct {
		sha     string
		wantErr string
	}{
		"the right digest runs":         {sha: hex.EncodeToString(sum[:])},
		"a changed binary is refused":   {sha: strings.Repeat("ab", 32), wantErr: "does not match its pinned sha256"},
		"a malformed digest is refused": {sha: "xyz", wantErr: "not a hex SHA-256"},
	} {
		t.Run(name, func(t *testing.T) {
			h := newHost(t, pluginhost.Config{Plugins: []pluginhost.Spec{{Name: "echo", Path: bin, SHA256: tc.sha}}})
			p := h.List(context.Background())
			if len(p) != 1 {
				t.Fatalf("List() = %+v", p)
			}
			if tc.wantErr == "" {
				if p[0].Err != nil {
					t.Fatalf("plugin error: %v", p[0].Err)
				}
				return
			}
			if p[0].Err == nil || !strings.Contains(p[0].Err.Error(), tc.wantErr) {
				t.Errorf("plugin error = %v, want %q", p[0].Err, tc.wantErr)
			}
		})
	}
}

func TestHost_BrokenPlugins(t *testing.T) {
	dir := t.TempDir()
	notPlugin := filepath.Join(dir, "signalbox-plugin-liar")
	if err := os.WriteFile(notPlugin, []byte("#!/bin/sh\necho not a plugin\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	h := newHost(t, pluginhost.Config{Dir: dir, StartTimeout: 5 * time.Second,
		Plugins: []pluginhost.Spec{{Name: "ghost", Path: filepath.Join(dir, "missing")}}})
	for _, p := range h.List(context.Background()) {
		if p.Err == nil {
			t.Errorf("plugin %s started, want an error", p.Name)
		}
		if !errors.Is(p.Err, model.ErrUnavailable) {
			t.Errorf("plugin %s error = %v, want ErrUnavailable", p.Name, p.Err)
		}
	}
	if pids := pidsOf(notPlugin); len(pids) != 0 {
		t.Errorf("a failed plugin left %d processes", len(pids))
	}
}

func TestHost_ShutdownKillsPlugins(t *testing.T) {
	dir := pluginDir(t)
	bin := filepath.Join(dir, "signalbox-plugin-echo")
	h, err := pluginhost.New(pluginhost.Config{Dir: dir, Env: []string{"PATH=" + os.Getenv("PATH")}})
	if err != nil {
		t.Fatal(err)
	}
	run(t, h, 1)
	if len(pidsOf(bin)) != 1 {
		t.Fatal("plugin not running")
	}
	h.Shutdown()
	waitFor(t, "the plugin to exit", func() bool { return len(pidsOf(bin)) == 0 })
	if _, err := h.Executor(context.Background(), "echo"); err == nil {
		t.Error("Executor after Shutdown succeeded")
	}
}

// A plugin that hangs does not hold the server's shutdown: after the grace
// period it is killed.
func TestHost_ShutdownKillsAHungPlugin(t *testing.T) {
	dir := pluginDir(t)
	bin := filepath.Join(dir, "signalbox-plugin-echo")
	h, err := pluginhost.New(pluginhost.Config{Dir: dir, Env: []string{"PATH=" + os.Getenv("PATH")}, KillGrace: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	run(t, h, 1)
	pids := pidsOf(bin)
	if len(pids) != 1 {
		t.Fatal("plugin not running")
	}
	if err := syscall.Kill(pids[0], syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	waitStopped(t, pids[0])
	done := make(chan struct{})
	go func() { h.Shutdown(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		_ = syscall.Kill(pids[0], syscall.SIGKILL)
		t.Fatal("Shutdown waited for the hung plugin")
	}
	waitFor(t, "the hung plugin to be killed", func() bool { return len(pidsOf(bin)) == 0 })
}
