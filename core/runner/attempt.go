package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/signalbox/signalbox/core/gitsrc"
	"github.com/signalbox/signalbox/core/model"
	"github.com/signalbox/signalbox/core/store"
	"github.com/signalbox/signalbox/sdk/executor"
)

// attempt is one run of a task held by this runner.
type attempt struct {
	r    *Runner
	task model.Task
	log  hclog.Logger

	mu       sync.Mutex
	exec     Executor           // set once the executor runs the task
	cancel   context.CancelFunc // cancels preparation and, on force, the run
	stopping bool
	reason   string // why the task was stopped, when not by a user
	rejected bool   // someone rejected what the task waited for
	pgids    map[int]bool
	// ran is closed when the executor's Run has returned, or was never called.
	ran chan struct{}
}

func (r *Runner) start(t model.Task) {
	a := &attempt{r: r, task: t, log: r.log.With("task_id", t.ID, "attempt", t.Attempt), pgids: map[int]bool{},
		ran: make(chan struct{})}
	r.mu.Lock()
	r.running[t.ID] = a
	r.mu.Unlock()
	r.wg.Add(1)
	r.Events.TaskChanged(t)
	go func() {
		defer r.wg.Done()
		defer func() {
			r.mu.Lock()
			delete(r.running, t.ID)
			r.mu.Unlock()
			r.Wake()
		}()
		a.run()
	}()
}

// stop asks the attempt to end. reason, when set, replaces "stopped" as the
// outcome: a timeout or a shutdown ends the task as an error.
func (a *attempt) stop(ctx context.Context, force bool, reason string) error {
	a.mu.Lock()
	first := !a.stopping
	a.stopping = true
	if reason != "" && a.reason == "" {
		a.reason = reason
	}
	ex, cancel := a.exec, a.cancel
	a.mu.Unlock()
	if first {
		a.transition(ctx, store.Transition{From: []model.TaskStatus{model.TaskStarting, model.TaskRunning, model.TaskWaitingConfirmation},
			To: model.TaskStopping})
	}
	if ex == nil {
		// Still preparing: abandon the preparation.
		if cancel != nil {
			cancel()
		}
		return nil
	}
	found, err := ex.Stop(ctx, a.task.ID, force)
	if err != nil {
		if force && cancel != nil {
			cancel()
		}
		return fmt.Errorf("stop task %d: %w", a.task.ID, err)
	}
	if !found {
		// The run was handed to the plugin but has not registered there
		// yet: keep asking until it has, or until it is over.
		go a.stopWhenRegistered(ex, force, cancel)
	}
	return nil
}

// stopWhenRegistered repeats a stop the plugin did not find yet.
func (a *attempt) stopWhenRegistered(ex Executor, force bool, cancel context.CancelFunc) {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	deadline := time.NewTimer(a.r.cfg.StopGracePeriod + 5*time.Second)
	defer deadline.Stop()
	for {
		select {
		case <-a.ran:
			return
		case <-deadline.C:
			// The plugin never saw the run: abandon it.
			if cancel != nil {
				cancel()
			}
			return
		case <-tick.C:
			if found, err := ex.Stop(context.Background(), a.task.ID, force); err != nil || found {
				return
			}
		}
	}
}

// awaitApproval records that the executor waits for approval of summary:
// the task shows the summary and waits in waiting_confirmation.
func (a *attempt) awaitApproval(ctx context.Context, summary string) {
	if a.transition(ctx, store.Transition{From: []model.TaskStatus{model.TaskRunning}, To: model.TaskWaitingConfirmation,
		Summary: &summary}) {
		a.log.Info("task waits for confirmation")
	}
}

