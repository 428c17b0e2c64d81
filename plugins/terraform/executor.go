package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/signalbox/signalbox/sdk/executor"
	"github.com/signalbox/signalbox/sdk/process"
	"github.com/signalbox/signalbox/sdk/workspace"
)

// Version is the Terraform plugin's version.
const Version = "0.1.0"

// The app ids.
const (
	appTerraform = "terraform"
	appTofu      = "tofu"
)

// Files in the task's temp dir.
const (
	planFile = "plan.tfplan"
	varsFile = "vars.tfvars.json"
	dataDir  = "tfdata"
)

// versionTimeout bounds a `terraform version` run.
const versionTimeout = 20 * time.Second

// tool describes one app.
type tool struct {
	id, name, title, description, envBinary string
}

var tools = map[string]tool{
	appTerraform: {
		id: appTerraform, name: "Terraform", title: "Terraform",
		description: "Plans a Terraform module of the repository, waits for the plan to be confirmed, " +
			"then applies exactly that plan.",
		envBinary: envTerraformBinary,
	},
	appTofu: {
		id: appTofu, name: "OpenTofu", title: "OpenTofu",
		description: "Plans an OpenTofu module of the repository, waits for the plan to be confirmed, " +
			"then applies exactly that plan.",
		envBinary: envTofuBinary,
	},
}

// Terraform is the Terraform and OpenTofu executor. It is safe for
// concurrent use.
type Terraform struct {
	cfg config

	mu       sync.Mutex
	versions map[string]string // detected once per app
}

var _ executor.Executor = (*Terraform)(nil)

// New returns an executor configured from the plugin's environment.
func New() *Terraform { return newTerraform(configFromEnv(os.Environ())) }

func newTerraform(c config) *Terraform { return &Terraform{cfg: c, versions: map[string]string{}} }

// Describe lists the terraform and tofu apps, with the version of each
// binary found. An app without its binary is still listed: its tasks fail
// with a clear reason.
func (tf *Terraform) Describe(context.Context) (executor.Description, error) {
	d := executor.Description{Name: "terraform", Version: Version}
	for _, id := range []string{appTerraform, appTofu} {
		t := tools[id]
		d.Apps = append(d.Apps, executor.App{
			ID: t.id, Title: t.title, Description: t.description, Version: tf.version(id),
			TemplateSchema: paramsSchema(), TaskSchema: paramsSchema(),
		})
	}
	return d, nil
}

// version returns the first line of `<binary> version`, such as
// "Terraform v1.5.7", or "" without the binary. It runs once per app.
func (tf *Terraform) version(app string) string {
	tf.mu.Lock()
	defer tf.mu.Unlock()
	if v, ok := tf.versions[app]; ok {
		return v
	}
	v := ""
	if bin, err := tf.binary(app); err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), versionTimeout)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, "version")
		cmd.Env = append(tf.cfg.env, "CHECKPOINT_DISABLE=1")
		if b, err := cmd.Output(); err == nil {
			v, _, _ = strings.Cut(strings.TrimSpace(string(b)), "\n")
		}
	}
	tf.versions[app] = v
	return v
}

// binary returns the path of the app's binary.
func (tf *Terraform) binary(app string) (string, error) {
	t := tools[app]
	if p := tf.cfg.binaries[app]; p != "" {
		if !isExecutable(p) {
			return "", fmt.Errorf("%s binary %q (set by %s) is not an executable file", t.name, p, t.envBinary)
		}
		return p, nil
	}
	path, _ := workspace.NewEnv(tf.cfg.env).Get("PATH")
	p, err := workspace.LookPath(app, path)
	if err != nil {
		return "", fmt.Errorf("%s not found: %q is not on the plugin's PATH; install %s on the Signalbox server or set %s",
			t.name, app, t.name, t.envBinary)
	}
	return p, nil
}

