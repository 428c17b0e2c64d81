// Package executor is the executor protocol of the Signalbox plugin SDK.
//
// An executor runs task attempts for one or more app types. Plugin authors
// implement Executor and call Serve from main:
//
//	func main() { executor.Serve(&MyExecutor{}) }
//
// The host side uses Client, which implements Executor too, so the server
// treats a plugin process and an in-process executor the same way.
package executor

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// Executor runs tasks. Implementations must be safe for concurrent use: the
// host runs many tasks in one plugin process at once.
type Executor interface {
	// Describe returns the plugin's name, version and apps. It is called
	// once after the plugin starts and must be cheap.
	Describe(ctx context.Context) (Description, error)

	// Run executes one task attempt, writing its output to out, and returns
	// when the attempt has ended and every process it started is gone.
	//
	// ctx is cancelled when the host asks the task to stop: context.Cause(ctx)
	// is then ErrStopped for a graceful stop (end the work cleanly within
	// req.StopGracePeriod) or ErrKilled for a forced one (kill at once);
	// Killed(ctx) is closed when a graceful stop turns into a forced one.
	// Package process implements this contract for child processes.
	//
	// A returned error ends the task as failed with that error as reason; a
	// task whose command failed should rather return a Result with a non-zero
	// ExitCode and an Error.
	Run(ctx context.Context, req RunRequest, out Output) (Result, error)
}

// Output receives what a running task produces. Its methods are safe for
// concurrent use. Write blocks while the host is behind (back-pressure), so
// no line is ever dropped; it returns an error once the run's stream is gone.
type Output interface {
	// Write sends lines of output. Pass many lines at once when you have them.
	Write(lines ...Line) error
	// ProcessStarted reports a process group the task started, so that the
	// host can kill it should the plugin die.
	ProcessStarted(pid, pgid int) error
	// Status reports a change of state, such as "running".
	Status(status, message string) error
}

// Approver is implemented by the Output the SDK passes to Run when the host
// can pause a task for approval. Find it with a type assertion:
//
//	if ap, ok := out.(executor.Approver); ok { approved, err := ap.AwaitApproval(ctx, summary) }
//
// AwaitApproval reports summary (a JSON object saying what approval would
// do, such as a plan's change counts) to the host, which moves the task to
// "waiting for confirmation", and blocks until someone confirms or rejects
// it, or until ctx is done (a stop), in which case it returns ctx's cause.
// It returns ErrApprovalUnsupported at once when the host does not answer
// approvals (an older host). A run may ask for several approvals, one at a
// time.
type Approver interface {
	AwaitApproval(ctx context.Context, summary json.RawMessage) (approved bool, err error)
}

// ApprovalHandler is an optional interface of the host's Output given to
// Client.Run. When the Output implements it, Client.Run tells the plugin
// that approvals are supported, and calls ApprovalRequested when the task
// asks for one; the host answers later with Client.Decide. An error ends the
// run like an error of Write.
type ApprovalHandler interface {
	ApprovalRequested(summary json.RawMessage) error
}

// Decider is implemented by executors that can resume a task waiting for
// approval: Client, and anything wrapping it.
type Decider interface {
	// Decide approves or rejects what task taskID waits for. found is false
	// when the task is not waiting for a decision in this executor.
	Decide(ctx context.Context, taskID int64, approved bool) (found bool, err error)
}

// Description identifies a plugin and the apps it serves.
type Description struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Apps    []App  `json:"apps"`
}

// App is one app type, such as "bash".
type App struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	// Version is the version of the tool the app runs, when known.
	Version string `json:"version,omitempty"`
	// TemplateSchema is a JSON Schema of the app's template parameters.
	TemplateSchema json.RawMessage `json:"template_schema,omitempty"`
	// TaskSchema is a JSON Schema of the parameters a task may set.
	TaskSchema json.RawMessage `json:"task_schema,omitempty"`
}

