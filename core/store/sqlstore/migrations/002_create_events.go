package migrations

import "gorm.io/gorm"

// createEvents002 creates the event log. project_id and user_id have no
// foreign keys: events outlive the users they name, and a project's events
// are deleted with it in code.
var createEvents002 = Migration{
	ID:   2,
	Name: "create_events",
	Up: func(db *gorm.DB, dialect string) error {
		return execDDL(db, dialect,
			`CREATE TABLE events (
	id {id},
	project_id {bigint} NULL,
	user_id {bigint} NULL,
	object_type {string} NOT NULL,
	object_id {bigint} NULL,
	description {text} NOT NULL,
	created {time} NOT NULL
){table}`,
			`CREATE INDEX events_project_id ON events (project_id, id)`,
		)
	},
}
