package plugintest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"

	"github.com/signalbox/signalbox/sdk/executor"
	"github.com/signalbox/signalbox/sdk/host"
	"github.com/signalbox/signalbox/sdk/plugin"
)

// Build compiles the main package in dir (such as ".") with `go build` into
// a temporary folder and returns the binary's path. The binary is named
// signalbox-plugin-<name>, like an installed plugin. The test is skipped
// when the go command is not available.
func Build(t testing.TB, dir, name string) string {
	t.Helper()
	gocmd, err := exec.LookPath("go")
	if err != nil {
		gocmd = filepath.Join(os.Getenv("GOROOT"), "bin", "go")
		if _, serr := os.Stat(gocmd); os.Getenv("GOROOT") == "" || serr != nil {
			t.Skipf("go command not found: %v", err)
		}
	}
	bin := filepath.Join(t.TempDir(), plugin.BinaryPrefix+name)
	cmd := exec.Command(gocmd, "build", "-o", bin, ".")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", dir, err, out)
	}
	return bin
}

// Launch starts the executor plugin binary bin the way the Signalbox host
// does (host.Launch: versioned plugin sets, gRPC only, a private socket
// directory, no inherited environment) and returns a client to it, with
// the go-plugin client that owns the process (its ReattachConfig().Pid is the plugin's pid). env is
// the plugin's whole environment, such as PATH=..., HOME=... . The plugin's
// stderr log goes to t.Log; the plugin is killed when the test ends.
func Launch(t testing.TB, bin string, env ...string) (*executor.Client, *goplugin.Client) {
	t.Helper()
	raw, pc := launch(t, bin, executor.Handshake, host.ExecutorSets(), executor.PluginName, env)
	c, ok := raw.(*executor.Client)
	if !ok {
		t.Fatalf("dispensed %T, want *executor.Client", raw)
	}
	return c, pc
}

// launch starts a plugin binary as the host does and dispenses name.
func launch(t testing.TB, bin string, hs plugin.HandshakeConfig, sets map[int]goplugin.PluginSet, name string, env []string) (any, *goplugin.Client) {
	t.Helper()
	logs := &testWriter{t: t}
	sockets := &host.SocketDir{}
	cfg, err := host.Launch{
		Path: bin, Env: env, Handshake: hs, Sets: sets, Sockets: sockets,
		Log: hclog.New(&hclog.LoggerOptions{Name: "plugin", Level: hclog.Debug, Output: logs, DisableTime: true}),
	}.ClientConfig()
	if err != nil {
		t.Fatalf("plugin socket directory: %v", err)
	}
	pc := goplugin.NewClient(cfg)
	t.Cleanup(func() { _ = sockets.Remove() })
	// Cleanups run last-registered first: kill the plugin, then stop logging.
	t.Cleanup(logs.close)
	t.Cleanup(pc.Kill)
	rpc, err := pc.Client()
	if err != nil {
		t.Fatalf("start plugin %s: %v", bin, err)
	}
	raw, err := rpc.Dispense(name)
	if err != nil {
		t.Fatalf("dispense %s from %s: %v", name, bin, err)
	}
	return raw, pc
}

// testWriter logs to t until the test ends; go-plugin may still log from
// its goroutines afterwards, which testing does not allow.
type testWriter struct {
	mu     sync.Mutex
	t      testing.TB
	closed bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.closed {
		w.t.Log(strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}

func (w *testWriter) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
}
