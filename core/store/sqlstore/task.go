package sqlstore

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/signalbox/signalbox/core/model"
	"github.com/signalbox/signalbox/core/store"
)

// taskRow is a row of tasks.
type taskRow struct {
	ID          int64      `gorm:"column:id;primaryKey"`
	ProjectID   int64      `gorm:"column:project_id"`
	TemplateID  int64      `gorm:"column:template_id"`
	Status      string     `gorm:"column:status"`
	Message     string     `gorm:"column:message"`
	UserID      *int64     `gorm:"column:user_id"`
	Created     time.Time  `gorm:"column:created"`
	Start       *time.Time `gorm:"column:started"`
	End         *time.Time `gorm:"column:ended"`
	Debug       bool       `gorm:"column:debug"`
	DryRun      bool       `gorm:"column:dry_run"`
	Diff        bool       `gorm:"column:diff"`
	Playbook    string     `gorm:"column:playbook"`
	Environment string     `gorm:"column:environment"`
	Arguments   string     `gorm:"column:arguments"`
	GitBranch   string     `gorm:"column:git_branch"`
	Limit       string     `gorm:"column:host_limit"`
	Params      string     `gorm:"column:params"`
	CommitHash  string     `gorm:"column:commit_hash"`
	Version     string     `gorm:"column:version"`
	BuildTaskID *int64     `gorm:"column:build_task_id"`
	Attempt     int        `gorm:"column:attempt"`
	Owner       string     `gorm:"column:owner"`
	LeaseUntil  *time.Time `gorm:"column:lease_until"`
	ExitCode    *int       `gorm:"column:exit_code"`
	Summary     string     `gorm:"column:summary"`
}

func (taskRow) TableName() string { return "tasks" }

// taskColumns are the columns of tasks in the order of taskRow.fields.
const taskColumns = "id, project_id, template_id, status, message, user_id, created, started, ended, " +
	"debug, dry_run, diff, playbook, environment, arguments, git_branch, host_limit, params, " +
	"commit_hash, version, build_task_id, attempt, owner, lease_until, exit_code, summary"

// fields points at the row's fields, in the order of taskColumns, for a
// scan without gorm's reflection on the hot listing path.
func (r *taskRow) fields() []any {
	return []any{&r.ID, &r.ProjectID, &r.TemplateID, &r.Status, &r.Message, &r.UserID, &r.Created, &r.Start, &r.End,
		&r.Debug, &r.DryRun, &r.Diff, &r.Playbook, &r.Environment, &r.Arguments, &r.GitBranch, &r.Limit, &r.Params,
		&r.CommitHash, &r.Version, &r.BuildTaskID, &r.Attempt, &r.Owner, &r.LeaseUntil, &r.ExitCode, &r.Summary}
}

func toTaskRow(t model.Task) taskRow {
	return taskRow{
		ID:          t.ID,
		ProjectID:   t.ProjectID,
		TemplateID:  t.TemplateID,
		Status:      string(t.Status),
		Message:     t.Message,
		UserID:      t.UserID,
		Created:     dbTime(t.Created),
		Start:       dbTimePtr(t.Start),
		End:         dbTimePtr(t.End),
		Debug:       t.Debug,
		DryRun:      t.DryRun,
		Diff:        t.Diff,
		Playbook:    t.Playbook,
		Environment: t.Environment,
		Arguments:   t.Arguments,
		GitBranch:   t.GitBranch,
		Limit:       t.Limit,
		Params:      t.Params,
		CommitHash:  t.CommitHash,
		Version:     t.Version,
		BuildTaskID: t.BuildTaskID,
		Attempt:     t.Attempt,
		Owner:       t.Owner,
		LeaseUntil:  dbTimePtr(t.LeaseUntil),
		ExitCode:    t.ExitCode,
		Summary:     t.Summary,
	}
}

func (r taskRow) model() model.Task {
	return model.Task{
		ID:          r.ID,
		ProjectID:   r.ProjectID,
		TemplateID:  r.TemplateID,
		Status:      model.TaskStatus(r.Status),
		Message:     r.Message,
		UserID:      r.UserID,
		Created:     modelTime(r.Created),
		Start:       modelTimePtr(r.Start),
		End:         modelTimePtr(r.End),
		Debug:       r.Debug,
		DryRun:      r.DryRun,
		Diff:        r.Diff,
		Playbook:    r.Playbook,
		Environment: r.Environment,
		Arguments:   r.Arguments,
		GitBranch:   r.GitBranch,
		Limit:       r.Limit,
		Params:      r.Params,
		CommitHash:  r.CommitHash,
		Version:     r.Version,
		BuildTaskID: r.BuildTaskID,
		Attempt:     r.Attempt,
		Owner:       r.Owner,
		LeaseUntil:  modelTimePtr(r.LeaseUntil),
		ExitCode:    r.ExitCode,
		Summary:     r.Summary,
	}
}

