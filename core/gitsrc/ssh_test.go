package gitsrc_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/signalbox/signalbox/core/gitsrc"
	"github.com/signalbox/signalbox/core/model"
)

func TestCache_Prepare_ssh(t *testing.T) {
	t.Parallel()
	o := newOrigin(t)
	plain := newClientKey(t, "")
	const passphrase = "open sesame"
	encrypted := newClientKey(t, passphrase)
	stranger := newClientKey(t, "")
	srv := newSSHGitServer(t, o.dir, plain.pub, encrypted.pub)

	sshKey := func(k clientKey, passphrase string) gitsrc.Source {
		return gitsrc.Source{URL: srv.url("git"), KeyType: model.KeySSH, Key: model.KeySecret{PrivateKey: k.pem, Passphrase: passphrase}}
	}
	for name, tc := range map[string]struct {
		src     gitsrc.Source
		wantErr []string
	}{
		"private key":                        {src: sshKey(plain, "")},
		"private key, passphrase not needed": {src: sshKey(plain, "unused")},
		"encrypted private key":              {src: sshKey(encrypted, passphrase)},
		"encrypted private key without passphrase": {
			src: sshKey(encrypted, ""), wantErr: []string{"ssh key for " + srv.url("git") + ": the private key is encrypted and the access key has no passphrase"},
		},
		"wrong passphrase": {
			src: sshKey(encrypted, "wr0ng-pass"), wantErr: []string{"ssh key for " + srv.url("git") + ": wrong passphrase for the private key"},
		},
		"not a key": {
			src:     sshKey(clientKey{pem: "-----BEGIN NOTHING-----\nc2VjcmV0LWtleS1ieXRlcw==\n-----END NOTHING-----\n"}, ""),
			wantErr: []string{"ssh key for " + srv.url("git") + ": cannot parse the private key"},
		},
		"key the server does not accept": {
			src: sshKey(stranger, ""), wantErr: []string{"clone " + srv.url("git") + ": ", "unable to authenticate"},
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			logs, err := prepareMain(t, tc.src, o.main.String(), tc.wantErr)
			for _, secret := range []string{passphrase, "wr0ng-pass", "unused", "c2VjcmV0LWtleS1ieXRlcw", pemBody(tc.src.Key.PrivateKey)} {
				if err != nil && strings.Contains(err.Error(), secret) {
					t.Errorf("error %q contains a secret", err)
				}
				if strings.Contains(logs.String(), secret) {
					t.Errorf("logs contain a secret:\n%s", logs)
				}
			}
		})
	}

	t.Run("ssh user is the login, else the url's user, else git", func(t *testing.T) {
		t.Parallel()
		srv := newSSHGitServer(t, o.dir, plain.pub)
		c, _ := newCache(t, gitsrc.Config{})
		for _, src := range []gitsrc.Source{
			{URL: srv.url("fromurl"), KeyType: model.KeySSH, Key: model.KeySecret{PrivateKey: plain.pem, Login: "fromlogin"}},
			{URL: srv.url("fromurl"), KeyType: model.KeySSH, Key: model.KeySecret{PrivateKey: plain.pem}},
			{URL: srv.url(""), KeyType: model.KeySSH, Key: model.KeySecret{PrivateKey: plain.pem}},
		} {
			if _, err := c.Prepare(timeout(t), src, dest(t)); err != nil {
				t.Fatalf("Prepare(%s) error = %v", src.URL, err)
			}
		}
		users := slices.Compact(srv.loggedInUsers())
		if want := []string{"fromlogin", "fromurl", "git"}; !slices.Equal(users, want) {
			t.Errorf("server saw users %q, want %q", users, want)
		}
	})

	t.Run("new commit appears on the next prepare", func(t *testing.T) {
		t.Parallel()
		o := newOrigin(t)
		srv := newSSHGitServer(t, o.dir, plain.pub)
		c, _ := newCache(t, gitsrc.Config{})
		src := gitsrc.Source{URL: srv.url("git"), Branch: "dev", KeyType: model.KeySSH, Key: model.KeySecret{PrivateKey: plain.pem}}
		if ws, err := c.Prepare(timeout(t), src, dest(t)); err != nil || ws.Commit != o.dev.String() {
			t.Fatalf("Prepare() = %+v, %v", ws, err)
		}
		wt := o.worktree()
		if err := wt.Checkout(&git.CheckoutOptions{Branch: plumbing.NewBranchReferenceName("dev")}); err != nil {
			t.Fatal(err)
		}
		next := o.commit("more.txt", "more\n", "more dev work")
		d := dest(t)
		ws, err := c.Prepare(timeout(t), src, d)
		if err != nil || ws.Commit != next.String() {
			t.Fatalf("Prepare() after a push = %+v, %v; want %s", ws, err, next)
		}
		if got := readFile(t, filepath.Join(d, "more.txt")); got != "more\n" {
			t.Errorf("more.txt = %q", got)
		}
	})
}

