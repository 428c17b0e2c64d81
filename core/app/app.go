// Package app is the composition root: it builds the store, the services,
// the plugin host, the runner and the HTTP server from a configuration, and
// runs them. Only cmd imports it.
package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/signalbox/signalbox/core/api"
	"github.com/signalbox/signalbox/core/config"
	"github.com/signalbox/signalbox/core/gitsrc"
	"github.com/signalbox/signalbox/core/live"
	"github.com/signalbox/signalbox/core/pluginhost"
	"github.com/signalbox/signalbox/core/retention"
	"github.com/signalbox/signalbox/core/runner"
	"github.com/signalbox/signalbox/core/scheduler"
	"github.com/signalbox/signalbox/core/secretbox"
	"github.com/signalbox/signalbox/core/service"
	"github.com/signalbox/signalbox/core/store"
	"github.com/signalbox/signalbox/core/store/kvstore"
	"github.com/signalbox/signalbox/core/store/sqlstore"
	"github.com/signalbox/signalbox/core/store/storecopy"
	"github.com/signalbox/signalbox/sdk/storage"
)

// Version is the server's version, set at build time.
var Version = "0.1.0-dev"

// App is a built server.
type App struct {
	cfg      config.Config
	log      hclog.Logger
	Store    store.Store
	Services *service.Services
	Host     *pluginhost.Host
	Runner   *runner.Runner
	Hub      *live.Hub
	box      *secretbox.Box

	// Scheduler starts the tasks of schedules; Run runs it next to the runner.
	Scheduler *scheduler.Scheduler
}

// NewLogger returns the server's logger for a configuration.
func NewLogger(cfg config.Config) hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{
		Name: "signalbox", Level: hclog.LevelFromString(cfg.Log.Level), JSONFormat: cfg.Log.Format == "json",
		Output: os.Stderr, TimeFormat: time.RFC3339,
	})
}

// OpenStore opens the configured store: a SQL database, migrated, or a
// storage plugin (bolt…) started and opened, with the key/value store on it.
func OpenStore(ctx context.Context, cfg config.Config, log hclog.Logger) (store.Store, error) {
	sc := cfg.Store
	if sc.Driver == config.StoreSQLite || sc.Driver == config.StoreBolt {
		if err := os.MkdirAll(filepath.Dir(sc.DSN), 0o700); err != nil {
			return nil, fmt.Errorf("create database folder: %w", err)
		}
	}
	if sc.IsSQL() {
		st, err := sqlstore.Open(ctx, sqlstore.Config{Driver: sc.Driver, DSN: sc.DSN, Log: log})
		if err != nil {
			return nil, fmt.Errorf("open %s store: %w", sc.Driver, err)
		}
		return st, nil
	}
	specs := pluginSpecs(cfg)
	spec, err := pluginhost.FindStorage(cfg.PluginDir, specs, sc.Driver)
	if err != nil {
		return nil, fmt.Errorf("open %s store: %w", sc.Driver, err)
	}
	backend, err := pluginhost.OpenStorage(ctx, pluginhost.StorageConfig{
		Spec: spec, Open: storage.Config{DSN: sc.DSN, Settings: sc.Settings}, Env: pluginEnv(), Log: log,
	})
	if err != nil {
		return nil, fmt.Errorf("open %s store: %w", sc.Driver, err)
	}
	st, err := kvstore.New(ctx, backend, log)
	if err != nil {
		_ = backend.Close()
		return nil, fmt.Errorf("open %s store: %w", sc.Driver, err)
	}
	return st, nil
}

