//go:build unix

package process_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/signalbox/signalbox/sdk/executor"
	"github.com/signalbox/signalbox/sdk/process"
)

// output records every call an executor.Output gets.
type output struct {
	mu      sync.Mutex
	batches [][]executor.Line
	groups  []int
	// writeErr is returned by Write when set.
	writeErr error
	// before is called at the start of Write, outside the lock.
	before func()
}

func (o *output) Write(lines ...executor.Line) error {
	if o.before != nil {
		o.before()
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.batches = append(o.batches, lines)
	return o.writeErr
}

func (o *output) ProcessStarted(_, pgid int) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.groups = append(o.groups, pgid)
	return nil
}

func (o *output) Status(string, string) error { return nil }

// texts returns the text of the lines of one stream, in order.
func (o *output) texts(s executor.Stream) []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := []string{}
	for _, b := range o.batches {
		for _, l := range b {
			if l.Stream == s {
				out = append(out, l.Text)
			}
		}
	}
	return out
}

func (o *output) writes() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.batches)
}

func (o *output) pgid(t *testing.T) int {
	t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.groups) != 1 || o.groups[0] <= 0 {
		t.Fatalf("ProcessStarted groups = %v, want one positive pgid", o.groups)
	}
	return o.groups[0]
}

// waitLine polls until a stdout line equals want.
func (o *output) waitLine(t *testing.T, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !slices.Contains(o.texts(executor.StreamStdout), want) {
		if time.Now().After(deadline) {
			t.Fatalf("line %q never arrived; stdout so far: %q", want, o.texts(executor.StreamStdout))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// requireGroupGone polls until the process group is empty. Killed members
// may linger as zombies until their new parent (init) reaps them.
func requireGroupGone(t *testing.T, pgid int) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		err := syscall.Kill(-pgid, 0)
		if errors.Is(err, syscall.ESRCH) {
			return
		}
		if time.Now().After(deadline) {
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			t.Fatalf("process group %d still exists (kill 0: %v)", pgid, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func bash(script string) process.Command {
	return process.Command{Path: "bash", Args: []string{"-c", script}}
}

// runAsync runs cmd in the background; the returned function waits for it.
func runAsync(ctx context.Context, cmd process.Command, out executor.Output) func(t *testing.T) (int, time.Time) {
	type result struct {
		code int
		err  error
		at   time.Time
	}
	done := make(chan result, 1)
	go func() {
		code, err := process.Run(ctx, cmd, out)
		done <- result{code, err, time.Now()}
	}()
	return func(t *testing.T) (int, time.Time) {
		t.Helper()
		select {
		case r := <-done:
			if r.err != nil {
				t.Fatalf("Run() error = %v", r.err)
			}
			return r.code, r.at
		case <-time.After(60 * time.Second):
			t.Fatal("Run() did not return")
			return 0, time.Time{}
		}
	}
}

func TestRun_Output(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		cmd        process.Command
		wantStdout []string
		wantStderr []string
	}{
		"lines arrive in order": {
			cmd:        bash(`printf 'a\nb\nc\n'`),
			wantStdout: []string{"a", "b", "c"},
		},
		"stdout and stderr are told apart": {
			cmd:        bash(`echo out; echo err >&2; echo out2`),
			wantStdout: []string{"out", "out2"},
			wantStderr: []string{"err"},
		},
		"line breaks and a trailing carriage return are stripped": {
			cmd:        bash(`printf 'a\r\nb\rc\r\n'`),
			wantStdout: []string{"a", "b\rc"},
		},
		"empty lines are kept": {
			cmd:        bash(`printf '\n\nx\n'`),
			wantStdout: []string{"", "", "x"},
		},
		"a final line without a line break arrives": {
			cmd:        bash(`printf 'a\nlast'; printf 'err-last' >&2`),
			wantStdout: []string{"a", "last"},
			wantStderr: []string{"err-last"},
		},
		"invalid utf-8 passes through": {
			cmd:        bash(`printf 'a\xffb\n\xc3\nok\n'`),
			wantStdout: []string{"a\xffb", "\xc3", "ok"},
		},
		"a long line is cut at rune boundaries": {
			cmd:        process.Command{Path: "bash", Args: []string{"-c", `printf 'ééééé\n'`}, MaxLineBytes: 5},
			wantStdout: []string{"éé", "éé", "é"},
		},
		"a long line ending in a carriage return keeps no empty piece": {
			cmd:        process.Command{Path: "bash", Args: []string{"-c", `printf 'abcde\r\nf'`}, MaxLineBytes: 5},
			wantStdout: []string{"abcde", "f"},
		},
		"stdin reaches the command": {
			cmd:        process.Command{Path: "cat", Stdin: strings.NewReader("hello\nworld")},
			wantStdout: []string{"hello", "world"},
		},
		"env and dir are the command's": {
			cmd: process.Command{
				Path: "bash", Args: []string{"-c", `echo "$FOO"; pwd`}, Env: []string{"FOO=bar"}, Dir: "/",
			},
			wantStdout: []string{"bar", "/"},
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			out := &output{}
			code, err := process.Run(t.Context(), tc.cmd, out)
			if err != nil || code != 0 {
				t.Fatalf("Run() = %d, %v; want 0, nil", code, err)
			}
			if got := out.texts(executor.StreamStdout); !slices.Equal(got, nonNil(tc.wantStdout)) {
				t.Errorf("stdout = %q, want %q", got, tc.wantStdout)
			}
			if got := out.texts(executor.StreamStderr); !slices.Equal(got, nonNil(tc.wantStderr)) {
				t.Errorf("stderr = %q, want %q", got, tc.wantStderr)
			}
			requireGroupGone(t, out.pgid(t))
		})
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func TestRun_ExitCode(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		script string
		want   int
	}{
		"success is zero":                     {script: "true", want: 0},
		"the exit status is returned":         {script: "exit 3", want: 3},
		"death by SIGKILL is 128+9":           {script: "kill -KILL $$", want: 137},
		"death by SIGTERM is 128+15":          {script: "kill -TERM $$", want: 143},
		"the last command's status is passed": {script: "false", want: 1},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			out := &output{}
			code, err := process.Run(t.Context(), bash(tc.script), out)
			if err != nil || code != tc.want {
				t.Fatalf("Run() = %d, %v; want %d, nil", code, err, tc.want)
			}
		})
	}
}

func TestRun_StartFailure(t *testing.T) {
	t.Parallel()
	cancelled, cancel := context.WithCancel(t.Context())
	cancel()
	for name, tc := range map[string]struct {
		ctx     context.Context
		cmd     process.Command
		wantErr error
		wantMsg string
	}{
		"a missing binary is an error": {
			ctx: t.Context(), cmd: process.Command{Path: "signalbox-no-such-binary"},
			wantErr: exec.ErrNotFound, wantMsg: "start signalbox-no-such-binary",
		},
		"a missing absolute path is an error": {
			ctx: t.Context(), cmd: process.Command{Path: "/nonexistent/bin/x"},
			wantErr: syscall.ENOENT, wantMsg: "start /nonexistent/bin/x",
		},
		"a missing dir is an error": {
			ctx: t.Context(), cmd: process.Command{Path: "true", Dir: "/nonexistent/dir"},
			wantErr: syscall.ENOENT, wantMsg: "start true",
		},
		"an empty path is an error": {
			ctx: t.Context(), cmd: process.Command{}, wantMsg: "empty path",
		},
		"a done context starts nothing": {
			ctx: cancelled, cmd: process.Command{Path: "true"}, wantErr: context.Canceled,
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			out := &output{}
			code, err := process.Run(tc.ctx, tc.cmd, out)
			if err == nil || code != -1 {
				t.Fatalf("Run() = %d, %v; want -1 and an error", code, err)
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Errorf("Run() error = %v, want %v", err, tc.wantErr)
			}
			if !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("Run() error = %q, want it to contain %q", err, tc.wantMsg)
			}
			if out.writes() != 0 || len(out.groups) != 0 {
				t.Errorf("output got %d writes and groups %v, want none", out.writes(), out.groups)
			}
		})
	}
}

