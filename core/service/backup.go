package service

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/signalbox/signalbox/core/auth"
	"github.com/signalbox/signalbox/core/model"
	"github.com/signalbox/signalbox/core/store"
)

// ProjectBackup is a project's configuration in Semaphore's project backup
// format: objects refer to each other by name, never by id, so that a
// backup restores into a new project, on this server or another. It has
// no field for a secret: keys carry their type, environment secrets their
// name and type, integrations their auth method, and nothing more.
//
// The fields Semaphore's backup has keep its names and shapes; the fields
// only Signalbox has follow the same style and are left out when empty.
// Restoring also reads what Semaphore writes and Signalbox does not keep
// (docs/api.md, "Backup and restore", lists it).
type ProjectBackup struct {
	Meta         BackupMeta          `json:"meta"`
	Templates    []BackupTemplate    `json:"templates"`
	Repositories []BackupRepository  `json:"repositories"`
	Keys         []BackupKey         `json:"keys"`
	Views        []BackupView        `json:"views"`
	Inventories  []BackupInventory   `json:"inventories"`
	Environments []BackupEnvironment `json:"environments"`
	Integrations []BackupIntegration `json:"integrations"`
}

// BackupMeta is the project's own settings.
type BackupMeta struct {
	Name             string `json:"name"`
	Alert            bool   `json:"alert"`
	AlertChat        string `json:"alert_chat"`
	MaxParallelTasks int    `json:"max_parallel_tasks"`
	// Type is Semaphore's project type; Signalbox projects have none, so
	// it is always empty and ignored on restore.
	Type string `json:"type"`
}

// BackupKey is an access key, without its secret.
type BackupKey struct {
	Name string        `json:"name"`
	Type model.KeyType `json:"type"`
}

// BackupRepository is a repository; SSHKey names its key.
type BackupRepository struct {
	Name      string `json:"name"`
	GitURL    string `json:"git_url"`
	GitBranch string `json:"git_branch"`
	SSHKey    string `json:"ssh_key,omitempty"`
}

// BackupView is a view. Semaphore writes its title as "title"; its spec
// says "name", which restore accepts too.
type BackupView struct {
	Title    string `json:"title"`
	Name     string `json:"name,omitempty"`
	Position int    `json:"position"`
}

// BackupInventory is an inventory; SSHKey and BecomeKey name its keys.
type BackupInventory struct {
	Name      string              `json:"name"`
	Inventory string              `json:"inventory"`
	SSHKey    string              `json:"ssh_key,omitempty"`
	BecomeKey string              `json:"become_key,omitempty"`
	Type      model.InventoryType `json:"type"`
}

// BackupEnvironment is an environment. Secrets lists its secrets by name
// and type only (Signalbox's own field).
type BackupEnvironment struct {
	Name    string         `json:"name"`
	JSON    string         `json:"json"`
	Env     string         `json:"env,omitempty"`
	Secrets []BackupSecret `json:"secrets,omitempty"`
}

// BackupSecret names an environment secret; its value is never in a backup.
type BackupSecret struct {
	Name string           `json:"name"`
	Type model.SecretType `json:"type"`
}

// BackupTemplate is a template. Repository, Inventory, Environment, View
// and BuildTemplate name the objects it uses; Cron is the cron expression
// of its first active cron schedule, as Semaphore has one per template.
type BackupTemplate struct {
	Name                    string `json:"name"`
	Description             string `json:"description,omitempty"`
	App                     string `json:"app"`
	Playbook                string `json:"playbook"`
	Arguments               string `json:"arguments,omitempty"`
	AllowOverrideArgsInTask bool   `json:"allow_override_args_in_task"`
	SuppressSuccessAlerts   bool   `json:"suppress_success_alerts"`
	Repository              string `json:"repository"`
	Inventory               string `json:"inventory,omitempty"`
	Environment             string `json:"environment,omitempty"`
	View                    string `json:"view,omitempty"`
	Type                    string `json:"type"`
	StartVersion            string `json:"start_version,omitempty"`
	BuildTemplate           string `json:"build_template,omitempty"`
	Autorun                 bool   `json:"autorun"`
	// SurveyVars is a JSON array of survey variables (see SurveyVar). On
	// restore, a JSON string holding that array is read too.
	SurveyVars json.RawMessage `json:"survey_vars"`
	Vaults     []BackupVault   `json:"vaults"`
	// VaultKey is the single vault password key of old Semaphore backups;
	// restore turns it into a password vault. It is never written.
	VaultKey string `json:"vault_key,omitempty"`
	Cron     string `json:"cron,omitempty"`

	// Signalbox's own fields.
	GitBranch string `json:"git_branch,omitempty"`
	Limit     string `json:"limit,omitempty"`
	// Timeout is in seconds.
	Timeout int `json:"timeout,omitempty"`
	// TaskParams is a JSON object of the app's template parameters.
	TaskParams json.RawMessage `json:"task_params,omitempty"`
	// Schedules lists every schedule of the template. When present, restore
	// takes the schedules from it and ignores Cron.
	Schedules []BackupSchedule `json:"schedules,omitempty"`
}

