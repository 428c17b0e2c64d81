package workspace_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/signalbox/signalbox/sdk/workspace"
)

func TestResolve(t *testing.T) {
	outside := t.TempDir()
	repo := t.TempDir()
	mustWrite := func(p string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	mustWrite(filepath.Join(repo, "site.yml"))
	mustWrite(filepath.Join(repo, "dir", "run.sh"))
	mustWrite(filepath.Join(outside, "secret"))
	if err := os.Symlink(filepath.Join(outside, "secret"), filepath.Join(repo, "escape")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("site.yml", filepath.Join(repo, "alias.yml")); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		rel     string
		kind    workspace.Kind
		want    string
		wantErr string
		missing bool
	}{
		"a file in the repository":           {rel: "site.yml", want: "site.yml"},
		"a file in a sub-folder, made clean": {rel: "./dir/../dir/run.sh", want: "dir/run.sh"},
		"a symlink that stays inside":        {rel: "alias.yml", want: "alias.yml"},
		"a folder as a directory":            {rel: "dir", kind: workspace.Dir, want: "dir"},
		"a folder where a file is wanted":    {rel: "dir", wantErr: "not a regular file"},
		"a file where a folder is wanted":    {rel: "site.yml", kind: workspace.Dir, wantErr: "not a directory"},
		"an absolute path":                   {rel: "/etc/passwd", wantErr: "absolute path"},
		"a path climbing out":                {rel: "../x", wantErr: "outside the repository"},
		"a symlink leading out":              {rel: "escape", wantErr: "through a symlink"},
		"a missing file":                     {rel: "nope.yml", missing: true},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := workspace.Resolve(repo, tc.rel, "path "+tc.rel, tc.kind)
			switch {
			case tc.missing:
				if !errors.Is(err, workspace.ErrNotFound) {
					t.Fatalf("Resolve() error = %v, want ErrNotFound", err)
				}
			case tc.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Resolve() = %q, %v; want error %q", got, err, tc.wantErr)
				}
			case err != nil || got != tc.want:
				t.Fatalf("Resolve() = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestArg(t *testing.T) {
	for in, want := range map[string]string{"run.sh": "run.sh", "-x.sh": "./-x.sh", "dir/-x": "dir/-x"} {
		if got := workspace.Arg(in); got != want {
			t.Errorf("Arg(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLookPath(t *testing.T) {
	dir := t.TempDir()
	exe := filepath.Join(dir, "tool")
	if err := os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "plain"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	path := "relative:" + dir
	if got, err := workspace.LookPath("tool", path); err != nil || got != exe {
		t.Errorf("LookPath(tool) = %q, %v", got, err)
	}
	if _, err := workspace.LookPath("plain", path); err == nil {
		t.Error("a file that is not executable was found")
	}
}

func TestPluginEnviron(t *testing.T) {
	t.Setenv("PLUGIN_MIN_PORT", "1")
	t.Setenv("KEEP_ME", "yes")
	env := strings.Join(workspace.PluginEnviron(), "\n")
	if strings.Contains(env, "PLUGIN_MIN_PORT") || !strings.Contains(env, "KEEP_ME=yes") {
		t.Errorf("environ = %s", env)
	}
}

func TestEnv(t *testing.T) {
	e := workspace.NewEnv([]string{"PATH=/bin", "HOME=/root", "junk", "=x"})
	e.Set("A", "1")
	e.Set("PATH", "/usr/bin")
	if err := e.SetAll("env", map[string]string{"C": "3", "B": "2"}); err != nil {
		t.Fatal(err)
	}
	e.PrependPath("PATH", "/opt/bin", "")
	e.PrependPath("PYTHONPATH", "/lib", "/fallback")
	want := "PATH=/opt/bin:/usr/bin HOME=/root A=1 B=2 C=3 PYTHONPATH=/lib:/fallback"
	if got := strings.Join(e.List(), " "); got != want {
		t.Errorf("List() = %s, want %s", got, want)
	}
	if !e.FromBase("HOME") || e.FromBase("A") || !e.Has("A") || e.Has("junk") {
		t.Error("FromBase/Has do not tell the layers apart")
	}
	for _, bad := range []map[string]string{{"": "x"}, {"A=B": "x"}, {"A": "x\x00"}} {
		if err := e.SetAll("env", bad); err == nil {
			t.Errorf("SetAll(%q) accepted an invalid variable", bad)
		}
	}
}