// New builds the server. cfg must be resolved (config.Resolve).
func New(ctx context.Context, cfg config.Config, log hclog.Logger) (*App, error) {
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	box, err := openBox(cfg, log)
	if err != nil {
		return nil, err
	}
	st, err := OpenStore(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	host, err := NewHost(cfg, log)
	if err != nil {
		_ = st.Close()
		return nil, err
	}
	owner, err := nodeID(cfg.DataDir)
	if err != nil {
		_ = st.Close()
		return nil, err
	}
	hub := live.NewHub()
	run := runner.New(runner.Config{
		Owner: owner, MaxParallel: cfg.Runner.MaxParallel, WorkDir: cfg.Runner.WorkDir,
		StopGracePeriod: cfg.Runner.StopGracePeriod, LeaseDuration: cfg.Runner.LeaseDuration,
		Env: taskEnv(),
	}, runner.Deps{
		Store: st, Executors: executors{host}, Workspaces: gitsrc.New(gitsrc.Config{Dir: cfg.Runner.RepoCacheDir, Log: log}),
		Secrets: box, Events: hub, Log: log,
	})
	svc := service.New(service.Deps{Store: st, Runner: run, Apps: apps{host}, Sealer: box, Log: log})
	run.OnFinish(svc.TaskFinished)
	sched, err := newScheduler(cfg, st, svc, log)
	if err != nil {
		_ = st.Close()
		return nil, err
	}
	return &App{cfg: cfg, log: log, Store: st, Services: svc, Host: host, Runner: run, Scheduler: sched, Hub: hub, box: box}, nil
}

// refreshStatistics keeps the planner statistics of the store fresh, every
// few seconds, until ctx ends.
func refreshStatistics(ctx context.Context, r store.StatisticsRefresher, log hclog.Logger) {
	every(ctx, 5*time.Second, func() {
		if err := r.RefreshStatistics(ctx); err != nil && ctx.Err() == nil {
			log.Warn("refreshing the database statistics failed", "error", err)
		}
	})
}

// StoragePlugins lists the storage plugins a configuration can select, by
// the name SIGNALBOX_STORE takes ("bolt" for signalbox-plugin-storage-bolt).
func StoragePlugins(cfg config.Config) ([]pluginhost.Spec, error) {
	specs := pluginSpecs(cfg)
	found, err := pluginhost.ListStorage(cfg.PluginDir, specs)
	for i := range found {
		found[i].Name = strings.TrimPrefix(found[i].Name, pluginhost.StoragePrefix)
	}
	return found, err
}

// pluginSpecs are the plugins the configuration names explicitly.
func pluginSpecs(cfg config.Config) []pluginhost.Spec {
	specs := make([]pluginhost.Spec, 0, len(cfg.Plugins))
	for _, p := range cfg.Plugins {
		specs = append(specs, pluginhost.Spec(p))
	}
	return specs
}

// NewHost returns the plugin host for a configuration.
func NewHost(cfg config.Config, log hclog.Logger) (*pluginhost.Host, error) {
	specs := pluginSpecs(cfg)
	return pluginhost.New(pluginhost.Config{Dir: cfg.PluginDir, Plugins: specs, Env: pluginEnv(), Log: log})
}

// pluginEnv is the whole environment of a plugin process: a few harmless
// variables and those meant for plugins (SIGNALBOX_PLUGIN_*, such as
// SIGNALBOX_PLUGIN_LOG_LEVEL or SIGNALBOX_PLUGIN_TERRAFORM_BINARY), never
// the server's own settings or secrets.
func pluginEnv() []string {
	var env []string
	for _, k := range []string{"PATH", "HOME", "USER", "LANG", "LC_ALL", "TZ", "TMPDIR", "SSL_CERT_FILE", "SSL_CERT_DIR"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "SIGNALBOX_PLUGIN_") {
			env = append(env, kv)
		}
	}
	return env
}

// taskEnv is the base environment of every task.
func taskEnv() map[string]string { return map[string]string{} }

func openBox(cfg config.Config, log hclog.Logger) (*secretbox.Box, error) {
	var (
		id  string
		key []byte
		err error
	)
	if cfg.SecretKey != "" {
		if key, err = secretbox.ParseKey(cfg.SecretKey); err != nil {
			return nil, fmt.Errorf("secret_key: %w", err)
		}
		id = secretbox.KeyID(key)
	} else {
		var created bool
		path := filepath.Join(cfg.DataDir, "secret.key")
		if id, key, created, err = secretbox.LoadOrCreateKeyFile(path); err != nil {
			return nil, fmt.Errorf("secret key: %w", err)
		}
		if created {
			log.Info("generated the key that encrypts secrets at rest; back it up", "path", path)
		}
	}
	return secretbox.New(map[string][]byte{id: key}, id)
}

