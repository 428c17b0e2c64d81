package plugintest

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
	"github.com/hashicorp/go-plugin/runner"

	"github.com/signalbox/signalbox/sdk/host"
	"github.com/signalbox/signalbox/sdk/plugin"
	"github.com/signalbox/signalbox/sdk/storage"
)

// storageTimeout bounds starting, opening and closing a storage plugin.
const storageTimeout = 30 * time.Second

// Storage serves p in-process and returns a client to it, not yet open:
// call its Open. p runs behind storage.Serve in its test mode, and
// the client attaches to it with go-plugin as the host does, so every call
// takes the production path (a real gRPC connection, the plugin's message
// limits and error mapping). The plugin shuts down, closing its store, when
// the test ends.
func Storage(t testing.TB, p storage.Plugin) *storage.Client {
	t.Helper()
	c, _ := serveStorage(t, p)
	return c
}

// serveStorage is Storage that also returns the go-plugin client, whose
// Kill shuts the in-process plugin down as if its process had exited.
func serveStorage(t testing.TB, p storage.Plugin) (*storage.Client, *goplugin.Client) {
	t.Helper()
	logs := &testWriter{t: t}
	t.Cleanup(logs.close)
	ctx, cancel := context.WithCancel(context.Background())
	reattach := make(chan *goplugin.ReattachConfig, 1)
	closed := make(chan struct{})
	go func() {
		defer close(closed)
		storage.Serve(p,
			storage.WithLogger(hclog.New(&hclog.LoggerOptions{Name: "plugin", Level: hclog.Debug, Output: logs, DisableTime: true})),
			storage.WithTestConfig(&plugin.TestConfig{Context: ctx, Ready: func(addr net.Addr, version int) {
				reattach <- &goplugin.ReattachConfig{Protocol: goplugin.ProtocolGRPC, ProtocolVersion: version, Addr: addr}
			}}),
		)
	}()
	stop := func() {
		cancel()
		select {
		case <-closed:
		case <-time.After(storageTimeout):
			t.Errorf("the in-process storage plugin did not stop within %v", storageTimeout)
		}
	}
	var rc *goplugin.ReattachConfig
	select {
	case rc = <-reattach:
	case <-closed:
		cancel()
		t.Fatal("the in-process storage plugin stopped before it served")
	case <-time.After(storageTimeout):
		stop()
		t.Fatalf("the in-process storage plugin did not serve within %v", storageTimeout)
	}
	proc := &inProcess{closed: closed, stop: stop}
	pc := goplugin.NewClient(&goplugin.ClientConfig{
		HandshakeConfig: host.Handshake(storage.Handshake),
		Plugins:         host.StorageSets()[rc.ProtocolVersion],
		// Not go-plugin's Test reattachment, whose Kill does nothing: inProcess
		// stands for the plugin process, so Kill shuts the plugin down and the
		// client's done context ends as when a real process exits.
		Reattach: &goplugin.ReattachConfig{
			Protocol: rc.Protocol, ProtocolVersion: rc.ProtocolVersion, Addr: rc.Addr,
			ReattachFunc: func() (runner.AttachedRunner, error) { return proc, nil },
		},
		AllowedProtocols: []goplugin.Protocol{goplugin.ProtocolGRPC},
		Logger:           hclog.New(&hclog.LoggerOptions{Name: "host", Level: hclog.Debug, Output: logs, DisableTime: true}),
	})
	// Cleanups run last-registered first: kill (a graceful shutdown that
	// closes the store), then make sure the server is gone.
	t.Cleanup(stop)
	t.Cleanup(pc.Kill)
	return dispenseStorage(t, pc, "the in-process storage plugin"), pc
}

func dispenseStorage(t testing.TB, pc *goplugin.Client, what string) *storage.Client {
	t.Helper()
	rpc, err := pc.Client()
	if err != nil {
		t.Fatalf("connect to %s: %v", what, err)
	}
	raw, err := rpc.Dispense(storage.PluginName)
	if err != nil {
		t.Fatalf("dispense storage from %s: %v", what, err)
	}
	c, ok := raw.(*storage.Client)
	if !ok {
		t.Fatalf("dispensed %T, want *storage.Client", raw)
	}
	return c
}

// inProcess is the go-plugin runner of an in-process plugin: it has
// exited when its Serve has returned.
type inProcess struct {
	closed <-chan struct{}
	stop   func()
}

var _ runner.AttachedRunner = (*inProcess)(nil)

func (r *inProcess) Wait(ctx context.Context) error {
	select {
	case <-r.closed:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (r *inProcess) Kill(context.Context) error { r.stop(); return nil }
func (r *inProcess) ID() string                 { return "in-process" }

func (r *inProcess) PluginToHost(network, addr string) (string, string, error) {
	return network, addr, nil
}

func (r *inProcess) HostToPlugin(network, addr string) (string, string, error) {
	return network, addr, nil
}

// LaunchStoragePlugin starts the storage plugin binary bin as the host
// does (see Launch) and returns a client to it, not yet open, with the
// go-plugin client that owns the process. env is the plugin's whole
// environment. The plugin is killed when the test ends.
func LaunchStoragePlugin(t testing.TB, bin string, env ...string) (*storage.Client, *goplugin.Client) {
	t.Helper()
	raw, pc := launch(t, bin, storage.Handshake, host.StorageSets(), storage.PluginName, env)
	c, ok := raw.(*storage.Client)
	if !ok {
		t.Fatalf("dispensed %T, want *storage.Client", raw)
	}
	return c, pc
}

// LaunchStorage starts the storage plugin binary bin (see Build) and opens
// its store with cfg. It returns the open client, which is the Backend the
// server would use, and the go-plugin client that owns the process (its
// ReattachConfig().Pid is the plugin's pid). When the test ends the store
// is closed, then the plugin ended.
//
//	bin := plugintest.Build(t, ".", "storage-bolt")
//	db, _ := plugintest.LaunchStorage(t, bin, storage.Config{DSN: filepath.Join(t.TempDir(), "data.db")})
func LaunchStorage(t testing.TB, bin string, cfg storage.Config, env ...string) (*storage.Client, *goplugin.Client) {
	t.Helper()
	c, pc := LaunchStoragePlugin(t, bin, env...)
	ctx, cancel := context.WithTimeout(context.Background(), storageTimeout)
	defer cancel()
	if _, err := c.Open(ctx, cfg); err != nil {
		t.Fatalf("open storage plugin %s: %v", bin, err)
	}
	t.Cleanup(func() {
		// The test may have killed the plugin: a failed close is no failure.
		if err := c.Close(); err != nil {
			t.Logf("close storage plugin %s: %v", bin, err)
		}
	})
	return c, pc
}
