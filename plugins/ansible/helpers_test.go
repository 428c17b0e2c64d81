package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/signalbox/signalbox/sdk/executor"
	"github.com/signalbox/signalbox/sdk/plugintest"
)

// TestMain runs more parallel tests than there are CPUs, unless -parallel
// is given: the tests mostly wait for ansible-playbook (its start-up, its
// worker processes, SSH round trips).
func TestMain(m *testing.M) {
	flag.Parse()
	explicit := false
	flag.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "test.parallel" })
	if !explicit {
		_ = flag.Set("test.parallel", strconv.Itoa(max(4, 2*runtime.GOMAXPROCS(0))))
	}
	os.Exit(m.Run())
}

// requireAnsible fails the test when Ansible is not installed: these tests
// run against the real thing, and .ci/run installs it.
func requireAnsible(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("ansible-playbook"); err != nil {
		t.Fatal("ansible-playbook is not installed: apt-get install ansible-core (bash .ci/run does)")
	}
}

// taskIDs numbers the tests' tasks, so that a test can find its own
// processes and folders.
var taskIDs atomic.Int64

func init() { taskIDs.Store(1000) }

// newRepo returns a work dir holding copies of the named files of
// testdata.
func newRepo(t *testing.T, testdata ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range testdata {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, name), string(b), 0o644)
	}
	return dir
}

func writeFile(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
}

// localHost is an inventory line for a host reached with the local
// connection.
func localHost(name string) string {
	return name + ` ansible_connection=local ansible_python_interpreter="{{ ansible_playbook_python }}"`
}

// request returns a request for playbook in repo, with an inventory of
// the given lines written into the task's temp dir, as the host does for
// a static inventory.
func request(t *testing.T, repo, playbook string, inventory ...string) executor.RunRequest {
	t.Helper()
	req := executor.RunRequest{
		TaskID: taskIDs.Add(1), ProjectID: 7, TemplateID: 9, Attempt: 1,
		App: appID, WorkDir: repo, TempDir: t.TempDir(), Playbook: playbook,
		StopGracePeriod: 10 * time.Second,
	}
	if len(inventory) > 0 {
		req.InventoryFile = filepath.Join(req.TempDir, "inventory")
		writeFile(t, req.InventoryFile, strings.Join(inventory, "\n")+"\n", 0o600)
	}
	return req
}

// freePort returns a TCP port of 127.0.0.1 that nothing listens on.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// texts returns the text of the lines of stream s, colours stripped.
func texts(lines []executor.Line, s executor.Stream) []string {
	out := []string{}
	for _, l := range lines {
		if l.Stream == s {
			out = append(out, stripANSI(l.Text))
		}
	}
	return out
}

// plainText is the whole output, colours stripped.
func plainText(rec *plugintest.Recorder) string { return stripANSI(rec.Text()) }

