// Package plugin holds what every Signalbox plugin kind shares: Serve (the
// plugin side of the connection to the host), the logger setup, the
// handshake and the watch on the parent process.
package plugin

import (
	"context"
	"os"
	"os/signal"
	"runtime"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
)

// BinaryPrefix is the file name prefix of every plugin binary.
const BinaryPrefix = "signalbox-plugin-"

// Kind names a plugin protocol family. Each kind has its own magic cookie, so
// that a binary of one kind can never be loaded as another.
type Kind string

// The plugin kinds.
const (
	KindExecutor Kind = "executor"
	KindStorage  Kind = "storage"
)

// Handshake returns the handshake of a kind at base protocol version 1.
// The magic cookie value is fixed per kind.
func Handshake(kind Kind) HandshakeConfig {
	return HandshakeConfig{
		ProtocolVersion:  1,
		MagicCookieKey:   "SIGNALBOX_PLUGIN_" + string(kind),
		MagicCookieValue: "7b5c0f3e-signalbox-" + string(kind),
	}
}

// NewLogger returns the logger a plugin should use. It writes JSON to
// stderr, which the host reads and re-logs under the plugin's name; stdout
// belongs to the handshake. Task output never goes through the logger.
func NewLogger(name string) hclog.Logger {
	level := hclog.LevelFromString(os.Getenv("SIGNALBOX_PLUGIN_LOG_LEVEL"))
	if level == hclog.NoLevel {
		level = hclog.Info
	}
	return hclog.New(&hclog.LoggerOptions{
		Name:       name,
		Level:      level,
		Output:     os.Stderr,
		JSONFormat: true,
	})
}

// WatchParent returns a context that is cancelled when the process that
// started this one exits (the plugin is re-parented). Plugins use it to stop
// every task and exit instead of living on as orphans.
func WatchParent(ctx context.Context, every time.Duration) context.Context {
	ctx, cancel := context.WithCancel(ctx)
	parent := os.Getppid()
	go func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if os.Getppid() != parent {
					cancel()
					return
				}
			}
		}
	}()
	return ctx
}

// DisableHeapSampling turns off the Go runtime's heap-profile sampling,
// unless the program already changed runtime.MemProfileRate from its
// default. Nothing reads a plugin's heap profile, and every allocation
// stack the runtime samples keeps memory for the life of the process
// (about 1 MiB once a plugin has run tasks for a while). Serve calls it;
// only the first call does anything.
func DisableHeapSampling() { heapSampling.Do(disableHeapSampling) }

var heapSampling sync.Once

func disableHeapSampling() {
	if runtime.MemProfileRate == defaultMemProfileRate {
		runtime.MemProfileRate = 0
	}
}

// defaultMemProfileRate is the runtime's default runtime.MemProfileRate.
const defaultMemProfileRate = 512 * 1024

// ExitWithHost makes the plugin process end with its host: when the host
// process dies (checked every parentCheck) or a SIGTERM or SIGHUP arrives,
// it logs why, runs stop (for at most grace; then it logs that stop did
// not end in time) and exits the process. doing says what stop does, for
// the log ("stopping all tasks"). Cancelling ctx disarms it: a plugin that
// returns from Serve normally cleans up by itself.
//
// It also makes SIGPIPE harmless: once the host is dead, stderr is a broken
// pipe, and a log line would kill the process before stop is done.
func ExitWithHost(ctx context.Context, log hclog.Logger, parentCheck, grace time.Duration, doing string, stop func()) {
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
	parent := WatchParent(ctx, parentCheck)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		select {
		case <-parent.Done():
			if ctx.Err() != nil {
				return // disarmed
			}
			log.Warn("host process is gone; " + doing)
		case s := <-sigs:
			log.Warn("signal received; "+doing, "signal", s.String())
		}
		RunFor(log, grace, doing, stop)
		os.Exit(0)
	}()
}

// RunFor runs stop and waits at most grace for it, logging an error if it
// did not end in time (the caller goes on regardless).
func RunFor(log hclog.Logger, grace time.Duration, doing string, stop func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		stop()
	}()
	select {
	case <-done:
	case <-time.After(grace):
		log.Error("did not finish in time: " + doing)
	}
}
