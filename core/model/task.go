package model

import "time"

// TaskStatus is where a task is in its life.
type TaskStatus string

// The task statuses. A task goes waiting → starting → running → success or
// error; a stop request moves an active task to stopping, then stopped. A
// running task whose executor asks for approval (a Terraform plan) waits in
// waiting_confirmation until it is confirmed (back to running) or rejected
// (then it ends rejected).
const (
	TaskWaiting             TaskStatus = "waiting"
	TaskStarting            TaskStatus = "starting"
	TaskRunning             TaskStatus = "running"
	TaskWaitingConfirmation TaskStatus = "waiting_confirmation"
	TaskStopping            TaskStatus = "stopping"
	TaskSuccess             TaskStatus = "success"
	TaskError               TaskStatus = "error"
	TaskStopped             TaskStatus = "stopped"
	TaskRejected            TaskStatus = "rejected"
)

// Final reports whether a task in this status is over.
func (s TaskStatus) Final() bool {
	return s == TaskSuccess || s == TaskError || s == TaskStopped || s == TaskRejected
}

// Active reports whether a task in this status is held by a runner.
func (s TaskStatus) Active() bool {
	return s == TaskStarting || s == TaskRunning || s == TaskWaitingConfirmation || s == TaskStopping
}

// ActiveStatuses are the statuses of tasks held by a runner.
var ActiveStatuses = []TaskStatus{TaskStarting, TaskRunning, TaskWaitingConfirmation, TaskStopping}

// Task is one requested run of a template. Each time a runner takes it, that
// is an attempt: Attempt counts them and fences reports from stale owners.
type Task struct {
	ID         int64
	ProjectID  int64
	TemplateID int64
	Status     TaskStatus
	// Message says why a task ended as it did, when that is not obvious.
	Message string
	UserID  *int64
	Created time.Time
	Start   *time.Time
	End     *time.Time

	// What the task asked for, on top of its template.
	Debug       bool
	DryRun      bool
	Diff        bool
	Playbook    string
	Environment string
	Arguments   string
	GitBranch   string
	Limit       string
	// Params is a JSON object of app-specific task parameters.
	Params     string
	CommitHash string
	Version    string
	// BuildTaskID is the build a deploy task deploys.
	BuildTaskID *int64

	// Attempt bookkeeping.
	Attempt    int
	Owner      string
	LeaseUntil *time.Time
	ExitCode   *int
	// Summary is an optional JSON object from the executor.
	Summary string
}

// OutputLine is one stored line of a task's output. Seq orders a task's
// lines, from 1, without gaps.
type OutputLine struct {
	TaskID int64
	Seq    int64
	Time   time.Time
	Text   string
}
