package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/go-hclog"
	"gorm.io/gorm"

	"github.com/signalbox/signalbox/core/model"
	"github.com/signalbox/signalbox/core/store"
)

// The drivers Config.Driver accepts.
const (
	DriverSQLite   = "sqlite"
	DriverPostgres = "postgres"
	DriverMySQL    = "mysql"
)

// Config says which database to open.
type Config struct {
	// Driver is "sqlite", "postgres" or "mysql". Default: "sqlite".
	Driver string
	// DSN is the data source name. For sqlite it is a file path (or a file:
	// URI); Open adds the pragmas it needs (WAL, busy_timeout, foreign keys,
	// immediate transactions). For postgres it is a pgx DSN (key=value or
	// URL). For mysql it is a go-sql-driver DSN; Open forces parseTime,
	// loc=UTC, utf8mb4 and clientFoundRows. Required.
	DSN string
	// Log receives the store's logs; SQL is logged at trace level, without
	// its arguments. Default: no logging.
	Log hclog.Logger
}

// Store is the gorm implementation of store.Store. It is safe for
// concurrent use.
type Store struct {
	base   *gorm.DB
	driver string
	log    hclog.Logger
}

var _ store.Store = (*Store)(nil)

// Open opens the database, checks that it answers and runs the migrations
// it lacks. A database that does not answer is model.ErrUnavailable.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	log := cfg.Log
	if log == nil {
		log = hclog.NewNullLogger()
	}
	log = log.Named("sqlstore")
	if cfg.Driver == "" {
		cfg.Driver = DriverSQLite
	}
	if cfg.DSN == "" {
		return nil, model.Invalidf("open %s database: empty DSN", cfg.Driver)
	}
	d, err := newDialect(cfg)
	if err != nil {
		return nil, err
	}
	// Processes that open a new SQLite database at once contend for the
	// switch to WAL, which busy_timeout does not cover: retry a while.
	for delay := 10 * time.Millisecond; ; delay *= 2 {
		s, err := open(ctx, cfg.Driver, d, log)
		if err == nil || !isSQLiteBusy(err) || delay > 2*time.Second {
			return s, err
		}
		log.Debug("database busy, retrying open", "delay", delay, "error", err)
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(delay):
		}
	}
}

func open(ctx context.Context, driver string, d dialect, log hclog.Logger) (*Store, error) {
	db, err := gorm.Open(d.dialector, &gorm.Config{
		TranslateError:         true,
		SkipDefaultTransaction: true,
		// open pings itself, with ctx.
		DisableAutomaticPing: true,
		NowFunc:              func() time.Time { return dbTime(time.Now()) },
		Logger:               newGormLogger(log),
		PrepareStmt:          d.prepare,
		PrepareStmtMaxSize:   preparedMax,
	})
	if err != nil {
		// Mostly a server that does not answer: the dialects query it.
		return nil, unavailable(fmt.Errorf("open %s database: %w", driver, err))
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, fmt.Errorf("open %s database: %w", driver, err)
	}
	d.configurePool(sqlDB)
	s := &Store{base: db, driver: driver, log: log}
	if err := s.Ping(ctx); err != nil {
		_ = sqlDB.Close()
		return nil, unavailable(fmt.Errorf("open %s database: %w", driver, err))
	}
	if err := s.Migrate(ctx); err != nil {
		_ = sqlDB.Close()
		return nil, err
	}
	return s, nil
}

// Driver returns the database driver: "sqlite", "postgres" or "mysql".
func (s *Store) Driver() string { return s.driver }

// txKey is the context key of a transaction of one Store.
type txKey struct{ s *Store }

// db returns the transaction ctx carries, or the base database, bound to ctx.
func (s *Store) db(ctx context.Context) *gorm.DB {
	if tx, ok := ctx.Value(txKey{s}).(*gorm.DB); ok {
		return tx.WithContext(ctx)
	}
	return s.base.WithContext(ctx)
}

