package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/signalbox/signalbox/sdk/executor"
	"github.com/signalbox/signalbox/sdk/plugintest"
)

// runLimit bounds a run of the tests' small modules.
const runLimit = 2 * time.Minute

func TestTerraform_Describe(t *testing.T) {
	t.Parallel()
	d, err := newTF(t).Describe(t.Context())
	if err != nil || d.Name != "terraform" || len(d.Apps) != 2 {
		t.Fatalf("Describe() = %+v, %v", d, err)
	}
	if d.Apps[0].ID != appTerraform || d.Apps[0].Version != "Terraform v1.5.7" {
		t.Errorf("terraform app = %+v, want version \"Terraform v1.5.7\"", d.Apps[0])
	}
	if d.Apps[1].ID != appTofu {
		t.Errorf("second app = %q, want tofu", d.Apps[1].ID)
	}
	var schema struct {
		Properties map[string]any `json:"properties"`
	}
	if err := json.Unmarshal(d.Apps[0].TaskSchema, &schema); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"workspace", "plan", "destroy", "auto_approve", "upgrade", "reconfigure"} {
		if _, ok := schema.Properties[p]; !ok {
			t.Errorf("task schema lacks %q", p)
		}
	}
}

func TestTerraform_Conformance(t *testing.T) {
	t.Parallel()
	plugintest.ExecutorConformance(t, newTF(t), plugintest.Conformance{
		Succeeds: func(t *testing.T) executor.RunRequest {
			return request(t, newRepo(t, "basic"), `{"auto_approve": true}`)
		},
		LongRunning: func(t *testing.T) executor.RunRequest {
			return request(t, newRepo(t, "slow"), `{"auto_approve": true}`)
		},
		Timeout: 2 * time.Minute,
	})
}

