package sqlstore

import (
	"database/sql"
	"runtime"
	"strings"
	"time"

	"github.com/glebarez/sqlite"
	"github.com/go-sql-driver/mysql"
	gormmysql "gorm.io/driver/mysql"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"

	"github.com/signalbox/signalbox/core/model"
)

// sqliteParams are added to every SQLite DSN. WAL lets readers run beside
// the one writer; busy_timeout makes a writer wait for the write lock
// instead of failing with SQLITE_BUSY; immediate transactions take the
// write lock at BEGIN, so a transaction never fails when it upgrades from
// reading to writing (which busy_timeout cannot retry).
var sqliteParams = []string{
	"_pragma=busy_timeout(10000)",
	"_pragma=journal_mode(WAL)",
	"_pragma=synchronous(NORMAL)",
	"_pragma=foreign_keys(1)",
	"_txlock=immediate",
}

// dialect is a driver's gorm dialector and connection pool setup.
type dialect struct {
	dialector gorm.Dialector
	// maxOpen caps the open connections; 0 means no cap.
	maxOpen int
	// prepare keeps prepared statements (see preparedMax).
	prepare bool
}

// preparedMax bounds the statements kept prepared where the driver does
// not keep them itself (SQLite: parsing the SQL of a task listing was an
// eighth of its cost). pgx caches statements per connection already.
const preparedMax = 256

func newDialect(cfg Config) (dialect, error) {
	switch cfg.Driver {
	case DriverSQLite:
		dsn, memory := sqliteDSN(cfg.DSN)
		d := dialect{dialector: sqlite.Open(dsn), maxOpen: max(4, runtime.GOMAXPROCS(0)), prepare: true}
		if memory {
			// Each connection to :memory: is its own database.
			d.maxOpen = 1
		}
		return d, nil
	case DriverPostgres:
		return dialect{dialector: postgres.Open(cfg.DSN), maxOpen: 32}, nil
	case DriverMySQL:
		dsn, err := mysqlDSN(cfg.DSN)
		if err != nil {
			return dialect{}, err
		}
		return dialect{dialector: gormmysql.Open(dsn), maxOpen: 32}, nil
	default:
		return dialect{}, model.Invalidf("unknown database driver %q (want sqlite, postgres or mysql)", cfg.Driver)
	}
}

func (d dialect) configurePool(db *sql.DB) {
	db.SetMaxOpenConns(d.maxOpen)
	db.SetMaxIdleConns(max(2, d.maxOpen/2))
	db.SetConnMaxIdleTime(5 * time.Minute)
}

// sqliteDSN adds sqliteParams to a SQLite DSN, and reports whether it names
// an in-memory database.
func sqliteDSN(dsn string) (string, bool) {
	memory := dsn == ":memory:" || strings.Contains(dsn, "mode=memory")
	path, query, _ := strings.Cut(dsn, "?")
	params := strings.Join(sqliteParams, "&")
	if query != "" {
		params += "&" + query
	}
	return path + "?" + params, memory
}

// mysqlDSN forces the connection settings the store relies on: times in
// UTC, utf8mb4, and an UPDATE's affected rows counting the matched rows
// (clientFoundRows), as on the other dialects.
func mysqlDSN(dsn string) (string, error) {
	c, err := mysql.ParseDSN(dsn)
	if err != nil {
		return "", model.Invalidf("bad mysql DSN: %v", err)
	}
	c.ParseTime = true
	c.Loc = time.UTC
	c.ClientFoundRows = true
	// The driver's default collation is utf8mb4; only an explicit charset
	// could change it.
	if _, ok := c.Params["charset"]; ok {
		c.Params["charset"] = "utf8mb4"
	}
	return c.FormatDSN(), nil
}
