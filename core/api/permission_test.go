package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/signalbox/signalbox/core/model"
	"github.com/signalbox/signalbox/core/service"
)

// The permission walk: every route × every role, checked against one table.
// Roles: anonymous, a non-member, each project role, and an admin.

type perm int

const (
	public      perm = iota // no login needed
	anyUser                 // any logged-in user
	adminOnly               // administrators only (members get 403)
	readProject             // any member
	runTasks                // owner, manager, task_runner
	manageRes               // owner, manager
	updateProj              // owner, manager
	manageUsers             // owner
)

// fixture holds ids the routes need; fresh objects are made per call for
// routes that destroy what they touch.
type permFixture struct {
	e       *env
	admin   client
	project int64
	repo    int64
	tmpl    int64
	// users maps each project role to its user's id.
	users map[string]int64
	seq   int
}

// freshUser creates a user and returns its id.
func (f *permFixture) freshUser() int64 {
	f.seq++
	name := fmt.Sprintf("fresh%d", f.seq)
	u, err := f.e.svc.CreateUser(context.Background(), service.SystemActor, service.NewUser{Username: name, Email: name + "@example.com", Password: "fresh-password"})
	if err != nil {
		f.e.t.Fatal(err)
	}
	return u.ID
}

// freshMember adds a fresh user to the project as a guest.
func (f *permFixture) freshMember() int64 {
	id := f.freshUser()
	f.admin.do("POST", f.pp()+"/users", fmt.Sprintf(`{"user_id":%d,"role":"guest"}`, id), 204, nil)
	return id
}

// freshProject creates a project whose members are the walk's roles.
func (f *permFixture) freshProject() int64 {
	id := f.create("/api/projects", `{"name":"doomed"}`)
	for role, uid := range f.users {
		f.admin.do("POST", fmt.Sprintf("/api/project/%d/users", id), fmt.Sprintf(`{"user_id":%d,"role":%q}`, uid, role), 204, nil)
	}
	return id
}

func (f *permFixture) create(path, body string) int64 {
	var o obj
	f.admin.do("POST", path, body, 201, &o)
	return o.ID
}

func (f *permFixture) pp() string { return fmt.Sprintf("/api/project/%d", f.project) }

func (f *permFixture) finishedTask() int64 {
	var tk obj
	f.admin.do("POST", f.pp()+"/tasks", fmt.Sprintf(`{"template_id":%d}`, f.tmpl), 201, &tk)
	f.admin.do("POST", fmt.Sprintf("%s/tasks/%d/stop", f.pp(), tk.ID), "", 204, nil)
	return tk.ID
}

type route struct {
	method string
	// path builds the request path (and creates what it needs).
	path func(f *permFixture) string
	body string
	need perm
	// bodyFn, when set, builds the body instead.
	bodyFn func(f *permFixture, path string) string
	// alsoOK is a status that counts as passing the permission check.
	alsoOK int
}

