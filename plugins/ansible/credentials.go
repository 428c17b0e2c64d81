package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/signalbox/signalbox/sdk/executor"
	"github.com/signalbox/signalbox/sdk/process"
	"github.com/signalbox/signalbox/sdk/workspace"
)

// Secret names for Ansible Vault, next to the SDK's well-known names. The
// host masks every secret value in the task's output.
const (
	// SecretVaultPassword is the password of the default vault id.
	SecretVaultPassword = "vault_password"
	// SecretVaultPasswordPrefix, followed by a vault id label, names the
	// password of that vault id: "vault_password:prod".
	SecretVaultPasswordPrefix = "vault_password:"
)

// credentialSecrets are the secret names the plugin consumes itself; any
// other secret is exported to the playbook as an environment variable.
var credentialSecrets = map[string]bool{
	executor.SecretSSHUser:        true,
	executor.SecretSSHPrivateKey:  true,
	executor.SecretSSHPassphrase:  true,
	executor.SecretSSHPassword:    true,
	executor.SecretBecomeUser:     true,
	executor.SecretBecomePassword: true,
	SecretVaultPassword:           true,
}

func isCredentialSecret(name string) bool {
	return credentialSecrets[name] || strings.HasPrefix(name, SecretVaultPasswordPrefix)
}

// envSecrets returns the secrets that are not credentials.
func envSecrets(secrets map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range secrets {
		if !isCredentialSecret(k) {
			out[k] = v
		}
	}
	return out
}

// credentials are what the task's secrets become: files in a private
// folder, the options that name them, and an SSH agent for a key with a
// passphrase. No secret value is ever put on a command line.
type credentials struct {
	// dir holds the secret files (0700, files 0600).
	dir string
	// args are ansible-playbook's options.
	args []string
	// agentSock is SSH_AUTH_SOCK when an agent holds the key.
	agentSock string
	// becomeUser is the login of the become key, for ansible_become_user.
	becomeUser string

	stopAgent func()
}

// close stops the agent and removes the secret files.
func (c *credentials) close() {
	if c.stopAgent != nil {
		c.stopAgent()
		c.stopAgent = nil
	}
	if c.dir != "" {
		_ = os.RemoveAll(c.dir)
	}
}

// write stores a secret in a file of c.dir readable by the owner only.
func (c *credentials) write(name, value string) (string, error) {
	p := filepath.Join(c.dir, name)
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", fmt.Errorf("write %s: %w", name, err)
	}
	_, err = f.WriteString(value)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", fmt.Errorf("write %s: %w", name, err)
	}
	return p, nil
}

// credentialSetup is what prepareCredentials needs.
type credentialSetup struct {
	req executor.RunRequest
	// tempDir holds the folder of secret files.
	tempDir string
	// sockDir is a short path for the agent's socket.
	sockDir string
	// path is the PATH to find ssh-agent and ssh-add in.
	path string
	// env is the environment of ssh-add.
	env []string
}

// prepareCredentials turns req.Secrets into files and options. On error
// the caller must still call close on the result.
func prepareCredentials(ctx context.Context, s credentialSetup, out executor.Output) (*credentials, error) {
	dir, err := os.MkdirTemp(s.tempDir, "secrets-")
	if err != nil {
		return &credentials{}, fmt.Errorf("create secrets dir: %w", err)
	}
	c := &credentials{dir: dir}
	if err := os.Chmod(dir, 0o700); err != nil {
		return c, fmt.Errorf("create secrets dir: %w", err)
	}
	sec := s.req.Secrets

	if user := sec[executor.SecretSSHUser]; user != "" {
		c.args = append(c.args, "--user="+user)
	}
	if key := sec[executor.SecretSSHPrivateKey]; strings.TrimSpace(key) != "" {
		keyFile, err := c.write("ssh_key", normalizeKey(key))
		if err != nil {
			return c, err
		}
		if phrase := sec[executor.SecretSSHPassphrase]; phrase != "" {
			if err := c.startAgent(ctx, s, keyFile, phrase, out); err != nil {
				return c, err
			}
		} else {
			c.args = append(c.args, "--private-key="+keyFile)
		}
	}
	for _, pw := range []struct{ secret, file, option string }{
		{executor.SecretSSHPassword, "connection_password", "--connection-password-file="},
		{executor.SecretBecomePassword, "become_password", "--become-password-file="},
	} {
		if v := sec[pw.secret]; v != "" {
			p, err := c.write(pw.file, v)
			if err != nil {
				return c, err
			}
			c.args = append(c.args, pw.option+p)
		}
	}
	c.becomeUser = sec[executor.SecretBecomeUser]

	if v := sec[SecretVaultPassword]; v != "" {
		p, err := c.write("vault_password", v)
		if err != nil {
			return c, err
		}
		c.args = append(c.args, "--vault-password-file="+p)
	}
	n := 0
	for _, name := range slices.Sorted(maps.Keys(sec)) {
		id, ok := strings.CutPrefix(name, SecretVaultPasswordPrefix)
		if !ok || sec[name] == "" {
			continue
		}
		if !vaultIDPattern.MatchString(id) {
			return c, fmt.Errorf("secret %q: invalid vault id %q", name, id)
		}
		n++
		p, err := c.write(fmt.Sprintf("vault_password_%d", n), sec[name])
		if err != nil {
			return c, err
		}
		c.args = append(c.args, "--vault-id="+id+"@"+p)
	}
	return c, nil
}

