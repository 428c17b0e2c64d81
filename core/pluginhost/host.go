// Package pluginhost finds, launches, supervises and stops plugin processes.
//
// Plugins are binaries named signalbox-plugin-<name>, found in a plugins
// directory or named in the configuration, optionally pinned by SHA-256. A
// plugin is started on first use and reused for every task after; if it
// crashes, the host starts it again with exponential backoff. Shutdown kills
// them all.
package pluginhost

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"

	"github.com/signalbox/signalbox/core/model"
	"github.com/signalbox/signalbox/sdk/executor"
	"github.com/signalbox/signalbox/sdk/host"
	"github.com/signalbox/signalbox/sdk/plugin"
)

// Spec names one plugin binary.
type Spec struct {
	// Name is the plugin's name: the binary name without the prefix.
	Name string `json:"name" yaml:"name"`
	// Path is the binary's path.
	Path string `json:"path" yaml:"path"`
	// SHA256 pins the binary (hex). Empty means not pinned.
	SHA256 string `json:"sha256" yaml:"sha256"`
}

// Config configures a Host.
type Config struct {
	// Dir is searched for signalbox-plugin-* binaries. Empty means none.
	Dir string
	// Plugins are named explicitly; they override a binary of the same name in Dir.
	Plugins []Spec
	// Env is the whole environment a plugin process gets: plugins never
	// inherit the server's environment.
	Env []string
	// Log is the parent logger; each plugin logs under its name.
	Log hclog.Logger
	// MinBackoff and MaxBackoff bound the wait before restarting a crashed
	// plugin. Defaults: 200ms and 30s.
	MinBackoff, MaxBackoff time.Duration
	// StartTimeout bounds a plugin's start and handshake. Default: 10s.
	StartTimeout time.Duration
	// KillGrace bounds a plugin's graceful shutdown before it is killed.
	// Default: 15s (the executor SDK gives its tasks 10s to stop).
	KillGrace time.Duration
}

// ErrNoExecutor is returned when no plugin serves an app.
var ErrNoExecutor = errors.New("no executor plugin serves this app")

// Host manages plugin processes. It is safe for concurrent use.
type Host struct {
	cfg Config
	log hclog.Logger

	mu      sync.Mutex
	plugins map[string]*instance
	closed  bool
	// sockets holds the plugins' Unix sockets (see host.Launch).
	sockets host.SocketDir
}

// New discovers plugins and returns a host. No plugin is started yet.
func New(cfg Config) (*Host, error) {
	if cfg.Log == nil {
		cfg.Log = hclog.NewNullLogger()
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = 200 * time.Millisecond
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 30 * time.Second
	}
	if cfg.StartTimeout <= 0 {
		cfg.StartTimeout = 10 * time.Second
	}
	if cfg.KillGrace <= 0 {
		cfg.KillGrace = 15 * time.Second
	}
	h := &Host{cfg: cfg, log: cfg.Log.Named("pluginhost"), plugins: map[string]*instance{}}
	specs, err := Discover(cfg.Dir, cfg.Plugins)
	if err != nil {
		return nil, err
	}
	for _, s := range specs {
		if strings.HasPrefix(s.Name, StoragePrefix) {
			continue // a storage plugin: see OpenStorage
		}
		h.plugins[s.Name] = &instance{spec: s, host: h, log: h.log.Named(s.Name)}
	}
	return h, nil
}

