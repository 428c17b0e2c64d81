package api_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/signalbox/signalbox/core/model"
	"github.com/signalbox/signalbox/core/service"
)

// integrationRouteTable is the permission walk's table of the integration
// routes (see permission_test.go).
func integrationRouteTable() map[string]route {
	const pi = "/api/project/:id/integrations"
	body := func(f *permFixture, _ string) string {
		return fmt.Sprintf(`{"name":"hook","template_id":%d}`, f.tmpl)
	}
	integration := func(f *permFixture) int64 {
		return f.create(f.pp()+"/integrations", body(f, ""))
	}
	// One integration serves every route but its delete: the walk makes
	// hundreds of calls.
	var sharedID int64
	var hookURL string
	shared := func(f *permFixture) int64 {
		if sharedID == 0 {
			sharedID = integration(f)
		}
		return sharedID
	}
	under := func(suffix string) func(*permFixture) string {
		return func(f *permFixture) string {
			return fmt.Sprintf("%s/integrations/%d%s", f.pp(), shared(f), suffix)
		}
	}
	// part creates a matcher (200, as the spec has it) or a value (201).
	part := func(kind, partBody string) func(*permFixture) string {
		return func(f *permFixture) string {
			p := fmt.Sprintf("%s/integrations/%d/%s", f.pp(), shared(f), kind)
			var o obj
			f.admin.do("POST", p, partBody, map[string]int{"matchers": 200, "values": 201}[kind], &o)
			return fmt.Sprintf("%s/%d", p, o.ID)
		}
	}
	alias := func(project bool) func(*permFixture) string {
		return func(f *permFixture) string {
			p := f.pp() + "/integrations/aliases"
			if !project {
				p = fmt.Sprintf("%s/integrations/%d/aliases", f.pp(), shared(f))
			}
			return fmt.Sprintf("%s/%d", p, f.create(p, ""))
		}
	}
	matcher := `{"name":"m","match_type":"header","method":"equals","key":"X-Event","value":"push"}`
	value := `{"name":"v","value_source":"header","key":"X-Event","variable":"event"}`
	return map[string]route{
		"GET " + pi:                      {"GET", func(f *permFixture) string { return f.pp() + "/integrations" }, "", readProject, nil, 0},
		"POST " + pi:                     {"POST", func(f *permFixture) string { return f.pp() + "/integrations" }, "", manageRes, body, 0},
		"GET " + pi + "/:integration_id": {"GET", under(""), "", readProject, nil, 0},
		"PUT " + pi + "/:integration_id": {"PUT", under(""), "", manageRes, body, 0},
		"DELETE " + pi + "/:integration_id": {"DELETE", func(f *permFixture) string {
			return fmt.Sprintf("%s/integrations/%d", f.pp(), integration(f))
		}, "", manageRes, nil, 0},
		"GET " + pi + "/:integration_id/matchers":                   {"GET", under("/matchers"), "", readProject, nil, 0},
		"POST " + pi + "/:integration_id/matchers":                  {"POST", under("/matchers"), matcher, manageRes, nil, 0},
		"GET " + pi + "/:integration_id/matchers/:matcher_id":       {"GET", part("matchers", matcher), "", readProject, nil, 0},
		"PUT " + pi + "/:integration_id/matchers/:matcher_id":       {"PUT", part("matchers", matcher), matcher, manageRes, nil, 0},
		"DELETE " + pi + "/:integration_id/matchers/:matcher_id":    {"DELETE", part("matchers", matcher), "", manageRes, nil, 0},
		"GET " + pi + "/:integration_id/values":                     {"GET", under("/values"), "", readProject, nil, 0},
		"POST " + pi + "/:integration_id/values":                    {"POST", under("/values"), value, manageRes, nil, 0},
		"GET " + pi + "/:integration_id/values/:extractvalue_id":    {"GET", part("values", value), "", readProject, nil, 0},
		"PUT " + pi + "/:integration_id/values/:extractvalue_id":    {"PUT", part("values", value), value, manageRes, nil, 0},
		"DELETE " + pi + "/:integration_id/values/:extractvalue_id": {"DELETE", part("values", value), "", manageRes, nil, 0},
		"GET " + pi + "/aliases":                                    {"GET", func(f *permFixture) string { return f.pp() + "/integrations/aliases" }, "", readProject, nil, 0},
		"POST " + pi + "/aliases":                                   {"POST", func(f *permFixture) string { return f.pp() + "/integrations/aliases" }, "", manageRes, nil, 0},
		"DELETE " + pi + "/aliases/:alias_id":                       {"DELETE", alias(true), "", manageRes, nil, 0},
		"GET " + pi + "/:integration_id/aliases":                    {"GET", under("/aliases"), "", readProject, nil, 0},
		"POST " + pi + "/:integration_id/aliases":                   {"POST", under("/aliases"), "", manageRes, nil, 0},
		"DELETE " + pi + "/:integration_id/aliases/:alias_id":       {"DELETE", alias(false), "", manageRes, nil, 0},
		// The webhook endpoint needs no login: a matcher that never matches
		// keeps the walk from queueing tasks.
		"POST /api/integrations/:alias": {"POST", func(f *permFixture) string {
			if hookURL == "" {
				id := integration(f)
				f.admin.do("POST", fmt.Sprintf("%s/integrations/%d/matchers", f.pp(), id), matcher, 200, nil)
				var al struct {
					URL string `json:"url"`
				}
				f.admin.do("POST", fmt.Sprintf("%s/integrations/%d/aliases", f.pp(), id), "", 201, &al)
				hookURL = al.URL
			}
			return hookURL
		}, `{}`, public, nil, 0},
	}
}

