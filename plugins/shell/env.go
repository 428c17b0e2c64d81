package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/signalbox/signalbox/sdk/executor"
	"github.com/signalbox/signalbox/sdk/workspace"
)

// extraVarsFile is the name of the extra vars file in the task's temp dir.
const extraVarsFile = "extra_vars.json"

// taskEnv returns the environment of a task's script. Later layers win:
//
//  1. base, the plugin's own environment (the host passes PATH, HOME, LANG);
//  2. the app's defaults (PYTHONUNBUFFERED=1 for python);
//  3. each top-level string, number or bool of req.ExtraVars whose name is
//     a shell identifier, unless base sets that name;
//  4. req.Env;
//  5. req.Secrets, by name;
//  6. SIGNALBOX_TASK_ID, SIGNALBOX_PROJECT_ID, SIGNALBOX_TEMPLATE_ID,
//     SIGNALBOX_ATTEMPT and SIGNALBOX_EXTRA_VARS_FILE.
//
// It writes req.ExtraVars ("{}" when empty) to extra_vars.json in tempDir,
// readable by the owner only.
func taskEnv(base []string, a app, req executor.RunRequest, tempDir string) ([]string, error) {
	extra, err := parseExtraVars(req.ExtraVars)
	if err != nil {
		return nil, err
	}
	varsFile := filepath.Join(tempDir, extraVarsFile)
	data := []byte(req.ExtraVars)
	if len(bytes.TrimSpace(data)) == 0 {
		data = []byte("{}")
	}
	if err := os.WriteFile(varsFile, data, 0o600); err != nil {
		return nil, fmt.Errorf("write extra vars file: %w", err)
	}

	env := workspace.NewEnv(base)
	for _, k := range slices.Sorted(maps.Keys(a.env)) {
		if !env.Has(k) {
			env.Set(k, a.env[k])
		}
	}
	for _, k := range slices.Sorted(maps.Keys(extra)) {
		if !env.FromBase(k) {
			env.Set(k, extra[k])
		}
	}
	for _, layer := range []struct {
		what string
		vars map[string]string
	}{{"env", req.Env}, {"secret", req.Secrets}} {
		for _, k := range slices.Sorted(maps.Keys(layer.vars)) {
			v := layer.vars[k]
			if k == "" || strings.ContainsAny(k, "=\x00") || strings.ContainsRune(v, 0) {
				return nil, fmt.Errorf("%s %q: invalid environment variable", layer.what, k)
			}
			env.Set(k, v)
		}
	}
	env.Set("SIGNALBOX_TASK_ID", strconv.FormatInt(req.TaskID, 10))
	env.Set("SIGNALBOX_PROJECT_ID", strconv.FormatInt(req.ProjectID, 10))
	env.Set("SIGNALBOX_TEMPLATE_ID", strconv.FormatInt(req.TemplateID, 10))
	env.Set("SIGNALBOX_ATTEMPT", strconv.Itoa(req.Attempt))
	env.Set("SIGNALBOX_EXTRA_VARS_FILE", varsFile)
	return env.List(), nil
}

// parseExtraVars returns the extra vars that become environment variables:
// top-level strings, numbers (as written) and bools whose names are shell
// identifiers.
func parseExtraVars(raw json.RawMessage) (map[string]string, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, nil
	}
	var vars map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&vars); err != nil || vars == nil {
		return nil, errors.New("extra vars: want a JSON object")
	}
	out := map[string]string{}
	for k, v := range vars {
		if !isIdentifier(k) {
			continue
		}
		switch v := v.(type) {
		case string:
			if !strings.ContainsRune(v, 0) {
				out[k] = v
			}
		case json.Number:
			out[k] = v.String()
		case bool:
			out[k] = strconv.FormatBool(v)
		}
	}
	return out, nil
}

// isIdentifier reports whether s is a shell variable name.
func isIdentifier(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		switch {
		case c == '_', 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case '0' <= c && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}
