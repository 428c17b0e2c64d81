package gitsrc_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/google/go-cmp/cmp"

	"github.com/signalbox/signalbox/core/gitsrc"
	"github.com/signalbox/signalbox/core/model"
)

func TestCache_Prepare_localGit(t *testing.T) {
	t.Parallel()
	o := newOrigin(t)
	for name, tc := range map[string]struct {
		url, branch string
		want        gitsrc.Workspace
		wantFile    string
	}{
		"file url, default branch": {
			url: o.fileURL(), want: gitsrc.Workspace{Branch: "main", Commit: o.main.String(), Message: "add playbook"},
			wantFile: "site.yml",
		},
		"plain path, default branch": {
			url: o.dir, want: gitsrc.Workspace{Branch: "main", Commit: o.main.String(), Message: "add playbook"},
			wantFile: "site.yml",
		},
		"file url, dev branch": {
			url: o.fileURL(), branch: "dev", want: gitsrc.Workspace{Branch: "dev", Commit: o.dev.String(), Message: "dev work"},
			wantFile: "dev.txt",
		},
		"plain path, branch as a full ref": {
			url: o.dir, branch: "refs/heads/dev", want: gitsrc.Workspace{Branch: "dev", Commit: o.dev.String(), Message: "dev work"},
			wantFile: "dev.txt",
		},
		"bare repository path": {
			url: bareCopy(t, o), branch: "dev", want: gitsrc.Workspace{Branch: "dev", Commit: o.dev.String(), Message: "dev work"},
			wantFile: "dev.txt",
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, _ := newCache(t, gitsrc.Config{})
			d := dest(t)
			ws, err := c.Prepare(timeout(t), gitsrc.Source{URL: tc.url, Branch: tc.branch}, d)
			if err != nil {
				t.Fatalf("Prepare() error = %v", err)
			}
			tc.want.Dir = d
			if diff := cmp.Diff(tc.want, ws); diff != "" {
				t.Errorf("Prepare() mismatch (-want +got):\n%s", diff)
			}
			if _, err := os.Stat(filepath.Join(d, tc.wantFile)); err != nil {
				t.Errorf("workspace lacks %s: %v", tc.wantFile, err)
			}
			assertWorkspaceRepo(t, d, tc.want.Branch, tc.want.Commit)
		})
	}
}

// assertWorkspaceRepo checks that dir is a clean, standalone repository on
// branch at commit, with its whole history.
func assertWorkspaceRepo(t *testing.T, dir, branch, commit string) {
	t.Helper()
	r, err := git.PlainOpen(dir)
	if err != nil {
		t.Fatalf("workspace is not a git repository: %v", err)
	}
	head, err := r.Head()
	if err != nil {
		t.Fatalf("workspace HEAD: %v", err)
	}
	if head.Name().Short() != branch || head.Hash().String() != commit {
		t.Errorf("workspace HEAD = %s at %s, want %s at %s", head.Name().Short(), head.Hash(), branch, commit)
	}
	wt, _ := r.Worktree()
	st, err := wt.Status()
	if err != nil || !st.IsClean() {
		t.Errorf("workspace status = %v, %v; want clean", st, err)
	}
	iter, err := r.Log(&git.LogOptions{From: head.Hash()})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	_ = iter.ForEach(func(*object.Commit) error { n++; return nil })
	if n < 2 {
		t.Errorf("workspace history has %d commits, want all of them", n)
	}
	cfg, _ := r.Config()
	if rc, ok := cfg.Remotes["origin"]; !ok || len(rc.URLs) != 1 {
		t.Errorf("workspace has no origin remote: %v", cfg.Remotes)
	}
}