func TestCache_Prepare_sshPassword(t *testing.T) {
	t.Parallel()
	o := newOrigin(t)
	const password = "pa$$ 'word'"
	srv := newSSHGitServer(t, o.dir)
	srv.allowPassword("deploy", password)

	for name, tc := range map[string]struct {
		key     model.KeySecret
		wantErr []string
	}{
		"right password": {key: model.KeySecret{Login: "deploy", Password: password}},
		"wrong password": {
			key: model.KeySecret{Login: "deploy", Password: "wr0ng-pass"}, wantErr: []string{"clone " + srv.url("") + ": ", "unable to authenticate"},
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			logs, err := prepareMain(t, gitsrc.Source{URL: srv.url(""), KeyType: model.KeyLoginPassword, Key: tc.key}, o.main.String(), tc.wantErr)
			for _, secret := range []string{password, "wr0ng-pass"} {
				if (err != nil && strings.Contains(err.Error(), secret)) || strings.Contains(logs.String(), secret) {
					t.Errorf("error %v or logs contain a secret:\n%s", err, logs)
				}
			}
		})
	}
}

// prepareMain prepares src with a new cache: it must check out main at
// commit, or fail with a repository error naming wantErr when given. It
// returns the cache's log and the error.
func prepareMain(t *testing.T, src gitsrc.Source, commit string, wantErr []string) (*syncBuffer, error) {
	t.Helper()
	c, logs := newCache(t, gitsrc.Config{})
	d := dest(t)
	ws, err := c.Prepare(timeout(t), src, d)
	if wantErr == nil {
		if err != nil || ws.Commit != commit {
			t.Fatalf("Prepare() = %+v, %v", ws, err)
		}
		assertWorkspaceRepo(t, d, "main", commit)
	} else {
		wantRepoError(t, err, wantErr...)
	}
	return logs, err
}

func TestCache_Prepare_sshHostKeys(t *testing.T) {
	t.Parallel()
	o := newOrigin(t)
	key := newClientKey(t, "")
	srv := newSSHGitServer(t, o.dir, key.pub)
	src := gitsrc.Source{URL: srv.url("git"), KeyType: model.KeySSH, Key: model.KeySecret{PrivateKey: key.pem}}

	otherHost := newSSHGitServer(t, o.dir, key.pub)
	knownHosts := func(t *testing.T, lines ...string) string {
		path := filepath.Join(t.TempDir(), "known_hosts")
		if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}

	t.Run("known host is accepted", func(t *testing.T) {
		t.Parallel()
		c, logs := newCache(t, gitsrc.Config{KnownHostsFile: knownHosts(t,
			knownhosts.Line([]string{otherHost.addr}, otherHost.hostKey),
			knownhosts.Line([]string{srv.addr}, srv.hostKey),
		)})
		if _, err := c.Prepare(timeout(t), src, dest(t)); err != nil {
			t.Fatalf("Prepare() error = %v", err)
		}
		if strings.Contains(logs.String(), "not verified") {
			t.Errorf("warned about unverified host keys with a known_hosts file:\n%s", logs)
		}
	})

	t.Run("changed host key is refused", func(t *testing.T) {
		t.Parallel()
		c, _ := newCache(t, gitsrc.Config{KnownHostsFile: knownHosts(t, knownhosts.Line([]string{srv.addr}, otherHost.hostKey))})
		_, err := c.Prepare(timeout(t), src, dest(t))
		wantRepoError(t, err, srv.url("git"), "ssh host key does not match the known_hosts file")
	})

	t.Run("unknown host is refused", func(t *testing.T) {
		t.Parallel()
		c, _ := newCache(t, gitsrc.Config{KnownHostsFile: knownHosts(t, knownhosts.Line([]string{otherHost.addr}, otherHost.hostKey))})
		_, err := c.Prepare(timeout(t), src, dest(t))
		wantRepoError(t, err, srv.url("git"), "ssh host key is not in the known_hosts file")
	})

	t.Run("missing known_hosts file is an internal error", func(t *testing.T) {
		t.Parallel()
		c, _ := newCache(t, gitsrc.Config{KnownHostsFile: filepath.Join(t.TempDir(), "missing")})
		_, err := c.Prepare(timeout(t), src, dest(t))
		if err == nil || errors.Is(err, gitsrc.ErrRepository) || !strings.Contains(err.Error(), "known_hosts") {
			t.Errorf("Prepare() error = %v, want an internal known_hosts error", err)
		}
	})

	t.Run("without known_hosts any host is accepted, with one warning", func(t *testing.T) {
		t.Parallel()
		c, logs := newCache(t, gitsrc.Config{})
		for range 2 {
			if _, err := c.Prepare(timeout(t), src, dest(t)); err != nil {
				t.Fatalf("Prepare() error = %v", err)
			}
		}
		if n := strings.Count(logs.String(), "ssh host keys are not verified"); n != 1 {
			t.Errorf("warned %d times, want once:\n%s", n, logs)
		}
		if !strings.Contains(logs.String(), ssh.FingerprintSHA256(srv.hostKey)) {
			t.Errorf("warning does not name the host key:\n%s", logs)
		}
	})
}

// pemBody returns a line from the middle of a PEM key, "" for none.
func pemBody(pemText string) string {
	lines := strings.Split(strings.TrimSpace(pemText), "\n")
	if len(lines) < 3 {
		return "\x00none"
	}
	return lines[1]
}