// hooks is a project with a template, and helpers to make integrations
// and post webhooks.
type hooks struct {
	e     *env
	admin client
	pp    string
	tmpl  int64
}

func newHooks(t *testing.T) *hooks {
	t.Helper()
	e := newEnv(t)
	h := &hooks{e: e, admin: e.as("admin", "admin-password")}
	var p, repo, tmpl obj
	h.admin.do("POST", "/api/projects", `{"name":"hooks"}`, 201, &p)
	h.pp = fmt.Sprintf("/api/project/%d", p.ID)
	h.admin.do("POST", h.pp+"/repositories", fmt.Sprintf(`{"name":"r","git_url":%q}`, t.TempDir()), 201, &repo)
	h.admin.do("POST", h.pp+"/templates", fmt.Sprintf(`{"name":"deploy","app":"bash","playbook":"run.sh","repository_id":%d}`, repo.ID), 201, &tmpl)
	h.tmpl = tmpl.ID
	return h
}

// integration creates an integration from a JSON body without its
// template_id, which is added, and returns its id.
func (h *hooks) integration(fields string) int64 {
	h.e.t.Helper()
	var in obj
	h.admin.do("POST", h.pp+"/integrations", fmt.Sprintf(`{"template_id":%d,%s}`, h.tmpl, fields), 201, &in)
	return in.ID
}

func (h *hooks) path(id int64, suffix string) string {
	return fmt.Sprintf("%s/integrations/%d%s", h.pp, id, suffix)
}

// alias creates an alias of an integration (or of the project for 0) and
// returns its string.
func (h *hooks) alias(id int64) string {
	h.e.t.Helper()
	p := h.pp + "/integrations/aliases"
	if id != 0 {
		p = h.path(id, "/aliases")
	}
	var al struct {
		Alias string `json:"alias"`
		URL   string `json:"url"`
	}
	h.admin.do("POST", p, "", 201, &al)
	if len(al.Alias) < 32 || al.URL != "/api/integrations/"+al.Alias {
		h.e.t.Fatalf("alias = %+v; want a random alias of 32 characters and its URL", al)
	}
	return al.Alias
}

// post sends a webhook, with no login, and returns the status and body.
func (h *hooks) post(alias, body string, header map[string]string) (int, []byte) {
	h.e.t.Helper()
	req, err := http.NewRequest("POST", h.e.srv.URL+"/api/integrations/"+alias, strings.NewReader(body))
	if err != nil {
		h.e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// started posts a webhook that must be accepted and returns the tasks it
// started.
func (h *hooks) started(alias, body string, header map[string]string) []int64 {
	h.e.t.Helper()
	status, b := h.post(alias, body, header)
	if status != 200 {
		h.e.t.Fatalf("webhook: status %d, want 200: %s", status, b)
	}
	var res struct {
		Started []int64 `json:"started"`
	}
	if err := json.Unmarshal(b, &res); err != nil || res.Started == nil {
		h.e.t.Fatalf("webhook answer %s: want {\"started\": [...]}", b)
	}
	return res.Started
}

type hookTask struct {
	ID          int64           `json:"id"`
	TemplateID  int64           `json:"template_id"`
	Status      string          `json:"status"`
	UserID      *int64          `json:"user_id"`
	Message     string          `json:"message"`
	Environment string          `json:"environment"`
	Params      json.RawMessage `json:"params"`
}

func (h *hooks) task(id int64) hookTask {
	h.e.t.Helper()
	var tk hookTask
	h.admin.do("GET", fmt.Sprintf("%s/tasks/%d", h.pp, id), "", 200, &tk)
	return tk
}

func (h *hooks) taskCount() int {
	h.e.t.Helper()
	var ts []obj
	h.admin.do("GET", h.pp+"/tasks", "", 200, &ts)
	return len(ts)
}

func (h *hooks) events() []string {
	h.e.t.Helper()
	var es []struct {
		Description string `json:"description"`
	}
	h.admin.do("GET", h.pp+"/events", "", 200, &es)
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Description
	}
	return out
}

func hmacHex(key, body string) string {
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write([]byte(body))
	return hex.EncodeToString(mac.Sum(nil))
}

func basic(login, password string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(login+":"+password))
}

