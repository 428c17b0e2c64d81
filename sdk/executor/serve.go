package executor

import (
	"context"
	"os"
	"runtime"
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
	maxProcs    int
}

// WithLogger sets the plugin's logger (default plugin.NewLogger of the
// described name).
func WithLogger(l hclog.Logger) ServeOpt { return func(c *serveConfig) { c.log = l } }

// DefaultMaxProcs is the GOMAXPROCS Serve gives an executor plugin. A
// plugin relays its tasks' output and waits for their processes: the work
// is in the children it starts. One P is enough for 800,000 lines/s, leaves
// the other cores to the server, and keeps the runtime's per-P caches (about
// 0.5 MiB each) out of an idle plugin.
const DefaultMaxProcs = 1

// WithMaxProcs sets the plugin's GOMAXPROCS (default DefaultMaxProcs); n ≤ 0
// keeps the Go runtime's choice. A GOMAXPROCS environment variable, when set,
// wins over both.
func WithMaxProcs(n int) ServeOpt { return func(c *serveConfig) { c.maxProcs = n } }

// setMaxProcs applies n unless the environment sets GOMAXPROCS or n ≤ 0,
// and returns the GOMAXPROCS in effect.
func setMaxProcs(n int, env string) int {
	if n > 0 && env == "" {
		runtime.GOMAXPROCS(n)
	}
	return runtime.GOMAXPROCS(0)
}

// Serve runs impl as an executor plugin. It returns only if the plugin must
// exit: the host closed it, or the host process died, in which case every
// running task is killed before the process exits.
func Serve(impl Executor, opts ...ServeOpt) {
	plugin.DisableHeapSampling()
	cfg := serveConfig{parentCheck: 500 * time.Millisecond, shutdown: 10 * time.Second, maxProcs: DefaultMaxProcs}
	for _, o := range opts {
		o(&cfg)
	}
	setMaxProcs(cfg.maxProcs, os.Getenv("GOMAXPROCS"))
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
