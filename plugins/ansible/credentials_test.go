package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/signalbox/signalbox/sdk/executor"
	"github.com/signalbox/signalbox/sdk/plugintest"
)

func TestPrepareCredentials(t *testing.T) {
	t.Parallel()
	t.Run("secrets become owner-only files named by options", func(t *testing.T) {
		t.Parallel()
		tmp := t.TempDir()
		secrets := map[string]string{
			executor.SecretSSHUser:        "deploy",
			executor.SecretSSHPrivateKey:  "-----BEGIN KEY-----\r\nabc\r\n-----END KEY-----",
			executor.SecretSSHPassword:    "login-pw",
			executor.SecretBecomeUser:     "admin",
			executor.SecretBecomePassword: "become-pw",
			SecretVaultPassword:           "vault-default",
			"vault_password:prod":         "vault-prod",
			"vault_password:dev":          "vault-dev",
			"DB_PASSWORD":                 "not-a-credential",
		}
		c, err := prepareCredentials(t.Context(), credentialSetup{
			req: executor.RunRequest{Secrets: secrets}, tempDir: tmp, sockDir: tmp,
		}, &plugintest.Recorder{})
		if err != nil {
			t.Fatal(err)
		}
		d := c.dir
		want := []string{
			"--user=deploy",
			"--private-key=" + filepath.Join(d, "ssh_key"),
			"--connection-password-file=" + filepath.Join(d, "connection_password"),
			"--become-password-file=" + filepath.Join(d, "become_password"),
			"--vault-password-file=" + filepath.Join(d, "vault_password"),
			// Sorted by secret name.
			"--vault-id=dev@" + filepath.Join(d, "vault_password_1"),
			"--vault-id=prod@" + filepath.Join(d, "vault_password_2"),
		}
		if diff := cmp.Diff(want, c.args); diff != "" {
			t.Errorf("args mismatch (-want +got):\n%s", diff)
		}
		if c.becomeUser != "admin" {
			t.Errorf("become user = %q, want admin", c.becomeUser)
		}
		for _, a := range c.args {
			for name, v := range secrets {
				if name != executor.SecretSSHUser && strings.Contains(a, v) {
					t.Errorf("option %q holds the secret %s", a, name)
				}
			}
		}
		if info, err := os.Stat(d); err != nil || info.Mode().Perm() != 0o700 || filepath.Dir(d) != tmp {
			t.Errorf("secrets dir %s: %v, %v; want mode 0700 in the temp dir", d, info, err)
		}
		files := map[string]string{
			"ssh_key":             "-----BEGIN KEY-----\nabc\n-----END KEY-----\n",
			"connection_password": "login-pw",
			"become_password":     "become-pw",
			"vault_password":      "vault-default",
			"vault_password_2":    "vault-prod",
		}
		for name, content := range files {
			p := filepath.Join(d, name)
			b, err := os.ReadFile(p)
			info, serr := os.Stat(p)
			if err != nil || serr != nil || string(b) != content || info.Mode().Perm() != 0o600 {
				t.Errorf("%s = %q (%v, %v), want %q with mode 0600", name, b, err, info, content)
			}
		}
		c.close()
		if _, err := os.Stat(d); !os.IsNotExist(err) {
			t.Errorf("secrets dir after close: %v, want it removed", err)
		}
	})

	t.Run("an invalid vault id in a secret name fails", func(t *testing.T) {
		t.Parallel()
		c, err := prepareCredentials(t.Context(), credentialSetup{
			req:     executor.RunRequest{Secrets: map[string]string{"vault_password:a,b": "x"}},
			tempDir: t.TempDir(),
		}, &plugintest.Recorder{})
		defer c.close()
		if err == nil || err.Error() != `secret "vault_password:a,b": invalid vault id "a,b"` {
			t.Fatalf("prepareCredentials() error = %v", err)
		}
	})

	t.Run("only secrets that are not credentials go to the environment", func(t *testing.T) {
		t.Parallel()
		got := envSecrets(map[string]string{
			executor.SecretSSHPrivateKey: "k", "vault_password:x": "v", SecretVaultPassword: "v", "API_TOKEN": "t",
		})
		if diff := cmp.Diff(map[string]string{"API_TOKEN": "t"}, got); diff != "" {
			t.Errorf("envSecrets mismatch (-want +got):\n%s", diff)
		}
	})
}

func TestWriteExtraVars(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		raw, becomeUser string
		want            string // file content; "" for no file
	}{
		"no extra vars, no file":              {},
		"an empty object, no file":            {raw: "{}"},
		"extra vars are written as given":     {raw: `{"b": 1, "a": [2]}`, want: `{"b": 1, "a": [2]}`},
		"the become user is added":            {raw: `{"a": 1}`, becomeUser: "admin", want: `{"a":1,"ansible_become_user":"admin"}`},
		"extra vars win over the become user": {raw: `{"ansible_become_user": "x"}`, becomeUser: "admin", want: `{"ansible_become_user": "x"}`},
		"the become user alone":               {becomeUser: "admin", want: `{"ansible_become_user":"admin"}`},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p, err := writeExtraVars(t.TempDir(), []byte(tc.raw), tc.becomeUser)
			if err != nil {
				t.Fatal(err)
			}
			if tc.want == "" {
				if p != "" {
					t.Errorf("wrote %s, want no file", p)
				}
				return
			}
			b, err := os.ReadFile(p)
			if err != nil || string(b) != tc.want {
				t.Errorf("file = %q, %v; want %q", b, err, tc.want)
			}
			if info, err := os.Stat(p); err != nil || info.Mode().Perm() != 0o600 {
				t.Errorf("file mode: %v, %v; want 0600", info, err)
			}
		})
	}
}

func TestGalaxySteps(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		files map[string]string
		want  []galaxyStep
	}{
		"no requirements file, no step": {},
		"roles and collections folders": {
			files: map[string]string{"roles/requirements.yml": "- src: a\n", "collections/requirements.yml": "collections: []\n"},
			want:  []galaxyStep{{"role", "roles/requirements.yml"}, {"collection", "collections/requirements.yml"}},
		},
		"a root file with both kinds installs both": {
			files: map[string]string{"requirements.yml": "---\nroles:\n  - src: a\ncollections:\n  - name: b.c\n"},
			want:  []galaxyStep{{"role", "requirements.yml"}, {"collection", "requirements.yml"}},
		},
		"a root file with collections only": {
			files: map[string]string{"requirements.yml": "collections:\n  - name: b.c\n"},
			want:  []galaxyStep{{"collection", "requirements.yml"}},
		},
		"a root file in the list format is roles": {
			files: map[string]string{"requirements.yml": "- src: a\n  name: roles\n"},
			want:  []galaxyStep{{"role", "requirements.yml"}},
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			repo := t.TempDir()
			for p, c := range tc.files {
				writeFile(t, filepath.Join(repo, p), c, 0o644)
			}
			got, err := galaxySteps(repo)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(galaxyStep{})); diff != "" {
				t.Errorf("steps mismatch (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("a requirements file linked from outside the repository is refused", func(t *testing.T) {
		t.Parallel()
		repo := t.TempDir()
		outside := filepath.Join(t.TempDir(), "req.yml")
		writeFile(t, outside, "- src: a\n", 0o644)
		if err := os.Symlink(outside, filepath.Join(repo, "requirements.yml")); err != nil {
			t.Fatal(err)
		}
		_, err := galaxySteps(repo)
		if err == nil || err.Error() != `requirements file "requirements.yml" is outside the repository (through a symlink)` {
			t.Fatalf("galaxySteps() error = %v", err)
		}
	})
}
