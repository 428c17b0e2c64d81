package pluginhost_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/signalbox/signalbox/core/pluginhost"
	"github.com/signalbox/signalbox/sdk/plugintest"
	"github.com/signalbox/signalbox/sdk/storage"
)

func openBolt(t *testing.T, bin, dsn string) *pluginhost.StorageBackend {
	t.Helper()
	b, err := pluginhost.OpenStorage(t.Context(), pluginhost.StorageConfig{
		Spec:         pluginhost.Spec{Name: "storage-bolt", Path: bin},
		Open:         storage.Config{DSN: dsn},
		CallTimeout:  time.Second,
		RestartEvery: 100 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

func put(ctx context.Context, b storage.Backend, k, v string) error {
	res, err := b.Apply(ctx, storage.Batch{Ops: []storage.Op{{Kind: storage.Put, Bucket: "b", Key: []byte(k), Value: []byte(v)}}})
	if err == nil && !res.Applied {
		err = errors.New("not applied")
	}
	return err
}

// waitBack calls Health until the plugin answers again.
func waitBack(t *testing.T, b storage.Backend) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		err := b.Health(t.Context())
		if err == nil {
			return
		}
		if !errors.Is(err, storage.ErrUnavailable) {
			t.Fatalf("while the plugin restarts: %v, want ErrUnavailable", err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("the storage plugin did not come back: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitStopped waits until every thread of pid is stopped: a SIGSTOP takes
// effect only when each thread is next scheduled, and on a busy machine a
// thread may still answer a call in between.
func waitStopped(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
		if err != nil {
			t.Fatal(err)
		}
		running := 0
		for _, task := range tasks {
			st, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/stat", pid, task.Name()))
			// pid (comm) state ...: the state follows the last ')'.
			if i := bytes.LastIndexByte(st, ')'); err == nil && (i < 0 || i+2 >= len(st) || st[i+2] != 'T') {
				running++
			}
		}
		if running == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("plugin %d: %d threads still not stopped after SIGSTOP", pid, running)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestStorage_PluginFaults(t *testing.T) {
	bin := plugintest.Build(t, "../../plugins/storage-bolt", "storage-bolt")
	for name, fault := range map[string]func(t *testing.T, pid int){
		// A plugin that dies: calls fail fast, the next one after the
		// restart delay starts it again.
		"killed": func(t *testing.T, pid int) {
			if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
		},
		// A plugin that hangs (stopped, so it never answers): the call
		// times out, the plugin is killed and started again.
		"hung": func(t *testing.T, pid int) {
			if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
				t.Fatal(err)
			}
			waitStopped(t, pid)
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b := openBolt(t, bin, filepath.Join(t.TempDir(), "s.bolt"))
			ctx := t.Context()
			if err := put(ctx, b, "before", "1"); err != nil {
				t.Fatal(err)
			}
			pid := b.Pid()
			fault(t, pid)

			// The write fails with ErrUnavailable, or, if the host already
			// saw the plugin die and started it again, succeeds.
			start := time.Now()
			err := put(ctx, b, "during", "2")
			if err != nil && !errors.Is(err, storage.ErrUnavailable) {
				t.Fatalf("write to a %s plugin: %v, want ErrUnavailable or success", name, err)
			}
			acknowledged := err == nil
			if d := time.Since(start); d > 10*time.Second {
				t.Fatalf("a write to a %s plugin took %s to fail", name, d)
			}
			waitBack(t, b)
			// Killed or hung, the old process is replaced.
			if b.Pid() == pid || b.Pid() == 0 {
				t.Fatalf("plugin pid after the restart = %d, before %d", b.Pid(), pid)
			}
			vals, err := b.Get(ctx, "b", [][]byte{[]byte("before"), []byte("during")})
			if err != nil {
				t.Fatal(err)
			}
			if string(vals[0]) != "1" {
				t.Errorf("a write acknowledged before the %s plugin was lost: %q", name, vals[0])
			}
			// A failed write is there or not, never half; an acknowledged one is there.
			if (acknowledged && string(vals[1]) != "2") || (vals[1] != nil && string(vals[1]) != "2") {
				t.Errorf("the write during the fault (acknowledged: %t) left %q", acknowledged, vals[1])
			}
			if err := put(ctx, b, "after", "3"); err != nil {
				t.Fatalf("write after the restart: %v", err)
			}
		})
	}
}
