package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/signalbox/signalbox/sdk/executor"
	"github.com/signalbox/signalbox/sdk/process"
	"github.com/signalbox/signalbox/sdk/workspace"
)

// Version is the Ansible plugin's version.
const Version = "0.1.0"

// appID is the id of the plugin's one app.
const appID = "ansible"

// extraVarsFile is the name of the extra vars file in the task's secrets
// folder.
const extraVarsFile = "extra_vars.json"

// versionTimeout bounds an `ansible-playbook --version` run.
const versionTimeout = 20 * time.Second

// Ansible is the Ansible executor: it runs one playbook per task with
// ansible-playbook. It is safe for concurrent use.
type Ansible struct {
	// env is the plugin's environment, the base of every task's one; its
	// PATH is where ansible-playbook and the SSH tools are looked up.
	env []string

	describeOnce sync.Once
	version      string
}

var _ executor.Executor = (*Ansible)(nil)

// New returns an Ansible executor working with the plugin's environment.
func New() *Ansible { return &Ansible{env: workspace.PluginEnviron()} }

// Describe describes the app. The first call runs `ansible-playbook
// --version` once; later calls return the same answer. Without Ansible the
// app is still listed, with no version: its tasks fail with a clear reason.
func (a *Ansible) Describe(context.Context) (executor.Description, error) {
	a.describeOnce.Do(func() { a.version = a.detectVersion() })
	return executor.Description{
		Name:    "ansible",
		Version: Version,
		Apps: []executor.App{{
			ID:    appID,
			Title: "Ansible playbook",
			Description: "Runs an Ansible playbook from the repository with ansible-playbook, " +
				"after installing the roles and collections of its requirements.yml files.",
			Version:        a.version,
			TemplateSchema: templateSchema(),
			TaskSchema:     taskSchema(),
		}},
	}, nil
}