func TestRun_LargeOutput(t *testing.T) {
	t.Parallel()

	t.Run("a 5 MiB line without a line break arrives whole in pieces of at most 64 KiB", func(t *testing.T) {
		t.Parallel()
		const size = 5 << 20
		out := &output{}
		code, err := process.Run(t.Context(), bash(`head -c 5242880 /dev/zero | tr '\0' a`), out)
		if err != nil || code != 0 {
			t.Fatalf("Run() = %d, %v", code, err)
		}
		pieces := out.texts(executor.StreamStdout)
		total := 0
		for i, p := range pieces {
			if len(p) > process.DefaultMaxLineBytes {
				t.Fatalf("piece %d has %d bytes, want at most %d", i, len(p), process.DefaultMaxLineBytes)
			}
			if strings.Trim(p, "a") != "" {
				t.Fatalf("piece %d holds more than 'a's", i)
			}
			total += len(p)
		}
		if total != size {
			t.Fatalf("got %d bytes in %d pieces, want %d", total, len(pieces), size)
		}
	})

	t.Run("200000 lines arrive all, in order, in few writes", func(t *testing.T) {
		t.Parallel()
		const n = 200000
		out := &output{}
		code, err := process.Run(t.Context(), process.Command{Path: "seq", Args: []string{strconv.Itoa(n)}}, out)
		if err != nil || code != 0 {
			t.Fatalf("Run() = %d, %v", code, err)
		}
		got := out.texts(executor.StreamStdout)
		if len(got) != n {
			t.Fatalf("got %d lines, want %d", len(got), n)
		}
		for i, l := range got {
			if l != strconv.Itoa(i+1) {
				t.Fatalf("line %d = %q, want %q", i, l, strconv.Itoa(i+1))
			}
		}
		// seq writes at least 4 KiB at a time: hundreds of lines per read.
		if w := out.writes(); w > n/50 {
			t.Errorf("got %d writes for %d lines; want lines batched per read", w, n)
		}
	})

	t.Run("a blocking Write holds the command back and loses nothing", func(t *testing.T) {
		t.Parallel()
		const n = 100000
		entered, release := make(chan struct{}), make(chan struct{})
		var once sync.Once
		out := &output{before: func() {
			once.Do(func() { close(entered) })
			<-release
		}}
		wait := runAsync(t.Context(), process.Command{Path: "seq", Args: []string{strconv.Itoa(n)}}, out)
		<-entered
		close(release)
		if code, _ := wait(t); code != 0 {
			t.Fatalf("exit code = %d", code)
		}
		if got := out.texts(executor.StreamStdout); len(got) != n || got[n-1] != strconv.Itoa(n) {
			t.Fatalf("got %d lines, want %d", len(got), n)
		}
	})

	t.Run("a failing Write does not block the command", func(t *testing.T) {
		t.Parallel()
		out := &output{writeErr: errors.New("stream gone")}
		code, err := process.Run(t.Context(), process.Command{Path: "seq", Args: []string{"100000"}}, out)
		if err != nil || code != 0 {
			t.Fatalf("Run() = %d, %v; want 0, nil", code, err)
		}
		if w := out.writes(); w != 1 {
			t.Errorf("got %d writes, want 1 (then output is discarded)", w)
		}
	})
}

