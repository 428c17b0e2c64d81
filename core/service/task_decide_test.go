package service_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/signalbox/signalbox/core/model"
	"github.com/signalbox/signalbox/core/service"
	"github.com/signalbox/signalbox/core/store"
	"github.com/signalbox/signalbox/core/store/storetest"
)

// decideRunner records the decisions it is given; found is its answer.
type decideRunner struct {
	found     bool
	decisions []bool
}

func (*decideRunner) Wake()                                           {}
func (*decideRunner) Stop(context.Context, int64, bool) (bool, error) { return false, nil }
func (r *decideRunner) Decide(_ context.Context, _ int64, approved bool) (bool, error) {
	r.decisions = append(r.decisions, approved)
	return r.found, nil
}

func TestServices_DecideTask(t *testing.T) {
	st := storetest.Open(t, storetest.SQLite)
	run := &decideRunner{found: true}
	svc := service.New(service.Deps{Store: st, Runner: run, PasswordCost: bcrypt.MinCost})
	ctx := context.Background()
	a := service.SystemActor
	p, err := svc.CreateProject(ctx, a, model.Project{Name: "p"})
	if err != nil {
		t.Fatal(err)
	}
	repo, err := svc.Repositories().Save(ctx, a, model.Repository{ProjectID: p.ID, Name: "r", GitURL: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := svc.Templates().Save(ctx, a, model.Template{ProjectID: p.ID, Name: "t", App: "bash", Playbook: "a.sh", RepositoryID: repo.ID})
	if err != nil {
		t.Fatal(err)
	}
	// task returns a task of the template moved to status by a runner.
	task := func(status model.TaskStatus) model.Task {
		t.Helper()
		tk := model.Task{ProjectID: p.ID, TemplateID: tmpl.ID, Status: model.TaskWaiting, Created: time.Now()}
		if err := st.Tasks().Create(ctx, &tk); err != nil {
			t.Fatal(err)
		}
		if status == model.TaskWaiting {
			return tk
		}
		claimed, ok, err := st.Tasks().Claim(ctx, tk.ID, "r1", time.Now().Add(time.Minute))
		if err != nil || !ok {
			t.Fatalf("Claim() = %v, %v", ok, err)
		}
		if ok, err := st.Tasks().Transition(ctx, store.Transition{TaskID: tk.ID, Attempt: claimed.Attempt, Owner: "r1", To: status}); err != nil || !ok {
			t.Fatalf("Transition() = %v, %v", ok, err)
		}
		return claimed
	}

	t.Run("a task waiting for confirmation reaches the runner", func(t *testing.T) {
		run.decisions = nil
		for _, approved := range []bool{true, false} {
			tk := task(model.TaskWaitingConfirmation)
			if err := svc.DecideTask(ctx, a, p.ID, tk.ID, approved); err != nil {
				t.Fatalf("DecideTask(%v) error = %v", approved, err)
			}
		}
		if len(run.decisions) != 2 || !run.decisions[0] || run.decisions[1] {
			t.Errorf("runner decisions = %v, want [true false]", run.decisions)
		}
	})

	for name, status := range map[string]model.TaskStatus{
		"a waiting task": model.TaskWaiting, "a running task": model.TaskRunning, "a stopped task": model.TaskStopped,
	} {
		t.Run(name+" is a conflict", func(t *testing.T) {
			run.decisions = nil
			tk := task(status)
			if err := svc.DecideTask(ctx, a, p.ID, tk.ID, true); !errors.Is(err, model.ErrConflict) {
				t.Errorf("DecideTask() error = %v, want ErrConflict", err)
			}
			if len(run.decisions) != 0 {
				t.Errorf("the runner was asked: %v", run.decisions)
			}
		})
	}

	t.Run("a task no runner here holds is a conflict", func(t *testing.T) {
		run.found = false
		defer func() { run.found = true }()
		tk := task(model.TaskWaitingConfirmation)
		if err := svc.DecideTask(ctx, a, p.ID, tk.ID, true); !errors.Is(err, model.ErrConflict) {
			t.Errorf("DecideTask() error = %v, want ErrConflict", err)
		}
	})
}
