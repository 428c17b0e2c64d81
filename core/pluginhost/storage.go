package pluginhost

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"

	"github.com/signalbox/signalbox/sdk/host"
	"github.com/signalbox/signalbox/sdk/plugin"
	"github.com/signalbox/signalbox/sdk/storage"
)

// StoragePrefix starts the name of every storage plugin: the binary of the
// storage plugin "bolt" is signalbox-plugin-storage-bolt. The executor
// host leaves these binaries alone.
const StoragePrefix = "storage-"

// FindStorage returns the spec of the storage plugin name, from the
// explicit specs (named storage-<name>) or dir.
func FindStorage(dir string, explicit []Spec, name string) (Spec, error) {
	specs, err := ListStorage(dir, explicit)
	if err != nil {
		return Spec{}, err
	}
	for _, s := range specs {
		if s.Name == StoragePrefix+name {
			return s, nil
		}
	}
	return Spec{}, fmt.Errorf("no storage plugin %q: want a binary %s%s%s in %s, or a plugins entry named %s%s",
		name, plugin.BinaryPrefix, StoragePrefix, name, dir, StoragePrefix, name)
}

// ListStorage returns the storage plugins in dir and the explicit specs.
func ListStorage(dir string, explicit []Spec) ([]Spec, error) {
	specs, err := Discover(dir, explicit)
	if err != nil {
		return nil, err
	}
	var out []Spec
	for _, s := range specs {
		if strings.HasPrefix(s.Name, StoragePrefix) {
			out = append(out, s)
		}
	}
	return out, nil
}

// StorageConfig configures a storage plugin process.
type StorageConfig struct {
	Spec Spec
	// Open is what the plugin opens.
	Open storage.Config
	// Env is the plugin's whole environment.
	Env []string
	Log hclog.Logger
	// CallTimeout bounds every call; a plugin that does not answer in time
	// is killed and started again. Default 10s.
	CallTimeout time.Duration
	// StartTimeout bounds a start, handshake and Open. Default 10s.
	StartTimeout time.Duration
	// RestartEvery is the least time between two restarts; calls in
	// between fail at once. Default 1s.
	RestartEvery time.Duration
}

// StorageBackend is a storage.Backend served by a plugin process that it
// supervises: when the process dies or hangs, calls fail fast with
// storage.ErrUnavailable (which the API answers with 503) and the next
// call after RestartEvery starts it again. Whatever the plugin applied
// before it died stays applied: batches are atomic in the backend. It is
// safe for concurrent use.
type StorageBackend struct {
	cfg StorageConfig
	log hclog.Logger

	mu          sync.Mutex
	proc        *goplugin.Client
	client      *storage.Client
	lastStart   time.Time
	lastErr     error
	closed      bool
	description storage.Description
	// sockets holds the plugin's Unix socket (see host.Launch).
	sockets host.SocketDir
}

var _ storage.Backend = (*StorageBackend)(nil)

// OpenStorage starts a storage plugin and opens its store.
func OpenStorage(ctx context.Context, cfg StorageConfig) (*StorageBackend, error) {
	if cfg.Log == nil {
		cfg.Log = hclog.NewNullLogger()
	}
	if cfg.CallTimeout <= 0 {
		cfg.CallTimeout = 10 * time.Second
	}
	if cfg.StartTimeout <= 0 {
		cfg.StartTimeout = 10 * time.Second
	}
	if cfg.RestartEvery <= 0 {
		cfg.RestartEvery = time.Second
	}
	b := &StorageBackend{cfg: cfg, log: cfg.Log.Named(cfg.Spec.Name)}
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.start(ctx); err != nil {
		return nil, err
	}
	return b, nil
}

// Description is what the plugin said of itself.
func (b *StorageBackend) Description() storage.Description {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.description
}

// Pid is the plugin process's pid, 0 when none runs.
func (b *StorageBackend) Pid() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.proc == nil {
		return 0
	}
	return pidOf(b.proc)
}

func unavailable(format string, args ...any) error {
	return fmt.Errorf("%w: %s", storage.ErrUnavailable, fmt.Sprintf(format, args...))
}

// start launches the plugin and opens the store; b.mu is held.
func (b *StorageBackend) start(ctx context.Context) error {
	b.lastStart = time.Now()
	spec := b.cfg.Spec
	proc, rpc, err := dial(spec, "storage plugin", &b.sockets, host.Launch{
		Env: b.cfg.Env, Handshake: storage.Handshake, Sets: host.StorageSets(),
		Log: b.log, StartTimeout: b.cfg.StartTimeout,
	})
	if err != nil {
		if isConfigError(err) {
			return err
		}
		return unavailable("%v", err)
	}
	raw, err := rpc.Dispense(storage.PluginName)
	if err != nil {
		proc.Kill()
		return fmt.Errorf("storage plugin %s: not a storage plugin: %v", spec.Name, err)
	}
	c, ok := raw.(*storage.Client)
	if !ok {
		proc.Kill()
		return fmt.Errorf("storage plugin %s: dispensed %T", spec.Name, raw)
	}
	octx, cancel := context.WithTimeout(ctx, b.cfg.StartTimeout)
	defer cancel()
	desc, err := c.Describe(octx)
	if err == nil {
		_, err = c.Open(octx, b.cfg.Open)
	}
	if err != nil {
		proc.Kill()
		return fmt.Errorf("storage plugin %s: open: %w", spec.Name, err)
	}
	b.proc, b.client, b.description, b.lastErr = proc, c, desc, nil
	b.log.Info("storage plugin started", "path", spec.Path, "version", desc.Version, "pid", pidOf(proc))
	return nil
}