// nodeID returns this server's stable runner id, kept in the data folder.
func nodeID(dataDir string) (string, error) {
	path := filepath.Join(dataDir, "node-id")
	if b, err := os.ReadFile(path); err == nil && len(strings.TrimSpace(string(b))) > 0 {
		return strings.TrimSpace(string(b)), nil
	}
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	host, _ := os.Hostname()
	id := fmt.Sprintf("%s-%s", host, hex.EncodeToString(b))
	if err := os.WriteFile(path, []byte(id+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("write node id: %w", err)
	}
	return id, nil
}

// EnsureAdmin creates the first admin on an empty database and says how
// to log in.
func (a *App) EnsureAdmin(ctx context.Context, url string) error {
	created, generated, err := a.Services.EnsureAdmin(ctx, a.cfg.Admin.Login, a.cfg.Admin.Email, a.cfg.Admin.Password)
	if err != nil {
		return err
	}
	if created {
		pw := "(the password from SIGNALBOX_ADMIN_PASSWORD)"
		if generated != "" {
			pw = generated + "   (generated; shown only this once)"
		}
		fmt.Fprintf(os.Stdout, "\nCreated the first administrator.\n  URL:      %s\n  login:    %s\n  password: %s\n\n", url, a.cfg.Admin.Login, pw)
	}
	return nil
}

// Run serves until ctx is done, then shuts down in order: stop taking
// requests, stop tasks, stop plugins, close the store.
func (a *App) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", a.cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", a.cfg.Listen, err)
	}
	url := "http://" + displayAddr(ln.Addr().String())
	if err := a.EnsureAdmin(ctx, url); err != nil {
		_ = ln.Close()
		return err
	}
	handler := api.New(api.Config{Services: a.Services, Hub: a.Hub, Log: a.log, Version: Version,
		CookieSecure: a.cfg.CookieSecure, Health: a.Store.Ping, UI: uiHandler()})
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}

	runCtx, stopRunner := context.WithCancel(context.Background())
	runnerDone := make(chan error, 1)
	go func() { runnerDone <- a.Runner.Run(runCtx) }()
	if rc := (retention.Config{MaxTasksPerTemplate: a.cfg.Retention.MaxTasksPerTemplate,
		MaxAge: time.Duration(a.cfg.Retention.MaxDays) * 24 * time.Hour}); rc.Enabled() {
		go retention.New(rc, a.Store, a.log).Run(runCtx)
	}
	if r, ok := a.Store.(store.StatisticsRefresher); ok {
		go refreshStatistics(runCtx, r, a.log)
	}
	schedulerDone := make(chan struct{})
	go func() { defer close(schedulerDone); a.Scheduler.Run(runCtx) }()
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	a.log.Info("signalbox is running", "url", url, "version", Version, "store", a.cfg.Store.Driver, "plugins", a.cfg.PluginDir)
	fmt.Fprintf(os.Stdout, "Signalbox %s is listening on %s\n", Version, url)
	// Start-up is over: its garbage goes back to the system now, and the
	// heap of later bursts whenever the server is idle.
	go newMemoryReleaser(func() bool { return a.Runner.Running() > 0 }).run(runCtx, 2*time.Second)

	select {
	case <-ctx.Done():
	case err = <-serveErr:
	case err = <-runnerDone:
		if err != nil {
			err = fmt.Errorf("runner: %w", err)
		}
	}
	a.log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), a.cfg.Runner.StopGracePeriod+10*time.Second)
	defer cancel()
	_ = srv.Shutdown(sctx)
	stopRunner()
	<-schedulerDone
	a.Runner.Shutdown(sctx)
	a.Host.Shutdown()
	if cerr := a.Store.Close(); cerr != nil && err == nil {
		err = cerr
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

func displayAddr(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if host == "" || host == "::" || host == "0.0.0.0" {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}

// Close releases what New opened, for commands that do not Run.
func (a *App) Close() {
	a.Host.Shutdown()
	_ = a.Store.Close()
}

// CopyStore copies everything from the store of one configuration into the
// store of another (see package storecopy) and returns what the target
// holds, by kind.
func CopyStore(ctx context.Context, from, to config.Config, force bool, log hclog.Logger) (string, error) {
	src, err := OpenStore(ctx, from, log)
	if err != nil {
		return "", err
	}
	defer src.Close()
	dst, err := OpenStore(ctx, to, log)
	if err != nil {
		return "", err
	}
	defer dst.Close()
	counts, err := storecopy.Copy(ctx, src, dst, storecopy.Options{Force: force, Log: log})
	if err != nil {
		return "", err
	}
	return counts.String(), nil
}