// Run plans the task's module, asks for approval of the plan unless told
// otherwise, and applies it. See docs/plugins.md for the steps.
func (tf *Terraform) Run(ctx context.Context, req executor.RunRequest, out executor.Output) (executor.Result, error) {
	t, ok := tools[req.App]
	if !ok {
		return failed("unknown app %q: this plugin serves %q and %q", req.App, appTerraform, appTofu), nil
	}
	opts, err := parseOptions(req)
	if err != nil {
		return failed("%v", err), nil
	}
	dir, err := resolveModule(req.WorkDir, req.Playbook)
	if err != nil {
		return failed("%v", err), nil
	}
	bin, err := tf.binary(req.App)
	if err != nil {
		return failed("%v", err), nil
	}
	tempDir := req.TempDir
	if tempDir == "" {
		d, err := os.MkdirTemp("", "signalbox-terraform-")
		if err != nil {
			return executor.Result{}, fmt.Errorf("create temp dir: %w", err)
		}
		defer os.RemoveAll(d)
		tempDir = d
	}
	env, err := tf.taskEnv(req, tempDir)
	if err != nil {
		return failed("%v", err), nil
	}
	vars, err := writeVars(tempDir, req.ExtraVars)
	if err != nil {
		return failed("%v", err), nil
	}

	s := &session{ctx: ctx, tool: t, bin: bin, dir: dir, env: env, grace: req.StopGracePeriod,
		out: &errorOutput{Output: out}}
	sum := summary{Tool: req.App, Workspace: opts.workspace, DestroyPlan: opts.destroy}

	initArgs := []string{"init", "-input=false", "-no-color"}
	if opts.upgrade {
		initArgs = append(initArgs, "-upgrade")
	}
	if opts.reconf {
		initArgs = append(initArgs, "-reconfigure")
	}
	if res, ok := s.step("init", initArgs...); !ok {
		return res, nil
	}
	if res, ok := s.step("workspace select", "workspace", "select", "-or-create", "-no-color", opts.workspace); !ok {
		return res, nil
	}

	plan := filepath.Join(tempDir, planFile)
	planArgs := []string{"plan", "-input=false", "-no-color", "-detailed-exitcode", "-out=" + plan}
	if opts.destroy {
		planArgs = append(planArgs, "-destroy")
	}
	if vars != "" {
		planArgs = append(planArgs, "-var-file="+vars)
	}
	planArgs = append(planArgs, tf.cfg.args[req.App]...)
	planArgs = append(planArgs, req.Arguments...)
	code, res, ok := s.run("plan", planArgs...)
	if !ok {
		return res, nil
	}
	switch code {
	case 0:
		s.system("no changes: nothing to apply")
		return executor.Result{Summary: sum.json()}, nil
	case 2:
	default:
		return s.failure("plan", code), nil
	}
	if err := s.show(plan, &sum); err != nil {
		if ctx.Err() != nil {
			return stopped(ctx, -1), nil
		}
		return failed("read the plan: %v", err), nil
	}
	if opts.planOnly {
		s.system("plan only: nothing applied")
		return executor.Result{Summary: sum.json()}, nil
	}

	if !opts.autoApprove {
		ap, ok := out.(executor.Approver)
		if !ok {
			return failed("this Signalbox server cannot ask for a confirmation: set auto_approve or plan"), nil
		}
		s.system(fmt.Sprintf("waiting for confirmation: %d to add, %d to change, %d to destroy", sum.Add, sum.Change, sum.Destroy))
		approved, err := ap.AwaitApproval(ctx, sum.json())
		switch {
		case ctx.Err() != nil:
			return stopped(ctx, -1), nil
		case errors.Is(err, executor.ErrApprovalUnsupported):
			return failed("this Signalbox server cannot ask for a confirmation: set auto_approve or plan"), nil
		case err != nil:
			return failed("wait for confirmation: %v", err), nil
		case !approved:
			s.system("the plan was rejected: nothing applied")
			return executor.Result{Error: "the plan was rejected: nothing applied", Summary: sum.json()}, nil
		}
		s.system("the plan was confirmed")
	}
	applyArgs := append([]string{"apply", "-input=false", "-no-color"}, tf.cfg.args[req.App]...)
	if res, ok := s.step("apply", append(applyArgs, plan)...); !ok {
		return res, nil
	}
	sum.Applied = true
	return executor.Result{Summary: sum.json()}, nil
}

// taskEnv builds the environment of the task's processes: the plugin's,
// the defaults, then the task's own variables.
func (tf *Terraform) taskEnv(req executor.RunRequest, tempDir string) ([]string, error) {
	if err := os.MkdirAll(tf.cfg.pluginCacheDir, 0o755); err != nil {
		return nil, fmt.Errorf("create the plugin cache %s: %w", tf.cfg.pluginCacheDir, err)
	}
	env := workspace.NewEnv(tf.cfg.env)
	for k, v := range defaultEnv {
		env.Set(k, v)
	}
	env.Set("TF_PLUGIN_CACHE_DIR", tf.cfg.pluginCacheDir)
	// The module's .terraform folder would be shared by the tasks of a
	// local repository: each task gets its own.
	env.Set("TF_DATA_DIR", filepath.Join(tempDir, dataDir))
	if err := env.SetAll("environment variable", req.Env); err != nil {
		return nil, err
	}
	return env.List(), nil
}