// BackupVault is a vault of a template; VaultKey names the key holding a
// password vault's password.
type BackupVault struct {
	Name     string `json:"name"`
	Type     string `json:"type"`
	VaultKey string `json:"vault_key,omitempty"`
	Script   string `json:"script,omitempty"`
}

// BackupSchedule is a schedule of a template (Signalbox's own field).
type BackupSchedule struct {
	Name       string             `json:"name"`
	Type       model.ScheduleType `json:"type"`
	CronFormat string             `json:"cron_format,omitempty"`
	RunAt      *time.Time         `json:"run_at,omitempty"`
	// Active nil (absent) means true.
	Active *bool `json:"active"`
}

// BackupIntegration is an integration, without its secret; Template names
// the template it starts.
type BackupIntegration struct {
	Name          string                      `json:"name"`
	Template      string                      `json:"template"`
	AuthMethod    model.IntegrationAuthMethod `json:"auth_method"`
	AuthHeader    string                      `json:"auth_header"`
	Searchable    bool                        `json:"searchable"`
	TaskParams    json.RawMessage             `json:"task_params"`
	Matchers      []BackupMatcher             `json:"matchers"`
	ExtractValues []BackupExtractValue        `json:"extract_values"`
}

// BackupMatcher is a matcher of an integration.
type BackupMatcher struct {
	Name         string                        `json:"name"`
	MatchType    model.IntegrationMatchType    `json:"match_type"`
	Method       model.IntegrationMatchMethod  `json:"method"`
	BodyDataType model.IntegrationBodyDataType `json:"body_data_type"`
	Key          string                        `json:"key"`
	Value        string                        `json:"value"`
}

// BackupExtractValue is an extract value of an integration; VariableType
// is Signalbox's own.
type BackupExtractValue struct {
	Name         string                        `json:"name"`
	ValueSource  model.IntegrationMatchType    `json:"value_source"`
	BodyDataType model.IntegrationBodyDataType `json:"body_data_type"`
	Key          string                        `json:"key"`
	Variable     string                        `json:"variable"`
	VariableType model.IntegrationVariableType `json:"variable_type,omitempty"`
}

// BackupProject returns the backup of a project. It needs the right to
// manage the project's resources, as it shows its whole configuration. A
// reference a backup could not restore (to a name that several objects
// of its kind share, or to a missing object) is ErrUnprocessable.
func (s *Services) BackupProject(ctx context.Context, a Actor, projectID int64) (ProjectBackup, error) {
	if _, err := s.access(ctx, a, projectID, auth.PermManageResources); err != nil {
		return ProjectBackup{}, err
	}
	var b ProjectBackup
	// One transaction gives a consistent picture.
	err := s.store.WithTx(ctx, func(ctx context.Context) error {
		var err error
		b, err = s.readBackup(ctx, projectID)
		return err
	})
	return b, err
}

