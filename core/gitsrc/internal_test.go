package gitsrc

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/signalbox/signalbox/core/model"
)

func TestRedactURL(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"https://example.com/x.git":                 "https://example.com/x.git",
		"https://user:pass@example.com/x.git":       "https://user:xxxxx@example.com/x.git",
		"https://ghp_token@example.com/x.git":       "https://xxxxx@example.com/x.git",
		"http://user:p%40ss@example.com:8080/x.git": "http://user:xxxxx@example.com:8080/x.git",
		"ssh://git@example.com/x.git":               "ssh://git@example.com/x.git",
		"ssh://git:pw@example.com/x.git":            "ssh://git:xxxxx@example.com/x.git",
		"git@example.com:org/x.git":                 "git@example.com:org/x.git",
		"/srv/repo":                                 "/srv/repo",
		"https://user:pa ss%zz@host/x.git":          "https://xxxxx@host/x.git", // does not parse
	} {
		if got := redactURL(in); got != want {
			t.Errorf("redactURL(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"https://user:pass@example.com/x.git": "https://example.com/x.git",
		"https://token@example.com/x.git":     "https://example.com/x.git",
		"ssh://git:pw@example.com/x.git":      "ssh://git@example.com/x.git",
		"git@example.com:org/x.git":           "git@example.com:org/x.git",
	} {
		if got := stripCredentials(in); got != want {
			t.Errorf("stripCredentials(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseLocation_remote(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]endpoint{
		"https://example.com/x.git":     {protocol: "https"},
		"HTTP://example.com/x.git":      {protocol: "http"},
		"ssh://git@example.com:2222/x":  {protocol: "ssh", user: "git"},
		"git@github.com:org/repo.git":   {protocol: "ssh", user: "git", scpHostPath: "github.com:org/repo.git"},
		"example.com:org/repo.git":      {protocol: "ssh", scpHostPath: "example.com:org/repo.git"},
		"urluser@example.com:x.git":     {protocol: "ssh", user: "urluser", scpHostPath: "example.com:x.git"},
		"me@[::1]:x.git":                {protocol: "ssh", user: "me", scpHostPath: "[::1]:x.git"},
		"git://example.com/x.git":       {protocol: "git"},
		"  https://example.com/x.git\n": {protocol: "https"},
	} {
		loc, err := parseLocation(in)
		if err != nil || loc.kind != kindRemote || loc.ep != want {
			t.Errorf("parseLocation(%q) = kind %v, %+v, %v; want remote %+v", in, loc.kind, loc.ep, err, want)
		}
	}
	// A host or user that ssh would read as an option is refused.
	for _, in := range []string{"-oProxyCommand=touch /tmp/x:org/x.git", "-l@host:x.git", "ssh://-oProxyCommand=x/y.git"} {
		if _, err := parseLocation(in); !errors.Is(err, ErrRepository) {
			t.Errorf("parseLocation(%q) error = %v, want ErrRepository", in, err)
		}
	}
}

func TestParseRefs(t *testing.T) {
	t.Parallel()
	out := "ref: refs/heads/main\tHEAD\n" +
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\tHEAD\n" +
		"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\trefs/heads/dev\n" +
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\trefs/heads/main\n"
	want := []ref{
		{name: "HEAD", hash: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", target: "refs/heads/main"},
		{name: "refs/heads/dev", hash: "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"},
		{name: "refs/heads/main", hash: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},
	}
	if got := parseRefs(out); !slices.Equal(got, want) {
		t.Errorf("parseRefs() = %+v, want %+v", got, want)
	}
	if got := parseRefs(""); len(got) != 0 {
		t.Errorf("parseRefs(\"\") = %+v, want none", got)
	}
}

func TestPickBranch(t *testing.T) {
	t.Parallel()
	const a, b = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	branch := func(name, h string) ref { return ref{name: "refs/heads/" + name, hash: h} }
	symHead := ref{name: "HEAD", hash: a, target: "refs/heads/trunk"}
	hashHead := ref{name: "HEAD", hash: a}
	for name, tc := range map[string]struct {
		refs       []ref
		want       string
		wantBranch string
		wantHash   string
		wantErr    bool
	}{
		"wanted branch":              {refs: []ref{symHead, branch("trunk", a), branch("dev", b)}, want: "dev", wantBranch: "dev", wantHash: b},
		"wanted branch as a ref":     {refs: []ref{symHead, branch("trunk", a), branch("dev", b)}, want: "refs/heads/dev", wantBranch: "dev", wantHash: b},
		"default from symbolic HEAD": {refs: []ref{symHead, branch("trunk", a), branch("main", b)}, wantBranch: "trunk", wantHash: a},
		"HEAD without symref prefers main": {
			refs: []ref{hashHead, branch("zeta", a), branch("main", a), branch("master", a), branch("dev", b)}, wantBranch: "main", wantHash: a,
		},
		"HEAD without symref, first by name": {refs: []ref{hashHead, branch("zeta", a), branch("alpha", a)}, wantBranch: "alpha", wantHash: a},
		"HEAD at no branch":                  {refs: []ref{hashHead, branch("dev", b)}, wantErr: true},
		"HEAD to a missing branch":           {refs: []ref{{name: "HEAD", target: "refs/heads/trunk"}, branch("dev", b)}, wantErr: true},
		"wanted branch missing":              {refs: []ref{symHead, branch("trunk", a)}, want: "dev", wantErr: true},
		"tag is not a branch":                {refs: []ref{{name: "refs/tags/dev", hash: a}}, want: "dev", wantErr: true},
		"no refs":                            {wantErr: true},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			gotBranch, gotHash, err := pickBranch(tc.refs, tc.want, "https://example.com/x.git")
			if tc.wantErr {
				if !errors.Is(err, ErrRepository) {
					t.Errorf("pickBranch() error = %v, want ErrRepository", err)
				}
				return
			}
			if err != nil || gotBranch != tc.wantBranch || gotHash != tc.wantHash {
				t.Errorf("pickBranch() = %q, %s, %v; want %q, %s", gotBranch, gotHash, err, tc.wantBranch, tc.wantHash)
			}
		})
	}
}

// testKey returns an ed25519 private key in OpenSSH PEM form, encrypted
// with passphrase when it is not empty.
func testKey(t *testing.T, passphrase string) string {
	t.Helper()
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	var (
		block *pem.Block
		err   error
	)
	if passphrase == "" {
		block, err = ssh.MarshalPrivateKey(priv, "")
	} else {
		block, err = ssh.MarshalPrivateKeyWithPassphrase(priv, "", []byte(passphrase))
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(block))
}

// env returns the value of a variable in the session's git environment.
func (s *session) envValue(key string) (string, bool) {
	var v string
	found := false
	for _, kv := range s.environ() {
		if k, val, _ := strings.Cut(kv, "="); k == key {
			v, found = val, true
		}
	}
	return v, found
}

// configValue returns the value of a git configuration variable given to
// the session's git commands.
func (s *session) configValue(key string) string {
	for _, kv := range s.config {
		if kv[0] == key {
			return kv[1]
		}
	}
	return ""
}

func newTestSession(t *testing.T) *session {
	t.Helper()
	s, err := newSession()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.close)
	return s
}

// authorizeOK prepares a session for src, which must succeed and give git
// wantURL.
func authorizeOK(t *testing.T, c *Cache, src Source, wantURL string) (*session, remoteAccess) {
	t.Helper()
	loc, err := parseLocation(src.URL)
	if err != nil {
		t.Fatal(err)
	}
	s := newTestSession(t)
	acc, err := c.authorize(s, src, loc)
	if err != nil {
		t.Fatalf("authorize() error = %v", err)
	}
	if acc.url != wantURL {
		t.Errorf("git url = %q, want %q", acc.url, wantURL)
	}
	return s, acc
}

func TestCache_authorize_ssh(t *testing.T) {
	t.Parallel()
	pemKey := testKey(t, "")
	const passphrase = "open sesame"
	encKey := testKey(t, passphrase)
	c := New(Config{Dir: t.TempDir(), Timeout: 7 * time.Second})

	for name, tc := range map[string]struct {
		src         Source
		wantURL     string
		wantKey     string // content of the key file; "" for none
		wantSecret  string // answer of the askpass helper; "" for no askpass
		wantOptions []string
	}{
		"ssh key, user from login": {
			src:     Source{URL: "ssh://urluser@example.com/x.git", KeyType: model.KeySSH, Key: model.KeySecret{Login: "deploy", PrivateKey: pemKey}},
			wantURL: "ssh://deploy@example.com/x.git", wantKey: pemKey,
			wantOptions: []string{"BatchMode=yes", "IdentitiesOnly=yes", "PreferredAuthentications=publickey"},
		},
		"ssh key, user from url": {
			src:     Source{URL: "urluser@example.com:x.git", KeyType: model.KeySSH, Key: model.KeySecret{PrivateKey: pemKey}},
			wantURL: "urluser@example.com:x.git", wantKey: pemKey, wantOptions: []string{"BatchMode=yes"},
		},
		"ssh key, default user": {
			src:     Source{URL: "ssh://example.com:2222/x.git", KeyType: model.KeySSH, Key: model.KeySecret{PrivateKey: pemKey}},
			wantURL: "ssh://git@example.com:2222/x.git", wantKey: pemKey, wantOptions: []string{"BatchMode=yes"},
		},
		"ssh key, scp-style, default user": {
			src:     Source{URL: "example.com:org/x.git", KeyType: model.KeySSH, Key: model.KeySecret{PrivateKey: pemKey}},
			wantURL: "git@example.com:org/x.git", wantKey: pemKey, wantOptions: []string{"BatchMode=yes"},
		},
		"ssh key, passphrase not needed": {
			src:     Source{URL: "ssh://example.com/x.git", KeyType: model.KeySSH, Key: model.KeySecret{PrivateKey: pemKey, Passphrase: "unused"}},
			wantURL: "ssh://git@example.com/x.git", wantKey: pemKey, wantOptions: []string{"BatchMode=yes"},
		},
		"encrypted ssh key: the passphrase goes to askpass": {
			src:     Source{URL: "ssh://example.com/x.git", KeyType: model.KeySSH, Key: model.KeySecret{PrivateKey: encKey, Passphrase: passphrase}},
			wantURL: "ssh://git@example.com/x.git", wantKey: encKey, wantSecret: passphrase, wantOptions: []string{"BatchMode=no"},
		},
		"ssh password: the password goes to askpass": {
			src:     Source{URL: "ssh://git:inurl@example.com/x.git", KeyType: model.KeyLoginPassword, Key: model.KeySecret{Login: "me", Password: "pw"}},
			wantURL: "ssh://me@example.com/x.git", wantSecret: "pw",
			wantOptions: []string{"BatchMode=no", "PubkeyAuthentication=no"},
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s, acc := authorizeOK(t, c, tc.src, tc.wantURL)
			sshCmd, _ := s.envValue("GIT_SSH_COMMAND")
			options := append([]string{"StrictHostKeyChecking=no", "UserKnownHostsFile=" + s.path(unverifiedHostsDB), "ConnectTimeout=7"}, tc.wantOptions...)
			for _, o := range options {
				if !strings.Contains(sshCmd, "'"+o+"'") {
					t.Errorf("GIT_SSH_COMMAND %s lacks -o %s", sshCmd, o)
				}
			}
			if acc.unverifiedHosts != s.path(unverifiedHostsDB) {
				t.Errorf("unverified hosts file = %q", acc.unverifiedHosts)
			}

			keyPath := s.path(keyFile)
			if tc.wantKey != "" {
				if !strings.Contains(sshCmd, "'-i' "+shellQuote(keyPath)) {
					t.Errorf("GIT_SSH_COMMAND %s does not use the key file", sshCmd)
				}
				assertSecretFile(t, keyPath, tc.wantKey, 0o600)
			} else if _, err := os.Stat(keyPath); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("key file written without a key: %v", err)
			}

			askpass, hasAskpass := s.envValue("SSH_ASKPASS")
			if tc.wantSecret != "" {
				require, _ := s.envValue("SSH_ASKPASS_REQUIRE")
				if !hasAskpass || require != "force" {
					t.Errorf("SSH_ASKPASS = %q, SSH_ASKPASS_REQUIRE = %q; want the helper, forced", askpass, require)
				}
				if got, _ := s.envValue(envSecret); got != tc.wantSecret {
					t.Errorf("%s = %q, want %q", envSecret, got, tc.wantSecret)
				}
			} else if hasAskpass {
				t.Errorf("SSH_ASKPASS set without a secret to give")
			}

			// No secret on what becomes a command line.
			for _, secret := range []string{tc.src.Key.Password, tc.src.Key.Passphrase, pemBody(tc.src.Key.PrivateKey), "inurl"} {
				if secret != "" && (strings.Contains(sshCmd, secret) || strings.Contains(acc.url, secret)) {
					t.Errorf("secret %q in the git url %q or ssh command %s", secret, acc.url, sshCmd)
				}
			}
		})
	}
}

