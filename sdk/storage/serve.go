package storage

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	storagev1 "github.com/signalbox/signalbox/sdk/internal/gen/storagev1"
	"github.com/signalbox/signalbox/sdk/plugin"
)

// PluginName is the name under which storage plugins are dispensed.
const PluginName = "storage"

// Handshake is the go-plugin handshake of storage plugins.
var Handshake = plugin.Handshake(plugin.KindStorage)

// GRPCPlugin is the go-plugin glue for storage plugins. Impl is set on the
// plugin side only.
type GRPCPlugin struct {
	goplugin.NetRPCUnsupportedPlugin
	Impl Plugin
	// Log is used by the plugin side; nil means a null logger.
	Log hclog.Logger
	srv *server
}

var _ goplugin.GRPCPlugin = (*GRPCPlugin)(nil)

// GRPCServer registers the storage service.
func (p *GRPCPlugin) GRPCServer(_ *goplugin.GRPCBroker, s *grpc.Server) error {
	if p.srv == nil {
		log := p.Log
		if log == nil {
			log = hclog.NewNullLogger()
		}
		p.srv = newServer(p.Impl, log)
	}
	storagev1.RegisterStorageServiceServer(s, p.srv)
	return nil
}

// GRPCClient returns a *Client. ctx is done when the plugin process exits.
func (p *GRPCPlugin) GRPCClient(ctx context.Context, _ *goplugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return NewClient(ctx, c), nil
}

// PluginSets returns the versioned plugin sets for go-plugin, keyed by
// protocol version. A host negotiates the highest version both sides speak.
func PluginSets(p *GRPCPlugin) map[int]goplugin.PluginSet {
	return map[int]goplugin.PluginSet{ProtocolVersion: {PluginName: p}}
}

// newGRPCServer is the plugin's gRPC server, with message limits that fit
// batches of MaxBatchBytes (gRPC's default is 4 MiB).
func newGRPCServer(opts []grpc.ServerOption) *grpc.Server {
	return grpc.NewServer(append(opts, grpc.MaxRecvMsgSize(maxMessageBytes), grpc.MaxSendMsgSize(maxMessageBytes))...)
}

// ServeOpt changes how Serve runs.
type ServeOpt func(*serveConfig)

type serveConfig struct {
	log         hclog.Logger
	parentCheck time.Duration
	shutdown    time.Duration
	test        *goplugin.ServeTestConfig
}

// WithLogger sets the plugin's logger (default plugin.NewLogger of the
// described name).
func WithLogger(l hclog.Logger) ServeOpt { return func(c *serveConfig) { c.log = l } }

// WithTestConfig serves in go-plugin's test mode, inside the calling
// process (package plugintest uses it): no handshake on stdout, no signal
// handling and no watch on the parent process. Serve returns when the
// host closes the plugin or tc.Context ends, having closed the store.
func WithTestConfig(tc *goplugin.ServeTestConfig) ServeOpt {
	return func(c *serveConfig) { c.test = tc }
}

// Serve runs p as a storage plugin. It returns only when the plugin must
// exit, the store closed: the host closed the plugin. When the host
// process dies, or on SIGTERM or SIGHUP, Serve closes the store (waiting
// for the calls in progress, 10 s at most) and exits the process.
func Serve(p Plugin, opts ...ServeOpt) {
	plugin.DisableHeapSampling()
	cfg := serveConfig{parentCheck: 500 * time.Millisecond, shutdown: 10 * time.Second}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.log == nil {
		name := "storage"
		if d, err := p.Describe(context.Background()); err == nil && d.Name != "" {
			name = d.Name
		}
		cfg.log = plugin.NewLogger(name)
	}
	srv := newServer(p, cfg.log)
	sc := &goplugin.ServeConfig{
		HandshakeConfig:  Handshake,
		VersionedPlugins: PluginSets(&GRPCPlugin{Impl: p, Log: cfg.log, srv: srv}),
		GRPCServer:       newGRPCServer,
		Logger:           cfg.log,
		Test:             cfg.test,
	}
	closeStore := func() {
		done := make(chan struct{})
		go func() {
			defer close(done)
			if err := srv.close(); err != nil {
				cfg.log.Error("close the store", "error", err)
			}
		}()
		select {
		case <-done:
		case <-time.After(cfg.shutdown):
			cfg.log.Error("the store did not close in time")
		}
	}
	if cfg.test != nil {
		goplugin.Serve(sc)
		closeStore()
		return
	}

	// The host's death or a termination signal closes the store, then
	// exits: a store must not outlive its host holding the data locked.
	// Once the host is dead, stderr is a broken pipe, and a write to it
	// (the log) would kill the process with SIGPIPE before the store is
	// closed: with SIGPIPE notified, the write fails instead.
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
	base, cancel := context.WithCancel(context.Background())
	defer cancel()
	parent := plugin.WatchParent(base, cfg.parentCheck)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		select {
		case <-parent.Done():
			if base.Err() != nil {
				return // Serve is returning: it closes the store itself
			}
			cfg.log.Warn("host process is gone; closing the store")
		case s := <-sigs:
			cfg.log.Warn("signal received; closing the store", "signal", s.String())
		}
		closeStore()
		os.Exit(0)
	}()

	goplugin.Serve(sc)
	// The host closed the plugin.
	cancel()
	closeStore()
}
