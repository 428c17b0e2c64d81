package api

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/signalbox/signalbox/core/model"
)

// mapAll converts a list of model values to their DTOs.
func mapAll[T, D any](xs []T, f func(T) D) []D {
	out := make([]D, len(xs))
	for i, x := range xs {
		out[i] = f(x)
	}
	return out
}

// The DTOs below are the API's JSON, in Semaphore's field names. They are
// separate from the model on purpose: a DTO has no field for a secret.

type userDTO struct {
	ID       int64     `json:"id"`
	Username string    `json:"username"`
	Name     string    `json:"name"`
	Email    string    `json:"email"`
	Created  time.Time `json:"created"`
	Admin    bool      `json:"admin"`
	Alert    bool      `json:"alert"`
	External bool      `json:"external"`
}

func toUserDTO(u model.User) userDTO {
	return userDTO{ID: u.ID, Username: u.Username, Name: u.Name, Email: u.Email, Created: u.Created, Admin: u.Admin, Alert: u.Alert}
}

type tokenDTO struct {
	ID      string    `json:"id"`
	Created time.Time `json:"created"`
	Expired bool      `json:"expired"`
	UserID  int64     `json:"user_id"`
}

type projectDTO struct {
	ID               int64     `json:"id"`
	Name             string    `json:"name"`
	Created          time.Time `json:"created"`
	Alert            bool      `json:"alert"`
	AlertChat        *string   `json:"alert_chat"`
	MaxParallelTasks int       `json:"max_parallel_tasks"`
	Type             string    `json:"type"`
}

func toProjectDTO(p model.Project) projectDTO {
	d := projectDTO{ID: p.ID, Name: p.Name, Created: p.Created, Alert: p.Alert, MaxParallelTasks: p.MaxParallelTasks}
	if p.AlertChat != "" {
		d.AlertChat = &p.AlertChat
	}
	return d
}

type projectIn struct {
	ID               int64   `json:"id"`
	Name             string  `json:"name"`
	Alert            bool    `json:"alert"`
	AlertChat        *string `json:"alert_chat"`
	MaxParallelTasks int     `json:"max_parallel_tasks"`
}

func (in projectIn) toModel(id int64) (model.Project, error) {
	if err := checkBodyID("id", in.ID, id); err != nil {
		return model.Project{}, err
	}
	p := model.Project{ID: id, Name: in.Name, Alert: in.Alert, MaxParallelTasks: in.MaxParallelTasks}
	if in.AlertChat != nil {
		p.AlertChat = *in.AlertChat
	}
	return p, nil
}

type keyDTO struct {
	ID        int64  `json:"id"`
	Name      string `json:"name"`
	Type      string `json:"type"`
	ProjectID int64  `json:"project_id"`
}

func toKeyDTO(k model.AccessKey) keyDTO {
	return keyDTO{ID: k.ID, Name: k.Name, Type: string(k.Type), ProjectID: k.ProjectID}
}

type keyIn struct {
	ID             int64  `json:"id"`
	Name           string `json:"name"`
	Type           string `json:"type"`
	ProjectID      int64  `json:"project_id"`
	OverrideSecret bool   `json:"override_secret"`
	LoginPassword  *struct {
		Login    string `json:"login"`
		Password string `json:"password"`
	} `json:"login_password"`
	SSH *struct {
		Login      string `json:"login"`
		Passphrase string `json:"passphrase"`
		PrivateKey string `json:"private_key"`
	} `json:"ssh"`
}

// toModel returns the key and its secret; a nil secret on update keeps the
// stored one (the write-only "replace secret" semantics).
func (in keyIn) toModel(projectID, id int64) (model.AccessKey, *model.KeySecret, error) {
	if err := checkBodyID("project_id", in.ProjectID, projectID); err != nil {
		return model.AccessKey{}, nil, err
	}
	if err := checkBodyID("id", in.ID, id); err != nil {
		return model.AccessKey{}, nil, err
	}
	k := model.AccessKey{ID: id, ProjectID: projectID, Name: in.Name, Type: model.KeyType(in.Type)}
	var sec *model.KeySecret
	switch {
	case k.Type == model.KeySSH && in.SSH != nil && (in.SSH.PrivateKey != "" || id == 0 || in.OverrideSecret):
		sec = &model.KeySecret{Login: in.SSH.Login, PrivateKey: in.SSH.PrivateKey, Passphrase: in.SSH.Passphrase}
	case k.Type == model.KeyLoginPassword && in.LoginPassword != nil && (in.LoginPassword.Password != "" || id == 0 || in.OverrideSecret):
		sec = &model.KeySecret{Login: in.LoginPassword.Login, Password: in.LoginPassword.Password}
	}
	return k, sec, nil
}