// tasks implements store.Tasks.
type tasks struct{ s *Store }

var _ store.Tasks = tasks{}

// Create inserts a task; an empty Status is waiting, a zero Created is now.
func (ts tasks) Create(ctx context.Context, t *model.Task) error {
	t.ID = keptID(ctx, t.ID)
	t.Created = nowOr(t.Created)
	if t.Status == "" {
		t.Status = model.TaskWaiting
	}
	r := toTaskRow(*t)
	if err := ts.s.db(ctx).Create(&r).Error; err != nil {
		if isForeignKey(err) {
			return model.NotFoundf("project %d not found", t.ProjectID)
		}
		return fmt.Errorf("create task in project %d: %w", t.ProjectID, err)
	}
	*t = r.model()
	return nil
}

// inProject filters on the project unless projectID is 0.
func inProject(db *gorm.DB, projectID int64) *gorm.DB {
	if projectID != 0 {
		return db.Where("project_id = ?", projectID)
	}
	return db
}

func (ts tasks) Get(ctx context.Context, projectID, id int64) (model.Task, error) {
	var r taskRow
	if err := inProject(ts.s.db(ctx), projectID).Where("id = ?", id).Take(&r).Error; err != nil {
		if isNotFound(err) {
			return model.Task{}, model.NotFoundf("task %d not found", id)
		}
		return model.Task{}, fmt.Errorf("get task %d: %w", id, err)
	}
	return r.model(), nil
}

// List returns the tasks f selects, newest first.
func (ts tasks) List(ctx context.Context, f store.TaskFilter) ([]model.Task, error) {
	db := inProject(ts.s.db(ctx), f.ProjectID)
	if f.TemplateID != 0 {
		db = db.Where("template_id = ?", f.TemplateID)
	}
	if len(f.Statuses) > 0 {
		db = db.Where("status IN ?", statusStrings(f.Statuses))
	}
	if f.BeforeID != 0 {
		db = db.Where("id < ?", f.BeforeID)
	}
	if !f.EndedBefore.IsZero() {
		db = db.Where("ended < ?", dbTime(f.EndedBefore))
	}
	db, err := page(db.Order("id DESC"), f.Limit, f.Offset)
	if err != nil {
		return nil, fmt.Errorf("list tasks: %w", err)
	}
	rows, err := db.Model(&taskRow{}).Select(taskColumns).Rows()
	if err != nil {
		return nil, fmt.Errorf("list tasks: %w", err)
	}
	defer rows.Close()
	var out []model.Task
	for rows.Next() {
		var r taskRow
		if err := rows.Scan(r.fields()...); err != nil {
			return nil, fmt.Errorf("list tasks: %w", err)
		}
		out = append(out, r.model())
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list tasks: %w", err)
	}
	return out, nil
}

// Delete removes a task and its output; projectID 0 matches any project.
func (ts tasks) Delete(ctx context.Context, projectID, id int64) error {
	return ts.s.WithTx(ctx, func(ctx context.Context) error {
		db := ts.s.db(ctx)
		var n int64
		if err := inProject(db.Model(&taskRow{}), projectID).Where("id = ?", id).Count(&n).Error; err != nil {
			return fmt.Errorf("delete task %d: %w", id, err)
		}
		if n == 0 {
			return model.NotFoundf("task %d not found", id)
		}
		if err := db.Where("task_id = ?", id).Delete(&chunkRow{}).Error; err != nil {
			return fmt.Errorf("delete task %d: output: %w", id, err)
		}
		if err := db.Where("id = ?", id).Delete(&taskRow{}).Error; err != nil {
			return fmt.Errorf("delete task %d: %w", id, err)
		}
		return nil
	})
}

// ListWaiting returns the oldest waiting tasks, oldest first; limit 0
// means all.
func (ts tasks) ListWaiting(ctx context.Context, limit int) ([]model.Task, error) {
	db, err := page(ts.s.db(ctx).Where("status = ?", string(model.TaskWaiting)).Order("id"), limit, 0)
	if err != nil {
		return nil, fmt.Errorf("list waiting tasks: %w", err)
	}
	var rows []taskRow
	if err := db.Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list waiting tasks: %w", err)
	}
	return mapRows(rows, taskRow.model), nil
}

