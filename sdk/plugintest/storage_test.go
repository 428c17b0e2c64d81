package plugintest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/signalbox/signalbox/sdk/storage"
	"github.com/signalbox/signalbox/sdk/storage/memory"
)

// openStorage serves p in-process and opens it.
func openStorage(t *testing.T, p storage.Plugin) *storage.Client {
	t.Helper()
	c := Storage(t, p)
	if _, err := c.Open(t.Context(), storage.Config{DSN: "test"}); err != nil {
		t.Fatalf("Open() error = %v", err)
	}
	return c
}

func TestStorage_Conformance(t *testing.T) {
	StorageConformance(t, func(t *testing.T) storage.Backend {
		return openStorage(t, memory.Plugin{})
	})
}

// hookPlugin opens a hookBackend, or fails with openErr.
type hookPlugin struct {
	openErr error
	opens   atomic.Int32
	b       *hookBackend
}

func (p *hookPlugin) Describe(context.Context) (storage.Description, error) {
	return storage.Description{Name: "hook", Version: "1"}, nil
}

func (p *hookPlugin) Open(_ context.Context, cfg storage.Config) (storage.Backend, error) {
	p.opens.Add(1)
	if p.openErr != nil {
		return nil, p.openErr
	}
	if cfg.DSN != "test" || cfg.Settings["k"] != "v" {
		return nil, fmt.Errorf("%w: config %+v", storage.ErrInvalid, cfg)
	}
	return p.b, nil
}

// hookBackend is a memory backend whose calls can be intercepted.
type hookBackend struct {
	*memory.Backend
	scan   func(storage.ScanRequest)
	get    func(ctx context.Context) error
	apply  func(ctx context.Context) error
	closed func()
}

func newHookBackend() *hookBackend { return &hookBackend{Backend: memory.New()} }

func (b *hookBackend) Get(ctx context.Context, bucket string, keys [][]byte) ([][]byte, error) {
	if b.get != nil {
		if err := b.get(ctx); err != nil {
			return nil, err
		}
	}
	return b.Backend.Get(ctx, bucket, keys)
}

func (b *hookBackend) Scan(ctx context.Context, req storage.ScanRequest) (storage.ScanResult, error) {
	if b.scan != nil {
		b.scan(req)
	}
	return b.Backend.Scan(ctx, req)
}

func (b *hookBackend) Apply(ctx context.Context, batch storage.Batch) (storage.BatchResult, error) {
	if b.apply != nil {
		if err := b.apply(ctx); err != nil {
			return storage.BatchResult{}, err
		}
	}
	return b.Backend.Apply(ctx, batch)
}

func (b *hookBackend) Close() error {
	if b.closed != nil {
		b.closed()
	}
	return b.Backend.Close()
}

var testConfig = storage.Config{DSN: "test", Settings: map[string]string{"k": "v"}}

