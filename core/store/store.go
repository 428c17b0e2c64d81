// Package store defines the persistence interfaces of Signalbox, one per
// aggregate. Implementations (package sqlstore) return errors wrapping the
// model error classes: model.ErrNotFound for a missing row, model.ErrConflict
// for a broken unique constraint.
//
// Every method takes a context first. Inside Store.WithTx, the context
// carries the transaction and every method called with it joins it.
package store

import (
	"context"
	"time"

	"github.com/signalbox/signalbox/core/model"
)

// Store is the whole persistence layer.
type Store interface {
	// WithTx runs fn in a transaction: fn's error rolls it back.
	WithTx(ctx context.Context, fn func(ctx context.Context) error) error
	Users() Users
	Sessions() Sessions
	APITokens() APITokens
	Projects() Projects
	Members() Members
	Keys() ProjectScoped[model.AccessKey]
	Repositories() ProjectScoped[model.Repository]
	Inventories() ProjectScoped[model.Inventory]
	Environments() ProjectScoped[model.Environment]
	Templates() ProjectScoped[model.Template]
	Views() ProjectScoped[model.View]
	EnvironmentSecrets() EnvironmentSecrets
	UserOptions() UserOptions
	Tasks() Tasks
	Schedules() Schedules
	Output() Output
	Events() Events
	Integrations() Integrations
	// Ping checks that the database answers.
	Ping(ctx context.Context) error
	Close() error
}

// Order is a sort direction.
type Order string

// The sort directions.
const (
	Asc  Order = "asc"
	Desc Order = "desc"
)

// ListOptions page and sort a listing. SortBy is a field name of the API
// ("name", "id"…); implementations refuse unknown ones with ErrInvalid.
type ListOptions struct {
	SortBy string
	Order  Order
	// Limit caps the rows returned; 0 means no cap.
	Limit  int
	Offset int
}

// Users stores users.
type Users interface {
	Create(ctx context.Context, u *model.User) error
	Get(ctx context.Context, id int64) (model.User, error)
	// GetByLogin finds a user by username or email.
	GetByLogin(ctx context.Context, login string) (model.User, error)
	List(ctx context.Context, opts ListOptions) ([]model.User, error)
	Update(ctx context.Context, u model.User) error
	SetPassword(ctx context.Context, id int64, hash string) error
	Delete(ctx context.Context, id int64) error
	Count(ctx context.Context) (int64, error)
}

// Sessions stores browser sessions.
type Sessions interface {
	Create(ctx context.Context, s *model.Session) error
	// GetByTokenHash returns an unexpired session.
	GetByTokenHash(ctx context.Context, hash string) (model.Session, error)
	// GetWithUser returns an unexpired session and its user, in one
	// lookup where the store can: every browser request makes it.
	GetWithUser(ctx context.Context, hash string) (model.Session, model.User, error)
	Touch(ctx context.Context, id int64, at time.Time) error
	Expire(ctx context.Context, id int64) error
}

// APITokens stores API tokens.
type APITokens interface {
	Create(ctx context.Context, t *model.APIToken) error
	// GetByHash returns an unexpired token.
	GetByHash(ctx context.Context, hash string) (model.APIToken, error)
	ListByUser(ctx context.Context, userID int64) ([]model.APIToken, error)
	Expire(ctx context.Context, userID int64, id string) error
}

// Projects stores projects.
type Projects interface {
	Create(ctx context.Context, p *model.Project) error
	Get(ctx context.Context, id int64) (model.Project, error)
	// List returns the projects a user is a member of, or all of them for userID 0.
	List(ctx context.Context, userID int64) ([]model.Project, error)
	Update(ctx context.Context, p model.Project) error
	// Delete removes the project and everything in it.
	Delete(ctx context.Context, id int64) error
}

// Members stores project memberships.
type Members interface {
	Add(ctx context.Context, m model.ProjectUser) error
	Get(ctx context.Context, projectID, userID int64) (model.ProjectUser, error)
	List(ctx context.Context, projectID int64) ([]model.ProjectUser, error)
	Update(ctx context.Context, m model.ProjectUser) error
	Remove(ctx context.Context, projectID, userID int64) error
}

// ProjectScoped stores one kind of object that lives in a project. T's ID
// and ProjectID fields identify it; an object of another project is not found.
type ProjectScoped[T any] interface {
	// Create inserts v and sets its ID.
	Create(ctx context.Context, v *T) error
	Get(ctx context.Context, projectID, id int64) (T, error)
	List(ctx context.Context, projectID int64, opts ListOptions) ([]T, error)
	Update(ctx context.Context, v T) error
	Delete(ctx context.Context, projectID, id int64) error
}