func (s *Services) readBackup(ctx context.Context, pid int64) (ProjectBackup, error) {
	st := s.store
	all := store.ListOptions{}
	p, err := st.Projects().Get(ctx, pid)
	if err != nil {
		return ProjectBackup{}, err
	}
	keys, err := st.Keys().List(ctx, pid, all)
	if err != nil {
		return ProjectBackup{}, err
	}
	repos, err := st.Repositories().List(ctx, pid, all)
	if err != nil {
		return ProjectBackup{}, err
	}
	invs, err := st.Inventories().List(ctx, pid, all)
	if err != nil {
		return ProjectBackup{}, err
	}
	envs, err := st.Environments().List(ctx, pid, all)
	if err != nil {
		return ProjectBackup{}, err
	}
	views, err := st.Views().List(ctx, pid, store.ListOptions{SortBy: "position"})
	if err != nil {
		return ProjectBackup{}, err
	}
	tmpls, err := st.Templates().List(ctx, pid, all)
	if err != nil {
		return ProjectBackup{}, err
	}
	schedules, err := st.Schedules().List(ctx, pid, 0)
	if err != nil {
		return ProjectBackup{}, err
	}
	ins, err := st.Integrations().List(ctx, pid, all)
	if err != nil {
		return ProjectBackup{}, err
	}

	keyNames, repoNames := newNameIndex("key", "keys"), newNameIndex("repository", "repositories")
	invNames, envNames := newNameIndex("inventory", "inventories"), newNameIndex("environment", "environments")
	viewNames, tmplNames := newNameIndex("view", "views"), newNameIndex("template", "templates")
	for _, k := range keys {
		keyNames.add(k.ID, k.Name)
	}
	for _, r := range repos {
		repoNames.add(r.ID, r.Name)
	}
	for _, i := range invs {
		invNames.add(i.ID, i.Name)
	}
	for _, e := range envs {
		envNames.add(e.ID, e.Name)
	}
	for _, v := range views {
		viewNames.add(v.ID, v.Title)
	}
	for _, t := range tmpls {
		tmplNames.add(t.ID, t.Name)
	}

	b := ProjectBackup{
		Meta: BackupMeta{Name: p.Name, Alert: p.Alert, AlertChat: p.AlertChat, MaxParallelTasks: p.MaxParallelTasks},
		Keys: make([]BackupKey, 0, len(keys)), Repositories: make([]BackupRepository, 0, len(repos)),
		Inventories: make([]BackupInventory, 0, len(invs)), Environments: make([]BackupEnvironment, 0, len(envs)),
		Views: make([]BackupView, 0, len(views)), Templates: make([]BackupTemplate, 0, len(tmpls)),
		Integrations: make([]BackupIntegration, 0, len(ins)),
	}
	for _, k := range keys {
		b.Keys = append(b.Keys, BackupKey{Name: k.Name, Type: k.Type})
	}
	for _, r := range repos {
		br := BackupRepository{Name: r.Name, GitURL: r.GitURL, GitBranch: r.GitBranch}
		if br.SSHKey, err = keyNames.optRef(&r.SSHKeyID, fmt.Sprintf("repository %q", r.Name)); err != nil {
			return ProjectBackup{}, err
		}
		b.Repositories = append(b.Repositories, br)
	}
	for _, i := range invs {
		bi := BackupInventory{Name: i.Name, Inventory: i.Inventory, Type: i.Type}
		holder := fmt.Sprintf("inventory %q", i.Name)
		if bi.SSHKey, err = keyNames.optRef(i.SSHKeyID, holder); err != nil {
			return ProjectBackup{}, err
		}
		if bi.BecomeKey, err = keyNames.optRef(i.BecomeKeyID, holder); err != nil {
			return ProjectBackup{}, err
		}
		b.Inventories = append(b.Inventories, bi)
	}
	for _, e := range envs {
		be := BackupEnvironment{Name: e.Name, JSON: e.JSON, Env: e.Env}
		secs, err := st.EnvironmentSecrets().List(ctx, pid, e.ID)
		if err != nil {
			return ProjectBackup{}, err
		}
		for _, sec := range secs {
			be.Secrets = append(be.Secrets, BackupSecret{Name: sec.Name, Type: sec.Type})
		}
		b.Environments = append(b.Environments, be)
	}
	for _, v := range views {
		b.Views = append(b.Views, BackupView{Title: v.Title, Position: v.Position})
	}
	byTemplate := map[int64][]model.Schedule{}
	for _, sch := range schedules {
		byTemplate[sch.TemplateID] = append(byTemplate[sch.TemplateID], sch)
	}
	for _, t := range tmpls {
		bt, err := backupTemplate(t, byTemplate[t.ID], keyNames, repoNames, invNames, envNames, viewNames, tmplNames)
		if err != nil {
			return ProjectBackup{}, err
		}
		b.Templates = append(b.Templates, bt)
	}
	for _, in := range ins {
		bi, err := s.backupIntegration(ctx, in, tmplNames)
		if err != nil {
			return ProjectBackup{}, err
		}
		b.Integrations = append(b.Integrations, bi)
	}
	return b, nil
}

func backupTemplate(t model.Template, schedules []model.Schedule, keys, repos, invs, envs, views, tmpls *nameIndex) (BackupTemplate, error) {
	holder := fmt.Sprintf("template %q", t.Name)
	bt := BackupTemplate{Name: t.Name, Description: t.Description, App: t.App, Playbook: t.Playbook, Arguments: t.Arguments,
		AllowOverrideArgsInTask: t.AllowOverrideArgsInTask, SuppressSuccessAlerts: t.SuppressSuccessAlerts,
		Type: t.Type, StartVersion: t.StartVersion, Autorun: t.Autorun, GitBranch: t.GitBranch, Limit: t.Limit,
		Timeout: t.TimeoutSeconds, SurveyVars: json.RawMessage("[]"), Vaults: []BackupVault{}}
	var err error
	if bt.Repository, err = repos.ref(t.RepositoryID, holder); err != nil {
		return BackupTemplate{}, err
	}
	if bt.Inventory, err = invs.optRef(t.InventoryID, holder); err != nil {
		return BackupTemplate{}, err
	}
	if bt.Environment, err = envs.optRef(t.EnvironmentID, holder); err != nil {
		return BackupTemplate{}, err
	}
	if bt.View, err = views.optRef(t.ViewID, holder); err != nil {
		return BackupTemplate{}, err
	}
	if bt.BuildTemplate, err = tmpls.optRef(t.BuildTemplateID, holder); err != nil {
		return BackupTemplate{}, err
	}
	if sv := strings.TrimSpace(t.SurveyVars); sv != "" && sv != "null" {
		bt.SurveyVars = json.RawMessage(sv)
	}
	if p := strings.TrimSpace(t.Params); p != "" && p != "null" {
		bt.TaskParams = json.RawMessage(p)
	}
	vaults, err := parseVaults(t.Vaults)
	if err != nil {
		return BackupTemplate{}, fmt.Errorf("%s: %w", holder, err)
	}
	for _, v := range vaults {
		bv := BackupVault{Name: v.Name, Type: v.Type, Script: v.Script}
		if bv.VaultKey, err = keys.optRef(v.VaultKeyID, fmt.Sprintf("vault %q of %s", v.Name, holder)); err != nil {
			return BackupTemplate{}, err
		}
		bt.Vaults = append(bt.Vaults, bv)
	}
	for _, sch := range schedules {
		active := sch.Active
		bt.Schedules = append(bt.Schedules, BackupSchedule{Name: sch.Name, Type: sch.Type, CronFormat: sch.CronFormat,
			RunAt: sch.RunAt, Active: &active})
		if bt.Cron == "" && sch.Active && sch.Type == model.ScheduleCron {
			bt.Cron = sch.CronFormat
		}
	}
	return bt, nil
}

