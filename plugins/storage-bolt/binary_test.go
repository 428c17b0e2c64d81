package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/signalbox/signalbox/sdk/plugintest"
	"github.com/signalbox/signalbox/sdk/storage"
)

// TestBolt_Binary builds signalbox-plugin-storage-bolt and drives it as the
// server does: a separate process behind go-plugin.
func TestBolt_Binary(t *testing.T) {
	t.Parallel()
	bin := plugintest.Build(t, ".", "storage-bolt")

	t.Run("the plugin keeps the storage contract", func(t *testing.T) {
		t.Parallel()
		plugintest.StorageConformance(t, func(t *testing.T) storage.Backend {
			c, _ := plugintest.LaunchStorage(t, bin, storage.Config{DSN: filepath.Join(t.TempDir(), "data.db")})
			return c
		})
	})

	t.Run("the plugin describes itself as bolt", func(t *testing.T) {
		t.Parallel()
		c, _ := plugintest.LaunchStoragePlugin(t, bin)
		d, err := c.Describe(t.Context())
		if err != nil || d.Name != "bolt" || d.Version != Version {
			t.Fatalf("Describe() = %+v, %v", d, err)
		}
	})

	t.Run("a second process opening the same file fails clearly within lock_timeout", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "data.db")
		first, _ := plugintest.LaunchStorage(t, bin, storage.Config{DSN: path})
		second, _ := plugintest.LaunchStoragePlugin(t, bin)
		cfg := storage.Config{DSN: path, Settings: map[string]string{"lock_timeout": "300ms"}}
		started := time.Now()
		_, err := second.Open(t.Context(), cfg)
		took := time.Since(started)
		if !errors.Is(err, storage.ErrUnavailable) || !strings.Contains(err.Error(), "locked by another process") {
			t.Fatalf("Open() of a file another plugin holds: %v; want ErrUnavailable saying it is locked", err)
		}
		if took > 5*time.Second {
			t.Errorf("Open() gave up after %v, want about the lock_timeout of 300ms", took)
		}
		// Once the first process lets go of the file, the second gets it.
		if err := first.Close(); err != nil {
			t.Fatalf("Close() of the first = %v", err)
		}
		if _, err := second.Open(t.Context(), cfg); err != nil {
			t.Fatalf("Open() once the first closed = %v", err)
		}
	})

	t.Run("a plugin killed mid-stream leaves every batch whole", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "crash.db")
		var counter uint64
		for round := range 5 {
			counter = crashRound(t, bin, path, counter, round)
		}
	})

	t.Run("a plugin closes its store and exits on SIGTERM", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "data.db")
		c, pc := plugintest.LaunchStorage(t, bin, storage.Config{DSN: path})
		if err := syscall.Kill(pc.ReattachConfig().Pid, syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		select {
		case <-c.Exited():
		case <-time.After(20 * time.Second):
			t.Fatal("the plugin did not exit after SIGTERM")
		}
		reopen(t, path)
	})

	t.Run("a plugin whose host dies closes its store and exits", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "data.db")
		host := exec.Command(os.Args[0], "-test.run=^TestBolt_HelperHost$", "-test.timeout=5m")
		host.Env = append(os.Environ(), helperEnv+"=1", helperBinEnv+"="+bin, helperDSNEnv+"="+path)
		host.Stderr = &bytes.Buffer{}
		out, err := host.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := host.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = host.Process.Kill(); _ = host.Wait() })
		pid := make(chan int, 1)
		go func() {
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				if p, ok := strings.CutPrefix(sc.Text(), "plugin pid "); ok {
					n, _ := strconv.Atoi(p)
					pid <- n
				}
			}
			close(pid)
		}()
		var plugin int
		select {
		case plugin = <-pid:
		case <-time.After(60 * time.Second):
		}
		if plugin <= 0 {
			_ = host.Process.Kill()
			_ = host.Wait()
			t.Fatalf("the helper host did not start the plugin; its stderr:\n%s", host.Stderr)
		}
		// The host dies without a word to its plugin.
		if err := host.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		_ = host.Wait()
		deadline := time.Now().Add(20 * time.Second)
		for processAlive(plugin) {
			if time.Now().After(deadline) {
				_ = syscall.Kill(plugin, syscall.SIGKILL)
				t.Fatalf("the plugin (pid %d) still runs 20s after its host died", plugin)
			}
			time.Sleep(20 * time.Millisecond)
		}
		reopen(t, path)
	})
}

// The environment of TestBolt_HelperHost.
const (
	helperEnv    = "SIGNALBOX_BOLT_TEST_HELPER_HOST"
	helperBinEnv = "SIGNALBOX_BOLT_TEST_HELPER_BIN"
	helperDSNEnv = "SIGNALBOX_BOLT_TEST_HELPER_DSN"
)

