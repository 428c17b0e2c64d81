package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/crypto/bcrypt"

	"github.com/signalbox/signalbox/core/secretbox"
	"github.com/signalbox/signalbox/core/service"
	"github.com/signalbox/signalbox/core/store/storetest"
	"github.com/signalbox/signalbox/sdk/executor"
)

// permissiveApps serves the named apps, with schemas that accept any
// parameters: a Semaphore backup has ansible templates.
type permissiveApps []string

func (p permissiveApps) Apps(context.Context) map[string]service.App {
	schema := json.RawMessage(`{"type":"object"}`)
	out := map[string]service.App{}
	for _, id := range p {
		out[id] = service.App{App: executor.App{ID: id, Title: id, TemplateSchema: schema, TaskSchema: schema}, Plugin: id}
	}
	return out
}

// newBackupEnv is newEnv with the ansible and bash apps.
func newBackupEnv(t *testing.T) *env {
	t.Helper()
	st := storetest.OpenBackend(t, apiStore())
	box, err := secretbox.New(map[string][]byte{"k1": bytes.Repeat([]byte{7}, 32)}, "k1")
	if err != nil {
		t.Fatal(err)
	}
	svc := service.New(service.Deps{Store: st, Runner: idleRunner{}, Apps: permissiveApps{"ansible", "bash", "terraform"}, Sealer: box,
		PasswordCost: bcrypt.MinCost})
	ctx := context.Background()
	if _, _, err := svc.EnsureAdmin(ctx, "admin", "admin@example.com", "admin-password"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateUser(ctx, service.SystemActor, service.NewUser{Username: "bob", Email: "bob@example.com", Password: "bob-password"}); err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, svc: svc}
	e.srv = httptest.NewServer(&contractRecorder{t: t, next: newHandler(e), checked: map[string]bool{}})
	t.Cleanup(e.srv.Close)
	return e
}

// decodeJSON decodes a JSON document into maps, slices and float64s.
func decodeJSON(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return v
}

func encodeJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// projectNames lists the names of the projects an admin sees.
func projectNames(c client) []string {
	var ps []struct {
		Name string `json:"name"`
	}
	c.do("GET", "/api/projects", "", 200, &ps)
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = p.Name
	}
	sort.Strings(names)
	return names
}

// Fields of a Semaphore backup that Signalbox does not keep, as
// docs/api.md ("Backup and restore") says. Paths name array elements "[]".
var notKept = map[string]bool{
	// Aliases are capability URLs, unique on a server: a restore makes none.
	"integration_aliases":    true,
	"integrations[].aliases": true,
	// Semaphore names a key whose secret signs webhooks; Signalbox
	// integrations hold their own secret, which a backup never has.
	"integrations[].auth_secret": true,
}

// ourFields are the fields only Signalbox writes. Where a Semaphore backup
// lacks one, the restored project's backup may have it only with its
// default: the empty value, or the one given here.
var ourFields = map[string]any{
	"templates[].git_branch":                        nil,
	"templates[].limit":                             nil,
	"templates[].timeout":                           nil,
	"templates[].task_params":                       nil,
	"templates[].schedules":                         nil, // checked against cron by derivedFields
	"environments[].secrets":                        nil,
	"integrations[].extract_values[].variable_type": "environment",
}

// derivedFields check a field of ours whose value follows from Semaphore's
// fields: want is the object of the original backup that lacks it.
var derivedFields = map[string]func(want map[string]any, got any) error{
	// A template's cron becomes one active, unnamed cron schedule.
	"templates[].schedules": func(want map[string]any, got any) error {
		cron, _ := want["cron"].(string)
		if cron == "" {
			return fmt.Errorf("schedules %v for a template without cron", got)
		}
		wantSchedules := []any{map[string]any{"name": "", "type": "", "cron_format": cron, "active": true}}
		if d := cmp.Diff(wantSchedules, got); d != "" {
			return fmt.Errorf("schedules do not match cron %q (-want +got):\n%s", cron, d)
		}
		return nil
	},
}