func TestAPI_IntegrationCRUD(t *testing.T) {
	h := newHooks(t)
	const secret = "tok-3f9a1c-very-secret"

	var created struct {
		ID         int64           `json:"id"`
		Name       string          `json:"name"`
		ProjectID  int64           `json:"project_id"`
		TemplateID int64           `json:"template_id"`
		AuthMethod string          `json:"auth_method"`
		AuthHeader string          `json:"auth_header"`
		Searchable bool            `json:"searchable"`
		TaskParams json.RawMessage `json:"task_params"`
	}
	b := h.admin.do("POST", h.pp+"/integrations", fmt.Sprintf(
		`{"name":" push ","template_id":%d,"auth_method":"token","auth_secret":%q,"searchable":true,"task_params":{"debug":true},"unknown":1}`,
		h.tmpl, secret), 201, &created)
	if created.ID == 0 || created.Name != "push" || created.TemplateID != h.tmpl || created.AuthMethod != "token" ||
		created.AuthHeader != service.DefaultIntegrationTokenHeader || !created.Searchable || string(created.TaskParams) != `{"debug":true}` {
		t.Errorf("created = %+v (%s)", created, b)
	}
	item := h.path(created.ID, "")

	t.Run("the secret is never in a response", func(t *testing.T) {
		bodies := [][]byte{b, h.admin.do("GET", h.pp+"/integrations", "", 200, nil), h.admin.do("GET", item, "", 200, nil)}
		h.admin.do("PUT", item, fmt.Sprintf(`{"name":"push","template_id":%d,"auth_method":"token","auth_header":"X-Token"}`, h.tmpl), 204, nil)
		bodies = append(bodies, h.admin.do("GET", item, "", 200, nil), h.admin.do("GET", h.pp+"/events", "", 200, nil))
		for _, body := range bodies {
			if strings.Contains(string(body), secret) || strings.Contains(string(body), "auth_secret") {
				t.Errorf("secret leaked: %s", body)
			}
		}
	})

	t.Run("an update without a secret keeps it", func(t *testing.T) {
		alias := h.alias(created.ID)
		if got := h.started(alias, `{}`, map[string]string{"X-Token": secret}); len(got) != 1 {
			t.Errorf("started %v with the kept secret", got)
		}
	})

	t.Run("list sorts and a get returns the same object", func(t *testing.T) {
		other := h.integration(`"name":"another"`)
		var list []struct {
			ID   int64  `json:"id"`
			Name string `json:"name"`
		}
		h.admin.do("GET", h.pp+"/integrations?sort=name&order=desc", "", 200, &list)
		if len(list) != 2 || list[0].ID != created.ID || list[1].ID != other {
			t.Errorf("list = %+v", list)
		}
	})

	t.Run("invalid input is refused", func(t *testing.T) {
		for name, tc := range map[string]struct {
			method, path, body string
		}{
			"an unknown auth method":              {"POST", h.pp + "/integrations", fmt.Sprintf(`{"name":"x","template_id":%d,"auth_method":"magic"}`, h.tmpl)},
			"a token method without a secret":     {"POST", h.pp + "/integrations", fmt.Sprintf(`{"name":"x","template_id":%d,"auth_method":"token"}`, h.tmpl)},
			"basic without a login":               {"POST", h.pp + "/integrations", fmt.Sprintf(`{"name":"x","template_id":%d,"auth_method":"basic","auth_secret":"pw"}`, h.tmpl)},
			"a method change without a secret":    {"PUT", item, fmt.Sprintf(`{"name":"x","template_id":%d,"auth_method":"hmac"}`, h.tmpl)},
			"a missing template":                  {"POST", h.pp + "/integrations", `{"name":"x","template_id":999}`},
			"no name":                             {"POST", h.pp + "/integrations", fmt.Sprintf(`{"template_id":%d}`, h.tmpl)},
			"task params that are not an object":  {"POST", h.pp + "/integrations", fmt.Sprintf(`{"name":"x","template_id":%d,"task_params":[1]}`, h.tmpl)},
			"a bad auth header":                   {"POST", h.pp + "/integrations", fmt.Sprintf(`{"name":"x","template_id":%d,"auth_method":"token","auth_secret":"s","auth_header":"X Bad"}`, h.tmpl)},
			"a body project id that disagrees":    {"POST", h.pp + "/integrations", fmt.Sprintf(`{"name":"x","template_id":%d,"project_id":999}`, h.tmpl)},
			"a body id that disagrees":            {"PUT", item, fmt.Sprintf(`{"id":999,"name":"x","template_id":%d}`, h.tmpl)},
			"a matcher of an unknown type":        {"POST", h.path(created.ID, "/matchers"), `{"match_type":"cookie","key":"a"}`},
			"a matcher of an unknown method":      {"POST", h.path(created.ID, "/matchers"), `{"match_type":"header","method":"like","key":"X-A"}`},
			"a json matcher without a path":       {"POST", h.path(created.ID, "/matchers"), `{"match_type":"body","body_data_type":"json"}`},
			"a matcher with a disagreeing parent": {"POST", h.path(created.ID, "/matchers"), `{"integration_id":999,"match_type":"header","key":"X-A"}`},
			"a value without a variable":          {"POST", h.path(created.ID, "/values"), `{"value_source":"header","key":"X-A"}`},
			"a value of an unknown variable type": {"POST", h.path(created.ID, "/values"), `{"value_source":"header","key":"X-A","variable":"a","variable_type":"file"}`},
			"a value with a disagreeing parent":   {"POST", h.path(created.ID, "/values"), `{"integration_id":999,"value_source":"header","key":"X-A","variable":"a"}`},
		} {
			t.Run(name, func(t *testing.T) { h.admin.do(tc.method, tc.path, tc.body, 400, nil) })
		}
	})

	t.Run("matchers and values have CRUD", func(t *testing.T) {
		// The reference spec has 200 for a created matcher, 201 for a value.
		for kind, tc := range map[string]struct {
			created        int
			create, update string
		}{
			"matchers": {200, `{"name":"branch","match_type":"body","body_data_type":"json","method":"equals","key":"ref","value":"refs/heads/main"}`,
				`{"name":"event","match_type":"header","method":"contains","key":"X-Event","value":"push"}`},
			"values": {201, `{"name":"ref","value_source":"body","body_data_type":"json","key":"ref","variable":"ref"}`,
				`{"name":"id","value_source":"header","key":"X-Request-Id","variable":"request_id","variable_type":"task"}`},
		} {
			t.Run(kind, func(t *testing.T) {
				var o obj
				h.admin.do("POST", h.path(created.ID, "/"+kind), tc.create, tc.created, &o)
				one := fmt.Sprintf("%s/%d", h.path(created.ID, "/"+kind), o.ID)
				h.admin.do("PUT", one, tc.update, 204, nil)
				var got, want map[string]any
				h.admin.do("GET", one, "", 200, &got)
				if err := json.Unmarshal([]byte(tc.update), &want); err != nil {
					t.Fatal(err)
				}
				// Both updates read a header, which is read as a string.
				want["id"], want["integration_id"], want["body_data_type"] = float64(o.ID), float64(created.ID), "string"
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("after update (-want +got):\n%s", diff)
				}
				var list []obj
				h.admin.do("GET", h.path(created.ID, "/"+kind), "", 200, &list)
				if len(list) != 1 || list[0].ID != o.ID {
					t.Errorf("list = %+v", list)
				}
				other := h.integration(`"name":"other-` + kind + `"`)
				h.admin.do("GET", fmt.Sprintf("%s/%d", h.path(other, "/"+kind), o.ID), "", 404, nil)
				h.admin.do("DELETE", one, "", 204, nil)
				h.admin.do("GET", one, "", 404, nil)
			})
		}
	})

	t.Run("aliases are listed per integration and per project, and deleted", func(t *testing.T) {
		in := h.integration(`"name":"aliased"`)
		a1, a2, pa := h.alias(in), h.alias(in), h.alias(0)
		if a1 == a2 {
			t.Fatalf("two aliases are both %q", a1)
		}
		type aliasDTO struct {
			ID            int64  `json:"id"`
			IntegrationID *int64 `json:"integration_id"`
			Alias         string `json:"alias"`
		}
		var mine, project []aliasDTO
		h.admin.do("GET", h.path(in, "/aliases"), "", 200, &mine)
		h.admin.do("GET", h.pp+"/integrations/aliases", "", 200, &project)
		if len(mine) != 2 || mine[0].Alias != a1 || mine[1].Alias != a2 || *mine[0].IntegrationID != in {
			t.Errorf("integration aliases = %+v", mine)
		}
		if len(project) != 1 || project[0].Alias != pa || project[0].IntegrationID != nil {
			t.Errorf("project aliases = %+v", project)
		}
		h.admin.do("DELETE", fmt.Sprintf("%s/integrations/aliases/%d", h.pp, mine[0].ID), "", 404, nil)
		h.admin.do("DELETE", fmt.Sprintf("%s/%d", h.path(in, "/aliases"), mine[0].ID), "", 204, nil)
		h.admin.do("DELETE", fmt.Sprintf("%s/integrations/aliases/%d", h.pp, project[0].ID), "", 204, nil)
		for _, gone := range []string{a1, pa} {
			if status, _ := h.post(gone, `{}`, nil); status != 404 {
				t.Errorf("a deleted alias answers %d, want 404", status)
			}
		}
		if got := h.started(a2, `{}`, nil); len(got) != 1 {
			t.Errorf("the remaining alias started %v", got)
		}
	})

	t.Run("a template an integration uses cannot be deleted", func(t *testing.T) {
		b := h.admin.do("DELETE", fmt.Sprintf("%s/templates/%d", h.pp, h.tmpl), "", 409, nil)
		if !strings.Contains(string(b), "integration") {
			t.Errorf("409 does not say what uses the template: %s", b)
		}
	})

	t.Run("deleting an integration deletes its aliases", func(t *testing.T) {
		in := h.integration(`"name":"doomed"`)
		h.admin.do("POST", h.path(in, "/matchers"), `{"match_type":"header","key":"X-A"}`, 200, nil)
		alias := h.alias(in)
		h.admin.do("DELETE", h.path(in, ""), "", 204, nil)
		h.admin.do("GET", h.path(in, ""), "", 404, nil)
		h.admin.do("GET", h.path(in, "/matchers"), "", 404, nil)
		if status, _ := h.post(alias, `{}`, nil); status != 404 {
			t.Errorf("the alias of a deleted integration answers %d, want 404", status)
		}
	})
}