// decide confirms or rejects what the attempt waits for: a confirmed task
// runs on; a rejected one ends as rejected once its executor has returned.
func (a *attempt) decide(ctx context.Context, approved bool) error {
	a.mu.Lock()
	ex, stopping := a.exec, a.stopping
	a.mu.Unlock()
	d, ok := ex.(executor.Decider)
	if !ok || stopping {
		return model.Conflictf("task %d is not waiting for confirmation", a.task.ID)
	}
	to := model.TaskRunning
	if !approved {
		to = model.TaskStopping
	}
	// Move first, fenced: of two decisions only one goes through, and the
	// executor may ask again as soon as it has the answer.
	if !a.transition(ctx, store.Transition{From: []model.TaskStatus{model.TaskWaitingConfirmation}, To: to}) {
		return model.Conflictf("task %d is not waiting for confirmation", a.task.ID)
	}
	if !approved {
		a.mu.Lock()
		a.rejected = true
		a.mu.Unlock()
	}
	found, err := d.Decide(ctx, a.task.ID, approved)
	if err != nil {
		return fmt.Errorf("decide task %d: %w", a.task.ID, err)
	}
	if !found {
		return model.Conflictf("task %d: its executor was not waiting for a decision", a.task.ID)
	}
	return nil
}

func (a *attempt) isRejected() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.rejected
}

func (a *attempt) isStopping() (bool, string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.stopping, a.reason
}

// transition applies a fenced status change and publishes the task.
func (a *attempt) transition(ctx context.Context, tr store.Transition) bool {
	tr.TaskID, tr.Attempt, tr.Owner = a.task.ID, a.task.Attempt, a.r.cfg.Owner
	ok, err := a.r.Store.Tasks().Transition(ctx, tr)
	if err != nil {
		a.log.Error("change task status", "to", tr.To, "error", err)
		return false
	}
	if !ok {
		return false
	}
	// a.task keeps the claimed attempt's fields only; it is read concurrently.
	if t, err := a.r.Store.Tasks().Get(ctx, 0, a.task.ID); err == nil {
		a.r.Events.TaskChanged(t)
	}
	return true
}

// run executes the attempt to its end and records the outcome.
func (a *attempt) run() {
	ctx := context.Background()
	out, err := newSink(ctx, a)
	if err != nil {
		a.finish(ctx, nil, model.TaskError, fmt.Sprintf("prepare output: %v", err), nil, nil)
		return
	}
	res, runErr := a.execute(ctx, out)
	stopping, reason := a.isStopping()

	status, msg := model.TaskSuccess, ""
	switch {
	case runErr != nil && errors.Is(runErr, errStopped):
		status, msg = model.TaskStopped, "stopped before it started"
	case runErr != nil:
		status, msg = model.TaskError, runErr.Error()
	case stopping && reason != "":
		status, msg = model.TaskError, reason
	case stopping || res.Stopped:
		status, msg = model.TaskStopped, "stopped"
	case a.isRejected():
		status, msg = model.TaskRejected, res.Error
		if msg == "" {
			msg = "rejected"
		}
	case res.Failed():
		status, msg = model.TaskError, res.Error
		if msg == "" {
			msg = fmt.Sprintf("exit code %d", res.ExitCode)
		}
	}
	if runErr != nil && errors.Is(runErr, errStopped) && reason != "" {
		status, msg = model.TaskError, reason
	}
	var exitCode *int
	if runErr == nil {
		exitCode = &res.ExitCode
	}
	var summary *string
	if len(res.Summary) > 0 {
		s := string(res.Summary)
		summary = &s
	}
	a.finish(ctx, out, status, msg, exitCode, summary)
}

// finish stores the remaining output, then the final status: a client that
// sees the final status can read every line.
func (a *attempt) finish(ctx context.Context, out *sink, status model.TaskStatus, msg string, exitCode *int, summary *string) {
	if out != nil {
		if status == model.TaskError && msg != "" {
			out.system("error: " + msg)
		}
		if err := out.Close(); err != nil {
			a.log.Error("store task output", "error", err)
			status, msg = model.TaskError, "task output could not be stored: "+err.Error()
		}
	}
	a.killGroups()
	now := time.Now().UTC()
	if !a.transition(ctx, store.Transition{
		From: model.ActiveStatuses, To: status, Message: msg, End: &now,
		ExitCode: exitCode, Summary: summary, ClearLease: true,
	}) {
		a.log.Warn("final status refused: the attempt is no longer current", "status", status)
		return
	}
	a.log.Info("task finished", "status", status, "reason", msg)
	a.recordFinish(ctx, status, msg)
	if a.r.finished != nil {
		if t, err := a.r.Store.Tasks().Get(ctx, 0, a.task.ID); err == nil {
			a.r.finished(ctx, t)
		}
	}
}

