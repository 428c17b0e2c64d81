// Package storetest gives tests a fresh, empty store of each backend:
// SQLite in a temporary directory, a new database on the PostgreSQL and
// MySQL servers that CI runs (dropped when the test ends), the key/value
// store (package kvstore) on the in-memory backend, and the key/value store
// on the bolt storage plugin, built from plugins/storage-bolt and started
// as a real plugin process.
//
// Environment:
//
//	SIGNALBOX_TEST_DIALECTS       comma list of backends to test; default "sqlite,postgres,mysql,memory,bolt"
//	SIGNALBOX_TEST_POSTGRES_DSN   default "host=127.0.0.1 port=5432 user=postgres dbname=postgres sslmode=disable"
//	SIGNALBOX_TEST_MYSQL_DSN      default "root@tcp(127.0.0.1:3306)/"
//
// A selected dialect whose server does not answer fails the test.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/hashicorp/go-hclog"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver

	"github.com/signalbox/signalbox/core/store"
	"github.com/signalbox/signalbox/core/store/sqlstore"
)

// The backends: the SQL dialects, named as sqlstore's drivers, and the
// key/value backends.
const (
	SQLite   = sqlstore.DriverSQLite
	Postgres = sqlstore.DriverPostgres
	MySQL    = sqlstore.DriverMySQL
	Memory   = "memory"
	Bolt     = "bolt"
)

// allBackends are the backends tested by default, SQL first.
var allBackends = []string{SQLite, Postgres, MySQL, Memory, Bolt}

// IsSQL says whether a backend is a SQL dialect.
func IsSQL(backend string) bool {
	return backend == SQLite || backend == Postgres || backend == MySQL
}

// The environment variables storetest reads.
const (
	EnvDialects    = "SIGNALBOX_TEST_DIALECTS"
	EnvPostgresDSN = "SIGNALBOX_TEST_POSTGRES_DSN"
	EnvMySQLDSN    = "SIGNALBOX_TEST_MYSQL_DSN"
)

const (
	defaultPostgresDSN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres sslmode=disable"
	defaultMySQLDSN    = "root@tcp(127.0.0.1:3306)/"
	// adminTimeout bounds creating and dropping a test database.
	adminTimeout = 30 * time.Second
)

// Dialects returns the SQL dialects to test, from SIGNALBOX_TEST_DIALECTS.
func Dialects(t testing.TB) []string {
	t.Helper()
	var out []string
	for _, b := range Backends(t) {
		if IsSQL(b) {
			out = append(out, b)
		}
	}
	return out
}

// Backends returns the backends to test, from SIGNALBOX_TEST_DIALECTS.
func Backends(t testing.TB) []string {
	t.Helper()
	env := os.Getenv(EnvDialects)
	if strings.TrimSpace(env) == "" {
		return allBackends
	}
	var out []string
	seen := map[string]bool{}
	for _, d := range strings.Split(env, ",") {
		d = strings.ToLower(strings.TrimSpace(d))
		switch d {
		case "":
			continue
		case SQLite, Postgres, MySQL, Memory, Bolt:
		default:
			t.Fatalf("storetest: %s names unknown backend %q (want sqlite, postgres, mysql, memory or bolt)", EnvDialects, d)
		}
		if !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	return out
}

// ForEachBackend runs fn, in parallel subtests named by backend, each with
// a fresh store of its backend.
func ForEachBackend(t *testing.T, fn func(t *testing.T, st store.Store)) {
	t.Helper()
	for _, b := range Backends(t) {
		t.Run(b, func(t *testing.T) {
			t.Parallel()
			fn(t, OpenBackend(t, b))
		})
	}
}

// ForEachDialect runs fn, in parallel subtests named by dialect, each with a
// fresh store of its dialect: for tests of what only the SQL stores have.
func ForEachDialect(t *testing.T, fn func(t *testing.T, st *sqlstore.Store)) {
	t.Helper()
	for _, d := range Dialects(t) {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			fn(t, Open(t, d))
		})
	}
}

