package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// get sends a GET and returns the status and body, without failing.
func (s *server) get(path string) (int, string, error) {
	resp, err := s.client.Get("http://" + s.addr + path)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), nil
}

// A storage plugin that dies: requests fail with 503 and a JSON message
// (never hang), the plugin is started again, and nothing is lost.
func TestE2E_StoragePluginKilled(t *testing.T) {
	s := startServer(t, t.TempDir(), "SIGNALBOX_STORE=bolt")
	s.login()
	pid, tmpls := s.project(map[string]string{"ok.sh": "#!/bin/bash\nfor i in $(seq 1 300); do echo line $i; done\n"})
	tk := s.startTask(pid, tmpls["ok.sh"])
	if done := s.waitTask(pid, tk.ID, final); done.Status != "success" {
		t.Fatalf("task before the crash = %+v", done)
	}

	plugins := childPIDs(t, s.cmd.Process.Pid, "signalbox-plugin-storage-bolt")
	if len(plugins) != 1 {
		t.Fatalf("found %d bolt plugin processes, want 1", len(plugins))
	}
	if err := syscall.Kill(plugins[0], syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitGone(t, plugins[0], "the killed bolt plugin")

	// Until the plugin is back, answers are 503 with a message; then 200.
	saw503 := false
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, body, err := s.get(fmt.Sprintf("/api/project/%d/tasks/%d", pid, tk.ID))
		if err != nil {
			t.Fatalf("request while the storage plugin is down: %v", err)
		}
		if code == http.StatusOK {
			break
		}
		var msg struct {
			Error string `json:"error"`
		}
		if code != http.StatusServiceUnavailable || json.Unmarshal([]byte(body), &msg) != nil || msg.Error == "" {
			t.Fatalf("while the storage plugin is down: status %d, body %s; want 503 with an error message", code, body)
		}
		saw503 = true
		if time.Now().After(deadline) {
			t.Fatalf("the storage plugin did not come back: %s", body)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("saw a 503 while the plugin was down: %t", saw503)
	if n := len(s.output(pid, tk.ID)); n != 300 {
		t.Errorf("after the plugin restart: %d lines, want 300", n)
	}
	tk = s.startTask(pid, tmpls["ok.sh"])
	if done := s.waitTask(pid, tk.ID, final); done.Status != "success" {
		t.Errorf("task after the storage plugin restart = %+v", done)
	}
	if got := childPIDs(t, s.cmd.Process.Pid, "signalbox-plugin-storage-bolt"); len(got) != 1 || got[0] == plugins[0] {
		t.Errorf("bolt plugin processes after the restart: %v (the killed one was %d)", got, plugins[0])
	}
}

// `signalbox store copy` moves a server's data from bolt to SQLite: the
// server started on the copy serves the same project, task and log.
func TestE2E_StoreCopy(t *testing.T) {
	data := t.TempDir()
	s := startServer(t, data, "SIGNALBOX_STORE=bolt")
	s.login()
	pid, tmpls := s.project(map[string]string{"ok.sh": "#!/bin/bash\nfor i in $(seq 1 2000); do echo line $i; done\n"})
	tk := s.startTask(pid, tmpls["ok.sh"])
	if done := s.waitTask(pid, tk.ID, final); done.Status != "success" {
		t.Fatalf("task = %+v", done)
	}
	s.stop()

	bin, pluginDir := binaries(t)
	copyTo := filepath.Join(t.TempDir(), "copy.db")
	run := func(args ...string) (string, error) {
		cmd := exec.Command(bin, append([]string{"store", "copy"}, args...)...)
		cmd.Env = append(os.Environ(), "SIGNALBOX_DATA_DIR="+data, "SIGNALBOX_PLUGIN_DIR="+pluginDir)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := run("--from", "bolt", "--to", "sqlite:"+copyTo)
	if err != nil {
		t.Fatalf("store copy: %v\n%s", err, out)
	}
	if !strings.Contains(out, "output lines") || !strings.Contains(out, "2000") {
		t.Errorf("store copy printed:\n%s", out)
	}
	// A second copy into the now full target is refused.
	if out, err := run("--from", "bolt", "--to", "sqlite:"+copyTo); err == nil || !strings.Contains(out, "not empty") {
		t.Errorf("copy into a non-empty target: err %v, output:\n%s", err, out)
	}

	// The same data folder (same secret key) on the copy.
	s2 := startServer(t, data, "SIGNALBOX_STORE=sqlite", "SIGNALBOX_STORE_DSN="+copyTo)
	s2.login()
	if got := s2.task(pid, tk.ID); got.Status != "success" {
		t.Errorf("task on the copy = %+v", got)
	}
	if lines := s2.output(pid, tk.ID); len(lines) != 2000 || lines[1999].Output != "line 2000" {
		t.Errorf("output on the copy: %d lines", len(lines))
	}
	// And it runs tasks, with new ids past the copied ones.
	tk2 := s2.startTask(pid, tmpls["ok.sh"])
	if tk2.ID <= tk.ID {
		t.Errorf("new task id %d is not past the copied %d", tk2.ID, tk.ID)
	}
	if done := s2.waitTask(pid, tk2.ID, final); done.Status != "success" {
		t.Errorf("task on the copy = %+v", done)
	}
}

// The storage plugin dies while a task writes output: the task ends as it
// would have, with every line, in order.
func TestE2E_StoragePluginKilledMidTask(t *testing.T) {
	s := startServer(t, t.TempDir(), "SIGNALBOX_STORE=bolt")
	s.login()
	pidFile := filepath.Join(t.TempDir(), "script.pid")
	pid, tmpls := s.project(map[string]string{
		"slow.sh": fmt.Sprintf("#!/bin/bash\necho $$ > %s\nfor i in $(seq 1 600); do echo line $i; sleep 0.005; done\n", pidFile),
	})
	tk := s.startTask(pid, tmpls["slow.sh"])
	waitFile(t, pidFile)
	time.Sleep(500 * time.Millisecond)
	plugins := childPIDs(t, s.cmd.Process.Pid, "signalbox-plugin-storage-bolt")
	if len(plugins) != 1 {
		t.Fatalf("found %d bolt plugin processes, want 1", len(plugins))
	}
	if err := syscall.Kill(plugins[0], syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	// Requests may see 503 while the plugin restarts.
	deadline := time.Now().Add(60 * time.Second)
	var done task
	for {
		code, body, err := s.get(fmt.Sprintf("/api/project/%d/tasks/%d", pid, tk.ID))
		if err != nil {
			t.Fatal(err)
		}
		if code == http.StatusOK {
			if err := json.Unmarshal([]byte(body), &done); err != nil {
				t.Fatal(err)
			}
			if final(done) {
				break
			}
		} else if code != http.StatusServiceUnavailable {
			t.Fatalf("status %d: %s", code, body)
		}
		if time.Now().After(deadline) {
			t.Fatalf("task not final: %s", body)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if done.Status != "success" {
		t.Errorf("task whose storage plugin died mid-run = %+v", done)
	}
	lines := s.output(pid, tk.ID)
	if len(lines) != 600 {
		t.Fatalf("%d lines stored, want 600", len(lines))
	}
	for i, l := range lines {
		if l.Seq != int64(i+1) || l.Output != fmt.Sprintf("line %d", i+1) {
			t.Fatalf("line %d is %+v", i, l)
		}
	}
}
