package executor_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/signalbox/signalbox/sdk/executor"
	"github.com/signalbox/signalbox/sdk/plugintest"
)

// approvalOutcome is what AwaitApproval returned inside a run.
type approvalOutcome struct {
	approved bool
	err      error
}

// approving is an executor whose runs ask for approval of a fixed summary
// and report what AwaitApproval returned.
func approving(outcomes chan<- approvalOutcome) *fakeExecutor {
	return &fakeExecutor{run: func(ctx context.Context, _ executor.RunRequest, out executor.Output) (executor.Result, error) {
		ap, ok := out.(executor.Approver)
		if !ok {
			return executor.Result{}, errors.New("the SDK's output is not an Approver")
		}
		approved, err := ap.AwaitApproval(ctx, json.RawMessage(`{"add":1}`))
		outcomes <- approvalOutcome{approved, err}
		switch {
		case err != nil:
			return executor.Result{ExitCode: 1, Error: err.Error()}, nil
		case !approved:
			return executor.Result{ExitCode: 1, Error: "rejected"}, nil
		}
		return executor.Result{Summary: json.RawMessage(`{"applied":true}`)}, nil
	}}
}

func TestClient_Decide(t *testing.T) {
	t.Parallel()
	outcomes := make(chan approvalOutcome, 10)
	client := plugintest.Executor(t, approving(outcomes))

	for name, approve := range map[string]bool{
		"an approved run resumes and ends with its result": true,
		"a rejected run learns it was rejected":            false,
	} {
		t.Run(name, func(t *testing.T) {
			taskID := int64(100)
			if approve {
				taskID = 101
			}
			rec := &plugintest.Recorder{}
			done := startRun(t.Context(), client, executor.RunRequest{TaskID: taskID}, rec)
			if got := string(rec.WaitApproval(t, 1, waitTimeout)); got != `{"add":1}` {
				t.Errorf("approval summary = %s, want {\"add\":1}", got)
			}
			found, err := client.Decide(t.Context(), taskID, approve)
			if err != nil || !found {
				t.Fatalf("Decide() = %v, %v; want true, nil", found, err)
			}
			got := receive(t, outcomes, "AwaitApproval to return")
			if got.err != nil || got.approved != approve {
				t.Errorf("AwaitApproval() = %v, %v; want %v, nil", got.approved, got.err, approve)
			}
			r := receive(t, done, "the run to end")
			if r.err != nil || r.res.Failed() == approve {
				t.Errorf("Run() = %+v, %v", r.res, r.err)
			}
			if found, err := client.Decide(t.Context(), taskID, true); err != nil || found {
				t.Errorf("Decide() after the run = %v, %v; want false, nil", found, err)
			}
		})
	}

	t.Run("a decision for a task that does not wait is not found", func(t *testing.T) {
		found, err := client.Decide(t.Context(), 999, true)
		if err != nil || found {
			t.Errorf("Decide() = %v, %v; want false, nil", found, err)
		}
	})

	t.Run("a stop while waiting ends the run as stopped", func(t *testing.T) {
		rec := &plugintest.Recorder{}
		done := startRun(t.Context(), client, executor.RunRequest{TaskID: 102}, rec)
		rec.WaitApproval(t, 1, waitTimeout)
		if found, err := client.Stop(t.Context(), 102, false); err != nil || !found {
			t.Fatalf("Stop() = %v, %v; want true, nil", found, err)
		}
		got := receive(t, outcomes, "AwaitApproval to return")
		if !errors.Is(got.err, executor.ErrStopped) {
			t.Errorf("AwaitApproval() error = %v, want ErrStopped", got.err)
		}
		r := receive(t, done, "the run to end")
		if r.err != nil || !r.res.Stopped {
			t.Errorf("Run() = %+v, %v; want a stopped result", r.res, r.err)
		}
	})

	t.Run("a host output without ApprovalHandler makes AwaitApproval fail at once", func(t *testing.T) {
		res, err := client.Run(t.Context(), executor.RunRequest{TaskID: 103}, &recorder{})
		got := receive(t, outcomes, "AwaitApproval to return")
		if !errors.Is(got.err, executor.ErrApprovalUnsupported) {
			t.Errorf("AwaitApproval() error = %v, want ErrApprovalUnsupported", got.err)
		}
		if err != nil || !res.Failed() {
			t.Errorf("Run() = %+v, %v; want the failed result of the executor", res, err)
		}
	})
}