// detectVersion returns the first line of `ansible-playbook --version`,
// such as "ansible-playbook [core 2.14.18]", or "" without Ansible.
func (a *Ansible) detectVersion() string {
	env := workspace.NewEnv(a.env)
	path, _ := env.Get("PATH")
	bin, err := workspace.LookPath("ansible-playbook", path)
	if err != nil {
		return ""
	}
	ctx, cancel := context.WithTimeout(context.Background(), versionTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--version")
	cmd.Env = a.env
	b, err := cmd.Output()
	if err != nil {
		return ""
	}
	for line := range strings.Lines(string(b)) {
		if line = strings.TrimSpace(line); line != "" {
			return line
		}
	}
	return ""
}

// Run runs the task's playbook. See docs/plugins.md for the command line,
// the secrets it reads and the environment it sets.
func (a *Ansible) Run(ctx context.Context, req executor.RunRequest, out executor.Output) (executor.Result, error) {
	t, err := parseTask(req)
	if err != nil {
		return failed("%v", err), nil
	}

	tempDir := req.TempDir
	if tempDir == "" {
		dir, err := os.MkdirTemp("", "signalbox-ansible-")
		if err != nil {
			return executor.Result{}, fmt.Errorf("create temp dir: %w", err)
		}
		defer os.RemoveAll(dir)
		tempDir = dir
	}
	// Unix sockets (SSH control masters, the agent) need a short path;
	// the task's temp dir may be deep.
	sockDir, err := os.MkdirTemp("", fmt.Sprintf("sbx-ansible-%d-", req.TaskID))
	if err != nil {
		return executor.Result{}, fmt.Errorf("create socket dir: %w", err)
	}
	defer os.RemoveAll(sockDir)
	controlDir := filepath.Join(sockDir, "cp")
	if err := os.Mkdir(controlDir, 0o700); err != nil {
		return executor.Result{}, fmt.Errorf("create control path dir: %w", err)
	}

	env, err := a.taskEnv(t, tempDir, controlDir)
	if err != nil {
		return failed("%v", err), nil
	}
	path, _ := env.Get("PATH")
	ansiblePlaybook, err := workspace.LookPath("ansible-playbook", path)
	if err != nil {
		return failed("ansible-playbook not found on PATH: install Ansible (ansible-core 2.12 or later) on the Signalbox server"), nil
	}
	defer closeControlMasters(controlDir, path, slices.Clone(env.List()))

	creds, err := prepareCredentials(ctx, credentialSetup{
		req: req, tempDir: tempDir, sockDir: sockDir, path: path, env: slices.Clone(env.List()),
	}, out)
	defer creds.close()
	if err != nil {
		return stoppedOr(ctx, -1, err.Error()), nil
	}
	if creds.agentSock != "" {
		env.Set("SSH_AUTH_SOCK", creds.agentSock)
	}
	// Extra vars may hold secrets (an environment's secret variables):
	// they go with the other secret files, removed at the end.
	varsFile, err := writeExtraVars(creds.dir, req.ExtraVars, creds.becomeUser)
	if err != nil {
		return failed("%v", err), nil
	}

	running := &runningOutput{Output: out}
	if res, ok := t.installGalaxy(ctx, env.List(), path, tempDir, running); !ok {
		return res, nil
	}

	args := t.opts.args()
	if t.inventory != "" {
		args = append(args, "--inventory="+t.inventory)
	}
	args = append(args, creds.args...)
	args = append(args, t.vaultArgs...)
	if varsFile != "" {
		args = append(args, "--extra-vars=@"+varsFile)
	}
	args = append(args, t.playbook)
	args = append(args, req.Arguments...)

	rc := &recap{}
	code, err := process.Run(ctx, process.Command{
		Path: ansiblePlaybook, Args: args, Dir: req.WorkDir, Env: env.List(),
		StopSignal: syscall.SIGINT, GracePeriod: req.StopGracePeriod,
	}, recapOutput{Output: running, recap: rc})
	if err != nil {
		return stoppedOr(ctx, -1, fmt.Sprintf("ansible-playbook: %v", err)), nil
	}
	sum := rc.summary()
	res := executor.Result{ExitCode: code, Summary: sum.json()}
	switch {
	case code == 0:
	case ctx.Err() != nil:
		res.Error = fmt.Sprintf("%v (exit code %d)", context.Cause(ctx), code)
	default:
		res.Error = playbookFailure(code, sum)
	}
	return res, nil
}

// task is a checked request.
type task struct {
	req  executor.RunRequest
	opts options
	// playbook is relative to the work dir.
	playbook string
	// inventory is the inventory file's absolute path, or "".
	inventory string
	// vaultArgs name the repository's vault password scripts.
	vaultArgs []string
	// galaxy are the installs to run before the playbook.
	galaxy []galaxyStep
}

// parseTask checks req: its app, parameters and paths. Its errors are
// one-line reasons for a task that cannot start.
func parseTask(req executor.RunRequest) (task, error) {
	t := task{req: req}
	if req.App != appID {
		return t, fmt.Errorf("unknown app %q", req.App)
	}
	var tp templateParams
	if err := decodeParams(req.TemplateParams, &tp); err != nil {
		return t, fmt.Errorf("invalid template params: %w", err)
	}
	var kp params
	if err := decodeParams(req.TaskParams, &kp); err != nil {
		return t, fmt.Errorf("invalid task params: %w", err)
	}
	var err error
	if t.opts, err = mergeOptions(req, tp, kp); err != nil {
		return t, fmt.Errorf("invalid params: %w", err)
	}
	if t.playbook, err = resolvePlaybook(req.WorkDir, req.Playbook); err != nil {
		return t, err
	}
	for _, v := range t.opts.vaultScripts {
		rel, err := workspace.Resolve(req.WorkDir, v.Path, fmt.Sprintf("vault password script %q", v.Path), workspace.File)
		if err != nil {
			return t, err
		}
		id := v.ID
		if id == "" {
			id = "default"
		}
		t.vaultArgs = append(t.vaultArgs, "--vault-id="+id+"@"+filepath.Join(req.WorkDir, rel))
	}
	if t.inventory = req.InventoryFile; t.inventory != "" {
		if !filepath.IsAbs(t.inventory) {
			t.inventory = filepath.Join(req.WorkDir, t.inventory)
		}
		if _, err := os.Stat(t.inventory); err != nil {
			return t, fmt.Errorf("inventory file %q not found", req.InventoryFile)
		}
	}
	if !t.opts.skipGalaxy {
		if t.galaxy, err = galaxySteps(req.WorkDir); err != nil {
			return t, err
		}
	}
	return t, nil
}

// taskEnv returns the environment of the task's processes (see
// docs/plugins.md, "Environment"), except SSH_AUTH_SOCK.
func (a *Ansible) taskEnv(t task, tempDir, controlDir string) (*workspace.Env, error) {
	env := workspace.NewEnv(a.env)
	for _, k := range slices.Sorted(maps.Keys(defaultEnv)) {
		env.Set(k, defaultEnv[k])
	}
	env.Set("ANSIBLE_LOCAL_TEMP", filepath.Join(tempDir, "ansible-local"))
	if err := env.SetAll("env", t.req.Env); err != nil {
		return nil, err
	}
	if err := env.SetAll("secret", envSecrets(t.req.Secrets)); err != nil {
		return nil, err
	}
	// Nothing overrides these: streaming, a clean repository, and control
	// masters the plugin can find and close.
	env.Set("PYTHONUNBUFFERED", "1")
	env.Set("ANSIBLE_RETRY_FILES_ENABLED", "False")
	env.Set("ANSIBLE_SSH_CONTROL_PATH_DIR", controlDir)
	env.Set("SIGNALBOX_TASK_ID", strconv.FormatInt(t.req.TaskID, 10))
	env.Set("SIGNALBOX_PROJECT_ID", strconv.FormatInt(t.req.ProjectID, 10))
	env.Set("SIGNALBOX_TEMPLATE_ID", strconv.FormatInt(t.req.TemplateID, 10))
	env.Set("SIGNALBOX_ATTEMPT", strconv.Itoa(t.req.Attempt))
	for _, s := range t.galaxy {
		switch s.kind {
		case "role":
			env.PrependPath("ANSIBLE_ROLES_PATH", filepath.Join(tempDir, "galaxy", "roles"), defaultRolesPath)
		case "collection":
			// ANSIBLE_COLLECTIONS_PATHS is the older name of the variable.
			if _, ok := env.Get("ANSIBLE_COLLECTIONS_PATH"); !ok {
				if v, ok := env.Get("ANSIBLE_COLLECTIONS_PATHS"); ok {
					env.Set("ANSIBLE_COLLECTIONS_PATH", v)
				}
			}
			env.PrependPath("ANSIBLE_COLLECTIONS_PATH", filepath.Join(tempDir, "galaxy", "collections"), defaultCollectionsPath)
		}
	}
	return env, nil
}

// installGalaxy runs the task's galaxy installs, each into tempDir. It
// returns false, with the task's result, when one failed.
func (t task) installGalaxy(ctx context.Context, env []string, path, tempDir string, out executor.Output) (executor.Result, bool) {
	if len(t.galaxy) == 0 {
		return executor.Result{}, true
	}
	galaxy, err := workspace.LookPath("ansible-galaxy", path)
	if err != nil {
		return failed("ansible-galaxy not found on PATH, and the repository has requirements to install " +
			"(set skip_galaxy_install to skip them)"), false
	}
	for _, s := range t.galaxy {
		dir := filepath.Join(tempDir, "galaxy", s.kind+"s")
		_ = out.Write(executor.Line{Time: time.Now(), Stream: executor.StreamSystem, Text: s.String()})
		code, err := process.Run(ctx, process.Command{
			Path: galaxy, Args: []string{s.kind, "install", "-r", s.file, "-p", dir},
			Dir: t.req.WorkDir, Env: env,
			StopSignal: syscall.SIGINT, GracePeriod: t.req.StopGracePeriod,
		}, out)
		switch {
		case err != nil:
			return stoppedOr(ctx, -1, fmt.Sprintf("%s: %v", s, err)), false
		case code != 0:
			return stoppedOr(ctx, code, fmt.Sprintf("%s failed (exit code %d)", s, code)), false
		}
	}
	return executor.Result{}, true
}

// stoppedOr is the result of a step that failed: the stop's reason when
// the task was stopped, else reason.
func stoppedOr(ctx context.Context, code int, reason string) executor.Result {
	if ctx.Err() != nil {
		return executor.Result{ExitCode: code, Error: fmt.Sprintf("%v (exit code %d)", context.Cause(ctx), code)}
	}
	return executor.Result{ExitCode: code, Error: oneLine(reason)}
}

// writeExtraVars writes the extra vars to extra_vars.json in dir,
// readable by the owner only, and returns its path, or "" when there are
// none. becomeUser, when set, is added as ansible_become_user unless the
// extra vars set it.
func writeExtraVars(dir string, raw json.RawMessage, becomeUser string) (string, error) {
	raw = bytes.TrimSpace(raw)
	var vars map[string]json.RawMessage
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &vars); err != nil || vars == nil {
			return "", errors.New("extra vars: want a JSON object")
		}
	}
	if becomeUser != "" {
		if _, ok := vars["ansible_become_user"]; !ok {
			if vars == nil {
				vars = map[string]json.RawMessage{}
			}
			b, _ := json.Marshal(becomeUser)
			vars["ansible_become_user"] = b
			raw = nil
		}
	}
	if len(vars) == 0 {
		return "", nil
	}
	if raw == nil {
		var err error
		if raw, err = json.Marshal(vars); err != nil {
			return "", fmt.Errorf("extra vars: %w", err)
		}
	}
	p := filepath.Join(dir, extraVarsFile)
	if err := os.WriteFile(p, raw, 0o600); err != nil {
		return "", fmt.Errorf("write extra vars file: %w", err)
	}
	// WriteFile keeps the mode of a file that was there.
	if err := os.Chmod(p, 0o600); err != nil {
		return "", fmt.Errorf("write extra vars file: %w", err)
	}
	return p, nil
}

// closeControlMasters asks the SSH control masters left in dir to exit.
// Ansible's ssh connection starts them with ControlPersist, and they
// detach from the task's process group.
func closeControlMasters(dir, path string, env []string) {
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) == 0 {
		return
	}
	ssh, err := workspace.LookPath("ssh", path)
	if err != nil {
		return
	}
	var wg sync.WaitGroup
	for _, e := range entries {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, ssh, "-o", "ControlPath="+filepath.Join(dir, e.Name()),
				"-O", "exit", "signalbox-control-master")
			cmd.Env = env
			_ = cmd.Run()
		})
	}
	wg.Wait()
}

// failed is the result of a task that could not start.
func failed(format string, args ...any) executor.Result {
	return executor.Result{ExitCode: -1, Error: oneLine(fmt.Sprintf(format, args...))}
}

// oneLine joins the words of s with single spaces.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// runningOutput reports the "running" status once, when the task's first
// process has started.
type runningOutput struct {
	executor.Output
	once sync.Once
}

func (o *runningOutput) ProcessStarted(pid, pgid int) error {
	err := o.Output.ProcessStarted(pid, pgid)
	o.once.Do(func() { err = errors.Join(err, o.Status("running", "")) })
	return err
}
