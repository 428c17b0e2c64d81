package main

import (
	"errors"
	"fmt"

	"github.com/signalbox/signalbox/sdk/workspace"
)

// resolvePlaybook checks the task's playbook and returns the path to give
// ansible-playbook, relative to workDir.
func resolvePlaybook(workDir, playbook string) (string, error) {
	if playbook == "" {
		return "", errors.New("no playbook given: set the template's playbook to a path in the repository")
	}
	rel, err := workspace.Resolve(workDir, playbook, fmt.Sprintf("playbook %q", playbook), workspace.File)
	if err != nil {
		return "", err
	}
	return workspace.Arg(rel), nil
}