// bareCopy returns a bare repository with the origin's history: a copy of
// its .git directory, marked bare.
func bareCopy(t *testing.T, o *origin) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "bare.git")
	if err := os.CopyFS(dir, os.DirFS(filepath.Join(o.dir, ".git"))); err != nil {
		t.Fatal(err)
	}
	r, err := git.PlainOpen(dir)
	if err != nil {
		t.Fatal(err)
	}
	cfg, _ := r.Config()
	cfg.Core.IsBare = true
	if err := r.SetConfig(cfg); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestCache_Prepare_localGit_newCommitAppears(t *testing.T) {
	t.Parallel()
	o := newOrigin(t)
	c, _ := newCache(t, gitsrc.Config{})
	for _, url := range []string{o.fileURL(), o.dir} {
		ws, err := c.Prepare(timeout(t), gitsrc.Source{URL: url}, dest(t))
		if err != nil || ws.Commit != o.main.String() {
			t.Fatalf("first Prepare() = %+v, %v", ws, err)
		}
	}
	next := o.commit("new.txt", "new\n", "third commit")
	for _, url := range []string{o.fileURL(), o.dir} {
		d := dest(t)
		ws, err := c.Prepare(timeout(t), gitsrc.Source{URL: url}, d)
		if err != nil || ws.Commit != next.String() || ws.Message != "third commit" {
			t.Fatalf("Prepare() after a commit = %+v, %v; want commit %s", ws, err, next)
		}
		if got := readFile(t, filepath.Join(d, "new.txt")); got != "new\n" {
			t.Errorf("new.txt = %q", got)
		}
	}
}

func TestCache_Prepare_workspaceFiles(t *testing.T) {
	t.Parallel()
	o := newOrigin(t)
	c, _ := newCache(t, gitsrc.Config{})
	d := dest(t)
	if _, err := c.Prepare(timeout(t), gitsrc.Source{URL: o.dir}, d); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, filepath.Join(d, "README.md")); got != "hello\n" {
		t.Errorf("README.md = %q, want hello", got)
	}
	if _, err := os.Stat(filepath.Join(d, "dev.txt")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("dev.txt of another branch is in the workspace: %v", err)
	}
	if runtime.GOOS != "windows" {
		fi, err := os.Stat(filepath.Join(d, "deploy.sh"))
		if err != nil || fi.Mode().Perm()&0o100 == 0 {
			t.Errorf("deploy.sh mode = %v, %v; want executable", fi.Mode(), err)
		}
	}
}

