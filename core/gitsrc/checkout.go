package gitsrc

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// cloneWorkspace clones branch of the repository at source (the cache, or
// a repository on this machine) into dest: a standalone repository with
// the branch's full history, the branch checked out and tracking an
// "origin" remote that names origin. An empty branch clones source's HEAD,
// detached. dest comes from prepareDest. Errors are internal: source is
// expected to be whole.
func (s *session) cloneWorkspace(ctx context.Context, source, branch, origin, dest string) (Workspace, error) {
	// --no-local: copy the reachable objects into a pack of dest's own,
	// rather than hard-link source's files, which the task could change.
	args := []string{"clone", "--quiet", "--no-local", "--single-branch", "--no-tags"}
	if branch != "" {
		args = append(args, "--branch="+branch)
	}
	if _, err := s.git(ctx, append(args, "--", source, dest)...); err != nil {
		return Workspace{}, err
	}
	gd := "--git-dir=" + filepath.Join(dest, ".git")
	for _, kv := range [][2]string{
		{"remote.origin.url", origin},
		{"remote.origin.fetch", "+refs/heads/*:refs/remotes/origin/*"},
	} {
		if _, err := s.git(ctx, gd, "config", "--replace-all", kv[0], kv[1]); err != nil {
			return Workspace{}, fmt.Errorf("configure origin: %w", err)
		}
	}
	out, err := s.git(ctx, gd, "log", "-1", "--format=%H%x00%B", "HEAD")
	if err != nil {
		return Workspace{}, fmt.Errorf("read HEAD: %w", err)
	}
	commit, msg, ok := strings.Cut(out, "\x00")
	if !ok {
		return Workspace{}, fmt.Errorf("read HEAD: unexpected output %q", out)
	}
	return Workspace{Dir: dest, Branch: branch, Commit: strings.TrimSpace(commit), Message: subject(msg)}, nil
}

// revParse returns the full hash of the commit rev names in the repository
// whose git directory is gitDir.
func (s *session) revParse(ctx context.Context, gitDir, rev string) (string, error) {
	out, err := s.git(ctx, "--git-dir="+gitDir, "rev-parse", "--verify", "--quiet", rev+"^{commit}")
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(out), nil
}

// prepareDest checks that dest is free for a new repository (missing or an
// empty directory), creates it and returns its absolute path.
func prepareDest(dest string) (string, error) {
	if dest == "" {
		return "", errors.New("no destination directory")
	}
	dest, err := filepath.Abs(dest)
	if err != nil {
		return "", fmt.Errorf("destination: %w", err)
	}
	entries, err := os.ReadDir(dest)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if err := os.MkdirAll(dest, 0o755); err != nil {
			return "", fmt.Errorf("create destination: %w", err)
		}
	case err != nil:
		return "", fmt.Errorf("destination: %w", err)
	case len(entries) > 0:
		return "", fmt.Errorf("destination %s is not empty", dest)
	}
	return dest, nil
}

// subject returns the first line of a commit message.
func subject(msg string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(msg), "\n")
	return strings.TrimSpace(line)
}