func (ts tasks) CountActive(ctx context.Context) (int, map[int64]int, error) {
	var counts []struct {
		ProjectID int64
		N         int
	}
	err := ts.s.db(ctx).Model(&taskRow{}).Select("project_id, COUNT(*) AS n").
		Where("status IN ?", statusStrings(model.ActiveStatuses)).Group("project_id").Scan(&counts).Error
	if err != nil {
		return 0, nil, fmt.Errorf("count active tasks: %w", err)
	}
	total, perProject := 0, make(map[int64]int, len(counts))
	for _, c := range counts {
		total += c.N
		perProject[c.ProjectID] = c.N
	}
	return total, perProject, nil
}

// Claim is a compare-and-set on the task's status, so that of concurrent
// claimers, in one process or several, exactly one wins. ok is false, with
// no error, when the task is not waiting or no longer exists.
func (ts tasks) Claim(ctx context.Context, id int64, owner string, leaseUntil time.Time) (model.Task, bool, error) {
	if owner == "" {
		return model.Task{}, false, model.Invalidf("claim task %d: empty owner", id)
	}
	res := ts.s.db(ctx).Model(&taskRow{}).
		Where("id = ? AND status = ?", id, string(model.TaskWaiting)).
		Updates(map[string]any{
			"status":      string(model.TaskStarting),
			"attempt":     gorm.Expr("attempt + 1"),
			"owner":       owner,
			"lease_until": dbTime(leaseUntil),
		})
	if err := res.Error; err != nil {
		return model.Task{}, false, fmt.Errorf("claim task %d: %w", id, err)
	}
	if res.RowsAffected == 0 {
		return model.Task{}, false, nil
	}
	t, err := ts.Get(ctx, 0, id)
	if err != nil {
		return model.Task{}, false, fmt.Errorf("claim task %d: %w", id, err)
	}
	return t, true, nil
}

// Transition applies a fenced status change. Message is set only when not
// empty, so that a final status keeps the reason given before it.
func (ts tasks) Transition(ctx context.Context, tr store.Transition) (bool, error) {
	if tr.To == "" {
		return false, model.Invalidf("move task %d: no target status", tr.TaskID)
	}
	set := map[string]any{"status": string(tr.To)}
	if tr.Message != "" {
		set["message"] = tr.Message
	}
	if tr.Start != nil {
		set["started"] = dbTime(*tr.Start)
	}
	if tr.End != nil {
		set["ended"] = dbTime(*tr.End)
	}
	if tr.ExitCode != nil {
		set["exit_code"] = *tr.ExitCode
	}
	if tr.Summary != nil {
		set["summary"] = *tr.Summary
	}
	if tr.ClearLease {
		set["owner"] = ""
		set["lease_until"] = nil
	}
	db := ts.s.db(ctx).Model(&taskRow{}).
		Where("id = ? AND attempt = ? AND owner = ?", tr.TaskID, tr.Attempt, tr.Owner)
	if len(tr.From) > 0 {
		db = db.Where("status IN ?", statusStrings(tr.From))
	}
	res := db.Updates(set)
	if err := res.Error; err != nil {
		return false, fmt.Errorf("move task %d to %s: %w", tr.TaskID, tr.To, err)
	}
	return res.RowsAffected > 0, nil
}

// RenewLeases extends the leases of the owner's active tasks among ids.
func (ts tasks) RenewLeases(ctx context.Context, owner string, ids []int64, until time.Time) error {
	if owner == "" {
		return model.Invalidf("renew leases: empty owner")
	}
	if len(ids) == 0 {
		return nil
	}
	err := ts.s.db(ctx).Model(&taskRow{}).
		Where("owner = ? AND id IN ? AND status IN ?", owner, ids, statusStrings(model.ActiveStatuses)).
		Update("lease_until", dbTime(until)).Error
	if err != nil {
		return fmt.Errorf("renew leases of %s: %w", owner, err)
	}
	return nil
}

// ListActive returns, oldest first, the active tasks of owner when owner is
// not empty, else the active tasks whose lease ended before leaseBefore.
func (ts tasks) ListActive(ctx context.Context, owner string, leaseBefore time.Time) ([]model.Task, error) {
	db := ts.s.db(ctx).Where("status IN ?", statusStrings(model.ActiveStatuses))
	if owner != "" {
		db = db.Where("owner = ?", owner)
	} else {
		db = db.Where("lease_until < ?", leaseBefore.UTC())
	}
	var rows []taskRow
	if err := db.Order("id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list active tasks: %w", err)
	}
	return mapRows(rows, taskRow.model), nil
}

func statusStrings(ss []model.TaskStatus) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = string(s)
	}
	return out
}
