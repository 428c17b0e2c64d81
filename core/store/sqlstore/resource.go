package sqlstore

import (
	"github.com/signalbox/signalbox/core/model"
)

// The project-scoped kinds: their rows, converters and scoped stores.

// keyRow is a row of access_keys.
type keyRow struct {
	ID        int64  `gorm:"column:id;primaryKey"`
	ProjectID int64  `gorm:"column:project_id"`
	Name      string `gorm:"column:name"`
	Type      string `gorm:"column:type"`
	// Secret is NULL when the key has none.
	Secret []byte `gorm:"column:secret"`
}

func (keyRow) TableName() string { return "access_keys" }

func newKeys(s *Store) scoped[model.AccessKey, keyRow] {
	return scoped[model.AccessKey, keyRow]{
		s:     s,
		kind:  "access key",
		sorts: withSorts(sortColumns{"type": "type"}),
		key:   func(k *model.AccessKey) (*int64, *int64) { return &k.ID, &k.ProjectID },
		toRow: func(k model.AccessKey) keyRow {
			return keyRow{ID: k.ID, ProjectID: k.ProjectID, Name: k.Name, Type: string(k.Type), Secret: nilIfEmpty(k.Secret)}
		},
		fromRow: func(r keyRow) model.AccessKey {
			return model.AccessKey{ID: r.ID, ProjectID: r.ProjectID, Name: r.Name, Type: model.KeyType(r.Type), Secret: nilIfEmpty(r.Secret)}
		},
	}
}

