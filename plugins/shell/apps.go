package main

import (
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/signalbox/signalbox/sdk/executor"
)

// app is one interpreter the plugin runs scripts with.
type app struct {
	id, title, description string
	// interpreter is the program, looked up in PATH.
	interpreter string
	// leadArgs come first, before the template's interpreter_args.
	leadArgs []string
	// debugArgs are added when the task sets debug; nil means the app has
	// no debug parameter.
	debugArgs []string
	// scriptFlag, when set, comes right before the script path.
	scriptFlag string
	// env are defaults for the task's environment, overridden by any
	// variable of the same name.
	env map[string]string
	// optional apps are described only when their interpreter is on PATH.
	optional bool
}

// apps are the apps of the plugin, in the order Describe lists them.
var apps = []app{
	{
		id: "bash", title: "Bash script", description: "Runs a Bash script from the repository.",
		interpreter: "bash", debugArgs: []string{"-x"},
	},
	{
		id: "sh", title: "POSIX shell script", description: "Runs a POSIX shell script from the repository with sh.",
		interpreter: "sh", debugArgs: []string{"-x"},
	},
	{
		id: "python", title: "Python 3 script", description: "Runs a Python 3 script from the repository with python3.",
		interpreter: "python3", debugArgs: []string{"-X", "dev"},
		// Unbuffered, so that output arrives as it is printed.
		env: map[string]string{"PYTHONUNBUFFERED": "1"},
	},
	{
		id: "powershell", title: "PowerShell script", description: "Runs a PowerShell script from the repository with pwsh.",
		interpreter: "pwsh", leadArgs: []string{"-NoLogo", "-NoProfile", "-NonInteractive"}, scriptFlag: "-File",
		optional: true,
	},
}

func appByID(id string) (app, bool) {
	for _, a := range apps {
		if a.id == id {
			return a, true
		}
	}
	return app{}, false
}

// templateParams are an app's template parameters (see templateSchema).
type templateParams struct {
	InterpreterArgs []string `json:"interpreter_args"`
}

// taskParams are an app's task parameters (see taskSchema).
type taskParams struct {
	Debug bool `json:"debug"`
}

const schemaDialect = "https://json-schema.org/draft/2020-12/schema"

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

func (a app) templateSchema() json.RawMessage {
	return objectSchema(map[string]any{
		"interpreter_args": map[string]any{
			"type":        "array",
			"items":       map[string]any{"type": "string"},
			"description": "Arguments for " + a.interpreter + ", placed before the script path.",
		},
	})
}

func (a app) taskSchema() json.RawMessage {
	props := map[string]any{}
	if a.debugArgs != nil {
		props["debug"] = map[string]any{
			"type":        "boolean",
			"default":     false,
			"description": "Run with " + strings.Join(a.debugArgs, " ") + ".",
		}
	}
	return objectSchema(props)
}

// args returns the interpreter's arguments for a script.
func (a app) args(tp templateParams, kp taskParams, script string, scriptArgs []string) []string {
	args := append([]string{}, a.leadArgs...)
	args = append(args, tp.InterpreterArgs...)
	if kp.Debug {
		args = append(args, a.debugArgs...)
	}
	if a.scriptFlag != "" {
		args = append(args, a.scriptFlag)
	}
	args = append(args, script)
	return append(args, scriptArgs...)
}

// versionTimeout bounds a `<interpreter> --version` run.
const versionTimeout = 5 * time.Second

// detect returns the interpreter's version line, and whether the
// interpreter is on PATH. An interpreter without --version (dash as sh) is
// named by the file its path resolves to.
func (a app) detect() (version string, found bool) {
	path, err := exec.LookPath(a.interpreter)
	if err != nil {
		return "", false
	}
	ctx, cancel := context.WithTimeout(context.Background(), versionTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, "--version").CombinedOutput()
	if err == nil {
		for line := range strings.Lines(string(out)) {
			if line = strings.TrimSpace(line); line != "" {
				return line, true
			}
		}
	}
	if real, err := filepath.EvalSymlinks(path); err == nil && filepath.Base(real) != a.interpreter {
		return filepath.Base(real), true
	}
	return "", true
}

func (a app) describe(version string) executor.App {
	return executor.App{
		ID: a.id, Title: a.title, Description: a.description, Version: version,
		TemplateSchema: a.templateSchema(), TaskSchema: a.taskSchema(),
	}
}
