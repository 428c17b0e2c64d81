package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// The end-to-end tests build the real server and shell plugin binaries,
// start the server as a user would, and drive it over HTTP.

var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
)

// binaries builds the server and the shell plugin once per test run.
func binaries(t *testing.T) (server, pluginDir string) {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "signalbox-e2e-")
		if buildErr != nil {
			return
		}
		for pkg, out := range map[string]string{
			"github.com/signalbox/signalbox/cmd/signalbox":        filepath.Join(buildDir, "signalbox"),
			"github.com/signalbox/signalbox/plugins/shell":        filepath.Join(buildDir, "plugins", "signalbox-plugin-shell"),
			"github.com/signalbox/signalbox/plugins/ansible":      filepath.Join(buildDir, "plugins", "signalbox-plugin-ansible"),
			"github.com/signalbox/signalbox/plugins/terraform":    filepath.Join(buildDir, "plugins", "signalbox-plugin-terraform"),
			"github.com/signalbox/signalbox/plugins/storage-bolt": filepath.Join(buildDir, "plugins", "signalbox-plugin-storage-bolt"),
		} {
			cmd := exec.Command("go", "build", "-o", out, pkg)
			if b, err := cmd.CombinedOutput(); err != nil {
				buildErr = fmt.Errorf("build %s: %v\n%s", pkg, err, b)
				return
			}
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return filepath.Join(buildDir, "signalbox"), filepath.Join(buildDir, "plugins")
}

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// server is a running signalbox process.
type server struct {
	t       *testing.T
	bin     string
	dataDir string
	addr    string
	env     []string
	cmd     *exec.Cmd
	out     *syncBuffer
	client  *http.Client
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

const adminPassword = "e2e-admin-password"

// stores are the backends the end-to-end tests of the task pipeline run on:
// SQLite in-process and the bolt storage plugin.
var stores = []string{"sqlite", "bolt"}

// startServer starts the server on a fresh data folder, with extra
// environment variables (such as SIGNALBOX_STORE=bolt).
func startServer(t *testing.T, dataDir string, env ...string) *server {
	t.Helper()
	bin, pluginDir := binaries(t)
	s := &server{t: t, bin: bin, dataDir: dataDir, addr: freePort(t)}
	s.env = append(os.Environ(),
		"SIGNALBOX_LISTEN="+s.addr, "SIGNALBOX_DATA_DIR="+dataDir, "SIGNALBOX_PLUGIN_DIR="+pluginDir,
		"SIGNALBOX_ADMIN_PASSWORD="+adminPassword, "SIGNALBOX_LOG_LEVEL=debug",
	)
	s.env = append(s.env, env...)
	s.start()
	t.Cleanup(s.stop)
	jar, _ := cookiejar.New(nil)
	s.client = &http.Client{Jar: jar, Timeout: 30 * time.Second}
	return s
}

func (s *server) start() {
	s.t.Helper()
	s.out = &syncBuffer{}
	s.cmd = exec.Command(s.bin, "server")
	s.cmd.Env = s.env
	s.cmd.Stdout, s.cmd.Stderr = s.out, s.out
	if err := s.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + s.addr + "/api/ping")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.t.Fatalf("server did not answer /api/ping:\n%s", s.out.String())
}

func (s *server) stop() {
	if s.cmd == nil || s.cmd.ProcessState != nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
		<-done
		s.t.Errorf("server did not stop on SIGTERM:\n%s", s.out.String())
	}
	if s.t.Failed() {
		s.t.Logf("server output:\n%s", s.out.String())
	}
}

func (s *server) kill9() {
	_ = s.cmd.Process.Kill()
	_, _ = s.cmd.Process.Wait()
}

// call sends a JSON request and decodes a JSON answer into out.
func (s *server) call(method, path string, body any, wantStatus int, out any) {
	s.t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			s.t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, "http://"+s.addr+path, r)
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != wantStatus {
		s.t.Fatalf("%s %s: status %d, want %d: %s", method, path, resp.StatusCode, wantStatus, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			s.t.Fatalf("%s %s: decode %q: %v", method, path, b, err)
		}
	}
}