func TestAPI_IntegrationPermissions(t *testing.T) {
	h := newHooks(t)
	bob := h.e.as("bob", "bob-password")
	in := h.integration(`"name":"hook"`)
	var m obj
	h.admin.do("POST", h.path(in, "/matchers"), `{"match_type":"header","key":"X-A"}`, 200, &m)
	matcher := fmt.Sprintf("%s/%d", h.path(in, "/matchers"), m.ID)
	body := fmt.Sprintf(`{"name":"x","template_id":%d}`, h.tmpl)
	reads := []string{h.pp + "/integrations", h.path(in, ""), h.path(in, "/matchers"), matcher, h.path(in, "/values"),
		h.path(in, "/aliases"), h.pp + "/integrations/aliases"}
	writes := []struct{ method, path, body string }{
		{"POST", h.pp + "/integrations", body},
		{"PUT", h.path(in, ""), body},
		{"DELETE", h.path(in, ""), ""},
		{"POST", h.path(in, "/matchers"), `{"match_type":"header","key":"X-B"}`},
		{"PUT", matcher, `{"match_type":"header","key":"X-B"}`},
		{"DELETE", matcher, ""},
		{"POST", h.path(in, "/values"), `{"value_source":"header","key":"X-B","variable":"b"}`},
		{"POST", h.path(in, "/aliases"), ""},
		{"POST", h.pp + "/integrations/aliases", ""},
	}

	t.Run("a non-member is told nothing exists", func(t *testing.T) {
		for _, p := range reads {
			bob.do("GET", p, "", 404, nil)
		}
		for _, w := range writes {
			bob.do(w.method, w.path, w.body, 404, nil)
		}
	})

	t.Run("a guest reads but may not change anything", func(t *testing.T) {
		var u struct {
			ID int64 `json:"id"`
		}
		bob.do("GET", "/api/user", "", 200, &u)
		var p obj
		h.admin.do("GET", h.pp, "", 200, &p)
		if err := h.e.svc.AddMember(context.Background(), service.SystemActor, p.ID, u.ID, model.RoleGuest); err != nil {
			t.Fatal(err)
		}
		for _, p := range reads {
			bob.do("GET", p, "", 200, nil)
		}
		for _, w := range writes {
			bob.do(w.method, w.path, w.body, 403, nil)
		}
	})
}