func TestRun_Stop(t *testing.T) {
	t.Parallel()
	const (
		trapsTerm   = `trap 'echo cleanup; exit 0' TERM; echo ready; sleep 1000 & wait`
		ignoresTerm = `trap '' TERM; echo ready; while :; do sleep 1000; done`
	)
	for name, tc := range map[string]struct {
		script string
		grace  time.Duration
		// stop cancels the run's context.
		stop        func(cancel context.CancelCauseFunc, killed chan struct{})
		wantCode    int
		wantCleanup bool
		// minTook and maxTook bound the time from the stop to Run's return.
		minTook, maxTook time.Duration
	}{
		"a graceful stop lets the script clean up": {
			script: trapsTerm, grace: time.Minute,
			stop:     func(cancel context.CancelCauseFunc, _ chan struct{}) { cancel(executor.ErrStopped) },
			wantCode: 0, wantCleanup: true, maxTook: 30 * time.Second,
		},
		"a script ignoring the stop signal is killed after the grace period": {
			script: ignoresTerm, grace: 300 * time.Millisecond,
			stop:     func(cancel context.CancelCauseFunc, _ chan struct{}) { cancel(executor.ErrStopped) },
			wantCode: 137, minTook: 300 * time.Millisecond, maxTook: 30 * time.Second,
		},
		"a forced stop kills at once": {
			script: ignoresTerm, grace: time.Hour,
			stop:     func(cancel context.CancelCauseFunc, _ chan struct{}) { cancel(executor.ErrKilled) },
			wantCode: 137, maxTook: 30 * time.Second,
		},
		"a graceful stop turned forced kills at once": {
			script: ignoresTerm, grace: time.Hour,
			stop: func(cancel context.CancelCauseFunc, killed chan struct{}) {
				cancel(executor.ErrStopped)
				close(killed)
			},
			wantCode: 137, maxTook: 30 * time.Second,
		},
		"a plain cancel is a graceful stop": {
			script: trapsTerm, grace: time.Hour,
			stop:     func(cancel context.CancelCauseFunc, _ chan struct{}) { cancel(nil) },
			wantCode: 0, wantCleanup: true, maxTook: 30 * time.Second,
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			killed := make(chan struct{})
			ctx, cancel := context.WithCancelCause(executor.WithKilled(t.Context(), killed))
			defer cancel(nil)
			out := &output{}
			cmd := bash(tc.script)
			cmd.GracePeriod = tc.grace
			wait := runAsync(ctx, cmd, out)
			out.waitLine(t, "ready")

			stopped := time.Now()
			tc.stop(cancel, killed)
			code, at := wait(t)
			if code != tc.wantCode {
				t.Errorf("exit code = %d, want %d; output %q", code, tc.wantCode, out.texts(executor.StreamStdout))
			}
			if took := at.Sub(stopped); took < tc.minTook || took > tc.maxTook {
				t.Errorf("Run returned %v after the stop, want between %v and %v", took, tc.minTook, tc.maxTook)
			}
			if got := slices.Contains(out.texts(executor.StreamStdout), "cleanup"); got != tc.wantCleanup {
				t.Errorf("cleanup line arrived = %v, want %v", got, tc.wantCleanup)
			}
			requireGroupGone(t, out.pgid(t))
		})
	}
}