func TestCache_authorize_sshErrors(t *testing.T) {
	t.Parallel()
	const passphrase = "open sesame"
	encKey := testKey(t, passphrase)
	notAKey := "-----BEGIN NOTHING-----\nc2VjcmV0LWtleS1ieXRlcw==\n-----END NOTHING-----\n"
	const url = "ssh://example.com/x.git"
	c := New(Config{Dir: t.TempDir()})

	for name, tc := range map[string]struct {
		src  Source
		want string
	}{
		"encrypted key without passphrase": {
			src:  Source{URL: url, KeyType: model.KeySSH, Key: model.KeySecret{PrivateKey: encKey}},
			want: "ssh key for " + url + ": the private key is encrypted and the access key has no passphrase",
		},
		"wrong passphrase": {
			src:  Source{URL: url, KeyType: model.KeySSH, Key: model.KeySecret{PrivateKey: encKey, Passphrase: "wr0ng-pass"}},
			want: "ssh key for " + url + ": wrong passphrase for the private key",
		},
		"not a key": {
			src:  Source{URL: url, KeyType: model.KeySSH, Key: model.KeySecret{PrivateKey: notAKey}},
			want: "ssh key for " + url + ": cannot parse the private key",
		},
		"no key":              {src: Source{URL: url}, want: url + " is an ssh url: it needs an ssh key"},
		"user like an option": {src: Source{URL: url, KeyType: model.KeySSH, Key: model.KeySecret{Login: "-oProxyCommand=x", PrivateKey: testKey(t, "")}}, want: "is not valid"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			loc, err := parseLocation(tc.src.URL)
			if err != nil {
				t.Fatal(err)
			}
			s := newTestSession(t)
			_, err = c.authorize(s, tc.src, loc)
			if !errors.Is(err, ErrRepository) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("authorize() error = %v, want ErrRepository with %q", err, tc.want)
			}
			for _, secret := range []string{passphrase, "wr0ng-pass", "c2VjcmV0LWtleS1ieXRlcw", pemBody(encKey)} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q contains a secret", err)
				}
			}
			if _, err := os.Stat(s.path(keyFile)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("unusable key written to disk: %v", err)
			}
		})
	}
}

