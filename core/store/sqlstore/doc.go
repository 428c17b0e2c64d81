// Package sqlstore implements the store interfaces on gorm, for SQLite (the
// default, pure Go), PostgreSQL and MySQL/MariaDB.
//
// Rows are unexported structs, separate from the model types, with explicit
// converters. The schema is made by the numbered migrations of package
// migrations, recorded in the table schema_migrations; gorm's AutoMigrate is
// never used.
//
// Every method gets its *gorm.DB from Store.db(ctx): inside Store.WithTx that
// is the transaction the context carries, else the base database.
//
// Times are stored in UTC, truncated to the microsecond (the precision of
// PostgreSQL and MySQL), and returned in UTC.
package sqlstore