func TestTerraform_Approval(t *testing.T) {
	t.Parallel()
	client := plugintest.Executor(t, newTF(t))

	t.Run("a confirmed plan is applied, then a new plan has no changes and needs no confirmation", func(t *testing.T) {
		t.Parallel()
		repo := newRepo(t, "basic")
		req := request(t, repo, "")
		rec, done := started(t, client, req)
		sum := summaryOf(t, rec.WaitApproval(t, 1, runLimit))
		if sum != (counts{Add: 1, Workspace: "default"}) {
			t.Errorf("approval summary = %+v, want 1 to add in default", sum)
		}
		if strings.Contains(rec.Text(), "Apply complete") {
			t.Fatal("applied before the confirmation")
		}
		r := decideAndWait(t, client, req.TaskID, done, true)
		mustSucceed(t, r)
		if !strings.Contains(r.Text(), `greeting = "hello"`) {
			t.Errorf("the outputs are not in the log:\n%s", r.Text())
		}
		if got := summaryOf(t, r.Result.Summary); got != (counts{Add: 1, Workspace: "default", Applied: true}) {
			t.Errorf("summary = %+v, want 1 added and applied", got)
		}
		requireGroupsGone(t, r.Recorder)

		again := plugintest.Run(t, client, request(t, repo, ""))
		mustSucceed(t, again)
		if len(again.Approvals()) != 0 {
			t.Errorf("a plan without changes asked for confirmation: %s", again.Approvals())
		}
		if got := summaryOf(t, again.Result.Summary); got != (counts{Workspace: "default"}) {
			t.Errorf("summary = %+v, want no changes", got)
		}
	})

	t.Run("a rejected plan applies nothing", func(t *testing.T) {
		t.Parallel()
		repo := newRepo(t, "basic")
		req := request(t, repo, "")
		rec, done := started(t, client, req)
		rec.WaitApproval(t, 1, runLimit)
		r := decideAndWait(t, client, req.TaskID, done, false)
		if r.Err != nil || r.Result.Error != "the plan was rejected: nothing applied" {
			t.Errorf("Run() = %+v, %v; want the rejection", r.Result, r.Err)
		}
		if strings.Contains(r.Text(), "Apply complete") {
			t.Errorf("applied a rejected plan:\n%s", r.Text())
		}
		plan := plugintest.Run(t, client, request(t, repo, `{"plan": true}`))
		mustSucceed(t, plan)
		if got := summaryOf(t, plan.Result.Summary); got.Add != 1 {
			t.Errorf("after a rejection, plan summary = %+v, want the resource still to add", got)
		}
	})

	t.Run("plan only, by parameter or dry run, applies nothing and asks nothing", func(t *testing.T) {
		t.Parallel()
		repo := newRepo(t, "basic")
		dry := request(t, repo, "")
		dry.DryRun = true
		for _, req := range []executor.RunRequest{request(t, repo, `{"plan": true}`), dry} {
			r := plugintest.Run(t, client, req)
			mustSucceed(t, r)
			if got := summaryOf(t, r.Result.Summary); got != (counts{Add: 1, Workspace: "default"}) || len(r.Approvals()) != 0 {
				t.Errorf("summary = %+v, approvals %d; want 1 to add, not applied, no approval", got, len(r.Approvals()))
			}
		}
		if _, err := os.Stat(filepath.Join(repo, "infra", "terraform.tfstate")); err == nil {
			if b, _ := os.ReadFile(filepath.Join(repo, "infra", "terraform.tfstate")); strings.Contains(string(b), "terraform_data") {
				t.Errorf("plan only wrote resources to the state:\n%s", b)
			}
		}
	})

	t.Run("workspaces keep their states apart, and destroy empties one", func(t *testing.T) {
		t.Parallel()
		repo := newRepo(t, "basic")
		mustSucceed(t, plugintest.Run(t, client, request(t, repo, `{"workspace": "blue", "auto_approve": true}`)))
		green := plugintest.Run(t, client, request(t, repo, `{"workspace": "green", "plan": true}`))
		mustSucceed(t, green)
		if got := summaryOf(t, green.Result.Summary); got != (counts{Add: 1, Workspace: "green"}) {
			t.Errorf("green plan = %+v, want 1 to add: blue's state leaked", got)
		}
		if _, err := os.Stat(filepath.Join(repo, "infra", "terraform.tfstate.d", "blue", "terraform.tfstate")); err != nil {
			t.Errorf("blue's state: %v", err)
		}
		destroy := plugintest.Run(t, client, request(t, repo, `{"workspace": "blue", "destroy": true, "auto_approve": true}`))
		mustSucceed(t, destroy)
		if got := summaryOf(t, destroy.Result.Summary); got != (counts{Destroy: 1, Workspace: "blue", Applied: true}) {
			t.Errorf("destroy summary = %+v, want 1 destroyed", got)
		}
		again := plugintest.Run(t, client, request(t, repo, `{"workspace": "blue", "destroy": true, "auto_approve": true}`))
		mustSucceed(t, again)
		if got := summaryOf(t, again.Result.Summary); got.Destroy != 0 {
			t.Errorf("second destroy = %+v, want nothing left", got)
		}
	})

	t.Run("a variable and a secret variable reach the module, never the command line", func(t *testing.T) {
		t.Parallel()
		req := request(t, newRepo(t, "basic"), `{"auto_approve": true}`)
		req.ExtraVars = json.RawMessage(`{"greeting": "from extra vars"}`)
		req.Env = map[string]string{"TF_VAR_secret": "s3cret-value"}
		r := plugintest.Run(t, client, req)
		mustSucceed(t, r)
		for _, want := range []string{`greeting = "from extra vars"`, `secret = "s3cret-value"`} {
			if !strings.Contains(r.Text(), want) {
				t.Errorf("output lacks %s:\n%s", want, r.Text())
			}
		}
		for _, l := range r.Lines() {
			if l.Stream == executor.StreamSystem && strings.Contains(l.Text, "from extra vars") {
				t.Errorf("a variable's value is on a command line: %s", l.Text)
			}
		}
	})
}

