package sqlstore

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/signalbox/signalbox/core/store/sqlstore/migrations"
)

// migrationRow is a row of schema_migrations: one applied migration.
type migrationRow struct {
	ID      int       `gorm:"column:id;primaryKey;autoIncrement:false"`
	Name    string    `gorm:"column:name"`
	Applied time.Time `gorm:"column:applied"`
}

func (migrationRow) TableName() string { return "schema_migrations" }

// createMigrationsTable is the DDL of schema_migrations, per driver.
var createMigrationsTable = map[string]string{
	DriverSQLite: `CREATE TABLE IF NOT EXISTS schema_migrations (
	id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(255) NOT NULL, applied DATETIME NOT NULL)`,
	DriverPostgres: `CREATE TABLE IF NOT EXISTS schema_migrations (
	id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(255) NOT NULL, applied TIMESTAMPTZ(6) NOT NULL)`,
	DriverMySQL: `CREATE TABLE IF NOT EXISTS schema_migrations (
	id INT NOT NULL PRIMARY KEY, name VARCHAR(255) NOT NULL, applied DATETIME(6) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
}

// migrateLockKey names the lock that keeps two processes from migrating
// at once.
const migrateLockKey = "signalbox_migrate"

// Migrate applies, in order, the migrations the database lacks, and
// records each in schema_migrations. Each migration runs in a transaction
// on SQLite and PostgreSQL; MySQL commits DDL statement by statement. It
// refuses a database that a newer Signalbox migrated. Concurrent Migrate
// calls, from several processes too, apply each migration once.
func (s *Store) Migrate(ctx context.Context) error {
	all := migrations.All()
	err := s.base.WithContext(ctx).Connection(func(conn *gorm.DB) error {
		// A new session, so that each statement on conn starts afresh.
		conn = conn.Session(&gorm.Session{NewDB: true})
		unlock, err := s.lockMigrations(conn)
		if err != nil {
			return err
		}
		defer unlock()
		if err := conn.Exec(createMigrationsTable[s.driver]).Error; err != nil {
			return fmt.Errorf("create schema_migrations: %w", err)
		}
		var applied []migrationRow
		if err := conn.Order("id").Find(&applied).Error; err != nil {
			return fmt.Errorf("read schema_migrations: %w", err)
		}
		done := map[int]bool{}
		for _, a := range applied {
			if a.ID > len(all) {
				return fmt.Errorf("database has migration %d (%s), which this signalbox does not know: run a newer signalbox", a.ID, a.Name)
			}
			done[a.ID] = true
		}
		for _, m := range all {
			if done[m.ID] {
				continue
			}
			if err := s.apply(conn, m); err != nil {
				return fmt.Errorf("migration %03d_%s: %w", m.ID, m.Name, err)
			}
			s.log.Info("applied migration", "id", m.ID, "name", m.Name)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("migrate %s database: %w", s.driver, err)
	}
	return nil
}

// apply runs one migration and records it, in a transaction where the
// dialect has transactional DDL. A migration another process applied in
// the meantime is skipped.
func (s *Store) apply(conn *gorm.DB, m migrations.Migration) error {
	run := func(db *gorm.DB) error {
		var n int64
		if err := db.Model(&migrationRow{}).Where("id = ?", m.ID).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		if err := m.Up(db, s.driver); err != nil {
			return err
		}
		return db.Create(&migrationRow{ID: m.ID, Name: m.Name, Applied: dbTime(time.Now())}).Error
	}
	if s.driver == DriverMySQL {
		return run(conn)
	}
	return conn.Transaction(run)
}

// lockMigrations takes the database's migration lock on conn, where the
// dialect has one; SQLite's immediate transactions serialize migrations.
func (s *Store) lockMigrations(conn *gorm.DB) (unlock func(), err error) {
	// Unlock even when the context is done: the connection goes back to the
	// pool, and must not hold the lock there.
	release := conn.WithContext(context.WithoutCancel(conn.Statement.Context))
	switch s.driver {
	case DriverPostgres:
		if err := conn.Exec("SELECT pg_advisory_lock(hashtext(?))", migrateLockKey).Error; err != nil {
			return nil, fmt.Errorf("lock migrations: %w", err)
		}
		return func() { release.Exec("SELECT pg_advisory_unlock(hashtext(?))", migrateLockKey) }, nil
	case DriverMySQL:
		var got *int
		if err := conn.Raw("SELECT GET_LOCK(?, 300)", migrateLockKey).Scan(&got).Error; err != nil {
			return nil, fmt.Errorf("lock migrations: %w", err)
		}
		if got == nil || *got != 1 {
			return nil, fmt.Errorf("lock migrations: another process holds %s", migrateLockKey)
		}
		return func() { release.Exec("SELECT RELEASE_LOCK(?)", migrateLockKey) }, nil
	default:
		return func() {}, nil
	}
}