func TestStorage_Protocol(t *testing.T) {
	t.Parallel()

	t.Run("describe answers before open and other calls fail with ErrNotOpen", func(t *testing.T) {
		t.Parallel()
		c := Storage(t, &hookPlugin{b: newHookBackend()})
		d, err := c.Describe(t.Context())
		if err != nil || d.Name != "hook" || d.Version != "1" {
			t.Fatalf("Describe() = %+v, %v", d, err)
		}
		if _, err := c.Get(t.Context(), "b", [][]byte{[]byte("k")}); !errors.Is(err, storage.ErrNotOpen) {
			t.Errorf("Get() before Open error = %v, want ErrNotOpen", err)
		}
		if err := c.Health(t.Context()); !errors.Is(err, storage.ErrNotOpen) {
			t.Errorf("Health() before Open error = %v, want ErrNotOpen", err)
		}
	})

	t.Run("open passes the config, returns the client and happens once", func(t *testing.T) {
		t.Parallel()
		p := &hookPlugin{b: newHookBackend()}
		c := Storage(t, p)
		b, err := c.Open(t.Context(), testConfig)
		if err != nil || b != storage.Backend(c) {
			t.Fatalf("Open() = %v, %v; want the client itself", b, err)
		}
		if err := c.Health(t.Context()); err != nil {
			t.Errorf("Health() = %v", err)
		}
		if _, err := c.Open(t.Context(), testConfig); err == nil {
			t.Error("a second Open() succeeded, want an error")
		}
		if n := p.opens.Load(); n != 1 {
			t.Errorf("the plugin was opened %d times, want 1", n)
		}
	})

	t.Run("open errors keep their class and a failed open may be retried", func(t *testing.T) {
		t.Parallel()
		for _, class := range []error{storage.ErrInvalid, storage.ErrUnavailable} {
			p := &hookPlugin{b: newHookBackend(), openErr: fmt.Errorf("%w: no", class)}
			c := Storage(t, p)
			if _, err := c.Open(t.Context(), testConfig); !errors.Is(err, class) {
				t.Errorf("Open() error = %v, want %v", err, class)
			}
			p.openErr = nil
			if _, err := c.Open(t.Context(), testConfig); err != nil {
				t.Errorf("Open() after a failed one = %v", err)
			}
		}
		p := &hookPlugin{openErr: errors.New("disk on fire")}
		_, err := Storage(t, p).Open(t.Context(), testConfig)
		if err == nil || !strings.Contains(err.Error(), "disk on fire") ||
			errors.Is(err, storage.ErrInvalid) || errors.Is(err, storage.ErrUnavailable) {
			t.Errorf("Open() error = %v, want the plugin's message and no class", err)
		}
	})

	t.Run("scan requests cross the wire unchanged", func(t *testing.T) {
		t.Parallel()
		b := newHookBackend()
		var got []storage.ScanRequest
		b.scan = func(r storage.ScanRequest) { got = append(got, r) }
		c := Storage(t, &hookPlugin{b: b})
		if _, err := c.Open(t.Context(), testConfig); err != nil {
			t.Fatal(err)
		}
		reqs := []storage.ScanRequest{
			{Bucket: "b"},
			{Bucket: "b", Prefix: []byte("p\x00"), Start: []byte{0xff}, End: []byte{0}, Reverse: true, Limit: 7},
			// An empty but set End bounds the range below every key.
			{Bucket: "b", End: []byte{}},
		}
		for _, r := range reqs {
			if _, err := c.Scan(t.Context(), r); err != nil {
				t.Fatalf("Scan(%s) error = %v", fmtScan(r), err)
			}
		}
		for i, r := range reqs {
			g := got[i]
			if g.Bucket != r.Bucket || !bytes.Equal(g.Prefix, r.Prefix) || !bytes.Equal(g.Start, r.Start) ||
				!bytes.Equal(g.End, r.End) || (g.End == nil) != (r.End == nil) || g.Reverse != r.Reverse || g.Limit != r.Limit {
				t.Errorf("the plugin got %s (end nil: %v), want %s (end nil: %v)", fmtScan(g), g.End == nil, fmtScan(r), r.End == nil)
			}
		}
	})

	t.Run("a call past its deadline fails as unavailable and deadline exceeded", func(t *testing.T) {
		t.Parallel()
		b := newHookBackend()
		b.get = func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }
		c := Storage(t, &hookPlugin{b: b})
		if _, err := c.Open(t.Context(), testConfig); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
		defer cancel()
		_, err := c.Get(ctx, "b", [][]byte{[]byte("k")})
		if !errors.Is(err, storage.ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Get() error = %v, want ErrUnavailable and context.DeadlineExceeded", err)
		}
	})

	t.Run("a call cancelled by its caller fails with context.Canceled only", func(t *testing.T) {
		t.Parallel()
		b := newHookBackend()
		entered := make(chan struct{})
		b.get = func(ctx context.Context) error { close(entered); <-ctx.Done(); return ctx.Err() }
		c := Storage(t, &hookPlugin{b: b})
		if _, err := c.Open(t.Context(), testConfig); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		go func() { <-entered; cancel() }()
		_, err := c.Get(ctx, "b", [][]byte{[]byte("k")})
		if !errors.Is(err, context.Canceled) || errors.Is(err, storage.ErrUnavailable) {
			t.Errorf("Get() error = %v, want context.Canceled and not ErrUnavailable", err)
		}
	})

	t.Run("a panicking backend fails the call and keeps serving", func(t *testing.T) {
		t.Parallel()
		b := newHookBackend()
		b.apply = func(context.Context) error { panic("boom") }
		c := Storage(t, &hookPlugin{b: b})
		if _, err := c.Open(t.Context(), testConfig); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Apply(t.Context(), storage.Batch{}); err == nil || !strings.Contains(err.Error(), "boom") {
			t.Errorf("Apply() error = %v, want the panic", err)
		}
		if err := c.Health(t.Context()); err != nil {
			t.Errorf("Health() after a panic = %v", err)
		}
	})

	t.Run("close waits for the calls in progress", func(t *testing.T) {
		t.Parallel()
		b := newHookBackend()
		var inFlight atomic.Int32
		entered, release := make(chan struct{}), make(chan struct{})
		b.apply = func(context.Context) error {
			inFlight.Add(1)
			close(entered)
			<-release
			inFlight.Add(-1)
			return nil
		}
		var openAtClose atomic.Int32
		b.closed = func() { openAtClose.Store(inFlight.Load() + 1) }
		c := Storage(t, &hookPlugin{b: b})
		if _, err := c.Open(t.Context(), testConfig); err != nil {
			t.Fatal(err)
		}
		applied := make(chan error, 1)
		go func() { _, err := c.Apply(context.Background(), storage.Batch{}); applied <- err }()
		<-entered
		closed := make(chan error, 1)
		go func() { closed <- c.Close() }()
		// Give Close a chance to overtake the Apply: it must not.
		time.Sleep(50 * time.Millisecond)
		close(release)
		if err := <-applied; err != nil {
			t.Errorf("Apply() error = %v", err)
		}
		if err := <-closed; err != nil {
			t.Errorf("Close() error = %v", err)
		}
		if n := openAtClose.Load(); n != 1 {
			t.Errorf("the backend was closed with %d calls in progress, want 0", n-1)
		}
	})

	t.Run("after the plugin exits calls fail with ErrUnavailable and close is a no-op", func(t *testing.T) {
		t.Parallel()
		b := newHookBackend()
		var once sync.Once
		closedByShutdown := make(chan struct{})
		b.closed = func() { once.Do(func() { close(closedByShutdown) }) }
		c, pc := serveStorage(t, &hookPlugin{b: b})
		if _, err := c.Open(t.Context(), testConfig); err != nil {
			t.Fatal(err)
		}
		pc.Kill()
		select {
		case <-c.Exited():
		case <-time.After(10 * time.Second):
			t.Fatal("the client did not see the plugin exit")
		}
		select {
		case <-closedByShutdown:
		default:
			t.Error("the plugin exited without closing its store")
		}
		if _, err := c.Get(t.Context(), "b", [][]byte{[]byte("k")}); !errors.Is(err, storage.ErrUnavailable) {
			t.Errorf("Get() after the plugin exited error = %v, want ErrUnavailable", err)
		}
		if _, err := c.Apply(t.Context(), storage.Batch{}); !errors.Is(err, storage.ErrUnavailable) {
			t.Errorf("Apply() after the plugin exited error = %v, want ErrUnavailable", err)
		}
		if err := c.Close(); err != nil {
			t.Errorf("Close() after the plugin exited = %v, want nil", err)
		}
	})

	t.Run("a batch larger than the transport carries fails with ErrInvalid", func(t *testing.T) {
		if testing.Short() {
			t.Skip("allocates 130 MiB: skipped with -short")
		}
		c := openStorage(t, memory.Plugin{})
		batch := storage.Batch{Ops: []storage.Op{{Kind: storage.Put, Bucket: "b", Key: []byte("k"), Value: make([]byte, 2*storage.MaxBatchBytes+1)}}}
		if _, err := c.Apply(t.Context(), batch); !errors.Is(err, storage.ErrInvalid) {
			t.Errorf("Apply() of %d bytes error = %v, want ErrInvalid", storage.BatchBytes(batch), err)
		}
		if err := c.Health(t.Context()); err != nil {
			t.Errorf("Health() after a refused batch = %v", err)
		}
	})
}