// compareBackup reports how got, a backup Signalbox wrote, lacks or
// changes the content of want, a backup it restored. Arrays of objects
// are matched by name (or title), so order does not matter; ids are not
// in backups.
func compareBackup(path string, want, got any) []string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: got %v, want an object", path, got)}
		}
		var errs []string
		for k, wv := range w {
			p := joinPath(path, k)
			if notKept[p] {
				continue
			}
			gv, present := g[k]
			if !present {
				if !isEmptyJSON(wv) {
					errs = append(errs, fmt.Sprintf("%s: lost (was %v)", p, wv))
				}
				continue
			}
			errs = append(errs, compareBackup(p, wv, gv)...)
		}
		for k, gv := range g {
			if _, inWant := w[k]; inWant {
				continue
			}
			p := joinPath(path, k)
			def, ours := ourFields[p]
			switch check := derivedFields[p]; {
			case !ours:
				errs = append(errs, fmt.Sprintf("%s: unexpected field (%v)", p, gv))
			case check != nil && !isEmptyJSON(gv):
				if err := check(w, gv); err != nil {
					errs = append(errs, fmt.Sprintf("%s: %v", p, err))
				}
			case !isEmptyJSON(gv) && !reflect.DeepEqual(gv, def):
				errs = append(errs, fmt.Sprintf("%s: %v where the original had nothing", p, gv))
			}
		}
		return errs
	case []any:
		g, ok := got.([]any)
		if !ok {
			return []string{fmt.Sprintf("%s: got %v, want an array", path, got)}
		}
		p := path + "[]"
		if key := nameKey(w); key != "" {
			byName := map[string]any{}
			for _, gv := range g {
				if m, ok := gv.(map[string]any); ok {
					byName[fmt.Sprint(m[key])] = m
				}
			}
			var errs []string
			for _, wv := range w {
				name := fmt.Sprint(wv.(map[string]any)[key])
				gv, ok := byName[name]
				if !ok {
					errs = append(errs, fmt.Sprintf("%s: %q lost", p, name))
					continue
				}
				delete(byName, name)
				errs = append(errs, compareBackup(p, wv, gv)...)
			}
			for name := range byName {
				errs = append(errs, fmt.Sprintf("%s: unexpected %q", p, name))
			}
			return errs
		}
		if len(w) != len(g) {
			return []string{fmt.Sprintf("%s: %d elements, want %d", path, len(g), len(w))}
		}
		var errs []string
		for i := range w {
			errs = append(errs, compareBackup(p, w[i], g[i])...)
		}
		return errs
	}
	if !reflect.DeepEqual(want, got) {
		return []string{fmt.Sprintf("%s: got %v, want %v", path, got, want)}
	}
	return nil
}

func joinPath(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

// nameKey returns the field that names the objects of an array: name, or
// title for views; "" when the elements are not all named objects.
func nameKey(arr []any) string {
	for _, key := range []string{"name", "title"} {
		all := len(arr) > 0
		for _, v := range arr {
			m, ok := v.(map[string]any)
			if _, named := m[key]; !ok || !named {
				all = false
			}
		}
		if all {
			return key
		}
	}
	return ""
}

func isEmptyJSON(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case bool:
		return !x
	case float64:
		return x == 0
	case []any:
		return len(x) == 0
	case map[string]any:
		return len(x) == 0
	}
	return false
}