func TestTerraform_Stop(t *testing.T) {
	t.Parallel()
	client := plugintest.Executor(t, newTF(t))
	repo := newRepo(t, "slow")
	req := request(t, repo, `{"auto_approve": true}`)
	req.ExtraVars = json.RawMessage(`{"sleep_seconds": 7211}`)
	rec, done := started(t, client, req)
	waitOutput(t, rec, "provisioning", runLimit)

	if found, err := client.Stop(t.Context(), req.TaskID, false); err != nil || !found {
		t.Fatalf("Stop() = %v, %v", found, err)
	}
	r := wait(t, done, req.StopGracePeriod+10*time.Second)
	if r.Err != nil || !r.Result.Stopped {
		t.Errorf("Run() = %+v, %v; want stopped; output:\n%s", r.Result, r.Err, r.Text())
	}
	requireGroupsGone(t, rec)
	requireNoProcess(t, "sleep 7211", 10*time.Second)

	// No stale state lock: the next run plans (and takes the lock) at once.
	next := request(t, repo, `{"plan": true}`)
	next.ExtraVars = json.RawMessage(`{"sleep_seconds": 1}`)
	after := plugintest.Run(t, client, next)
	mustSucceed(t, after)
	if strings.Contains(after.Text(), "lock") {
		t.Errorf("the next plan met a lock:\n%s", after.Text())
	}
}

func TestTerraform_Errors(t *testing.T) {
	t.Parallel()
	tf := newTF(t)
	missing := newTerraform(config{env: testEnv(t), binaries: map[string]string{appTerraform: "/nonexistent/terraform"},
		pluginCacheDir: t.TempDir()})
	noTofu := newTerraform(config{env: []string{"PATH=/nonexistent"}, pluginCacheDir: t.TempDir()})
	client := plugintest.Executor(t, tf)
	for name, tc := range map[string]struct {
		impl   executor.Executor
		module string
		mod    func(req *executor.RunRequest)
		want   string
	}{
		"invalid HCL":                  {tf, "invalid", nil, "terraform init: "},
		"a missing variable":           {tf, "required", nil, "terraform plan: No value for required variable"},
		"a module outside the repo":    {tf, "basic", func(r *executor.RunRequest) { r.Playbook = "../elsewhere" }, `module folder "../elsewhere" is outside the repository`},
		"a module that does not exist": {tf, "basic", func(r *executor.RunRequest) { r.Playbook = "nope" }, `module folder "nope" not found in repository`},
		"a missing binary":             {missing, "basic", nil, `Terraform binary "/nonexistent/terraform" (set by SIGNALBOX_PLUGIN_TERRAFORM_BINARY) is not an executable file`},
		"tofu without its binary":      {noTofu, "basic", func(r *executor.RunRequest) { r.App = appTofu }, "OpenTofu not found"},
		"a bad workspace name":         {tf, "basic", func(r *executor.RunRequest) { r.TaskParams = json.RawMessage(`{"workspace": "../x"}`) }, `invalid workspace name "../x"`},
		"an unknown app":               {tf, "basic", func(r *executor.RunRequest) { r.App = "pulumi" }, `unknown app "pulumi"`},
	} {
		t.Run(name+" fails with a one-line reason", func(t *testing.T) {
			t.Parallel()
			c := client
			if tc.impl != executor.Executor(tf) {
				c = plugintest.Executor(t, tc.impl)
			}
			req := request(t, newRepo(t, tc.module), `{"auto_approve": true}`)
			if tc.mod != nil {
				tc.mod(&req)
			}
			r := plugintest.Run(t, c, req)
			if r.Err != nil || !r.Result.Failed() || !strings.Contains(r.Result.Error, tc.want) || strings.Contains(r.Result.Error, "\n") {
				t.Errorf("Run() = %+v, %v; want a one-line error containing %q; output:\n%s", r.Result, r.Err, tc.want, r.Text())
			}
		})
	}
}
