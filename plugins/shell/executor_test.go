package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/signalbox/signalbox/sdk/executor"
	"github.com/signalbox/signalbox/sdk/plugintest"
)

// newRepo returns a work dir holding files (path → content).
func newRepo(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// request returns a request for the script run.sh of app in repo.
func request(t *testing.T, app, repo string) executor.RunRequest {
	t.Helper()
	return executor.RunRequest{
		TaskID: 42, ProjectID: 7, TemplateID: 9, Attempt: 2,
		App: app, WorkDir: repo, TempDir: t.TempDir(), Playbook: "run.sh",
		StopGracePeriod: 5 * time.Second,
	}
}

func texts(lines []executor.Line, s executor.Stream) []string {
	out := []string{}
	for _, l := range lines {
		if l.Stream == s {
			out = append(out, l.Text)
		}
	}
	return out
}

func TestShell_Run(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		app    string
		script string
		// setup changes the request; repo is its work dir.
		setup      func(t *testing.T, req *executor.RunRequest)
		wantStdout []string
		wantStderr []string
		// wantWorkDir expects the work dir, symlinks resolved, on stdout.
		wantWorkDir bool
		want        executor.Result
	}{
		"task ids and env vars reach the script": {
			script: `echo "$SIGNALBOX_TASK_ID $SIGNALBOX_PROJECT_ID $SIGNALBOX_TEMPLATE_ID $SIGNALBOX_ATTEMPT"; echo "$GREETING"`,
			setup: func(_ *testing.T, r *executor.RunRequest) {
				r.Env = map[string]string{"GREETING": "hello", "SIGNALBOX_TASK_ID": "overridden"}
			},
			wantStdout: []string{"42 7 9 2", "hello"},
		},
		"arguments follow the script": {
			script:     `printf '[%s]\n' "$@"`,
			setup:      func(_ *testing.T, r *executor.RunRequest) { r.Arguments = []string{"a b", "c", "-x"} },
			wantStdout: []string{"[a b]", "[c]", "[-x]"},
		},
		"secrets are exported by name and win over env": {
			script: `echo "$DB_PASSWORD"`,
			setup: func(_ *testing.T, r *executor.RunRequest) {
				r.Env = map[string]string{"DB_PASSWORD": "from-env"}
				r.Secrets = map[string]string{"DB_PASSWORD": "s3cret"}
			},
			wantStdout: []string{"s3cret"},
		},
		"extra vars are in an owner-only file": {
			script:     `cat "$SIGNALBOX_EXTRA_VARS_FILE"; echo; stat -c %a "$SIGNALBOX_EXTRA_VARS_FILE"`,
			setup:      func(_ *testing.T, r *executor.RunRequest) { r.ExtraVars = json.RawMessage(`{"a": [1, 2]}`) },
			wantStdout: []string{`{"a": [1, 2]}`, "600"},
		},
		"no extra vars still give a file": {
			script:     `cat "$SIGNALBOX_EXTRA_VARS_FILE"; echo`,
			wantStdout: []string{"{}"},
		},
		"scalar extra vars are exported unless env or the plugin's environment set them": {
			script: `echo "$region|$count|$enabled|${nested-unset}|${list-unset}|$GREETING"
				case "$PATH" in /from-extra) echo PATH overridden;; *) echo PATH kept;; esac`,
			setup: func(_ *testing.T, r *executor.RunRequest) {
				r.ExtraVars = json.RawMessage(`{"region": "eu", "count": 3.50, "enabled": true, "nested": {"x": 1},
					"list": [1], "bad-name": "x", "GREETING": "from-extra", "PATH": "/from-extra"}`)
				r.Env = map[string]string{"GREETING": "from-env"}
			},
			wantStdout: []string{"eu|3.50|true|unset|unset|from-env", "PATH kept"},
		},
		"the script runs in the repository": {
			script: `pwd -P`, wantWorkDir: true,
		},
		"a non-zero exit status fails the task": {
			script:     `echo before; exit 3`,
			wantStdout: []string{"before"},
			want:       executor.Result{ExitCode: 3, Error: "exit status 3"},
		},
		"stderr is its own stream": {
			script:     `echo out; echo err >&2`,
			wantStdout: []string{"out"},
			wantStderr: []string{"err"},
		},
		"interpreter_args are honoured": {
			script: `false; echo after`,
			setup: func(_ *testing.T, r *executor.RunRequest) {
				r.TemplateParams = json.RawMessage(`{"interpreter_args": ["-e"]}`)
			},
			want: executor.Result{ExitCode: 1, Error: "exit status 1"},
		},
		"debug traces bash commands": {
			script:     `echo hi`,
			setup:      func(_ *testing.T, r *executor.RunRequest) { r.TaskParams = json.RawMessage(`{"debug": true}`) },
			wantStdout: []string{"hi"},
			wantStderr: []string{"+ echo hi"},
		},
		"sh runs the script with its arguments": {
			app: "sh", script: `echo "$0 $1"`,
			setup:      func(_ *testing.T, r *executor.RunRequest) { r.Arguments = []string{"x"} },
			wantStdout: []string{"run.sh x"},
		},
		"sh debug traces commands": {
			app: "sh", script: `echo hi`,
			setup:      func(_ *testing.T, r *executor.RunRequest) { r.TaskParams = json.RawMessage(`{"debug": true}`) },
			wantStdout: []string{"hi"},
			wantStderr: []string{"+ echo hi"},
		},
		"python runs python3 unbuffered": {
			app:        "python",
			script:     "import os, sys\nprint(sys.version_info[0], sys.argv[1:], os.environ['PYTHONUNBUFFERED'])\n",
			setup:      func(_ *testing.T, r *executor.RunRequest) { r.Arguments = []string{"a"} },
			wantStdout: []string{"3 ['a'] 1"},
		},
		"python debug is development mode": {
			app:        "python",
			script:     "import sys\nprint(sys.flags.dev_mode)\n",
			setup:      func(_ *testing.T, r *executor.RunRequest) { r.TaskParams = json.RawMessage(`{"debug": true}`) },
			wantStdout: []string{"True"},
		},
		"a script in a subfolder reached through a symlink runs": {
			script: `echo never`,
			setup: func(t *testing.T, r *executor.RunRequest) {
				writeFile(t, filepath.Join(r.WorkDir, "scripts", "real.sh"), `echo "real $0"`)
				symlink(t, filepath.Join("scripts", "real.sh"), filepath.Join(r.WorkDir, "link.sh"))
				r.Playbook = "link.sh"
			},
			wantStdout: []string{"real link.sh"},
		},
		"a script named like an option is not taken for one": {
			setup: func(t *testing.T, r *executor.RunRequest) {
				writeFile(t, filepath.Join(r.WorkDir, "-x.sh"), `echo "$0"`)
				r.Playbook = "-x.sh"
			},
			wantStdout: []string{"./-x.sh"},
		},
		"a missing script fails": {
			setup: func(_ *testing.T, r *executor.RunRequest) { r.Playbook = "nope.sh" },
			want:  executor.Result{ExitCode: -1, Error: `script "nope.sh" not found in repository`},
		},
		"an absolute script path is refused": {
			setup: func(_ *testing.T, r *executor.RunRequest) { r.Playbook = "/bin/true" },
			want: executor.Result{ExitCode: -1,
				Error: `script "/bin/true" is an absolute path; give a path relative to the repository`},
		},
		"a script path leaving the repository is refused": {
			setup: func(_ *testing.T, r *executor.RunRequest) { r.Playbook = "sub/../../run.sh" },
			want:  executor.Result{ExitCode: -1, Error: `script "sub/../../run.sh" is outside the repository`},
		},
		"a symlink leaving the repository is refused": {
			setup: func(t *testing.T, r *executor.RunRequest) {
				outside := filepath.Join(t.TempDir(), "outside.sh")
				writeFile(t, outside, "echo escaped")
				symlink(t, outside, filepath.Join(r.WorkDir, "evil.sh"))
				r.Playbook = "evil.sh"
			},
			want: executor.Result{ExitCode: -1, Error: `script "evil.sh" is outside the repository (through a symlink)`},
		},
		"a folder is not a script": {
			setup: func(t *testing.T, r *executor.RunRequest) {
				if err := os.Mkdir(filepath.Join(r.WorkDir, "dir"), 0o755); err != nil {
					t.Fatal(err)
				}
				r.Playbook = "dir"
			},
			want: executor.Result{ExitCode: -1, Error: `script "dir" is not a regular file`},
		},
		"an unknown app fails": {
			app:  "cobol",
			want: executor.Result{ExitCode: -1, Error: `unknown app "cobol"`},
		},
		"unknown template params fail": {
			setup: func(_ *testing.T, r *executor.RunRequest) { r.TemplateParams = json.RawMessage(`{"nope": 1}`) },
			want:  executor.Result{ExitCode: -1, Error: `invalid template params: json: unknown field "nope"`},
		},
		"extra vars that are not an object fail": {
			setup: func(_ *testing.T, r *executor.RunRequest) { r.ExtraVars = json.RawMessage(`[1]`) },
			want:  executor.Result{ExitCode: -1, Error: "extra vars: want a JSON object"},
		},
		"an env var name with = fails": {
			setup: func(_ *testing.T, r *executor.RunRequest) { r.Env = map[string]string{"A=B": "x"} },
			want:  executor.Result{ExitCode: -1, Error: `env "A=B": invalid environment variable`},
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			app := tc.app
			if app == "" {
				app = "bash"
			}
			req := request(t, app, newRepo(t, map[string]string{"run.sh": tc.script}))
			if tc.setup != nil {
				tc.setup(t, &req)
			}
			if tc.wantWorkDir {
				dir, err := filepath.EvalSymlinks(req.WorkDir)
				if err != nil {
					t.Fatal(err)
				}
				tc.wantStdout = []string{dir}
			}
			run := plugintest.Run(t, plugintest.Executor(t, New()), req)
			if run.Err != nil {
				t.Fatalf("Run() error = %v", run.Err)
			}
			if run.Result.ExitCode != tc.want.ExitCode || run.Result.Error != tc.want.Error {
				t.Errorf("Run() = %+v, want %+v; output:\n%s", run.Result, tc.want, run.Text())
			}
			lines := run.Lines()
			if got := texts(lines, executor.StreamStdout); !slices.Equal(got, nonNil(tc.wantStdout)) {
				t.Errorf("stdout = %q, want %q", got, tc.wantStdout)
			}
			if got := texts(lines, executor.StreamStderr); !slices.Equal(got, nonNil(tc.wantStderr)) {
				t.Errorf("stderr = %q, want %q", got, tc.wantStderr)
			}
			if got := texts(lines, executor.StreamSystem); len(got) != 0 {
				t.Errorf("system lines = %q, want none", got)
			}
			started := tc.want.ExitCode >= 0
			if wantStatuses := map[bool][]string{true: {"running"}, false: nil}[started]; !slices.Equal(run.Statuses(), wantStatuses) {
				t.Errorf("statuses = %q, want %q", run.Statuses(), wantStatuses)
			}
			for _, pgid := range run.ProcessGroups() {
				if err := plugintest.WaitProcessGroupGone(pgid, 15*time.Second); err != nil {
					t.Errorf("process group %d: %v", pgid, err)
				}
			}
		})
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

func TestShell_LongOutput(t *testing.T) {
	t.Parallel()
	const n = 100000
	req := request(t, "bash", newRepo(t, map[string]string{"run.sh": "seq " + strconv.Itoa(n)}))
	run := plugintest.Run(t, plugintest.Executor(t, New()), req)
	if run.Err != nil || run.Result.Failed() {
		t.Fatalf("Run() = %+v, %v", run.Result, run.Err)
	}
	got := texts(run.Lines(), executor.StreamStdout)
	if len(got) != n {
		t.Fatalf("got %d lines, want %d", len(got), n)
	}
	for i, l := range got {
		if l != strconv.Itoa(i+1) {
			t.Fatalf("line %d = %q, want %d", i, l, i+1)
		}
	}
}

func TestShell_Describe(t *testing.T) {
	t.Parallel()
	d, err := plugintest.Executor(t, New()).Describe(t.Context())
	if err != nil {
		t.Fatalf("Describe() error = %v", err)
	}
	if d.Name != "shell" || d.Version != Version {
		t.Errorf("Describe() = %q %q, want shell %s", d.Name, d.Version, Version)
	}
	wantIDs := []string{"bash", "sh", "python"}
	if _, err := exec.LookPath("pwsh"); err == nil {
		wantIDs = append(wantIDs, "powershell")
	}
	var ids []string
	apps := map[string]executor.App{}
	for _, a := range d.Apps {
		ids = append(ids, a.ID)
		apps[a.ID] = a
	}
	if !slices.Equal(ids, wantIDs) {
		t.Fatalf("app ids = %q, want %q", ids, wantIDs)
	}
	if v := apps["bash"].Version; !strings.HasPrefix(v, "GNU bash") {
		t.Errorf("bash version = %q, want GNU bash…", v)
	}
	if v := apps["python"].Version; !strings.HasPrefix(v, "Python 3") {
		t.Errorf("python version = %q, want Python 3…", v)
	}
	const wantTemplate = `{"$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":false,` +
		`"properties":{"interpreter_args":{"description":"Arguments for bash, placed before the script path.",` +
		`"items":{"type":"string"},"type":"array"}},"type":"object"}`
	if got := string(apps["bash"].TemplateSchema); got != wantTemplate {
		t.Errorf("bash template schema =\n%s\nwant\n%s", got, wantTemplate)
	}
	const wantTask = `{"$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":false,` +
		`"properties":{"debug":{"default":false,"description":"Run with -x.","type":"boolean"}},"type":"object"}`
	if got := string(apps["bash"].TaskSchema); got != wantTask {
		t.Errorf("bash task schema =\n%s\nwant\n%s", got, wantTask)
	}
}

func TestShell_PowerShellWithoutPwsh(t *testing.T) {
	// A PATH without pwsh, whether or not this machine has it.
	t.Setenv("PATH", t.TempDir())
	t.Run("a powershell task fails clearly when pwsh is missing", func(t *testing.T) {
		req := request(t, "powershell", newRepo(t, map[string]string{"run.ps1": "Write-Output hi"}))
		req.Playbook = "run.ps1"
		run := plugintest.Run(t, plugintest.Executor(t, New()), req)
		want := executor.Result{ExitCode: -1, Error: `interpreter "pwsh" not found on PATH`}
		if run.Err != nil || run.Result.ExitCode != want.ExitCode || run.Result.Error != want.Error {
			t.Fatalf("Run() = %+v, %v; want %+v", run.Result, run.Err, want)
		}
	})
}

func TestShell_Conformance(t *testing.T) {
	plugintest.ExecutorConformance(t, New(), plugintest.Conformance{
		Succeeds: func(t *testing.T) executor.RunRequest {
			return request(t, "bash", newRepo(t, map[string]string{"run.sh": "echo ok"}))
		},
		LongRunning: func(t *testing.T) executor.RunRequest {
			return request(t, "bash", newRepo(t, map[string]string{"run.sh": "echo started; sleep 1000 & wait"}))
		},
	})
}