func (s *server) login() {
	s.t.Helper()
	s.call("POST", "/api/auth/login", map[string]string{"auth": "admin", "password": adminPassword}, 204, nil)
}

type idObj struct {
	ID int64 `json:"id"`
}

type task struct {
	ID       int64  `json:"id"`
	Status   string `json:"status"`
	Message  string `json:"message"`
	ExitCode *int   `json:"exit_code"`
}

type outputLine struct {
	Seq    int64  `json:"seq"`
	Output string `json:"output"`
}

// project sets up a project with a local-folder repository holding the
// given scripts, an inventory, an environment and one bash template per
// script. It returns the project id and template ids by script name.
func (s *server) project(scripts map[string]string) (int64, map[string]int64) {
	s.t.Helper()
	repo := s.t.TempDir()
	for name, body := range scripts {
		if err := os.WriteFile(filepath.Join(repo, name), []byte(body), 0o755); err != nil {
			s.t.Fatal(err)
		}
	}
	var p, r, inv, env idObj
	s.call("POST", "/api/projects", map[string]any{"name": "e2e"}, 201, &p)
	pp := fmt.Sprintf("/api/project/%d", p.ID)
	s.call("POST", pp+"/repositories", map[string]any{"name": "scripts", "git_url": repo}, 201, &r)
	s.call("POST", pp+"/inventory", map[string]any{"name": "local", "type": "static", "inventory": "localhost"}, 201, &inv)
	s.call("POST", pp+"/environment", map[string]any{"name": "env",
		"json": `{"greeting":"hello"}`, "env": `{"TARGET":"world"}`}, 201, &env)
	tmpls := map[string]int64{}
	for name := range scripts {
		var tm idObj
		s.call("POST", pp+"/templates", map[string]any{"name": name, "app": "bash", "playbook": name,
			"repository_id": r.ID, "inventory_id": inv.ID, "environment_id": env.ID,
			"arguments": `["arg1","two words"]`}, 201, &tm)
		tmpls[name] = tm.ID
	}
	return p.ID, tmpls
}

func (s *server) startTask(projectID, templateID int64) task {
	s.t.Helper()
	var tk task
	s.call("POST", fmt.Sprintf("/api/project/%d/tasks", projectID), map[string]any{"template_id": templateID}, 201, &tk)
	return tk
}

func (s *server) task(projectID, id int64) task {
	s.t.Helper()
	var tk task
	s.call("GET", fmt.Sprintf("/api/project/%d/tasks/%d", projectID, id), nil, 200, &tk)
	return tk
}