type repositoryDTO struct {
	ID        int64  `json:"id"`
	Name      string `json:"name"`
	ProjectID int64  `json:"project_id"`
	GitURL    string `json:"git_url"`
	GitBranch string `json:"git_branch"`
	SSHKeyID  int64  `json:"ssh_key_id"`
}

func toRepositoryDTO(r model.Repository) repositoryDTO {
	return repositoryDTO{ID: r.ID, Name: r.Name, ProjectID: r.ProjectID, GitURL: r.GitURL, GitBranch: r.GitBranch, SSHKeyID: r.SSHKeyID}
}

type repositoryIn repositoryDTO

func (in repositoryIn) toModel(projectID, id int64) (model.Repository, error) {
	if err := checkIDs(in.ProjectID, projectID, in.ID, id); err != nil {
		return model.Repository{}, err
	}
	return model.Repository{ID: id, ProjectID: projectID, Name: in.Name, GitURL: in.GitURL, GitBranch: in.GitBranch, SSHKeyID: in.SSHKeyID}, nil
}

func checkIDs(bodyProject, pathProject, bodyID, pathID int64) error {
	if err := checkBodyID("project_id", bodyProject, pathProject); err != nil {
		return err
	}
	if pathID != 0 {
		return checkBodyID("id", bodyID, pathID)
	}
	return nil
}

type inventoryDTO struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	ProjectID   int64  `json:"project_id"`
	Inventory   string `json:"inventory"`
	SSHKeyID    *int64 `json:"ssh_key_id,omitempty"`
	BecomeKeyID *int64 `json:"become_key_id,omitempty"`
	Type        string `json:"type"`
}

func toInventoryDTO(i model.Inventory) inventoryDTO {
	return inventoryDTO{ID: i.ID, Name: i.Name, ProjectID: i.ProjectID, Inventory: i.Inventory,
		SSHKeyID: i.SSHKeyID, BecomeKeyID: i.BecomeKeyID, Type: string(i.Type)}
}

type inventoryIn inventoryDTO

func (in inventoryIn) toModel(projectID, id int64) (model.Inventory, error) {
	if err := checkIDs(in.ProjectID, projectID, in.ID, id); err != nil {
		return model.Inventory{}, err
	}
	return model.Inventory{ID: id, ProjectID: projectID, Name: in.Name, Inventory: in.Inventory,
		SSHKeyID: nonZero(in.SSHKeyID), BecomeKeyID: nonZero(in.BecomeKeyID), Type: model.InventoryType(in.Type)}, nil
}

func nonZero(p *int64) *int64 {
	if p == nil || *p == 0 {
		return nil
	}
	return p
}

type environmentDTO struct {
	ID        int64  `json:"id"`
	Name      string `json:"name"`
	ProjectID int64  `json:"project_id"`
	JSON      string `json:"json"`
	Env       string `json:"env"`
	// Secrets lists the environment's secrets by name, never their values.
	Secrets []envSecretDTO `json:"secrets,omitempty"`
}

type envSecretDTO struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	Type string `json:"type"`
}

func toEnvironmentDTO(e model.Environment) environmentDTO {
	return environmentDTO{ID: e.ID, Name: e.Name, ProjectID: e.ProjectID, JSON: e.JSON, Env: e.Env}
}

type environmentIn struct {
	ID        int64  `json:"id"`
	Name      string `json:"name"`
	ProjectID int64  `json:"project_id"`
	JSON      string `json:"json"`
	Env       string `json:"env"`
	// Password is accepted for compatibility and ignored: it is unused,
	// and secrets belong in Secrets.
	Password string `json:"password"`
	Secrets  []struct {
		ID        int64  `json:"id"`
		Name      string `json:"name"`
		Type      string `json:"type"`
		Secret    string `json:"secret"`
		Operation string `json:"operation"`
	} `json:"secrets"`
}

