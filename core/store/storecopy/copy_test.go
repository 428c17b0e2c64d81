package storecopy_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/signalbox/signalbox/core/model"
	"github.com/signalbox/signalbox/core/store"
	"github.com/signalbox/signalbox/core/store/storecopy"
	"github.com/signalbox/signalbox/core/store/storetest"
)

func must(t *testing.T, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func ptr[T any](v T) *T { return &v }

// seed fills a store with some of everything and returns the id of the
// task with output.
func seed(t *testing.T, st store.Store) int64 {
	t.Helper()
	ctx := t.Context()
	var users []model.User
	for i := range 3 {
		u := model.User{Username: fmt.Sprintf("user%d", i), Name: "U", Email: fmt.Sprintf("u%d@example.com", i), PasswordHash: "h", Admin: i == 0}
		must(t, st.Users().Create(ctx, &u), "user")
		users = append(users, u)
	}
	must(t, st.Users().Delete(ctx, users[1].ID), "delete a user (a gap in the ids)")
	must(t, st.APITokens().Create(ctx, &model.APIToken{ID: "tok1", UserID: users[0].ID, TokenHash: "hash1"}), "token")
	must(t, st.UserOptions().Set(ctx, users[0].ID, "theme", `"dark"`), "option")

	var taskID int64
	for pi := range 2 {
		p := model.Project{Name: fmt.Sprintf("project %d", pi), MaxParallelTasks: 3}
		must(t, st.Projects().Create(ctx, &p), "project")
		must(t, st.Members().Add(ctx, model.ProjectUser{ProjectID: p.ID, UserID: users[0].ID, Role: model.RoleOwner}), "member")
		must(t, st.Members().Add(ctx, model.ProjectUser{ProjectID: p.ID, UserID: users[2].ID, Role: model.RoleGuest}), "member")
		key := model.AccessKey{ProjectID: p.ID, Name: "key", Type: model.KeySSH, Secret: []byte{1, 2, 3}}
		must(t, st.Keys().Create(ctx, &key), "key")
		repo := model.Repository{ProjectID: p.ID, Name: "repo", GitURL: "/srv/repo", SSHKeyID: key.ID}
		must(t, st.Repositories().Create(ctx, &repo), "repository")
		inv := model.Inventory{ProjectID: p.ID, Name: "inv", Type: model.InventoryStatic, Inventory: "localhost", SSHKeyID: &key.ID}
		must(t, st.Inventories().Create(ctx, &inv), "inventory")
		env := model.Environment{ProjectID: p.ID, Name: "env", JSON: `{"a":1}`, Env: `{"B":"2"}`}
		must(t, st.Environments().Create(ctx, &env), "environment")
		must(t, st.EnvironmentSecrets().Create(ctx, &model.EnvironmentSecret{ProjectID: p.ID, EnvironmentID: env.ID, Name: "S", Type: model.SecretEnv, Secret: []byte{9}}), "secret")
		view := model.View{ProjectID: p.ID, Title: "ops", Position: 1}
		must(t, st.Views().Create(ctx, &view), "view")
		tpl := model.Template{ProjectID: p.ID, Name: "deploy", App: "bash", Playbook: "x.sh", RepositoryID: repo.ID, InventoryID: &inv.ID, EnvironmentID: &env.ID, ViewID: &view.ID}
		must(t, st.Templates().Create(ctx, &tpl), "template")
		fired := time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC)
		sch := model.Schedule{ProjectID: p.ID, TemplateID: tpl.ID, Name: "nightly", CronFormat: "0 3 * * *", Active: true}
		must(t, st.Schedules().Create(ctx, &sch), "schedule")
		_, err := st.Schedules().ClaimTick(ctx, sch.ID, fired, false)
		must(t, err, "claim a tick")
		in := model.Integration{ProjectID: p.ID, Name: "hook", TemplateID: tpl.ID, AuthMethod: model.IntegrationAuthMethod("token"), AuthSecret: []byte{7}}
		must(t, st.Integrations().Create(ctx, &in), "integration")
		must(t, st.Integrations().Matchers().Create(ctx, &model.IntegrationMatcher{IntegrationID: in.ID, Name: "m", Key: "k", Value: "v"}), "matcher")
		must(t, st.Integrations().ExtractValues().Create(ctx, &model.IntegrationExtractValue{IntegrationID: in.ID, Name: "e", Key: "k", Variable: "V"}), "extract value")
		must(t, st.Integrations().Aliases().Create(ctx, &model.IntegrationAlias{ProjectID: p.ID, IntegrationID: in.ID, Alias: fmt.Sprintf("alias-%d", pi)}), "alias")
		must(t, st.Integrations().Aliases().Create(ctx, &model.IntegrationAlias{ProjectID: p.ID, Alias: fmt.Sprintf("project-alias-%d", pi)}), "project alias")
		for ti := range 3 {
			task := model.Task{ProjectID: p.ID, TemplateID: tpl.ID, Status: model.TaskSuccess, UserID: &users[0].ID,
				Start: ptr(fired), End: ptr(fired.Add(time.Minute)), Message: "ok", Params: `{"x":1}`, Attempt: 1, ExitCode: ptr(0)}
			must(t, st.Tasks().Create(ctx, &task), "task")
			if ti == 1 {
				taskID = task.ID
				lines := make([]model.OutputLine, 5000)
				for i := range lines {
					lines[i] = model.OutputLine{TaskID: task.ID, Seq: int64(i + 1), Time: fired.Add(time.Duration(i) * time.Millisecond), Text: fmt.Sprintf("line %d \x1b[32mgreen\x1b[0m", i+1)}
				}
				must(t, st.Output().Append(ctx, task.ID, lines), "output")
			}
		}
		must(t, st.Events().Create(ctx, &model.Event{ProjectID: &p.ID, UserID: &users[0].ID, ObjectType: "template", ObjectID: &tpl.ID, Description: "created"}), "event")
	}
	must(t, st.Events().Create(ctx, &model.Event{Description: "a login"}), "event outside projects")
	return taskID
}