// TestBolt_HelperHost is not a test: TestBolt_Binary runs the test binary
// with it as a host process to kill. It starts the plugin, opens the store,
// prints the plugin's pid and waits to be killed.
func TestBolt_HelperHost(t *testing.T) {
	if os.Getenv(helperEnv) != "1" {
		t.Skip("a helper process of TestBolt_Binary")
	}
	_, pc := plugintest.LaunchStorage(t, os.Getenv(helperBinEnv), storage.Config{DSN: os.Getenv(helperDSNEnv)})
	fmt.Printf("plugin pid %d\n", pc.ReattachConfig().Pid)
	select {}
}

// processAlive says whether pid runs: it exists and is not a zombie
// waiting for a parent (init, here) to reap it.
func processAlive(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return syscall.Kill(pid, 0) == nil
	}
	// pid (comm) state …: the state follows the last parenthesis.
	i := bytes.LastIndexByte(stat, ')')
	return i < 0 || i+2 >= len(stat) || (stat[i+2] != 'Z' && stat[i+2] != 'X')
}

// crashKeys is how many keys each batch of the crash test writes: with
// values of 2 KiB, a batch of 1 MiB spans hundreds of pages, so that a kill
// often lands while bolt writes them.
const crashKeys = 500

// crashRound launches the plugin on path, applies batches that write the
// counter from after to every key, kills the plugin with SIGKILL while it
// writes, then reopens the file: every key must hold the same counter, at
// least the last acknowledged one. It returns that counter.
func crashRound(t *testing.T, bin, path string, after uint64, round int) uint64 {
	t.Helper()
	c, pc := plugintest.LaunchStorage(t, bin, storage.Config{DSN: path})
	ctx := ctxTimeout(t, 2*time.Minute)
	var acked atomic.Uint64
	acked.Store(after)
	ended := make(chan error, 1)
	go func() {
		pad := bytes.Repeat([]byte{byte(round)}, 2040)
		for n := after + 1; ; n++ {
			batch := storage.Batch{Ops: make([]storage.Op, 0, crashKeys)}
			v := append(binary.BigEndian.AppendUint64(nil, n), pad...)
			for k := range crashKeys {
				batch.Ops = append(batch.Ops, storage.Op{Kind: storage.Put, Bucket: "crash", Key: fmt.Appendf(nil, "key/%03d", k), Value: v})
			}
			res, err := c.Apply(ctx, batch)
			if err != nil {
				ended <- err
				return
			}
			if !res.Applied {
				ended <- fmt.Errorf("batch %d not applied: %+v", n, res)
				return
			}
			acked.Store(n)
		}
	}()
	// Kill at a random point of a random batch.
	target := after + 5 + uint64(rand.IntN(20))
	deadline := time.Now().Add(time.Minute)
	for acked.Load() < target {
		select {
		case err := <-ended:
			t.Fatalf("round %d: the writer stopped before the kill: %v", round, err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("round %d: only %d batches in a minute", round, acked.Load()-after)
		}
		time.Sleep(time.Millisecond)
	}
	time.Sleep(time.Duration(rand.IntN(3000)) * time.Microsecond)
	if err := syscall.Kill(pc.ReattachConfig().Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-ended:
		if !errors.Is(err, storage.ErrUnavailable) {
			t.Errorf("round %d: Apply() to a killed plugin error = %v, want ErrUnavailable", round, err)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("round %d: Apply() did not fail after the plugin was killed", round)
	}
	last := acked.Load()

	st := reopen(t, path)
	keys := make([][]byte, crashKeys)
	for k := range keys {
		keys[k] = fmt.Appendf(nil, "key/%03d", k)
	}
	vals, err := st.Get(ctx, "crash", keys)
	if err != nil {
		t.Fatalf("round %d: Get() after the crash: %v", round, err)
	}
	var got uint64
	for k, v := range vals {
		if len(v) < 8 {
			t.Fatalf("round %d: key %s holds %q after the crash", round, keys[k], v)
		}
		n := binary.BigEndian.Uint64(v)
		if k == 0 {
			got = n
		} else if n != got {
			t.Fatalf("round %d: half a batch survived the crash: key %s holds %d, key %s holds %d", round, keys[0], got, keys[k], n)
		}
	}
	if got < last || got > last+1 {
		t.Fatalf("round %d: the keys hold batch %d after the crash; the last acknowledged was %d", round, got, last)
	}
	t.Logf("round %d: killed after batch %d was acknowledged; the file holds batch %d", round, last, got)
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	return got
}
