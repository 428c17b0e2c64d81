package migrations

import "gorm.io/gorm"

// createSchedules003 creates the schedules that start tasks on a timetable.
// last_fired is the tick a schedule last took: the scheduler sets it with a
// compare-and-set before it starts a task, so a tick never runs twice, even
// across restarts or several servers. A template's schedules are deleted
// with it in code; the foreign key keeps them from outliving it.
var createSchedules003 = Migration{
	ID:   3,
	Name: "create_schedules",
	Up: func(db *gorm.DB, dialect string) error {
		return execDDL(db, dialect,
			`CREATE TABLE schedules (
	id {id},
	project_id {bigint} NOT NULL,
	template_id {bigint} NOT NULL,
	name {text} NOT NULL,
	type {string} NOT NULL,
	cron_format {text} NOT NULL,
	run_at {time} NULL,
	active {bool} NOT NULL,
	last_fired {time} NULL,
	FOREIGN KEY (project_id) REFERENCES projects (id),
	FOREIGN KEY (template_id) REFERENCES templates (id)
){table}`,
			`CREATE INDEX schedules_project_id ON schedules (project_id, id)`,
			`CREATE INDEX schedules_template_id ON schedules (template_id)`,
		)
	},
}