func (s *Services) backupIntegration(ctx context.Context, in model.Integration, tmpls *nameIndex) (BackupIntegration, error) {
	holder := fmt.Sprintf("integration %q", in.Name)
	bi := BackupIntegration{Name: in.Name, AuthMethod: in.AuthMethod, AuthHeader: in.AuthHeader, Searchable: in.Searchable,
		TaskParams: json.RawMessage("{}"), Matchers: []BackupMatcher{}, ExtractValues: []BackupExtractValue{}}
	var err error
	if bi.Template, err = tmpls.ref(in.TemplateID, holder); err != nil {
		return BackupIntegration{}, err
	}
	if p := strings.TrimSpace(in.TaskParams); p != "" && p != "null" {
		bi.TaskParams = json.RawMessage(p)
	}
	ms, err := s.store.Integrations().Matchers().List(ctx, in.ID)
	if err != nil {
		return BackupIntegration{}, err
	}
	for _, m := range ms {
		bi.Matchers = append(bi.Matchers, BackupMatcher{Name: m.Name, MatchType: m.MatchType, Method: m.Method,
			BodyDataType: m.BodyDataType, Key: m.Key, Value: m.Value})
	}
	vs, err := s.store.Integrations().ExtractValues().List(ctx, in.ID)
	if err != nil {
		return BackupIntegration{}, err
	}
	for _, v := range vs {
		bi.ExtractValues = append(bi.ExtractValues, BackupExtractValue{Name: v.Name, ValueSource: v.ValueSource,
			BodyDataType: v.BodyDataType, Key: v.Key, Variable: v.Variable, VariableType: v.VariableType})
	}
	return bi, nil
}

// nameIndex finds the names of one kind of object by id, for a backup's
// references, and refuses a name that several objects share: a restore
// could not tell them apart.
type nameIndex struct {
	kind, kinds string
	names       map[int64]string
	count       map[string]int
}

func newNameIndex(kind, kinds string) *nameIndex {
	return &nameIndex{kind: kind, kinds: kinds, names: map[int64]string{}, count: map[string]int{}}
}

func (x *nameIndex) add(id int64, name string) {
	x.names[id] = name
	x.count[name]++
}

// ref returns the name of object id, which holder refers to.
func (x *nameIndex) ref(id int64, holder string) (string, error) {
	name, ok := x.names[id]
	if !ok {
		return "", model.Unprocessablef("%s refers to %s %d, which does not exist; fix it before taking a backup", holder, x.kind, id)
	}
	if n := x.count[name]; n > 1 {
		return "", model.Unprocessablef("%s refers to %s %q, a name %d %s share; a backup refers to objects by name: rename all but one",
			holder, x.kind, name, n, x.kinds)
	}
	return name, nil
}

// optRef is ref for an optional reference: nil or 0 is none, "".
func (x *nameIndex) optRef(id *int64, holder string) (string, error) {
	if id == nil || *id == 0 {
		return "", nil
	}
	return x.ref(*id, holder)
}

// RestoreProject creates a new project from a backup, with everything in
// it, in one transaction: either all of it is created or nothing is. The
// actor, any logged-in user, becomes the project's owner.
//
// The whole backup is checked before anything is written; a reference to a
// name the backup does not have (or has twice) is ErrInvalid naming it.
// What a backup lacks comes back empty: keys keep their type but have no
// secret, environment secrets have an empty value, and an integration
// whose auth method checks a secret gets a random one that no one knows.
func (s *Services) RestoreProject(ctx context.Context, a Actor, b ProjectBackup) (model.Project, error) {
	plan, err := s.checkBackup(ctx, &b)
	if err != nil {
		return model.Project{}, err
	}
	var p model.Project
	err = s.store.WithTx(ctx, func(ctx context.Context) error {
		var err error
		p, err = s.writeBackup(ctx, a, b, plan)
		return err
	})
	if err != nil {
		return model.Project{}, err
	}
	if plan.schedules > 0 {
		s.schedulesChanged(p.ID)
	}
	return p, nil
}

// restorePlan is what checking a backup learned for writing it: the
// objects of each kind by name (their new ids are filled in as they are
// created) and the parsed fields of the templates.
type restorePlan struct {
	keys, repos, invs, envs, views, tmpls *idIndex
	surveyVars                            []string
	schedules                             int
}

// idIndex resolves a backup's references by name: first it counts the
// names of the backup's objects, then it records their new ids.
type idIndex struct {
	kind, kinds string
	count       map[string]int
	ids         map[string]int64
}

