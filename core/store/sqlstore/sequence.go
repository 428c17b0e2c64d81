package sqlstore

import (
	"context"
	"fmt"

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
