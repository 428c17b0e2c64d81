package service

import (
	"context"
	"encoding/json"
	"errors"
	"sort"
	"strings"
	"time"

	"github.com/signalbox/signalbox/core/auth"
	"github.com/signalbox/signalbox/core/model"
	"github.com/signalbox/signalbox/core/store"
)

// NewTask is a request to run a template.
type NewTask struct {
	TemplateID int64
	// TemplateName finds the template by name when TemplateID is 0.
	TemplateName string
	// BuildTaskID is the build a deploy task deploys; 0 means the last
	// successful one.
	BuildTaskID int64
	Debug       bool
	DryRun      bool
	Diff        bool
	Playbook    string
	Environment string
	Arguments   string
	GitBranch   string
	Limit       string
	Params      string
	Message     string
}

// StartTask queues a task: it is stored durably as waiting and the runner
// is woken, so it starts as soon as a slot is free.
func (s *Services) StartTask(ctx context.Context, a Actor, projectID int64, n NewTask) (model.Task, error) {
	if _, err := s.access(ctx, a, projectID, auth.PermRunTasks); err != nil {
		return model.Task{}, err
	}
	if n.TemplateID == 0 && n.TemplateName != "" {
		id, err := s.templateByName(ctx, projectID, n.TemplateName)
		if err != nil {
			return model.Task{}, err
		}
		n.TemplateID = id
	}
	if n.TemplateID == 0 {
		return model.Task{}, model.Invalidf("template_id or template_name is required")
	}
	tmpl, err := s.store.Templates().Get(ctx, projectID, n.TemplateID)
	if errors.Is(err, model.ErrNotFound) {
		return model.Task{}, model.Invalidf("template %d does not exist in this project", n.TemplateID)
	}
	if err != nil {
		return model.Task{}, err
	}
	if strings.TrimSpace(n.Environment) != "" {
		var obj map[string]any
		if err := json.Unmarshal([]byte(n.Environment), &obj); err != nil {
			return model.Task{}, model.Invalidf("environment must be a JSON object of extra variables")
		}
	}
	if strings.TrimSpace(n.Arguments) != "" {
		if !tmpl.AllowOverrideArgsInTask {
			return model.Task{}, model.Invalidf("template %q does not allow overriding its arguments", tmpl.Name)
		}
		var args []string
		if err := json.Unmarshal([]byte(n.Arguments), &args); err != nil {
			return model.Task{}, model.Invalidf("arguments must be a JSON array of strings")
		}
	}
	if strings.TrimSpace(n.Params) != "" {
		var obj map[string]any
		if err := json.Unmarshal([]byte(n.Params), &obj); err != nil {
			return model.Task{}, model.Invalidf("params must be a JSON object")
		}
	}
	if err := s.validateParams(ctx, tmpl.App, "params", n.Params, func(a App) string { return string(a.TaskSchema) }); err != nil {
		return model.Task{}, err
	}
	if err := checkSurvey(tmpl, n.Environment); err != nil {
		return model.Task{}, err
	}
	var version string
	var buildTaskID *int64
	switch tmpl.Type {
	case "build":
		if version, err = s.buildVersion(ctx, tmpl); err != nil {
			return model.Task{}, err
		}
	case "deploy":
		b, err := s.deployBuild(ctx, tmpl, n.BuildTaskID)
		if err != nil {
			return model.Task{}, err
		}
		version, buildTaskID = b.Version, &b.ID
	}
	t := model.Task{
		Version: version, BuildTaskID: buildTaskID,
		ProjectID: projectID, TemplateID: tmpl.ID, Status: model.TaskWaiting, Created: time.Now().UTC(),
		Debug: n.Debug, DryRun: n.DryRun, Diff: n.Diff, Playbook: n.Playbook, Environment: n.Environment,
		Arguments: n.Arguments, GitBranch: n.GitBranch, Limit: n.Limit, Params: n.Params, Message: n.Message,
	}
	if a.User.ID != 0 {
		uid := a.User.ID
		t.UserID = &uid
	}
	if err := s.store.Tasks().Create(ctx, &t); err != nil {
		return model.Task{}, err
	}
	s.log.Info("task queued", "task_id", t.ID, "template_id", t.TemplateID, "project_id", projectID)
	s.event(ctx, a, projectID, "task", t.ID, "%s started task %d of template %q", who(a), t.ID, tmpl.Name)
	if s.runner != nil {
		s.runner.Wake()
	}
	return t, nil
}

