package main

import (
	"errors"
	"fmt"

	"github.com/signalbox/signalbox/sdk/workspace"
)

// resolveScript checks that playbook names a file inside workDir, symlinks
// resolved, and returns the path to give the interpreter, relative to
// workDir.
func resolveScript(workDir, playbook string) (string, error) {
	if playbook == "" {
		return "", errors.New("no script given: set the template's playbook to a script path in the repository")
	}
	rel, err := workspace.Resolve(workDir, playbook, fmt.Sprintf("script %q", playbook), workspace.File)
	if err != nil {
		return "", err
	}
	return workspace.Arg(rel), nil
}