func TestCache_Prepare_errors(t *testing.T) {
	t.Parallel()
	o := newOrigin(t)
	file := filepath.Join(t.TempDir(), "file.txt")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	empty := t.TempDir()
	if _, err := git.PlainInit(empty, false); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(t.TempDir(), "missing")

	for name, tc := range map[string]struct {
		src  gitsrc.Source
		want []string
	}{
		"missing branch, file url":   {src: gitsrc.Source{URL: o.fileURL(), Branch: "nope"}, want: []string{`branch "nope" not found in ` + o.fileURL()}},
		"missing branch, plain path": {src: gitsrc.Source{URL: o.dir, Branch: "nope"}, want: []string{`branch "nope" not found in ` + o.dir}},
		"file url that does not exist": {
			src: gitsrc.Source{URL: "file://" + missing}, want: []string{"clone file://" + missing + ": repository not found"},
		},
		"file url to a folder that is not a repository": {
			src: gitsrc.Source{URL: "file://" + t.TempDir()}, want: []string{"repository not found"},
		},
		"empty repository":          {src: gitsrc.Source{URL: empty}, want: []string{empty, "repository is empty"}},
		"missing local folder":      {src: gitsrc.Source{URL: missing}, want: []string{"local folder " + missing + " does not exist"}},
		"local path that is a file": {src: gitsrc.Source{URL: file}, want: []string{file + " is not a directory"}},
		"relative path":             {src: gitsrc.Source{URL: "repos/site"}, want: []string{"repos/site", "absolute path"}},
		"empty url":                 {src: gitsrc.Source{URL: "  "}, want: []string{"repository url is empty"}},
		"unsupported scheme":        {src: gitsrc.Source{URL: "ftp://example.invalid/x.git"}, want: []string{`unsupported scheme "ftp"`}},
		"file url with a host":      {src: gitsrc.Source{URL: "file://server/x.git"}, want: []string{"file:///absolute/path"}},
		"ssh url without a key": {
			src: gitsrc.Source{URL: "git@example.invalid:org/x.git"}, want: []string{"git@example.invalid:org/x.git is an ssh url: it needs an ssh key"},
		},
		"ssh key on an https url": {
			src:  gitsrc.Source{URL: "https://example.invalid/x.git", KeyType: model.KeySSH, Key: model.KeySecret{PrivateKey: "k"}},
			want: []string{"an ssh key cannot be used with https://example.invalid/x.git"},
		},
		"credentials on a git url": {
			src:  gitsrc.Source{URL: "git://example.invalid/x.git", KeyType: model.KeyLoginPassword},
			want: []string{"git://example.invalid/x.git takes no credentials"},
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, _ := newCache(t, gitsrc.Config{})
			d := dest(t)
			_, err := c.Prepare(timeout(t), tc.src, d)
			wantRepoError(t, err, tc.want...)
		})
	}

	t.Run("destination that is not empty is an internal error", func(t *testing.T) {
		t.Parallel()
		c, _ := newCache(t, gitsrc.Config{})
		d := t.TempDir()
		if err := os.WriteFile(filepath.Join(d, "keep"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := c.Prepare(timeout(t), gitsrc.Source{URL: o.dir}, d)
		if err == nil || errors.Is(err, gitsrc.ErrRepository) || !strings.Contains(err.Error(), "not empty") {
			t.Errorf("Prepare() error = %v, want an internal 'not empty' error", err)
		}
	})
}

func TestCache_Prepare_localFolder(t *testing.T) {
	t.Parallel()
	folder := t.TempDir()
	if err := os.WriteFile(filepath.Join(folder, "site.yml"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	o := newOrigin(t)
	subdirOfRepo := filepath.Join(o.dir, "sub")
	if err := os.Mkdir(subdirOfRepo, 0o755); err != nil {
		t.Fatal(err)
	}

	for name, url := range map[string]string{
		"plain folder":                     folder,
		"folder with a trailing slash":     folder + "/",
		"folder inside a git working copy": subdirOfRepo,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, _ := newCache(t, gitsrc.Config{})
			d := dest(t)
			ws, err := c.Prepare(timeout(t), gitsrc.Source{URL: url, Branch: "ignored"}, d)
			if err != nil {
				t.Fatalf("Prepare() error = %v", err)
			}
			want := gitsrc.Workspace{Dir: filepath.Clean(url), Local: true}
			if diff := cmp.Diff(want, ws); diff != "" {
				t.Errorf("Prepare() mismatch (-want +got):\n%s", diff)
			}
			if _, err := os.Stat(d); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("Prepare() touched dest: %v", err)
			}
		})
	}
}