func TestCache_authorize_knownHosts(t *testing.T) {
	t.Parallel()
	src := Source{URL: "ssh://example.com/x.git", KeyType: model.KeySSH, Key: model.KeySecret{PrivateKey: testKey(t, "")}}
	loc, _ := parseLocation(src.URL)

	t.Run("configured file is enforced", func(t *testing.T) {
		t.Parallel()
		known := filepath.Join(t.TempDir(), "known hosts")
		if err := os.WriteFile(known, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		s := newTestSession(t)
		acc, err := New(Config{Dir: t.TempDir(), KnownHostsFile: known}).authorize(s, src, loc)
		if err != nil {
			t.Fatal(err)
		}
		sshCmd, _ := s.envValue("GIT_SSH_COMMAND")
		for _, o := range []string{"'UserKnownHostsFile=" + known + "'", "'StrictHostKeyChecking=yes'", "'UpdateHostKeys=no'"} {
			if !strings.Contains(sshCmd, o) {
				t.Errorf("GIT_SSH_COMMAND %s lacks %s", sshCmd, o)
			}
		}
		if acc.unverifiedHosts != "" {
			t.Errorf("unverified hosts file %q with a known_hosts file", acc.unverifiedHosts)
		}
	})

	t.Run("missing file is an internal error", func(t *testing.T) {
		t.Parallel()
		s := newTestSession(t)
		_, err := New(Config{Dir: t.TempDir(), KnownHostsFile: filepath.Join(t.TempDir(), "missing")}).authorize(s, src, loc)
		if err == nil || errors.Is(err, ErrRepository) || !strings.Contains(err.Error(), "known_hosts") {
			t.Errorf("authorize() error = %v, want an internal known_hosts error", err)
		}
	})
}

func TestCache_authorize_http(t *testing.T) {
	t.Parallel()
	c := New(Config{Dir: t.TempDir()})
	for name, tc := range map[string]struct {
		src                Source
		wantURL            string
		wantUser, wantPass string
		wantHelper         bool
	}{
		"login and password go to the credential helper": {
			src:     Source{URL: "https://example.com/x.git", KeyType: model.KeyLoginPassword, Key: model.KeySecret{Login: "u", Password: "p@ss"}},
			wantURL: "https://example.com/x.git", wantUser: "u", wantPass: "p@ss", wantHelper: true,
		},
		"credentials in the url go to the credential helper": {
			src:     Source{URL: "https://user:p%40ss@example.com/x.git"},
			wantURL: "https://example.com/x.git", wantUser: "user", wantPass: "p@ss", wantHelper: true,
		},
		"token as user name": {
			src:     Source{URL: "https://ghp_token@example.com/x.git"},
			wantURL: "https://example.com/x.git", wantUser: "ghp_token", wantHelper: true,
		},
		"no credentials": {src: Source{URL: "https://example.com/x.git"}, wantURL: "https://example.com/x.git"},
		"git url":        {src: Source{URL: "git://example.com/x.git"}, wantURL: "git://example.com/x.git"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s, _ := authorizeOK(t, c, tc.src, tc.wantURL)
			helper := s.configValue("credential.helper")
			if !tc.wantHelper {
				if helper != "" {
					t.Errorf("credential.helper = %q, want none", helper)
				}
				return
			}
			if helper != "!"+shellQuote(s.path(askpassFile)) {
				t.Errorf("credential.helper = %q, want the askpass helper", helper)
			}
			user, _ := s.envValue(envUsername)
			pass, _ := s.envValue(envSecret)
			if user != tc.wantUser || pass != tc.wantPass {
				t.Errorf("credentials = %q, %q; want %q, %q", user, pass, tc.wantUser, tc.wantPass)
			}
			if _, ok := s.envValue("GIT_SSH_COMMAND"); ok {
				t.Error("GIT_SSH_COMMAND set for an http url")
			}
		})
	}
}

