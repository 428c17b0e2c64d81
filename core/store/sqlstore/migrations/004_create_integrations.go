package migrations

import "gorm.io/gorm"

// createIntegrations004 creates the tables of integrations (incoming
// webhooks). Notes:
//   - integrations.auth_secret is the sealed secret (NULL for the none
//     method); template_id has no foreign key, like tasks.template_id: the
//     service refuses to delete a template an integration uses;
//   - matchers and extract values carry their integration's project_id, so
//     that a project's delete removes them by project like everything else;
//   - integration_aliases.integration_id is NULL for a project alias, and
//     alias is unique among all projects;
//   - columns avoid the words MySQL reserves (key, method).
var createIntegrations004 = Migration{
	ID:   4,
	Name: "create_integrations",
	Up: func(db *gorm.DB, dialect string) error {
		return execDDL(db, dialect,
			`CREATE TABLE integrations (
	id {id},
	project_id {bigint} NOT NULL,
	name {text} NOT NULL,
	template_id {bigint} NOT NULL,
	auth_method {string} NOT NULL,
	auth_header {string} NOT NULL,
	auth_secret {blob} NULL,
	searchable {bool} NOT NULL,
	task_params {text} NOT NULL,
	FOREIGN KEY (project_id) REFERENCES projects (id)
){table}`,
			`CREATE INDEX integrations_project_id ON integrations (project_id)`,

			`CREATE TABLE integration_matchers (
	id {id},
	project_id {bigint} NOT NULL,
	integration_id {bigint} NOT NULL,
	name {text} NOT NULL,
	match_type {string} NOT NULL,
	match_method {string} NOT NULL,
	body_data_type {string} NOT NULL,
	match_key {text} NOT NULL,
	match_value {text} NOT NULL,
	FOREIGN KEY (project_id) REFERENCES projects (id),
	FOREIGN KEY (integration_id) REFERENCES integrations (id)
){table}`,
			`CREATE INDEX integration_matchers_integration_id ON integration_matchers (integration_id)`,
			`CREATE INDEX integration_matchers_project_id ON integration_matchers (project_id)`,

			`CREATE TABLE integration_extract_values (
	id {id},
	project_id {bigint} NOT NULL,
	integration_id {bigint} NOT NULL,
	name {text} NOT NULL,
	value_source {string} NOT NULL,
	body_data_type {string} NOT NULL,
	value_key {text} NOT NULL,
	variable {text} NOT NULL,
	variable_type {string} NOT NULL,
	FOREIGN KEY (project_id) REFERENCES projects (id),
	FOREIGN KEY (integration_id) REFERENCES integrations (id)
){table}`,
			`CREATE INDEX integration_extract_values_integration_id ON integration_extract_values (integration_id)`,
			`CREATE INDEX integration_extract_values_project_id ON integration_extract_values (project_id)`,

			`CREATE TABLE integration_aliases (
	id {id},
	project_id {bigint} NOT NULL,
	integration_id {bigint} NULL,
	alias {string} NOT NULL,
	FOREIGN KEY (project_id) REFERENCES projects (id),
	FOREIGN KEY (integration_id) REFERENCES integrations (id)
){table}`,
			`CREATE UNIQUE INDEX integration_aliases_alias ON integration_aliases (alias)`,
			`CREATE INDEX integration_aliases_project_id ON integration_aliases (project_id, integration_id)`,
			`CREATE INDEX integration_aliases_integration_id ON integration_aliases (integration_id)`,
		)
	},
}
