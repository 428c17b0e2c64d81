package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/signalbox/signalbox/sdk/workspace"
)

// resolveModule checks that module (the template's playbook field) names a
// folder inside workDir, symlinks resolved, and returns its path. An empty
// module is the repository's root.
func resolveModule(workDir, module string) (string, error) {
	rel, err := workspace.Resolve(workDir, module, fmt.Sprintf("module folder %q", module), workspace.Dir)
	if err != nil {
		return "", err
	}
	return filepath.Join(workDir, rel), nil
}

func isExecutable(p string) bool {
	info, err := os.Stat(p)
	return err == nil && info.Mode().IsRegular() && info.Mode().Perm()&0o111 != 0
}
