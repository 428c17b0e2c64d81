package runner_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/signalbox/signalbox/core/model"
	"github.com/signalbox/signalbox/core/runner"
	"github.com/signalbox/signalbox/core/store/storetest"
	"github.com/signalbox/signalbox/sdk/executor"
)

// approvalExec asks for approval of a plan-like summary, then applies or
// not, as a Terraform plugin does. It is served over gRPC, so the whole
// protocol is exercised: ApprovalRequested → sink → Decide.
type approvalExec struct{}

func (approvalExec) Describe(context.Context) (executor.Description, error) {
	return executor.Description{Name: "approval", Apps: []executor.App{{ID: "bash"}}}, nil
}

func (approvalExec) Run(ctx context.Context, _ executor.RunRequest, out executor.Output) (executor.Result, error) {
	ap, ok := out.(executor.Approver)
	if !ok {
		return executor.Result{}, errors.New("no approver")
	}
	approved, err := ap.AwaitApproval(ctx, json.RawMessage(`{"add":1}`))
	if err != nil {
		return executor.Result{ExitCode: -1, Error: err.Error()}, nil
	}
	if !approved {
		return executor.Result{Error: "the plan was rejected: nothing applied"}, nil
	}
	if err := out.Write(executor.Line{Time: time.Now(), Stream: executor.StreamStdout, Text: "applied"}); err != nil {
		return executor.Result{}, err
	}
	return executor.Result{Summary: json.RawMessage(`{"add":1,"applied":true}`)}, nil
}

// waitStatus polls the task until it has status want.
func (p *pipeline) waitStatus(t *testing.T, id int64, want model.TaskStatus) model.Task {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		tk, err := p.st.Tasks().Get(context.Background(), 0, id)
		if err != nil {
			t.Fatal(err)
		}
		if tk.Status == want {
			return tk
		}
		if tk.Status.Final() || time.Now().After(deadline) {
			t.Fatalf("task %d is %s (%s), want %s", id, tk.Status, tk.Message, want)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestRunner_Decide(t *testing.T) {
	for _, dialect := range storetest.Backends(t) {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			p := newPipeline(t, storetest.OpenBackend(t, dialect), approvalExec{}, runner.Config{})
			ctx := context.Background()

			t.Run("a task waiting for confirmation shows the summary and runs on when confirmed", func(t *testing.T) {
				tk := p.queue(t, 0)
				waiting := p.waitStatus(t, tk.ID, model.TaskWaitingConfirmation)
				if waiting.Summary != `{"add":1}` {
					t.Errorf("summary while waiting = %q, want {\"add\":1}", waiting.Summary)
				}
				if found, err := p.r.Decide(ctx, tk.ID, true); err != nil || !found {
					t.Fatalf("Decide() = %v, %v; want true, nil", found, err)
				}
				done := p.waitFinal(t, tk.ID)
				if done.Status != model.TaskSuccess || done.Summary != `{"add":1,"applied":true}` {
					t.Errorf("task = %s (%s), summary %s; want success and the final summary", done.Status, done.Message, done.Summary)
				}
			})

			t.Run("a rejected task ends as rejected", func(t *testing.T) {
				tk := p.queue(t, 0)
				p.waitStatus(t, tk.ID, model.TaskWaitingConfirmation)
				if found, err := p.r.Decide(ctx, tk.ID, false); err != nil || !found {
					t.Fatalf("Decide() = %v, %v; want true, nil", found, err)
				}
				if found, err := p.r.Decide(ctx, tk.ID, false); found && !errors.Is(err, model.ErrConflict) {
					t.Errorf("a second Decide() = %v, %v; want a conflict or not found", found, err)
				}
				done := p.waitFinal(t, tk.ID)
				if done.Status != model.TaskRejected || done.Message != "the plan was rejected: nothing applied" {
					t.Errorf("task = %s (%s); want rejected with the executor's reason", done.Status, done.Message)
				}
			})

			t.Run("a stop while waiting for confirmation ends the task stopped", func(t *testing.T) {
				tk := p.queue(t, 0)
				p.waitStatus(t, tk.ID, model.TaskWaitingConfirmation)
				if found, err := p.r.Stop(ctx, tk.ID, false); err != nil || !found {
					t.Fatalf("Stop() = %v, %v; want true, nil", found, err)
				}
				if done := p.waitFinal(t, tk.ID); done.Status != model.TaskStopped {
					t.Errorf("task = %s (%s); want stopped", done.Status, done.Message)
				}
			})

			t.Run("a decision for a task not running here is not found", func(t *testing.T) {
				if found, err := p.r.Decide(ctx, 987654, true); err != nil || found {
					t.Errorf("Decide() = %v, %v; want false, nil", found, err)
				}
			})
		})
	}
}
