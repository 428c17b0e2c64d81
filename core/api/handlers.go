package api

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/signalbox/signalbox/core/model"
	"github.com/signalbox/signalbox/core/service"
)

func errUnauthenticated(msg string) error { return model.Unauthenticatedf("%s", msg) }

func (a *API) ping(c *gin.Context) {
	if a.cfg.Health != nil {
		if err := a.cfg.Health(c.Request.Context()); err != nil {
			c.String(http.StatusServiceUnavailable, "database unavailable")
			return
		}
	}
	c.String(http.StatusOK, "pong")
}

func (a *API) info(c *gin.Context) (int, any, error) {
	apps := a.svc.ListApps(c.Request.Context())
	ids := make([]string, 0, len(apps))
	ansible := ""
	for _, app := range apps {
		ids = append(ids, app.ID)
		if app.ID == "ansible" {
			ansible = app.Version
		}
	}
	return http.StatusOK, gin.H{
		"version": a.cfg.Version, "ansible": ansible, "auth_methods": gin.H{"password": true, "totp": false, "oidc": false, "ldap": false},
		"apps": ids, "features": gin.H{"plugins": true, "websocket": true},
	}, nil
}

type appDTO struct {
	ID             string `json:"id"`
	Title          string `json:"title"`
	Description    string `json:"description"`
	Version        string `json:"version"`
	Plugin         string `json:"plugin"`
	PluginVersion  string `json:"plugin_version"`
	TemplateSchema any    `json:"template_schema"`
	TaskSchema     any    `json:"task_schema"`
	Active         bool   `json:"active"`
}

func (a *API) apps(c *gin.Context) (int, any, error) {
	apps := a.svc.ListApps(c.Request.Context())
	out := make([]appDTO, 0, len(apps))
	for _, app := range apps {
		out = append(out, appDTO{ID: app.ID, Title: app.Title, Description: app.Description, Version: app.Version,
			Plugin: app.Plugin, PluginVersion: app.PluginVersion, TemplateSchema: rawOr(string(app.TemplateSchema), "null"),
			TaskSchema: rawOr(string(app.TaskSchema), "null"), Active: true})
	}
	return http.StatusOK, out, nil
}

func (a *API) loginMetadata(*gin.Context) (int, any, error) {
	return http.StatusOK, gin.H{"oidc_providers": []any{}, "login_with_password": true}, nil
}

func (a *API) login(c *gin.Context) (int, any, error) {
	var in struct {
		Auth     string `json:"auth"`
		Password string `json:"password"`
	}
	if err := bind(c, &in); err != nil {
		return 0, nil, err
	}
	token, _, err := a.svc.Login(c.Request.Context(), in.Auth, in.Password)
	if err != nil {
		return 0, nil, err
	}
	http.SetCookie(c.Writer, &http.Cookie{Name: CookieName, Value: token, Path: "/", HttpOnly: true,
		Secure: a.cfg.CookieSecure, SameSite: http.SameSiteLaxMode, MaxAge: int(service.SessionTTL.Seconds())})
	return http.StatusNoContent, nil, nil
}

func (a *API) logout(c *gin.Context) (int, any, error) {
	if cookie, err := c.Cookie(CookieName); err == nil && cookie != "" {
		if err := a.svc.Logout(c.Request.Context(), cookie); err != nil {
			return 0, nil, err
		}
	}
	http.SetCookie(c.Writer, &http.Cookie{Name: CookieName, Value: "", Path: "/", HttpOnly: true, MaxAge: -1})
	return http.StatusNoContent, nil, nil
}

func (a *API) currentUser(c *gin.Context) (int, any, error) {
	return http.StatusOK, toUserDTO(actor(c).User), nil
}

func (a *API) listTokens(c *gin.Context) (int, any, error) {
	ts, err := a.svc.ListAPITokens(c.Request.Context(), actor(c))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, mapAll(ts, func(t model.APIToken) tokenDTO {
		return tokenDTO{ID: t.ID, Created: t.Created, Expired: t.Expired, UserID: t.UserID}
	}), nil
}

// createToken answers the token itself in "id", once, as Semaphore does.
func (a *API) createToken(c *gin.Context) (int, any, error) {
	token, t, err := a.svc.CreateAPIToken(c.Request.Context(), actor(c))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, tokenDTO{ID: token, Created: t.Created, Expired: t.Expired, UserID: t.UserID}, nil
}