func routeTable() map[string]route {
	static := func(p string) func(*permFixture) string { return func(*permFixture) string { return p } }
	inProject := func(p string) func(*permFixture) string {
		return func(f *permFixture) string { return f.pp() + p }
	}
	fresh := func(kind, body, suffix string) func(*permFixture) string {
		return func(f *permFixture) string {
			id := f.create(f.pp()+"/"+kind, body)
			return fmt.Sprintf("%s/%s/%d%s", f.pp(), kind, id, suffix)
		}
	}
	key := `{"name":"k","type":"none"}`
	inv := `{"name":"i","inventory":"localhost"}`
	envr := `{"name":"e","json":"{}"}`
	tmpl := func(f *permFixture) string {
		return fmt.Sprintf(`{"name":"t","app":"bash","playbook":"a.sh","repository_id":%d}`, f.repo)
	}
	repoBody := `{"name":"r","git_url":"/srv/repo"}`
	view := `{"title":"v","position":1}`
	return map[string]route{
		"GET /api/project/:id/schedules":                 {"GET", inProject("/schedules"), "", readProject, nil, 0},
		"POST /api/project/:id/schedules":                {"POST", inProject("/schedules"), "", manageRes, scheduleBody, 0},
		"POST /api/project/:id/schedules/validate":       {"POST", inProject("/schedules/validate"), `{"cron_format":"@daily"}`, readProject, nil, 0},
		"GET /api/project/:id/schedules/:schedule_id":    {"GET", schedulePath, "", readProject, nil, 0},
		"PUT /api/project/:id/schedules/:schedule_id":    {"PUT", schedulePath, "", manageRes, scheduleBody, 0},
		"DELETE /api/project/:id/schedules/:schedule_id": {"DELETE", schedulePath, "", manageRes, nil, 0},
		"GET /api/project/:id/templates/:template_id/schedules": {"GET", func(f *permFixture) string {
			return fmt.Sprintf("%s/templates/%d/schedules", f.pp(), f.tmpl)
		}, "", readProject, nil, 0},
		"GET /api/project/:id/views":             {"GET", inProject("/views"), "", readProject, nil, 0},
		"POST /api/project/:id/views":            {"POST", inProject("/views"), view, manageRes, nil, 0},
		"GET /api/project/:id/views/:view_id":    {"GET", fresh("views", view, ""), "", readProject, nil, 0},
		"PUT /api/project/:id/views/:view_id":    {"PUT", fresh("views", view, ""), view, manageRes, nil, 0},
		"DELETE /api/project/:id/views/:view_id": {"DELETE", fresh("views", view, ""), "", manageRes, nil, 0},
		"POST /api/project/:id/templates/:template_id/stop_all_tasks": {"POST", func(f *permFixture) string {
			return fmt.Sprintf("%s/templates/%d/stop_all_tasks", f.pp(), f.tmpl)
		}, "", runTasks, nil, 0},
		"GET /api/project/:id/repositories/:repository_id":    {"GET", fresh("repositories", repoBody, ""), "", readProject, nil, 0},
		"POST /api/project/:id/repositories":                  {"POST", inProject("/repositories"), repoBody, manageRes, nil, 0},
		"PUT /api/project/:id/repositories/:repository_id":    {"PUT", fresh("repositories", repoBody, ""), repoBody, manageRes, nil, 0},
		"DELETE /api/project/:id/repositories/:repository_id": {"DELETE", fresh("repositories", repoBody, ""), "", manageRes, nil, 0},
		"POST /api/project/:id/templates":                     {"POST", inProject("/templates"), "", manageRes, func(f *permFixture, _ string) string { return tmpl(f) }, 0},
		"PUT /api/project/:id/templates/:template_id": {"PUT", func(f *permFixture) string {
			return fmt.Sprintf("%s/templates/%d", f.pp(), f.tmpl)
		}, "", manageRes, func(f *permFixture, _ string) string { return tmpl(f) }, 0},
		"GET /api/users/:user_id":           {"GET", static("/api/users/1"), "", adminOnly, nil, 0},
		"PUT /api/users/:user_id":           {"PUT", static("/api/users/1"), `{"username":"admin","name":"Admin","email":"admin@example.com","admin":true}`, adminOnly, nil, 0},
		"POST /api/users/:user_id/password": {"POST", static("/api/users/1/password"), `{"password":"admin-password"}`, adminOnly, nil, 0},
		"DELETE /api/users/:user_id": {"DELETE", func(f *permFixture) string {
			return fmt.Sprintf("/api/users/%d", f.freshUser())
		}, "", adminOnly, nil, 0},
		"GET /api/user/options":  {"GET", static("/api/user/options"), "", anyUser, nil, 0},
		"POST /api/user/options": {"POST", static("/api/user/options"), `{"theme":"dark"}`, anyUser, nil, 0},
		"POST /api/user/tokens":  {"POST", static("/api/user/tokens"), "", anyUser, nil, 0},
		// Someone else's token is not found, which still proves the caller got past authentication.
		"DELETE /api/user/tokens/:token_id": {"DELETE", static("/api/user/tokens/0123456789abcdef"), "", anyUser, nil, http.StatusNotFound},
		"DELETE /api/project/:id": {"DELETE", func(f *permFixture) string {
			return fmt.Sprintf("/api/project/%d", f.freshProject())
		}, "", manageUsers, nil, 0},
		"POST /api/project/:id/users": {"POST", inProject("/users"), "", manageUsers, func(f *permFixture, _ string) string {
			return fmt.Sprintf(`{"user_id":%d,"role":"guest"}`, f.freshUser())
		}, 0},
		"PUT /api/project/:id/users/:user_id": {"PUT", func(f *permFixture) string {
			return fmt.Sprintf("%s/users/%d", f.pp(), f.freshMember())
		}, `{"role":"task_runner"}`, manageUsers, nil, 0},
		"DELETE /api/project/:id/users/:user_id": {"DELETE", func(f *permFixture) string {
			return fmt.Sprintf("%s/users/%d", f.pp(), f.freshMember())
		}, "", manageUsers, nil, 0},
		"GET /api/ping":                                       {"GET", static("/api/ping"), "", public, nil, 0},
		"GET /api/auth/login":                                 {"GET", static("/api/auth/login"), "", public, nil, 0},
		"GET /api/info":                                       {"GET", static("/api/info"), "", anyUser, nil, 0},
		"GET /api/apps":                                       {"GET", static("/api/apps"), "", anyUser, nil, 0},
		"GET /api/user":                                       {"GET", static("/api/user"), "", anyUser, nil, 0},
		"GET /api/user/tokens":                                {"GET", static("/api/user/tokens"), "", anyUser, nil, 0},
		"GET /api/events":                                     {"GET", static("/api/events"), "", anyUser, nil, 0},
		"GET /api/events/last":                                {"GET", static("/api/events/last"), "", anyUser, nil, 0},
		"GET /api/projects":                                   {"GET", static("/api/projects"), "", anyUser, nil, 0},
		"POST /api/projects":                                  {"POST", static("/api/projects"), `{"name":"x"}`, anyUser, nil, 0},
		"POST /api/projects/restore":                          {"POST", static("/api/projects/restore"), `{"meta":{"name":"restored"}}`, anyUser, nil, 0},
		"GET /api/users":                                      {"GET", static("/api/users"), "", adminOnly, nil, 0},
		"POST /api/users":                                     {"POST", static("/api/users"), `{"username":"u%d","email":"u%d@x.org","password":"long-enough"}`, adminOnly, nil, 0},
		"GET /api/project/:id":                                {"GET", inProject(""), "", readProject, nil, 0},
		"PUT /api/project/:id":                                {"PUT", inProject(""), `{"name":"renamed"}`, updateProj, nil, 0},
		"GET /api/project/:id/role":                           {"GET", inProject("/role"), "", readProject, nil, 0},
		"GET /api/project/:id/backup":                         {"GET", inProject("/backup"), "", manageRes, nil, 0},
		"GET /api/project/:id/events":                         {"GET", inProject("/events"), "", readProject, nil, 0},
		"GET /api/project/:id/users":                          {"GET", inProject("/users"), "", readProject, nil, 0},
		"GET /api/project/:id/keys":                           {"GET", inProject("/keys"), "", readProject, nil, 0},
		"POST /api/project/:id/keys":                          {"POST", inProject("/keys"), key, manageRes, nil, 0},
		"GET /api/project/:id/keys/:key_id":                   {"GET", fresh("keys", key, ""), "", readProject, nil, 0},
		"PUT /api/project/:id/keys/:key_id":                   {"PUT", fresh("keys", key, ""), key, manageRes, nil, 0},
		"DELETE /api/project/:id/keys/:key_id":                {"DELETE", fresh("keys", key, ""), "", manageRes, nil, 0},
		"GET /api/project/:id/inventory":                      {"GET", inProject("/inventory"), "", readProject, nil, 0},
		"POST /api/project/:id/inventory":                     {"POST", inProject("/inventory"), inv, manageRes, nil, 0},
		"GET /api/project/:id/inventory/:inventory_id":        {"GET", fresh("inventory", inv, ""), "", readProject, nil, 0},
		"PUT /api/project/:id/inventory/:inventory_id":        {"PUT", fresh("inventory", inv, ""), inv, manageRes, nil, 0},
		"DELETE /api/project/:id/inventory/:inventory_id":     {"DELETE", fresh("inventory", inv, ""), "", manageRes, nil, 0},
		"GET /api/project/:id/environment":                    {"GET", inProject("/environment"), "", readProject, nil, 0},
		"POST /api/project/:id/environment":                   {"POST", inProject("/environment"), envr, manageRes, nil, 0},
		"GET /api/project/:id/environment/:environment_id":    {"GET", fresh("environment", envr, ""), "", readProject, nil, 0},
		"PUT /api/project/:id/environment/:environment_id":    {"PUT", fresh("environment", envr, ""), envr, manageRes, nil, 0},
		"DELETE /api/project/:id/environment/:environment_id": {"DELETE", fresh("environment", envr, ""), "", manageRes, nil, 0},
		"GET /api/project/:id/repositories":                   {"GET", inProject("/repositories"), "", readProject, nil, 0},
		"GET /api/project/:id/templates":                      {"GET", inProject("/templates"), "", readProject, nil, 0},
		"GET /api/project/:id/templates/:template_id": {"GET", func(f *permFixture) string {
			return fmt.Sprintf("%s/templates/%d", f.pp(), f.tmpl)
		}, "", readProject, nil, 0},
		"DELETE /api/project/:id/templates/:template_id": {"DELETE", func(f *permFixture) string {
			return fmt.Sprintf("%s/templates/%d", f.pp(), f.create(f.pp()+"/templates", tmpl(f)))
		}, "", manageRes, nil, 0},
		"GET /api/project/:id/tasks":      {"GET", inProject("/tasks"), "", readProject, nil, 0},
		"GET /api/project/:id/tasks/last": {"GET", inProject("/tasks/last"), "", readProject, nil, 0},
		"POST /api/project/:id/tasks":     {"POST", inProject("/tasks"), "TASK", runTasks, nil, 0},
		"GET /api/project/:id/tasks/:task_id": {"GET", func(f *permFixture) string {
			return fmt.Sprintf("%s/tasks/%d", f.pp(), f.finishedTask())
		}, "", readProject, nil, 0},
		"GET /api/project/:id/tasks/:task_id/output": {"GET", func(f *permFixture) string {
			return fmt.Sprintf("%s/tasks/%d/output", f.pp(), f.finishedTask())
		}, "", readProject, nil, 0},
		"GET /api/project/:id/tasks/:task_id/raw_output": {"GET", func(f *permFixture) string {
			return fmt.Sprintf("%s/tasks/%d/raw_output", f.pp(), f.finishedTask())
		}, "", readProject, nil, 0},
		"POST /api/project/:id/tasks/:task_id/stop": {"POST", func(f *permFixture) string {
			return fmt.Sprintf("%s/tasks/%d/stop", f.pp(), f.finishedTask())
		}, "", runTasks, nil, 0},
		// A finished task waits for nothing: 409 once the permission passed.
		"POST /api/project/:id/tasks/:task_id/confirm": {"POST", func(f *permFixture) string {
			return fmt.Sprintf("%s/tasks/%d/confirm", f.pp(), f.finishedTask())
		}, "", runTasks, nil, http.StatusConflict},
		"POST /api/project/:id/tasks/:task_id/reject": {"POST", func(f *permFixture) string {
			return fmt.Sprintf("%s/tasks/%d/reject", f.pp(), f.finishedTask())
		}, "", runTasks, nil, http.StatusConflict},
		"DELETE /api/project/:id/tasks/:task_id": {"DELETE", func(f *permFixture) string {
			return fmt.Sprintf("%s/tasks/%d", f.pp(), f.finishedTask())
		}, "", manageRes, nil, 0},
	}
}

