package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/signalbox/signalbox/sdk/executor"
)

// maxVerbosity is the highest verbosity: -vvvv.
const maxVerbosity = 4

// params are the parameters both schemas share. A nil field is not set.
type params struct {
	Debug             *bool    `json:"debug"`
	DryRun            *bool    `json:"dry_run"`
	Diff              *bool    `json:"diff"`
	Limit             []string `json:"limit"`
	Tags              []string `json:"tags"`
	SkipTags          []string `json:"skip_tags"`
	SkipGalaxyInstall *bool    `json:"skip_galaxy_install"`
	Verbosity         *int     `json:"verbosity"`
}

// templateParams are the template parameters: the shared ones, plus the
// vault password scripts of the repository.
type templateParams struct {
	params
	VaultPasswordScripts []vaultScript `json:"vault_password_scripts"`
}

// vaultScript is a vault password script (or file) in the repository.
type vaultScript struct {
	// ID is the vault id label; empty means "default".
	ID string `json:"id"`
	// Path is relative to the repository.
	Path string `json:"path"`
}

// vaultIDPattern is what a vault id label may look like. "@" and ","
// would confuse --vault-id, and a leading "-" an option parser.
var vaultIDPattern = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]*$`)

// options are the run options, merged from the request's flags and both
// parameter sets.
type options struct {
	debug, dryRun, diff, skipGalaxy bool
	verbosity                       int
	limit                           string
	tags, skipTags                  []string
	vaultScripts                    []vaultScript
}

// mergeOptions merges, later wins: the template parameters, the request's
// run flags (a flag counts only when true, and the limit only when not
// empty: they cannot tell "off" from "not set"), then the task parameters.
func mergeOptions(req executor.RunRequest, tp templateParams, kp params) (options, error) {
	var o options
	o.apply(tp.params)
	o.debug = o.debug || req.Debug
	o.dryRun = o.dryRun || req.DryRun
	o.diff = o.diff || req.Diff
	if strings.TrimSpace(req.Limit) != "" {
		o.limit = strings.TrimSpace(req.Limit)
	}
	o.apply(kp)
	if o.verbosity < 0 || o.verbosity > maxVerbosity {
		return o, fmt.Errorf("verbosity %d is out of range 0-%d", o.verbosity, maxVerbosity)
	}
	for _, v := range tp.VaultPasswordScripts {
		if v.ID != "" && !vaultIDPattern.MatchString(v.ID) {
			return o, fmt.Errorf("vault password script %q: invalid vault id %q", v.Path, v.ID)
		}
		if v.Path == "" {
			return o, fmt.Errorf("vault password script of id %q: empty path", v.ID)
		}
	}
	o.vaultScripts = tp.VaultPasswordScripts
	return o, nil
}

func (o *options) apply(p params) {
	set := func(dst *bool, src *bool) {
		if src != nil {
			*dst = *src
		}
	}
	set(&o.debug, p.Debug)
	set(&o.dryRun, p.DryRun)
	set(&o.diff, p.Diff)
	set(&o.skipGalaxy, p.SkipGalaxyInstall)
	if p.Verbosity != nil {
		o.verbosity = *p.Verbosity
	}
	if p.Limit != nil {
		o.limit = joinList(p.Limit)
	}
	if p.Tags != nil {
		o.tags = p.Tags
	}
	if p.SkipTags != nil {
		o.skipTags = p.SkipTags
	}
}

// args returns ansible-playbook's options for o. Values are attached with
// "=", so that none is taken for an option.
func (o options) args() []string {
	var args []string
	v := o.verbosity
	if o.debug {
		v = maxVerbosity
	}
	if v > 0 {
		args = append(args, "-"+strings.Repeat("v", v))
	}
	if o.dryRun {
		args = append(args, "--check")
	}
	if o.diff {
		args = append(args, "--diff")
	}
	if o.limit != "" {
		args = append(args, "--limit="+o.limit)
	}
	if t := joinList(o.tags); t != "" {
		args = append(args, "--tags="+t)
	}
	if t := joinList(o.skipTags); t != "" {
		args = append(args, "--skip-tags="+t)
	}
	return args
}

// joinList joins the non-empty items with commas.
func joinList(items []string) string {
	var keep []string
	for _, s := range items {
		if s = strings.TrimSpace(s); s != "" {
			keep = append(keep, s)
		}
	}
	return strings.Join(keep, ",")
}

// decodeParams decodes a JSON object of parameters, refusing unknown ones
// (the schemas say additionalProperties: false).
func decodeParams(raw json.RawMessage, v any) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("unexpected data after the JSON object")
	}
	return nil
}

const schemaDialect = "https://json-schema.org/draft/2020-12/schema"

// sharedProperties are the properties of both schemas.
func sharedProperties() map[string]any {
	list := func(desc string) map[string]any {
		return map[string]any{
			"type": "array", "items": map[string]any{"type": "string", "minLength": 1},
			"default": []string{}, "description": desc,
		}
	}
	flag := func(desc string) map[string]any {
		return map[string]any{"type": "boolean", "default": false, "description": desc}
	}
	return map[string]any{
		"debug":     flag("Run with -vvvv (the most verbose output)."),
		"dry_run":   flag("Run with --check: report what would change, change nothing."),
		"diff":      flag("Run with --diff: show the changes made to files and templates."),
		"limit":     list("Run on these hosts or groups only (--limit, joined with commas)."),
		"tags":      list("Run only the tasks tagged with one of these tags (--tags)."),
		"skip_tags": list("Skip the tasks tagged with one of these tags (--skip-tags)."),
		"skip_galaxy_install": flag("Do not install the roles and collections of the " +
			"repository's requirements.yml files with ansible-galaxy before the run."),
		"verbosity": map[string]any{
			"type": "integer", "minimum": 0, "maximum": maxVerbosity, "default": 0,
			"description": "Verbosity level: 0 is normal output, 1 to 4 run with -v to -vvvv.",
		},
	}
}

func objectSchema(props map[string]any) json.RawMessage {
	b, err := json.Marshal(map[string]any{
		"$schema":              schemaDialect,
		"type":                 "object",
		"additionalProperties": false,
		"properties":           props,
	})
	if err != nil {
		panic(err) // static input
	}
	return b
}

// taskSchema is the JSON Schema of the task parameters.
func taskSchema() json.RawMessage { return objectSchema(sharedProperties()) }

// templateSchema is the JSON Schema of the template parameters: the task
// parameters, as defaults for the template's tasks, plus the vault password
// scripts.
func templateSchema() json.RawMessage {
	props := sharedProperties()
	props["vault_password_scripts"] = map[string]any{
		"type":    "array",
		"default": []any{},
		"description": "Vault password scripts (or files) in the repository, each passed as " +
			"--vault-id <id>@<path>. Vault passwords themselves come as secrets, not parameters.",
		"items": map[string]any{
			"type":                 "object",
			"additionalProperties": false,
			"required":             []string{"path"},
			"properties": map[string]any{
				"id": map[string]any{
					"type": "string", "pattern": vaultIDPattern.String(), "default": "default",
					"description": "The vault id label.",
				},
				"path": map[string]any{
					"type": "string", "minLength": 1,
					"description": "Path of the script, relative to the repository. An executable file is " +
						"run and its output is the password; another file holds the password.",
				},
			},
		},
	}
	return objectSchema(props)
}
