package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// errNotInRepo is the cause of a repository file that does not exist.
var errNotInRepo = errors.New("not found in repository")

// resolveInRepo checks that rel names a regular file inside workDir,
// symlinks resolved, and returns its clean path relative to workDir. what
// names the file in errors, such as `playbook "site.yml"`. A missing file
// gives an error wrapping errNotInRepo.
func resolveInRepo(workDir, rel, what string) (string, error) {
	if workDir == "" {
		return "", errors.New("no work dir given")
	}
	if filepath.IsAbs(rel) {
		return "", fmt.Errorf("%s is an absolute path; give a path relative to the repository", what)
	}
	clean := filepath.Clean(rel)
	if escapes(clean) {
		return "", fmt.Errorf("%s is outside the repository", what)
	}
	root, err := filepath.EvalSymlinks(workDir)
	if err != nil {
		return "", fmt.Errorf("work dir: %w", err)
	}
	real, err := filepath.EvalSymlinks(filepath.Join(root, clean))
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("%s %w", what, errNotInRepo)
	}
	if err != nil {
		return "", fmt.Errorf("%s: %w", what, err)
	}
	if inside, err := filepath.Rel(root, real); err != nil || escapes(inside) {
		return "", fmt.Errorf("%s is outside the repository (through a symlink)", what)
	}
	info, err := os.Stat(real)
	if err != nil {
		return "", fmt.Errorf("%s: %w", what, err)
	}
	if !info.Mode().IsRegular() {
		return "", fmt.Errorf("%s is not a regular file", what)
	}
	return clean, nil
}

// resolvePlaybook checks the task's playbook and returns the path to give
// ansible-playbook, relative to workDir.
func resolvePlaybook(workDir, playbook string) (string, error) {
	if playbook == "" {
		return "", errors.New("no playbook given: set the template's playbook to a path in the repository")
	}
	rel, err := resolveInRepo(workDir, playbook, fmt.Sprintf("playbook %q", playbook))
	if err != nil {
		return "", err
	}
	// ansible-playbook would take "-x.yml" for an option.
	if strings.HasPrefix(rel, "-") {
		rel = "." + string(filepath.Separator) + rel
	}
	return rel, nil
}

// escapes reports whether a clean relative path leads out of its base.
func escapes(rel string) bool {
	return rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// lookPath finds an executable named file in the directories of path (a
// PATH value), like exec.LookPath does with the process's own PATH.
func lookPath(file, path string) (string, error) {
	for _, dir := range filepath.SplitList(path) {
		if dir == "" || !filepath.IsAbs(dir) {
			// A relative PATH entry would depend on the task's work dir.
			continue
		}
		p := filepath.Join(dir, file)
		if info, err := os.Stat(p); err == nil && info.Mode().IsRegular() && info.Mode().Perm()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%q not found on PATH", file)
}
