package migrations

import "gorm.io/gorm"

// createUserOptions007 stores users' preferences as named JSON values.
var createUserOptions007 = Migration{
	ID:   7,
	Name: "create_user_options",
	Up: func(db *gorm.DB, dialect string) error {
		return execDDL(db, dialect,
			`CREATE TABLE user_options (
	user_id {bigint} NOT NULL,
	name {string} NOT NULL,
	value {text} NOT NULL,
	PRIMARY KEY (user_id, name),
	FOREIGN KEY (user_id) REFERENCES users (id)
){table}`,
		)
	},
}