// recordFinish writes the event of the task's end.
func (a *attempt) recordFinish(ctx context.Context, status model.TaskStatus, msg string) {
	name := fmt.Sprintf("%d", a.task.TemplateID)
	if tmpl, err := a.r.Store.Templates().Get(ctx, a.task.ProjectID, a.task.TemplateID); err == nil {
		name = fmt.Sprintf("%q", tmpl.Name)
	}
	desc := fmt.Sprintf("Task %d of template %s finished: %s", a.task.ID, name, status)
	if msg != "" && status != model.TaskSuccess {
		desc += " (" + msg + ")"
	}
	pid, tid := a.task.ProjectID, a.task.ID
	e := model.Event{ProjectID: &pid, ObjectType: "task", ObjectID: &tid, Description: desc, Created: time.Now().UTC()}
	if err := a.r.Store.Events().Create(ctx, &e); err != nil {
		a.log.Error("record task event", "error", err)
	}
}

// killGroups kills what is left of the process groups the task started, in
// case the plugin died before it could clean up.
func (a *attempt) killGroups() {
	a.mu.Lock()
	defer a.mu.Unlock()
	for pgid := range a.pgids {
		if pgid > 1 {
			if err := syscall.Kill(-pgid, syscall.SIGKILL); err == nil {
				a.log.Warn("killed a process group the task left behind", "pgid", pgid)
			}
		}
	}
}

// execute prepares the workspace and runs the task in its executor.
func (a *attempt) execute(ctx context.Context, out *sink) (executor.Result, error) {
	defer close(a.ran)
	prepCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	a.mu.Lock()
	a.cancel = cancel
	a.mu.Unlock()
	if stopping, _ := a.isStopping(); stopping {
		return executor.Result{}, errStopped
	}

	dir := filepath.Join(a.r.cfg.WorkDir, fmt.Sprintf("task-%d-%d", a.task.ID, a.task.Attempt))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return executor.Result{}, fmt.Errorf("create workspace: %w", err)
	}
	defer func() {
		if err := os.RemoveAll(dir); err != nil {
			a.log.Error("remove workspace", "dir", dir, "error", err)
		}
	}()
	req, secrets, app, err := a.request(prepCtx, dir)
	if err != nil {
		if prepCtx.Err() != nil {
			return executor.Result{}, errStopped
		}
		return executor.Result{}, err
	}
	out.mask(secrets)
	ex, err := a.r.Executors.Executor(prepCtx, app)
	if err != nil {
		if prepCtx.Err() != nil {
			return executor.Result{}, errStopped
		}
		return executor.Result{}, fmt.Errorf("executor for app %q: %w", app, err)
	}

	a.mu.Lock()
	a.exec = ex
	stopping := a.stopping
	a.mu.Unlock()
	if stopping {
		return executor.Result{}, errStopped
	}
	now := time.Now().UTC()
	if !a.transition(ctx, store.Transition{From: []model.TaskStatus{model.TaskStarting}, To: model.TaskRunning, Start: &now}) {
		if stopping, _ := a.isStopping(); stopping {
			return executor.Result{}, errStopped
		}
		return executor.Result{}, errors.New("the task was taken over by another runner")
	}
	if tmpl, err := a.r.Store.Templates().Get(ctx, a.task.ProjectID, a.task.TemplateID); err == nil && tmpl.TimeoutSeconds > 0 {
		limit := time.Duration(tmpl.TimeoutSeconds) * time.Second
		timer := time.AfterFunc(limit, func() {
			_ = a.stop(context.Background(), false, fmt.Sprintf("timed out after %s", limit))
		})
		defer timer.Stop()
	}
	// The run's context is cancelled only to force-abandon a stuck plugin;
	// stops go through the executor's Stop.
	runCtx, cancelRun := context.WithCancel(ctx)
	defer cancelRun()
	a.mu.Lock()
	a.cancel = cancelRun
	a.mu.Unlock()
	res, err := ex.Run(runCtx, req, out)
	if err != nil {
		if errors.Is(err, executor.ErrPluginExited) {
			return executor.Result{}, fmt.Errorf("the executor plugin for app %q exited during the task: %w", app, err)
		}
		return executor.Result{}, err
	}
	return res, nil
}