// templateByName finds a template of the project by its exact name.
func (s *Services) templateByName(ctx context.Context, projectID int64, name string) (int64, error) {
	tmpls, err := s.store.Templates().List(ctx, projectID, ListOptions{})
	if err != nil {
		return 0, err
	}
	for _, t := range tmpls {
		if t.Name == name {
			return t.ID, nil
		}
	}
	return 0, model.Invalidf("no template named %q in this project", name)
}

// StopTemplateTasks stops every waiting or running task of a template.
func (s *Services) StopTemplateTasks(ctx context.Context, a Actor, projectID, templateID int64, force bool) error {
	if _, err := s.access(ctx, a, projectID, auth.PermRunTasks); err != nil {
		return err
	}
	if _, err := s.store.Templates().Get(ctx, projectID, templateID); err != nil {
		return err
	}
	tasks, err := s.store.Tasks().List(ctx, store.TaskFilter{ProjectID: projectID, TemplateID: templateID,
		Statuses: append([]model.TaskStatus{model.TaskWaiting}, model.ActiveStatuses...)})
	if err != nil {
		return err
	}
	for _, t := range tasks {
		if err := s.StopTask(ctx, a, projectID, t.ID, force); err != nil {
			return err
		}
	}
	return nil
}

// ListTasks lists a project's tasks, newest first.
func (s *Services) ListTasks(ctx context.Context, a Actor, f store.TaskFilter) ([]model.Task, error) {
	if _, err := s.access(ctx, a, f.ProjectID, auth.PermRead); err != nil {
		return nil, err
	}
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 1000
	}
	return s.store.Tasks().List(ctx, f)
}

// GetTask returns a task.
func (s *Services) GetTask(ctx context.Context, a Actor, projectID, id int64) (model.Task, error) {
	if _, err := s.access(ctx, a, projectID, auth.PermRead); err != nil {
		return model.Task{}, err
	}
	return s.store.Tasks().Get(ctx, projectID, id)
}

// TaskOutput returns up to limit lines of a task's output after afterSeq.
func (s *Services) TaskOutput(ctx context.Context, a Actor, projectID, id, afterSeq int64, limit int) ([]model.OutputLine, error) {
	if _, err := s.GetTask(ctx, a, projectID, id); err != nil {
		return nil, err
	}
	if afterSeq < 0 || limit < 0 {
		return nil, model.Invalidf("offset and limit must not be negative")
	}
	return s.store.Output().List(ctx, id, afterSeq, limit)
}

