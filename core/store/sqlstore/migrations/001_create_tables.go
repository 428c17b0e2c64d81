package migrations

import "gorm.io/gorm"

// createTables001 creates the first schema. Notes:
//   - users.email is NULL when empty, so that the unique index, which MySQL
//     cannot make partial, allows any number of users without an email;
//   - project_users' primary key (project_id, user_id) is its unique index;
//   - task output is stored in chunks of lines (see sqlstore/output.go), keyed
//     by (task_id, first_seq) and uniquely indexed by (task_id, last_seq);
//   - foreign keys guard project_id, user_id and task_id; deletes cascade in
//     code, not in the database.
var createTables001 = Migration{
	ID:   1,
	Name: "create_tables",
	Up: func(db *gorm.DB, dialect string) error {
		return execDDL(db, dialect,
			`CREATE TABLE users (
	id {id},
	username {string} NOT NULL,
	name {text} NOT NULL,
	email {string} NULL,
	password_hash {text} NOT NULL,
	admin {bool} NOT NULL,
	alert {bool} NOT NULL,
	created {time} NOT NULL
){table}`,
			`CREATE UNIQUE INDEX users_username ON users (username)`,
			`CREATE UNIQUE INDEX users_email ON users (email)`,

			`CREATE TABLE sessions (
	id {id},
	user_id {bigint} NOT NULL,
	token_hash {string} NOT NULL,
	created {time} NOT NULL,
	last_active {time} NOT NULL,
	expired {bool} NOT NULL,
	FOREIGN KEY (user_id) REFERENCES users (id)
){table}`,
			`CREATE UNIQUE INDEX sessions_token_hash ON sessions (token_hash)`,
			`CREATE INDEX sessions_user_id ON sessions (user_id)`,

			`CREATE TABLE api_tokens (
	id {string} NOT NULL PRIMARY KEY,
	user_id {bigint} NOT NULL,
	token_hash {string} NOT NULL,
	created {time} NOT NULL,
	expired {bool} NOT NULL,
	FOREIGN KEY (user_id) REFERENCES users (id)
){table}`,
			`CREATE UNIQUE INDEX api_tokens_token_hash ON api_tokens (token_hash)`,
			`CREATE INDEX api_tokens_user_id ON api_tokens (user_id)`,

			`CREATE TABLE projects (
	id {id},
	name {text} NOT NULL,
	created {time} NOT NULL,
	alert {bool} NOT NULL,
	alert_chat {text} NOT NULL,
	max_parallel_tasks {int} NOT NULL
){table}`,

			`CREATE TABLE project_users (
	project_id {bigint} NOT NULL,
	user_id {bigint} NOT NULL,
	role {string} NOT NULL,
	PRIMARY KEY (project_id, user_id),
	FOREIGN KEY (project_id) REFERENCES projects (id),
	FOREIGN KEY (user_id) REFERENCES users (id)
){table}`,
			`CREATE INDEX project_users_user_id ON project_users (user_id)`,

			`CREATE TABLE access_keys (
	id {id},
	project_id {bigint} NOT NULL,
	name {text} NOT NULL,
	type {string} NOT NULL,
	secret {blob} NULL,
	FOREIGN KEY (project_id) REFERENCES projects (id)
){table}`,
			`CREATE INDEX access_keys_project_id ON access_keys (project_id)`,

			`CREATE TABLE repositories (
	id {id},
	project_id {bigint} NOT NULL,
	name {text} NOT NULL,
	git_url {text} NOT NULL,
	git_branch {text} NOT NULL,
	ssh_key_id {bigint} NOT NULL,
	FOREIGN KEY (project_id) REFERENCES projects (id)
){table}`,
			`CREATE INDEX repositories_project_id ON repositories (project_id)`,

			`CREATE TABLE inventories (
	id {id},
	project_id {bigint} NOT NULL,
	name {text} NOT NULL,
	type {string} NOT NULL,
	inventory {text} NOT NULL,
	ssh_key_id {bigint} NULL,
	become_key_id {bigint} NULL,
	FOREIGN KEY (project_id) REFERENCES projects (id)
){table}`,
			`CREATE INDEX inventories_project_id ON inventories (project_id)`,

			`CREATE TABLE environments (
	id {id},
	project_id {bigint} NOT NULL,
	name {text} NOT NULL,
	vars_json {text} NOT NULL,
	env_json {text} NOT NULL,
	password {text} NOT NULL,
	FOREIGN KEY (project_id) REFERENCES projects (id)
){table}`,
			`CREATE INDEX environments_project_id ON environments (project_id)`,

			`CREATE TABLE templates (
	id {id},
	project_id {bigint} NOT NULL,
	name {text} NOT NULL,
	description {text} NOT NULL,
	app {string} NOT NULL,
	playbook {text} NOT NULL,
	repository_id {bigint} NOT NULL,
	inventory_id {bigint} NULL,
	environment_id {bigint} NULL,
	view_id {bigint} NULL,
	arguments {text} NOT NULL,
	allow_override_args_in_task {bool} NOT NULL,
	suppress_success_alerts {bool} NOT NULL,
	git_branch {text} NOT NULL,
	host_limit {text} NOT NULL,
	timeout_seconds {int} NOT NULL,
	params {text} NOT NULL,
	survey_vars {text} NOT NULL,
	type {string} NOT NULL,
	FOREIGN KEY (project_id) REFERENCES projects (id)
){table}`,
			`CREATE INDEX templates_project_id ON templates (project_id)`,

			`CREATE TABLE tasks (
	id {id},
	project_id {bigint} NOT NULL,
	template_id {bigint} NOT NULL,
	status {string} NOT NULL,
	message {text} NOT NULL,
	user_id {bigint} NULL,
	created {time} NOT NULL,
	started {time} NULL,
	ended {time} NULL,
	debug {bool} NOT NULL,
	dry_run {bool} NOT NULL,
	diff {bool} NOT NULL,
	playbook {text} NOT NULL,
	environment {text} NOT NULL,
	arguments {text} NOT NULL,
	git_branch {text} NOT NULL,
	host_limit {text} NOT NULL,
	params {text} NOT NULL,
	commit_hash {text} NOT NULL,
	version {text} NOT NULL,
	attempt {int} NOT NULL,
	owner {string} NOT NULL,
	lease_until {time} NULL,
	exit_code {int} NULL,
	summary {text} NOT NULL,
	FOREIGN KEY (project_id) REFERENCES projects (id)
){table}`,
			`CREATE INDEX tasks_project_id_id ON tasks (project_id, id)`,
			`CREATE INDEX tasks_status_id ON tasks (status, id)`,
			`CREATE INDEX tasks_template_id_id ON tasks (template_id, id)`,

			`CREATE TABLE task_output_chunks (
	task_id {bigint} NOT NULL,
	first_seq {bigint} NOT NULL,
	last_seq {bigint} NOT NULL,
	body {blob} NOT NULL,
	PRIMARY KEY (task_id, first_seq),
	FOREIGN KEY (task_id) REFERENCES tasks (id)
){table}`,
			`CREATE UNIQUE INDEX task_output_chunks_task_id_last_seq ON task_output_chunks (task_id, last_seq)`,
		)
	},
}
