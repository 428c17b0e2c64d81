package main

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/signalbox/signalbox/sdk/executor"
)

// defaultWorkspace is the workspace of a task that names none.
const defaultWorkspace = "default"

// workspacePattern is what a workspace name may look like: no path
// separator, and no leading "-" an option parser would take.
var workspacePattern = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,89}$`)

// params are the parameters of both schemas. A nil field is not set.
type params struct {
	Workspace   *string `json:"workspace"`
	Plan        *bool   `json:"plan"`
	Destroy     *bool   `json:"destroy"`
	AutoApprove *bool   `json:"auto_approve"`
	Upgrade     *bool   `json:"upgrade"`
	Reconfigure *bool   `json:"reconfigure"`
}

// options are the run options: the template parameters, overridden by the
// task parameters; the request's dry run flag means plan only.
type options struct {
	workspace                                       string
	planOnly, destroy, autoApprove, upgrade, reconf bool
}

func parseOptions(req executor.RunRequest) (options, error) {
	o := options{workspace: defaultWorkspace}
	for _, p := range []struct {
		what string
		raw  json.RawMessage
	}{{"template parameters", req.TemplateParams}, {"task parameters", req.TaskParams}} {
		if len(strings.TrimSpace(string(p.raw))) == 0 {
			continue
		}
		var v params
		if err := json.Unmarshal(p.raw, &v); err != nil {
			return o, fmt.Errorf("%s: %v", p.what, err)
		}
		o.apply(v)
	}
	o.planOnly = o.planOnly || req.DryRun
	if !workspacePattern.MatchString(o.workspace) {
		return o, fmt.Errorf("invalid workspace name %q: use letters, digits, '_', '-' and '.'", o.workspace)
	}
	return o, nil
}

func (o *options) apply(p params) {
	set := func(dst, src *bool) {
		if src != nil {
			*dst = *src
		}
	}
	if p.Workspace != nil && *p.Workspace != "" {
		o.workspace = *p.Workspace
	}
	set(&o.planOnly, p.Plan)
	set(&o.destroy, p.Destroy)
	set(&o.autoApprove, p.AutoApprove)
	set(&o.upgrade, p.Upgrade)
	set(&o.reconf, p.Reconfigure)
}

const schemaDialect = "https://json-schema.org/draft/2020-12/schema"

// paramsSchema is the JSON Schema of the template and of the task
// parameters: the template's values are the defaults of its tasks.
func paramsSchema() json.RawMessage {
	flag := func(desc string) map[string]any {
		return map[string]any{"type": "boolean", "default": false, "description": desc}
	}
	b, err := json.Marshal(map[string]any{
		"$schema":              schemaDialect,
		"type":                 "object",
		"additionalProperties": false,
		"properties": map[string]any{
			"workspace": map[string]any{
				"type": "string", "default": defaultWorkspace, "pattern": workspacePattern.String(),
				"description": "The workspace to plan and apply in; created when missing.",
			},
			"plan":         flag("Plan only: show the changes and apply nothing (a dry run does the same)."),
			"destroy":      flag("Plan the destruction of every resource of the workspace (plan -destroy)."),
			"auto_approve": flag("Apply the plan without asking for confirmation."),
			"upgrade":      flag("Upgrade modules and providers within their version constraints (init -upgrade)."),
			"reconfigure":  flag("Reconfigure the backend, ignoring any saved configuration (init -reconfigure)."),
		},
	})
	if err != nil {
		panic(err) // static input
	}
	return b
}
