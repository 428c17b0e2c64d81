package sqlstore

import (
	"context"
	"fmt"
	"strings"

	"github.com/signalbox/signalbox/core/store"
)

var _ store.SequenceSyncer = (*Store)(nil)

// SyncSequences moves PostgreSQL's id sequences past the largest ids, after
// rows were inserted with their ids (store.WithKeptIDs). SQLite and MySQL
// do it by themselves.
func (s *Store) SyncSequences(ctx context.Context) error {
	if s.driver != DriverPostgres {
		return nil
	}
	db := s.db(ctx)
	var tables []string
	err := db.Raw(`SELECT table_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND column_name = 'id'
			AND (is_identity = 'YES' OR column_default LIKE 'nextval%')`).
		Scan(&tables).Error
	if err != nil {
		return fmt.Errorf("sync id sequences: %w", err)
	}
	for _, t := range tables {
		q := fmt.Sprintf(`SELECT setval(pg_get_serial_sequence('%[1]s', 'id'),
			COALESCE((SELECT MAX(id) FROM %[1]s), 1), (SELECT MAX(id) FROM %[1]s) IS NOT NULL)`, t)
		if err := db.Exec(q).Error; err != nil {
			return fmt.Errorf("sync id sequence of %s: %w", t, err)
		}
	}
	return nil
}

var _ store.StatisticsRefresher = (*Store)(nil)

// RefreshStatistics runs ANALYZE on the PostgreSQL tables that changed by
// more than a tenth (and at least 1,000 rows) since they were last
// analysed. SQLite and MySQL need nothing: their planners here follow the
// indexes, and InnoDB recalculates its statistics by itself.
func (s *Store) RefreshStatistics(ctx context.Context) error {
	if s.driver != DriverPostgres {
		return nil
	}
	db := s.db(ctx)
	var tables []string
	err := db.Raw(`SELECT relname FROM pg_stat_user_tables
		WHERE schemaname = current_schema() AND n_mod_since_analyze > GREATEST(1000, n_live_tup / 10)`).
		Scan(&tables).Error
	if err != nil {
		return fmt.Errorf("find tables to analyze: %w", err)
	}
	for _, t := range tables {
		if err := db.Exec(`ANALYZE "` + strings.ReplaceAll(t, `"`, `""`) + `"`).Error; err != nil {
			return fmt.Errorf("analyze %s: %w", t, err)
		}
	}
	return nil
}
