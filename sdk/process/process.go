//go:build unix

// Package process runs a task's command so that no process outlives it.
//
// Run starts the command in its own process group, streams its stdout and
// stderr line by line to an executor.Output, and implements the stop
// contract of executor.Executor.Run: when ctx is done it signals the whole
// group, waits a grace period, then kills the group. Whenever the command
// ends, normally or not, whatever is left in its process group (background
// jobs, subshells) is killed too.
//
// Killed processes whose parent died too are reaped by init: Run waits for
// that, up to five seconds, so that the group is gone when it returns. Run
// the server under an init that reaps orphans (in a container: tini,
// docker run --init).
//
// Limits: a process that leaves the group on purpose (setsid, setpgid) is out
// of reach. Run stops waiting for its output two seconds after the command
// ended (or sooner once it has read 4 MiB more).
//
// The package builds on Unix only; Linux also gets Pdeathsig, so the command
// is killed should the plugin process die.
package process

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"github.com/signalbox/signalbox/sdk/executor"
)

// Defaults of Command.
const (
	// DefaultGracePeriod is how long a graceful stop waits before killing.
	DefaultGracePeriod = 10 * time.Second
	// DefaultMaxLineBytes is the longest line sent as one Line; longer lines
	// are sent in pieces.
	DefaultMaxLineBytes = 64 << 10
)

// drainIdle is how long Run waits for more output once the command's group
// is dead: only a process that escaped the group can still write then.
const drainIdle = 2 * time.Second

// groupExitWait bounds how long Run waits for its killed group to be
// reaped (by init, for orphans) before it returns.
const groupExitWait = 5 * time.Second

// Command is what to run.
type Command struct {
	// Path is the program. A name without a slash is looked up in PATH.
	Path string
	// Args are the arguments, without the program name.
	Args []string
	// Dir is the working directory; empty means the caller's.
	Dir string
	// Env is the whole environment as KEY=VALUE; nil means the caller's
	// environment, an empty non-nil slice an empty one.
	Env []string
	// StopSignal is sent to the process group for a graceful stop. Default:
	// SIGTERM.
	StopSignal syscall.Signal
	// GracePeriod is how long a graceful stop may take before the group is
	// killed. Default: DefaultGracePeriod (10s).
	GracePeriod time.Duration
	// Stdin is the command's standard input; nil means /dev/null.
	Stdin io.Reader
	// MaxLineBytes is the longest Line text; a longer line arrives in pieces
	// cut at a UTF-8 rune boundary when possible. Default:
	// DefaultMaxLineBytes (64 KiB).
	MaxLineBytes int
}

func (c Command) withDefaults() Command {
	if c.StopSignal == 0 {
		c.StopSignal = syscall.SIGTERM
	}
	if c.GracePeriod <= 0 {
		c.GracePeriod = DefaultGracePeriod
	}
	if c.MaxLineBytes <= 0 {
		c.MaxLineBytes = DefaultMaxLineBytes
	}
	return c
}

