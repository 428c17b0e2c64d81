package retention_test

import (
	"context"
	"testing"
	"time"

	"github.com/signalbox/signalbox/core/model"
	"github.com/signalbox/signalbox/core/retention"
	"github.com/signalbox/signalbox/core/store"
	"github.com/signalbox/signalbox/core/store/sqlstore"
	"github.com/signalbox/signalbox/core/store/storetest"
)

// seed makes a project with two templates; each gets finished tasks that
// ended 1..n days ago (newest last) and one running task.
func seed(t *testing.T, st store.Store, n int) (model.Project, []model.Template) {
	t.Helper()
	ctx := context.Background()
	p := model.Project{Name: "p"}
	if err := st.Projects().Create(ctx, &p); err != nil {
		t.Fatal(err)
	}
	r := model.Repository{ProjectID: p.ID, Name: "r", GitURL: "/srv"}
	if err := st.Repositories().Create(ctx, &r); err != nil {
		t.Fatal(err)
	}
	var tmpls []model.Template
	for _, name := range []string{"a", "b"} {
		tm := model.Template{ProjectID: p.ID, Name: name, App: "bash", Playbook: "x.sh", RepositoryID: r.ID}
		if err := st.Templates().Create(ctx, &tm); err != nil {
			t.Fatal(err)
		}
		tmpls = append(tmpls, tm)
		for i := n; i >= 1; i-- {
			end := time.Now().Add(-time.Duration(i) * 24 * time.Hour)
			tk := model.Task{ProjectID: p.ID, TemplateID: tm.ID, Status: model.TaskSuccess, Created: end, End: &end}
			if err := st.Tasks().Create(ctx, &tk); err != nil {
				t.Fatal(err)
			}
			line := []model.OutputLine{{TaskID: tk.ID, Seq: 1, Time: end, Text: "old output"}}
			if err := st.Output().Append(ctx, tk.ID, line); err != nil {
				t.Fatal(err)
			}
		}
		running := model.Task{ProjectID: p.ID, TemplateID: tm.ID, Status: model.TaskWaiting, Created: time.Now()}
		if err := st.Tasks().Create(ctx, &running); err != nil {
			t.Fatal(err)
		}
	}
	return p, tmpls
}

func count(t *testing.T, st store.Store, p model.Project, tm model.Template) (final, other int) {
	t.Helper()
	tasks, err := st.Tasks().List(context.Background(), store.TaskFilter{ProjectID: p.ID, TemplateID: tm.ID})
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range tasks {
		if x.Status.Final() {
			final++
		} else {
			other++
		}
	}
	return final, other
}

func TestCleaner_Sweep(t *testing.T) {
	for name, tc := range map[string]struct {
		cfg       retention.Config
		wantFinal int
	}{
		"keeping the newest 3 tasks of each template": {cfg: retention.Config{MaxTasksPerTemplate: 3, Batch: 2}, wantFinal: 3},
		"keeping tasks that ended within 4.5 days":    {cfg: retention.Config{MaxAge: 108 * time.Hour, Batch: 2}, wantFinal: 4},
		"both limits: the stricter one wins":          {cfg: retention.Config{MaxAge: 108 * time.Hour, MaxTasksPerTemplate: 2}, wantFinal: 2},
		"no limit keeps everything":                   {cfg: retention.Config{}, wantFinal: 10},
	} {
		t.Run(name, func(t *testing.T) {
			storetest.ForEachDialect(t, func(t *testing.T, st *sqlstore.Store) {
				p, tmpls := seed(t, st, 10)
				n, err := retention.New(tc.cfg, st, nil).Sweep(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				if want := 2 * (10 - tc.wantFinal); n != want {
					t.Errorf("Sweep() deleted %d tasks, want %d", n, want)
				}
				for _, tm := range tmpls {
					final, other := count(t, st, p, tm)
					if final != tc.wantFinal || other != 1 {
						t.Errorf("template %s keeps %d finished and %d other tasks, want %d and 1", tm.Name, final, other, tc.wantFinal)
					}
				}
			})
		})
	}
}
