package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/signalbox/signalbox/sdk/executor"
	"github.com/signalbox/signalbox/sdk/plugintest"
)

// TestAnsible_SSH runs playbooks on a host reached through an sshd of the
// test's own, logging in with the keys of the task's secrets.
func TestAnsible_SSH(t *testing.T) {
	t.Parallel()
	requireAnsible(t)
	plain, protected := newSSHKey(t, ""), newSSHKey(t, "correct horse battery")
	port := startSSHD(t, plain, protected)

	for name, tc := range map[string]struct {
		secrets   map[string]string
		want      executor.Result
		wantHosts map[string]hostStats
	}{
		"a private key from the secrets logs in": {
			secrets: map[string]string{
				executor.SecretSSHUser: "root", executor.SecretSSHPrivateKey: plain.private,
			},
			wantHosts: map[string]hostStats{"remote": okStats},
		},
		"a key with a passphrase logs in through the task's own agent": {
			secrets: map[string]string{
				executor.SecretSSHUser: "root", executor.SecretSSHPrivateKey: protected.private,
				executor.SecretSSHPassphrase: "correct horse battery",
			},
			wantHosts: map[string]hostStats{"remote": okStats},
		},
		"a wrong passphrase fails before the playbook runs": {
			secrets: map[string]string{
				executor.SecretSSHUser: "root", executor.SecretSSHPrivateKey: protected.private,
				executor.SecretSSHPassphrase: "wrong horse",
			},
			want: executor.Result{ExitCode: -1,
				Error: "ssh-add could not load the SSH key: wrong passphrase or invalid key (exit code 1)"},
		},
		"a key sshd does not know leaves the host unreachable": {
			secrets: map[string]string{
				executor.SecretSSHUser: "root", executor.SecretSSHPrivateKey: newSSHKey(t, "").private,
			},
			want: executor.Result{ExitCode: 4, Error: "ansible-playbook failed: one or more hosts were unreachable (exit code 4)"},
			// debug runs on the controller: ok=1.
			wantHosts: map[string]hostStats{"remote": {OK: 1, Unreachable: 1}},
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			req := request(t, newRepo(t, "site.yml"), "site.yml", sshHost("remote", port))
			// HOME without keys: only the task's key may log in.
			req.Env = map[string]string{"HOME": t.TempDir()}
			req.Secrets = tc.secrets
			run := plugintest.Run(t, plugintest.Executor(t, New()), req)
			if run.Err != nil || run.Result.ExitCode != tc.want.ExitCode || run.Result.Error != tc.want.Error {
				t.Fatalf("Run() = %d %q, %v; want %d %q; output:\n%s",
					run.Result.ExitCode, run.Result.Error, run.Err, tc.want.ExitCode, tc.want.Error, run.Text())
			}
			if tc.wantHosts != nil {
				want := &summary{Hosts: tc.wantHosts}
				for _, s := range tc.wantHosts {
					want.Totals.add(s)
				}
				var got *summary
				_ = json.Unmarshal(run.Result.Summary, &got)
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("summary mismatch (-want +got):\n%s\noutput:\n%s", diff, run.Text())
				}
			}
			requireGroupsGone(t, run.Recorder)
			requireCleanedUp(t, req)
			// The agent and the SSH control master are gone too: both
			// have the task's socket folder in their command line.
			requireNoProcess(t, 5*time.Second, fmt.Sprintf("sbx-ansible-%d-", req.TaskID), req.TempDir)
		})
	}
}

