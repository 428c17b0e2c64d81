package runner_test

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/signalbox/signalbox/core/gitsrc"
	"github.com/signalbox/signalbox/core/model"
	"github.com/signalbox/signalbox/core/runner"
	"github.com/signalbox/signalbox/core/secretbox"
	"github.com/signalbox/signalbox/core/store"
	"github.com/signalbox/signalbox/core/store/storetest"
	"github.com/signalbox/signalbox/sdk/executor"
)

// fakeExec is an in-process executor whose behaviour each test scripts.
type fakeExec struct {
	run func(ctx context.Context, req executor.RunRequest, out executor.Output) (executor.Result, error)

	mu    sync.Mutex
	stops map[int64]chan bool
}

func (f *fakeExec) Executor(context.Context, string) (runner.Executor, error) { return f, nil }

func (f *fakeExec) Run(ctx context.Context, req executor.RunRequest, out executor.Output) (executor.Result, error) {
	f.mu.Lock()
	ch := make(chan bool, 1)
	f.stops[req.TaskID] = ch
	f.mu.Unlock()
	ctx = context.WithValue(ctx, stopKey{}, ch)
	return f.run(ctx, req, out)
}

type stopKey struct{}

func stopped(ctx context.Context) chan bool { return ctx.Value(stopKey{}).(chan bool) }

func (f *fakeExec) Stop(_ context.Context, taskID int64, force bool) (bool, error) {
	f.mu.Lock()
	ch, ok := f.stops[taskID]
	f.mu.Unlock()
	if ok {
		select {
		case ch <- force:
		default:
		}
	}
	return ok, nil
}

type localRepo struct{}

func (localRepo) Prepare(_ context.Context, src gitsrc.Source, _ string) (gitsrc.Workspace, error) {
	return gitsrc.Workspace{Dir: src.URL, Local: true}, nil
}

type events struct {
	mu       sync.Mutex
	statuses map[int64][]model.TaskStatus
}

func (e *events) TaskChanged(t model.Task) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.statuses[t.ID] = append(e.statuses[t.ID], t.Status)
}
func (e *events) TaskOutput(model.Task, []model.OutputLine) {}

type noSecrets struct{}

func (noSecrets) OpenJSON([]byte, any) error { return nil }

type fixture struct {
	st       store.Store
	r        *runner.Runner
	project  model.Project
	template model.Template
	cancel   context.CancelFunc
}

func setup(t *testing.T, st store.Store, ex *fakeExec, cfg runner.Config) *fixture {
	return setupWith(t, st, ex, cfg, noSecrets{})
}

func setupWith(t *testing.T, st store.Store, ex *fakeExec, cfg runner.Config, secrets runner.Secrets) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{st: st}
	f.project = model.Project{Name: "p", Created: time.Now()}
	if err := st.Projects().Create(ctx, &f.project); err != nil {
		t.Fatal(err)
	}
	repo := model.Repository{ProjectID: f.project.ID, Name: "r", GitURL: t.TempDir()}
	if err := st.Repositories().Create(ctx, &repo); err != nil {
		t.Fatal(err)
	}
	f.template = model.Template{ProjectID: f.project.ID, Name: "t", App: "bash", Playbook: "x.sh", RepositoryID: repo.ID}
	if err := st.Templates().Create(ctx, &f.template); err != nil {
		t.Fatal(err)
	}
	if cfg.Owner == "" {
		cfg.Owner = "test-runner"
	}
	cfg.WorkDir = t.TempDir()
	f.r = runner.New(cfg, runner.Deps{Store: st, Executors: ex, Workspaces: localRepo{}, Secrets: secrets,
		Events: &events{statuses: map[int64][]model.TaskStatus{}}})
	rctx, cancel := context.WithCancel(ctx)
	f.cancel = cancel
	done := make(chan struct{})
	go func() { _ = f.r.Run(rctx); close(done) }()
	t.Cleanup(func() {
		cancel()
		<-done
		sctx, c := context.WithTimeout(context.Background(), 10*time.Second)
		defer c()
		f.r.Shutdown(sctx)
	})
	return f
}

