package kvstore

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"slices"
	"time"

	"github.com/signalbox/signalbox/core/model"
	"github.com/signalbox/signalbox/core/store"
)

// Buckets of tasks:
//
//	tasks           id → Task
//	tasks.project   project id, descending id → entry
//	tasks.template  project id, template id, descending id → entry (tasks with a template only)
//	tasks.status    status, id → project id, template id
//
// An entry holds what List filters on, so that a filtered page reads the
// documents of its own tasks only: the status (a key string), then, for an
// ended task, the end in Unix microseconds (a key int64). The queue
// (ListWaiting, CountActive, ListActive) reads tasks.status, whose waiting
// and active parts stay small however many tasks have finished. Every
// task also has an output.meta entry (see output.go), written with it.
const (
	tasksBucket     = "tasks"
	tasksByProject  = "tasks.project"
	tasksByTemplate = "tasks.template"
	tasksByStatus   = "tasks.status"
	tasksCollection = "tasks"
)

// casAttempts bounds how often Claim, Transition and RenewLeases read a
// task again after another server changed it between their read and their
// write, before they give up with model.ErrConflict.
const casAttempts = 8

type tasks struct{ s *Store }

var _ store.Tasks = tasks{}

// Tasks returns the task store, which is also the task queue.
func (s *Store) Tasks() store.Tasks { return tasks{s} }

// taskEntry is the value of a task's tasks.project and tasks.template
// entries.
func taskEntry(t model.Task) []byte {
	if t.End == nil {
		return key(string(t.Status))
	}
	return key(string(t.Status), t.End.UnixMicro())
}

// parseTaskEntry decodes a taskEntry: the status and, when the task
// ended, its end in Unix microseconds.
func parseTaskEntry(v []byte) (status model.TaskStatus, endMicro int64, ended bool) {
	i := bytes.IndexByte(v, 0)
	if i < 0 {
		return model.TaskStatus(v), 0, false
	}
	if len(v) >= i+1+8 {
		return model.TaskStatus(v[:i]), idAt(v, i+1), true
	}
	return model.TaskStatus(v[:i]), 0, false
}

// storeTask gives a task's times their stored form.
func storeTask(t model.Task) model.Task {
	t.Created = storeTime(t.Created)
	t.Start = storeTimePtr(t.Start)
	t.End = storeTimePtr(t.End)
	t.LeaseUntil = storeTimePtr(t.LeaseUntil)
	return t
}

// write stores t and moves its index entries from those of old (nil for
// a new task). A task keeps its project and template.
func (ts tasks) write(ctx context.Context, old *model.Task, t model.Task) error {
	s := ts.s
	if old == nil || old.Status != t.Status {
		if old != nil {
			if err := s.del(ctx, tasksByStatus, key(string(old.Status), t.ID)); err != nil {
				return err
			}
		}
		if err := s.put(ctx, tasksByStatus, key(string(t.Status), t.ID), key(t.ProjectID, t.TemplateID)); err != nil {
			return err
		}
	}
	if entry := taskEntry(t); old == nil || !bytes.Equal(entry, taskEntry(*old)) {
		if err := s.put(ctx, tasksByProject, key(t.ProjectID, descending(t.ID)), entry); err != nil {
			return err
		}
		if t.TemplateID != 0 {
			if err := s.put(ctx, tasksByTemplate, key(t.ProjectID, t.TemplateID, descending(t.ID)), entry); err != nil {
				return err
			}
		}
	}
	return putDoc(ctx, s, tasksBucket, key(t.ID), t)
}

// Create inserts a task; an empty Status is waiting, a zero Created is
// now. The ID t had is ignored (kept when the context says
// store.KeepIDs).
func (ts tasks) Create(ctx context.Context, t *model.Task) error {
	v := storeTask(*t)
	v.Created = nowOr(v.Created)
	if v.Status == "" {
		v.Status = model.TaskWaiting
	}
	err := ts.s.update(ctx, func(ctx context.Context) error {
		if err := ts.s.requireProject(ctx, v.ProjectID); err != nil {
			return err
		}
		id, err := ts.s.nextID(ctx, tasksCollection, v.ID)
		if err != nil {
			return err
		}
		if _, exists, err := ts.s.get(ctx, tasksBucket, key(id)); err != nil {
			return err
		} else if exists {
			return model.Conflictf("task %d already exists", id)
		}
		v.ID = id
		if err := ts.write(ctx, nil, v); err != nil {
			return err
		}
		return ts.s.put(ctx, outputMeta, key(id), outputMetaValue(0, 0))
	})
	if err != nil {
		return annotate(err, "create task in project %d", t.ProjectID)
	}
	*t = v
	return nil
}

