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
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/signalbox/signalbox/core/api"
	"github.com/signalbox/signalbox/core/live"
	"github.com/signalbox/signalbox/core/model"
	"github.com/signalbox/signalbox/core/secretbox"
	"github.com/signalbox/signalbox/core/service"
	"github.com/signalbox/signalbox/core/store/storetest"
	"github.com/signalbox/signalbox/sdk/executor"
)

type idleRunner struct{}

func (idleRunner) Wake()                                             {}
func (idleRunner) Stop(context.Context, int64, bool) (bool, error)   { return false, nil }
func (idleRunner) Decide(context.Context, int64, bool) (bool, error) { return false, nil }

type bashOnly struct{}

func (bashOnly) Apps(context.Context) map[string]service.App {
	schema := json.RawMessage(`{"type":"object","additionalProperties":false,"properties":{"debug":{"type":"boolean"}}}`)
	return map[string]service.App{"bash": {App: executor.App{ID: "bash", Title: "Bash", TemplateSchema: schema, TaskSchema: schema}, Plugin: "shell"}}
}

// apiStore is the backend the API tests run on: SQLite, or the one
// SIGNALBOX_TEST_API_STORE names (make test runs them on bolt too, so that
// every feature is proven on a storage plugin).
func apiStore() string {
	if b := os.Getenv("SIGNALBOX_TEST_API_STORE"); b != "" {
		return b
	}
	return storetest.SQLite
}

// env is an API over a real store (see apiStore), with an admin and a plain user.
type env struct {
	t   *testing.T
	srv *httptest.Server
	svc *service.Services
}