func TestCache_Prepare_http(t *testing.T) {
	t.Parallel()
	o := newOrigin(t)
	srv := newGitServer(t, map[string]string{"site": o.dir})
	url := srv.url("site", "")

	t.Run("default branch, then a new commit appears, from the same cached clone", func(t *testing.T) {
		o := newOrigin(t)
		srv := newGitServer(t, map[string]string{"site": o.dir})
		cacheDir := filepath.Join(t.TempDir(), "cache")
		c, logs := newCache(t, gitsrc.Config{Dir: cacheDir})
		url := srv.url("site", "")

		d := dest(t)
		ws, err := c.Prepare(timeout(t), gitsrc.Source{URL: url}, d)
		if err != nil {
			t.Fatalf("Prepare() error = %v", err)
		}
		want := gitsrc.Workspace{Dir: d, Branch: "main", Commit: o.main.String(), Message: "add playbook"}
		if diff := cmp.Diff(want, ws); diff != "" {
			t.Errorf("Prepare() mismatch (-want +got):\n%s", diff)
		}
		assertWorkspaceRepo(t, d, "main", o.main.String())

		next := o.commit("new.txt", "new\n", "third commit")
		d2 := dest(t)
		ws, err = c.Prepare(timeout(t), gitsrc.Source{URL: url}, d2)
		if err != nil || ws.Commit != next.String() {
			t.Fatalf("Prepare() after a push = %+v, %v; want commit %s", ws, err, next)
		}
		if got := readFile(t, filepath.Join(d2, "new.txt")); got != "new\n" {
			t.Errorf("new.txt = %q", got)
		}
		entries, _ := os.ReadDir(cacheDir)
		if len(entries) != 1 {
			t.Errorf("cache holds %d entries, want one clone per url", len(entries))
		}
		if n := strings.Count(logs.String(), "cloned=true"); n != 1 {
			t.Errorf("cloned %d times, want once; logs:\n%s", n, logs)
		}
	})

	t.Run("branch", func(t *testing.T) {
		t.Parallel()
		c, _ := newCache(t, gitsrc.Config{})
		d := dest(t)
		ws, err := c.Prepare(timeout(t), gitsrc.Source{URL: url, Branch: "dev"}, d)
		if err != nil || ws.Commit != o.dev.String() || ws.Branch != "dev" {
			t.Fatalf("Prepare(dev) = %+v, %v; want %s", ws, err, o.dev)
		}
		assertWorkspaceRepo(t, d, "dev", o.dev.String())
		// Then main from the same cache, already holding its commits.
		ws, err = c.Prepare(timeout(t), gitsrc.Source{URL: url, Branch: "main"}, dest(t))
		if err != nil || ws.Commit != o.main.String() {
			t.Fatalf("Prepare(main) = %+v, %v; want %s", ws, err, o.main)
		}
	})

	t.Run("missing branch", func(t *testing.T) {
		t.Parallel()
		c, _ := newCache(t, gitsrc.Config{})
		_, err := c.Prepare(timeout(t), gitsrc.Source{URL: url, Branch: "nope"}, dest(t))
		wantRepoError(t, err, fmt.Sprintf("branch %q not found in %s", "nope", url))
	})

	t.Run("repository that does not exist", func(t *testing.T) {
		t.Parallel()
		cacheDir := filepath.Join(t.TempDir(), "cache")
		c, _ := newCache(t, gitsrc.Config{Dir: cacheDir})
		missing := srv.url("missing", "")
		_, err := c.Prepare(timeout(t), gitsrc.Source{URL: missing}, dest(t))
		wantRepoError(t, err, "clone "+missing+": repository not found")
		if entries, _ := os.ReadDir(cacheDir); len(entries) != 0 {
			t.Errorf("failed clone left %d cache entries", len(entries))
		}
	})

	t.Run("host that does not resolve", func(t *testing.T) {
		t.Parallel()
		c, _ := newCache(t, gitsrc.Config{})
		_, err := c.Prepare(timeout(t), gitsrc.Source{URL: "https://example.invalid/x.git"}, dest(t))
		wantRepoError(t, err, "clone https://example.invalid/x.git: ")
	})

	t.Run("server that does not answer times out", func(t *testing.T) {
		t.Parallel()
		hanging := newGitServer(t, nil, func(s *gitServer) { s.hold = func(*http.Request) {} })
		c, _ := newCache(t, gitsrc.Config{Timeout: 100 * time.Millisecond})
		_, err := c.Prepare(timeout(t), gitsrc.Source{URL: hanging.url("x", "")}, dest(t))
		wantRepoError(t, err, "timed out after 100ms")
	})

	t.Run("canceled context is not a repository error", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(t.Context())
		hanging := newGitServer(t, nil, func(s *gitServer) { s.hold = func(*http.Request) { cancel() } })
		c, _ := newCache(t, gitsrc.Config{})
		_, err := c.Prepare(ctx, gitsrc.Source{URL: hanging.url("x", "")}, dest(t))
		if !errors.Is(err, context.Canceled) || errors.Is(err, gitsrc.ErrRepository) {
			t.Errorf("Prepare() error = %v, want context.Canceled only", err)
		}
	})
}