// Run runs cmd to its end and returns its exit code: the exit status, or
// 128+n for a death by signal n. The error is set only when the command
// could not be started (binary not found, bad Dir, ctx already done).
//
// Right after the start, Run reports the process group to
// out.ProcessStarted. Each read of stdout or stderr becomes one out.Write
// holding every complete line of that read, without the line break and a
// trailing "\r". Write may block (back-pressure); Run then waits and drops
// nothing. Should out fail, Run keeps reading and discards the output, so the
// command never blocks on a full pipe; stopping is ctx's business.
//
// When ctx is done, Run sends StopSignal to the process group. It kills the
// group with SIGKILL at once when context.Cause(ctx) is executor.ErrKilled,
// when executor.Killed(ctx) is closed, or when the group's leader has not
// exited after GracePeriod. When the leader exits, every process left in its
// group is killed. Run returns once the leader is reaped, its output
// drained and its group empty (see the package doc for the bounds).
func Run(ctx context.Context, cmd Command, out executor.Output) (exitCode int, err error) {
	c := cmd.withDefaults()
	if c.Path == "" {
		return -1, errors.New("start command: empty path")
	}
	if ctx.Err() != nil {
		return -1, fmt.Errorf("start %s: %w", c.Path, context.Cause(ctx))
	}
	stdoutR, stdoutW, err := os.Pipe()
	if err != nil {
		return -1, fmt.Errorf("start %s: stdout pipe: %w", c.Path, err)
	}
	stderrR, stderrW, err := os.Pipe()
	if err != nil {
		closeAll(stdoutR, stdoutW)
		return -1, fmt.Errorf("start %s: stderr pipe: %w", c.Path, err)
	}

	ec := exec.Command(c.Path, c.Args...)
	ec.Dir = c.Dir
	ec.Env = c.Env
	ec.Stdin = c.Stdin
	ec.Stdout = stdoutW
	ec.Stderr = stderrW
	ec.SysProcAttr = sysProcAttr()
	// A Stdin that is not a file is copied by a goroutine; do not let a
	// blocked reader hold Wait once the process has exited.
	ec.WaitDelay = drainIdle
	err = ec.Start()
	// The child has its own copies; ours must go for the readers to see EOF.
	closeAll(stdoutW, stderrW)
	if err != nil {
		closeAll(stdoutR, stderrR)
		return -1, fmt.Errorf("start %s: %w", c.Path, err)
	}
	pid := ec.Process.Pid
	pgid := pid // Setpgid with Pgid 0: the child leads a new group.
	_ = out.ProcessStarted(pid, pgid)

	readers := []*reader{
		newReader(stdoutR, executor.StreamStdout, c.MaxLineBytes, out),
		newReader(stderrR, executor.StreamStderr, c.MaxLineBytes, out),
	}
	var wg sync.WaitGroup
	for _, r := range readers {
		wg.Go(r.run)
	}

	leader := make(chan func() error, 1)
	go func() { leader <- waitLeader(ec) }()
	var reap func() error
	select {
	case reap = <-leader:
	case <-ctx.Done():
		reap = stop(ctx, pgid, c, leader)
	}
	// Nothing of the group may outlive its leader: background jobs and
	// subshells die here, and with them the last write ends of the pipes.
	killGroup(pgid, syscall.SIGKILL)
	waitErr := reap()

	for _, r := range readers {
		r.drain()
	}
	wg.Wait()
	waitGroupEmpty(pgid, groupExitWait)

	if ec.ProcessState == nil {
		return -1, fmt.Errorf("wait %s: %w", c.Path, waitErr)
	}
	return exitCodeOf(ec.ProcessState), nil
}

// stop implements a stop request and returns the leader's reaper once the
// leader has exited.
func stop(ctx context.Context, pgid int, c Command, leader <-chan func() error) func() error {
	killed := executor.Killed(ctx)
	if errors.Is(context.Cause(ctx), executor.ErrKilled) || isClosed(killed) {
		killGroup(pgid, syscall.SIGKILL)
		return <-leader
	}
	killGroup(pgid, c.StopSignal)
	grace := time.NewTimer(c.GracePeriod)
	defer grace.Stop()
	select {
	case reap := <-leader:
		return reap
	case <-grace.C:
	case <-killed:
	}
	killGroup(pgid, syscall.SIGKILL)
	return <-leader
}

// waitGroupEmpty waits, at most limit, until no member of the group is
// left. Killed members whose parent died too are zombies until init reaps
// them; the host may kill the group once the task has ended, and must find
// it gone rather than hit a recycled id.
func waitGroupEmpty(pgid int, limit time.Duration) {
	deadline := time.Now().Add(limit)
	pause := time.Millisecond
	for syscall.Kill(-pgid, 0) == nil && time.Now().Before(deadline) {
		time.Sleep(pause)
		pause = min(2*pause, 100*time.Millisecond)
	}
}

func killGroup(pgid int, sig syscall.Signal) {
	// ESRCH: the group is already empty. Nothing else can go wrong for our
	// own child's group.
	_ = syscall.Kill(-pgid, sig)
}

func isClosed(ch <-chan struct{}) bool {
	if ch == nil {
		return false
	}
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

func exitCodeOf(ps *os.ProcessState) int {
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ps.ExitCode()
}

func closeAll(files ...*os.File) {
	for _, f := range files {
		_ = f.Close()
	}
}