// TestAnsible_SecretsAndStop runs a playbook that uses every kind of
// secret over SSH and sleeps. While it sleeps, no process has a secret in
// its command line. A graceful stop then ends it, leaving no process.
func TestAnsible_SecretsAndStop(t *testing.T) {
	t.Parallel()
	requireAnsible(t)
	key := newSSHKey(t, "agent-passphrase-7f3a")
	port := startSSHD(t, key)

	repo := newRepo(t, "secrets.yml")
	writeVaultedVars(t, repo, "vault-password-9c1e", "")
	req := request(t, repo, "secrets.yml", sshHost("remote", port))
	const sleep = "7321"
	req.ExtraVars = json.RawMessage(`{"sleep_seconds": ` + sleep + `}`)
	req.Env = map[string]string{"HOME": t.TempDir()}
	req.Secrets = map[string]string{
		executor.SecretSSHUser:        "root",
		executor.SecretSSHPrivateKey:  key.private,
		executor.SecretSSHPassphrase:  "agent-passphrase-7f3a",
		executor.SecretSSHPassword:    "login-password-5b2d",
		executor.SecretBecomeUser:     "root",
		executor.SecretBecomePassword: "become-password-e4f0",
		SecretVaultPassword:           "vault-password-9c1e",
		"DB_PASSWORD":                 "env-secret-81d7",
	}
	// Lines of the private key, long enough to be unique.
	needles := []string{}
	for name, v := range req.Secrets {
		switch name {
		case executor.SecretSSHUser, executor.SecretBecomeUser:
		case executor.SecretSSHPrivateKey:
			for l := range strings.Lines(v) {
				if l = strings.TrimSpace(l); len(l) > 40 {
					needles = append(needles, l)
				}
			}
		default:
			needles = append(needles, v)
		}
	}

	client := plugintest.Executor(t, New())
	rec, done := start(t, client, req, `"msg": "ready"`)
	if text := plainText(rec); !strings.Contains(text, "env_secret=env-secret-81d7 vaulted=opened") {
		t.Errorf("the playbook did not print its secrets (the host masks them, not the plugin); output:\n%s", text)
	}

	// Sample every command line until the playbook sleeps on the host,
	// and a while longer.
	sawPlaybook, sawSSH, sawSleep := false, false, false
	minimum, limit := time.Now().Add(time.Second), time.Now().Add(60*time.Second)
	for (!sawSleep || time.Now().Before(minimum)) && time.Now().Before(limit) {
		for _, p := range processes(t) {
			for _, n := range needles {
				if strings.Contains(p.cmdline, n) {
					t.Errorf("process %d has a secret in its command line: %s", p.pid, p.cmdline)
				}
			}
			sawPlaybook = sawPlaybook || strings.Contains(p.cmdline, "ansible-playbook")
			sawSSH = sawSSH || strings.HasPrefix(p.cmdline, "ssh ")
			sawSleep = sawSleep || p.cmdline == "sleep "+sleep
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !sawPlaybook || !sawSSH || !sawSleep {
		t.Errorf("sampled ansible-playbook %v, ssh %v, the remote sleep %v; want all seen", sawPlaybook, sawSSH, sawSleep)
	}

	stoppedAt := time.Now()
	if found, err := client.Stop(t.Context(), req.TaskID, false); err != nil || !found {
		t.Fatalf("Stop() = %v, %v; want true, nil", found, err)
	}
	r := wait(t, done, req.StopGracePeriod+10*time.Second)
	if took := time.Since(stoppedAt); took > req.StopGracePeriod {
		t.Errorf("the stop took %v, more than the grace period: SIGINT did not end ansible-playbook", took)
	}
	// Ansible ends on SIGINT with its own exit code: it was not killed.
	want := executor.Result{ExitCode: 99, Error: "task stopped (exit code 99)", Stopped: true}
	if r.Err != nil || r.Result.ExitCode != want.ExitCode || r.Result.Error != want.Error || !r.Result.Stopped {
		t.Errorf("Run() = %+v, %v; want %+v; output:\n%s", r.Result, r.Err, want, r.Text())
	}
	requireGroupsGone(t, rec)
	requireCleanedUp(t, req)
	requireNoProcess(t, 10*time.Second,
		fmt.Sprintf("sbx-ansible-%d-", req.TaskID), req.TempDir, filepath.Join(repo, "secrets.yml"), "sleep "+sleep)
	if entries, err := os.ReadDir(req.TempDir); err == nil {
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), "secrets-") {
				t.Errorf("secret folder %s left behind", e.Name())
			}
		}
	}
}