func TestCache_Prepare_httpAuth(t *testing.T) {
	t.Parallel()
	o := newOrigin(t)
	const password = "s3cr3t/p@ss word"
	srv := newGitServer(t, map[string]string{"private": o.dir}, func(s *gitServer) { s.user, s.password = "deploy", password })
	url := srv.url("private", "")
	escaped := "deploy:" + strings.NewReplacer("/", "%2F", "@", "%40", " ", "%20").Replace(password)

	for name, tc := range map[string]struct {
		src     gitsrc.Source
		wantErr []string
	}{
		"login and password": {
			src: gitsrc.Source{URL: url, KeyType: model.KeyLoginPassword, Key: model.KeySecret{Login: "deploy", Password: password}},
		},
		"credentials in the url": {src: gitsrc.Source{URL: srv.url("private", escaped)}},
		"no credentials": {
			src: gitsrc.Source{URL: url}, wantErr: []string{"clone " + url + ": authentication required"},
		},
		"wrong password": {
			src:     gitsrc.Source{URL: url, KeyType: model.KeyLoginPassword, Key: model.KeySecret{Login: "deploy", Password: password + "x"}},
			wantErr: []string{"clone " + url + ": authentication required"},
		},
		"wrong password in the url is masked": {
			src:     gitsrc.Source{URL: srv.url("private", "deploy:wrong-"+password[:6])},
			wantErr: []string{"clone " + srv.url("private", "deploy:xxxxx") + ": authentication required"},
		},
		"token as user name in the url is masked": {
			src:     gitsrc.Source{URL: srv.url("private", "ghp_tokenvalue123")},
			wantErr: []string{srv.url("private", "xxxxx")},
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, logs := newCache(t, gitsrc.Config{})
			d := dest(t)
			ws, err := c.Prepare(timeout(t), tc.src, d)
			if tc.wantErr == nil {
				if err != nil || ws.Commit != o.main.String() {
					t.Fatalf("Prepare() = %+v, %v", ws, err)
				}
				r, _ := git.PlainOpen(d)
				cfg, _ := r.Config()
				if got := cfg.Remotes["origin"].URLs[0]; got != url {
					t.Errorf("workspace origin = %q, want %q without credentials", got, url)
				}
			} else {
				wantRepoError(t, err, tc.wantErr...)
			}
			for _, secret := range []string{password, password[:6], "ghp_tokenvalue123"} {
				if err != nil && strings.Contains(err.Error(), secret) {
					t.Errorf("error %q contains a secret", err)
				}
				if strings.Contains(logs.String(), secret) {
					t.Errorf("logs contain a secret:\n%s", logs)
				}
			}
		})
	}
}

func TestCache_Prepare_concurrent(t *testing.T) {
	t.Parallel()
	o := newOrigin(t)
	other := newOrigin(t)
	srv := newGitServer(t, map[string]string{"site": o.dir, "other": other.dir})
	c, _ := newCache(t, gitsrc.Config{})

	type job struct {
		src  gitsrc.Source
		want plumbing.Hash
	}
	var jobs []job
	for i := range 8 {
		jobs = append(jobs,
			job{gitsrc.Source{URL: srv.url("site", "")}, o.main},
			job{gitsrc.Source{URL: o.fileURL(), Branch: "dev"}, o.dev},
		)
		if i%2 == 0 {
			jobs = append(jobs, job{gitsrc.Source{URL: srv.url("other", ""), Branch: "dev"}, other.dev})
		}
	}
	var wg sync.WaitGroup
	for _, j := range jobs {
		wg.Go(func() {
			d := dest(t)
			ws, err := c.Prepare(timeout(t), j.src, d)
			if err != nil {
				t.Errorf("Prepare(%s) error = %v", j.src.URL, err)
				return
			}
			if ws.Commit != j.want.String() {
				t.Errorf("Prepare(%s) commit = %s, want %s", j.src.URL, ws.Commit, j.want)
			}
			if _, err := os.Stat(filepath.Join(d, "site.yml")); err != nil {
				t.Errorf("workspace of %s lacks site.yml: %v", j.src.URL, err)
			}
		})
	}
	wg.Wait()
}