// writeVars writes the extra vars to vars.tfvars.json in dir, readable by
// the owner only (they may hold secrets), and returns its path, or "" when
// there are none.
func writeVars(dir string, raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "", nil
	}
	var vars map[string]json.RawMessage
	if err := json.Unmarshal(raw, &vars); err != nil || vars == nil {
		return "", errors.New("extra variables must be a JSON object")
	}
	if len(vars) == 0 {
		return "", nil
	}
	p := filepath.Join(dir, varsFile)
	if err := os.WriteFile(p, raw, 0o600); err != nil {
		return "", fmt.Errorf("write variables: %w", err)
	}
	return p, nil
}

// session runs the commands of one task.
type session struct {
	ctx   context.Context
	tool  tool
	bin   string
	dir   string
	env   []string
	grace time.Duration
	out   *errorOutput
}

// system writes a line about the run.
func (s *session) system(text string) {
	_ = s.out.Write(executor.Line{Time: time.Now(), Stream: executor.StreamSystem, Text: text})
}

// run runs one command. ok is false when the task must end with res: the
// command could not start, or the task was stopped.
func (s *session) run(step string, args ...string) (code int, res executor.Result, ok bool) {
	s.system(s.tool.id + " " + strings.Join(args, " "))
	s.out.reset()
	// SIGINT: Terraform then stops cleanly, writing its state and
	// releasing the state lock, within the grace period.
	code, err := process.Run(s.ctx, process.Command{
		Path: s.bin, Args: args, Dir: s.dir, Env: s.env,
		StopSignal: syscall.SIGINT, GracePeriod: s.grace,
	}, s.out)
	if s.ctx.Err() != nil {
		return code, stopped(s.ctx, code), false
	}
	if err != nil {
		return code, failed("%s: %v", step, err), false
	}
	return code, executor.Result{}, true
}

// step runs a command that must succeed.
func (s *session) step(step string, args ...string) (executor.Result, bool) {
	code, res, ok := s.run(step, args...)
	if !ok {
		return res, false
	}
	if code != 0 {
		return s.failure(step, code), false
	}
	return executor.Result{}, true
}

// failure is the result of a command that failed: its first error line,
// or its exit code.
func (s *session) failure(step string, code int) executor.Result {
	reason := fmt.Sprintf("%s %s failed (exit code %d)", s.tool.id, step, code)
	if e := s.out.firstError(); e != "" {
		reason = fmt.Sprintf("%s %s: %s", s.tool.id, step, e)
	}
	return executor.Result{ExitCode: code, Error: oneLine(reason)}
}

// show reads the saved plan with `show -json` and counts its changes into
// sum.
func (s *session) show(plan string, sum *summary) error {
	cmd := exec.Command(s.bin, "show", "-json", "-no-color", plan)
	cmd.Dir, cmd.Env = s.dir, s.env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return err
	}
	pgid := cmd.Process.Pid
	_ = s.out.ProcessStarted(pgid, pgid)
	stop := context.AfterFunc(s.ctx, func() { _ = syscall.Kill(-pgid, syscall.SIGKILL) })
	err := cmd.Wait()
	stop()
	_ = syscall.Kill(-pgid, syscall.SIGKILL) // nothing of the group outlives it
	if err != nil {
		return fmt.Errorf("%s show: %v: %s", s.tool.id, err, oneLine(stderr.String()))
	}
	return sum.count(stdout.Bytes())
}

// errorOutput passes output on and remembers the first error line
// Terraform printed since the last reset.
type errorOutput struct {
	executor.Output
	mu    sync.Mutex
	first string
}

func (o *errorOutput) reset() {
	o.mu.Lock()
	o.first = ""
	o.mu.Unlock()
}

func (o *errorOutput) firstError() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.first
}

func (o *errorOutput) Write(lines ...executor.Line) error {
	o.mu.Lock()
	for _, l := range lines {
		if o.first != "" {
			break
		}
		text := strings.TrimSpace(strings.TrimLeft(l.Text, "│ "))
		if e, ok := strings.CutPrefix(text, "Error: "); ok && l.Stream != executor.StreamSystem {
			o.first = strings.TrimSpace(e)
		}
	}
	o.mu.Unlock()
	return o.Output.Write(lines...)
}

func failed(format string, args ...any) executor.Result {
	return executor.Result{ExitCode: -1, Error: oneLine(fmt.Sprintf(format, args...))}
}

// stopped is the result of a task stopped while a command ran.
func stopped(ctx context.Context, code int) executor.Result {
	return executor.Result{ExitCode: code, Error: fmt.Sprintf("%v (exit code %d)", context.Cause(ctx), code)}
}

// oneLine joins the words of s with single spaces.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