func newIDIndex(kind, kinds string) *idIndex {
	return &idIndex{kind: kind, kinds: kinds, count: map[string]int{}, ids: map[string]int64{}}
}

// check refuses a reference, field of holder, to a name that is not in
// the backup or that several objects share. An empty name is no reference.
func (x *idIndex) check(name, field, holder string) error {
	switch n := x.count[name]; {
	case name == "":
		return nil
	case n == 0:
		return model.Invalidf("%s: %s %q is not a %s of this backup", holder, field, name, x.kind)
	case n > 1:
		return model.Invalidf("%s: %s %q is ambiguous: %d %s of this backup have that name", holder, field, name, n, x.kinds)
	}
	return nil
}

// id returns the new id of a checked reference; 0 for none.
func (x *idIndex) id(name string) int64 { return x.ids[name] }

// optID returns the new id of a checked optional reference; nil for none.
func (x *idIndex) optID(name string) *int64 {
	if id := x.ids[name]; id != 0 {
		return &id
	}
	return nil
}

// checkBackup validates a backup before anything is written: names,
// types, and that every reference resolves to exactly one object. It
// normalizes b where Semaphore's format has alternatives (a view's name,
// a legacy vault_key).
func (s *Services) checkBackup(ctx context.Context, b *ProjectBackup) (*restorePlan, error) {
	pl := &restorePlan{
		keys: newIDIndex("key", "keys"), repos: newIDIndex("repository", "repositories"),
		invs: newIDIndex("inventory", "inventories"), envs: newIDIndex("environment", "environments"),
		views: newIDIndex("view", "views"), tmpls: newIDIndex("template", "templates"),
	}
	meta := model.Project{Name: b.Meta.Name, MaxParallelTasks: b.Meta.MaxParallelTasks}
	if err := validateProject(&meta); err != nil {
		return nil, fmt.Errorf("meta: %w", err)
	}
	for i, k := range b.Keys {
		if strings.TrimSpace(k.Name) == "" {
			return nil, model.Invalidf("keys[%d]: name is required", i)
		}
		switch k.Type {
		case model.KeyNone, model.KeySSH, model.KeyLoginPassword:
		default:
			return nil, model.Invalidf("key %q: type %q, want none, ssh or login_password", k.Name, k.Type)
		}
		pl.keys.count[k.Name]++
	}
	for i := range b.Views {
		v := &b.Views[i]
		if v.Title == "" {
			v.Title = v.Name
		}
		if strings.TrimSpace(v.Title) == "" {
			return nil, model.Invalidf("views[%d]: title is required", i)
		}
		pl.views.count[v.Title]++
	}
	for i, r := range b.Repositories {
		if strings.TrimSpace(r.Name) == "" {
			return nil, model.Invalidf("repositories[%d]: name is required", i)
		}
		holder := fmt.Sprintf("repository %q", r.Name)
		if err := validateGitURL(strings.TrimSpace(r.GitURL)); err != nil {
			return nil, fmt.Errorf("%s: %w", holder, err)
		}
		if err := pl.keys.check(r.SSHKey, "ssh_key", holder); err != nil {
			return nil, err
		}
		pl.repos.count[r.Name]++
	}
	for i, inv := range b.Inventories {
		if strings.TrimSpace(inv.Name) == "" {
			return nil, model.Invalidf("inventories[%d]: name is required", i)
		}
		holder := fmt.Sprintf("inventory %q", inv.Name)
		switch inv.Type {
		case "", model.InventoryStatic, model.InventoryStaticYAML, model.InventoryFile,
			model.InventoryTerraformWorkspace, model.InventoryTofuWorkspace:
		default:
			return nil, model.Invalidf("%s: type %q is not supported (want static, static-yaml, file, terraform-workspace or tofu-workspace)", holder, inv.Type)
		}
		if err := pl.keys.check(inv.SSHKey, "ssh_key", holder); err != nil {
			return nil, err
		}
		if err := pl.keys.check(inv.BecomeKey, "become_key", holder); err != nil {
			return nil, err
		}
		pl.invs.count[inv.Name]++
	}
	for i, e := range b.Environments {
		if strings.TrimSpace(e.Name) == "" {
			return nil, model.Invalidf("environments[%d]: name is required", i)
		}
		seen := map[string]bool{}
		for _, sec := range e.Secrets {
			if !secretName.MatchString(sec.Name) {
				return nil, model.Invalidf("environment %q: secret name %q must be a letter or _ followed by letters, digits or _", e.Name, sec.Name)
			}
			switch sec.Type {
			case "", model.SecretEnv, model.SecretVar:
			default:
				return nil, model.Invalidf("environment %q: secret %q: type %q, want env or var", e.Name, sec.Name, sec.Type)
			}
			if seen[sec.Name] {
				return nil, model.Invalidf("environment %q: secret %q appears twice", e.Name, sec.Name)
			}
			seen[sec.Name] = true
		}
		pl.envs.count[e.Name]++
	}
	for _, t := range b.Templates {
		pl.tmpls.count[t.Name]++
	}
	var apps map[string]App
	if s.apps != nil {
		apps = s.apps.Apps(ctx)
	}
	pl.surveyVars = make([]string, len(b.Templates))
	for i := range b.Templates {
		t := &b.Templates[i]
		if err := s.checkBackupTemplate(pl, i, t, apps); err != nil {
			return nil, err
		}
	}
	for i, in := range b.Integrations {
		if strings.TrimSpace(in.Name) == "" {
			return nil, model.Invalidf("integrations[%d]: name is required", i)
		}
		holder := fmt.Sprintf("integration %q", in.Name)
		if strings.TrimSpace(in.Template) == "" {
			return nil, model.Invalidf("%s: template is required", holder)
		}
		if err := pl.tmpls.check(in.Template, "template", holder); err != nil {
			return nil, err
		}
		if in.AuthMethod != "" && !in.AuthMethod.Valid() {
			return nil, model.Invalidf("%s: auth_method %q: want none, token, hmac, github, gitlab or basic", holder, in.AuthMethod)
		}
		for _, m := range in.Matchers {
			mm := matcherOf(m, 0)
			if err := validateMatcher(&mm); err != nil {
				return nil, fmt.Errorf("%s: matcher %q: %w", holder, m.Name, err)
			}
		}
		for _, v := range in.ExtractValues {
			vv := extractValueOf(v, 0)
			if err := validateExtractValue(&vv); err != nil {
				return nil, fmt.Errorf("%s: value %q: %w", holder, v.Name, err)
			}
		}
	}
	return pl, nil
}