// allowed says whether a role passes a permission.
func allowed(role string, need perm) bool {
	perms := map[string]map[perm]bool{
		"admin":       {anyUser: true, adminOnly: true, readProject: true, runTasks: true, manageRes: true, updateProj: true, manageUsers: true},
		"owner":       {anyUser: true, readProject: true, runTasks: true, manageRes: true, updateProj: true, manageUsers: true},
		"manager":     {anyUser: true, readProject: true, runTasks: true, manageRes: true, updateProj: true},
		"task_runner": {anyUser: true, readProject: true, runTasks: true},
		"guest":       {anyUser: true, readProject: true},
		"non-member":  {anyUser: true},
		"anonymous":   {},
	}
	return need == public || perms[role][need]
}

// wantDenied returns the status a role that lacks need must get.
func wantDenied(role string, need perm) int {
	switch {
	case role == "anonymous":
		return http.StatusUnauthorized
	case need == adminOnly:
		return http.StatusForbidden
	case role == "non-member":
		return http.StatusNotFound
	}
	return http.StatusForbidden
}

func TestAPI_PermissionWalk(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	admin := e.as("admin", "admin-password")
	f := &permFixture{e: e, admin: admin}
	f.project = f.create("/api/projects", `{"name":"walk"}`)
	f.repo = f.create(f.pp()+"/repositories", fmt.Sprintf(`{"name":"r","git_url":%q}`, t.TempDir()))
	f.tmpl = f.create(f.pp()+"/templates", fmt.Sprintf(`{"name":"t","app":"bash","playbook":"a.sh","repository_id":%d}`, f.repo))

	clients := map[string]client{"admin": admin, "anonymous": {e: e}}
	f.users = map[string]int64{}
	for _, role := range []string{"owner", "manager", "task_runner", "guest", "non-member"} {
		name := strings.ReplaceAll(role, "_", "")
		u, err := e.svc.CreateUser(ctx, service.SystemActor, service.NewUser{Username: name, Email: name + "@example.com", Password: name + "-password"})
		if err != nil {
			t.Fatal(err)
		}
		if role != "non-member" {
			f.users[role] = u.ID
			admin.do("POST", f.pp()+"/users", fmt.Sprintf(`{"user_id":%d,"role":%q}`, u.ID, model.Role(role)), 204, nil)
		}
		clients[role] = e.as(name, name+"-password")
	}

	covered := map[string]bool{}
	n := 0
	table := routeTable()
	for name, r := range integrationRouteTable() {
		table[name] = r
	}
	for name, r := range table {
		covered[name] = true
		for role, c := range clients {
			t.Run(name+" as "+role, func(t *testing.T) {
				path := r.path(f)
				body := r.body
				if r.bodyFn != nil {
					body = r.bodyFn(f, path)
				}
				if body == "TASK" {
					body = fmt.Sprintf(`{"template_id":%d}`, f.tmpl)
				}
				if strings.Contains(body, "%d") {
					n++
					body = fmt.Sprintf(body, n, n)
				}
				status, b := c.doRaw(r.method, path, body, nil)
				if allowed(role, r.need) {
					if status == r.alsoOK {
						return
					}
					if status == 401 || status == 403 || status == 404 || status >= 500 {
						t.Errorf("%s %s as %s: status %d, want success: %s", r.method, path, role, status, b)
					}
					return
				}
				if want := wantDenied(role, r.need); status != want {
					t.Errorf("%s %s as %s: status %d, want %d: %s", r.method, path, role, status, want, b)
				}
			})
		}
	}

	// Every route the API serves is in the table (the WebSocket and
	// login/logout are tested elsewhere).
	skip := map[string]bool{"GET /api/ws": true, "POST /api/auth/login": true, "POST /api/auth/logout": true, "HEAD /api/ping": true}
	eng, ok := newHandler(e).(*gin.Engine)
	if !ok {
		t.Fatal("api.New does not return a *gin.Engine")
	}
	for _, ri := range eng.Routes() {
		key := ri.Method + " " + normalize(ri.Path)
		if !skip[key] && !covered[key] && !strings.HasSuffix(ri.Path, "/") {
			t.Errorf("route %s is missing from the permission table", key)
		}
	}
}

// normalize writes gin's path parameters the way the table does.
func normalize(p string) string {
	p = strings.Replace(p, ":project_id", ":id", 1)
	return p
}