func nilIfEmpty(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

// repositoryRow is a row of repositories.
type repositoryRow struct {
	ID        int64  `gorm:"column:id;primaryKey"`
	ProjectID int64  `gorm:"column:project_id"`
	Name      string `gorm:"column:name"`
	GitURL    string `gorm:"column:git_url"`
	GitBranch string `gorm:"column:git_branch"`
	SSHKeyID  int64  `gorm:"column:ssh_key_id"`
}

func (repositoryRow) TableName() string { return "repositories" }

func newRepositories(s *Store) scoped[model.Repository, repositoryRow] {
	return scoped[model.Repository, repositoryRow]{
		s:     s,
		kind:  "repository",
		sorts: withSorts(sortColumns{"git_url": "git_url", "git_branch": "git_branch"}),
		key:   func(r *model.Repository) (*int64, *int64) { return &r.ID, &r.ProjectID },
		toRow: func(r model.Repository) repositoryRow {
			return repositoryRow(r)
		},
		fromRow: func(r repositoryRow) model.Repository {
			return model.Repository(r)
		},
	}
}

// inventoryRow is a row of inventories.
type inventoryRow struct {
	ID          int64  `gorm:"column:id;primaryKey"`
	ProjectID   int64  `gorm:"column:project_id"`
	Name        string `gorm:"column:name"`
	Type        string `gorm:"column:type"`
	Inventory   string `gorm:"column:inventory"`
	SSHKeyID    *int64 `gorm:"column:ssh_key_id"`
	BecomeKeyID *int64 `gorm:"column:become_key_id"`
}

func (inventoryRow) TableName() string { return "inventories" }

func newInventories(s *Store) scoped[model.Inventory, inventoryRow] {
	return scoped[model.Inventory, inventoryRow]{
		s:     s,
		kind:  "inventory",
		sorts: withSorts(sortColumns{"type": "type"}),
		key:   func(i *model.Inventory) (*int64, *int64) { return &i.ID, &i.ProjectID },
		toRow: func(i model.Inventory) inventoryRow {
			return inventoryRow{
				ID: i.ID, ProjectID: i.ProjectID, Name: i.Name, Type: string(i.Type),
				Inventory: i.Inventory, SSHKeyID: i.SSHKeyID, BecomeKeyID: i.BecomeKeyID,
			}
		},
		fromRow: func(r inventoryRow) model.Inventory {
			return model.Inventory{
				ID: r.ID, ProjectID: r.ProjectID, Name: r.Name, Type: model.InventoryType(r.Type),
				Inventory: r.Inventory, SSHKeyID: r.SSHKeyID, BecomeKeyID: r.BecomeKeyID,
			}
		},
	}
}

// environmentRow is a row of environments.
type environmentRow struct {
	ID        int64  `gorm:"column:id;primaryKey"`
	ProjectID int64  `gorm:"column:project_id"`
	Name      string `gorm:"column:name"`
	JSON      string `gorm:"column:vars_json"`
	Env       string `gorm:"column:env_json"`
	Password  string `gorm:"column:password"`
}

func (environmentRow) TableName() string { return "environments" }

func newEnvironments(s *Store) scoped[model.Environment, environmentRow] {
	return scoped[model.Environment, environmentRow]{
		s:       s,
		kind:    "environment",
		sorts:   scopedSorts,
		key:     func(e *model.Environment) (*int64, *int64) { return &e.ID, &e.ProjectID },
		toRow:   func(e model.Environment) environmentRow { return environmentRow(e) },
		fromRow: func(r environmentRow) model.Environment { return model.Environment(r) },
	}
}

// templateRow is a row of templates.
type templateRow struct {
	ID                      int64  `gorm:"column:id;primaryKey"`
	ProjectID               int64  `gorm:"column:project_id"`
	Name                    string `gorm:"column:name"`
	Description             string `gorm:"column:description"`
	App                     string `gorm:"column:app"`
	Playbook                string `gorm:"column:playbook"`
	RepositoryID            int64  `gorm:"column:repository_id"`
	InventoryID             *int64 `gorm:"column:inventory_id"`
	EnvironmentID           *int64 `gorm:"column:environment_id"`
	ViewID                  *int64 `gorm:"column:view_id"`
	Arguments               string `gorm:"column:arguments"`
	AllowOverrideArgsInTask bool   `gorm:"column:allow_override_args_in_task"`
	SuppressSuccessAlerts   bool   `gorm:"column:suppress_success_alerts"`
	GitBranch               string `gorm:"column:git_branch"`
	Limit                   string `gorm:"column:host_limit"`
	TimeoutSeconds          int    `gorm:"column:timeout_seconds"`
	Params                  string `gorm:"column:params"`
	SurveyVars              string `gorm:"column:survey_vars"`
	Type                    string `gorm:"column:type"`
	StartVersion            string `gorm:"column:start_version"`
	BuildTemplateID         *int64 `gorm:"column:build_template_id"`
	Autorun                 bool   `gorm:"column:autorun"`
	Vaults                  string `gorm:"column:vaults"`
}

func (templateRow) TableName() string { return "templates" }

// viewRow is a row of views; its name column holds the title.
type viewRow struct {
	ID        int64  `gorm:"column:id;primaryKey"`
	ProjectID int64  `gorm:"column:project_id"`
	Title     string `gorm:"column:name"`
	Position  int    `gorm:"column:position"`
}

func (viewRow) TableName() string { return "views" }

func newViews(s *Store) scoped[model.View, viewRow] {
	return scoped[model.View, viewRow]{
		s:       s,
		kind:    "view",
		sorts:   withSorts(sortColumns{"title": "name", "position": "position"}),
		key:     func(v *model.View) (*int64, *int64) { return &v.ID, &v.ProjectID },
		toRow:   func(v model.View) viewRow { return viewRow(v) },
		fromRow: func(r viewRow) model.View { return model.View(r) },
	}
}

func newTemplates(s *Store) scoped[model.Template, templateRow] {
	return scoped[model.Template, templateRow]{
		s:    s,
		kind: "template",
		sorts: withSorts(sortColumns{
			"app": "app", "playbook": "playbook", "type": "type", "repository_id": "repository_id",
		}),
		key:     func(t *model.Template) (*int64, *int64) { return &t.ID, &t.ProjectID },
		toRow:   func(t model.Template) templateRow { return templateRow(t) },
		fromRow: func(r templateRow) model.Template { return model.Template(r) },
	}
}