func (s *Services) checkBackupTemplate(pl *restorePlan, i int, t *BackupTemplate, apps map[string]App) error {
	if strings.TrimSpace(t.Name) == "" {
		return model.Invalidf("templates[%d]: name is required", i)
	}
	holder := fmt.Sprintf("template %q", t.Name)
	if strings.TrimSpace(t.Repository) == "" {
		return model.Invalidf("%s: repository is required", holder)
	}
	for _, ref := range []struct {
		x           *idIndex
		name, field string
	}{
		{pl.repos, t.Repository, "repository"}, {pl.invs, t.Inventory, "inventory"},
		{pl.envs, t.Environment, "environment"}, {pl.views, t.View, "view"},
		{pl.tmpls, t.BuildTemplate, "build_template"},
	} {
		if err := ref.x.check(ref.name, ref.field, holder); err != nil {
			return err
		}
	}
	app := strings.TrimSpace(t.App)
	if app == "" {
		app = "ansible"
	}
	if apps != nil {
		if _, ok := apps[app]; !ok {
			return model.Invalidf("%s: app %q is not served by any installed executor plugin", holder, app)
		}
	}
	sv, err := surveyVarsOf(t.SurveyVars)
	if err != nil {
		return fmt.Errorf("%s: %w", holder, err)
	}
	if _, err := parseSurveyVars(sv); err != nil {
		return fmt.Errorf("%s: %w", holder, err)
	}
	pl.surveyVars[i] = sv
	if t.VaultKey != "" {
		t.Vaults = append(t.Vaults, BackupVault{Type: "password", VaultKey: t.VaultKey})
		t.VaultKey = ""
	}
	for _, v := range t.Vaults {
		if err := pl.keys.check(v.VaultKey, "vault_key", fmt.Sprintf("%s: vault %q", holder, v.Name)); err != nil {
			return err
		}
	}
	if t.Schedules == nil && strings.TrimSpace(t.Cron) != "" {
		if err := validateCronFormat(t.Cron); err != nil {
			return fmt.Errorf("%s: cron: %w", holder, err)
		}
		pl.schedules++
	}
	for j, sch := range t.Schedules {
		switch sch.Type {
		case model.ScheduleCron, "cron":
			if err := validateCronFormat(sch.CronFormat); err != nil {
				return fmt.Errorf("%s: schedules[%d]: %w", holder, j, err)
			}
		case model.ScheduleRunAt:
			if sch.RunAt == nil || sch.RunAt.IsZero() {
				return model.Invalidf("%s: schedules[%d]: run_at is required for a schedule of type run_at", holder, j)
			}
		default:
			return model.Invalidf("%s: schedules[%d]: type %q, want \"\" (cron) or run_at", holder, j, sch.Type)
		}
		pl.schedules++
	}
	return nil
}

// surveyVarsOf reads survey_vars: a JSON array, a JSON string holding one
// (the type Semaphore's spec gives), or null.
func surveyVarsOf(raw json.RawMessage) (string, error) {
	v := strings.TrimSpace(string(raw))
	if v == "" || v == "null" {
		return "", nil
	}
	if strings.HasPrefix(v, `"`) {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", model.Invalidf("survey_vars: %v", err)
		}
		return s, nil
	}
	return v, nil
}