// Get reads a task by id; projectID 0 matches any project.
func (ts tasks) Get(ctx context.Context, projectID, id int64) (model.Task, error) {
	t, ok, err := getDoc[model.Task](ctx, ts.s, tasksBucket, key(id))
	if err != nil {
		return model.Task{}, annotate(err, "get task %d", id)
	}
	if !ok || (projectID != 0 && t.ProjectID != projectID) {
		return model.Task{}, model.NotFoundf("task %d not found", id)
	}
	return t, nil
}

// Delete removes a task with its index entries and output; projectID 0
// matches any project.
func (ts tasks) Delete(ctx context.Context, projectID, id int64) error {
	err := ts.s.update(ctx, func(ctx context.Context) error {
		t, err := ts.Get(ctx, projectID, id)
		if err != nil {
			return err
		}
		if err := ts.s.del(ctx, tasksByProject, key(t.ProjectID, descending(id))); err != nil {
			return err
		}
		if t.TemplateID != 0 {
			if err := ts.s.del(ctx, tasksByTemplate, key(t.ProjectID, t.TemplateID, descending(id))); err != nil {
				return err
			}
		}
		return ts.s.deleteTask(ctx, id, t.Status)
	})
	return annotate(err, "delete task %d", id)
}

// deleteTask removes a task's document, status entry and output; the
// caller removes its project and template entries.
func (s *Store) deleteTask(ctx context.Context, id int64, status model.TaskStatus) error {
	if err := s.del(ctx, tasksByStatus, key(string(status), id)); err != nil {
		return err
	}
	if err := s.deleteOutput(ctx, id); err != nil {
		return err
	}
	return s.del(ctx, tasksBucket, key(id))
}

// deleteProjectTasks removes every task of a project, with its output:
// one scan of the project's entries, and a DeletePrefix for each of the
// project's index ranges.
func (s *Store) deleteProjectTasks(ctx context.Context, projectID int64) error {
	err := s.scan(ctx, scanRange{bucket: tasksByProject, prefix: key(projectID)}, 0, func(k, v []byte) error {
		status, _, _ := parseTaskEntry(v)
		return s.deleteTask(ctx, lastDescID(k), status)
	})
	if err != nil {
		return annotate(err, "delete tasks of project %d", projectID)
	}
	for _, b := range []string{tasksByProject, tasksByTemplate} {
		if err := s.delPrefix(ctx, b, key(projectID)); err != nil {
			return err
		}
	}
	return nil
}

// matches says whether a task passes every filter of f but the paging.
func matches(f store.TaskFilter, t model.Task) bool {
	return (f.ProjectID == 0 || t.ProjectID == f.ProjectID) &&
		(f.TemplateID == 0 || t.TemplateID == f.TemplateID) &&
		(len(f.Statuses) == 0 || slices.Contains(f.Statuses, t.Status)) &&
		(f.BeforeID == 0 || t.ID < f.BeforeID) &&
		(f.EndedBefore.IsZero() || (t.End != nil && t.End.Before(storeTime(f.EndedBefore))))
}

// queueStatuses are the statuses whose tasks are few at any time: those
// tasks.status lists cheaply.
var queueStatuses = append([]model.TaskStatus{model.TaskWaiting}, model.ActiveStatuses...)