func (in environmentIn) toModel(projectID, id int64) (model.Environment, error) {
	if err := checkIDs(in.ProjectID, projectID, in.ID, id); err != nil {
		return model.Environment{}, err
	}
	return model.Environment{ID: id, ProjectID: projectID, Name: in.Name, JSON: in.JSON, Env: in.Env}, nil
}

type templateDTO struct {
	ID                      int64           `json:"id"`
	ProjectID               int64           `json:"project_id"`
	InventoryID             *int64          `json:"inventory_id,omitempty"`
	RepositoryID            int64           `json:"repository_id"`
	EnvironmentID           *int64          `json:"environment_id,omitempty"`
	ViewID                  *int64          `json:"view_id,omitempty"`
	Name                    string          `json:"name"`
	Description             string          `json:"description"`
	Playbook                string          `json:"playbook"`
	Arguments               *string         `json:"arguments,omitempty"`
	AllowOverrideArgsInTask bool            `json:"allow_override_args_in_task"`
	SuppressSuccessAlerts   bool            `json:"suppress_success_alerts"`
	App                     string          `json:"app"`
	GitBranch               *string         `json:"git_branch,omitempty"`
	Limit                   string          `json:"limit"`
	Type                    string          `json:"type"`
	Timeout                 int             `json:"timeout"`
	TaskParams              json.RawMessage `json:"task_params"`
	SurveyVars              json.RawMessage `json:"survey_vars"`
	Vaults                  json.RawMessage `json:"vaults"`
	StartVersion            *string         `json:"start_version,omitempty"`
	BuildTemplateID         *int64          `json:"build_template_id,omitempty"`
	Autorun                 bool            `json:"autorun"`
}

func toTemplateDTO(t model.Template) templateDTO {
	d := templateDTO{ID: t.ID, ProjectID: t.ProjectID, InventoryID: t.InventoryID, RepositoryID: t.RepositoryID,
		EnvironmentID: t.EnvironmentID, ViewID: t.ViewID, Name: t.Name, Description: t.Description,
		Playbook: t.Playbook, AllowOverrideArgsInTask: t.AllowOverrideArgsInTask,
		SuppressSuccessAlerts: t.SuppressSuccessAlerts, App: t.App, Limit: t.Limit, Type: t.Type,
		Timeout: t.TimeoutSeconds, TaskParams: rawOr(t.Params, "{}"), SurveyVars: rawOr(t.SurveyVars, "[]"),
		Vaults: rawOr(t.Vaults, "[]"), BuildTemplateID: t.BuildTemplateID, Autorun: t.Autorun}
	if t.StartVersion != "" {
		d.StartVersion = &t.StartVersion
	}
	if t.Arguments != "" {
		d.Arguments = &t.Arguments
	}
	if t.GitBranch != "" {
		d.GitBranch = &t.GitBranch
	}
	return d
}

func rawOr(s, def string) json.RawMessage {
	if strings.TrimSpace(s) == "" {
		return json.RawMessage(def)
	}
	return json.RawMessage(s)
}

type templateIn templateDTO

func (in templateIn) toModel(projectID, id int64) (model.Template, error) {
	if err := checkIDs(in.ProjectID, projectID, in.ID, id); err != nil {
		return model.Template{}, err
	}
	t := model.Template{ID: id, ProjectID: projectID, InventoryID: nonZero(in.InventoryID), RepositoryID: in.RepositoryID,
		EnvironmentID: nonZero(in.EnvironmentID), ViewID: nonZero(in.ViewID), Name: in.Name, Description: in.Description,
		Playbook: in.Playbook, AllowOverrideArgsInTask: in.AllowOverrideArgsInTask, SuppressSuccessAlerts: in.SuppressSuccessAlerts,
		App: in.App, Limit: in.Limit, Type: in.Type, TimeoutSeconds: in.Timeout,
		BuildTemplateID: nonZero(in.BuildTemplateID), Autorun: in.Autorun}
	if in.StartVersion != nil {
		t.StartVersion = *in.StartVersion
	}
	if len(in.Vaults) > 0 && string(in.Vaults) != "null" {
		t.Vaults = string(in.Vaults)
	}
	if in.Arguments != nil {
		t.Arguments = *in.Arguments
	}
	if in.GitBranch != nil {
		t.GitBranch = *in.GitBranch
	}
	if len(in.TaskParams) > 0 && string(in.TaskParams) != "null" {
		t.Params = string(in.TaskParams)
	}
	if len(in.SurveyVars) > 0 && string(in.SurveyVars) != "null" {
		t.SurveyVars = string(in.SurveyVars)
	}
	return t, nil
}