// Discover lists the plugins in dir plus the explicit specs, sorted by name.
func Discover(dir string, explicit []Spec) ([]Spec, error) {
	byName := map[string]Spec{}
	if dir != "" {
		entries, err := os.ReadDir(dir)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("read plugin dir %s: %w", dir, err)
		}
		for _, e := range entries {
			name, ok := strings.CutPrefix(e.Name(), plugin.BinaryPrefix)
			if !ok || name == "" || e.IsDir() {
				continue
			}
			info, err := e.Info()
			if err != nil || info.Mode()&0o111 == 0 {
				continue
			}
			byName[name] = Spec{Name: name, Path: filepath.Join(dir, e.Name())}
		}
	}
	for _, s := range explicit {
		if s.Name == "" || s.Path == "" {
			return nil, fmt.Errorf("plugin entry %+v: name and path are required", s)
		}
		byName[s.Name] = s
	}
	out := make([]Spec, 0, len(byName))
	for _, s := range byName {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Plugin is what the host knows of one plugin.
type Plugin struct {
	Spec
	Description executor.Description
	// Err is set when the plugin could not be started or described.
	Err error
}

// List starts every plugin that has not been described yet, and returns
// them all with their descriptions.
func (h *Host) List(ctx context.Context) []Plugin {
	h.mu.Lock()
	insts := make([]*instance, 0, len(h.plugins))
	for _, p := range h.plugins {
		insts = append(insts, p)
	}
	h.mu.Unlock()
	sort.Slice(insts, func(i, j int) bool { return insts[i].spec.Name < insts[j].spec.Name })
	out := make([]Plugin, len(insts))
	var wg sync.WaitGroup
	for i, p := range insts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			desc, err := p.describe(ctx)
			out[i] = Plugin{Spec: p.spec, Description: desc, Err: err}
		}()
	}
	wg.Wait()
	return out
}

// Apps returns every app the plugins serve, with the plugin serving it.
func (h *Host) Apps(ctx context.Context) map[string]AppInfo {
	apps := map[string]AppInfo{}
	for _, p := range h.List(ctx) {
		if p.Err != nil {
			continue
		}
		for _, a := range p.Description.Apps {
			if _, dup := apps[a.ID]; !dup {
				apps[a.ID] = AppInfo{App: a, Plugin: p.Name, PluginVersion: p.Description.Version}
			}
		}
	}
	return apps
}

// AppInfo is an app and the plugin that serves it.
type AppInfo struct {
	executor.App
	Plugin        string
	PluginVersion string
}

// Executor returns a client of the plugin serving app, starting it if
// needed. The client stays valid until the plugin exits; callers take a new
// one per task.
func (h *Host) Executor(ctx context.Context, app string) (*executor.Client, error) {
	info, ok := h.Apps(ctx)[app]
	if !ok {
		return nil, model.Unprocessablef("%v: %q", ErrNoExecutor, app)
	}
	h.mu.Lock()
	p := h.plugins[info.Plugin]
	h.mu.Unlock()
	c, _, err := p.client(ctx)
	return c, err
}

// Shutdown kills every plugin process and waits for them to exit.
func (h *Host) Shutdown() {
	h.mu.Lock()
	h.closed = true
	insts := make([]*instance, 0, len(h.plugins))
	for _, p := range h.plugins {
		insts = append(insts, p)
	}
	h.mu.Unlock()
	var wg sync.WaitGroup
	for _, p := range insts {
		wg.Add(1)
		go func() { defer wg.Done(); p.kill() }()
	}
	wg.Wait()
	_ = h.sockets.Remove()
}

func (h *Host) isClosed() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.closed
}

// instance is one plugin and its process, if running.
type instance struct {
	spec Spec
	host *Host
	log  hclog.Logger

	mu        sync.Mutex
	proc      *goplugin.Client
	exec      *executor.Client
	desc      *executor.Description
	failures  int
	notBefore time.Time
	started   time.Time
}

func (p *instance) describe(ctx context.Context) (executor.Description, error) {
	_, desc, err := p.client(ctx)
	if err != nil {
		return executor.Description{}, err
	}
	return desc, nil
}

// client returns the running plugin's client, starting the plugin first if
// it is not running (waiting out the backoff after a crash).
func (p *instance) client(ctx context.Context) (*executor.Client, executor.Description, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.host.isClosed() {
		return nil, executor.Description{}, model.Unavailablef("plugin host is shut down")
	}
	if p.proc != nil && !p.proc.Exited() {
		return p.exec, *p.desc, nil
	}
	if wait := time.Until(p.notBefore); wait > 0 {
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, executor.Description{}, ctx.Err()
		case <-t.C:
		}
	}
	if err := p.start(ctx); err != nil {
		p.failed()
		return nil, executor.Description{}, err
	}
	return p.exec, *p.desc, nil
}

