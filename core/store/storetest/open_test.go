package storetest_test

import (
	"database/sql"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/signalbox/signalbox/core/model"
	"github.com/signalbox/signalbox/core/store/sqlstore"
	"github.com/signalbox/signalbox/core/store/storetest"
)

func TestOpen(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()

			t.Run("migrating a migrated database is a no-op", func(t *testing.T) {
				st := storetest.Open(t, dialect)
				mustNoErr(t, st.Migrate(t.Context()), "Migrate")
				mustNoErr(t, st.Migrate(t.Context()), "Migrate again")
				mustProject(t, st)
			})

			t.Run("stores opened at once on a new database migrate it once", func(t *testing.T) {
				cfg := storetest.NewDatabase(t, dialect)
				stores := make([]*sqlstore.Store, 4)
				errs := make([]error, len(stores))
				var wg sync.WaitGroup
				for i := range stores {
					wg.Go(func() { stores[i], errs[i] = sqlstore.Open(t.Context(), cfg) })
				}
				wg.Wait()
				for i, st := range stores {
					if errs[i] != nil {
						t.Errorf("Open %d: %v", i, errs[i])
						continue
					}
					t.Cleanup(func() { _ = st.Close() })
				}
				if t.Failed() {
					t.FailNow()
				}
				mustProject(t, stores[0])
			})

			t.Run("open refuses an unknown driver and an empty DSN", func(t *testing.T) {
				_, err := sqlstore.Open(t.Context(), sqlstore.Config{Driver: "oracle", DSN: "x"})
				wantErr(t, err, model.ErrInvalid, "Open with driver oracle")
				_, err = sqlstore.Open(t.Context(), sqlstore.Config{Driver: dialect})
				wantErr(t, err, model.ErrInvalid, "Open without DSN")
			})

			t.Run("statistics are refreshed after a burst of writes", func(t *testing.T) {
				cfg := storetest.NewDatabase(t, dialect)
				st, err := sqlstore.Open(t.Context(), cfg)
				mustNoErr(t, err, "Open")
				t.Cleanup(func() { _ = st.Close() })
				p := mustProject(t, st)
				mustNoErr(t, st.RefreshStatistics(t.Context()), "RefreshStatistics with nothing changed")
				for range 1500 {
					mustTask(t, st, p.ID, model.TaskWaiting)
				}
				mustNoErr(t, st.RefreshStatistics(t.Context()), "RefreshStatistics")
				if dialect != storetest.Postgres {
					return
				}
				db, err := sql.Open("pgx", cfg.DSN)
				mustNoErr(t, err, "open the database")
				defer db.Close()
				// PostgreSQL's activity statistics reach pg_stat_user_tables
				// asynchronously (backends flush them about once a second), as
				// the server's refresh every few seconds allows for: refresh
				// until the table is seen and analysed.
				deadline := time.Now().Add(30 * time.Second)
				for {
					var analyzed bool
					mustNoErr(t, db.QueryRowContext(t.Context(), `SELECT COALESCE(bool_or(last_analyze IS NOT NULL), false)
						FROM pg_stat_user_tables WHERE relname = 'tasks' AND schemaname = current_schema()`).Scan(&analyzed),
						"read pg_stat_user_tables")
					if analyzed {
						return
					}
					if time.Now().After(deadline) {
						t.Fatal("tasks was not analysed after 1,500 new rows")
					}
					time.Sleep(200 * time.Millisecond)
					mustNoErr(t, st.RefreshStatistics(t.Context()), "RefreshStatistics")
				}
			})

			t.Run("a database that does not answer is unavailable", func(t *testing.T) {
				dsn := map[string]string{
					storetest.SQLite:   filepath.Join(t.TempDir(), "missing", "dir", "sb.db"),
					storetest.Postgres: "host=127.0.0.1 port=1 user=postgres sslmode=disable connect_timeout=5",
					storetest.MySQL:    "root@tcp(127.0.0.1:1)/sb?timeout=5s",
				}[dialect]
				_, err := sqlstore.Open(t.Context(), sqlstore.Config{Driver: dialect, DSN: dsn})
				wantErr(t, err, model.ErrUnavailable, "Open")
			})
		})
	}
}