// Open returns a store on a fresh, empty, migrated database of the dialect,
// closed and dropped when the test ends.
func Open(t testing.TB, dialect string) *sqlstore.Store {
	t.Helper()
	cfg := NewDatabase(t, dialect)
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	st, err := sqlstore.Open(ctx, cfg)
	if err != nil {
		t.Fatalf("storetest: open %s store: %v", dialect, err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Errorf("storetest: close %s store: %v", dialect, err)
		}
	})
	return st
}

// NewDatabase creates a fresh, empty database of the dialect, dropped when
// the test ends, and returns the config to open it with, for tests that
// open it themselves (several stores on one database, say). Stores opened
// on it must be closed before the test's cleanups end.
func NewDatabase(t testing.TB, dialect string) sqlstore.Config {
	t.Helper()
	cfg := sqlstore.Config{Driver: dialect, Log: testLogger(t)}
	switch dialect {
	case SQLite:
		cfg.DSN = filepath.Join(t.TempDir(), "signalbox.db")
	case Postgres:
		cfg.DSN = newPostgresDatabase(t)
	case MySQL:
		cfg.DSN = newMySQLDatabase(t)
	default:
		t.Fatalf("storetest: unknown dialect %q", dialect)
	}
	return cfg
}

func newPostgresDatabase(t testing.TB) string {
	t.Helper()
	adminDSN := envOr(EnvPostgresDSN, defaultPostgresDSN)
	name := databaseName()
	admin := openAdmin(t, "pgx", adminDSN, Postgres, EnvPostgresDSN)
	defer admin.Close()
	adminExec(t, admin, "CREATE DATABASE "+name)
	t.Cleanup(func() {
		admin := openAdmin(t, "pgx", adminDSN, Postgres, EnvPostgresDSN)
		defer admin.Close()
		adminExec(t, admin, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	return postgresDSNWithDatabase(adminDSN, name)
}

// postgresDSNWithDatabase points a URL or key=value DSN at database name.
func postgresDSNWithDatabase(dsn, name string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err == nil {
			u.Path = "/" + name
			return u.String()
		}
	}
	// In a key=value DSN, the last dbname wins.
	return dsn + " dbname=" + name
}

func newMySQLDatabase(t testing.TB) string {
	t.Helper()
	c, err := mysql.ParseDSN(envOr(EnvMySQLDSN, defaultMySQLDSN))
	if err != nil {
		t.Fatalf("storetest: bad %s: %v", EnvMySQLDSN, err)
	}
	c.DBName = ""
	adminDSN := c.FormatDSN()
	name := databaseName()
	admin := openAdmin(t, "mysql", adminDSN, MySQL, EnvMySQLDSN)
	defer admin.Close()
	adminExec(t, admin, "CREATE DATABASE "+name+" CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
	t.Cleanup(func() {
		admin := openAdmin(t, "mysql", adminDSN, MySQL, EnvMySQLDSN)
		defer admin.Close()
		adminExec(t, admin, "DROP DATABASE IF EXISTS "+name)
	})
	c.DBName = name
	return c.FormatDSN()
}

// databaseName returns a new random database name.
func databaseName() string {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return "sbtest_" + hex.EncodeToString(b)
}

// openAdmin connects to a server to create or drop a database, failing the
// test with a clear message if the server does not answer.
func openAdmin(t testing.TB, driver, dsn, dialect, env string) *sql.DB {
	t.Helper()
	db, err := sql.Open(driver, dsn)
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err = db.PingContext(ctx)
		cancel()
		if err != nil {
			db.Close()
		}
	}
	if err != nil {
		t.Fatalf("storetest: the %s server does not answer: %v\n"+
			"Start it (see %s for its DSN), or leave %s out of %s.", dialect, err, env, dialect, EnvDialects)
	}
	return db
}

func adminExec(t testing.TB, db *sql.DB, stmt string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	if _, err := db.ExecContext(ctx, stmt); err != nil {
		t.Fatalf("storetest: %s: %v", stmt, err)
	}
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// testLogger logs the store's warnings and errors to the test log.
func testLogger(t testing.TB) hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{
		Name:   "test",
		Level:  hclog.Warn,
		Output: testWriter{t},
	})
}

type testWriter struct{ t testing.TB }

var _ io.Writer = testWriter{}

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
