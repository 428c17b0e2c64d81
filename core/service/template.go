package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/signalbox/signalbox/core/model"
	"github.com/signalbox/signalbox/core/store"
)

// SurveyVar is one question a template asks when a task starts. Answers
// arrive in the task's extra variables (its "environment" JSON).
type SurveyVar struct {
	Name        string        `json:"name"`
	Title       string        `json:"title"`
	Description string        `json:"description,omitempty"`
	Type        string        `json:"type"`
	Required    bool          `json:"required"`
	Values      []SurveyValue `json:"values,omitempty"`
}

// SurveyValue is one choice of an enum survey variable.
type SurveyValue struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Vault is a vault password of a template.
type Vault struct {
	ID         int64  `json:"id,omitempty"`
	Name       string `json:"name"`
	Type       string `json:"type"`
	VaultKeyID *int64 `json:"vault_key_id"`
	Script     string `json:"script,omitempty"`
}

func parseSurveyVars(s string) ([]SurveyVar, error) {
	if strings.TrimSpace(s) == "" || strings.TrimSpace(s) == "null" {
		return nil, nil
	}
	var vars []SurveyVar
	if err := json.Unmarshal([]byte(s), &vars); err != nil {
		return nil, model.Invalidf("survey_vars must be an array of {name, title, type, required, values}: %v", err)
	}
	return vars, nil
}

func parseVaults(s string) ([]Vault, error) {
	if strings.TrimSpace(s) == "" || strings.TrimSpace(s) == "null" {
		return nil, nil
	}
	var vs []Vault
	if err := json.Unmarshal([]byte(s), &vs); err != nil {
		return nil, model.Invalidf("vaults must be an array of {name, type, vault_key_id, script}: %v", err)
	}
	return vs, nil
}

// validateTemplateExtras checks survey variables, vaults and the
// build/deploy settings of a template.
func (s *Services) validateTemplateExtras(ctx context.Context, t *model.Template) error {
	vars, err := parseSurveyVars(t.SurveyVars)
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for i, v := range vars {
		if strings.TrimSpace(v.Name) == "" {
			return model.Invalidf("survey_vars[%d]: name is required", i)
		}
		if seen[v.Name] {
			return model.Invalidf("survey_vars: %q appears twice", v.Name)
		}
		seen[v.Name] = true
		switch v.Type {
		case "", "int", "secret":
		case "enum":
			if len(v.Values) == 0 {
				return model.Invalidf("survey_vars[%d] %q: an enum needs values", i, v.Name)
			}
		default:
			return model.Invalidf("survey_vars[%d] %q: type %q, want \"\", int, secret or enum", i, v.Name, v.Type)
		}
	}
	vaults, err := parseVaults(t.Vaults)
	if err != nil {
		return err
	}
	for i, v := range vaults {
		switch v.Type {
		case "", "password":
			if v.VaultKeyID == nil || *v.VaultKeyID == 0 {
				return model.Invalidf("vaults[%d]: a password vault needs vault_key_id", i)
			}
			field := fmt.Sprintf("vaults[%d].vault_key_id", i)
			if err := s.keyExists(ctx, t.ProjectID, v.VaultKeyID, field); err != nil {
				return err
			}
			// The vault password is the key's password: only a login and
			// password key has one.
			if k, err := s.store.Keys().Get(ctx, t.ProjectID, *v.VaultKeyID); err != nil {
				return err
			} else if k.Type != model.KeyLoginPassword {
				return model.Invalidf("%s: key %d is of type %q; a vault password comes from a %q key", field, k.ID, k.Type, model.KeyLoginPassword)
			}
		case "script":
			if strings.TrimSpace(v.Script) == "" {
				return model.Invalidf("vaults[%d]: a script vault needs script", i)
			}
		default:
			return model.Invalidf("vaults[%d]: type %q, want password or script", i, v.Type)
		}
	}
	switch t.Type {
	case "":
		t.BuildTemplateID = nil
	case "build":
		t.BuildTemplateID = nil
		if t.StartVersion != "" {
			if _, err := nextVersion(t.StartVersion); err != nil {
				return model.Invalidf("start_version %q must end with a number, like 1.0.0", t.StartVersion)
			}
		}
	case "deploy":
		if t.BuildTemplateID == nil || *t.BuildTemplateID == 0 {
			return model.Invalidf("a deploy template needs build_template_id")
		}
		b, err := s.store.Templates().Get(ctx, t.ProjectID, *t.BuildTemplateID)
		if errors.Is(err, model.ErrNotFound) {
			return model.Invalidf("build_template_id: template %d does not exist in this project", *t.BuildTemplateID)
		} else if err != nil {
			return err
		}
		if b.Type != "build" {
			return model.Invalidf("build_template_id: template %q is not a build template", b.Name)
		}
	default:
		return model.Invalidf("type %q: want \"\", build or deploy", t.Type)
	}
	if t.ViewID != nil {
		if _, err := s.store.Views().Get(ctx, t.ProjectID, *t.ViewID); errors.Is(err, model.ErrNotFound) {
			return model.Invalidf("view_id: view %d does not exist in this project", *t.ViewID)
		} else if err != nil {
			return err
		}
	}
	return nil
}