func TestDescribeGit(t *testing.T) {
	t.Parallel()
	for stderr, want := range map[string]string{
		"fatal: repository 'http://h/x.git/' not found\n":                                                                 "repository not found",
		"ERROR: Repository not found.\nfatal: Could not read from remote repository.\n":                                   "repository not found",
		"fatal: '/x.git' does not appear to be a git repository\n":                                                        "repository not found",
		"fatal: Authentication failed for 'https://h/x.git/'\n":                                                           "authentication required",
		"fatal: could not read Username for 'https://h': terminal prompts disabled\n":                                     "authentication required",
		"fatal: unable to access 'https://h/x.git/': The requested URL returned error: 403\n":                             "authorization failed",
		"git@h: Permission denied (publickey).\r\nfatal: Could not read from remote repository.\n":                        "ssh: unable to authenticate: permission denied",
		"fatal: unable to access 'https://h/x.git/': Could not resolve host: h\n":                                         "host not found",
		"ssh: Could not resolve hostname h: Name or service not known\r\nfatal: Could not read\n":                         "host not found",
		"fatal: unable to access 'http://h/': Failed to connect to h port 80: Connection refused\n":                       "connection refused",
		"ssh: connect to host h port 22: Connection timed out\r\n":                                                        "connection timed out",
		"No ED25519 host key is known for h and you have requested strict checking.\r\nHost key verification failed.\r\n": "ssh host key is not in the known_hosts file",
		"@@@@@\r\n@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\r\nHost key verification failed.\r\n":       "ssh host key does not match the known_hosts file (possible man-in-the-middle attack)",
		"fatal: unable to access 'https://h/x.git/': SSL certificate problem: self-signed certificate\n":                  "SSL certificate problem: self-signed certificate",
		"warning: something\nfatal: the remote end hung up unexpectedly\n":                                                "the remote end hung up unexpectedly",
		"": "git failed",
	} {
		if got := describeGit(stderr); got != want {
			t.Errorf("describeGit(%q) = %q, want %q", stderr, got, want)
		}
	}
}

// assertSecretFile checks the content and permissions of a file that
// holds a secret.
func assertSecretFile(t *testing.T, path, want string, perm os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatalf("secret file: %v", err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm() != perm {
		t.Errorf("%s mode = %v, want %v", path, fi.Mode().Perm(), perm)
	}
	if got := readTestFile(t, path); got != want {
		t.Errorf("%s = %q, want %q", path, got, want)
	}
	dir, err := os.Stat(filepath.Dir(path))
	if err != nil || (runtime.GOOS != "windows" && dir.Mode().Perm() != 0o700) {
		t.Errorf("scratch directory mode = %v, %v; want 0700", dir.Mode(), err)
	}
}

func readTestFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// pemBody returns a line from the middle of a PEM key, a string found
// nowhere for none.
func pemBody(pemText string) string {
	lines := strings.Split(strings.TrimSpace(pemText), "\n")
	if len(lines) < 3 {
		return "\x00none"
	}
	return lines[1]
}