type taskDTO struct {
	ID          int64           `json:"id"`
	TemplateID  int64           `json:"template_id"`
	ProjectID   int64           `json:"project_id"`
	Status      string          `json:"status"`
	Debug       bool            `json:"debug"`
	DryRun      bool            `json:"dry_run"`
	Diff        bool            `json:"diff"`
	Playbook    string          `json:"playbook"`
	Environment string          `json:"environment"`
	Arguments   *string         `json:"arguments,omitempty"`
	Limit       string          `json:"limit"`
	GitBranch   *string         `json:"git_branch,omitempty"`
	UserID      *int64          `json:"user_id,omitempty"`
	Created     time.Time       `json:"created"`
	Start       *time.Time      `json:"start"`
	End         *time.Time      `json:"end"`
	Message     string          `json:"message"`
	CommitHash  *string         `json:"commit_hash,omitempty"`
	Version     *string         `json:"version,omitempty"`
	BuildTaskID *int64          `json:"build_task_id,omitempty"`
	Params      json.RawMessage `json:"params"`
	Attempt     int             `json:"attempt"`
	ExitCode    *int            `json:"exit_code,omitempty"`
	Summary     json.RawMessage `json:"summary,omitempty"`
}

func toTaskDTO(t model.Task) taskDTO {
	d := taskDTO{ID: t.ID, TemplateID: t.TemplateID, ProjectID: t.ProjectID, Status: string(t.Status),
		Debug: t.Debug, DryRun: t.DryRun, Diff: t.Diff, Playbook: t.Playbook, Environment: t.Environment,
		Limit: t.Limit, UserID: t.UserID, Created: t.Created, Start: t.Start, End: t.End, Message: t.Message,
		Params: rawOr(t.Params, "{}"), Attempt: t.Attempt, ExitCode: t.ExitCode, BuildTaskID: t.BuildTaskID}
	if t.Arguments != "" {
		d.Arguments = &t.Arguments
	}
	if t.GitBranch != "" {
		d.GitBranch = &t.GitBranch
	}
	if t.CommitHash != "" {
		d.CommitHash = &t.CommitHash
	}
	if t.Version != "" {
		d.Version = &t.Version
	}
	if t.Summary != "" {
		d.Summary = json.RawMessage(t.Summary)
	}
	return d
}

type taskIn struct {
	TemplateID   int64           `json:"template_id"`
	TemplateName string          `json:"template_name"`
	BuildTaskID  int64           `json:"build_task_id"`
	ProjectID    int64           `json:"project_id"`
	Debug        bool            `json:"debug"`
	DryRun       bool            `json:"dry_run"`
	Diff         bool            `json:"diff"`
	Playbook     string          `json:"playbook"`
	Environment  string          `json:"environment"`
	Arguments    *string         `json:"arguments,omitempty"`
	Limit        string          `json:"limit"`
	GitBranch    string          `json:"git_branch"`
	Message      string          `json:"message"`
	Params       json.RawMessage `json:"params"`
}

type outputDTO struct {
	TaskID int64     `json:"task_id"`
	Seq    int64     `json:"seq"`
	Time   time.Time `json:"time"`
	Output string    `json:"output"`
}

type viewDTO struct {
	ID        int64  `json:"id"`
	ProjectID int64  `json:"project_id"`
	Title     string `json:"title"`
	Position  int    `json:"position"`
}

func toViewDTO(v model.View) viewDTO {
	return viewDTO{ID: v.ID, ProjectID: v.ProjectID, Title: v.Title, Position: v.Position}
}

type viewIn viewDTO

func (in viewIn) toModel(projectID, id int64) (model.View, error) {
	if err := checkIDs(in.ProjectID, projectID, in.ID, id); err != nil {
		return model.View{}, err
	}
	return model.View{ID: id, ProjectID: projectID, Title: in.Title, Position: in.Position}, nil
}