func TestAPI_WebhookAuthentication(t *testing.T) {
	h := newHooks(t)
	const body = `{"ref":"refs/heads/main"}`
	for name, tc := range map[string]struct {
		fields     string
		good, bad  map[string]string
		wantReason string
	}{
		"none accepts anything": {
			fields: `"auth_method":"none"`,
			good:   map[string]string{},
		},
		"token in the default header": {
			fields:     `"auth_method":"token","auth_secret":"t0ken-value"`,
			good:       map[string]string{"X-Signalbox-Token": "t0ken-value"},
			bad:        map[string]string{"X-Signalbox-Token": "t0ken-valuf"},
			wantReason: "wrong token",
		},
		"token in a custom header, missing": {
			fields:     `"auth_method":"token","auth_secret":"t0ken-value","auth_header":"X-Deploy-Key"`,
			good:       map[string]string{"x-deploy-key": "t0ken-value"},
			bad:        map[string]string{"X-Signalbox-Token": "t0ken-value"},
			wantReason: "no token in X-Deploy-Key",
		},
		"hmac over the raw body": {
			fields:     `"auth_method":"hmac","auth_secret":"hmac-key"`,
			good:       map[string]string{"X-Signalbox-Signature-256": hmacHex("hmac-key", body)},
			bad:        map[string]string{"X-Signalbox-Signature-256": hmacHex("hmac-key", body+" ")},
			wantReason: "bad signature",
		},
		"github signature": {
			fields:     `"auth_method":"github","auth_secret":"gh-secret"`,
			good:       map[string]string{"X-Hub-Signature-256": "sha256=" + hmacHex("gh-secret", body), "X-GitHub-Event": "push"},
			bad:        map[string]string{"X-Hub-Signature-256": "sha256=" + hmacHex("not-gh-secret", body)},
			wantReason: "bad signature",
		},
		"github signature without its prefix": {
			fields:     `"auth_method":"github","auth_secret":"gh-secret"`,
			good:       map[string]string{"X-Hub-Signature-256": "sha256=" + hmacHex("gh-secret", body)},
			bad:        map[string]string{"X-Hub-Signature-256": hmacHex("gh-secret", body)},
			wantReason: "no signature in X-Hub-Signature-256",
		},
		"gitlab token": {
			fields:     `"auth_method":"gitlab","auth_secret":"gl-token"`,
			good:       map[string]string{"X-Gitlab-Token": "gl-token"},
			bad:        map[string]string{"X-Gitlab-Token": "gl-tokem"},
			wantReason: "wrong token",
		},
		"basic credentials": {
			fields:     `"auth_method":"basic","auth_login":"ci","auth_secret":"ci-password"`,
			good:       map[string]string{"Authorization": basic("ci", "ci-password")},
			bad:        map[string]string{"Authorization": basic("ci", "ci-passwore")},
			wantReason: "wrong credentials",
		},
	} {
		t.Run(name, func(t *testing.T) {
			name := strings.ReplaceAll(name, " ", "-")
			in := h.integration(fmt.Sprintf(`"name":%q,%s`, name, tc.fields))
			alias := h.alias(in)

			started := h.started(alias, body, tc.good)
			if len(started) != 1 {
				t.Fatalf("the right credential started %v, want one task", started)
			}
			tk := h.task(started[0])
			if tk.TemplateID != h.tmpl || tk.Status != "waiting" || tk.UserID != nil ||
				tk.Message != fmt.Sprintf("started by integration %q", name) {
				t.Errorf("task = %+v", tk)
			}
			if ev := h.events()[0]; ev != fmt.Sprintf(`integration %q started task %d of template "deploy"`, name, tk.ID) {
				t.Errorf("last event = %q", ev)
			}
			if tc.bad == nil {
				return
			}
			before := h.taskCount()
			status, b := h.post(alias, body, tc.bad)
			if status != 401 || !strings.Contains(string(b), `"error"`) {
				t.Errorf("the wrong credential: status %d, want 401 with a JSON error: %s", status, b)
			}
			if after := h.taskCount(); after != before {
				t.Errorf("a refused webhook changed the task count from %d to %d", before, after)
			}
			ev := h.events()[0]
			if want := fmt.Sprintf("webhook for integration %q refused: %s", name, tc.wantReason); ev != want {
				t.Errorf("last event = %q, want %q", ev, want)
			}
			for _, v := range tc.bad {
				if strings.Contains(ev, v) || strings.Contains(string(b), v) {
					t.Errorf("the presented credential %q is in the event or the answer", v)
				}
			}
		})
	}
}