func TestCopy(t *testing.T) {
	t.Parallel()
	selected := storetest.Backends(t)
	for _, tc := range []struct{ from, to string }{
		{storetest.SQLite, storetest.MySQL},
		{storetest.Bolt, storetest.Postgres},
		{storetest.Memory, storetest.SQLite},
		{storetest.Postgres, storetest.Bolt},
	} {
		t.Run(tc.from+" to "+tc.to, func(t *testing.T) {
			if !slices.Contains(selected, tc.from) || !slices.Contains(selected, tc.to) {
				t.Skipf("%s or %s is not among the selected backends", tc.from, tc.to)
			}
			t.Parallel()
			ctx := t.Context()
			from := storetest.OpenBackend(t, tc.from)
			to := storetest.OpenBackend(t, tc.to)
			taskID := seed(t, from)

			got, err := storecopy.Copy(ctx, from, to, storecopy.Options{})
			must(t, err, "Copy")
			want, err := storecopy.Count(ctx, from)
			must(t, err, "Count")
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("counts differ (-source +target):\n%s", diff)
			}
			if got["output lines"] != 10000 || got["users"] != 2 || got["projects"] != 2 || got["events"] != 3 {
				t.Fatalf("unexpected counts:\n%s", got)
			}

			// Objects come over whole, with their ids.
			same := func(what string, a, b any, err1, err2 error) {
				t.Helper()
				must(t, err1, what+" in the source")
				must(t, err2, what+" in the target")
				if diff := cmp.Diff(a, b); diff != "" {
					t.Fatalf("%s differs (-source +target):\n%s", what, diff)
				}
			}
			u1, e1 := from.Users().List(ctx, store.ListOptions{SortBy: "id"})
			u2, e2 := to.Users().List(ctx, store.ListOptions{SortBy: "id"})
			same("users", u1, u2, e1, e2)
			tk1, e1 := from.APITokens().GetByHash(ctx, "hash1")
			tk2, e2 := to.APITokens().GetByHash(ctx, "hash1")
			same("API token", tk1, tk2, e1, e2)
			p1, e1 := from.Projects().List(ctx, 0)
			p2, e2 := to.Projects().List(ctx, 0)
			same("projects", p1, p2, e1, e2)
			for _, p := range p1 {
				tp1, e1 := from.Templates().List(ctx, p.ID, store.ListOptions{})
				tp2, e2 := to.Templates().List(ctx, p.ID, store.ListOptions{})
				same("templates", tp1, tp2, e1, e2)
				k1, e1 := from.Keys().List(ctx, p.ID, store.ListOptions{})
				k2, e2 := to.Keys().List(ctx, p.ID, store.ListOptions{})
				same("keys (secrets still sealed)", k1, k2, e1, e2)
				t1, e1 := from.Tasks().List(ctx, store.TaskFilter{ProjectID: p.ID})
				t2, e2 := to.Tasks().List(ctx, store.TaskFilter{ProjectID: p.ID})
				same("tasks", t1, t2, e1, e2)
				s1, e1 := from.Schedules().List(ctx, p.ID, 0)
				s2, e2 := to.Schedules().List(ctx, p.ID, 0)
				same("schedules (with their last tick)", s1, s2, e1, e2)
				a1, e1 := from.Integrations().Aliases().List(ctx, p.ID, 0)
				a2, e2 := to.Integrations().Aliases().List(ctx, p.ID, 0)
				same("project aliases", a1, a2, e1, e2)
			}
			o1, e1 := from.Output().List(ctx, taskID, 0, 0)
			o2, e2 := to.Output().List(ctx, taskID, 0, 0)
			same("output", o1, o2, e1, e2)
			ev1, e1 := from.Events().List(ctx, store.EventFilter{})
			ev2, e2 := to.Events().List(ctx, store.EventFilter{})
			same("events", ev1, ev2, e1, e2)

			// New objects in the target get ids past the copied ones.
			p := model.Project{Name: "after the copy"}
			must(t, to.Projects().Create(ctx, &p), "create a project in the target")
			for _, old := range p1 {
				if p.ID <= old.ID {
					t.Fatalf("new project got id %d, not past copied id %d", p.ID, old.ID)
				}
			}
			task := model.Task{ProjectID: p.ID, TemplateID: 1}
			must(t, to.Tasks().Create(ctx, &task), "create a task in the target")
			if task.ID <= taskID+1 {
				t.Fatalf("new task got id %d, not past the copied ones", task.ID)
			}

			// A second copy into the now non-empty target is refused.
			_, err = storecopy.Copy(ctx, from, to, storecopy.Options{})
			if !errors.Is(err, model.ErrConflict) {
				t.Fatalf("copy into a non-empty target: error %v, want a conflict", err)
			}
			// Forced, it writes, but an id the target holds already stops it.
			_, err = storecopy.Copy(ctx, from, to, storecopy.Options{Force: true})
			if !errors.Is(err, model.ErrConflict) {
				t.Fatalf("forced copy over the same ids: error %v, want a conflict", err)
			}
			if got, err := to.Users().Count(ctx); err != nil || got != 2 {
				t.Fatalf("after the refused forced copy the target has %d users (%v), want 2", got, err)
			}
		})
	}
}