// StopTask stops a task. A waiting task is stopped at once; a running one
// is asked to stop (force kills it at once). Stopping a finished task is a
// no-op.
func (s *Services) StopTask(ctx context.Context, a Actor, projectID, id int64, force bool) error {
	if _, err := s.access(ctx, a, projectID, auth.PermRunTasks); err != nil {
		return err
	}
	verb := "stopped"
	if force {
		verb = "force-stopped"
	}
	s.event(ctx, a, projectID, "task", id, "%s %s task %d", who(a), verb, id)
	for try := 0; try < 3; try++ {
		t, err := s.store.Tasks().Get(ctx, projectID, id)
		if err != nil {
			return err
		}
		switch {
		case t.Status.Final():
			return nil
		case t.Status == model.TaskWaiting:
			now := time.Now().UTC()
			ok, err := s.store.Tasks().Transition(ctx, store.Transition{TaskID: id, Attempt: t.Attempt, Owner: t.Owner,
				From: []model.TaskStatus{model.TaskWaiting}, To: model.TaskStopped, Message: "stopped before it started", End: &now})
			if err != nil || ok {
				return err
			}
			// It was claimed meanwhile: try again as a running task.
		default:
			found, err := s.runner.Stop(ctx, id, force)
			if err != nil || found {
				return err
			}
			// Claimed but not yet registered, or held by another runner.
			if try == 2 {
				return model.Conflictf("task %d is held by runner %q, which did not take the stop", id, t.Owner)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return nil
}

// DecideTask confirms (approved) or rejects a task waiting for
// confirmation, such as a Terraform plan: a confirmed task runs on, a
// rejected one ends as rejected. A task in any other status is a conflict.
func (s *Services) DecideTask(ctx context.Context, a Actor, projectID, id int64, approved bool) error {
	if _, err := s.access(ctx, a, projectID, auth.PermRunTasks); err != nil {
		return err
	}
	t, err := s.store.Tasks().Get(ctx, projectID, id)
	if err != nil {
		return err
	}
	if t.Status != model.TaskWaitingConfirmation {
		return model.Conflictf("task %d is %s, not waiting for confirmation", id, t.Status)
	}
	found, err := s.runner.Decide(ctx, id, approved)
	if err != nil {
		return err
	}
	if !found {
		return model.Conflictf("task %d is held by runner %q, which did not take the decision", id, t.Owner)
	}
	verb := "confirmed"
	if !approved {
		verb = "rejected"
	}
	s.event(ctx, a, projectID, "task", id, "%s %s task %d", who(a), verb, id)
	return nil
}

// DeleteTask deletes a finished task and its output.
func (s *Services) DeleteTask(ctx context.Context, a Actor, projectID, id int64) error {
	if _, err := s.access(ctx, a, projectID, auth.PermManageResources); err != nil {
		return err
	}
	t, err := s.store.Tasks().Get(ctx, projectID, id)
	if err != nil {
		return err
	}
	if !t.Status.Final() {
		return model.Conflictf("task %d is %s; stop it before deleting it", id, t.Status)
	}
	if err := s.store.Tasks().Delete(ctx, projectID, id); err != nil {
		return err
	}
	s.event(ctx, a, projectID, "task", id, "%s deleted task %d", who(a), id)
	return nil
}

// activeTasks refuses an operation while tasks are active.
func (s *Services) refuseActive(ctx context.Context, f store.TaskFilter, what string) error {
	f.Statuses = append([]model.TaskStatus{model.TaskWaiting}, model.ActiveStatuses...)
	f.Limit = 1
	tasks, err := s.store.Tasks().List(ctx, f)
	if err != nil {
		return err
	}
	if len(tasks) > 0 {
		return model.Conflictf("%s has a task that is %s (task %d); stop it first", what, tasks[0].Status, tasks[0].ID)
	}
	return nil
}

func (s *Services) stopProjectTasks(ctx context.Context, projectID int64) error {
	return s.refuseActive(ctx, store.TaskFilter{ProjectID: projectID}, "the project")
}

// stopTemplateTasks refuses to delete a template with active tasks, and
// deletes its finished tasks with it.
func (s *Services) stopTemplateTasks(ctx context.Context, projectID, templateID int64) error {
	if err := s.refuseActive(ctx, store.TaskFilter{ProjectID: projectID, TemplateID: templateID}, "the template"); err != nil {
		return err
	}
	for {
		tasks, err := s.store.Tasks().List(ctx, store.TaskFilter{ProjectID: projectID, TemplateID: templateID, Limit: 500})
		if err != nil || len(tasks) == 0 {
			return err
		}
		for _, t := range tasks {
			if err := s.store.Tasks().Delete(ctx, projectID, t.ID); err != nil {
				return err
			}
		}
	}
}

// ListApps lists the app types the installed executor plugins serve.
func (s *Services) ListApps(ctx context.Context) []App {
	if s.apps == nil {
		return nil
	}
	m := s.apps.Apps(ctx)
	out := make([]App, 0, len(m))
	for _, a := range m {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

func sorted(s []string) []string {
	sort.Strings(s)
	return s
}
