package migrations

import "gorm.io/gorm"

// createEnvironmentSecrets006 stores environment secrets, encrypted.
var createEnvironmentSecrets006 = Migration{
	ID:   6,
	Name: "create_environment_secrets",
	Up: func(db *gorm.DB, dialect string) error {
		return execDDL(db, dialect,
			`CREATE TABLE environment_secrets (
	id {id},
	project_id {bigint} NOT NULL,
	environment_id {bigint} NOT NULL,
	name {string} NOT NULL,
	type {string} NOT NULL,
	secret {blob} NOT NULL,
	FOREIGN KEY (project_id) REFERENCES projects (id),
	FOREIGN KEY (environment_id) REFERENCES environments (id)
){table}`,
			`CREATE UNIQUE INDEX environment_secrets_name ON environment_secrets (environment_id, name)`,
		)
	},
}