func TestAPI_WebhookMatchers(t *testing.T) {
	h := newHooks(t)
	push := `{"ref":"refs/heads/main","commits":[{"id":"c1","author":{"name":"Ann Lee"}}],"size":3,"forced":false}`
	for name, tc := range map[string]struct {
		matchers []string
		body     string
		header   map[string]string
		want     bool
	}{
		"json equals matches": {
			matchers: []string{`{"match_type":"body","body_data_type":"json","method":"equals","key":"ref","value":"refs/heads/main"}`},
			body:     push, want: true,
		},
		"json equals on another value does not": {
			matchers: []string{`{"match_type":"body","body_data_type":"json","method":"equals","key":"ref","value":"refs/heads/dev"}`},
			body:     push,
		},
		"json equals on a number and a bool": {
			matchers: []string{
				`{"match_type":"body","body_data_type":"json","method":"equals","key":"size","value":"3"}`,
				`{"match_type":"body","body_data_type":"json","method":"equals","key":"forced","value":"false"}`,
			},
			body: push, want: true,
		},
		"json unequals matches another value": {
			matchers: []string{`{"match_type":"body","body_data_type":"json","method":"unequals","key":"ref","value":"refs/heads/dev"}`},
			body:     push, want: true,
		},
		"json unequals on the same value does not": {
			matchers: []string{`{"match_type":"body","body_data_type":"json","method":"unequals","key":"ref","value":"refs/heads/main"}`},
			body:     push,
		},
		"json unequals matches a missing value": {
			matchers: []string{`{"match_type":"body","body_data_type":"json","method":"unequals","key":"deleted","value":"true"}`},
			body:     push, want: true,
		},
		"json contains along an array path": {
			matchers: []string{`{"match_type":"body","body_data_type":"json","method":"contains","key":"commits.0.author.name","value":"Ann"}`},
			body:     push, want: true,
		},
		"json contains past the end of an array does not": {
			matchers: []string{`{"match_type":"body","body_data_type":"json","method":"contains","key":"commits.1.author.name","value":"Ann"}`},
			body:     push,
		},
		"json equals on a body that is not json does not": {
			matchers: []string{`{"match_type":"body","body_data_type":"json","method":"equals","key":"ref","value":"refs/heads/main"}`},
			body:     `ref=refs/heads/main`,
		},
		"string contains the whole body": {
			matchers: []string{`{"match_type":"body","body_data_type":"string","method":"contains","value":"heads/main"}`},
			body:     push, want: true,
		},
		"string equals the whole body": {
			matchers: []string{`{"match_type":"body","body_data_type":"string","method":"equals","value":"deploy now"}`},
			body:     "deploy now", want: true,
		},
		"string unequals the whole body": {
			matchers: []string{`{"match_type":"body","body_data_type":"string","method":"unequals","value":"deploy now"}`},
			body:     "deploy now",
		},
		"xml equals along a path": {
			matchers: []string{`{"match_type":"body","body_data_type":"xml","method":"equals","key":"push.ref","value":"refs/heads/main"}`},
			body:     `<push id="7"><ref> refs/heads/main </ref></push>`, want: true,
		},
		"xml equals on an attribute": {
			matchers: []string{`{"match_type":"body","body_data_type":"xml","method":"equals","key":"push.@id","value":"8"}`},
			body:     `<push id="7"><ref>refs/heads/main</ref></push>`,
		},
		"header equals": {
			matchers: []string{`{"match_type":"header","method":"equals","key":"X-GitHub-Event","value":"push"}`},
			header:   map[string]string{"X-Github-Event": "push"}, body: push, want: true,
		},
		"header equals another value does not": {
			matchers: []string{`{"match_type":"header","method":"equals","key":"X-GitHub-Event","value":"push"}`},
			header:   map[string]string{"X-GitHub-Event": "ping"}, body: push,
		},
		"header contains": {
			matchers: []string{`{"match_type":"header","method":"contains","key":"User-Agent","value":"GitHub-Hookshot"}`},
			header:   map[string]string{"User-Agent": "GitHub-Hookshot/abc"}, body: push, want: true,
		},
		"a missing header is unequal": {
			matchers: []string{`{"match_type":"header","method":"unequals","key":"X-Skip","value":"yes"}`},
			body:     push, want: true,
		},
		"all matchers must match": {
			matchers: []string{
				`{"match_type":"body","body_data_type":"json","method":"equals","key":"ref","value":"refs/heads/main"}`,
				`{"match_type":"header","method":"equals","key":"X-GitHub-Event","value":"push"}`,
			},
			header: map[string]string{"X-GitHub-Event": "release"}, body: push,
		},
	} {
		t.Run(name, func(t *testing.T) {
			in := h.integration(fmt.Sprintf(`"name":%q`, name))
			for _, m := range tc.matchers {
				h.admin.do("POST", h.path(in, "/matchers"), m, 200, nil)
			}
			got := h.started(h.alias(in), tc.body, tc.header)
			if tc.want != (len(got) == 1) || len(got) > 1 {
				t.Errorf("started %v, want a task: %v", got, tc.want)
			}
		})
	}
}