// start runs req on c in the background and waits until the output shows
// marker (colours stripped). It returns the recorder and the end.
func start(t *testing.T, c *executor.Client, req executor.RunRequest, marker string) (*plugintest.Recorder, <-chan plugintest.RunResult) {
	t.Helper()
	rec := &plugintest.Recorder{}
	done := make(chan plugintest.RunResult, 1)
	go func() {
		res, err := c.Run(context.Background(), req, rec)
		done <- plugintest.RunResult{Recorder: rec, Result: res, Err: err}
	}()
	t.Cleanup(func() { _, _ = c.Stop(context.Background(), req.TaskID, true) })
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(plainText(rec), marker) {
		select {
		case r := <-done:
			t.Fatalf("task ended before it showed %q: %+v, %v; output:\n%s", marker, r.Result, r.Err, r.Text())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("task did not show %q; output:\n%s", marker, rec.Text())
		}
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

// requireGroupsGone checks that the task's process groups have ended.
func requireGroupsGone(t *testing.T, rec *plugintest.Recorder) {
	t.Helper()
	for _, pgid := range rec.ProcessGroups() {
		if err := plugintest.WaitProcessGroupGone(pgid, 15*time.Second); err != nil {
			t.Errorf("process group %d: %v", pgid, err)
		}
	}
}

// proc is a live process seen in /proc.
type proc struct {
	pid     int
	cmdline string
}

// processes lists the live processes (zombies left out) with their
// command lines, arguments joined by spaces.
func processes(t *testing.T) []proc {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	var out []proc
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || len(b) == 0 {
			continue // gone, or a zombie
		}
		out = append(out, proc{pid, string(bytes.ReplaceAll(bytes.TrimRight(b, "\x00"), []byte{0}, []byte{' '}))})
	}
	return out
}

// requireNoProcess waits until no live process has a command line
// containing any of needles, for at most limit.
func requireNoProcess(t *testing.T, limit time.Duration, needles ...string) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		var left []string
		for _, p := range processes(t) {
			if p.pid == os.Getpid() {
				continue
			}
			for _, n := range needles {
				if strings.Contains(p.cmdline, n) {
					left = append(left, fmt.Sprintf("%d: %s", p.pid, p.cmdline))
					break
				}
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

// waitProcess waits until a live process has exactly the command line
// cmdline (arguments joined by spaces).
func waitProcess(t *testing.T, cmdline string, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		for _, p := range processes(t) {
			if p.cmdline == cmdline {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no process %q within %v", cmdline, limit)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// sshKey is a key pair made with ssh-keygen.
type sshKey struct {
	private, public string
}

// newSSHKey makes an ed25519 key pair, protected by passphrase when it is
// not empty.
func newSSHKey(t *testing.T, passphrase string) sshKey {
	t.Helper()
	p := filepath.Join(t.TempDir(), "id_ed25519")
	out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", passphrase, "-C", "signalbox-test", "-f", p).CombinedOutput()
	if err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	priv, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := os.ReadFile(p + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	return sshKey{private: string(priv), public: string(pub)}
}

// syncBuffer is a bytes.Buffer safe for concurrent use.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// startSSHD runs an sshd of the test's own on 127.0.0.1, which lets root
// in with any of the authorized keys (and no password), and returns its
// port. It is stopped when the test ends. It needs root, and OpenSSH's
// server.
func startSSHD(t *testing.T, authorized ...sshKey) int {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("the sshd of the ssh tests needs root (CI runs as root)")
	}
	sshd, err := exec.LookPath("sshd")
	if err != nil {
		if sshd = "/usr/sbin/sshd"; !isFile(sshd) {
			t.Fatal("sshd is not installed: apt-get install openssh-server (bash .ci/run does)")
		}
	}
	// The privilege separation directory.
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	hostKey := filepath.Join(dir, "host_ed25519")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", hostKey).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	var keys strings.Builder
	for _, k := range authorized {
		keys.WriteString(k.public)
	}
	authFile := filepath.Join(dir, "authorized_keys")
	writeFile(t, authFile, keys.String(), 0o600)

	for attempt := 0; ; attempt++ {
		port := freePort(t)
		config := filepath.Join(dir, "sshd_config")
		writeFile(t, config, strings.Join([]string{
			"ListenAddress 127.0.0.1",
			"Port " + strconv.Itoa(port),
			"HostKey " + hostKey,
			"PidFile " + filepath.Join(dir, "sshd.pid"),
			"AuthorizedKeysFile " + authFile,
			"PermitRootLogin prohibit-password",
			"PubkeyAuthentication yes",
			"PasswordAuthentication no",
			"KbdInteractiveAuthentication no",
			"StrictModes no",
			"UsePAM no",
			"MaxStartups 100",
			"MaxSessions 100",
			"Subsystem sftp internal-sftp",
			"LogLevel VERBOSE",
		}, "\n")+"\n", 0o600)
		logs := &syncBuffer{}
		cmd := exec.Command(sshd, "-D", "-e", "-f", config)
		cmd.Stdout, cmd.Stderr = logs, logs
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		// Connections' processes share the log pipe; do not wait for them.
		cmd.WaitDelay = 2 * time.Second
		if err := cmd.Start(); err != nil {
			t.Fatalf("start sshd: %v", err)
		}
		exited := make(chan struct{})
		go func() { _ = cmd.Wait(); close(exited) }()
		t.Cleanup(func() {
			_ = cmd.Process.Signal(syscall.SIGTERM)
			<-exited
			if t.Failed() {
				t.Logf("sshd log:\n%s", logs.String())
			}
		})
		if waitListening(port, exited) {
			return port
		}
		if attempt == 2 {
			t.Fatalf("sshd did not start; log:\n%s", logs.String())
		}
	}
}

// waitListening waits until something accepts connections on port, or
// the server exits.
func waitListening(port int, exited <-chan struct{}) bool {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), time.Second)
		if err == nil {
			c.Close()
			return true
		}
		select {
		case <-exited:
			return false
		case <-time.After(20 * time.Millisecond):
		}
	}
	return false
}

func isFile(p string) bool {
	info, err := os.Stat(p)
	return err == nil && info.Mode().IsRegular()
}

// sshHost is an inventory line for a host reached through the test's
// sshd. The login comes from the ssh_user secret; known hosts are not
// recorded, since every test's sshd has a new host key.
func sshHost(name string, port int) string {
	return fmt.Sprintf(`%s ansible_host=127.0.0.1 ansible_port=%d ansible_python_interpreter="{{ ansible_playbook_python }}" `+
		`ansible_ssh_common_args="-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR"`, name, port)
}
