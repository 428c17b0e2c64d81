package host_test

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"

	"github.com/signalbox/signalbox/sdk/executor"
	"github.com/signalbox/signalbox/sdk/host"
	"github.com/signalbox/signalbox/sdk/plugintest"
)

// A plugin binary run by hand says what it is and exits with status 1.
func TestServe_RunByHand(t *testing.T) {
	bin := plugintest.Build(t, "../examples/echo", "echo")
	cmd := exec.Command(bin)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("run by hand: %v, want exit status 1", err)
	}
	if len(out) != 0 || !strings.Contains(stderr.String(), "not meant to be run by hand") {
		t.Errorf("stdout %q, stderr %q; want nothing and an explanation", out, stderr.String())
	}
}

// syncBuffer is a log destination safe for go-plugin's goroutines.
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

// go-plugin's client, as the host uses it, finds every service it calls:
// health, stdio and broker streams without a warning, and a shutdown that
// ends the plugin process by itself rather than by a kill.
func TestServe_GoPluginClient(t *testing.T) {
	bin := plugintest.Build(t, "../examples/echo", "echo")
	logs := &syncBuffer{}
	sockets := &host.SocketDir{}
	t.Cleanup(func() { _ = sockets.Remove() })
	cfg, err := host.Launch{
		Path: bin, Env: []string{"PATH=" + os.Getenv("PATH")}, Sockets: sockets,
		Handshake: executor.Handshake, Sets: host.ExecutorSets(),
		Log: hclog.New(&hclog.LoggerOptions{Level: hclog.Trace, Output: logs}),
	}.ClientConfig()
	if err != nil {
		t.Fatal(err)
	}
	pc := goplugin.NewClient(cfg)
	defer pc.Kill()
	rpc, err := pc.Client()
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	if err := rpc.Ping(); err != nil {
		t.Errorf("health check: %v", err)
	}
	if pc.NegotiatedVersion() != executor.ProtocolVersion {
		t.Errorf("negotiated version %d, want %d", pc.NegotiatedVersion(), executor.ProtocolVersion)
	}
	raw, err := rpc.Dispense(executor.PluginName)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.(*executor.Client).Describe(t.Context()); err != nil {
		t.Fatalf("Describe: %v", err)
	}
	pc.Kill()
	if !pc.Exited() {
		t.Error("the plugin process is still running after Kill")
	}
	for _, bad := range []string{"[WARN]", "[ERROR]", "failed to exit gracefully"} {
		if strings.Contains(logs.String(), bad) {
			t.Errorf("host log has %q:\n%s", bad, logs.String())
		}
	}
}