func TestAPI_WebhookValues(t *testing.T) {
	h := newHooks(t)

	t.Run("extracted values reach the task's extra vars and params", func(t *testing.T) {
		in := h.integration(`"name":"values","task_params":{"debug":false}`)
		for _, v := range []string{
			`{"value_source":"body","body_data_type":"json","key":"ref","variable":"ref"}`,
			`{"value_source":"body","body_data_type":"json","key":"commits.0.author","variable":"author"}`,
			`{"value_source":"body","body_data_type":"json","key":"size","variable":"size"}`,
			`{"value_source":"body","body_data_type":"json","key":"missing","variable":"missing"}`,
			`{"value_source":"header","key":"X-Request-Id","variable":"request_id","variable_type":"environment"}`,
			`{"value_source":"body","body_data_type":"json","key":"forced","variable":"debug","variable_type":"task"}`,
		} {
			h.admin.do("POST", h.path(in, "/values"), v, 201, nil)
		}
		body := `{"ref":"refs/heads/main","size":12345678901234567890,"forced":true,"commits":[{"author":{"name":"Ann"}}]}`
		started := h.started(h.alias(in), body, map[string]string{"X-Request-Id": "req-42"})
		if len(started) != 1 {
			t.Fatalf("started %v", started)
		}
		tk := h.task(started[0])
		var vars map[string]any
		if err := json.Unmarshal([]byte(tk.Environment), &vars); err != nil {
			t.Fatalf("environment %q: %v", tk.Environment, err)
		}
		want := map[string]any{"ref": "refs/heads/main", "author": map[string]any{"name": "Ann"},
			"size": 12345678901234567890.0, "request_id": "req-42"}
		if diff := cmp.Diff(want, vars); diff != "" {
			t.Errorf("environment (-want +got):\n%s", diff)
		}
		if !strings.Contains(tk.Environment, "12345678901234567890") {
			t.Errorf("a number lost its digits: %s", tk.Environment)
		}
		if string(tk.Params) != `{"debug":true}` {
			t.Errorf("params = %s, want the extracted value over the integration's", tk.Params)
		}
	})

	t.Run("xml and string bodies give strings", func(t *testing.T) {
		in := h.integration(`"name":"xml"`)
		h.admin.do("POST", h.path(in, "/values"), `{"value_source":"body","body_data_type":"xml","key":"push.ref","variable":"ref"}`, 201, nil)
		h.admin.do("POST", h.path(in, "/values"), `{"value_source":"body","body_data_type":"xml","key":"push.@id","variable":"id"}`, 201, nil)
		h.admin.do("POST", h.path(in, "/values"), `{"value_source":"body","body_data_type":"string","variable":"payload"}`, 201, nil)
		body := `<push id="7"><ref>refs/tags/v1</ref></push>`
		tk := h.task(h.started(h.alias(in), body, nil)[0])
		var vars map[string]any
		if err := json.Unmarshal([]byte(tk.Environment), &vars); err != nil {
			t.Fatalf("environment %q: %v", tk.Environment, err)
		}
		want := map[string]any{"ref": "refs/tags/v1", "id": "7", "payload": body}
		if diff := cmp.Diff(want, vars); diff != "" {
			t.Errorf("environment (-want +got):\n%s", diff)
		}
	})

	t.Run("params the app refuses start nothing and say why", func(t *testing.T) {
		in := h.integration(`"name":"bad-params"`)
		h.admin.do("POST", h.path(in, "/values"), `{"value_source":"header","key":"X-Debug","variable":"debug","variable_type":"task"}`, 201, nil)
		before := h.taskCount()
		status, b := h.post(h.alias(in), `{}`, map[string]string{"X-Debug": "yes"})
		if status != 400 || h.taskCount() != before {
			t.Errorf("status %d (%s), tasks %d → %d; want 400 and no task", status, b, before, h.taskCount())
		}
		if ev := h.events()[0]; !strings.HasPrefix(ev, `webhook for integration "bad-params" could not start a task`) {
			t.Errorf("last event = %q", ev)
		}
	})
}

