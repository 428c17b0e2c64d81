// Package workspace helps executors work safely inside a task's checked-out
// repository: it resolves paths a template names without letting them
// leave the repository (through "..", an absolute path or a symlink), and
// builds the environment of a task's processes.
package workspace

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/signalbox/signalbox/sdk/executor"
)

// ErrNotFound is the cause of a path that does not exist in the repository.
var ErrNotFound = errors.New("not found in repository")

// Kind says what a resolved path must be.
type Kind int

// The kinds of path.
const (
	// File is a regular file.
	File Kind = iota
	// Dir is a directory.
	Dir
)

// Resolve checks that rel names a file (or directory) inside workDir,
// symlinks resolved, and returns its clean path relative to workDir. what
// names it in errors, such as `playbook "site.yml"`. A missing path gives
// an error wrapping ErrNotFound.
func Resolve(workDir, rel, what string, kind Kind) (string, error) {
	if workDir == "" {
		return "", errors.New("no work dir given")
	}
	if filepath.IsAbs(rel) {
		return "", fmt.Errorf("%s is an absolute path; give a path relative to the repository", what)
	}
	clean := filepath.Clean(rel)
	if Escapes(clean) {
		return "", fmt.Errorf("%s is outside the repository", what)
	}
	root, err := filepath.EvalSymlinks(workDir)
	if err != nil {
		return "", fmt.Errorf("work dir: %w", err)
	}
	real, err := filepath.EvalSymlinks(filepath.Join(root, clean))
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("%s %w", what, ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("%s: %w", what, err)
	}
	if inside, err := filepath.Rel(root, real); err != nil || Escapes(inside) {
		return "", fmt.Errorf("%s is outside the repository (through a symlink)", what)
	}
	info, err := os.Stat(real)
	if err != nil {
		return "", fmt.Errorf("%s: %w", what, err)
	}
	switch {
	case kind == File && !info.Mode().IsRegular():
		return "", fmt.Errorf("%s is not a regular file", what)
	case kind == Dir && !info.IsDir():
		return "", fmt.Errorf("%s is not a directory", what)
	}
	return clean, nil
}

// Escapes reports whether a clean relative path leads out of its base.
func Escapes(rel string) bool {
	return rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// Arg makes a relative path safe to pass as a command argument: a program
// would take "-x.sh" for an option, so it becomes "./-x.sh".
func Arg(rel string) string {
	if strings.HasPrefix(rel, "-") {
		return "." + string(filepath.Separator) + rel
	}
	return rel
}

// handshakeVars are the variables go-plugin sets for the plugin's
// handshake; a task's processes do not inherit them.
var handshakeVars = map[string]bool{
	executor.Handshake.MagicCookieKey: true,
	"PLUGIN_CLIENT_CERT":              true,
	"PLUGIN_MIN_PORT":                 true,
	"PLUGIN_MAX_PORT":                 true,
	"PLUGIN_MULTIPLEX_GRPC":           true,
	"PLUGIN_PROTOCOL_VERSIONS":        true,
	"PLUGIN_UNIX_SOCKET_DIR":          true,
	"PLUGIN_UNIX_SOCKET_GROUP":        true,
}

// PluginEnviron is the plugin's own environment without go-plugin's
// handshake variables: the base environment of a task's processes.
func PluginEnviron() []string {
	return slices.DeleteFunc(os.Environ(), func(kv string) bool {
		k, _, _ := strings.Cut(kv, "=")
		return handshakeVars[k] || strings.HasPrefix(k, "PLUGIN_")
	})
}

// LookPath finds an executable named file in the directories of path (a
// PATH value), as exec.LookPath does with the process's own PATH.
// Relative entries are skipped: they would depend on the task's work dir.
func LookPath(file, path string) (string, error) {
	for _, dir := range filepath.SplitList(path) {
		if dir == "" || !filepath.IsAbs(dir) {
			continue
		}
		p := filepath.Join(dir, file)
		if info, err := os.Stat(p); err == nil && info.Mode().IsRegular() && info.Mode().Perm()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%q not found on PATH", file)
}
