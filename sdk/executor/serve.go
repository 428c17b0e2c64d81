package executor

import (
	"context"
	"time"

	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	executorv1 "github.com/signalbox/signalbox/sdk/internal/gen/executorv1"
	"github.com/signalbox/signalbox/sdk/plugin"
)

// PluginName is the name under which executors are dispensed.
const PluginName = "executor"

// ProtocolVersion is the executor protocol version this package speaks.
const ProtocolVersion = 1

// Handshake is the go-plugin handshake of executor plugins.
var Handshake = plugin.Handshake(plugin.KindExecutor)

// GRPCPlugin is the go-plugin glue for executors. Impl is set on the plugin
// side only.
type GRPCPlugin struct {
	goplugin.NetRPCUnsupportedPlugin
	Impl Executor
	// Log is used by the plugin side; nil means a null logger.
	Log hclog.Logger
	// base is cancelled on plugin shutdown.
	base context.Context
	srv  *server
}

var _ goplugin.GRPCPlugin = (*GRPCPlugin)(nil)

// GRPCServer registers the executor service.
func (p *GRPCPlugin) GRPCServer(_ *goplugin.GRPCBroker, s *grpc.Server) error {
	log := p.Log
	if log == nil {
		log = hclog.NewNullLogger()
	}
	base := p.base
	if base == nil {
		base = context.Background()
	}
	p.srv = newServer(base, p.Impl, log)
	executorv1.RegisterExecutorServiceServer(s, p.srv)
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

// ServeOpt changes how Serve runs.
type ServeOpt func(*serveConfig)

type serveConfig struct {
	log         hclog.Logger
	parentCheck time.Duration
	shutdown    time.Duration
}

// WithLogger sets the plugin's logger (default plugin.NewLogger of the
// described name).
func WithLogger(l hclog.Logger) ServeOpt { return func(c *serveConfig) { c.log = l } }

// Serve runs impl as an executor plugin. It returns only if the plugin must
// exit: the host closed it, or the host process died, in which case every
// running task is killed before the process exits.
func Serve(impl Executor, opts ...ServeOpt) {
	plugin.DisableHeapSampling()
	cfg := serveConfig{parentCheck: 500 * time.Millisecond, shutdown: 10 * time.Second}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.log == nil {
		name := "executor"
		if d, err := impl.Describe(context.Background()); err == nil && d.Name != "" {
			name = d.Name
		}
		cfg.log = plugin.NewLogger(name)
	}
	base, cancel := context.WithCancel(context.Background())
	defer cancel()
	p := &GRPCPlugin{Impl: impl, Log: cfg.log, base: base}

	// The host's death or a termination signal kills every task, then exits.
	stopAll := func() {
		cancel()
		if p.srv != nil {
			p.srv.stopAll()
		}
	}
	plugin.ExitWithHost(base, cfg.log, cfg.parentCheck, cfg.shutdown, "stopping all tasks", stopAll)
	goplugin.Serve(&goplugin.ServeConfig{
		HandshakeConfig:  Handshake,
		VersionedPlugins: PluginSets(p),
		GRPCServer:       goplugin.DefaultGRPCServer,
		Logger:           cfg.log,
	})
	// The host closed the plugin: kill whatever still runs.
	stopAll()
}
