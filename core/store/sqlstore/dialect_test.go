package sqlstore

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

func TestSQLiteDSN(t *testing.T) {
	for name, tc := range map[string]struct {
		dsn        string
		wantPrefix string
		wantSuffix string
		wantMemory bool
	}{
		"a path gets the pragmas": {dsn: "/data/sb.db", wantPrefix: "/data/sb.db?_pragma=busy_timeout"},
		"a query of its own is kept after them": {
			dsn: "file:/data/sb.db?cache=shared", wantPrefix: "file:/data/sb.db?_pragma=", wantSuffix: "&cache=shared",
		},
		"an in-memory database is one connection": {dsn: ":memory:", wantPrefix: ":memory:?", wantMemory: true},
	} {
		t.Run(name, func(t *testing.T) {
			got, memory := sqliteDSN(tc.dsn)
			if !strings.HasPrefix(got, tc.wantPrefix) || !strings.HasSuffix(got, tc.wantSuffix) || memory != tc.wantMemory {
				t.Fatalf("sqliteDSN(%q) = %q, %v", tc.dsn, got, memory)
			}
			for _, p := range sqliteParams {
				if !strings.Contains(got, p) {
					t.Errorf("sqliteDSN(%q) = %q lacks %s", tc.dsn, got, p)
				}
			}
		})
	}
}

func TestMySQLDSN(t *testing.T) {
	t.Run("the settings the store relies on are forced", func(t *testing.T) {
		got, err := mysqlDSN("u:p@tcp(db:3306)/sb?parseTime=false&loc=Local&charset=latin1&clientFoundRows=false")
		if err != nil {
			t.Fatal(err)
		}
		c, err := mysql.ParseDSN(got)
		if err != nil {
			t.Fatal(err)
		}
		if !c.ParseTime || c.Loc != time.UTC || !c.ClientFoundRows || c.Params["charset"] != "utf8mb4" || c.DBName != "sb" {
			t.Fatalf("mysqlDSN gave %q", got)
		}
	})
	t.Run("a bad DSN is invalid", func(t *testing.T) {
		if _, err := mysqlDSN("no slash here"); err == nil {
			t.Fatal("mysqlDSN accepted a DSN without a slash")
		}
	})
}

func TestOpenSQLite(t *testing.T) {
	s, err := Open(t.Context(), Config{DSN: filepath.Join(t.TempDir(), "sb.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	t.Run("the default driver is sqlite with WAL, foreign keys and a busy timeout", func(t *testing.T) {
		if s.Driver() != DriverSQLite {
			t.Errorf("Driver() = %q", s.Driver())
		}
		for pragma, want := range map[string]string{"journal_mode": "wal", "foreign_keys": "1", "busy_timeout": "10000"} {
			var got string
			if err := s.base.Raw("PRAGMA " + pragma).Scan(&got).Error; err != nil {
				t.Fatalf("PRAGMA %s: %v", pragma, err)
			}
			if got != want {
				t.Errorf("PRAGMA %s = %q, want %q", pragma, got, want)
			}
		}
	})
}