// checkSurvey validates the answers to a template's survey, found in the
// task's extra variables.
func checkSurvey(tmpl model.Template, extra string) error {
	vars, err := parseSurveyVars(tmpl.SurveyVars)
	if err != nil || len(vars) == 0 {
		return err
	}
	answers := map[string]any{}
	if strings.TrimSpace(extra) != "" {
		if err := json.Unmarshal([]byte(extra), &answers); err != nil {
			return model.Invalidf("environment must be a JSON object of extra variables")
		}
	}
	for _, v := range vars {
		val, ok := answers[v.Name]
		if !ok || val == nil || val == "" {
			if v.Required {
				return model.Invalidf("survey variable %q is required", v.Name)
			}
			continue
		}
		text := fmt.Sprint(val)
		switch v.Type {
		case "int":
			if f, isNum := val.(float64); isNum {
				if f != float64(int64(f)) {
					return model.Invalidf("survey variable %q must be an integer", v.Name)
				}
			} else if _, err := strconv.ParseInt(text, 10, 64); err != nil {
				return model.Invalidf("survey variable %q must be an integer", v.Name)
			}
		case "enum":
			found := false
			for _, c := range v.Values {
				found = found || c.Value == text
			}
			if !found {
				return model.Invalidf("survey variable %q must be one of its values", v.Name)
			}
		}
	}
	return nil
}

// nextVersion increments the last number of a version: 1.2.9 → 1.2.10.
func nextVersion(v string) (string, error) {
	end := len(v)
	start := end
	for start > 0 && v[start-1] >= '0' && v[start-1] <= '9' {
		start--
	}
	if start == end {
		return "", fmt.Errorf("version %q does not end with a number", v)
	}
	n, err := strconv.ParseInt(v[start:end], 10, 64)
	if err != nil {
		return "", err
	}
	return v[:start] + strconv.FormatInt(n+1, 10), nil
}

// buildVersion picks the version of a new build task: the template's start
// version for its first build, then the last build's version plus one.
func (s *Services) buildVersion(ctx context.Context, tmpl model.Template) (string, error) {
	tasks, err := s.store.Tasks().List(ctx, store.TaskFilter{ProjectID: tmpl.ProjectID, TemplateID: tmpl.ID, Limit: 50})
	if err != nil {
		return "", err
	}
	for _, t := range tasks {
		if t.Version != "" {
			return nextVersion(t.Version)
		}
	}
	if tmpl.StartVersion != "" {
		return tmpl.StartVersion, nil
	}
	return "1", nil
}

// deployBuild finds the build a deploy task deploys: the one asked for, or
// the last successful build of the template's build template.
func (s *Services) deployBuild(ctx context.Context, tmpl model.Template, buildTaskID int64) (model.Task, error) {
	if tmpl.BuildTemplateID == nil {
		return model.Task{}, model.Invalidf("deploy template %q has no build template", tmpl.Name)
	}
	if buildTaskID != 0 {
		b, err := s.store.Tasks().Get(ctx, tmpl.ProjectID, buildTaskID)
		if errors.Is(err, model.ErrNotFound) || (err == nil && b.TemplateID != *tmpl.BuildTemplateID) {
			return model.Task{}, model.Invalidf("build_task_id %d is not a build of template %d", buildTaskID, *tmpl.BuildTemplateID)
		}
		return b, err
	}
	builds, err := s.store.Tasks().List(ctx, store.TaskFilter{ProjectID: tmpl.ProjectID, TemplateID: *tmpl.BuildTemplateID,
		Statuses: []model.TaskStatus{model.TaskSuccess}, Limit: 1})
	if err != nil {
		return model.Task{}, err
	}
	if len(builds) == 0 {
		return model.Task{}, model.Unprocessablef("template %q has no successful build to deploy yet", tmpl.Name)
	}
	return builds[0], nil
}

// TaskFinished reacts to a task's end: a successful build starts the
// deploy templates that autorun on it. The runner calls it.
func (s *Services) TaskFinished(ctx context.Context, t model.Task) {
	if t.Status != model.TaskSuccess || t.Version == "" {
		return
	}
	tmpls, err := s.store.Templates().List(ctx, t.ProjectID, ListOptions{})
	if err != nil {
		s.log.Error("list templates for autorun", "error", err)
		return
	}
	for _, d := range tmpls {
		if d.Type == "deploy" && d.Autorun && d.BuildTemplateID != nil && *d.BuildTemplateID == t.TemplateID {
			if _, err := s.StartTask(ctx, SystemActor, t.ProjectID, NewTask{TemplateID: d.ID, BuildTaskID: t.ID,
				Message: fmt.Sprintf("deploys build %s (task %d)", t.Version, t.ID)}); err != nil {
				s.log.Error("autorun deploy", "template_id", d.ID, "build_task_id", t.ID, "error", err)
			}
		}
	}
}