func (f *fixture) queue(t *testing.T) model.Task {
	t.Helper()
	tk := model.Task{ProjectID: f.project.ID, TemplateID: f.template.ID, Status: model.TaskWaiting, Created: time.Now()}
	if err := f.st.Tasks().Create(context.Background(), &tk); err != nil {
		t.Fatal(err)
	}
	f.r.Wake()
	return tk
}

func (f *fixture) wait(t *testing.T, id int64, ok func(model.Task) bool) model.Task {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		tk, err := f.st.Tasks().Get(context.Background(), 0, id)
		if err != nil {
			t.Fatal(err)
		}
		if ok(tk) {
			return tk
		}
		if time.Now().After(deadline) {
			t.Fatalf("task %d stuck in %s", id, tk.Status)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func isFinal(t model.Task) bool { return t.Status.Final() }

func TestRunner_OutputIsDurableBeforeFinalStatus(t *testing.T) {
	const lines = 50000
	ex := &fakeExec{stops: map[int64]chan bool{}, run: func(ctx context.Context, req executor.RunRequest, out executor.Output) (executor.Result, error) {
		batch := make([]executor.Line, 0, 100)
		for i := 1; i <= lines; i++ {
			batch = append(batch, executor.Line{Time: time.Now(), Stream: executor.StreamStdout, Text: fmt.Sprintf("line %d", i)})
			if len(batch) == cap(batch) {
				if err := out.Write(batch...); err != nil {
					return executor.Result{}, err
				}
				batch = batch[:0]
			}
		}
		return executor.Result{}, nil
	}}
	for _, dialect := range storetest.Backends(t) {
		t.Run(dialect, func(t *testing.T) {
			f := setup(t, storetest.OpenBackend(t, dialect), ex, runner.Config{FlushLines: 1000})
			tk := f.queue(t)
			// Poll fast: the moment the status is final, every line must be readable.
			done := f.wait(t, tk.ID, isFinal)
			n, err := f.st.Output().Count(context.Background(), tk.ID)
			if err != nil {
				t.Fatal(err)
			}
			if done.Status != model.TaskSuccess || n != lines {
				t.Fatalf("status %s with %d lines stored, want success with %d", done.Status, n, lines)
			}
			got, err := f.st.Output().List(context.Background(), tk.ID, lines-1, 0)
			if err != nil || len(got) != 1 || got[0].Text != fmt.Sprintf("line %d", lines) || got[0].Seq != lines {
				t.Fatalf("last line = %+v, %v", got, err)
			}
		})
	}
}

func TestRunner_Stop(t *testing.T) {
	ex := &fakeExec{stops: map[int64]chan bool{}, run: func(ctx context.Context, req executor.RunRequest, out executor.Output) (executor.Result, error) {
		_ = out.Write(executor.Line{Time: time.Now(), Text: "working"})
		<-stopped(ctx)
		return executor.Result{ExitCode: 143, Stopped: true}, nil
	}}
	f := setup(t, storetest.Open(t, "sqlite"), ex, runner.Config{})
	t.Run("a running task ends stopped", func(t *testing.T) {
		tk := f.queue(t)
		f.wait(t, tk.ID, func(t model.Task) bool { return t.Status == model.TaskRunning })
		found, err := f.r.Stop(context.Background(), tk.ID, false)
		if err != nil || !found {
			t.Fatalf("Stop() = %v, %v", found, err)
		}
		if got := f.wait(t, tk.ID, isFinal); got.Status != model.TaskStopped {
			t.Errorf("status = %s (%s), want stopped", got.Status, got.Message)
		}
	})
	t.Run("stop of an unknown task is not found", func(t *testing.T) {
		if found, err := f.r.Stop(context.Background(), 999999, false); found || err != nil {
			t.Errorf("Stop() = %v, %v", found, err)
		}
	})
}

func TestRunner_TimeoutEndsTaskAsError(t *testing.T) {
	ex := &fakeExec{stops: map[int64]chan bool{}, run: func(ctx context.Context, req executor.RunRequest, out executor.Output) (executor.Result, error) {
		<-stopped(ctx)
		return executor.Result{ExitCode: 143, Stopped: true}, nil
	}}
	st := storetest.Open(t, "sqlite")
	f := setup(t, st, ex, runner.Config{})
	f.template.TimeoutSeconds = 1
	if err := st.Templates().Update(context.Background(), f.template); err != nil {
		t.Fatal(err)
	}
	tk := f.queue(t)
	got := f.wait(t, tk.ID, isFinal)
	if got.Status != model.TaskError || got.Message != "timed out after 1s" {
		t.Errorf("task = %s %q, want error \"timed out after 1s\"", got.Status, got.Message)
	}
}

func TestRunner_ParallelLimits(t *testing.T) {
	var mu sync.Mutex
	running, peak := 0, 0
	release := make(chan struct{})
	ex := &fakeExec{stops: map[int64]chan bool{}, run: func(ctx context.Context, req executor.RunRequest, out executor.Output) (executor.Result, error) {
		mu.Lock()
		running++
		peak = max(peak, running)
		mu.Unlock()
		<-release
		mu.Lock()
		running--
		mu.Unlock()
		return executor.Result{}, nil
	}}
	st := storetest.Open(t, "sqlite")
	f := setup(t, st, ex, runner.Config{MaxParallel: 3})
	var tasks []model.Task
	for range 8 {
		tasks = append(tasks, f.queue(t))
	}
	f.wait(t, tasks[2].ID, func(t model.Task) bool { return t.Status == model.TaskRunning })
	close(release)
	for _, tk := range tasks {
		if got := f.wait(t, tk.ID, isFinal); got.Status != model.TaskSuccess {
			t.Errorf("task %d = %s", tk.ID, got.Status)
		}
	}
	if peak > 3 {
		t.Errorf("%d tasks ran at once, limit 3", peak)
	}
}

func TestRunner_StartupEndsTasksLeftRunning(t *testing.T) {
	st := storetest.Open(t, "sqlite")
	ctx := context.Background()
	p := model.Project{Name: "p", Created: time.Now()}
	if err := st.Projects().Create(ctx, &p); err != nil {
		t.Fatal(err)
	}
	tk := model.Task{ProjectID: p.ID, TemplateID: 1, Status: model.TaskWaiting, Created: time.Now()}
	if err := st.Tasks().Create(ctx, &tk); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := st.Tasks().Claim(ctx, tk.ID, "crashed-node", time.Now().Add(time.Hour)); !ok || err != nil {
		t.Fatalf("claim: %v %v", ok, err)
	}
	ex := &fakeExec{stops: map[int64]chan bool{}}
	r := runner.New(runner.Config{Owner: "crashed-node", WorkDir: t.TempDir()}, runner.Deps{Store: st, Executors: ex,
		Workspaces: localRepo{}, Secrets: noSecrets{}, Events: &events{statuses: map[int64][]model.TaskStatus{}}})
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { _ = r.Run(rctx); close(done) }()
	defer func() { cancel(); <-done }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, err := st.Tasks().Get(ctx, 0, tk.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status == model.TaskError {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("task left in %s", got.Status)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestRunner_InventoryKeysReachTheExecutorAndAreMasked(t *testing.T) {
	box, err := secretbox.New(map[string][]byte{"k": bytes.Repeat([]byte{1}, 32)}, "k")
	if err != nil {
		t.Fatal(err)
	}
	var got executor.RunRequest
	ex := &fakeExec{stops: map[int64]chan bool{}, run: func(ctx context.Context, req executor.RunRequest, out executor.Output) (executor.Result, error) {
		got = req
		return executor.Result{}, out.Write(executor.Line{Time: time.Now(), Text: "key is " + req.Secrets[executor.SecretSSHPrivateKey] + " and pw " + req.Secrets[executor.SecretBecomePassword]})
	}}
	st := storetest.Open(t, "sqlite")
	ctx := context.Background()
	f := setupWith(t, st, ex, runner.Config{}, box)
	seal := func(s model.KeySecret) []byte {
		b, err := box.SealJSON(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	sshKey := model.AccessKey{ProjectID: f.project.ID, Name: "ssh", Type: model.KeySSH, Secret: seal(model.KeySecret{Login: "deploy", PrivateKey: "PRIVATE-KEY-MATERIAL"})}
	become := model.AccessKey{ProjectID: f.project.ID, Name: "become", Type: model.KeyLoginPassword, Secret: seal(model.KeySecret{Login: "root", Password: "become-secret"})}
	vault := model.AccessKey{ProjectID: f.project.ID, Name: "vault", Type: model.KeyLoginPassword, Secret: seal(model.KeySecret{Password: "vault-secret"})}
	for _, k := range []*model.AccessKey{&sshKey, &become, &vault} {
		if err := st.Keys().Create(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	inv := model.Inventory{ProjectID: f.project.ID, Name: "hosts", Type: model.InventoryStatic, Inventory: "[web]\nhost1\n", SSHKeyID: &sshKey.ID, BecomeKeyID: &become.ID}
	if err := st.Inventories().Create(ctx, &inv); err != nil {
		t.Fatal(err)
	}
	f.template.InventoryID = &inv.ID
	f.template.Limit = "web"
	f.template.Vaults = fmt.Sprintf(`[{"name":"prod","type":"password","vault_key_id":%d},{"name":"s","type":"script","script":"v.sh"}]`, vault.ID)
	if err := st.Templates().Update(ctx, f.template); err != nil {
		t.Fatal(err)
	}
	tk := f.queue(t)
	if fin := f.wait(t, tk.ID, isFinal); fin.Status != model.TaskSuccess {
		t.Fatalf("task = %s %s", fin.Status, fin.Message)
	}
	want := map[string]string{executor.SecretSSHUser: "deploy", executor.SecretSSHPrivateKey: "PRIVATE-KEY-MATERIAL",
		executor.SecretBecomeUser: "root", executor.SecretBecomePassword: "become-secret",
		executor.SecretVaultPasswordPrefix + "prod": "vault-secret"}
	for k, v := range want {
		if got.Secrets[k] != v {
			t.Errorf("secret %s = %q, want %q", k, got.Secrets[k], v)
		}
	}
	if string(got.TemplateParams) != `{"vault_password_scripts":[{"id":"s","path":"v.sh"}]}` {
		t.Errorf("template params = %s", got.TemplateParams)
	}
	if got.Limit != "web" || got.InventoryFile == "" {
		t.Errorf("limit %q, inventory file %q", got.Limit, got.InventoryFile)
	}
	lines, err := st.Output().List(ctx, tk.ID, 0, 0)
	if err != nil || len(lines) != 1 {
		t.Fatalf("output = %+v, %v", lines, err)
	}
	if lines[0].Text != "key is ******** and pw ********" {
		t.Errorf("stored line = %q: secrets must be masked", lines[0].Text)
	}
}

func TestRunner_WorkspaceInventoryBecomesAParameter(t *testing.T) {
	var got executor.RunRequest
	ex := &fakeExec{stops: map[int64]chan bool{}, run: func(ctx context.Context, req executor.RunRequest, out executor.Output) (executor.Result, error) {
		got = req
		return executor.Result{}, nil
	}}
	st := storetest.Open(t, "sqlite")
	ctx := context.Background()
	f := setup(t, st, ex, runner.Config{})
	inv := model.Inventory{ProjectID: f.project.ID, Name: "staging", Type: model.InventoryTerraformWorkspace, Inventory: "staging"}
	if err := st.Inventories().Create(ctx, &inv); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		params string
		want   string
	}{
		"the inventory names the workspace":  {params: "", want: `{"workspace":"staging"}`},
		"the template's own workspace wins":  {params: `{"workspace":"prod"}`, want: `{"workspace":"prod"}`},
		"other template parameters are kept": {params: `{"upgrade":true}`, want: `{"upgrade":true,"workspace":"staging"}`},
	} {
		t.Run(name, func(t *testing.T) {
			f.template.InventoryID, f.template.Params = &inv.ID, tc.params
			if err := st.Templates().Update(ctx, f.template); err != nil {
				t.Fatal(err)
			}
			tk := f.queue(t)
			if fin := f.wait(t, tk.ID, isFinal); fin.Status != model.TaskSuccess {
				t.Fatalf("task = %s %s", fin.Status, fin.Message)
			}
			if string(got.TemplateParams) != tc.want || got.InventoryFile != "" {
				t.Errorf("template params %s, inventory file %q; want %s and none", got.TemplateParams, got.InventoryFile, tc.want)
			}
		})
	}
}
