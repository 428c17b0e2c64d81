package host_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"

	"github.com/signalbox/signalbox/sdk/executor"
	"github.com/signalbox/signalbox/sdk/host"
	"github.com/signalbox/signalbox/sdk/plugintest"
)

// The plugin's socket is made inside the host's private directory, and the
// connection works without AutoMTLS.
func TestLaunch_PrivateSocket(t *testing.T) {
	bin := plugintest.Build(t, "../examples/echo", "echo")
	sockets := &host.SocketDir{}
	cfg, err := host.Launch{
		Path: bin, Env: []string{"PATH=" + os.Getenv("PATH")}, Sockets: sockets,
		Handshake: executor.Handshake, Sets: host.ExecutorSets(),
		Log: hclog.NewNullLogger(),
	}.ClientConfig()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.AutoMTLS {
		t.Error("AutoMTLS is on, want a private socket directory instead")
	}
	dir, err := sockets.Path()
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o700 {
		t.Errorf("socket directory mode = %v, want 0700", st.Mode().Perm())
	}
	pc := goplugin.NewClient(cfg)
	defer pc.Kill()
	rpc, err := pc.Client()
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	raw, err := rpc.Dispense(executor.PluginName)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.(*executor.Client).Describe(t.Context()); err != nil {
		t.Fatalf("Describe over the socket: %v", err)
	}
	addr := pc.ReattachConfig().Addr
	if addr.Network() != "unix" || filepath.Dir(addr.String()) != dir {
		t.Errorf("plugin listens on %s %s, want a socket in %s", addr.Network(), addr, dir)
	}
	for _, e := range cfg.Cmd.Env {
		if strings.HasPrefix(e, "PLUGIN_CLIENT_CERT=") {
			t.Error("the plugin was given a client certificate")
		}
	}
	pc.Kill()
	if err := sockets.Remove(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("socket directory left after Remove: %v", err)
	}
}

// A host must give a socket directory: plugins listen on nothing else.
func TestLaunch_NoSocketDir(t *testing.T) {
	if _, err := (host.Launch{Path: "/bin/true", Handshake: executor.Handshake}).ClientConfig(); err == nil {
		t.Error("ClientConfig without a socket directory succeeded")
	}
}