// List returns the tasks f selects, newest first. It reads, in order of
// preference: the status index when f asks only for waiting or active
// tasks; the template or project index, filtering on their entries, so
// that documents are read for the page only; every task, newest first,
// when f names no project.
func (ts tasks) List(ctx context.Context, f store.TaskFilter) ([]model.Task, error) {
	if f.Limit < 0 || f.Offset < 0 {
		return nil, model.Invalidf("list tasks: negative limit %d or offset %d", f.Limit, f.Offset)
	}
	var (
		out []model.Task
		err error
	)
	switch {
	case len(f.Statuses) > 0 && !slices.ContainsFunc(f.Statuses, func(st model.TaskStatus) bool {
		return !slices.Contains(queueStatuses, st)
	}):
		out, err = ts.listQueued(ctx, f)
	case f.ProjectID != 0:
		out, err = ts.listIndexed(ctx, f)
	default:
		out, err = ts.listAll(ctx, f)
	}
	if err != nil {
		return nil, annotate(err, "list tasks")
	}
	if out == nil {
		out = []model.Task{}
	}
	return out, nil
}

// listIndexed lists the tasks of f's project (and template) from their
// index, reading the documents of the page only.
func (ts tasks) listIndexed(ctx context.Context, f store.TaskFilter) ([]model.Task, error) {
	r := scanRange{bucket: tasksByProject, prefix: key(f.ProjectID)}
	if f.TemplateID != 0 {
		r = scanRange{bucket: tasksByTemplate, prefix: key(f.ProjectID, f.TemplateID)}
	}
	if f.BeforeID != 0 {
		r.start = append(append(bytes.Clone(r.prefix), key(descending(f.BeforeID))...), 0)
	}
	filtered := len(f.Statuses) > 0 || !f.EndedBefore.IsZero()
	endedBefore := storeTime(f.EndedBefore).UnixMicro()
	// A page of entries for the page of tasks; with filters, twice that,
	// from 64 to 1,000 entries.
	pageSize := 0
	switch {
	case f.Limit > 0 && !filtered:
		pageSize = f.Offset + f.Limit
	case f.Limit > 0:
		pageSize = min(max(2*(f.Offset+f.Limit), 64), 1000)
	}
	var keys [][]byte
	skip := f.Offset
	err := ts.s.scan(ctx, r, pageSize, func(k, v []byte) error {
		if filtered {
			status, end, ended := parseTaskEntry(v)
			if len(f.Statuses) > 0 && !slices.Contains(f.Statuses, status) {
				return nil
			}
			if !f.EndedBefore.IsZero() && (!ended || end >= endedBefore) {
				return nil
			}
		}
		if skip > 0 {
			skip--
			return nil
		}
		keys = append(keys, key(lastDescID(k)))
		if f.Limit > 0 && len(keys) >= f.Limit {
			return errStop
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return ts.getTasks(ctx, keys, func(t model.Task) bool { return matches(f, t) })
}

// listQueued lists tasks of waiting and active statuses from the status
// index.
func (ts tasks) listQueued(ctx context.Context, f store.TaskFilter) ([]model.Task, error) {
	var ids []int64
	for _, st := range slices.Compact(slices.Sorted(slices.Values(f.Statuses))) {
		err := ts.s.scan(ctx, scanRange{bucket: tasksByStatus, prefix: key(string(st))}, 0, func(k, v []byte) error {
			id := lastID(k)
			if (f.ProjectID == 0 || idAt(v, 0) == f.ProjectID) && (f.TemplateID == 0 || idAt(v, 8) == f.TemplateID) &&
				(f.BeforeID == 0 || id < f.BeforeID) {
				ids = append(ids, id)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	slices.SortFunc(ids, func(a, b int64) int { return cmp.Compare(b, a) })
	// The entries decided every filter but EndedBefore: without it, read
	// the page's documents only.
	ended := !f.EndedBefore.IsZero()
	if !ended {
		ids = page(ids, f.Limit, f.Offset)
	}
	keys := make([][]byte, len(ids))
	for i, id := range ids {
		keys[i] = key(id)
	}
	out, err := ts.getTasks(ctx, keys, func(t model.Task) bool { return matches(f, t) })
	if err != nil || !ended {
		return out, err
	}
	return page(out, f.Limit, f.Offset), nil
}

// listAll lists the tasks of every project, newest first, from the
// documents.
func (ts tasks) listAll(ctx context.Context, f store.TaskFilter) ([]model.Task, error) {
	r := scanRange{bucket: tasksBucket, reverse: true}
	if f.BeforeID != 0 {
		r.end = key(f.BeforeID)
	}
	var out []model.Task
	skip := f.Offset
	err := scanDocs(ctx, ts.s, r, func(_ []byte, t model.Task) error {
		if !matches(f, t) {
			return nil
		}
		if skip > 0 {
			skip--
			return nil
		}
		out = append(out, t)
		if f.Limit > 0 && len(out) >= f.Limit {
			return errStop
		}
		return nil
	})
	return out, err
}

// getTasks reads the tasks of keys, in their order, keeping those keep
// accepts: an index read outside a transaction may be older than the
// documents.
func (ts tasks) getTasks(ctx context.Context, keys [][]byte, keep func(model.Task) bool) ([]model.Task, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	vals, err := ts.s.getMany(ctx, tasksBucket, keys)
	if err != nil {
		return nil, err
	}
	out := make([]model.Task, 0, len(vals))
	for _, raw := range vals {
		if raw == nil {
			continue
		}
		t, err := decode[model.Task](tasksBucket, raw)
		if err != nil {
			return nil, err
		}
		if keep == nil || keep(t) {
			out = append(out, t)
		}
	}
	return out, nil
}

// ListWaiting returns the oldest waiting tasks, oldest first; limit 0
// means all.
func (ts tasks) ListWaiting(ctx context.Context, limit int) ([]model.Task, error) {
	if limit < 0 {
		return nil, model.Invalidf("list waiting tasks: negative limit %d", limit)
	}
	var keys [][]byte
	err := ts.s.scan(ctx, scanRange{bucket: tasksByStatus, prefix: key(string(model.TaskWaiting))}, limit, func(k, _ []byte) error {
		keys = append(keys, key(lastID(k)))
		if limit > 0 && len(keys) >= limit {
			return errStop
		}
		return nil
	})
	if err != nil {
		return nil, annotate(err, "list waiting tasks")
	}
	out, err := ts.getTasks(ctx, keys, func(t model.Task) bool { return t.Status == model.TaskWaiting })
	if err != nil {
		return nil, annotate(err, "list waiting tasks")
	}
	return out, nil
}

// CountActive counts the entries of the active statuses, which hold the
// tasks' projects: it reads no document.
func (ts tasks) CountActive(ctx context.Context) (int, map[int64]int, error) {
	total, perProject := 0, map[int64]int{}
	for _, st := range model.ActiveStatuses {
		err := ts.s.scan(ctx, scanRange{bucket: tasksByStatus, prefix: key(string(st))}, 0, func(_, v []byte) error {
			total++
			perProject[idAt(v, 0)]++
			return nil
		})
		if err != nil {
			return 0, nil, annotate(err, "count active tasks")
		}
	}
	return total, perProject, nil
}

// cas runs fn, which reads tasks and writes them if they are as it
// expects, in a transaction. When another server's write overtakes the
// transaction, fn runs again on what that server wrote, so that fn's
// checks see the current task as an SQL UPDATE … WHERE would. Inside a
// caller's transaction, fn runs once and the caller sees the conflict.
func (ts tasks) cas(ctx context.Context, fn func(ctx context.Context) error) error {
	if ts.s.txOf(ctx) != nil {
		return fn(ctx)
	}
	var err error
	for range casAttempts {
		if err = ts.s.update(ctx, fn); !errors.Is(err, model.ErrConflict) {
			return err
		}
	}
	return err
}

// Claim moves a waiting task to starting for owner, a compare-and-set on
// the task's document: of concurrent claimers, in one process or several,
// exactly one wins. ok is false, with no error, when the task is not
// waiting or no longer exists.
func (ts tasks) Claim(ctx context.Context, id int64, owner string, leaseUntil time.Time) (model.Task, bool, error) {
	if owner == "" {
		return model.Task{}, false, model.Invalidf("claim task %d: empty owner", id)
	}
	var (
		claimed model.Task
		ok      bool
	)
	err := ts.cas(ctx, func(ctx context.Context) error {
		ok = false
		t, found, err := getDoc[model.Task](ctx, ts.s, tasksBucket, key(id))
		if err != nil || !found || t.Status != model.TaskWaiting {
			return err
		}
		old := t
		lease := storeTime(leaseUntil)
		t.Status, t.Attempt, t.Owner, t.LeaseUntil = model.TaskStarting, t.Attempt+1, owner, &lease
		if err := ts.write(ctx, &old, t); err != nil {
			return err
		}
		claimed, ok = t, true
		return nil
	})
	if err != nil {
		return model.Task{}, false, annotate(err, "claim task %d", id)
	}
	if !ok {
		return model.Task{}, false, nil
	}
	return claimed, true, nil
}

// Transition applies a fenced status change, a compare-and-set on the
// task's document. Message is set only when not empty, so that a final
// status keeps the reason given before it.
func (ts tasks) Transition(ctx context.Context, tr store.Transition) (bool, error) {
	if tr.To == "" {
		return false, model.Invalidf("move task %d: no target status", tr.TaskID)
	}
	var ok bool
	err := ts.cas(ctx, func(ctx context.Context) error {
		ok = false
		t, found, err := getDoc[model.Task](ctx, ts.s, tasksBucket, key(tr.TaskID))
		if err != nil || !found {
			return err
		}
		if t.Attempt != tr.Attempt || t.Owner != tr.Owner || (len(tr.From) > 0 && !slices.Contains(tr.From, t.Status)) {
			return nil
		}
		old := t
		t.Status = tr.To
		if tr.Message != "" {
			t.Message = tr.Message
		}
		if tr.Start != nil {
			t.Start = storeTimePtr(tr.Start)
		}
		if tr.End != nil {
			t.End = storeTimePtr(tr.End)
		}
		if tr.ExitCode != nil {
			code := *tr.ExitCode
			t.ExitCode = &code
		}
		if tr.Summary != nil {
			t.Summary = *tr.Summary
		}
		if tr.ClearLease {
			t.Owner, t.LeaseUntil = "", nil
		}
		if err := ts.write(ctx, &old, t); err != nil {
			return err
		}
		ok = true
		return nil
	})
	if err != nil {
		return false, annotate(err, "move task %d to %s", tr.TaskID, tr.To)
	}
	return ok, nil
}

// RenewLeases extends the leases of the owner's active tasks among ids.
func (ts tasks) RenewLeases(ctx context.Context, owner string, ids []int64, until time.Time) error {
	if owner == "" {
		return model.Invalidf("renew leases: empty owner")
	}
	if len(ids) == 0 {
		return nil
	}
	keys := make([][]byte, len(ids))
	for i, id := range ids {
		keys[i] = key(id)
	}
	lease := storeTime(until)
	err := ts.cas(ctx, func(ctx context.Context) error {
		mine, err := ts.getTasks(ctx, keys, func(t model.Task) bool {
			return t.Owner == owner && slices.Contains(model.ActiveStatuses, t.Status)
		})
		if err != nil {
			return err
		}
		for _, t := range mine {
			t.LeaseUntil = &lease
			if err := putDoc(ctx, ts.s, tasksBucket, key(t.ID), t); err != nil {
				return err
			}
		}
		return nil
	})
	return annotate(err, "renew leases of %s", owner)
}

// ListActive returns, oldest first, the active tasks of owner when owner is
// not empty, else the active tasks whose lease ended before leaseBefore.
func (ts tasks) ListActive(ctx context.Context, owner string, leaseBefore time.Time) ([]model.Task, error) {
	var ids []int64
	for _, st := range model.ActiveStatuses {
		err := ts.s.scan(ctx, scanRange{bucket: tasksByStatus, prefix: key(string(st))}, 0, func(k, _ []byte) error {
			ids = append(ids, lastID(k))
			return nil
		})
		if err != nil {
			return nil, annotate(err, "list active tasks")
		}
	}
	slices.Sort(ids)
	keys := make([][]byte, len(ids))
	for i, id := range ids {
		keys[i] = key(id)
	}
	out, err := ts.getTasks(ctx, keys, func(t model.Task) bool {
		if !slices.Contains(model.ActiveStatuses, t.Status) {
			return false
		}
		if owner != "" {
			return t.Owner == owner
		}
		return t.LeaseUntil != nil && t.LeaseUntil.Before(leaseBefore)
	})
	if err != nil {
		return nil, annotate(err, "list active tasks")
	}
	if out == nil {
		out = []model.Task{}
	}
	return out, nil
}
