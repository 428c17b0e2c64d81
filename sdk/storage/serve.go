package storage

import (
	"context"
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
		plugin.RunFor(cfg.log, cfg.shutdown, "closing the store", func() {
			if err := srv.close(); err != nil {
				cfg.log.Error("close the store", "error", err)
			}
		})
	}
	if cfg.test != nil {
		goplugin.Serve(sc)
		closeStore()
		return
	}

	// The host's death or a termination signal closes the store, then
	// exits: a store must not outlive its host holding the data locked.
	base, cancel := context.WithCancel(context.Background())
	defer cancel()
	plugin.ExitWithHost(base, cfg.log, cfg.parentCheck, cfg.shutdown, "closing the store", closeStore)

	goplugin.Serve(sc)
	// The host closed the plugin.
	cancel()
	closeStore()
}