// writeBackup creates the project of a checked backup and everything in
// it, through the same services (and validation) as the API, inside the
// caller's transaction.
func (s *Services) writeBackup(ctx context.Context, a Actor, b ProjectBackup, pl *restorePlan) (model.Project, error) {
	p := model.Project{Name: b.Meta.Name, Alert: b.Meta.Alert, AlertChat: b.Meta.AlertChat,
		MaxParallelTasks: b.Meta.MaxParallelTasks, Created: time.Now().UTC()}
	if err := validateProject(&p); err != nil {
		return model.Project{}, err
	}
	if err := s.store.Projects().Create(ctx, &p); err != nil {
		return model.Project{}, err
	}
	if a.User.ID != 0 {
		if err := s.store.Members().Add(ctx, model.ProjectUser{ProjectID: p.ID, UserID: a.User.ID, Role: model.RoleOwner}); err != nil {
			return model.Project{}, err
		}
	}
	s.event(ctx, a, p.ID, "project", p.ID, "%s restored project %q from a backup", who(a), p.Name)

	for _, bk := range b.Keys {
		// A backup has no secrets: the key keeps its type, with none.
		k := model.AccessKey{ProjectID: p.ID, Name: strings.TrimSpace(bk.Name), Type: bk.Type}
		if err := s.store.Keys().Create(ctx, &k); err != nil {
			return model.Project{}, fmt.Errorf("key %q: %w", bk.Name, err)
		}
		s.event(ctx, a, p.ID, "key", k.ID, "%s created key %q, without its secret, from a backup", who(a), k.Name)
		pl.keys.ids[bk.Name] = k.ID
	}
	for _, bv := range b.Views {
		v, err := s.Views().Save(ctx, a, model.View{ProjectID: p.ID, Title: bv.Title, Position: bv.Position})
		if err != nil {
			return model.Project{}, fmt.Errorf("view %q: %w", bv.Title, err)
		}
		pl.views.ids[bv.Title] = v.ID
	}
	for _, br := range b.Repositories {
		r, err := s.Repositories().Save(ctx, a, model.Repository{ProjectID: p.ID, Name: br.Name, GitURL: br.GitURL,
			GitBranch: br.GitBranch, SSHKeyID: pl.keys.id(br.SSHKey)})
		if err != nil {
			return model.Project{}, fmt.Errorf("repository %q: %w", br.Name, err)
		}
		pl.repos.ids[br.Name] = r.ID
	}
	for _, bi := range b.Inventories {
		inv, err := s.Inventories().Save(ctx, a, model.Inventory{ProjectID: p.ID, Name: bi.Name, Type: bi.Type,
			Inventory: bi.Inventory, SSHKeyID: pl.keys.optID(bi.SSHKey), BecomeKeyID: pl.keys.optID(bi.BecomeKey)})
		if err != nil {
			return model.Project{}, fmt.Errorf("inventory %q: %w", bi.Name, err)
		}
		pl.invs.ids[bi.Name] = inv.ID
	}
	for _, be := range b.Environments {
		e, err := s.Environments().Save(ctx, a, model.Environment{ProjectID: p.ID, Name: be.Name, JSON: be.JSON, Env: be.Env})
		if err != nil {
			return model.Project{}, fmt.Errorf("environment %q: %w", be.Name, err)
		}
		for _, bs := range be.Secrets {
			if err := s.restoreSecret(ctx, e, bs); err != nil {
				return model.Project{}, fmt.Errorf("environment %q: secret %q: %w", be.Name, bs.Name, err)
			}
		}
		pl.envs.ids[be.Name] = e.ID
	}
	if err := s.restoreTemplates(ctx, a, p.ID, b.Templates, pl); err != nil {
		return model.Project{}, err
	}
	for _, bi := range b.Integrations {
		if err := s.restoreIntegration(ctx, a, p.ID, bi, pl); err != nil {
			return model.Project{}, fmt.Errorf("integration %q: %w", bi.Name, err)
		}
	}
	return p, nil
}

// restoreSecret creates an environment secret with an empty value: the
// backup has only its name and type.
func (s *Services) restoreSecret(ctx context.Context, e model.Environment, bs BackupSecret) error {
	typ := bs.Type
	if typ == "" {
		typ = model.SecretEnv
	}
	blob, err := s.sealer.SealJSON("")
	if err != nil {
		return fmt.Errorf("encrypt: %w", err)
	}
	return s.store.EnvironmentSecrets().Create(ctx, &model.EnvironmentSecret{ProjectID: e.ProjectID, EnvironmentID: e.ID,
		Name: bs.Name, Type: typ, Secret: blob})
}