// current returns the client of the running plugin, restarting a dead one
// at most once per RestartEvery.
func (b *StorageBackend) current(ctx context.Context) (*storage.Client, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, unavailable("storage plugin %s is closed", b.cfg.Spec.Name)
	}
	if b.client != nil {
		select {
		case <-b.client.Exited():
			b.log.Error("storage plugin exited unexpectedly")
			b.stopLocked()
			b.lastErr = unavailable("storage plugin %s exited", b.cfg.Spec.Name)
		default:
			return b.client, nil
		}
	}
	if time.Since(b.lastStart) < b.cfg.RestartEvery {
		return nil, b.lastErr
	}
	b.log.Warn("restarting the storage plugin")
	if err := b.start(ctx); err != nil {
		b.lastErr = unavailable("storage plugin %s: restart failed: %v", b.cfg.Spec.Name, err)
		return nil, b.lastErr
	}
	return b.client, nil
}

// stopLocked kills the process at once (go-plugin's Kill first asks the
// plugin to shut down, and waits forever for a plugin that hangs); b.mu is
// held. Whatever the plugin applied is durable: batches are atomic there.
func (b *StorageBackend) stopLocked() {
	if b.proc != nil {
		killNow(b.proc)
	}
	b.proc, b.client = nil, nil
}

// failed handles a call's error: a plugin that hung or broke the
// connection is killed, so that the next call after RestartEvery starts it
// again.
func (b *StorageBackend) failed(c *storage.Client, err error) error {
	if err == nil || !errors.Is(err, storage.ErrUnavailable) && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.client == c {
		b.log.Error("storage plugin failed; killing it", "error", err)
		b.stopLocked()
		b.lastErr = unavailable("storage plugin %s failed: %v", b.cfg.Spec.Name, err)
	}
	if !errors.Is(err, storage.ErrUnavailable) {
		err = fmt.Errorf("%w: %w", storage.ErrUnavailable, err)
	}
	return err
}

// killNow kills a plugin process at once, then lets go-plugin clean up:
// go-plugin's Kill alone first asks the plugin to shut down and waits, with
// no deadline, for a plugin that may hang. (Not for executors: they must
// stop their tasks' processes on the way out.)
func killNow(c *goplugin.Client) {
	if pid := pidOf(c); pid > 0 {
		if p, err := os.FindProcess(pid); err == nil {
			_ = p.Kill()
		}
	}
	c.Kill()
}

// call runs fn on the current client with the call timeout.
func call[T any](ctx context.Context, b *StorageBackend, fn func(ctx context.Context, c *storage.Client) (T, error)) (T, error) {
	c, err := b.current(ctx)
	if err != nil {
		var zero T
		return zero, err
	}
	cctx, cancel := context.WithTimeout(ctx, b.cfg.CallTimeout)
	defer cancel()
	v, err := fn(cctx, c)
	if err != nil && ctx.Err() == nil && cctx.Err() != nil {
		err = fmt.Errorf("%w: storage plugin %s did not answer in %s", storage.ErrUnavailable, b.cfg.Spec.Name, b.cfg.CallTimeout)
	}
	return v, b.failed(c, err)
}

// Get implements storage.Backend.
func (b *StorageBackend) Get(ctx context.Context, bucket string, keys [][]byte) ([][]byte, error) {
	return call(ctx, b, func(ctx context.Context, c *storage.Client) ([][]byte, error) { return c.Get(ctx, bucket, keys) })
}

// Scan implements storage.Backend.
func (b *StorageBackend) Scan(ctx context.Context, req storage.ScanRequest) (storage.ScanResult, error) {
	return call(ctx, b, func(ctx context.Context, c *storage.Client) (storage.ScanResult, error) { return c.Scan(ctx, req) })
}

// Apply implements storage.Backend.
func (b *StorageBackend) Apply(ctx context.Context, batch storage.Batch) (storage.BatchResult, error) {
	return call(ctx, b, func(ctx context.Context, c *storage.Client) (storage.BatchResult, error) { return c.Apply(ctx, batch) })
}

// NextID implements storage.Backend.
func (b *StorageBackend) NextID(ctx context.Context, collection string, count, atLeast uint64) (uint64, error) {
	return call(ctx, b, func(ctx context.Context, c *storage.Client) (uint64, error) {
		return c.NextID(ctx, collection, count, atLeast)
	})
}

// Health implements storage.Backend.
func (b *StorageBackend) Health(ctx context.Context) error {
	_, err := call(ctx, b, func(ctx context.Context, c *storage.Client) (struct{}, error) { return struct{}{}, c.Health(ctx) })
	return err
}

// Close closes the store (the plugin flushes and closes its file) and
// stops the plugin process.
func (b *StorageBackend) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil
	}
	b.closed = true
	var err error
	if b.client != nil {
		err = b.client.Close()
	}
	b.stopLocked()
	_ = b.sockets.Remove()
	return err
}