func (a *API) expireToken(c *gin.Context) (int, any, error) {
	return http.StatusNoContent, nil, a.svc.ExpireAPIToken(c.Request.Context(), actor(c), c.Param("token_id"))
}

func (a *API) listUsers(c *gin.Context) (int, any, error) {
	us, err := a.svc.ListUsers(c.Request.Context(), actor(c))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, mapAll(us, toUserDTO), nil
}

func (a *API) createUser(c *gin.Context) (int, any, error) {
	var in struct {
		Username string `json:"username"`
		Name     string `json:"name"`
		Email    string `json:"email"`
		Password string `json:"password"`
		Admin    bool   `json:"admin"`
		Alert    bool   `json:"alert"`
	}
	if err := bind(c, &in); err != nil {
		return 0, nil, err
	}
	u, err := a.svc.CreateUser(c.Request.Context(), actor(c), service.NewUser(in))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, toUserDTO(u), nil
}

func (a *API) setPassword(c *gin.Context) (int, any, error) {
	id, err := idParam(c, "user_id")
	if err != nil {
		return 0, nil, err
	}
	var in struct {
		Password string `json:"password"`
	}
	if err := bind(c, &in); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, a.svc.SetPassword(c.Request.Context(), actor(c), id, in.Password)
}

func (a *API) deleteUser(c *gin.Context) (int, any, error) {
	id, err := idParam(c, "user_id")
	if err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, a.svc.DeleteUser(c.Request.Context(), actor(c), id)
}

func (a *API) listProjects(c *gin.Context) (int, any, error) {
	ps, err := a.svc.ListProjects(c.Request.Context(), actor(c))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, mapAll(ps, toProjectDTO), nil
}

func (a *API) createProject(c *gin.Context) (int, any, error) {
	var in projectIn
	if err := bind(c, &in); err != nil {
		return 0, nil, err
	}
	p, _ := in.toModel(0)
	p, err := a.svc.CreateProject(c.Request.Context(), actor(c), p)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, toProjectDTO(p), nil
}

func (a *API) getProject(c *gin.Context) (int, any, error) {
	id, err := idParam(c, "project_id")
	if err != nil {
		return 0, nil, err
	}
	p, err := a.svc.GetProject(c.Request.Context(), actor(c), id)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toProjectDTO(p), nil
}

func (a *API) updateProject(c *gin.Context) (int, any, error) {
	id, err := idParam(c, "project_id")
	if err != nil {
		return 0, nil, err
	}
	var in projectIn
	if err := bind(c, &in); err != nil {
		return 0, nil, err
	}
	p, err := in.toModel(id)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, a.svc.UpdateProject(c.Request.Context(), actor(c), p)
}

func (a *API) deleteProject(c *gin.Context) (int, any, error) {
	id, err := idParam(c, "project_id")
	if err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, a.svc.DeleteProject(c.Request.Context(), actor(c), id)
}

func (a *API) projectRole(c *gin.Context) (int, any, error) {
	id, err := idParam(c, "project_id")
	if err != nil {
		return 0, nil, err
	}
	role, perm, err := a.svc.ProjectRole(c.Request.Context(), actor(c), id)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, gin.H{"role": role, "permissions": int(perm)}, nil
}

func (a *API) listKeys(c *gin.Context) (int, any, error) {
	pid, err := idParam(c, "project_id")
	if err != nil {
		return 0, nil, err
	}
	o, err := listOptions(c)
	if err != nil {
		return 0, nil, err
	}
	ks, err := a.svc.ListKeys(c.Request.Context(), actor(c), pid, o)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, mapAll(ks, toKeyDTO), nil
}

func (a *API) saveKey(c *gin.Context, pid, id int64) (model.AccessKey, error) {
	var in keyIn
	if err := bind(c, &in); err != nil {
		return model.AccessKey{}, err
	}
	k, sec, err := in.toModel(pid, id)
	if err != nil {
		return model.AccessKey{}, err
	}
	return a.svc.SaveKey(c.Request.Context(), actor(c), k, sec)
}

func (a *API) createKey(c *gin.Context) (int, any, error) {
	pid, err := idParam(c, "project_id")
	if err != nil {
		return 0, nil, err
	}
	k, err := a.saveKey(c, pid, 0)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, toKeyDTO(k), nil
}

func (a *API) updateKey(c *gin.Context) (int, any, error) {
	pid, id, err := projectAndID(c, "key_id")
	if err != nil {
		return 0, nil, err
	}
	_, err = a.saveKey(c, pid, id)
	return http.StatusNoContent, nil, err
}

