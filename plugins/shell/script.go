package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// resolveScript checks that playbook names a file inside workDir, symlinks
// resolved, and returns the path to give the interpreter, relative to
// workDir.
func resolveScript(workDir, playbook string) (string, error) {
	if workDir == "" {
		return "", errors.New("no work dir given")
	}
	if playbook == "" {
		return "", errors.New("no script given: set the template's playbook to a script path in the repository")
	}
	if filepath.IsAbs(playbook) {
		return "", fmt.Errorf("script %q is an absolute path; give a path relative to the repository", playbook)
	}
	rel := filepath.Clean(playbook)
	if escapes(rel) {
		return "", fmt.Errorf("script %q is outside the repository", playbook)
	}
	root, err := filepath.EvalSymlinks(workDir)
	if err != nil {
		return "", fmt.Errorf("work dir: %w", err)
	}
	real, err := filepath.EvalSymlinks(filepath.Join(root, rel))
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("script %q not found in repository", playbook)
	}
	if err != nil {
		return "", fmt.Errorf("script %q: %w", playbook, err)
	}
	if inside, err := filepath.Rel(root, real); err != nil || escapes(inside) {
		return "", fmt.Errorf("script %q is outside the repository (through a symlink)", playbook)
	}
	info, err := os.Stat(real)
	if err != nil {
		return "", fmt.Errorf("script %q: %w", playbook, err)
	}
	if !info.Mode().IsRegular() {
		return "", fmt.Errorf("script %q is not a regular file", playbook)
	}
	// An interpreter would take "-x.sh" for an option.
	if strings.HasPrefix(rel, "-") {
		rel = "." + string(filepath.Separator) + rel
	}
	return rel, nil
}

// escapes reports whether a clean relative path leads out of its base.
func escapes(rel string) bool {
	return rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator))
}