// TaskFilter selects tasks for a listing, newest first.
type TaskFilter struct {
	ProjectID  int64
	TemplateID int64
	Statuses   []model.TaskStatus
	// BeforeID pages backwards: only tasks with a smaller id.
	BeforeID int64
	// EndedBefore keeps only tasks that ended before this time.
	EndedBefore time.Time
	Limit       int
	Offset      int
}

// Transition is a fenced change of a task's status. It applies only while
// the task's attempt and owner are still the ones given (a stale runner's
// report is refused) and its status is one of From (any when empty).
type Transition struct {
	TaskID  int64
	Attempt int
	Owner   string
	From    []model.TaskStatus
	To      model.TaskStatus
	Message string
	// Start and End are set when not nil.
	Start    *time.Time
	End      *time.Time
	ExitCode *int
	Summary  *string
	// ClearLease drops owner and lease, for a final status.
	ClearLease bool
}

// Tasks stores tasks and is the task queue: runners claim waiting tasks
// with Claim, hold them with leases, and report through fenced Transitions.
type Tasks interface {
	Create(ctx context.Context, t *model.Task) error
	// Get returns a task; projectID 0 matches any project.
	Get(ctx context.Context, projectID, id int64) (model.Task, error)
	List(ctx context.Context, f TaskFilter) ([]model.Task, error)
	// Delete removes a task and its output.
	Delete(ctx context.Context, projectID, id int64) error

	// ListWaiting returns the oldest waiting tasks, oldest first.
	ListWaiting(ctx context.Context, limit int) ([]model.Task, error)
	// CountActive counts tasks in active statuses, in all and per project.
	CountActive(ctx context.Context) (total int, perProject map[int64]int, err error)
	// Claim moves a waiting task to starting for owner, increments its
	// attempt and sets its lease. ok is false if the task was not waiting.
	Claim(ctx context.Context, id int64, owner string, leaseUntil time.Time) (t model.Task, ok bool, err error)
	// Transition applies a fenced status change; ok is false if the fence
	// or the From statuses did not match.
	Transition(ctx context.Context, tr Transition) (ok bool, err error)
	// RenewLeases extends the leases of the owner's tasks among ids.
	RenewLeases(ctx context.Context, owner string, ids []int64, until time.Time) error
	// ListActive returns active tasks whose lease ended before the given
	// time, or all active tasks of an owner when owner is not empty.
	ListActive(ctx context.Context, owner string, leaseBefore time.Time) ([]model.Task, error)
}

// Output stores task output, append-only, ordered by sequence number.
type Output interface {
	// Append stores lines whose Seq the caller assigned, in one statement or
	// a few; lines of one call are consecutive.
	Append(ctx context.Context, taskID int64, lines []model.OutputLine) error
	// List returns up to limit lines with Seq > afterSeq, in order. limit 0
	// means all.
	List(ctx context.Context, taskID int64, afterSeq int64, limit int) ([]model.OutputLine, error)
	// LastSeq returns the highest stored sequence number, 0 when none.
	LastSeq(ctx context.Context, taskID int64) (int64, error)
	// Count returns how many lines a task has.
	Count(ctx context.Context, taskID int64) (int64, error)
}

// EnvironmentSecrets stores the secrets of environments.
type EnvironmentSecrets interface {
	// List returns an environment's secrets, by name.
	List(ctx context.Context, projectID, environmentID int64) ([]model.EnvironmentSecret, error)
	Create(ctx context.Context, s *model.EnvironmentSecret) error
	Update(ctx context.Context, s model.EnvironmentSecret) error
	Delete(ctx context.Context, projectID, environmentID, id int64) error
	// DeleteAll removes every secret of an environment.
	DeleteAll(ctx context.Context, projectID, environmentID int64) error
}

// keepIDsKey marks a context whose Creates keep the objects' ids.
type keepIDsKey struct{}

// WithKeptIDs returns a context in which Create keeps the ID an object
// already has (when not 0) instead of assigning a new one, and makes later
// ids larger: `signalbox store copy` writes with it so that ids survive.
func WithKeptIDs(ctx context.Context) context.Context {
	return context.WithValue(ctx, keepIDsKey{}, true)
}

// KeepIDs says whether ctx asks Create to keep ids (see WithKeptIDs).
func KeepIDs(ctx context.Context) bool {
	v, _ := ctx.Value(keepIDsKey{}).(bool)
	return v
}

// SequenceSyncer is a Store whose id sequences must be moved past the ids
// that creates with kept ids (WithKeptIDs) inserted; `store copy` calls it
// when it is done.
type SequenceSyncer interface {
	SyncSequences(ctx context.Context) error
}

// StatisticsRefresher is a Store whose query planner needs fresh table
// statistics after bursts of writes (PostgreSQL's autovacuum looks only
// once a minute: until then a table that grew from nothing to 100,000
// tasks is planned as if it held a few dozen rows). The server calls it
// every few seconds; it is cheap when nothing changed.
type StatisticsRefresher interface {
	RefreshStatistics(ctx context.Context) error
}
