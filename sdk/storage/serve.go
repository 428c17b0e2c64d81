package storage

import (
	"context"
	"time"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc"

	storagev1 "github.com/signalbox/signalbox/sdk/internal/gen/storagev1"
	"github.com/signalbox/signalbox/sdk/plugin"
)

// PluginName is the name under which storage plugins are dispensed.
const PluginName = "storage"

// Handshake is the handshake of storage plugins.
var Handshake = plugin.Handshake(plugin.KindStorage)

// serverOptions give the plugin's gRPC server message limits that fit
// batches of MaxBatchBytes (gRPC's default is 4 MiB).
var serverOptions = []grpc.ServerOption{grpc.MaxRecvMsgSize(maxMessageBytes), grpc.MaxSendMsgSize(maxMessageBytes)}

// ServeOpt changes how Serve runs.
type ServeOpt func(*serveConfig)

type serveConfig struct {
	log         hclog.Logger
	parentCheck time.Duration
	shutdown    time.Duration
	test        *plugin.TestConfig
}

// WithLogger sets the plugin's logger (default plugin.NewLogger of the
// described name).
func WithLogger(l hclog.Logger) ServeOpt { return func(c *serveConfig) { c.log = l } }

// WithTestConfig serves inside the calling process (package plugintest
// uses it): no handshake on stdout, no signal handling and no watch on the
// parent process. Serve returns when the host closes the plugin or
// tc.Context ends, having closed the store.
func WithTestConfig(tc *plugin.TestConfig) ServeOpt {
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
	sc := plugin.ServeConfig{
		Handshake: Handshake,
		Versions: map[int]plugin.Services{ProtocolVersion: func(s *grpc.Server) {
			storagev1.RegisterStorageServiceServer(s, srv)
		}},
		Log:           cfg.log,
		ServerOptions: serverOptions,
		Test:          cfg.test,
	}
	closeStore := func() {
		plugin.RunFor(cfg.log, cfg.shutdown, "closing the store", func() {
			if err := srv.close(); err != nil {
				cfg.log.Error("close the store", "error", err)
			}
		})
	}
	if cfg.test != nil {
		if err := plugin.Serve(sc); err != nil {
			cfg.log.Error("serve plugin", "error", err)
		}
		closeStore()
		return
	}

	// The host's death or a termination signal closes the store, then
	// exits: a store must not outlive its host holding the data locked.
	base, cancel := context.WithCancel(context.Background())
	defer cancel()
	plugin.ExitWithHost(base, cfg.log, cfg.parentCheck, cfg.shutdown, "closing the store", closeStore)

	err := plugin.Serve(sc)
	// The host closed the plugin.
	cancel()
	closeStore()
	plugin.Exit(cfg.log, err)
}