// normalizeKey gives a PEM key Unix line breaks and a final one, which
// OpenSSH requires.
func normalizeKey(key string) string {
	key = strings.ReplaceAll(key, "\r\n", "\n")
	if !strings.HasSuffix(key, "\n") {
		key += "\n"
	}
	return key
}

// agentStartLimit bounds the wait for ssh-agent's socket.
const agentStartLimit = 10 * time.Second

// startAgent starts an ssh-agent for this task only and adds the key to
// it. ssh-add reads the passphrase through an askpass script that prints
// a file's content once: a wrong passphrase makes ssh-add give up rather
// than ask again.
func (c *credentials) startAgent(ctx context.Context, s credentialSetup, keyFile, phrase string, out executor.Output) error {
	agentPath, err := workspace.LookPath("ssh-agent", s.path)
	if err != nil {
		return errors.New("the SSH key has a passphrase, and ssh-agent is not on PATH")
	}
	addPath, err := workspace.LookPath("ssh-add", s.path)
	if err != nil {
		return errors.New("the SSH key has a passphrase, and ssh-add is not on PATH")
	}
	phraseFile, err := c.write("ssh_passphrase", phrase)
	if err != nil {
		return err
	}
	askpass := filepath.Join(c.dir, "askpass")
	used := filepath.Join(c.dir, "askpass.used")
	script := "#!/bin/sh\n" +
		"[ -e " + shellQuote(used) + " ] && exit 1\n" +
		": > " + shellQuote(used) + "\n" +
		"exec cat " + shellQuote(phraseFile) + "\n"
	if err := os.WriteFile(askpass, []byte(script), 0o700); err != nil {
		return fmt.Errorf("write askpass script: %w", err)
	}

	sock := filepath.Join(s.sockDir, "agent.sock")
	// The agent outlives ctx: it is stopped by close, after the run.
	agentCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = process.Run(agentCtx, process.Command{
			Path: agentPath, Args: []string{"-D", "-a", sock},
			Env: s.env, GracePeriod: 2 * time.Second,
		}, quietOutput{out})
	}()
	c.stopAgent = func() { cancel(); <-done }

	deadline := time.NewTimer(agentStartLimit)
	defer deadline.Stop()
	for {
		// The socket file appears at bind, before the agent listens.
		if conn, err := net.Dial("unix", sock); err == nil {
			_ = conn.Close()
			break
		}
		select {
		case <-done:
			return errors.New("ssh-agent exited at start")
		case <-deadline.C:
			return fmt.Errorf("ssh-agent did not start within %v", agentStartLimit)
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-time.After(10 * time.Millisecond):
		}
	}
	c.agentSock = sock

	env := workspace.NewEnv(s.env)
	env.Set("SSH_AUTH_SOCK", sock)
	env.Set("SSH_ASKPASS", askpass)
	env.Set("SSH_ASKPASS_REQUIRE", "force")
	if _, ok := env.Get("DISPLAY"); !ok {
		// OpenSSH before 8.4 uses SSH_ASKPASS only when DISPLAY is set.
		env.Set("DISPLAY", ":0")
	}
	code, err := process.Run(ctx, process.Command{
		Path: addPath, Args: []string{keyFile}, Env: env.List(), GracePeriod: 2 * time.Second,
	}, out)
	// The agent holds the key now; the files are no longer needed.
	_ = os.Remove(phraseFile)
	_ = os.Remove(keyFile)
	switch {
	case err != nil:
		return fmt.Errorf("ssh-add: %w", err)
	case ctx.Err() != nil:
		return context.Cause(ctx)
	case code != 0:
		return fmt.Errorf("ssh-add could not load the SSH key: wrong passphrase or invalid key (exit code %d)", code)
	}
	return nil
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// quietOutput drops the lines of a helper process (ssh-agent prints its
// socket and pid) but reports its process group.
type quietOutput struct{ executor.Output }

func (quietOutput) Write(...executor.Line) error { return nil }

func (quietOutput) Status(string, string) error { return nil }