// request builds the executor's request: it resolves the template's
// repository, inventory, environment and keys just before the run.
func (a *attempt) request(ctx context.Context, dir string) (executor.RunRequest, []string, string, error) {
	st, t := a.r.Store, a.task
	tmpl, err := st.Templates().Get(ctx, t.ProjectID, t.TemplateID)
	if err != nil {
		return executor.RunRequest{}, nil, "", fmt.Errorf("template %d: %w", t.TemplateID, err)
	}
	var secrets []string
	repo, err := st.Repositories().Get(ctx, t.ProjectID, tmpl.RepositoryID)
	if err != nil {
		return executor.RunRequest{}, nil, "", fmt.Errorf("repository %d of template %q: %w", tmpl.RepositoryID, tmpl.Name, err)
	}
	src := gitsrc.Source{URL: repo.GitURL, Branch: repo.GitBranch}
	if tmpl.GitBranch != "" {
		src.Branch = tmpl.GitBranch
	}
	if t.GitBranch != "" {
		src.Branch = t.GitBranch
	}
	if repo.SSHKeyID != 0 {
		k, sec, err := a.key(ctx, repo.SSHKeyID)
		if err != nil {
			return executor.RunRequest{}, nil, "", fmt.Errorf("key of repository %q: %w", repo.Name, err)
		}
		src.KeyType, src.Key = k.Type, sec
		secrets = append(secrets, sec.Password, sec.PrivateKey, sec.Passphrase)
	}
	ws, err := a.r.Workspaces.Prepare(ctx, src, filepath.Join(dir, "repo"))
	if err != nil {
		return executor.RunRequest{}, nil, "", fmt.Errorf("repository %q: %w", repo.Name, err)
	}
	if ws.Commit != "" {
		a.log.Debug("repository checked out", "commit", ws.Commit)
	}
	tmp := filepath.Join(dir, "tmp")
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		return executor.RunRequest{}, nil, "", fmt.Errorf("create temp dir: %w", err)
	}

	req := executor.RunRequest{
		TaskID: t.ID, ProjectID: t.ProjectID, TemplateID: t.TemplateID, Attempt: t.Attempt,
		App: tmpl.App, WorkDir: ws.Dir, TempDir: tmp, Playbook: tmpl.Playbook,
		Env: map[string]string{}, Secrets: map[string]string{}, StopGracePeriod: a.r.cfg.StopGracePeriod,
	}
	if t.Playbook != "" {
		req.Playbook = t.Playbook
	}
	req.Debug, req.DryRun, req.Diff, req.Limit, req.Commit = t.Debug, t.DryRun, t.Diff, tmpl.Limit, ws.Commit
	if t.Limit != "" {
		req.Limit = t.Limit
	}
	for k, v := range a.r.cfg.Env {
		req.Env[k] = v
	}
	var workspace string
	if tmpl.InventoryID != nil {
		inv, err := st.Inventories().Get(ctx, t.ProjectID, *tmpl.InventoryID)
		if err != nil {
			return executor.RunRequest{}, nil, "", fmt.Errorf("inventory %d of template %q: %w", *tmpl.InventoryID, tmpl.Name, err)
		}
		for _, k := range []struct {
			id                       *int64
			user, pass, pkey, phrase string
		}{
			{inv.SSHKeyID, executor.SecretSSHUser, executor.SecretSSHPassword, executor.SecretSSHPrivateKey, executor.SecretSSHPassphrase},
			{inv.BecomeKeyID, executor.SecretBecomeUser, executor.SecretBecomePassword, "", ""},
		} {
			if k.id == nil || *k.id == 0 {
				continue
			}
			key, sec, err := a.key(ctx, *k.id)
			if err != nil {
				return executor.RunRequest{}, nil, "", fmt.Errorf("key of inventory %q: %w", inv.Name, err)
			}
			setSecret(req.Secrets, k.user, sec.Login)
			setSecret(req.Secrets, k.pass, sec.Password)
			if key.Type == model.KeySSH && k.pkey != "" {
				setSecret(req.Secrets, k.pkey, sec.PrivateKey)
				setSecret(req.Secrets, k.phrase, sec.Passphrase)
			}
		}
		switch inv.Type {
		case model.InventoryFile:
			req.InventoryFile = filepath.Join(ws.Dir, inv.Inventory)
		case model.InventoryTerraformWorkspace, model.InventoryTofuWorkspace:
			workspace = strings.TrimSpace(inv.Inventory)
		default:
			req.InventoryFile = filepath.Join(tmp, "inventory")
			if err := os.WriteFile(req.InventoryFile, []byte(inv.Inventory), 0o600); err != nil {
				return executor.RunRequest{}, nil, "", fmt.Errorf("write inventory: %w", err)
			}
		}
	}
	extra := map[string]any{}
	var envSecrets []openSecret
	if tmpl.EnvironmentID != nil {
		env, err := st.Environments().Get(ctx, t.ProjectID, *tmpl.EnvironmentID)
		if err != nil {
			return executor.RunRequest{}, nil, "", fmt.Errorf("environment %d of template %q: %w", *tmpl.EnvironmentID, tmpl.Name, err)
		}
		if err := mergeJSONObject(extra, env.JSON); err != nil {
			return executor.RunRequest{}, nil, "", fmt.Errorf("extra variables of environment %q: %w", env.Name, err)
		}
		if strings.TrimSpace(env.Env) != "" {
			vars := map[string]string{}
			if err := json.Unmarshal([]byte(env.Env), &vars); err != nil {
				return executor.RunRequest{}, nil, "", fmt.Errorf("environment variables of environment %q must be a JSON object of strings: %w", env.Name, err)
			}
			for k, v := range vars {
				req.Env[k] = v
			}
		}
		envSecrets, err = a.environmentSecrets(ctx, env)
		if err != nil {
			return executor.RunRequest{}, nil, "", err
		}
	}
	if err := mergeJSONObject(extra, t.Environment); err != nil {
		return executor.RunRequest{}, nil, "", fmt.Errorf("extra variables of the task: %w", err)
	}
	// Environment secrets come last: a task's overrides cannot replace them.
	for _, es := range envSecrets {
		if es.Type == model.SecretVar {
			extra[es.Name] = es.value
		} else {
			req.Env[es.Name] = es.value
		}
		secrets = append(secrets, es.value)
	}
	if len(extra) > 0 {
		b, _ := json.Marshal(extra)
		req.ExtraVars = b
	}
	args, err := jsonStrings(tmpl.Arguments)
	if err != nil {
		return executor.RunRequest{}, nil, "", fmt.Errorf("arguments of template %q: %w", tmpl.Name, err)
	}
	if tmpl.AllowOverrideArgsInTask && strings.TrimSpace(t.Arguments) != "" {
		if args, err = jsonStrings(t.Arguments); err != nil {
			return executor.RunRequest{}, nil, "", fmt.Errorf("arguments of the task: %w", err)
		}
	}
	req.Arguments = args
	if strings.TrimSpace(tmpl.Params) != "" {
		req.TemplateParams = json.RawMessage(tmpl.Params)
	}
	if strings.TrimSpace(t.Params) != "" {
		req.TaskParams = json.RawMessage(t.Params)
	}
	if err := a.vaultPasswords(ctx, tmpl, req.Secrets); err != nil {
		return executor.RunRequest{}, nil, "", err
	}
	if req.TemplateParams, err = withVaultScripts(tmpl, req.TemplateParams); err != nil {
		return executor.RunRequest{}, nil, "", err
	}
	if workspace != "" {
		// The inventory's workspace, unless the template names one itself.
		if req.TemplateParams, err = setParam(req.TemplateParams, "workspace", workspace, false); err != nil {
			return executor.RunRequest{}, nil, "", fmt.Errorf("task_params of template %q: %w", tmpl.Name, err)
		}
	}
	// Every secret value is masked in the output, whoever prints it.
	for name, v := range req.Secrets {
		if name != executor.SecretSSHUser && name != executor.SecretBecomeUser {
			secrets = append(secrets, v)
		}
	}
	return req, secrets, tmpl.App, nil
}

