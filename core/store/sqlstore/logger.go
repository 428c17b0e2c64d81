package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/go-hclog"
	"gorm.io/gorm"
	gormlogger "gorm.io/gorm/logger"
)

// slowQuery is how long a statement may take before it is logged as slow.
const slowQuery = 500 * time.Millisecond

// gormLogger sends gorm's logs to hclog. It never logs statement arguments,
// which may be secrets.
type gormLogger struct {
	log hclog.Logger
}

var (
	_ gormlogger.Interface = gormLogger{}
	_ gorm.ParamsFilter    = gormLogger{}
)

func newGormLogger(log hclog.Logger) gormLogger { return gormLogger{log: log.Named("sql")} }

// LogMode is ignored: the hclog level decides.
func (l gormLogger) LogMode(gormlogger.LogLevel) gormlogger.Interface { return l }

func (l gormLogger) Info(_ context.Context, format string, args ...any) {
	l.log.Info(fmt.Sprintf(format, args...))
}

func (l gormLogger) Warn(_ context.Context, format string, args ...any) {
	l.log.Warn(fmt.Sprintf(format, args...))
}

func (l gormLogger) Error(_ context.Context, format string, args ...any) {
	l.log.Error(fmt.Sprintf(format, args...))
}

// Trace logs one statement: failures and every statement at trace level,
// slow ones at warn level. Failures are expected (a missing row, a unique
// violation) and the store returns them, so they are not errors here.
func (l gormLogger) Trace(_ context.Context, begin time.Time, fc func() (string, int64), err error) {
	elapsed := time.Since(begin)
	switch {
	case elapsed > slowQuery:
		sql, rows := fc()
		l.log.Warn("slow query", "duration", elapsed, "rows", rows, "sql", sql)
	case err != nil && !errors.Is(err, gorm.ErrRecordNotFound) && l.log.IsDebug():
		sql, _ := fc()
		l.log.Debug("query failed", "duration", elapsed, "sql", sql, "error", err)
	case l.log.IsTrace():
		sql, rows := fc()
		l.log.Trace("query", "duration", elapsed, "rows", rows, "sql", sql)
	}
}

// ParamsFilter hides the statement arguments that may be secrets (text and
// bytes) from the logged SQL; numbers, booleans and times stay readable.
func (l gormLogger) ParamsFilter(_ context.Context, sql string, params ...any) (string, []any) {
	shown := make([]any, len(params))
	for i, p := range params {
		switch p.(type) {
		case nil, bool, int, int64, int32, uint, uint64, float64, time.Time, *time.Time:
			shown[i] = p
		default:
			shown[i] = hiddenArg{}
		}
	}
	return sql, shown
}

// hiddenArg stands for a hidden argument in logged SQL.
type hiddenArg struct{}

func (hiddenArg) String() string { return "***" }