// waitTask polls until the task's status satisfies ok.
func (s *server) waitTask(projectID, id int64, ok func(task) bool) task {
	s.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		tk := s.task(projectID, id)
		if ok(tk) {
			return tk
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("task %d stuck in %q (%s)", id, tk.Status, tk.Message)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func final(tk task) bool {
	return tk.Status == "success" || tk.Status == "error" || tk.Status == "stopped"
}

func (s *server) output(projectID, id int64) []outputLine {
	s.t.Helper()
	var lines []outputLine
	s.call("GET", fmt.Sprintf("/api/project/%d/tasks/%d/output", projectID, id), nil, 200, &lines)
	return lines
}

func text(lines []outputLine) string {
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(l.Output)
		b.WriteByte('\n')
	}
	return b.String()
}

// waitFile waits until a file exists and returns its trimmed content.
func waitFile(t *testing.T, path string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(path); err == nil && len(bytes.TrimSpace(b)) > 0 {
			return strings.TrimSpace(string(b))
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s never appeared", path)
	return ""
}

// waitGone waits until no process has the pid.
func waitGone(t *testing.T, pid int, what string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if err := syscall.Kill(pid, 0); err == syscall.ESRCH {
			return
		}
		// A zombie is gone for our purposes once its parent reaps it; check /proc state.
		if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil && strings.Contains(string(b), ") Z ") {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s (pid %d) is still alive", what, pid)
}

func TestE2E_RunScriptAndReadOutput(t *testing.T) {
	for _, st := range stores {
		t.Run(st, func(t *testing.T) { runScriptAndReadOutput(t, st) })
	}
}

func runScriptAndReadOutput(t *testing.T, store string) {
	s := startServer(t, t.TempDir(), "SIGNALBOX_STORE="+store)
	s.login()
	pid, tmpls := s.project(map[string]string{
		"hello.sh": "#!/bin/bash\necho \"$greeting? TARGET=$TARGET args=$1|$2\"\nfor i in $(seq 1 1000); do echo line $i; done\necho to-stderr >&2\n",
		"fail.sh":  "#!/bin/bash\necho about to fail\nexit 3\n",
	})

	// A WebSocket client sees the live output and the status updates.
	wsURL := "ws://" + s.addr + "/api/ws"
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	u, _ := http.NewRequest("GET", "http://"+s.addr, nil)
	conn, _, err := websocket.Dial(ctx, wsURL, &websocket.DialOptions{HTTPHeader: http.Header{
		"Cookie": {cookieHeader(s.client, u)},
	}})
	if err != nil {
		t.Fatalf("dial websocket: %v", err)
	}
	defer conn.CloseNow()

	tk := s.startTask(pid, tmpls["hello.sh"])
	if tk.Status != "waiting" {
		t.Errorf("new task status = %q, want waiting", tk.Status)
	}
	done := s.waitTask(pid, tk.ID, final)
	if done.Status != "success" {
		t.Fatalf("task ended %q (%s)", done.Status, done.Message)
	}
	lines := s.output(pid, tk.ID)
	if len(lines) != 1002 {
		t.Fatalf("got %d lines, want 1002:\n%s", len(lines), text(lines))
	}
	if got, want := lines[0].Output, "hello? TARGET=world args=arg1|two words"; got != want {
		t.Errorf("first line = %q, want %q", got, want)
	}
	for i, l := range lines {
		if l.Seq != int64(i+1) {
			t.Fatalf("line %d has seq %d", i, l.Seq)
		}
	}
	if !strings.Contains(text(lines), "to-stderr") {
		t.Error("stderr line missing")
	}

	// Paging: offset is the last seq read.
	var page []outputLine
	s.call("GET", fmt.Sprintf("/api/project/%d/tasks/%d/output?offset=500&limit=10", pid, tk.ID), nil, 200, &page)
	// (stdout and stderr are separate pipes, so only the stored order is fixed)
	if len(page) != 10 || page[0].Seq != 501 || page[0].Output != lines[500].Output || page[9].Seq != 510 {
		t.Errorf("page = %+v", page)
	}
	// Raw output is the same text.
	req, _ := http.NewRequest("GET", fmt.Sprintf("http://%s/api/project/%d/tasks/%d/raw_output", s.addr, pid, tk.ID), nil)
	resp, err := s.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(raw) != text(lines) {
		t.Errorf("raw output differs from output: %d vs %d bytes", len(raw), len(text(lines)))
	}

	// The WebSocket delivered the lines and a final update.
	var gotLog, gotFinal bool
	for !(gotLog && gotFinal) {
		_, msg, err := conn.Read(ctx)
		if err != nil {
			t.Fatalf("websocket read: %v (log %t final %t)", err, gotLog, gotFinal)
		}
		var m struct {
			Type   string `json:"type"`
			Output string `json:"output"`
			Status string `json:"status"`
			TaskID int64  `json:"task_id"`
		}
		if err := json.Unmarshal(msg, &m); err != nil {
			t.Fatalf("websocket message %q: %v", msg, err)
		}
		if m.TaskID != tk.ID {
			continue
		}
		gotLog = gotLog || (m.Type == "log" && m.Output == "line 1000")
		gotFinal = gotFinal || (m.Type == "update" && m.Status == "success")
	}

	// A failing script ends as error with its exit code, and says so in its log.
	tk = s.startTask(pid, tmpls["fail.sh"])
	done = s.waitTask(pid, tk.ID, final)
	if done.Status != "error" || done.ExitCode == nil || *done.ExitCode != 3 {
		t.Errorf("failing task = %+v", done)
	}
	if out := text(s.output(pid, tk.ID)); !strings.Contains(out, "about to fail") || !strings.Contains(out, "error:") {
		t.Errorf("failing task output = %q", out)
	}

	// The task and its whole log survive a restart.
	s.stop()
	s.start()
	if got := s.output(pid, 1); len(got) != 1002 {
		t.Errorf("after restart: %d lines, want 1002", len(got))
	}
}

func cookieHeader(c *http.Client, u *http.Request) string {
	var parts []string
	for _, ck := range c.Jar.Cookies(u.URL) {
		parts = append(parts, ck.Name+"="+ck.Value)
	}
	return strings.Join(parts, "; ")
}

func TestE2E_BadInput(t *testing.T) {
	s := startServer(t, t.TempDir())
	// No credentials: 401.
	s.call("GET", "/api/projects", nil, 401, nil)
	s.call("POST", "/api/auth/login", map[string]string{"auth": "admin", "password": "wrong"}, 401, nil)
	s.login()
	var e struct {
		Error string `json:"error"`
	}
	s.call("GET", "/api/project/999", nil, 404, &e)
	if e.Error == "" {
		t.Error("404 without an error message")
	}
	s.call("POST", "/api/projects", map[string]any{"name": ""}, 400, nil)
	var p idObj
	s.call("POST", "/api/projects", map[string]any{"name": "bad input"}, 201, &p)
	pp := fmt.Sprintf("/api/project/%d", p.ID)
	s.call("POST", pp+"/templates", map[string]any{"name": "t", "app": "bash", "playbook": "x.sh", "repository_id": 12345}, 400, nil)
	s.call("POST", pp+"/templates", map[string]any{"name": "t", "app": "no-such-app", "playbook": "x.sh"}, 400, nil)
	s.call("POST", pp+"/tasks", map[string]any{"template_id": 777}, 400, nil)

	// A repository that does not exist: the task ends as error with the reason.
	var r, tm idObj
	s.call("POST", pp+"/repositories", map[string]any{"name": "gone", "git_url": "file:///nonexistent/repo.git"}, 201, &r)
	s.call("POST", pp+"/templates", map[string]any{"name": "t", "app": "bash", "playbook": "x.sh", "repository_id": r.ID}, 201, &tm)
	tk := s.startTask(p.ID, tm.ID)
	done := s.waitTask(p.ID, tk.ID, final)
	if done.Status != "error" || !strings.Contains(done.Message, "gone") {
		t.Errorf("task with a missing repository = %+v", done)
	}

	// Malformed JSON.
	req, _ := http.NewRequest("POST", "http://"+s.addr+"/api/projects", strings.NewReader("{not json"))
	resp, err := s.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Errorf("malformed JSON: status %d, want 400", resp.StatusCode)
	}
}

// pluginPIDs returns the pids of running shell plugin processes started
// from our build folder.
func pluginPIDs(t *testing.T, parent int) []int {
	t.Helper()
	return childPIDs(t, parent, "signalbox-plugin-shell")
}

// childPIDs lists the live children of parent whose command line holds name.
func childPIDs(t *testing.T, parent int, name string) []int {
	t.Helper()
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if err != nil || !strings.Contains(string(cmdline), name) {
			continue
		}
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		if len(fields) > 1 && fields[1] == strconv.Itoa(parent) && fields[0] != "Z" {
			pids = append(pids, pid)
		}
	}
	return pids
}

func TestE2E_PluginKilledMidTask(t *testing.T) {
	s := startServer(t, t.TempDir())
	s.login()
	pidFile := filepath.Join(t.TempDir(), "script.pid")
	pid, tmpls := s.project(map[string]string{
		"long.sh": fmt.Sprintf("#!/bin/bash\necho $$ > %s\necho started\nsleep 1000 &\nwait\n", pidFile),
		"ok.sh":   "#!/bin/bash\necho fine\n",
	})
	tk := s.startTask(pid, tmpls["long.sh"])
	scriptPID, _ := strconv.Atoi(waitFile(t, pidFile))
	s.waitTask(pid, tk.ID, func(tk task) bool { return tk.Status == "running" })

	plugins := pluginPIDs(t, s.cmd.Process.Pid)
	if len(plugins) != 1 {
		t.Fatalf("found %d shell plugin processes, want 1", len(plugins))
	}
	if err := syscall.Kill(plugins[0], syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	done := s.waitTask(pid, tk.ID, final)
	if done.Status != "error" || !strings.Contains(done.Message, "plugin") {
		t.Errorf("task after plugin crash = %+v", done)
	}
	waitGone(t, scriptPID, "the script of the task whose plugin was killed")

	// The plugin is restarted and the next task works.
	tk = s.startTask(pid, tmpls["ok.sh"])
	done = s.waitTask(pid, tk.ID, final)
	if done.Status != "success" {
		t.Errorf("task after plugin restart = %+v", done)
	}
}

func TestE2E_StopTaskKillsWholeProcessGroup(t *testing.T) {
	s := startServer(t, t.TempDir())
	s.login()
	dir := t.TempDir()
	pid, tmpls := s.project(map[string]string{
		"tree.sh": fmt.Sprintf("#!/bin/bash\n(sleep 1000 & echo $! > %s/child.pid; wait) &\necho $$ > %s/script.pid\nwait\n", dir, dir),
	})
	tk := s.startTask(pid, tmpls["tree.sh"])
	scriptPID, _ := strconv.Atoi(waitFile(t, filepath.Join(dir, "script.pid")))
	childPID, _ := strconv.Atoi(waitFile(t, filepath.Join(dir, "child.pid")))
	s.call("POST", fmt.Sprintf("/api/project/%d/tasks/%d/stop", pid, tk.ID), nil, 204, nil)
	done := s.waitTask(pid, tk.ID, final)
	if done.Status != "stopped" {
		t.Errorf("stopped task = %+v", done)
	}
	waitGone(t, scriptPID, "the stopped script")
	waitGone(t, childPID, "a grandchild of the stopped script")
}

func TestE2E_ServerKilledMidTask(t *testing.T) {
	for _, st := range stores {
		t.Run(st, func(t *testing.T) { serverKilledMidTask(t, st) })
	}
}

func serverKilledMidTask(t *testing.T, store string) {
	s := startServer(t, t.TempDir(), "SIGNALBOX_STORE="+store, "SIGNALBOX_MAX_PARALLEL_TASKS=1")
	s.login()
	pidFile := filepath.Join(t.TempDir(), "script.pid")
	pid, tmpls := s.project(map[string]string{
		"long.sh": fmt.Sprintf("#!/bin/bash\necho $$ > %s\nfor i in $(seq 1 50); do echo before-crash $i; done\nsleep 1000\n", pidFile),
		"ok.sh":   "#!/bin/bash\necho fine\n",
	})
	tk := s.startTask(pid, tmpls["long.sh"])
	scriptPID, _ := strconv.Atoi(waitFile(t, pidFile))
	// Wait until the output is durable, then kill -9 the server.
	deadline := time.Now().Add(30 * time.Second)
	for len(s.output(pid, tk.ID)) < 50 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	// With one slot taken, this task waits; it must run after the restart.
	queued := s.startTask(pid, tmpls["ok.sh"])
	s.kill9()
	// The orphaned plugin notices and kills the task's processes.
	waitGone(t, scriptPID, "the script of a task whose server was killed")

	s.start()
	s.login()
	done := s.task(pid, tk.ID)
	if done.Status != "error" || !strings.Contains(done.Message, "server stopped") {
		t.Errorf("task after server crash = %+v", done)
	}
	out := text(s.output(pid, tk.ID))
	if !strings.Contains(out, "before-crash 50") {
		t.Errorf("output before the crash was lost:\n%s", out)
	}
	if got := s.waitTask(pid, queued.ID, final); got.Status != "success" {
		t.Errorf("task queued before the crash = %+v", got)
	}
}

func TestE2E_CommandLine(t *testing.T) {
	bin, pluginDir := binaries(t)
	data := t.TempDir()
	run := func(wantOK bool, args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "SIGNALBOX_DATA_DIR="+data, "SIGNALBOX_PLUGIN_DIR="+pluginDir)
		out, err := cmd.CombinedOutput()
		if (err == nil) != wantOK {
			t.Fatalf("signalbox %s: err %v, want ok=%t:\n%s", strings.Join(args, " "), err, wantOK, out)
		}
		return string(out)
	}
	for name, tc := range map[string]struct {
		args   []string
		ok     bool
		expect string
	}{
		"version":                           {[]string{"version"}, true, "signalbox "},
		"plugins list describes the shell":  {[]string{"plugins", "list"}, true, "app bash"},
		"plugins list names the bolt store": {[]string{"plugins", "list"}, true, "SIGNALBOX_STORE=bolt"},
		"store copy needs its backends":     {[]string{"store", "copy", "--from", "bolt"}, false, "required flag"},
		"migrate":                           {[]string{"migrate"}, true, "up to date"},
		"user add":                          {[]string{"user", "add", "--login", "carol", "--email", "carol@example.com", "--password", "carol-password", "--admin"}, true, `user "carol" created`},
		"user add refuses a short password": {[]string{"user", "add", "--login", "dan", "--email", "dan@example.com", "--password", "short"}, false, "at least 8"},
	} {
		t.Run(name, func(t *testing.T) {
			if out := run(tc.ok, tc.args...); !strings.Contains(out, tc.expect) {
				t.Errorf("output %q does not contain %q", out, tc.expect)
			}
		})
	}
	if out := run(true, "user", "list"); !strings.Contains(out, "carol@example.com") {
		t.Errorf("user list = %q", out)
	}
	run(true, "user", "change-password", "--login", "carol", "--password", "a-new-password")
	run(false, "user", "delete", "--login", "carol") // the last admin stays
	if out := run(false, "user", "delete", "--login", "nobody"); !strings.Contains(out, "not found") {
		t.Errorf("deleting an unknown user: %q", out)
	}
}

func TestE2E_AnsiblePlaybookWithMaskedSecret(t *testing.T) {
	s := startServer(t, t.TempDir())
	s.login()
	repo := t.TempDir()
	playbook := `- hosts: all
  gather_facts: false
  tasks:
    - name: say hello
      debug:
        msg: "hello {{ who }}, the token is {{ api_token }}"
`
	if err := os.WriteFile(filepath.Join(repo, "site.yml"), []byte(playbook), 0o644); err != nil {
		t.Fatal(err)
	}
	var p, r, inv, env, tm idObj
	s.call("POST", "/api/projects", map[string]any{"name": "ansible"}, 201, &p)
	pp := fmt.Sprintf("/api/project/%d", p.ID)
	s.call("POST", pp+"/repositories", map[string]any{"name": "playbooks", "git_url": repo}, 201, &r)
	s.call("POST", pp+"/inventory", map[string]any{"name": "local", "type": "static",
		"inventory": "localhost ansible_connection=local ansible_python_interpreter=/usr/bin/python3"}, 201, &inv)
	s.call("POST", pp+"/environment", map[string]any{"name": "prod", "json": `{"who":"world"}`,
		"secrets": []map[string]any{{"name": "api_token", "type": "var", "secret": "s3cr3t-t0ken", "operation": "create"}}}, 201, &env)
	s.call("POST", pp+"/templates", map[string]any{"name": "hello", "app": "ansible", "playbook": "site.yml",
		"repository_id": r.ID, "inventory_id": inv.ID, "environment_id": env.ID}, 201, &tm)
	tk := s.startTask(p.ID, tm.ID)
	done := s.waitTask(p.ID, tk.ID, final)
	out := text(s.output(p.ID, tk.ID))
	if done.Status != "success" {
		t.Fatalf("ansible task = %+v:\n%s", done, out)
	}
	if !strings.Contains(out, "hello world, the token is ********") {
		t.Errorf("output does not show the masked secret:\n%s", out)
	}
	if strings.Contains(out, "s3cr3t-t0ken") {
		t.Errorf("the secret leaked into the output:\n%s", out)
	}
	var got struct {
		Summary json.RawMessage `json:"summary"`
	}
	s.call("GET", fmt.Sprintf("%s/tasks/%d", pp, tk.ID), nil, 200, &got)
	if !strings.Contains(string(got.Summary), `"localhost"`) {
		t.Errorf("task summary = %s, want the recap of localhost", got.Summary)
	}
}

func TestE2E_TerraformPlanWaitsForConfirmation(t *testing.T) {
	tf, err := filepath.Abs("../../.cache/bin/terraform")
	if err != nil {
		t.Fatal(err)
	}
	if v := os.Getenv("SIGNALBOX_TEST_TERRAFORM"); v != "" {
		tf = v
	}
	if _, err := os.Stat(tf); err != nil {
		t.Fatalf("terraform 1.5.7 is needed at %s: `make test` builds it (or set SIGNALBOX_TEST_TERRAFORM): %v", tf, err)
	}
	// The plugin learns where Terraform is through a SIGNALBOX_PLUGIN_ variable.
	t.Setenv("SIGNALBOX_PLUGIN_TERRAFORM_BINARY", tf)
	s := startServer(t, t.TempDir())
	s.login()
	repo := t.TempDir()
	module := `resource "terraform_data" "greeting" { input = "hello ${var.who}" }
variable "who" { type = string }
output "greeting" { value = terraform_data.greeting.output }
`
	if err := os.WriteFile(filepath.Join(repo, "main.tf"), []byte(module), 0o644); err != nil {
		t.Fatal(err)
	}
	var p, r, env, tm idObj
	s.call("POST", "/api/projects", map[string]any{"name": "infra"}, 201, &p)
	pp := fmt.Sprintf("/api/project/%d", p.ID)
	s.call("POST", pp+"/repositories", map[string]any{"name": "modules", "git_url": repo}, 201, &r)
	s.call("POST", pp+"/environment", map[string]any{"name": "prod", "json": `{"who":"world"}`}, 201, &env)
	s.call("POST", pp+"/templates", map[string]any{"name": "apply", "app": "terraform", "playbook": ".",
		"repository_id": r.ID, "environment_id": env.ID}, 201, &tm)

	tk := s.startTask(p.ID, tm.ID)
	waiting := s.waitTask(p.ID, tk.ID, func(x task) bool { return x.Status == "waiting_confirmation" || final(x) })
	if waiting.Status != "waiting_confirmation" {
		t.Fatalf("task = %+v, want waiting_confirmation:\n%s", waiting, text(s.output(p.ID, tk.ID)))
	}
	var withSummary struct {
		Summary map[string]any `json:"summary"`
	}
	s.call("GET", fmt.Sprintf("%s/tasks/%d", pp, tk.ID), nil, 200, &withSummary)
	if withSummary.Summary["add"] != 1.0 {
		t.Errorf("plan summary = %v, want one resource to add", withSummary.Summary)
	}
	s.call("POST", fmt.Sprintf("%s/tasks/%d/confirm", pp, tk.ID), nil, 204, nil)
	done := s.waitTask(p.ID, tk.ID, final)
	out := text(s.output(p.ID, tk.ID))
	if done.Status != "success" || !strings.Contains(out, "hello world") {
		t.Errorf("after confirmation: %+v\n%s", done, out)
	}
	// A second run has nothing to change: success without asking.
	tk = s.startTask(p.ID, tm.ID)
	if got := s.waitTask(p.ID, tk.ID, func(x task) bool { return x.Status == "waiting_confirmation" || final(x) }); got.Status != "success" {
		t.Errorf("a plan without changes = %+v", got)
	}
}
