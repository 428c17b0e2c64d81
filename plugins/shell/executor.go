package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"

	"github.com/signalbox/signalbox/sdk/executor"
	"github.com/signalbox/signalbox/sdk/process"
	"github.com/signalbox/signalbox/sdk/workspace"
)

// Version is the shell plugin's version.
const Version = "0.1.0"

// Shell is the shell executor. It runs one script per task with the
// interpreter of the task's app. It is safe for concurrent use.
type Shell struct {
	describeOnce sync.Once
	apps         []executor.App
}

var _ executor.Executor = (*Shell)(nil)

// New returns a shell executor.
func New() *Shell { return &Shell{} }

// Describe lists the apps. The first call looks for each interpreter and
// runs it once with --version; later calls return the same answer. The
// powershell app is listed only when pwsh was found on PATH then.
func (s *Shell) Describe(context.Context) (executor.Description, error) {
	s.describeOnce.Do(func() {
		type detected struct {
			version string
			found   bool
		}
		found := make([]detected, len(apps))
		var wg sync.WaitGroup
		for i, a := range apps {
			wg.Go(func() {
				v, ok := a.detect()
				found[i] = detected{v, ok}
			})
		}
		wg.Wait()
		for i, a := range apps {
			if a.optional && !found[i].found {
				continue
			}
			s.apps = append(s.apps, a.describe(found[i].version))
		}
	})
	return executor.Description{Name: "shell", Version: Version, Apps: s.apps}, nil
}

// Run runs the task's script, req.Playbook, found in req.WorkDir. See
// docs/plugins.md for the command line and the environment it gets.
func (s *Shell) Run(ctx context.Context, req executor.RunRequest, out executor.Output) (executor.Result, error) {
	a, ok := appByID(req.App)
	if !ok {
		return failed("unknown app %q", req.App), nil
	}
	var tp templateParams
	if err := decodeParams(req.TemplateParams, &tp); err != nil {
		return failed("invalid template params: %v", err), nil
	}
	var kp taskParams
	if err := decodeParams(req.TaskParams, &kp); err != nil {
		return failed("invalid task params: %v", err), nil
	}
	if kp.Debug && a.debugArgs == nil {
		return failed("invalid task params: app %q has no debug mode", a.id), nil
	}
	script, err := resolveScript(req.WorkDir, req.Playbook)
	if err != nil {
		return failed("%v", err), nil
	}

	tempDir := req.TempDir
	if tempDir == "" {
		dir, err := os.MkdirTemp("", "signalbox-shell-")
		if err != nil {
			return executor.Result{}, fmt.Errorf("create temp dir: %w", err)
		}
		defer os.RemoveAll(dir)
		tempDir = dir
	}
	env, err := taskEnv(workspace.PluginEnviron(), a, req, tempDir)
	if err != nil {
		return failed("%v", err), nil
	}

	code, err := process.Run(ctx, process.Command{
		Path:        a.interpreter,
		Args:        a.args(tp, kp, script, req.Arguments),
		Dir:         req.WorkDir,
		Env:         env,
		GracePeriod: req.StopGracePeriod,
	}, runningOutput{out})
	switch {
	case errors.Is(err, exec.ErrNotFound):
		return failed("interpreter %q not found on PATH", a.interpreter), nil
	case err != nil:
		return failed("%v", err), nil
	case code == 0:
		return executor.Result{}, nil
	case ctx.Err() != nil:
		return executor.Result{ExitCode: code, Error: fmt.Sprintf("%v (exit status %d)", context.Cause(ctx), code)}, nil
	default:
		return executor.Result{ExitCode: code, Error: fmt.Sprintf("exit status %d", code)}, nil
	}
}

// failed is the result of a task that could not start.
func failed(format string, args ...any) executor.Result {
	msg := fmt.Sprintf(format, args...)
	return executor.Result{ExitCode: -1, Error: strings.Join(strings.Fields(msg), " ")}
}

// decodeParams decodes a JSON object of parameters, refusing unknown ones
// (the schemas say additionalProperties: false).
func decodeParams(raw json.RawMessage, v any) error {
	if len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// runningOutput reports the "running" status once the script's process
// has started.
type runningOutput struct{ executor.Output }

func (o runningOutput) ProcessStarted(pid, pgid int) error {
	err := o.Output.ProcessStarted(pid, pgid)
	return errors.Join(err, o.Status("running", ""))
}
