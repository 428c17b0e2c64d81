package gitsrc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// passEnv lists the variables of the server's environment that git
// commands keep: how to find programs, proxies and CA certificates. Anything
// else (HOME, GIT_*, SSH_AUTH_SOCK, ...) is left out so that no user or
// system configuration changes what git does.
var passEnv = []string{
	"PATH", "TMPDIR",
	"http_proxy", "https_proxy", "no_proxy", "all_proxy",
	"HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY",
	"SSL_CERT_FILE", "SSL_CERT_DIR",
}

// waitDelay bounds how long a killed git command may keep its output pipes
// open (through children that escaped the kill).
const waitDelay = 5 * time.Second

// maxStderr caps the standard error kept of one git command.
const maxStderr = 64 << 10

// session is the private scratch space of one Prepare: a 0700 directory
// that is git's HOME and working directory and holds the files that carry
// credentials (SSH key, askpass helper, known_hosts), and the environment
// every git command of the Prepare runs with. close removes it all.
type session struct {
	dir    string
	env    []string    // variables added to the base environment
	config [][2]string // git configuration given through GIT_CONFIG_COUNT
}

func newSession() (*session, error) {
	dir, err := os.MkdirTemp("", "signalbox-git-") // mode 0700
	if err != nil {
		return nil, fmt.Errorf("create git scratch directory: %w", err)
	}
	s := &session{dir: dir}
	// Repositories on this machine may belong to another user: read them
	// anyway. Init quietly, on a fixed branch name.
	s.setConfig("safe.directory", "*")
	s.setConfig("init.defaultBranch", "main")
	s.setConfig("advice.detachedHead", "false")
	// Garbage collection runs explicitly (see gc), not detached in the
	// background where it would escape the process group.
	s.setConfig("gc.autoDetach", "false")
	return s, nil
}

// close removes the scratch directory and the secrets in it.
func (s *session) close() { _ = os.RemoveAll(s.dir) }

// path returns the path of a file in the scratch directory.
func (s *session) path(name string) string { return filepath.Join(s.dir, name) }

// setEnv adds an environment variable to every git command.
func (s *session) setEnv(key, value string) { s.env = append(s.env, key+"="+value) }

// setConfig adds a git configuration variable to every git command. It is
// passed in the environment, never on the command line.
func (s *session) setConfig(key, value string) { s.config = append(s.config, [2]string{key, value}) }

// environ returns the full environment of a git command.
func (s *session) environ() []string {
	env := []string{
		"HOME=" + s.dir,
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_TERMINAL_PROMPT=0",
		"GIT_CEILING_DIRECTORIES=" + filepath.Dir(s.dir),
		"LC_ALL=C",
	}
	for _, k := range passEnv {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	env = append(env, s.env...)
	env = append(env, "GIT_CONFIG_COUNT="+strconv.Itoa(len(s.config)))
	for i, kv := range s.config {
		n := strconv.Itoa(i)
		env = append(env, "GIT_CONFIG_KEY_"+n+"="+kv[0], "GIT_CONFIG_VALUE_"+n+"="+kv[1])
	}
	return env
}

// git runs git with args in the scratch directory and returns its standard
// output. When ctx ends, git and every process it started (ssh,
// git-remote-https, ...) are killed. A failure is a *gitError, which wraps
// ctx.Err() when ctx ended.
func (s *session) git(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = s.dir
	cmd.Env = s.environ()
	cmd.WaitDelay = waitDelay
	killProcessGroup(cmd)
	var stdout bytes.Buffer
	stderr := &cappedBuffer{max: maxStderr}
	cmd.Stdout, cmd.Stderr = &stdout, stderr
	if err := cmd.Run(); err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			err = fmt.Errorf("%w: %w", ctxErr, err) // killed: say why
		}
		return "", &gitError{command: subcommand(args), stderr: stderr.String(), err: err}
	}
	return stdout.String(), nil
}

// subcommand returns the git command of args: the first that is not an
// option.
func subcommand(args []string) string {
	for _, a := range args {
		if !strings.HasPrefix(a, "-") {
			return a
		}
	}
	return ""
}

// gitError is a failed git command. Its message is internal (for a
// repository error, classify stderr with describeGit): the command, how it
// ended and git's last complaint.
type gitError struct {
	command string
	stderr  string
	err     error
}

func (e *gitError) Error() string {
	msg := "git " + e.command + ": " + e.err.Error()
	if last := lastComplaint(e.stderr); last != "" {
		msg += ": " + last
	}
	return msg
}

func (e *gitError) Unwrap() error { return e.err }

// stderrOf returns the standard error of a failed git command, "" for
// other errors.
func stderrOf(err error) string {
	var ge *gitError
	if errors.As(err, &ge) {
		return ge.stderr
	}
	return ""
}

// cappedBuffer keeps the first max bytes written to it and drops the rest.
type cappedBuffer struct {
	buf bytes.Buffer
	max int
}

func (b *cappedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (b *cappedBuffer) String() string { return b.buf.String() }

// shellQuote quotes s for a POSIX shell: git runs GIT_SSH_COMMAND and
// "!"-helpers through sh.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// shellJoin quotes and joins a command line for a POSIX shell.
func shellJoin(args []string) string {
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = shellQuote(a)
	}
	return strings.Join(quoted, " ")
}