// failed records a crash or failed start and sets the backoff.
func (p *instance) failed() {
	// A plugin that ran fine for a minute starts its backoff afresh.
	if !p.started.IsZero() && time.Since(p.started) > time.Minute {
		p.failures = 0
	}
	p.failures++
	backoff := p.host.cfg.MinBackoff << min(p.failures-1, 16)
	if backoff > p.host.cfg.MaxBackoff || backoff <= 0 {
		backoff = p.host.cfg.MaxBackoff
	}
	p.notBefore = time.Now().Add(backoff)
}

func (p *instance) start(ctx context.Context) error {
	proc, rpc, err := dial(p.spec, "plugin", &p.host.sockets, host.Launch{
		Env: p.host.cfg.Env, Handshake: executor.Handshake, Sets: host.ExecutorSets(),
		Log: p.log, StartTimeout: p.host.cfg.StartTimeout,
	})
	if err != nil {
		return model.Unavailablef("%v", err)
	}
	raw, err := rpc.Dispense(executor.PluginName)
	if err != nil {
		proc.Kill()
		return model.Unavailablef("plugin %s: not an executor plugin: %v", p.spec.Name, err)
	}
	c, ok := raw.(*executor.Client)
	if !ok {
		proc.Kill()
		return model.Unavailablef("plugin %s: dispensed %T", p.spec.Name, raw)
	}
	dctx, cancel := context.WithTimeout(ctx, p.host.cfg.StartTimeout)
	defer cancel()
	desc, err := c.Describe(dctx)
	if err != nil {
		proc.Kill()
		return model.Unavailablef("plugin %s: describe: %v", p.spec.Name, err)
	}
	p.proc, p.exec, p.desc, p.started = proc, c, &desc, time.Now()
	p.log.Info("plugin started", "path", p.spec.Path, "version", desc.Version,
		"protocol", proc.NegotiatedVersion(), "pid", pidOf(proc))
	go p.supervise(proc, c)
	return nil
}

func pidOf(c *goplugin.Client) int {
	if rc := c.ReattachConfig(); rc != nil {
		return rc.Pid
	}
	return 0
}

// supervise waits for the process to exit. An exit the host did not ask for
// is a crash: it is logged, and the plugin restarted after the backoff so
// that the next task finds it ready.
func (p *instance) supervise(proc *goplugin.Client, c *executor.Client) {
	<-c.Exited()
	p.mu.Lock()
	current := p.proc == proc
	if current {
		p.proc, p.exec = nil, nil
	}
	closed := p.host.isClosed()
	if current && !closed {
		p.failed()
		p.log.Error("plugin exited unexpectedly; restarting after backoff", "failures", p.failures,
			"backoff", time.Until(p.notBefore).Round(time.Millisecond).String())
	}
	p.mu.Unlock()
	if !current || closed {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), p.host.cfg.MaxBackoff+p.host.cfg.StartTimeout)
	defer cancel()
	if _, _, err := p.client(ctx); err != nil {
		p.log.Error("plugin restart failed", "error", err)
	}
}

func (p *instance) kill() {
	p.mu.Lock()
	proc := p.proc
	p.proc, p.exec = nil, nil
	p.mu.Unlock()
	if proc != nil {
		killWithin(proc, p.host.cfg.KillGrace)
	}
}

// killWithin asks a plugin to shut down (so that an executor stops its
// tasks), and kills it if it has not exited within grace: go-plugin's Kill
// alone waits forever for a plugin that hangs.
func killWithin(proc *goplugin.Client, grace time.Duration) {
	done := make(chan struct{})
	go func() {
		proc.Kill()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(grace):
		killNow(proc)
		<-done
	}
}
