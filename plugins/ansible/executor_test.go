package main

import (
	"archive/tar"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/signalbox/signalbox/sdk/executor"
	"github.com/signalbox/signalbox/sdk/plugintest"
)

// vaultEncrypt encrypts the file at path in place with ansible-vault,
// under vault id id ("" for the default one).
func vaultEncrypt(t *testing.T, path, password, id string) {
	t.Helper()
	pw := filepath.Join(t.TempDir(), "pw")
	writeFile(t, pw, password, 0o600)
	arg := "--vault-password-file=" + pw
	if id != "" {
		arg = "--vault-id=" + id + "@" + pw
	}
	if out, err := exec.Command("ansible-vault", "encrypt", arg, path).CombinedOutput(); err != nil {
		t.Fatalf("ansible-vault encrypt: %v\n%s", err, out)
	}
}

// writeVaultedVars writes secret_vars.yml into repo, encrypted with
// password under vault id id.
func writeVaultedVars(t *testing.T, repo, password, id string) {
	t.Helper()
	p := filepath.Join(repo, "secret_vars.yml")
	writeFile(t, p, "vaulted_value: opened\n", 0o644)
	vaultEncrypt(t, p, password, id)
}

// roleTarball packs testdata/galaxy/role-greeter as greeter/ into a
// .tar.gz, which ansible-galaxy installs from a file:// URL.
func roleTarball(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "greeter.tar.gz")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz := gzip.NewWriter(f)
	tw := tar.NewWriter(gz)
	src := filepath.Join("testdata", "galaxy", "role-greeter")
	err = filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		info, err := d.Info()
		if err != nil {
			return err
		}
		hdr, err := tar.FileInfoHeader(info, "")
		if err != nil {
			return err
		}
		hdr.Name = filepath.ToSlash(filepath.Join("greeter", rel))
		if d.IsDir() {
			hdr.Name += "/"
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		_, err = tw.Write(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []interface{ Close() error }{tw, gz} {
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

// collectionDir copies testdata/galaxy/collection-testcoll to a fresh
// folder, which ansible-galaxy installs as a "dir" collection.
func collectionDir(t *testing.T) string {
	t.Helper()
	dst := t.TempDir()
	src := filepath.Join("testdata", "galaxy", "collection-testcoll")
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		writeFile(t, filepath.Join(dst, rel), string(b), 0o644)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// okStats is a host's recap of site.yml run in full.
var okStats = hostStats{OK: 3, Changed: 1}

func TestAnsible_Run(t *testing.T) {
	t.Parallel()
	requireAnsible(t)
	for name, tc := range map[string]struct {
		// files are copied from testdata into the repository; default
		// site.yml.
		files    []string
		playbook string
		// inventory lines; default one local host, "localhost".
		inventory []string
		setup     func(t *testing.T, req *executor.RunRequest)
		want      executor.Result
		// wantHosts, when set, is the recap expected in the summary.
		wantHosts map[string]hostStats
		// wantOutput are texts the output contains, colours stripped;
		// notOutput texts it does not.
		wantOutput, notOutput []string
		// wantSystem are the plugin's own lines (galaxy steps).
		wantSystem []string
		check      func(t *testing.T, req executor.RunRequest, run plugintest.RunResult)
	}{
		"a local playbook succeeds and its recap becomes the summary": {
			setup: func(_ *testing.T, r *executor.RunRequest) {
				r.ExtraVars = json.RawMessage(`{"greeting": "hello world", "survey": {"count": 3}}`)
			},
			wantHosts:  map[string]hostStats{"localhost": okStats},
			wantOutput: []string{"greeting=hello world count=3 check=False diff=False", "tagged task ran"},
			check: func(t *testing.T, req executor.RunRequest, run plugintest.RunResult) {
				if !slices.ContainsFunc(run.Lines(), func(l executor.Line) bool { return strings.Contains(l.Text, "\x1b[") }) {
					t.Error("no line has ANSI colours; want them kept")
				}
				// The extra vars file went with the secrets folder.
				left, _ := filepath.Glob(filepath.Join(req.TempDir, "*", extraVarsFile))
				if len(left) > 0 {
					t.Errorf("extra vars files left behind: %q", left)
				}
			},
		},
		"the request's run flags turn on check and diff mode": {
			setup: func(_ *testing.T, r *executor.RunRequest) { r.DryRun, r.Diff = true, true },
			// command is skipped in check mode.
			wantHosts:  map[string]hostStats{"localhost": {OK: 2, Skipped: 1}},
			wantOutput: []string{"check=True diff=True"},
		},
		"task params win over the request's flags and the template params": {
			inventory: []string{localHost("h1"), localHost("h2")},
			setup: func(_ *testing.T, r *executor.RunRequest) {
				r.TemplateParams = json.RawMessage(`{"limit": ["h2"], "dry_run": true}`)
				r.Limit = "h2"
				r.TaskParams = json.RawMessage(`{"limit": ["h1"], "tags": ["extra"], "dry_run": false}`)
			},
			wantHosts:  map[string]hostStats{"h1": {OK: 1}},
			wantOutput: []string{"tagged task ran"},
			notOutput:  []string{"greeting="},
		},
		"the request's limit wins over the template's, and skip_tags skips": {
			inventory: []string{localHost("h1"), localHost("h2")},
			setup: func(_ *testing.T, r *executor.RunRequest) {
				r.TemplateParams = json.RawMessage(`{"limit": ["h1"], "skip_tags": ["extra"]}`)
				r.Limit = "h2"
			},
			wantHosts: map[string]hostStats{"h2": {OK: 2, Changed: 1}},
			notOutput: []string{"tagged task ran"},
		},
		"arguments come after the playbook and win over extra vars": {
			setup: func(_ *testing.T, r *executor.RunRequest) {
				r.ExtraVars = json.RawMessage(`{"greeting": "from-extra-vars"}`)
				r.Arguments = []string{"-e", "greeting=from-arguments"}
			},
			wantHosts:  map[string]hostStats{"localhost": okStats},
			wantOutput: []string{"greeting=from-arguments"},
		},
		"env and secrets that are not credentials reach the playbook's environment": {
			files: []string{"env.yml"}, playbook: "env.yml",
			setup: func(_ *testing.T, r *executor.RunRequest) {
				r.Env = map[string]string{"APP_MODE": "blue", "ANSIBLE_HOST_KEY_CHECKING": "True"}
				r.Secrets = map[string]string{"DB_PASSWORD": "s3cr3t-value"}
			},
			wantHosts:  map[string]hostStats{"localhost": {OK: 1}},
			wantOutput: []string{"db=s3cr3t-value mode=blue hostkeys=True task="},
		},
		"a failing playbook ends as error with its recap": {
			files: []string{"fail.yml"}, playbook: "fail.yml",
			want:       executor.Result{ExitCode: 2, Error: "ansible-playbook failed: one or more hosts failed (exit code 2)"},
			wantHosts:  map[string]hostStats{"localhost": {OK: 1, Failed: 1}},
			wantOutput: []string{"this task fails on purpose"},
		},
		"a playbook that does not parse is a parser error": {
			playbook: "broken.yml",
			setup: func(t *testing.T, r *executor.RunRequest) {
				writeFile(t, filepath.Join(r.WorkDir, "broken.yml"), "- hosts: all\n  tasks: [\n", 0o644)
			},
			want:       executor.Result{ExitCode: 4, Error: "ansible-playbook failed: parser error (exit code 4)"},
			wantOutput: []string{"Syntax Error while loading YAML"},
		},
		"an unreachable host ends as error": {
			setup: func(t *testing.T, r *executor.RunRequest) {
				writeFile(t, r.InventoryFile, fmt.Sprintf("gone ansible_host=127.0.0.1 ansible_port=%d ansible_user=root\n", freePort(t)), 0o600)
			},
			want:       executor.Result{ExitCode: 4, Error: "ansible-playbook failed: one or more hosts were unreachable (exit code 4)"},
			wantHosts:  map[string]hostStats{"gone": {OK: 1, Unreachable: 1}},
			wantOutput: []string{"UNREACHABLE!"},
		},
		"an inventory that does not parse ends as error": {
			inventory:  []string{"[web", "host1"},
			want:       executor.Result{ExitCode: 1, Error: "ansible-playbook failed: error (exit code 1)"},
			wantOutput: []string{"No inventory was parsed"},
		},
		"a missing inventory file fails before the run": {
			setup: func(_ *testing.T, r *executor.RunRequest) { r.InventoryFile = "hosts.ini" },
			want:  executor.Result{ExitCode: -1, Error: `inventory file "hosts.ini" not found`},
		},
		"a missing playbook fails before the run": {
			playbook: "nope.yml",
			want:     executor.Result{ExitCode: -1, Error: `playbook "nope.yml" not found in repository`},
		},
		"an absolute playbook path is refused": {
			playbook: "/etc/hostname",
			want: executor.Result{ExitCode: -1,
				Error: `playbook "/etc/hostname" is an absolute path; give a path relative to the repository`},
		},
		"a playbook path leaving the repository is refused": {
			playbook: "sub/../../site.yml",
			want:     executor.Result{ExitCode: -1, Error: `playbook "sub/../../site.yml" is outside the repository`},
		},
		"unknown task params fail": {
			setup: func(_ *testing.T, r *executor.RunRequest) { r.TaskParams = json.RawMessage(`{"nope": 1}`) },
			want:  executor.Result{ExitCode: -1, Error: `invalid task params: json: unknown field "nope"`},
		},
		"a verbosity out of range fails": {
			setup: func(_ *testing.T, r *executor.RunRequest) { r.TaskParams = json.RawMessage(`{"verbosity": 5}`) },
			want:  executor.Result{ExitCode: -1, Error: "invalid params: verbosity 5 is out of range 0-4"},
		},
		"extra vars that are not an object fail": {
			setup: func(_ *testing.T, r *executor.RunRequest) { r.ExtraVars = json.RawMessage(`[1]`) },
			want:  executor.Result{ExitCode: -1, Error: "extra vars: want a JSON object"},
		},
		"an unknown app fails": {
			setup: func(_ *testing.T, r *executor.RunRequest) { r.App = "terraform" },
			want:  executor.Result{ExitCode: -1, Error: `unknown app "terraform"`},
		},
		"the vault_password secret opens a vault-encrypted vars file": {
			files: []string{"vault.yml"}, playbook: "vault.yml",
			setup: func(t *testing.T, r *executor.RunRequest) {
				writeVaultedVars(t, r.WorkDir, "vault-pass-1", "")
				r.Secrets = map[string]string{SecretVaultPassword: "vault-pass-1"}
			},
			wantHosts:  map[string]hostStats{"localhost": {OK: 1}},
			wantOutput: []string{"vaulted=opened"},
		},
		"a vault id's password comes from its vault_password:<id> secret": {
			files: []string{"vault.yml"}, playbook: "vault.yml",
			setup: func(t *testing.T, r *executor.RunRequest) {
				writeVaultedVars(t, r.WorkDir, "vault-pass-2", "prod")
				r.Secrets = map[string]string{SecretVaultPasswordPrefix + "prod": "vault-pass-2"}
			},
			wantHosts:  map[string]hostStats{"localhost": {OK: 1}},
			wantOutput: []string{"vaulted=opened"},
		},
		"a vault password script of the repository opens the vault": {
			files: []string{"vault.yml"}, playbook: "vault.yml",
			setup: func(t *testing.T, r *executor.RunRequest) {
				writeVaultedVars(t, r.WorkDir, "vault-pass-3", "prod")
				writeFile(t, filepath.Join(r.WorkDir, "scripts", "vault-pass.sh"), "#!/bin/sh\necho vault-pass-3\n", 0o755)
				r.TemplateParams = json.RawMessage(`{"vault_password_scripts": [{"id": "prod", "path": "scripts/vault-pass.sh"}]}`)
			},
			wantHosts:  map[string]hostStats{"localhost": {OK: 1}},
			wantOutput: []string{"vaulted=opened"},
		},
		"a wrong vault password ends as error": {
			files: []string{"vault.yml"}, playbook: "vault.yml",
			setup: func(t *testing.T, r *executor.RunRequest) {
				writeVaultedVars(t, r.WorkDir, "vault-pass-4", "")
				r.Secrets = map[string]string{SecretVaultPassword: "not-the-password"}
			},
			want:       executor.Result{ExitCode: 1, Error: "ansible-playbook failed: error (exit code 1)"},
			wantOutput: []string{"Decryption failed"},
		},
		"a vault password script outside the repository is refused": {
			setup: func(_ *testing.T, r *executor.RunRequest) {
				r.TemplateParams = json.RawMessage(`{"vault_password_scripts": [{"path": "../pass.sh"}]}`)
			},
			want: executor.Result{ExitCode: -1, Error: `vault password script "../pass.sh" is outside the repository`},
		},
		"roles and collections of the requirements files are installed for the run": {
			files: []string{"galaxy.yml"}, playbook: "galaxy.yml",
			setup: func(t *testing.T, r *executor.RunRequest) {
				writeFile(t, filepath.Join(r.WorkDir, "roles", "requirements.yml"),
					fmt.Sprintf("- src: file://%s\n  name: greeter\n", roleTarball(t)), 0o644)
				writeFile(t, filepath.Join(r.WorkDir, "collections", "requirements.yml"),
					fmt.Sprintf("collections:\n  - name: %s\n    type: dir\n", collectionDir(t)), 0o644)
			},
			wantHosts:  map[string]hostStats{"localhost": {OK: 2}},
			wantOutput: []string{"greeter was installed successfully", "greeter role ran", "collection role ran"},
			wantSystem: []string{
				"ansible-galaxy role install -r roles/requirements.yml",
				"ansible-galaxy collection install -r collections/requirements.yml",
			},
		},
		"a failing galaxy install ends the task before the playbook": {
			setup: func(t *testing.T, r *executor.RunRequest) {
				writeFile(t, filepath.Join(r.WorkDir, "roles", "requirements.yml"),
					"- src: file:///nonexistent/signalbox-role.tar.gz\n  name: missing\n", 0o644)
			},
			want:       executor.Result{ExitCode: 1, Error: "ansible-galaxy role install -r roles/requirements.yml failed (exit code 1)"},
			wantOutput: []string{"missing was NOT installed successfully"},
			notOutput:  []string{"PLAY ["},
			wantSystem: []string{"ansible-galaxy role install -r roles/requirements.yml"},
		},
		"skip_galaxy_install skips the install": {
			setup: func(t *testing.T, r *executor.RunRequest) {
				writeFile(t, filepath.Join(r.WorkDir, "requirements.yml"),
					"roles:\n  - src: file:///nonexistent/signalbox-role.tar.gz\n    name: missing\n", 0o644)
				r.TaskParams = json.RawMessage(`{"skip_galaxy_install": true}`)
			},
			wantHosts: map[string]hostStats{"localhost": okStats},
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			files, playbook := tc.files, tc.playbook
			if files == nil {
				files = []string{"site.yml"}
			}
			if playbook == "" {
				playbook = "site.yml"
			}
			inventory := tc.inventory
			if inventory == nil {
				inventory = []string{localHost("localhost")}
			}
			req := request(t, newRepo(t, files...), playbook, inventory...)
			if tc.setup != nil {
				tc.setup(t, &req)
			}
			run := plugintest.Run(t, plugintest.Executor(t, New()), req)
			if run.Err != nil {
				t.Fatalf("Run() error = %v", run.Err)
			}
			if run.Result.ExitCode != tc.want.ExitCode || run.Result.Error != tc.want.Error {
				t.Errorf("Run() = %d %q, want %d %q; output:\n%s",
					run.Result.ExitCode, run.Result.Error, tc.want.ExitCode, tc.want.Error, run.Text())
			}
			if tc.wantHosts != nil {
				want := &summary{Hosts: tc.wantHosts}
				for _, s := range tc.wantHosts {
					want.Totals.add(s)
				}
				var got *summary
				if err := json.Unmarshal(run.Result.Summary, &got); err != nil {
					t.Errorf("summary %s: %v", run.Result.Summary, err)
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("summary mismatch (-want +got):\n%s", diff)
				}
			}
			text := plainText(run.Recorder)
			for _, s := range tc.wantOutput {
				if !strings.Contains(text, s) {
					t.Errorf("output lacks %q; output:\n%s", s, text)
				}
			}
			for _, s := range tc.notOutput {
				if strings.Contains(text, s) {
					t.Errorf("output has %q; output:\n%s", s, text)
				}
			}
			if got := texts(run.Lines(), executor.StreamSystem); !slices.Equal(got, nonNil(tc.wantSystem)) {
				t.Errorf("system lines = %q, want %q", got, tc.wantSystem)
			}
			started := tc.want.ExitCode >= 0
			if want := map[bool][]string{true: {"running"}, false: nil}[started]; !slices.Equal(run.Statuses(), want) {
				t.Errorf("statuses = %q, want %q", run.Statuses(), want)
			}
			requireGroupsGone(t, run.Recorder)
			requireCleanedUp(t, req)
			if tc.check != nil {
				tc.check(t, req, run)
			}
		})
	}
}

// requireCleanedUp checks that a task left no secret files and no socket
// folder behind.
func requireCleanedUp(t *testing.T, req executor.RunRequest) {
	t.Helper()
	if left, _ := filepath.Glob(filepath.Join(req.TempDir, "secrets-*")); len(left) > 0 {
		t.Errorf("secret folders left behind: %q", left)
	}
	if left, _ := filepath.Glob(filepath.Join(os.TempDir(), fmt.Sprintf("sbx-ansible-%d-*", req.TaskID))); len(left) > 0 {
		t.Errorf("socket folders left behind: %q", left)
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func TestAnsible_Describe(t *testing.T) {
	t.Parallel()
	requireAnsible(t)
	d, err := plugintest.Executor(t, New()).Describe(t.Context())
	if err != nil {
		t.Fatalf("Describe() error = %v", err)
	}
	if d.Name != "ansible" || d.Version != Version || len(d.Apps) != 1 {
		t.Fatalf("Describe() = %+v, want plugin ansible %s with one app", d, Version)
	}
	a := d.Apps[0]
	if a.ID != appID || !strings.HasPrefix(a.Version, "ansible-playbook [core ") {
		t.Errorf("app = %q version %q, want ansible, ansible-playbook [core …]", a.ID, a.Version)
	}

	// The schemas compile, as the server compiles them, and accept and
	// refuse what they should.
	for name, tc := range map[string]struct {
		schema       json.RawMessage
		valid, wrong []string
	}{
		"task": {
			schema: a.TaskSchema,
			valid: []string{`{}`, `{"debug": true, "dry_run": true, "diff": false, "limit": ["web", "db"],
				"tags": ["a"], "skip_tags": ["b"], "skip_galaxy_install": true, "verbosity": 4}`},
			wrong: []string{`{"verbosity": 5}`, `{"limit": "web"}`, `{"nope": 1}`, `{"tags": [""]}`,
				`{"vault_password_scripts": []}`},
		},
		"template": {
			schema: a.TemplateSchema,
			valid: []string{`{}`, `{"limit": ["web"], "vault_password_scripts": [{"path": "pass.sh"},
				{"id": "prod", "path": "scripts/prod-pass.sh"}]}`},
			wrong: []string{`{"vault_password_scripts": [{"id": "prod"}]}`,
				`{"vault_password_scripts": [{"id": "a@b", "path": "x"}]}`,
				`{"vault_password_scripts": [{"path": "x", "password": "p"}]}`},
		},
	} {
		t.Run(name+" schema validates parameters", func(t *testing.T) {
			doc, err := jsonschema.UnmarshalJSON(strings.NewReader(string(tc.schema)))
			if err != nil {
				t.Fatal(err)
			}
			c := jsonschema.NewCompiler()
			if err := c.AddResource("schema.json", doc); err != nil {
				t.Fatal(err)
			}
			sch, err := c.Compile("schema.json")
			if err != nil {
				t.Fatalf("compile %s: %v", tc.schema, err)
			}
			for _, p := range tc.valid {
				inst, _ := jsonschema.UnmarshalJSON(strings.NewReader(p))
				if err := sch.Validate(inst); err != nil {
					t.Errorf("%s: %v, want valid", p, err)
				}
			}
			for _, p := range tc.wrong {
				inst, _ := jsonschema.UnmarshalJSON(strings.NewReader(p))
				if err := sch.Validate(inst); err == nil {
					t.Errorf("%s is valid, want invalid", p)
				}
			}
		})
	}
}

func TestAnsible_WithoutAnsible(t *testing.T) {
	t.Parallel()
	// A PATH with no Ansible on it.
	a := &Ansible{env: []string{"PATH=" + t.TempDir(), "HOME=" + os.Getenv("HOME")}}
	client := plugintest.Executor(t, a)

	t.Run("the app is described without a version", func(t *testing.T) {
		d, err := client.Describe(t.Context())
		if err != nil || len(d.Apps) != 1 || d.Apps[0].ID != appID || d.Apps[0].Version != "" {
			t.Fatalf("Describe() = %+v, %v; want the ansible app with no version", d, err)
		}
	})
	t.Run("a task fails with a clear reason", func(t *testing.T) {
		req := request(t, newRepo(t, "site.yml"), "site.yml", localHost("localhost"))
		run := plugintest.Run(t, client, req)
		want := "ansible-playbook not found on PATH: install Ansible (ansible-core 2.12 or later) on the Signalbox server"
		if run.Err != nil || run.Result.ExitCode != -1 || run.Result.Error != want {
			t.Fatalf("Run() = %+v, %v; want exit -1 %q", run.Result, run.Err, want)
		}
	})
}

func TestAnsible_Conformance(t *testing.T) {
	t.Parallel()
	requireAnsible(t)
	plugintest.ExecutorConformance(t, New(), plugintest.Conformance{
		Succeeds: func(t *testing.T) executor.RunRequest {
			return request(t, newRepo(t, "site.yml"), "site.yml", localHost("localhost"))
		},
		LongRunning: func(t *testing.T) executor.RunRequest {
			// The suite stops the task at its first sign of life, when
			// Ansible may still miss a SIGINT: then the grace period ends it.
			req := request(t, newRepo(t, "long.yml"), "long.yml", localHost("localhost"))
			req.StopGracePeriod = 5 * time.Second
			return req
		},
	})
}
