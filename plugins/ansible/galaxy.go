package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/signalbox/signalbox/sdk/workspace"
)

// galaxyStep is one `ansible-galaxy <kind> install -r <file>`.
type galaxyStep struct {
	// kind is "role" or "collection".
	kind string
	// file is the requirements file, relative to the repository.
	file string
}

func (g galaxyStep) String() string {
	return fmt.Sprintf("ansible-galaxy %s install -r %s", g.kind, g.file)
}

// Default search paths of Ansible, kept after the task's own folders.
const (
	defaultRolesPath       = "~/.ansible/roles:/usr/share/ansible/roles:/etc/ansible/roles"
	defaultCollectionsPath = "~/.ansible/collections:/usr/share/ansible/collections"
)

// galaxySteps lists the installs the repository asks for:
// roles/requirements.yml (roles), collections/requirements.yml
// (collections) and requirements.yml at the root (roles, collections or
// both, after its top-level keys; a plain list is roles). Missing files are
// skipped.
func galaxySteps(workDir string) ([]galaxyStep, error) {
	var steps []galaxyStep
	for _, c := range []struct{ file, kind string }{
		{filepath.Join("roles", "requirements.yml"), "role"},
		{filepath.Join("collections", "requirements.yml"), "collection"},
		{"requirements.yml", ""},
	} {
		rel, err := workspace.Resolve(workDir, c.file, fmt.Sprintf("requirements file %q", c.file), workspace.File)
		if errors.Is(err, workspace.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if c.kind != "" {
			steps = append(steps, galaxyStep{c.kind, rel})
			continue
		}
		data, err := os.ReadFile(filepath.Join(workDir, rel))
		if err != nil {
			return nil, fmt.Errorf("requirements file %q: %w", rel, err)
		}
		roles, collections := requirementKinds(string(data))
		if roles {
			steps = append(steps, galaxyStep{"role", rel})
		}
		if collections {
			steps = append(steps, galaxyStep{"collection", rel})
		}
	}
	return steps, nil
}

// requirementKinds tells what a requirements.yml holds from its top-level
// keys: "roles:" and "collections:". A file with neither is the older
// format, a list of roles.
func requirementKinds(content string) (roles, collections bool) {
	for line := range strings.Lines(content) {
		switch {
		case strings.HasPrefix(line, "roles:"):
			roles = true
		case strings.HasPrefix(line, "collections:"):
			collections = true
		}
	}
	if !roles && !collections {
		roles = true
	}
	return roles, collections
}