func TestAPI_WebhookProjectAlias(t *testing.T) {
	h := newHooks(t)
	matcher := func(event string) string {
		return fmt.Sprintf(`{"match_type":"header","method":"equals","key":"X-Event","value":%q}`, event)
	}
	pushes := h.integration(`"name":"pushes","searchable":true`)
	h.admin.do("POST", h.path(pushes, "/matchers"), matcher("push"), 200, nil)
	tags := h.integration(`"name":"tags","searchable":true,"auth_method":"gitlab","auth_secret":"gl"`)
	h.admin.do("POST", h.path(tags, "/matchers"), matcher("tag"), 200, nil)
	hidden := h.integration(`"name":"hidden"`) // not searchable: never reached by a project alias
	_ = hidden
	alias := h.alias(0)

	t.Run("only the integration whose matchers match starts a task", func(t *testing.T) {
		started := h.started(alias, `{}`, map[string]string{"X-Event": "push"})
		if len(started) != 1 {
			t.Fatalf("started %v, want one task", started)
		}
		if tk := h.task(started[0]); tk.Message != `started by integration "pushes"` {
			t.Errorf("the task was started by %q", tk.Message)
		}
	})
	t.Run("nothing matching starts nothing", func(t *testing.T) {
		if started := h.started(alias, `{}`, map[string]string{"X-Event": "release"}); len(started) != 0 {
			t.Errorf("started %v", started)
		}
	})
	t.Run("a matching integration authenticates by its own method", func(t *testing.T) {
		before := h.taskCount()
		if status, b := h.post(alias, `{}`, map[string]string{"X-Event": "tag"}); status != 401 {
			t.Errorf("status %d, want 401: %s", status, b)
		}
		if h.taskCount() != before {
			t.Errorf("a refused webhook started a task")
		}
		started := h.started(alias, `{}`, map[string]string{"X-Event": "tag", "X-Gitlab-Token": "gl"})
		if len(started) != 1 || h.task(started[0]).Message != `started by integration "tags"` {
			t.Errorf("started %v", started)
		}
	})
}

func TestAPI_WebhookLimits(t *testing.T) {
	h := newHooks(t)
	alias := h.alias(h.integration(`"name":"limits"`))

	t.Run("an unknown alias is 404", func(t *testing.T) {
		if status, b := h.post("no-such-alias", `{}`, nil); status != 404 || !strings.Contains(string(b), `"error"`) {
			t.Errorf("status %d, want 404 with a JSON error: %s", status, b)
		}
	})
	t.Run("a body over 1 MiB is 413", func(t *testing.T) {
		before := h.taskCount()
		big := `{"pad":"` + strings.Repeat("x", 1<<20) + `"}`
		if status, b := h.post(alias, big, nil); status != 413 || !strings.Contains(string(b), `"error"`) {
			t.Errorf("status %d, want 413 with a JSON error: %.200s", status, b)
		}
		if h.taskCount() != before {
			t.Errorf("an oversized webhook started a task")
		}
	})
	t.Run("a body of exactly 1 MiB is accepted", func(t *testing.T) {
		body := `{"pad":"` + strings.Repeat("x", 1<<20-len(`{"pad":""}`)) + `"}`
		if got := h.started(alias, body, nil); len(got) != 1 {
			t.Errorf("started %v", got)
		}
	})
	t.Run("only POST is served", func(t *testing.T) {
		status, _ := client{e: h.e}.doRaw("GET", "/api/integrations/"+alias, "", nil)
		if status != 405 && status != 404 {
			t.Errorf("GET answered %d", status)
		}
	})
}
