package migrations

import "gorm.io/gorm"

// addTemplateBuildsAndViews005 adds build/deploy templates (start version,
// build template, autorun), template vaults, the build a deploy task
// deploys, and the views that group templates.
var addTemplateBuildsAndViews005 = Migration{
	ID:   5,
	Name: "add_template_builds_and_views",
	Up: func(db *gorm.DB, dialect string) error {
		return execDDL(db, dialect,
			`ALTER TABLE templates ADD COLUMN start_version {string} NOT NULL DEFAULT ''`,
			`ALTER TABLE templates ADD COLUMN build_template_id {bigint} NULL`,
			`ALTER TABLE templates ADD COLUMN autorun {bool} NOT NULL DEFAULT FALSE`,
			// TEXT columns cannot have a default on every MySQL, so the
			// column is nullable and existing rows are filled here.
			`ALTER TABLE templates ADD COLUMN vaults {text} NULL`,
			`UPDATE templates SET vaults = ''`,
			`ALTER TABLE tasks ADD COLUMN build_task_id {bigint} NULL`,
			`CREATE TABLE views (
	id {id},
	project_id {bigint} NOT NULL,
	name {text} NOT NULL,
	position {int} NOT NULL,
	FOREIGN KEY (project_id) REFERENCES projects (id)
){table}`,
			`CREATE INDEX views_project_id ON views (project_id)`,
		)
	},
}