// withoutNamed removes the named objects from an array of a backup.
func withoutNamed(t *testing.T, doc map[string]any, field string, names ...string) {
	t.Helper()
	arr, _ := doc[field].([]any)
	out := make([]any, 0, len(arr))
	for _, v := range arr {
		if n, _ := v.(map[string]any)["name"].(string); !contains(names, n) {
			out = append(out, v)
		}
	}
	if len(out) != len(arr)-len(names) {
		t.Fatalf("%s: want to remove %v from %d objects, %d left", field, names, len(arr), len(out))
	}
	doc[field] = out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestAPI_ProjectBackup_SemaphoreRoundTrip(t *testing.T) {
	fixture, err := os.ReadFile("testdata/semaphore-v2.10-project-backup.json")
	if err != nil {
		t.Fatal(err)
	}
	e := newBackupEnv(t)
	_ = e.as("admin", "admin-password")
	bob := e.as("bob", "bob-password")

	// The backup as Semaphore wrote it comes back whole, its
	// terraform-workspace inventory included.
	want := decodeJSON(t, fixture)

	var p struct {
		ID   int64  `json:"id"`
		Name string `json:"name"`
	}
	bob.do("POST", "/api/projects/restore", encodeJSON(t, want), 200, &p)
	pp := fmt.Sprintf("/api/project/%d", p.ID)
	got := decodeJSON(t, bob.do("GET", pp+"/backup", "", 200, nil))

	t.Run("the restored project's backup has the original's content", func(t *testing.T) {
		if errs := compareBackup("", want, got); len(errs) > 0 {
			sort.Strings(errs)
			t.Errorf("the backup differs from the restored one:\n  %s", strings.Join(errs, "\n  "))
		}
	})
	t.Run("the comparison notices lost and changed data", func(t *testing.T) {
		for name, change := range map[string]func(doc map[string]any){
			"a lost field":       func(doc map[string]any) { delete(firstNamed(doc, "templates", "Build"), "arguments") },
			"a changed value":    func(doc map[string]any) { firstNamed(doc, "templates", "Deploy")["build_template"] = "Nightly backup" },
			"a lost object":      func(doc map[string]any) { withoutNamed(t, doc, "keys", "vault-pass") },
			"a false flag":       func(doc map[string]any) { firstNamed(doc, "integrations", "github push")["searchable"] = false },
			"an unexpected name": func(doc map[string]any) { firstNamed(doc, "keys", "become")["name"] = "other" },
		} {
			doc := decodeJSON(t, []byte(encodeJSON(t, got)))
			change(doc)
			if errs := compareBackup("", want, doc); len(errs) == 0 {
				t.Errorf("%s went unnoticed", name)
			}
		}
	})
	t.Run("the restorer owns the project", func(t *testing.T) {
		var role struct {
			Role string `json:"role"`
		}
		bob.do("GET", pp+"/role", "", 200, &role)
		if role.Role != "owner" || p.Name != "Web Platform" {
			t.Errorf("role %q in project %q, want owner of Web Platform", role.Role, p.Name)
		}
	})
	t.Run("keys come back with their type and no secret", func(t *testing.T) {
		var keys []struct {
			Name string `json:"name"`
			Type string `json:"type"`
		}
		bob.do("GET", pp+"/keys", "", 200, &keys)
		want := []struct {
			Name string `json:"name"`
			Type string `json:"type"`
		}{{"None", "none"}, {"become", "login_password"}, {"deploy-ssh", "ssh"}, {"vault-pass", "login_password"}}
		if d := cmp.Diff(want, keys); d != "" {
			t.Errorf("keys (-want +got):\n%s", d)
		}
	})
	t.Run("the template's cron becomes an active schedule", func(t *testing.T) {
		var schedules []struct {
			CronFormat string `json:"cron_format"`
			Active     bool   `json:"active"`
		}
		bob.do("GET", pp+"/schedules", "", 200, &schedules)
		if len(schedules) != 1 || schedules[0].CronFormat != "30 2 * * *" || !schedules[0].Active {
			t.Errorf("schedules %+v, want one active 30 2 * * *", schedules)
		}
	})
	t.Run("the restore is recorded in the project's events", func(t *testing.T) {
		b := bob.do("GET", pp+"/events", "", 200, nil)
		for _, s := range []string{`\"bob\" restored project \"Web Platform\" from a backup`, `created template \"Deploy\"`} {
			if !strings.Contains(string(b), s) {
				t.Errorf("no event %s in %s", s, b)
			}
		}
	})
}

func firstNamed(doc map[string]any, field, name string) map[string]any {
	for _, v := range doc[field].([]any) {
		if m := v.(map[string]any); m["name"] == name {
			return m
		}
	}
	panic(fmt.Sprintf("no %s named %q", field, name))
}

// richProject creates, through the API, a project with everything a
// backup holds, including what Semaphore v2.10's own backup loses (survey
// variables, vaults, autorun) and what only Signalbox has. It returns the
// project's path and the backup it must have.
func richProject(t *testing.T, c client) (string, map[string]any) {
	t.Helper()
	var p obj
	c.do("POST", "/api/projects", `{"name":"Web Platform","alert":true,"alert_chat":"-100123","max_parallel_tasks":3}`, 201, &p)
	pp := fmt.Sprintf("/api/project/%d", p.ID)
	create := func(path, body string) int64 {
		var o obj
		c.do("POST", pp+path, body, 201, &o)
		return o.ID
	}
	deploySSH := create("/keys", `{"name":"deploy-ssh","type":"ssh","ssh":{"login":"deploy","private_key":"-----BEGIN Rich-Private-1-----"}}`)
	vaultPass := create("/keys", `{"name":"vault-pass","type":"login_password","login_password":{"password":"Vault-Secret-1"}}`)
	become := create("/keys", `{"name":"become","type":"login_password","login_password":{"login":"root","password":"Become-Secret-1"}}`)
	create("/keys", `{"name":"None","type":"none"}`)
	gitURL := t.TempDir()
	repo := create("/repositories", fmt.Sprintf(`{"name":"infra","git_url":%q,"git_branch":"main","ssh_key_id":%d}`, gitURL, deploySSH))
	inv := create("/inventory", fmt.Sprintf(`{"name":"local","type":"static","inventory":"[web]\nlocalhost\n","ssh_key_id":%d,"become_key_id":%d}`, deploySSH, become))
	create("/inventory", `{"name":"yaml","type":"static-yaml","inventory":"all: {}\n"}`)
	envID := create("/environment", `{"name":"production","json":"{\"region\":\"eu\"}","env":"{\"DEPLOY_ENV\":\"prod\"}",
		"secrets":[{"name":"db_password","type":"var","secret":"Db-Secret-1","operation":"create"},{"name":"API_TOKEN","type":"env","secret":"Api-Secret-1"}]}`)
	deployView := create("/views", `{"title":"Deploy","position":1}`)
	maintenance := create("/views", `{"title":"Maintenance","position":2}`)
	surveyVars := `[{"name":"version","title":"Version","type":"","required":true},{"name":"count","title":"Count","type":"int","required":false},` +
		`{"name":"target","title":"Target","type":"enum","required":false,"values":[{"name":"Staging","value":"staging"},{"name":"Production","value":"prod"}]}]`
	build := create("/templates", fmt.Sprintf(`{"name":"Build","app":"ansible","playbook":"site.yml","repository_id":%d,"inventory_id":%d,
		"environment_id":%d,"view_id":%d,"type":"build","start_version":"1.0.0","arguments":"[\"--forks\",\"5\"]","allow_override_args_in_task":true,
		"description":"Build the app","git_branch":"release","limit":"web","timeout":600,"task_params":{"tags":["build"]},"survey_vars":%s,
		"vaults":[{"name":"prod","type":"password","vault_key_id":%d},{"name":"scripted","type":"script","script":"vault.sh"}]}`,
		repo, inv, envID, deployView, surveyVars, vaultPass))
	create("/templates", fmt.Sprintf(`{"name":"Deploy","app":"ansible","playbook":"deploy.yml","repository_id":%d,"inventory_id":%d,
		"view_id":%d,"type":"deploy","build_template_id":%d,"autorun":true}`, repo, inv, deployView, build))
	nightly := create("/templates", fmt.Sprintf(`{"name":"Nightly backup","app":"bash","playbook":"backup.sh","repository_id":%d,
		"view_id":%d,"suppress_success_alerts":true}`, repo, maintenance))
	create("/schedules", fmt.Sprintf(`{"template_id":%d,"name":"nightly","cron_format":"30 2 * * *"}`, nightly))
	create("/schedules", fmt.Sprintf(`{"template_id":%d,"name":"paused","cron_format":"@hourly","active":false}`, nightly))
	create("/schedules", fmt.Sprintf(`{"template_id":%d,"name":"once","type":"run_at","run_at":"2099-01-02T03:04:05Z"}`, nightly))
	hook := create("/integrations", fmt.Sprintf(`{"name":"github push","template_id":%d,"auth_method":"github","auth_secret":"Hook-Secret-1",
		"searchable":true,"task_params":{"debug":true}}`, build))
	c.do("POST", fmt.Sprintf("%s/integrations/%d/matchers", pp, hook),
		`{"name":"main branch","match_type":"body","method":"equals","body_data_type":"json","key":"ref","value":"refs/heads/main"}`, 200, nil)
	create(fmt.Sprintf("/integrations/%d/values", hook),
		`{"name":"commit","value_source":"body","body_data_type":"json","key":"after","variable":"commit_sha","variable_type":"task"}`)
	create(fmt.Sprintf("/integrations/%d/aliases", hook), "")
	create("/integrations/aliases", "")

	want := fmt.Sprintf(`{
	"meta": {"name": "Web Platform", "alert": true, "alert_chat": "-100123", "max_parallel_tasks": 3, "type": ""},
	"keys": [{"name": "None", "type": "none"}, {"name": "become", "type": "login_password"},
		{"name": "deploy-ssh", "type": "ssh"}, {"name": "vault-pass", "type": "login_password"}],
	"repositories": [{"name": "infra", "git_url": %q, "git_branch": "main", "ssh_key": "deploy-ssh"}],
	"inventories": [
		{"name": "local", "inventory": "[web]\nlocalhost\n", "ssh_key": "deploy-ssh", "become_key": "become", "type": "static"},
		{"name": "yaml", "inventory": "all: {}\n", "type": "static-yaml"}],
	"environments": [{"name": "production", "json": "{\"region\":\"eu\"}", "env": "{\"DEPLOY_ENV\":\"prod\"}",
		"secrets": [{"name": "API_TOKEN", "type": "env"}, {"name": "db_password", "type": "var"}]}],
	"views": [{"title": "Deploy", "position": 1}, {"title": "Maintenance", "position": 2}],
	"templates": [
		{"name": "Build", "description": "Build the app", "app": "ansible", "playbook": "site.yml", "arguments": "[\"--forks\",\"5\"]",
		 "allow_override_args_in_task": true, "suppress_success_alerts": false, "repository": "infra", "inventory": "local",
		 "environment": "production", "view": "Deploy", "type": "build", "start_version": "1.0.0", "autorun": false,
		 "survey_vars": %s,
		 "vaults": [{"name": "prod", "type": "password", "vault_key": "vault-pass"}, {"name": "scripted", "type": "script", "script": "vault.sh"}],
		 "git_branch": "release", "limit": "web", "timeout": 600, "task_params": {"tags": ["build"]}},
		{"name": "Deploy", "app": "ansible", "playbook": "deploy.yml", "allow_override_args_in_task": false,
		 "suppress_success_alerts": false, "repository": "infra", "inventory": "local", "view": "Deploy", "type": "deploy",
		 "build_template": "Build", "autorun": true, "survey_vars": [], "vaults": []},
		{"name": "Nightly backup", "app": "bash", "playbook": "backup.sh", "allow_override_args_in_task": false,
		 "suppress_success_alerts": true, "repository": "infra", "view": "Maintenance", "type": "", "autorun": false,
		 "survey_vars": [], "vaults": [], "cron": "30 2 * * *",
		 "schedules": [{"name": "nightly", "type": "", "cron_format": "30 2 * * *", "active": true},
			{"name": "paused", "type": "", "cron_format": "@hourly", "active": false},
			{"name": "once", "type": "run_at", "run_at": "2099-01-02T03:04:05Z", "active": true}]}],
	"integrations": [{"name": "github push", "template": "Build", "auth_method": "github", "auth_header": "", "searchable": true,
		"task_params": {"debug": true},
		"matchers": [{"name": "main branch", "match_type": "body", "method": "equals", "body_data_type": "json", "key": "ref", "value": "refs/heads/main"}],
		"extract_values": [{"name": "commit", "value_source": "body", "body_data_type": "json", "key": "after", "variable": "commit_sha", "variable_type": "task"}]}]
	}`, gitURL, surveyVars)
	return pp, decodeJSON(t, []byte(want))
}

func TestAPI_ProjectBackup_KeepsEverything(t *testing.T) {
	e := newBackupEnv(t)
	admin := e.as("admin", "admin-password")
	pp, want := richProject(t, admin)

	first := admin.do("GET", pp+"/backup", "", 200, nil)
	if d := cmp.Diff(want, decodeJSON(t, first)); d != "" {
		t.Fatalf("backup (-want +got):\n%s", d)
	}
	var p obj
	admin.do("POST", "/api/projects/restore", string(first), 200, &p)
	second := admin.do("GET", fmt.Sprintf("/api/project/%d/backup", p.ID), "", 200, nil)
	if d := cmp.Diff(want, decodeJSON(t, second)); d != "" {
		t.Errorf("backup of the restored project (-want +got):\n%s", d)
	}
}

func TestAPI_ProjectBackup_HasNoSecrets(t *testing.T) {
	e := newEnv(t)
	admin := e.as("admin", "admin-password")
	var p, repo, tmpl obj
	admin.do("POST", "/api/projects", `{"name":"secrets"}`, 201, &p)
	pp := fmt.Sprintf("/api/project/%d", p.ID)
	secrets := []string{"Login-Secret-1", "-----BEGIN Key-Secret-2", "Passphrase-Secret-3", "Password-Secret-4",
		"Env-Secret-5", "Var-Secret-6", "Hook-Secret-7", "Basic-Login-8", "Basic-Secret-9"}
	admin.do("POST", pp+"/keys", fmt.Sprintf(`{"name":"ssh","type":"ssh","ssh":{"login":%q,"private_key":%q,"passphrase":%q}}`,
		secrets[0], secrets[1], secrets[2]), 201, nil)
	admin.do("POST", pp+"/keys", fmt.Sprintf(`{"name":"pw","type":"login_password","login_password":{"login":"root","password":%q}}`,
		secrets[3]), 201, nil)
	admin.do("POST", pp+"/environment", fmt.Sprintf(`{"name":"e","json":"{}","secrets":[{"name":"TOKEN","type":"env","secret":%q},
		{"name":"db_password","type":"var","secret":%q}]}`, secrets[4], secrets[5]), 201, nil)
	admin.do("POST", pp+"/repositories", fmt.Sprintf(`{"name":"r","git_url":%q}`, t.TempDir()), 201, &repo)
	admin.do("POST", pp+"/templates", fmt.Sprintf(`{"name":"t","app":"bash","playbook":"a.sh","repository_id":%d}`, repo.ID), 201, &tmpl)
	admin.do("POST", pp+"/integrations", fmt.Sprintf(`{"name":"token","template_id":%d,"auth_method":"token","auth_secret":%q}`,
		tmpl.ID, secrets[6]), 201, nil)
	admin.do("POST", pp+"/integrations", fmt.Sprintf(`{"name":"basic","template_id":%d,"auth_method":"basic","auth_login":%q,"auth_secret":%q}`,
		tmpl.ID, secrets[7], secrets[8]), 201, nil)

	b := string(admin.do("GET", pp+"/backup", "", 200, nil))
	for _, s := range secrets {
		if strings.Contains(b, s) {
			t.Errorf("the backup contains the secret %q: %s", s, b)
		}
	}
	// It does name what holds them.
	for _, s := range []string{`"name":"ssh","type":"ssh"`, `"name":"TOKEN","type":"env"`, `"name":"db_password","type":"var"`, `"auth_method":"basic"`} {
		if !strings.Contains(b, s) {
			t.Errorf("the backup lacks %s: %s", s, b)
		}
	}

	t.Run("a restored integration refuses webhooks until its secret is set", func(t *testing.T) {
		var np obj
		admin.do("POST", "/api/projects/restore", b, 200, &np)
		var ins []struct {
			ID   int64  `json:"id"`
			Name string `json:"name"`
		}
		admin.do("GET", fmt.Sprintf("/api/project/%d/integrations", np.ID), "", 200, &ins)
		for _, in := range ins {
			if in.Name != "token" {
				continue
			}
			var alias struct {
				Alias string `json:"alias"`
			}
			admin.do("POST", fmt.Sprintf("/api/project/%d/integrations/%d/aliases", np.ID, in.ID), "", 201, &alias)
			// Not even with the secret the original had: the backup did not carry it.
			req, err := http.NewRequest("POST", e.srv.URL+"/api/integrations/"+alias.Alias, strings.NewReader(`{}`))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set(service.DefaultIntegrationTokenHeader, secrets[6])
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 401 {
				t.Errorf("webhook with the original secret: status %d, want 401: %s", resp.StatusCode, body)
			}
			return
		}
		t.Fatalf("no integration named token in %+v", ins)
	})
}

func TestAPI_ProjectRestore_RefusesBrokenBackups(t *testing.T) {
	e := newBackupEnv(t)
	admin := e.as("admin", "admin-password")
	bob := e.as("bob", "bob-password")
	valid := fmt.Sprintf(`{
	"meta": {"name": "restored"},
	"keys": [{"name": "k", "type": "ssh"}, {"name": "None", "type": "none"}, {"name": "vault", "type": "login_password"}],
	"views": [{"title": "v", "position": 0}],
	"repositories": [{"name": "r", "git_url": %q, "git_branch": "main", "ssh_key": "k"}],
	"inventories": [{"name": "i", "inventory": "localhost", "ssh_key": "k", "type": "static"}],
	"environments": [{"name": "e", "json": "{}", "secrets": [{"name": "S", "type": "env"}]}],
	"templates": [
		{"name": "build", "app": "ansible", "playbook": "a.yml", "repository": "r", "inventory": "i", "environment": "e",
		 "view": "v", "type": "build", "survey_vars": [], "vaults": [{"name": "x", "type": "password", "vault_key": "vault"}], "cron": "@daily"},
		{"name": "deploy", "app": "bash", "playbook": "d.sh", "repository": "r", "type": "deploy", "build_template": "build"}],
	"integrations": [{"name": "hook", "template": "build", "auth_method": "token",
		"matchers": [{"name": "m", "match_type": "header", "method": "equals", "key": "X-Event", "value": "push"}],
		"extract_values": [{"name": "x", "value_source": "header", "key": "X-Event", "variable": "event"}]}]
	}`, t.TempDir())
	edit := func(change func(doc map[string]any)) string {
		doc := decodeJSON(t, []byte(valid))
		change(doc)
		return encodeJSON(t, doc)
	}
	named := func(field, name string) func(doc map[string]any) map[string]any {
		return func(doc map[string]any) map[string]any { return firstNamed(doc, field, name) }
	}
	tmpl, repo, inv, in := named("templates", "build"), named("repositories", "r"), named("inventories", "i"), named("integrations", "hook")

	// The valid backup restores, so each case below fails for its own flaw.
	var ok obj
	bob.do("POST", "/api/projects/restore", valid, 200, &ok)
	before := projectNames(admin)

	for name, tc := range map[string]struct {
		body string
		// want is in the error message.
		want string
	}{
		"malformed JSON":                    {`{"meta":`, "invalid JSON"},
		"a body that is not an object":      {`[1]`, "invalid JSON"},
		"no project name":                   {edit(func(d map[string]any) { d["meta"] = map[string]any{} }), "name"},
		"a template's unknown repository":   {edit(func(d map[string]any) { tmpl(d)["repository"] = "ghost-repo" }), `"ghost-repo"`},
		"a template's unknown view":         {edit(func(d map[string]any) { tmpl(d)["view"] = "ghost-view" }), `"ghost-view"`},
		"a template's unknown inventory":    {edit(func(d map[string]any) { tmpl(d)["inventory"] = "ghost-inv" }), `"ghost-inv"`},
		"a template's unknown environment":  {edit(func(d map[string]any) { tmpl(d)["environment"] = "ghost-env" }), `"ghost-env"`},
		"a deploy's unknown build template": {edit(func(d map[string]any) { firstNamed(d, "templates", "deploy")["build_template"] = "ghost-build" }), `"ghost-build"`},
		"a vault's unknown key": {edit(func(d map[string]any) {
			tmpl(d)["vaults"] = []any{map[string]any{"name": "x", "vault_key": "ghost-key"}}
		}), `"ghost-key"`},
		"a repository's unknown key":        {edit(func(d map[string]any) { repo(d)["ssh_key"] = "ghost-key" }), `"ghost-key"`},
		"an inventory's unknown become key": {edit(func(d map[string]any) { inv(d)["become_key"] = "ghost-key" }), `"ghost-key"`},
		"an integration's unknown template": {edit(func(d map[string]any) { in(d)["template"] = "ghost-tmpl" }), `"ghost-tmpl"`},
		"an unknown key type":               {edit(func(d map[string]any) { firstNamed(d, "keys", "k")["type"] = "gpg" }), `"gpg"`},
		"an unsupported inventory type":     {edit(func(d map[string]any) { inv(d)["type"] = "ldap-directory" }), `"ldap-directory"`},
		"a bad cron":                        {edit(func(d map[string]any) { tmpl(d)["cron"] = "every day" }), `"every day"`},
		"an app no plugin serves":           {edit(func(d map[string]any) { tmpl(d)["app"] = "cobol" }), `"cobol"`},
		"a bad matcher": {edit(func(d map[string]any) {
			in(d)["matchers"] = []any{map[string]any{"name": "m", "match_type": "cookie", "body_data_type": "json", "key": "k"}}
		}), `"cookie"`},
		"a name two repositories share": {edit(func(d map[string]any) { d["repositories"] = append(d["repositories"].([]any), repo(d)) }), `ambiguous`},
		"a secret named twice": {edit(func(d map[string]any) {
			d["environments"] = []any{map[string]any{"name": "e", "json": "{}", "secrets": []any{map[string]any{"name": "S"}, map[string]any{"name": "S"}}}}
		}), `"S"`},
		"bad extra variables, found mid-write":  {edit(func(d map[string]any) { firstNamed(d, "environments", "e")["json"] = "[1]" }), "json must be a JSON object"},
		"a deploy of a non-build, found late":   {edit(func(d map[string]any) { tmpl(d)["type"] = "" }), "is not a build template"},
		"bad survey variables, found mid-write": {edit(func(d map[string]any) { tmpl(d)["survey_vars"] = []any{map[string]any{"title": "no name"}} }), "name is required"},
	} {
		t.Run(name+" is 400 and creates nothing", func(t *testing.T) {
			var res struct {
				Error string `json:"error"`
			}
			bob.do("POST", "/api/projects/restore", tc.body, 400, &res)
			if !strings.Contains(res.Error, tc.want) {
				t.Errorf("error %q does not contain %s", res.Error, tc.want)
			}
			if after := projectNames(admin); !reflect.DeepEqual(before, after) {
				t.Errorf("projects %v after a refused restore, want %v", after, before)
			}
		})
	}
}

func TestAPI_ProjectBackup_Access(t *testing.T) {
	e := newEnv(t)
	admin := e.as("admin", "admin-password")
	bob := e.as("bob", "bob-password")
	anon := client{e: e}
	var p obj
	admin.do("POST", "/api/projects", `{"name":"p"}`, 201, &p)
	pp := fmt.Sprintf("/api/project/%d", p.ID)
	ctx := context.Background()
	clients := map[string]client{"admin": admin, "non-member": bob, "anonymous": anon}
	for _, role := range []string{"owner", "manager", "task_runner", "guest"} {
		name := strings.ReplaceAll(role, "_", "")
		u, err := e.svc.CreateUser(ctx, service.SystemActor, service.NewUser{Username: name, Email: name + "@example.com", Password: name + "-password"})
		if err != nil {
			t.Fatal(err)
		}
		admin.do("POST", pp+"/users", fmt.Sprintf(`{"user_id":%d,"role":%q}`, u.ID, role), 204, nil)
		clients[role] = e.as(name, name+"-password")
	}
	for role, want := range map[string]int{"admin": 200, "owner": 200, "manager": 200, "task_runner": 403, "guest": 403,
		"non-member": 404, "anonymous": 401} {
		t.Run(fmt.Sprintf("a backup as %s is %d", role, want), func(t *testing.T) {
			clients[role].do("GET", pp+"/backup", "", want, nil)
		})
	}
	t.Run("a restore needs a login", func(t *testing.T) {
		anon.do("POST", "/api/projects/restore", `{"meta":{"name":"x"}}`, 401, nil)
	})
	t.Run("a backup refuses names a restore could not tell apart", func(t *testing.T) {
		var r obj
		admin.do("POST", pp+"/repositories", fmt.Sprintf(`{"name":"twin","git_url":%q}`, t.TempDir()), 201, &r)
		admin.do("POST", pp+"/repositories", fmt.Sprintf(`{"name":"twin","git_url":%q}`, t.TempDir()), 201, nil)
		admin.do("GET", pp+"/backup", "", 200, nil) // unused twins are fine
		admin.do("POST", pp+"/templates", fmt.Sprintf(`{"name":"t","app":"bash","playbook":"a.sh","repository_id":%d}`, r.ID), 201, nil)
		var res struct {
			Error string `json:"error"`
		}
		admin.do("GET", pp+"/backup", "", 422, &res)
		if !strings.Contains(res.Error, `"twin"`) || !strings.Contains(res.Error, `template "t"`) {
			t.Errorf("error %q does not name the template and the shared name", res.Error)
		}
	})
}

func TestAPI_ProjectRestore_ReadsSemaphoreAlternatives(t *testing.T) {
	e := newBackupEnv(t)
	admin := e.as("admin", "admin-password")
	// Semaphore's spec types survey_vars as a string, names a view "name",
	// and older backups have one vault_key per template.
	in := fmt.Sprintf(`{
	"meta": {"name": "old", "alert_chat": null},
	"keys": [{"name": "vault", "type": "login_password"}],
	"views": [{"name": "v", "position": 0}],
	"repositories": [{"name": "r", "git_url": %q, "git_branch": "main", "ssh_key": null}],
	"inventories": [{"name": "i", "inventory": "", "ssh_key": null, "become_key": null, "type": "static"}],
	"environments": [{"name": "e", "password": null, "json": "{}", "env": null}],
	"templates": [{"name": "t", "app": "", "playbook": "a.yml", "repository": "r", "inventory": "i", "environment": "e", "view": "v",
		"arguments": null, "build_template": null, "start_version": null, "cron": null, "type": "",
		"survey_vars": "[{\"name\":\"n\",\"title\":\"N\",\"type\":\"int\",\"required\":true}]", "vault_key": "vault"}]
	}`, t.TempDir())
	var p obj
	admin.do("POST", "/api/projects/restore", in, 200, &p)
	got := decodeJSON(t, admin.do("GET", fmt.Sprintf("/api/project/%d/backup", p.ID), "", 200, nil))
	tmpl := firstNamed(got, "templates", "t")
	want := map[string]any{
		"survey_vars": []any{map[string]any{"name": "n", "title": "N", "type": "int", "required": true}},
		"vaults":      []any{map[string]any{"name": "", "type": "password", "vault_key": "vault"}},
		"view":        "v",
		"app":         "ansible",
	}
	for k, w := range want {
		if d := cmp.Diff(w, tmpl[k]); d != "" {
			t.Errorf("%s (-want +got):\n%s", k, d)
		}
	}
	if views := got["views"]; !reflect.DeepEqual(views, []any{map[string]any{"title": "v", "position": float64(0)}}) {
		t.Errorf("views %v, want one titled v", views)
	}
}