// RunRequest specifies one task attempt.
type RunRequest struct {
	TaskID     int64
	ProjectID  int64
	TemplateID int64
	// Attempt numbers the runs of a task, starting at 1.
	Attempt int
	// App is one of the app ids from Describe.
	App string
	// WorkDir is the checked-out repository; the task runs there.
	WorkDir string
	// TempDir is a private empty folder, removed by the host after the run.
	TempDir string
	// Playbook is the entry point (script, playbook, module folder) relative to WorkDir.
	Playbook string
	// InventoryFile is the path of the inventory file, if any.
	InventoryFile string
	// ExtraVars is a JSON object, or empty.
	ExtraVars json.RawMessage
	// Env are environment variables for the task's processes.
	Env map[string]string
	// Arguments are extra command-line arguments.
	Arguments []string
	// TemplateParams and TaskParams are JSON objects valid against the app's schemas, or empty.
	TemplateParams json.RawMessage
	TaskParams     json.RawMessage
	// Secrets are named secret values; the host masks them in the output.
	Secrets map[string]string
	// StopGracePeriod is how long a graceful stop may take before a kill.
	StopGracePeriod time.Duration
	// Debug, DryRun and Diff are the task's run flags; executors ignore
	// those they do not support.
	Debug, DryRun, Diff bool
	// Limit restricts the run to some hosts.
	Limit string
	// Commit is the checked-out commit, when the repository is a git one.
	Commit string
	// ApprovalsSupported is set by the SDK when the host answers approval
	// requests (see Approver). Client.Run sets it from its Output.
	ApprovalsSupported bool
}

// Well-known names in RunRequest.Secrets. The host fills those that apply
// from the template's inventory keys.
const (
	// SecretSSHUser is the login of the inventory's SSH key.
	SecretSSHUser = "ssh_user"
	// SecretSSHPrivateKey is the PEM private key of the inventory's SSH key.
	SecretSSHPrivateKey = "ssh_private_key"
	// SecretSSHPassphrase is the passphrase of that private key.
	SecretSSHPassphrase = "ssh_passphrase"
	// SecretSSHPassword is the password of a login_password inventory key.
	SecretSSHPassword = "ssh_password"
	// SecretBecomeUser and SecretBecomePassword come from the inventory's become key.
	SecretBecomeUser     = "become_user"
	SecretBecomePassword = "become_password"
	// SecretVaultPassword is the password of the default vault;
	// SecretVaultPasswordPrefix+"<id>" is the password of vault id <id>.
	SecretVaultPassword       = "vault_password"
	SecretVaultPasswordPrefix = "vault_password:"
)

// Stream says where a line came from.
type Stream int

// The streams.
const (
	StreamStdout Stream = 1
	StreamStderr Stream = 2
	// StreamSystem marks lines an executor writes about the run itself.
	StreamSystem Stream = 3
)

// Line is one line of output, without its line break.
type Line struct {
	Time   time.Time
	Stream Stream
	Text   string
}

// Result is how a task attempt ended.
type Result struct {
	ExitCode int
	// Error is a one-line reason when the task failed; empty on success.
	Error string
	// Summary is an optional JSON object shown with the task.
	Summary json.RawMessage
	// Stopped is set when the task ended because it was asked to stop.
	Stopped bool
}

// Failed reports whether the result is a failure.
func (r Result) Failed() bool { return r.ExitCode != 0 || r.Error != "" }

// Errors of the protocol.
var (
	// ErrStopped is the cause of a Run context cancelled by a graceful stop.
	ErrStopped = errors.New("task stopped")
	// ErrKilled is the cause of a Run context cancelled by a forced stop.
	ErrKilled = errors.New("task killed")
	// ErrPluginExited is returned by Client calls when the plugin process is gone.
	ErrPluginExited = errors.New("executor plugin exited")
	// ErrAlreadyRunning is returned by Run when the task is already running in the plugin.
	ErrAlreadyRunning = errors.New("task already running in this plugin")
	// ErrApprovalUnsupported is returned by AwaitApproval when the host
	// cannot pause a task for approval.
	ErrApprovalUnsupported = errors.New("the host does not support approvals")
)

type killedKey struct{}

// Killed returns a channel that is closed when the task must be killed at
// once: a forced stop, or a graceful stop escalated by the host. It never
// closes for a context that did not come from the SDK.
func Killed(ctx context.Context) <-chan struct{} {
	if ch, ok := ctx.Value(killedKey{}).(chan struct{}); ok {
		return ch
	}
	return nil
}

// WithKilled returns a context carrying the channel returned by Killed. The
// SDK's server uses it; tests of an executor may use it too.
func WithKilled(ctx context.Context, killed chan struct{}) context.Context {
	return context.WithValue(ctx, killedKey{}, killed)
}