func newEnv(t *testing.T) *env {
	t.Helper()
	st := storetest.OpenBackend(t, apiStore())
	key := bytes.Repeat([]byte{7}, 32)
	box, err := secretbox.New(map[string][]byte{"k1": key}, "k1")
	if err != nil {
		t.Fatal(err)
	}
	svc := service.New(service.Deps{Store: st, Runner: idleRunner{}, Apps: bashOnly{}, Sealer: box, PasswordCost: bcrypt.MinCost})
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

func newHandler(e *env) http.Handler {
	h := api.New(api.Config{Services: e.svc, Hub: live.NewHub(), Version: "test"})
	anyHandler.CompareAndSwap(nil, h)
	return h
}

// client is a logged-in user (or anonymous when token is empty).
type client struct {
	e     *env
	token string
}

func (e *env) as(login, password string) client {
	e.t.Helper()
	c := client{e: e}
	var cookie string
	status, _ := c.doRaw("POST", "/api/auth/login", fmt.Sprintf(`{"auth":%q,"password":%q}`, login, password), func(r *http.Response) {
		for _, ck := range r.Cookies() {
			if ck.Name == api.CookieName {
				cookie = ck.Value
			}
		}
	})
	if status != 204 || cookie == "" {
		e.t.Fatalf("login %s: status %d", login, status)
	}
	// Trade the session for an API token, to test both.
	var tok struct {
		ID string `json:"id"`
	}
	c.token = "cookie:" + cookie
	c.do("POST", "/api/user/tokens", "", 201, &tok)
	c.token = tok.ID
	return c
}

func (c client) doRaw(method, path, body string, inspect func(*http.Response)) (int, []byte) {
	c.e.t.Helper()
	req, err := http.NewRequest(method, c.e.srv.URL+path, strings.NewReader(body))
	if err != nil {
		c.e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	switch {
	case strings.HasPrefix(c.token, "cookie:"):
		req.AddCookie(&http.Cookie{Name: api.CookieName, Value: strings.TrimPrefix(c.token, "cookie:")})
	case c.token != "":
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	if inspect != nil {
		inspect(resp)
	}
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func (c client) do(method, path, body string, want int, out any) []byte {
	c.e.t.Helper()
	status, b := c.doRaw(method, path, body, nil)
	if status != want {
		c.e.t.Fatalf("%s %s: status %d, want %d: %s", method, path, status, want, b)
	}
	if status >= 400 {
		var e struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(b, &e) != nil || e.Error == "" {
			c.e.t.Fatalf("%s %s: error response without a JSON message: %s", method, path, b)
		}
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			c.e.t.Fatalf("%s %s: decode %s: %v", method, path, b, err)
		}
	}
	return b
}

type obj struct {
	ID int64 `json:"id"`
}

func TestAPI_Authentication(t *testing.T) {
	e := newEnv(t)
	anon := client{e: e}
	for name, tc := range map[string]struct {
		method, path, body string
		want               int
	}{
		"ping needs no login":         {"GET", "/api/ping", "", 200},
		"projects need a login":       {"GET", "/api/projects", "", 401},
		"the user needs a login":      {"GET", "/api/user", "", 401},
		"wrong password is 401":       {"POST", "/api/auth/login", `{"auth":"admin","password":"nope"}`, 401},
		"unknown user is 401":         {"POST", "/api/auth/login", `{"auth":"ghost","password":"whatever1"}`, 401},
		"missing fields are 400":      {"POST", "/api/auth/login", `{}`, 400},
		"malformed login body is 400": {"POST", "/api/auth/login", `{"auth":`, 400},
		"unknown api route is 404":    {"GET", "/api/nope", "", 404},
	} {
		t.Run(name, func(t *testing.T) {
			status, _ := anon.doRaw(tc.method, tc.path, tc.body, nil)
			if status != tc.want {
				t.Errorf("status %d, want %d", status, tc.want)
			}
		})
	}
	t.Run("a bad bearer token is 401", func(t *testing.T) {
		c := client{e: e, token: "not-a-token"}
		c.do("GET", "/api/user", "", 401, nil)
	})
	t.Run("an expired token is 401", func(t *testing.T) {
		c := e.as("admin", "admin-password")
		c.do("DELETE", "/api/user/tokens/"+c.token, "", 204, nil)
		c.do("GET", "/api/user", "", 401, nil)
	})
	t.Run("logout ends the session", func(t *testing.T) {
		var cookie string
		c := client{e: e}
		c.doRaw("POST", "/api/auth/login", `{"auth":"bob","password":"bob-password"}`, func(r *http.Response) {
			for _, ck := range r.Cookies() {
				if ck.Name == api.CookieName {
					cookie = ck.Value
				}
			}
		})
		c.token = "cookie:" + cookie
		c.do("GET", "/api/user", "", 200, nil)
		c.do("POST", "/api/auth/logout", "", 204, nil)
		c.do("GET", "/api/user", "", 401, nil)
	})
	t.Run("a token authenticates as its user", func(t *testing.T) {
		c := e.as("bob", "bob-password")
		var u struct {
			Username string `json:"username"`
			Admin    bool   `json:"admin"`
		}
		c.do("GET", "/api/user", "", 200, &u)
		if u.Username != "bob" || u.Admin {
			t.Errorf("user = %+v", u)
		}
	})
}

func TestAPI_ProjectResources(t *testing.T) {
	e := newEnv(t)
	admin := e.as("admin", "admin-password")
	bob := e.as("bob", "bob-password")

	var p obj
	admin.do("POST", "/api/projects", `{"name":"infra","max_parallel_tasks":2}`, 201, &p)
	pp := fmt.Sprintf("/api/project/%d", p.ID)

	t.Run("a key's secret is never returned", func(t *testing.T) {
		var k obj
		b := admin.do("POST", pp+"/keys", `{"name":"deploy","type":"ssh","ssh":{"login":"root","private_key":"-----BEGIN SECRET-----"}}`, 201, &k)
		for _, body := range [][]byte{b, admin.do("GET", pp+"/keys", "", 200, nil), admin.do("GET", fmt.Sprintf("%s/keys/%d", pp, k.ID), "", 200, nil)} {
			if strings.Contains(string(body), "BEGIN SECRET") || strings.Contains(string(body), "private_key") {
				t.Errorf("secret leaked: %s", body)
			}
		}
		// Updating without a secret keeps it; the type must stay valid.
		admin.do("PUT", fmt.Sprintf("%s/keys/%d", pp, k.ID), `{"name":"deploy2","type":"ssh"}`, 204, nil)
		admin.do("POST", pp+"/keys", `{"name":"bad","type":"ssh"}`, 400, nil)
		admin.do("POST", pp+"/keys", `{"name":"bad","type":"weird"}`, 400, nil)
	})

	var repo, inv, envr, tmpl obj
	admin.do("POST", pp+"/repositories", fmt.Sprintf(`{"name":"r","git_url":%q}`, t.TempDir()), 201, &repo)
	admin.do("POST", pp+"/inventory", `{"name":"i","type":"static","inventory":"localhost"}`, 201, &inv)
	admin.do("POST", pp+"/environment", `{"name":"e","json":"{}","env":"{\"A\":\"1\"}"}`, 201, &envr)
	admin.do("POST", pp+"/templates", fmt.Sprintf(`{"name":"t","app":"bash","playbook":"run.sh","repository_id":%d,"inventory_id":%d,"environment_id":%d}`,
		repo.ID, inv.ID, envr.ID), 201, &tmpl)

	for name, tc := range map[string]struct {
		method, path, body string
		want               int
	}{
		"template with an unknown app":              {"POST", pp + "/templates", fmt.Sprintf(`{"name":"x","app":"cobol","playbook":"a","repository_id":%d}`, repo.ID), 400},
		"template with a missing repository":        {"POST", pp + "/templates", `{"name":"x","app":"bash","playbook":"a","repository_id":999}`, 400},
		"template without a playbook":               {"POST", pp + "/templates", fmt.Sprintf(`{"name":"x","app":"bash","repository_id":%d}`, repo.ID), 400},
		"environment with invalid env JSON":         {"POST", pp + "/environment", `{"name":"x","env":"[1]"}`, 400},
		"repository with a bad URL":                 {"POST", pp + "/repositories", `{"name":"x","git_url":"ftp://x"}`, 400},
		"body project id disagreeing with the path": {"POST", pp + "/inventory", `{"name":"x","project_id":999}`, 400},
		"deleting a repository a template uses":     {"DELETE", fmt.Sprintf("%s/repositories/%d", pp, repo.ID), "", 409},
		"deleting an environment a template uses":   {"DELETE", fmt.Sprintf("%s/environment/%d", pp, envr.ID), "", 409},
		"an unknown template":                       {"GET", pp + "/templates/999", "", 404},
		"a non-numeric id":                          {"GET", pp + "/templates/abc", "", 400},
		"a task of an unknown template":             {"POST", pp + "/tasks", `{"template_id":999}`, 400},
		"a task with bad extra vars":                {"POST", pp + "/tasks", fmt.Sprintf(`{"template_id":%d,"environment":"[1"}`, tmpl.ID), 400},
		"a user name longer than the store keeps":   {"POST", "/api/users", fmt.Sprintf(`{"username":%q,"email":"x@example.com","password":"long-enough"}`, strings.Repeat("u", 300)), 400},
		"sorting by an unknown field":               {"GET", pp + "/templates?sort=nope", "", 400},
		"template params outside the app's schema":  {"POST", pp + "/templates", fmt.Sprintf(`{"name":"x","app":"bash","playbook":"a","repository_id":%d,"task_params":{"bogus":1}}`, repo.ID), 400},
		"task params of the wrong type":             {"POST", pp + "/tasks", fmt.Sprintf(`{"template_id":%d,"params":{"debug":"yes"}}`, tmpl.ID), 400},
	} {
		t.Run(name, func(t *testing.T) { admin.do(tc.method, tc.path, tc.body, tc.want, nil) })
	}

	t.Run("a non-member does not see the project", func(t *testing.T) {
		bob.do("GET", pp, "", 404, nil)
		bob.do("GET", pp+"/templates", "", 404, nil)
		bob.do("POST", pp+"/tasks", fmt.Sprintf(`{"template_id":%d}`, tmpl.ID), 404, nil)
		var ps []obj
		bob.do("GET", "/api/projects", "", 200, &ps)
		if len(ps) != 0 {
			t.Errorf("bob sees %d projects", len(ps))
		}
	})

	t.Run("a task is queued as waiting and listed", func(t *testing.T) {
		var tk struct {
			ID     int64  `json:"id"`
			Status string `json:"status"`
		}
		admin.do("POST", pp+"/tasks", fmt.Sprintf(`{"template_id":%d,"params":{"debug":true}}`, tmpl.ID), 201, &tk)
		if tk.Status != string(model.TaskWaiting) {
			t.Errorf("status = %q", tk.Status)
		}
		var list []obj
		admin.do("GET", pp+"/tasks", "", 200, &list)
		if len(list) != 1 || list[0].ID != tk.ID {
			t.Errorf("tasks = %+v", list)
		}
		// Stopping a waiting task stops it at once; deleting it then works.
		admin.do("POST", fmt.Sprintf("%s/tasks/%d/stop", pp, tk.ID), "", 204, nil)
		var got struct {
			Status string `json:"status"`
		}
		admin.do("GET", fmt.Sprintf("%s/tasks/%d", pp, tk.ID), "", 200, &got)
		if got.Status != "stopped" {
			t.Errorf("status after stop = %q", got.Status)
		}
		admin.do("DELETE", fmt.Sprintf("%s/tasks/%d", pp, tk.ID), "", 204, nil)
		admin.do("GET", fmt.Sprintf("%s/tasks/%d", pp, tk.ID), "", 404, nil)
	})

	t.Run("deleting the project removes it", func(t *testing.T) {
		admin.do("DELETE", pp, "", 204, nil)
		admin.do("GET", pp, "", 404, nil)
	})
}

func TestAPI_Events(t *testing.T) {
	e := newEnv(t)
	admin := e.as("admin", "admin-password")
	bob := e.as("bob", "bob-password")
	var p, q obj
	admin.do("POST", "/api/projects", `{"name":"alpha"}`, 201, &p)
	bob.do("POST", "/api/projects", `{"name":"bobs"}`, 201, &q)
	admin.do("POST", fmt.Sprintf("/api/project/%d/inventory", p.ID), `{"name":"hosts","inventory":"localhost"}`, 201, nil)

	type ev struct {
		ProjectID   *int64 `json:"project_id"`
		ObjectType  string `json:"object_type"`
		Description string `json:"description"`
	}
	var pe []ev
	admin.do("GET", fmt.Sprintf("/api/project/%d/events", p.ID), "", 200, &pe)
	if len(pe) != 2 || pe[0].Description != `"admin" created inventory "hosts"` || pe[1].ObjectType != "project" {
		t.Errorf("project events = %+v", pe)
	}
	var mine []ev
	bob.do("GET", "/api/events", "", 200, &mine)
	for _, x := range mine {
		if x.ProjectID == nil || *x.ProjectID != q.ID {
			t.Errorf("bob sees an event outside his project: %+v", x)
		}
	}
	if len(mine) != 1 {
		t.Errorf("bob's events = %+v", mine)
	}
	bob.do("GET", fmt.Sprintf("/api/project/%d/events", p.ID), "", 404, nil)
	var all []ev
	admin.do("GET", "/api/events/last", "", 200, &all)
	if len(all) < 4 { // two users, two projects, one inventory
		t.Errorf("admin sees %d events", len(all))
	}
}

func TestAPI_MembersAndUsers(t *testing.T) {
	e := newEnv(t)
	admin := e.as("admin", "admin-password")
	bob := e.as("bob", "bob-password")
	var p obj
	bob.do("POST", "/api/projects", `{"name":"bobs"}`, 201, &p)
	pp := fmt.Sprintf("/api/project/%d", p.ID)
	var me struct {
		ID int64 `json:"id"`
	}
	bob.do("GET", "/api/user", "", 200, &me)

	t.Run("the creator is the owner", func(t *testing.T) {
		var role struct {
			Role        string `json:"role"`
			Permissions int    `json:"permissions"`
		}
		bob.do("GET", pp+"/role", "", 200, &role)
		if role.Role != "owner" || role.Permissions != 15 {
			t.Errorf("role = %+v", role)
		}
	})
	t.Run("the last owner cannot leave or be demoted", func(t *testing.T) {
		bob.do("DELETE", fmt.Sprintf("%s/users/%d", pp, me.ID), "", 409, nil)
		bob.do("PUT", fmt.Sprintf("%s/users/%d", pp, me.ID), `{"role":"guest"}`, 409, nil)
	})
	t.Run("members are listed with their roles", func(t *testing.T) {
		bob.do("POST", pp+"/users", `{"user_id":1,"role":"manager"}`, 204, nil)
		bob.do("POST", pp+"/users", `{"user_id":1,"role":"manager"}`, 409, nil)
		bob.do("POST", pp+"/users", `{"user_id":999,"role":"manager"}`, 400, nil)
		bob.do("POST", pp+"/users", fmt.Sprintf(`{"user_id":%d,"role":"boss"}`, me.ID), 400, nil)
		var ms []struct {
			Username string `json:"username"`
			Role     string `json:"role"`
		}
		bob.do("GET", pp+"/users?sort=username&order=asc", "", 200, &ms)
		if len(ms) != 2 || ms[0].Username != "admin" || ms[0].Role != "manager" || ms[1].Role != "owner" {
			t.Errorf("members = %+v", ms)
		}
	})
	t.Run("users see themselves but not others", func(t *testing.T) {
		bob.do("GET", fmt.Sprintf("/api/users/%d", me.ID), "", 200, nil)
		bob.do("GET", "/api/users/1", "", 403, nil)
		bob.do("PUT", fmt.Sprintf("/api/users/%d", me.ID), `{"username":"bob","name":"Bob B","email":"bob@example.com","admin":true}`, 403, nil)
		bob.do("PUT", fmt.Sprintf("/api/users/%d", me.ID), `{"username":"bob","name":"Bob B","email":"bob@example.com"}`, 204, nil)
	})
	t.Run("the last admin stays an admin", func(t *testing.T) {
		admin.do("PUT", "/api/users/1", `{"username":"admin","name":"A","email":"admin@example.com","admin":false}`, 409, nil)
		admin.do("DELETE", "/api/users/1", "", 409, nil)
	})
}

func TestAPI_TemplateExtras(t *testing.T) {
	e := newEnv(t)
	admin := e.as("admin", "admin-password")
	var p, repo, vaultKey, noneKey, view obj
	admin.do("POST", "/api/projects", `{"name":"builds"}`, 201, &p)
	pp := fmt.Sprintf("/api/project/%d", p.ID)
	admin.do("POST", pp+"/repositories", fmt.Sprintf(`{"name":"r","git_url":%q}`, t.TempDir()), 201, &repo)
	admin.do("POST", pp+"/keys", `{"name":"vault","type":"login_password","login_password":{"password":"vault-pass"}}`, 201, &vaultKey)
	admin.do("POST", pp+"/keys", `{"name":"nothing","type":"none"}`, 201, &noneKey)
	admin.do("POST", pp+"/views", `{"title":"Deploys","position":2}`, 201, &view)

	tmpl := func(extra string) string {
		return fmt.Sprintf(`{"name":"t%d","app":"bash","playbook":"a.sh","repository_id":%d%s}`, time.Now().UnixNano(), repo.ID, extra)
	}
	survey := `,"survey_vars":[{"name":"region","title":"Region","type":"enum","required":true,"values":[{"name":"EU","value":"eu"},{"name":"US","value":"us"}]},{"name":"count","type":"int"}]`
	for name, tc := range map[string]struct {
		body string
		want int
	}{
		"a survey with an enum and an int":           {tmpl(survey), 201},
		"an enum survey variable without values":     {tmpl(`,"survey_vars":[{"name":"x","type":"enum"}]`), 400},
		"an unknown survey type":                     {tmpl(`,"survey_vars":[{"name":"x","type":"date"}]`), 400},
		"a password vault with its key":              {tmpl(fmt.Sprintf(`,"vaults":[{"name":"prod","type":"password","vault_key_id":%d}]`, vaultKey.ID)), 201},
		"a password vault without a key":             {tmpl(`,"vaults":[{"name":"prod","type":"password"}]`), 400},
		"a password vault with a key of no password": {tmpl(fmt.Sprintf(`,"vaults":[{"name":"prod","type":"password","vault_key_id":%d}]`, noneKey.ID)), 400},
		"a deploy without a build template":          {tmpl(`,"type":"deploy"`), 400},
		"an unknown type":                            {tmpl(`,"type":"nightly"`), 400},
		"a view of this project":                     {tmpl(fmt.Sprintf(`,"view_id":%d`, view.ID)), 201},
		"a view that does not exist":                 {tmpl(`,"view_id":9999`), 400},
		"a start version that cannot grow":           {tmpl(`,"type":"build","start_version":"v1.x"`), 400},
	} {
		t.Run(name, func(t *testing.T) { admin.do("POST", pp+"/templates", tc.body, tc.want, nil) })
	}

	t.Run("survey answers are checked when a task starts", func(t *testing.T) {
		var s obj
		admin.do("POST", pp+"/templates", tmpl(survey), 201, &s)
		admin.do("POST", pp+"/tasks", fmt.Sprintf(`{"template_id":%d}`, s.ID), 400, nil)
		admin.do("POST", pp+"/tasks", fmt.Sprintf(`{"template_id":%d,"environment":"{\"region\":\"mars\"}"}`, s.ID), 400, nil)
		admin.do("POST", pp+"/tasks", fmt.Sprintf(`{"template_id":%d,"environment":"{\"region\":\"eu\",\"count\":\"x\"}"}`, s.ID), 400, nil)
		admin.do("POST", pp+"/tasks", fmt.Sprintf(`{"template_id":%d,"environment":"{\"region\":\"eu\",\"count\":3}"}`, s.ID), 201, nil)
	})

	t.Run("builds number their versions and deploys take a build", func(t *testing.T) {
		var build, deploy obj
		admin.do("POST", pp+"/templates", `{"name":"build","app":"bash","playbook":"b.sh","type":"build","start_version":"1.4.8","repository_id":`+fmt.Sprint(repo.ID)+`}`, 201, &build)
		admin.do("POST", pp+"/templates", fmt.Sprintf(`{"name":"deploy","app":"bash","playbook":"d.sh","type":"deploy","build_template_id":%d,"repository_id":%d}`, build.ID, repo.ID), 201, &deploy)
		type task struct {
			ID          int64   `json:"id"`
			Version     *string `json:"version"`
			BuildTaskID *int64  `json:"build_task_id"`
		}
		var b1, b2 task
		admin.do("POST", pp+"/tasks", fmt.Sprintf(`{"template_id":%d}`, build.ID), 201, &b1)
		admin.do("POST", pp+"/tasks", `{"template_name":"build"}`, 201, &b2)
		if b1.Version == nil || *b1.Version != "1.4.8" || b2.Version == nil || *b2.Version != "1.4.9" {
			t.Errorf("build versions = %v, %v", b1.Version, b2.Version)
		}
		// No successful build yet: nothing to deploy.
		admin.do("POST", pp+"/tasks", fmt.Sprintf(`{"template_id":%d}`, deploy.ID), 422, nil)
		var d task
		admin.do("POST", pp+"/tasks", fmt.Sprintf(`{"template_id":%d,"build_task_id":%d}`, deploy.ID, b1.ID), 201, &d)
		if d.Version == nil || *d.Version != "1.4.8" || d.BuildTaskID == nil || *d.BuildTaskID != b1.ID {
			t.Errorf("deploy = %+v", d)
		}
		admin.do("POST", pp+"/tasks", `{"template_name":"nope"}`, 400, nil)
	})

	t.Run("stop_all_tasks stops the template's waiting tasks", func(t *testing.T) {
		var s obj
		admin.do("POST", pp+"/templates", tmpl(""), 201, &s)
		for range 3 {
			admin.do("POST", pp+"/tasks", fmt.Sprintf(`{"template_id":%d}`, s.ID), 201, nil)
		}
		admin.do("POST", fmt.Sprintf("%s/templates/%d/stop_all_tasks", pp, s.ID), "", 204, nil)
		var ts []struct {
			Status string `json:"status"`
		}
		admin.do("GET", fmt.Sprintf("%s/tasks?template_id=%d", pp, s.ID), "", 200, &ts)
		for _, x := range ts {
			if x.Status != "stopped" {
				t.Errorf("task status %q after stop_all_tasks", x.Status)
			}
		}
	})

	t.Run("deleting a view keeps its templates", func(t *testing.T) {
		var v, s obj
		admin.do("POST", pp+"/views", `{"title":"Temp"}`, 201, &v)
		admin.do("POST", pp+"/templates", tmpl(fmt.Sprintf(`,"view_id":%d`, v.ID)), 201, &s)
		admin.do("DELETE", fmt.Sprintf("%s/views/%d", pp, v.ID), "", 204, nil)
		var got struct {
			ViewID *int64 `json:"view_id"`
		}
		admin.do("GET", fmt.Sprintf("%s/templates/%d", pp, s.ID), "", 200, &got)
		if got.ViewID != nil {
			t.Errorf("template keeps view %d", *got.ViewID)
		}
	})
}

func TestAPI_EnvironmentSecrets(t *testing.T) {
	e := newEnv(t)
	admin := e.as("admin", "admin-password")
	var p obj
	admin.do("POST", "/api/projects", `{"name":"secrets"}`, 201, &p)
	pp := fmt.Sprintf("/api/project/%d", p.ID)
	type secret struct {
		ID   int64  `json:"id"`
		Name string `json:"name"`
		Type string `json:"type"`
	}
	var env struct {
		ID      int64    `json:"id"`
		Secrets []secret `json:"secrets"`
	}
	body := admin.do("POST", pp+"/environment", `{"name":"prod","json":"{}","secrets":[
		{"name":"API_TOKEN","type":"env","secret":"tok-123456","operation":"create"},
		{"name":"db_password","type":"var","secret":"pw-abcdef","operation":"create"}]}`, 201, &env)
	if len(env.Secrets) != 2 || env.Secrets[0].Name != "API_TOKEN" || env.Secrets[1].Type != "var" {
		t.Fatalf("secrets = %+v", env.Secrets)
	}
	ep := fmt.Sprintf("%s/environment/%d", pp, env.ID)
	for _, b := range [][]byte{body, admin.do("GET", ep, "", 200, nil), admin.do("GET", pp+"/environment", "", 200, nil)} {
		if strings.Contains(string(b), "tok-123456") || strings.Contains(string(b), "pw-abcdef") {
			t.Errorf("a secret value leaked: %s", b)
		}
	}
	// In order: the later cases change what the earlier ones rely on.
	for _, tc := range []struct {
		name string
		body string
		want int
	}{
		{"a bad secret name", `{"name":"prod","secrets":[{"name":"bad name","secret":"x","operation":"create"}]}`, 400},
		{"a bad secret type", `{"name":"prod","secrets":[{"name":"X","type":"file","secret":"x","operation":"create"}]}`, 400},
		{"a create without a value", `{"name":"prod","secrets":[{"name":"X","operation":"create"}]}`, 400},
		{"a duplicate name", `{"name":"prod","secrets":[{"name":"API_TOKEN","secret":"x","operation":"create"}]}`, 409},
		{"deleting an unknown secret", `{"name":"prod","secrets":[{"id":9999,"operation":"delete"}]}`, 404},
		{"an unknown operation", `{"name":"prod","secrets":[{"name":"X","secret":"x","operation":"rotate"}]}`, 400},
		{"renaming keeps the value", fmt.Sprintf(`{"name":"prod","secrets":[{"id":%d,"name":"TOKEN","type":"env","operation":"update"}]}`, env.Secrets[0].ID), 204},
		{"deleting an existing secret", fmt.Sprintf(`{"name":"prod","secrets":[{"id":%d,"operation":"delete"}]}`, env.Secrets[1].ID), 204},
	} {
		t.Run(tc.name, func(t *testing.T) { admin.do("PUT", ep, tc.body, tc.want, nil) })
	}
	var got struct {
		Secrets []secret `json:"secrets"`
	}
	admin.do("GET", ep, "", 200, &got)
	if len(got.Secrets) != 1 || got.Secrets[0].Name != "TOKEN" {
		t.Errorf("after the changes: %+v", got.Secrets)
	}
	admin.do("DELETE", ep, "", 204, nil)
}

func TestAPI_UserOptions(t *testing.T) {
	e := newEnv(t)
	bob := e.as("bob", "bob-password")
	admin := e.as("admin", "admin-password")
	bob.do("POST", "/api/user/options", `{"theme":"dark","tabs":[1,2],"gone":true}`, 204, nil)
	bob.do("POST", "/api/user/options", `{"gone":null}`, 204, nil)
	bob.do("POST", "/api/user/options", `[1]`, 400, nil)
	var got map[string]any
	bob.do("GET", "/api/user/options", "", 200, &got)
	if got["theme"] != "dark" || len(got["tabs"].([]any)) != 2 || got["gone"] != nil || len(got) != 2 {
		t.Errorf("options = %v", got)
	}
	var other map[string]any
	admin.do("GET", "/api/user/options", "", 200, &other)
	if len(other) != 0 {
		t.Errorf("another user sees options %v", other)
	}
}