// getInProject builds the handler that returns one object of a project,
// named by the path parameter idName.
func getInProject[T, D any](idName string, get func(context.Context, service.Actor, int64, int64) (T, error), out func(T) D) handler {
	return func(c *gin.Context) (int, any, error) {
		pid, id, err := projectAndID(c, idName)
		if err != nil {
			return 0, nil, err
		}
		v, err := get(c.Request.Context(), actor(c), pid, id)
		if err != nil {
			return 0, nil, err
		}
		return http.StatusOK, out(v), nil
	}
}

// deleteInProject builds the handler that deletes one object of a project.
func deleteInProject(idName string, del func(context.Context, service.Actor, int64, int64) error) handler {
	return func(c *gin.Context) (int, any, error) {
		pid, id, err := projectAndID(c, idName)
		if err != nil {
			return 0, nil, err
		}
		return http.StatusNoContent, nil, del(c.Request.Context(), actor(c), pid, id)
	}
}

func projectAndID(c *gin.Context, idName string) (int64, int64, error) {
	pid, err := idParam(c, "project_id")
	if err != nil {
		return 0, 0, err
	}
	id, err := idParam(c, idName)
	return pid, id, err
}

func (a *API) listTasks(c *gin.Context) (int, any, error) {
	pid, err := idParam(c, "project_id")
	if err != nil {
		return 0, nil, err
	}
	f := service.TaskFilter{ProjectID: pid}
	if f.Limit, err = intQuery(c, "limit"); err != nil {
		return 0, nil, err
	}
	if f.Offset, err = intQuery(c, "offset"); err != nil {
		return 0, nil, err
	}
	if s := c.Query("before_id"); s != "" {
		n, err := intQuery(c, "before_id")
		if err != nil {
			return 0, nil, err
		}
		f.BeforeID = int64(n)
	}
	if s := c.Query("template_id"); s != "" {
		n, err := intQuery(c, "template_id")
		if err != nil {
			return 0, nil, err
		}
		f.TemplateID = int64(n)
	}
	if s := c.Query("status"); s != "" {
		for _, st := range strings.Split(s, ",") {
			f.Statuses = append(f.Statuses, model.TaskStatus(strings.TrimSpace(st)))
		}
	}
	return a.renderTasks(c, f)
}

func (a *API) lastTasks(c *gin.Context) (int, any, error) {
	pid, err := idParam(c, "project_id")
	if err != nil {
		return 0, nil, err
	}
	return a.renderTasks(c, service.TaskFilter{ProjectID: pid, Limit: 200})
}

func (a *API) renderTasks(c *gin.Context, f service.TaskFilter) (int, any, error) {
	ts, err := a.svc.ListTasks(c.Request.Context(), actor(c), f)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, mapAll(ts, toTaskDTO), nil
}

func (a *API) startTask(c *gin.Context) (int, any, error) {
	pid, err := idParam(c, "project_id")
	if err != nil {
		return 0, nil, err
	}
	var in taskIn
	if err := bind(c, &in); err != nil {
		return 0, nil, err
	}
	if err := checkBodyID("project_id", in.ProjectID, pid); err != nil {
		return 0, nil, err
	}
	n := service.NewTask{TemplateID: in.TemplateID, TemplateName: in.TemplateName, BuildTaskID: in.BuildTaskID, Debug: in.Debug, DryRun: in.DryRun, Diff: in.Diff,
		Playbook: in.Playbook, Environment: in.Environment, Limit: in.Limit, GitBranch: in.GitBranch, Message: in.Message}
	if in.Arguments != nil {
		n.Arguments = *in.Arguments
	}
	if len(in.Params) > 0 && string(in.Params) != "null" {
		n.Params = string(in.Params)
	}
	t, err := a.svc.StartTask(c.Request.Context(), actor(c), pid, n)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, toTaskDTO(t), nil
}

func (a *API) stopTemplateTasks(c *gin.Context) (int, any, error) {
	pid, id, err := projectAndID(c, "template_id")
	if err != nil {
		return 0, nil, err
	}
	var in struct {
		Force bool `json:"force"`
	}
	if c.Request.ContentLength != 0 {
		if err := bind(c, &in); err != nil {
			return 0, nil, err
		}
	}
	return http.StatusNoContent, nil, a.svc.StopTemplateTasks(c.Request.Context(), actor(c), pid, id, in.Force || c.Query("force") == "true")
}