// WithTx runs fn in a transaction carried by the context fn receives; fn's
// error or panic rolls it back. Inside a transaction, WithTx joins it: the
// outer WithTx decides whether everything commits.
func (s *Store) WithTx(ctx context.Context, fn func(ctx context.Context) error) error {
	if _, ok := ctx.Value(txKey{s}).(*gorm.DB); ok {
		return fn(ctx)
	}
	var fnErr error
	err := s.base.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		fnErr = fn(context.WithValue(ctx, txKey{s}, tx))
		return fnErr
	})
	if fnErr != nil {
		return fnErr
	}
	if err != nil {
		return fmt.Errorf("transaction: %w", err)
	}
	return nil
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	sqlDB, err := s.base.DB()
	if err != nil {
		return err
	}
	return sqlDB.PingContext(ctx)
}

// Close closes the database.
func (s *Store) Close() error {
	sqlDB, err := s.base.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// Users returns the user store.
func (s *Store) Users() store.Users { return users{s} }

// Sessions returns the session store.
func (s *Store) Sessions() store.Sessions { return sessions{s} }

// APITokens returns the API token store.
func (s *Store) APITokens() store.APITokens { return apiTokens{s} }

// Projects returns the project store.
func (s *Store) Projects() store.Projects { return projects{s} }

// Members returns the project membership store.
func (s *Store) Members() store.Members { return members{s} }

// Keys returns the access key store.
func (s *Store) Keys() store.ProjectScoped[model.AccessKey] { return newKeys(s) }

// Repositories returns the repository store.
func (s *Store) Repositories() store.ProjectScoped[model.Repository] { return newRepositories(s) }

// Inventories returns the inventory store.
func (s *Store) Inventories() store.ProjectScoped[model.Inventory] { return newInventories(s) }

// Environments returns the environment store.
func (s *Store) Environments() store.ProjectScoped[model.Environment] {
	return newEnvironments(s)
}

// Templates returns the template store.
func (s *Store) Templates() store.ProjectScoped[model.Template] { return newTemplates(s) }

// Tasks returns the task store and queue.
func (s *Store) Tasks() store.Tasks { return tasks{s} }

// Output returns the task output store.
func (s *Store) Output() store.Output { return output{s} }

// UserOptions returns the users' preferences.
func (s *Store) UserOptions() store.UserOptions { return userOptions{s} }

// EnvironmentSecrets returns the environments' secrets.
func (s *Store) EnvironmentSecrets() store.EnvironmentSecrets { return envSecrets{s} }

// Views returns the project views.
func (s *Store) Views() store.ProjectScoped[model.View] { return newViews(s) }

// Events returns the event log.
func (s *Store) Events() store.Events { return events{s} }

// Schedules returns the schedule store.
func (s *Store) Schedules() store.Schedules { return schedules{s} }

// Integrations returns the integration store.
func (s *Store) Integrations() store.Integrations { return newIntegrations(s) }

// dbTime is t as stored: UTC, truncated to the microsecond.
func dbTime(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC().Truncate(time.Microsecond)
}

// dbTimePtr is dbTime for an optional time.
func dbTimePtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := dbTime(*t)
	return &v
}

// modelTime is a stored time as the model returns it: in UTC.
func modelTime(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}

// modelTimePtr is modelTime for an optional time.
func modelTimePtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := modelTime(*t)
	return &v
}

// nowOr returns t, or the current time when t is zero, as stored.
func nowOr(t time.Time) time.Time {
	if t.IsZero() {
		return dbTime(time.Now())
	}
	return dbTime(t)
}

// keptID is the id Create inserts: 0 (the database assigns one) unless
// the context asks to keep ids (store.WithKeptIDs).
func keptID(ctx context.Context, id int64) int64 {
	if store.KeepIDs(ctx) {
		return id
	}
	return 0
}
