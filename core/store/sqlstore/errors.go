package sqlstore

import (
	"errors"

	gosqlite "github.com/glebarez/go-sqlite"
	"gorm.io/gorm"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/signalbox/signalbox/core/model"
)

// gorm is opened with TranslateError, so every dialect's unique and
// foreign key violations arrive as gorm's sentinel errors (checked by the
// conformance tests of package storetest on each dialect).

// isDuplicate reports whether err is a unique constraint violation.
func isDuplicate(err error) bool { return errors.Is(err, gorm.ErrDuplicatedKey) }

// isForeignKey reports whether err is a foreign key violation: a row refers
// to a project, user or task that does not exist.
func isForeignKey(err error) bool { return errors.Is(err, gorm.ErrForeignKeyViolated) }

// isNotFound reports whether err says a query found no row.
func isNotFound(err error) bool { return errors.Is(err, gorm.ErrRecordNotFound) }

// isSQLiteBusy reports whether err is SQLite's SQLITE_BUSY, of any kind.
func isSQLiteBusy(err error) bool {
	var e *gosqlite.Error
	return errors.As(err, &e) && e.Code()&0xff == sqlite3.SQLITE_BUSY
}

// unavailableError is a failure to reach the database: model.ErrUnavailable
// with the cause kept in its chain.
type unavailableError struct{ err error }

func unavailable(err error) error { return unavailableError{err} }

func (e unavailableError) Error() string   { return e.err.Error() }
func (e unavailableError) Unwrap() []error { return []error{model.ErrUnavailable, e.err} }