func (a *API) stopTask(c *gin.Context) (int, any, error) {
	pid, id, err := projectAndID(c, "task_id")
	if err != nil {
		return 0, nil, err
	}
	var in struct {
		Force bool `json:"force"`
	}
	if c.Request.ContentLength != 0 {
		if err := bind(c, &in); err != nil {
			return 0, nil, err
		}
	}
	if c.Query("force") == "true" {
		in.Force = true
	}
	return http.StatusNoContent, nil, a.svc.StopTask(c.Request.Context(), actor(c), pid, id, in.Force)
}

// confirmTask confirms a task waiting for confirmation (a Terraform plan):
// it runs on. 409 when the task does not wait for confirmation.
func (a *API) confirmTask(c *gin.Context) (int, any, error) { return a.decideTask(c, true) }

// rejectTask rejects a task waiting for confirmation: it ends as rejected.
func (a *API) rejectTask(c *gin.Context) (int, any, error) { return a.decideTask(c, false) }

func (a *API) decideTask(c *gin.Context, approved bool) (int, any, error) {
	pid, id, err := projectAndID(c, "task_id")
	if err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, a.svc.DecideTask(c.Request.Context(), actor(c), pid, id, approved)
}

// taskOutput returns output lines in order. ?offset=N skips the first N
// lines (lines are numbered from 1, so offset is the last seq already
// read) and ?limit=M caps the page; without them the whole log is returned.
func (a *API) taskOutput(c *gin.Context) (int, any, error) {
	pid, id, err := projectAndID(c, "task_id")
	if err != nil {
		return 0, nil, err
	}
	offset, err := intQuery(c, "offset")
	if err != nil {
		return 0, nil, err
	}
	limit, err := intQuery(c, "limit")
	if err != nil {
		return 0, nil, err
	}
	// The answer is encoded page by page as it is read, so that a huge log
	// (no limit) is never held in memory whole.
	want := func(read int) int {
		if limit > 0 {
			return min(outputPage, limit-read)
		}
		return outputPage
	}
	lines, err := a.svc.TaskOutput(c.Request.Context(), actor(c), pid, id, int64(offset), want(0))
	if err != nil {
		return 0, nil, err
	}
	c.Header("Content-Type", "application/json; charset=utf-8")
	c.Status(http.StatusOK)
	w := bufio.NewWriterSize(c.Writer, 64<<10)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = w.WriteByte('[')
	read := 0
	for len(lines) > 0 {
		for _, l := range lines {
			if read > 0 {
				_ = w.WriteByte(',')
			}
			_ = enc.Encode(outputDTO{TaskID: l.TaskID, Seq: l.Seq, Time: l.Time, Output: l.Text})
			read++
		}
		n := want(read)
		if len(lines) < outputPage || n <= 0 {
			break
		}
		if lines, err = a.svc.TaskOutput(c.Request.Context(), actor(c), pid, id, lines[len(lines)-1].Seq, n); err != nil {
			// The status is sent: end the array short, and log why.
			a.log.Error("read task output", "task_id", id, "error", err)
			break
		}
	}
	_ = w.WriteByte(']')
	_ = w.Flush()
	return http.StatusOK, nil, nil
}

// outputPage is how many lines the output handlers read from the store at
// a time.
const outputPage = 10000

// rawOutput streams the whole log as text, page by page, so that a huge log
// is never held in memory.
func (a *API) rawOutput(c *gin.Context) {
	pid, id, err := projectAndID(c, "task_id")
	if err != nil {
		a.renderError(c, err)
		return
	}
	const page = outputPage
	lines, err := a.svc.TaskOutput(c.Request.Context(), actor(c), pid, id, 0, page)
	if err != nil {
		a.renderError(c, err)
		return
	}
	c.Header("Content-Type", "text/plain; charset=utf-8")
	c.Status(http.StatusOK)
	w := bufio.NewWriterSize(c.Writer, 64<<10)
	for len(lines) > 0 {
		for _, l := range lines {
			_, _ = w.WriteString(l.Text)
			_ = w.WriteByte('\n')
		}
		if len(lines) < page {
			break
		}
		if lines, err = a.svc.TaskOutput(c.Request.Context(), actor(c), pid, id, lines[len(lines)-1].Seq, page); err != nil {
			a.log.Error("read task output", "task_id", id, "error", err)
			break
		}
	}
	_ = w.Flush()
}