// restoreTemplates creates the templates, deploy templates last (their
// build templates must exist first), then their schedules.
func (s *Services) restoreTemplates(ctx context.Context, a Actor, pid int64, bts []BackupTemplate, pl *restorePlan) error {
	created := make([]model.Template, len(bts))
	for _, deploys := range []bool{false, true} {
		for i, bt := range bts {
			if (bt.Type == "deploy") != deploys {
				continue
			}
			t, err := s.restoreTemplate(ctx, a, pid, bt, pl.surveyVars[i], pl)
			if err != nil {
				return fmt.Errorf("template %q: %w", bt.Name, err)
			}
			pl.tmpls.ids[bt.Name] = t.ID
			created[i] = t
		}
	}
	for i, bt := range bts {
		schedules := bt.Schedules
		if schedules == nil && strings.TrimSpace(bt.Cron) != "" {
			schedules = []BackupSchedule{{Type: model.ScheduleCron, CronFormat: bt.Cron}}
		}
		for _, bs := range schedules {
			active := bs.Active == nil || *bs.Active
			if bs.Type == model.ScheduleRunAt && active && !bs.RunAt.After(time.Now()) {
				// Its time has passed: it would have fired, and would be inactive now.
				active = false
			}
			in := ScheduleInput{ProjectID: pid, TemplateID: created[i].ID, Name: bs.Name, Type: bs.Type,
				CronFormat: bs.CronFormat, RunAt: bs.RunAt, Active: &active}
			if _, err := s.SaveSchedule(ctx, a, in); err != nil {
				return fmt.Errorf("template %q: schedule: %w", bt.Name, err)
			}
		}
	}
	return nil
}

func (s *Services) restoreTemplate(ctx context.Context, a Actor, pid int64, bt BackupTemplate, surveyVars string, pl *restorePlan) (model.Template, error) {
	t := model.Template{ProjectID: pid, Name: bt.Name, Description: bt.Description, App: bt.App, Playbook: bt.Playbook,
		RepositoryID: pl.repos.id(bt.Repository), InventoryID: pl.invs.optID(bt.Inventory),
		EnvironmentID: pl.envs.optID(bt.Environment), ViewID: pl.views.optID(bt.View), Arguments: bt.Arguments,
		AllowOverrideArgsInTask: bt.AllowOverrideArgsInTask, SuppressSuccessAlerts: bt.SuppressSuccessAlerts,
		GitBranch: bt.GitBranch, Limit: bt.Limit, TimeoutSeconds: bt.Timeout, SurveyVars: surveyVars, Type: bt.Type,
		StartVersion: bt.StartVersion, BuildTemplateID: pl.tmpls.optID(bt.BuildTemplate), Autorun: bt.Autorun}
	if p := strings.TrimSpace(string(bt.TaskParams)); p != "" && p != "null" {
		t.Params = p
	}
	if len(bt.Vaults) > 0 {
		vaults := make([]Vault, len(bt.Vaults))
		for i, v := range bt.Vaults {
			vaults[i] = Vault{Name: v.Name, Type: v.Type, VaultKeyID: pl.keys.optID(v.VaultKey), Script: v.Script}
		}
		b, err := json.Marshal(vaults)
		if err != nil {
			return model.Template{}, err
		}
		t.Vaults = string(b)
	}
	return s.Templates().Save(ctx, a, t)
}

// restoreIntegration creates an integration with its matchers and values.
// A backup has no secret: a method that checks one gets a random secret,
// so that its webhooks are refused until someone sets the real one.
func (s *Services) restoreIntegration(ctx context.Context, a Actor, pid int64, bi BackupIntegration, pl *restorePlan) error {
	in := model.Integration{ProjectID: pid, Name: bi.Name, TemplateID: pl.tmpls.id(bi.Template), AuthMethod: bi.AuthMethod,
		AuthHeader: bi.AuthHeader, Searchable: bi.Searchable}
	if p := strings.TrimSpace(string(bi.TaskParams)); p != "" && p != "null" && p != "{}" {
		in.TaskParams = p
	}
	var secret *model.IntegrationSecret
	if in.AuthMethod.NeedsSecret() {
		login, err := randomSecret()
		if err != nil {
			return err
		}
		pass, err := randomSecret()
		if err != nil {
			return err
		}
		secret = &model.IntegrationSecret{Login: login, Secret: pass}
	}
	saved, err := s.SaveIntegration(ctx, a, in, secret)
	if err != nil {
		return err
	}
	for _, m := range bi.Matchers {
		if _, err := s.IntegrationMatchers().Save(ctx, a, pid, matcherOf(m, saved.ID)); err != nil {
			return fmt.Errorf("matcher %q: %w", m.Name, err)
		}
	}
	for _, v := range bi.ExtractValues {
		if _, err := s.IntegrationExtractValues().Save(ctx, a, pid, extractValueOf(v, saved.ID)); err != nil {
			return fmt.Errorf("value %q: %w", v.Name, err)
		}
	}
	return nil
}

func matcherOf(m BackupMatcher, integrationID int64) model.IntegrationMatcher {
	return model.IntegrationMatcher{IntegrationID: integrationID, Name: m.Name, MatchType: m.MatchType, Method: m.Method,
		BodyDataType: m.BodyDataType, Key: m.Key, Value: m.Value}
}

func extractValueOf(v BackupExtractValue, integrationID int64) model.IntegrationExtractValue {
	return model.IntegrationExtractValue{IntegrationID: integrationID, Name: v.Name, ValueSource: v.ValueSource,
		BodyDataType: v.BodyDataType, Key: v.Key, Variable: v.Variable, VariableType: v.VariableType}
}

// randomSecret returns a random URL-safe string of 43 characters.
func randomSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random secret: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