func (a *attempt) key(ctx context.Context, id int64) (model.AccessKey, model.KeySecret, error) {
	k, err := a.r.Store.Keys().Get(ctx, a.task.ProjectID, id)
	if err != nil {
		return k, model.KeySecret{}, err
	}
	var sec model.KeySecret
	if len(k.Secret) > 0 {
		if err := a.r.Secrets.OpenJSON(k.Secret, &sec); err != nil {
			return k, sec, fmt.Errorf("decrypt key %q: %w", k.Name, err)
		}
	}
	return k, sec, nil
}

// vaultPasswords puts the template's vault passwords into secrets, under
// the well-known names. Vault scripts are the executor's business.
func (a *attempt) vaultPasswords(ctx context.Context, tmpl model.Template, secrets map[string]string) error {
	if strings.TrimSpace(tmpl.Vaults) == "" {
		return nil
	}
	var vaults []struct {
		Name       string `json:"name"`
		Type       string `json:"type"`
		VaultKeyID *int64 `json:"vault_key_id"`
	}
	if err := json.Unmarshal([]byte(tmpl.Vaults), &vaults); err != nil {
		return fmt.Errorf("vaults of template %q: %w", tmpl.Name, err)
	}
	for _, v := range vaults {
		if v.Type == "script" || v.VaultKeyID == nil {
			continue
		}
		_, sec, err := a.key(ctx, *v.VaultKeyID)
		if err != nil {
			return fmt.Errorf("vault key of template %q: %w", tmpl.Name, err)
		}
		name := executor.SecretVaultPassword
		if v.Name != "" && v.Name != "default" {
			name = executor.SecretVaultPasswordPrefix + v.Name
		}
		setSecret(secrets, name, sec.Password)
	}
	return nil
}

