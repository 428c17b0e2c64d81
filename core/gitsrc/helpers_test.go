package gitsrc_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/pktline"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/plumbing/transport/server"
	"github.com/hashicorp/go-hclog"

	"github.com/signalbox/signalbox/core/gitsrc"
)

// origin is a real repository for tests: a working copy with a main branch
// of two commits and a dev branch one commit further, checked out on main.
type origin struct {
	t    testing.TB
	dir  string
	repo *git.Repository
	// main and dev are the branch tips.
	main, dev plumbing.Hash
}

func newOrigin(t testing.TB) *origin {
	t.Helper()
	dir := t.TempDir()
	repo, err := git.PlainInitWithOptions(dir, &git.PlainInitOptions{
		InitOptions: git.InitOptions{DefaultBranch: plumbing.Main},
	})
	if err != nil {
		t.Fatal(err)
	}
	o := &origin{t: t, dir: dir, repo: repo}
	o.commit("README.md", "hello\n", "first commit")
	o.writeFile("deploy.sh", "#!/bin/sh\necho deploy\n", 0o755)
	o.main = o.commit("site.yml", "- hosts: all\n", "add playbook\n\nWith a body.")

	wt := o.worktree()
	if err := wt.Checkout(&git.CheckoutOptions{Branch: plumbing.NewBranchReferenceName("dev"), Create: true}); err != nil {
		t.Fatal(err)
	}
	o.dev = o.commit("dev.txt", "only on dev\n", "dev work")
	if err := wt.Checkout(&git.CheckoutOptions{Branch: plumbing.Main}); err != nil {
		t.Fatal(err)
	}
	return o
}

func (o *origin) worktree() *git.Worktree {
	o.t.Helper()
	wt, err := o.repo.Worktree()
	if err != nil {
		o.t.Fatal(err)
	}
	return wt
}

func (o *origin) writeFile(name, content string, mode os.FileMode) {
	o.t.Helper()
	if err := os.WriteFile(filepath.Join(o.dir, name), []byte(content), mode); err != nil {
		o.t.Fatal(err)
	}
	if _, err := o.worktree().Add(name); err != nil {
		o.t.Fatal(err)
	}
}

// commit writes a file and commits it on the checked-out branch.
func (o *origin) commit(name, content, msg string) plumbing.Hash {
	o.t.Helper()
	o.writeFile(name, content, 0o644)
	h, err := o.worktree().Commit(msg, &git.CommitOptions{
		Author: &object.Signature{Name: "Test", Email: "test@example.invalid", When: time.Now()},
	})
	if err != nil {
		o.t.Fatal(err)
	}
	return h
}

// fileURL is the origin as a file:// URL.
func (o *origin) fileURL() string { return "file://" + filepath.ToSlash(o.dir) }

// newCache returns a Cache in a temporary directory whose log lines go to
// the returned buffer.
func newCache(t testing.TB, cfg gitsrc.Config) (*gitsrc.Cache, *syncBuffer) {
	t.Helper()
	if cfg.Dir == "" {
		cfg.Dir = filepath.Join(t.TempDir(), "cache")
	}
	logs := &syncBuffer{}
	cfg.Log = hclog.New(&hclog.LoggerOptions{Output: logs, Level: hclog.Debug})
	return gitsrc.New(cfg), logs
}

// dest returns a path for a workspace that does not exist yet.
func dest(t testing.TB) string {
	t.Helper()
	return filepath.Join(t.TempDir(), "work")
}

func readFile(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// wantRepoError fails unless err wraps ErrRepository and its message holds
// every part.
func wantRepoError(t testing.TB, err error, parts ...string) {
	t.Helper()
	if !errors.Is(err, gitsrc.ErrRepository) {
		t.Fatalf("error = %v, want ErrRepository", err)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not contain %q", err, p)
		}
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("error %q is not one line", err)
	}
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// gitServer serves repositories over git's smart HTTP protocol, with
// go-git's own server side: /<name>.git for every name in repos.
type gitServer struct {
	*httptest.Server
	user, password string // required basic auth, when user is set
	repos          map[string]string
	// hold, if set, is called with every request, which then waits until
	// the client gives up: a server that does not answer.
	hold func(*http.Request)
}

// newGitServer starts a server; configure, if given, runs before it starts.
func newGitServer(t testing.TB, repos map[string]string, configure ...func(*gitServer)) *gitServer {
	t.Helper()
	s := &gitServer{repos: repos}
	for _, f := range configure {
		f(s)
	}
	s.Server = httptest.NewServer(s)
	t.Cleanup(s.Close)
	return s
}

func (s *gitServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.hold != nil {
		s.hold(r)
		<-r.Context().Done()
		return
	}
	if s.user != "" {
		if u, p, ok := r.BasicAuth(); !ok || u != s.user || p != s.password {
			w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
	}
	name, op, ok := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), ".git/")
	dir, known := s.repos[name]
	if !ok || !known {
		http.NotFound(w, r)
		return
	}
	repo, err := git.PlainOpen(dir)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	ep, _ := transport.NewEndpoint("/" + name)
	sess, err := server.NewServer(server.MapLoader{ep.String(): repo.Storer}).NewUploadPackSession(ep, nil)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	defer sess.Close()

	switch {
	case op == "info/refs" && r.URL.Query().Get("service") == "git-upload-pack":
		ar, err := sess.AdvertisedReferencesContext(r.Context())
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		ar.Prefix = [][]byte{[]byte("# service=git-upload-pack"), pktline.Flush}
		w.Header().Set("Content-Type", "application/x-git-upload-pack-advertisement")
		_ = ar.Encode(w)
	case op == "git-upload-pack" && r.Method == http.MethodPost:
		req := packp.NewUploadPackRequest()
		if err := req.Decode(r.Body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		resp, err := sess.UploadPack(r.Context(), req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/x-git-upload-pack-result")
		_ = resp.Encode(w)
		_ = resp.Close()
	default:
		http.NotFound(w, r)
	}
}

// url returns the server URL of a repository, with userinfo if given.
func (s *gitServer) url(name, userinfo string) string {
	u := s.URL + "/" + name + ".git"
	if userinfo != "" {
		u = strings.Replace(u, "://", "://"+userinfo+"@", 1)
	}
	return u
}

// timeout returns a context for one test step.
func timeout(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}