func TestRun_NoSurvivors(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		script string
		// stop stops the run after "ready"; otherwise it ends by itself.
		stop bool
	}{
		"a background job dies with its script": {
			script: `sleep 1000 & echo ready`,
		},
		"a background job holding stdout dies with its script": {
			script: `(sleep 1000; echo never) & echo ready`,
		},
		"a nested subshell dies with its script": {
			script: `bash -c 'sleep 1000' & bash -c 'bash -c "sleep 1000"' & echo ready`,
		},
		"a stopped script's subshells die": {
			script: `bash -c 'sleep 1000' & bash -c 'trap "" TERM; sleep 1000' & echo ready; wait`, stop: true,
		},
		"a stopped script's foreground child dies": {
			script: `echo ready; bash -c 'sleep 1000'`, stop: true,
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithCancelCause(t.Context())
			defer cancel(nil)
			out := &output{}
			cmd := bash(tc.script)
			cmd.GracePeriod = 200 * time.Millisecond
			wait := runAsync(ctx, cmd, out)
			if tc.stop {
				out.waitLine(t, "ready")
				cancel(executor.ErrStopped)
			}
			wait(t)
			if slices.Contains(out.texts(executor.StreamStdout), "never") {
				t.Error("a background job outlived its script")
			}
			requireGroupGone(t, out.pgid(t))
		})
	}
}

func TestRun_EscapedProcess(t *testing.T) {
	t.Parallel()
	t.Run("a process that left the group does not hold Run by its pipe", func(t *testing.T) {
		t.Parallel()
		out := &output{}
		started := time.Now()
		// The script waits until the escapee has left the group, then ends.
		flag := filepath.Join(t.TempDir(), "escaped")
		cmd := bash(`setsid bash -c 'echo "escaped $$"; echo > "$0"; exec sleep 1000' "$FLAG" &
			while [ ! -s "$FLAG" ]; do sleep 0.01; done`)
		cmd.Env = append(os.Environ(), "FLAG="+flag)
		wait := runAsync(t.Context(), cmd, out)
		code, at := wait(t)
		if code != 0 {
			t.Errorf("exit code = %d, want 0", code)
		}
		if took := at.Sub(started); took > 20*time.Second {
			t.Errorf("Run took %v with an escaped process holding stdout", took)
		}
		var pid int
		for _, l := range out.texts(executor.StreamStdout) {
			if p, ok := strings.CutPrefix(l, "escaped "); ok {
				pid, _ = strconv.Atoi(p)
			}
		}
		if pid <= 0 {
			t.Fatalf("escaped process did not report its pid: %q", out.texts(executor.StreamStdout))
		}
		// It escaped the group on purpose; the test cleans it up.
		if err := syscall.Kill(-pid, syscall.SIGKILL); err != nil {
			t.Errorf("kill escaped session: %v", err)
		}
		requireGroupGone(t, pid)
		requireGroupGone(t, out.pgid(t))
	})
}