// withVaultScripts adds the template's script vaults to its parameters as
// vault_password_scripts: [{"id", "path"}], where vault-aware executors
// (Ansible) read them.
func withVaultScripts(tmpl model.Template, params json.RawMessage) (json.RawMessage, error) {
	if strings.TrimSpace(tmpl.Vaults) == "" {
		return params, nil
	}
	var vaults []struct {
		Name, Type, Script string
	}
	if err := json.Unmarshal([]byte(tmpl.Vaults), &vaults); err != nil {
		return nil, fmt.Errorf("vaults of template %q: %w", tmpl.Name, err)
	}
	type script struct {
		ID   string `json:"id,omitempty"`
		Path string `json:"path"`
	}
	var scripts []script
	for _, v := range vaults {
		if v.Type == "script" && v.Script != "" {
			scripts = append(scripts, script{ID: v.Name, Path: v.Script})
		}
	}
	if len(scripts) == 0 {
		return params, nil
	}
	return setParam(params, "vault_password_scripts", scripts, true)
}

// setParam sets key in a JSON object of parameters; with replace false, a
// key already there is kept.
func setParam(params json.RawMessage, key string, value any, replace bool) (json.RawMessage, error) {
	m := map[string]any{}
	if len(params) > 0 {
		if err := json.Unmarshal(params, &m); err != nil {
			return nil, err
		}
	}
	if _, ok := m[key]; ok && !replace {
		return params, nil
	}
	m[key] = value
	return json.Marshal(m)
}

// openSecret is a decrypted environment secret.
type openSecret struct {
	model.EnvironmentSecret
	value string
}

// environmentSecrets decrypts an environment's secrets.
func (a *attempt) environmentSecrets(ctx context.Context, env model.Environment) ([]openSecret, error) {
	list, err := a.r.Store.EnvironmentSecrets().List(ctx, env.ProjectID, env.ID)
	if err != nil {
		return nil, fmt.Errorf("secrets of environment %q: %w", env.Name, err)
	}
	out := make([]openSecret, 0, len(list))
	for _, es := range list {
		var v string
		if err := a.r.Secrets.OpenJSON(es.Secret, &v); err != nil {
			return nil, fmt.Errorf("decrypt secret %q of environment %q: %w", es.Name, env.Name, err)
		}
		out = append(out, openSecret{EnvironmentSecret: es, value: v})
	}
	return out, nil
}

func setSecret(m map[string]string, name, value string) {
	if name != "" && value != "" {
		m[name] = value
	}
}

func mergeJSONObject(dst map[string]any, s string) error {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return fmt.Errorf("must be a JSON object: %w", err)
	}
	for k, v := range m {
		dst[k] = v
	}
	return nil
}

func jsonStrings(s string) ([]string, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []string
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		return nil, fmt.Errorf("must be a JSON array of strings: %w", err)
	}
	return out, nil
}
