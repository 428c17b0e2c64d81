package executor

import (
	"context"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc"

	executorv1 "github.com/signalbox/signalbox/sdk/internal/gen/executorv1"
	"github.com/signalbox/signalbox/sdk/plugin"
)

// PluginName is the name under which executors are dispensed.
const PluginName = "executor"

// ProtocolVersion is the executor protocol version this package speaks.
const ProtocolVersion = 1

// Handshake is the handshake of executor plugins.
var Handshake = plugin.Handshake(plugin.KindExecutor)

// Register registers impl's executor service on s and returns the function
// that kills every run in progress. Serve does this itself; Register is for
// harnesses that serve an executor in-process. A nil log means none.
func Register(s grpc.ServiceRegistrar, impl Executor, log hclog.Logger) (stopAll func()) {
	return register(s, context.Background(), impl, log)
}

func register(s grpc.ServiceRegistrar, base context.Context, impl Executor, log hclog.Logger) func() {
	if log == nil {
		log = hclog.NewNullLogger()
	}
	base, cancel := context.WithCancel(base)
	srv := newServer(base, impl, log)
	executorv1.RegisterExecutorServiceServer(s, srv)
	return func() {
		cancel()
		srv.stopAll()
	}
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
	var (
		mu   sync.Mutex
		stop func()
	)
	// The host's death or a termination signal kills every task, then exits.
	stopAll := func() {
		cancel()
		mu.Lock()
		defer mu.Unlock()
		if stop != nil {
			stop()
		}
	}
	plugin.ExitWithHost(base, cfg.log, cfg.parentCheck, cfg.shutdown, "stopping all tasks", stopAll)
	err := plugin.Serve(plugin.ServeConfig{
		Handshake: Handshake,
		Versions: map[int]plugin.Services{ProtocolVersion: func(s *grpc.Server) {
			mu.Lock()
			defer mu.Unlock()
			stop = register(s, base, impl, cfg.log)
		}},
		Log: cfg.log,
	})
	// The host closed the plugin: kill whatever still runs.
	stopAll()
	plugin.Exit(cfg.log, err)
}
