package gitsrc

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"
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
	for in, wantProto := range map[string]string{
		"https://example.com/x.git":     "https",
		"HTTP://example.com/x.git":      "http",
		"ssh://git@example.com:2222/x":  "ssh",
		"git@github.com:org/repo.git":   "ssh",
		"example.com:org/repo.git":      "ssh",
		"git://example.com/x.git":       "git",
		"  https://example.com/x.git\n": "https",
	} {
		loc, err := parseLocation(in)
		if err != nil || loc.kind != kindRemote || loc.ep.Protocol != wantProto {
			t.Errorf("parseLocation(%q) = kind %v, %v, %v; want remote %s", in, loc.kind, loc.ep, err, wantProto)
		}
	}
}

func TestPickBranch(t *testing.T) {
	t.Parallel()
	a, b := plumbing.NewHash("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), plumbing.NewHash("bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb")
	branch := func(name string, h plumbing.Hash) *plumbing.Reference {
		return plumbing.NewHashReference(plumbing.NewBranchReferenceName(name), h)
	}
	symHead := plumbing.NewSymbolicReference(plumbing.HEAD, plumbing.NewBranchReferenceName("trunk"))
	hashHead := plumbing.NewHashReference(plumbing.HEAD, a)
	for name, tc := range map[string]struct {
		refs       []*plumbing.Reference
		want       string
		wantBranch string
		wantHash   plumbing.Hash
		wantErr    bool
	}{
		"wanted branch":              {refs: []*plumbing.Reference{symHead, branch("trunk", a), branch("dev", b)}, want: "dev", wantBranch: "dev", wantHash: b},
		"default from symbolic HEAD": {refs: []*plumbing.Reference{symHead, branch("trunk", a), branch("main", b)}, wantBranch: "trunk", wantHash: a},
		"HEAD without symref prefers main": {
			refs: []*plumbing.Reference{hashHead, branch("zeta", a), branch("main", a), branch("master", a), branch("dev", b)}, wantBranch: "main", wantHash: a,
		},
		"HEAD without symref, first by name": {refs: []*plumbing.Reference{hashHead, branch("zeta", a), branch("alpha", a)}, wantBranch: "alpha", wantHash: a},
		"HEAD at no branch":                  {refs: []*plumbing.Reference{hashHead, branch("dev", b)}, wantErr: true},
		"HEAD to a missing branch":           {refs: []*plumbing.Reference{symHead, branch("dev", b)}, wantErr: true},
		"wanted branch missing":              {refs: []*plumbing.Reference{symHead, branch("trunk", a)}, want: "dev", wantErr: true},
		"tag is not a branch":                {refs: []*plumbing.Reference{plumbing.NewHashReference("refs/tags/dev", a)}, want: "dev", wantErr: true},
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

func TestCache_auth(t *testing.T) {
	t.Parallel()
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	pemKey := string(pem.EncodeToMemory(block))
	c := New(Config{Dir: t.TempDir(), Timeout: 7 * time.Second})

	for name, tc := range map[string]struct {
		src      Source
		wantUser string
	}{
		"ssh key, user from login": {src: Source{URL: "ssh://urluser@example.com/x.git", KeyType: model.KeySSH, Key: model.KeySecret{Login: "deploy", PrivateKey: pemKey}}, wantUser: "deploy"},
		"ssh key, user from url":   {src: Source{URL: "urluser@example.com:x.git", KeyType: model.KeySSH, Key: model.KeySecret{PrivateKey: pemKey}}, wantUser: "urluser"},
		"ssh key, default user":    {src: Source{URL: "ssh://example.com/x.git", KeyType: model.KeySSH, Key: model.KeySecret{PrivateKey: pemKey}}, wantUser: "git"},
		"ssh password":             {src: Source{URL: "ssh://example.com/x.git", KeyType: model.KeyLoginPassword, Key: model.KeySecret{Login: "me", Password: "pw"}}, wantUser: "me"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			loc, err := parseLocation(tc.src.URL)
			if err != nil {
				t.Fatal(err)
			}
			am, err := c.auth(tc.src, loc)
			if err != nil {
				t.Fatalf("auth() error = %v", err)
			}
			sa, ok := am.(gitssh.AuthMethod)
			if !ok {
				t.Fatalf("auth() = %T, want an ssh auth method", am)
			}
			cfg, err := sa.ClientConfig()
			if err != nil {
				t.Fatal(err)
			}
			if cfg.User != tc.wantUser || cfg.Timeout != 7*time.Second || cfg.HostKeyCallback == nil || len(cfg.Auth) != 1 {
				t.Errorf("ClientConfig() user %q, timeout %v, host key check %v, %d auth methods; want %q, 7s, set, 1",
					cfg.User, cfg.Timeout, cfg.HostKeyCallback != nil, len(cfg.Auth), tc.wantUser)
			}
		})
	}

	t.Run("https login and password is basic auth", func(t *testing.T) {
		t.Parallel()
		loc, _ := parseLocation("https://example.com/x.git")
		am, err := c.auth(Source{KeyType: model.KeyLoginPassword, Key: model.KeySecret{Login: "u", Password: "p"}}, loc)
		if ba, ok := am.(*githttp.BasicAuth); err != nil || !ok || ba.Username != "u" || ba.Password != "p" {
			t.Errorf("auth() = %#v, %v; want basic auth u/p", am, err)
		}
	})

	t.Run("https without a key has no auth", func(t *testing.T) {
		t.Parallel()
		loc, _ := parseLocation("https://example.com/x.git")
		if am, err := c.auth(Source{}, loc); am != nil || err != nil {
			t.Errorf("auth() = %v, %v; want nil, nil", am, err)
		}
	})
}
