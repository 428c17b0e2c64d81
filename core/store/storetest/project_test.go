package storetest_test

import (
	"context"
	"testing"

	"github.com/signalbox/signalbox/core/model"
	"github.com/signalbox/signalbox/core/store"
	"github.com/signalbox/signalbox/core/store/storetest"
)

func TestProjects(t *testing.T) {
	t.Parallel()
	storetest.ForEachBackend(t, func(t *testing.T, st store.Store) {
		ps := st.Projects()

		t.Run("create, get and update keep every field", func(t *testing.T) {
			p := model.Project{Name: "ops", Alert: true, AlertChat: "#ops", MaxParallelTasks: 3}
			mustNoErr(t, ps.Create(t.Context(), &p), "Create")
			if p.ID == 0 || p.Created.IsZero() {
				t.Fatalf("Create set %+v; want an id and a creation time", p)
			}
			got, err := ps.Get(t.Context(), p.ID)
			mustNoErr(t, err, "Get")
			wantSame(t, got, p, "Get")

			p.Name, p.Alert, p.AlertChat, p.MaxParallelTasks = "ops2", false, "", 0
			mustNoErr(t, ps.Update(t.Context(), p), "Update")
			mustNoErr(t, ps.Update(t.Context(), p), "Update with unchanged values")
			got, err = ps.Get(t.Context(), p.ID)
			mustNoErr(t, err, "Get")
			wantSame(t, got, p, "Get after Update")
		})

		t.Run("missing projects are not found", func(t *testing.T) {
			_, err := ps.Get(t.Context(), 987654)
			wantErr(t, err, model.ErrNotFound, "Get")
			wantErr(t, ps.Update(t.Context(), model.Project{ID: 987654}), model.ErrNotFound, "Update")
			wantErr(t, ps.Delete(t.Context(), 987654), model.ErrNotFound, "Delete")
		})

		t.Run("list returns a user's projects, or all for user 0, by name", func(t *testing.T) {
			st := storetest.OpenLike(t, st) // a database of its own: it lists everything
			u, other := mustUser(t, st), mustUser(t, st)
			var ids []int64
			for _, name := range []string{"b", "a", "c"} {
				p := model.Project{Name: name}
				mustNoErr(t, st.Projects().Create(t.Context(), &p), "Create")
				ids = append(ids, p.ID)
			}
			b, a, c := ids[0], ids[1], ids[2]
			for _, id := range []int64{b, c} {
				mustNoErr(t, st.Members().Add(t.Context(), model.ProjectUser{ProjectID: id, UserID: u.ID, Role: model.RoleOwner}), "Add")
			}
			for userID, want := range map[int64][]int64{0: {a, b, c}, u.ID: {b, c}, other.ID: {}} {
				got, err := st.Projects().List(t.Context(), userID)
				mustNoErr(t, err, "List")
				gotIDs := make([]int64, len(got))
				for i, p := range got {
					gotIDs[i] = p.ID
				}
				wantSame(t, gotIDs, want, "List ids")
			}
		})

		t.Run("delete removes the project and everything in it, and nothing else", func(t *testing.T) {
			type content struct {
				project model.Project
				key     model.AccessKey
				repo    model.Repository
				inv     model.Inventory
				env     model.Environment
				tpl     model.Template
				task    model.Task
			}
			u := mustUser(t, st)
			fill := func() content {
				var c content
				c.project = mustProject(t, st)
				pid := c.project.ID
				ctx := t.Context()
				mustNoErr(t, st.Members().Add(ctx, model.ProjectUser{ProjectID: pid, UserID: u.ID, Role: model.RoleOwner}), "Add member")
				c.key = model.AccessKey{ProjectID: pid, Name: "k", Type: model.KeySSH, Secret: []byte("s")}
				mustNoErr(t, st.Keys().Create(ctx, &c.key), "Create key")
				c.repo = model.Repository{ProjectID: pid, Name: "r", SSHKeyID: c.key.ID}
				mustNoErr(t, st.Repositories().Create(ctx, &c.repo), "Create repository")
				c.inv = model.Inventory{ProjectID: pid, Name: "i", Type: model.InventoryStatic}
				mustNoErr(t, st.Inventories().Create(ctx, &c.inv), "Create inventory")
				c.env = model.Environment{ProjectID: pid, Name: "e"}
				mustNoErr(t, st.Environments().Create(ctx, &c.env), "Create environment")
				c.tpl = model.Template{ProjectID: pid, Name: "t", RepositoryID: c.repo.ID}
				mustNoErr(t, st.Templates().Create(ctx, &c.tpl), "Create template")
				c.task = model.Task{ProjectID: pid, TemplateID: c.tpl.ID}
				mustNoErr(t, st.Tasks().Create(ctx, &c.task), "Create task")
				mustNoErr(t, st.Output().Append(ctx, c.task.ID, []model.OutputLine{{Seq: 1, Text: "x"}}), "Append")
				return c
			}
			doomed, kept := fill(), fill()

			mustNoErr(t, ps.Delete(t.Context(), doomed.project.ID), "Delete")

			gets := func(c content) map[string]error {
				ctx, pid := t.Context(), c.project.ID
				errs := map[string]error{}
				_, errs["project"] = ps.Get(ctx, pid)
				_, errs["member"] = st.Members().Get(ctx, pid, u.ID)
				_, errs["key"] = st.Keys().Get(ctx, pid, c.key.ID)
				_, errs["repository"] = st.Repositories().Get(ctx, pid, c.repo.ID)
				_, errs["inventory"] = st.Inventories().Get(ctx, pid, c.inv.ID)
				_, errs["environment"] = st.Environments().Get(ctx, pid, c.env.ID)
				_, errs["template"] = st.Templates().Get(ctx, pid, c.tpl.ID)
				_, errs["task"] = st.Tasks().Get(ctx, pid, c.task.ID)
				return errs
			}
			for what, err := range gets(doomed) {
				wantErr(t, err, model.ErrNotFound, "Get "+what+" of the deleted project")
			}
			for what, err := range gets(kept) {
				mustNoErr(t, err, "Get "+what+" of another project")
			}
			for task, want := range map[int64]int64{doomed.task.ID: 0, kept.task.ID: 1} {
				n, err := st.Output().Count(t.Context(), task)
				mustNoErr(t, err, "Count")
				if n != want {
					t.Fatalf("output lines of task %d = %d, want %d", task, n, want)
				}
			}
		})
	})
}

func TestMembers(t *testing.T) {
	t.Parallel()
	storetest.ForEachBackend(t, func(t *testing.T, st store.Store) {
		ms := st.Members()

		t.Run("add, get, list, update and remove a membership", func(t *testing.T) {
			p, u1, u2 := mustProject(t, st), mustUser(t, st), mustUser(t, st)
			m1 := model.ProjectUser{ProjectID: p.ID, UserID: u1.ID, Role: model.RoleOwner}
			m2 := model.ProjectUser{ProjectID: p.ID, UserID: u2.ID, Role: model.RoleGuest}
			mustNoErr(t, ms.Add(t.Context(), m2), "Add")
			mustNoErr(t, ms.Add(t.Context(), m1), "Add")
			got, err := ms.Get(t.Context(), p.ID, u1.ID)
			mustNoErr(t, err, "Get")
			wantSame(t, got, m1, "Get")
			list, err := ms.List(t.Context(), p.ID)
			mustNoErr(t, err, "List")
			wantSame(t, list, []model.ProjectUser{m1, m2}, "List")

			m2.Role = model.RoleTaskRunner
			mustNoErr(t, ms.Update(t.Context(), m2), "Update")
			mustNoErr(t, ms.Update(t.Context(), m2), "Update with the same role")
			got, err = ms.Get(t.Context(), p.ID, u2.ID)
			mustNoErr(t, err, "Get")
			wantSame(t, got, m2, "Get after Update")

			mustNoErr(t, ms.Remove(t.Context(), p.ID, u2.ID), "Remove")
			_, err = ms.Get(t.Context(), p.ID, u2.ID)
			wantErr(t, err, model.ErrNotFound, "Get after Remove")
		})

		t.Run("a second membership of a user is a conflict", func(t *testing.T) {
			p, u := mustProject(t, st), mustUser(t, st)
			m := model.ProjectUser{ProjectID: p.ID, UserID: u.ID, Role: model.RoleGuest}
			mustNoErr(t, ms.Add(t.Context(), m), "Add")
			m.Role = model.RoleOwner
			wantErr(t, ms.Add(t.Context(), m), model.ErrConflict, "Add again")
		})

		for name, tc := range map[string]struct {
			call func(ctx context.Context, st store.Store, p model.Project, u model.User) error
			want error
		}{
			"an unknown role is invalid": {
				call: func(ctx context.Context, st store.Store, p model.Project, u model.User) error {
					return st.Members().Add(ctx, model.ProjectUser{ProjectID: p.ID, UserID: u.ID, Role: "god"})
				},
				want: model.ErrInvalid,
			},
			"adding a missing user is not found": {
				call: func(ctx context.Context, st store.Store, p model.Project, _ model.User) error {
					return st.Members().Add(ctx, model.ProjectUser{ProjectID: p.ID, UserID: 987654, Role: model.RoleGuest})
				},
				want: model.ErrNotFound,
			},
			"adding to a missing project is not found": {
				call: func(ctx context.Context, st store.Store, _ model.Project, u model.User) error {
					return st.Members().Add(ctx, model.ProjectUser{ProjectID: 987654, UserID: u.ID, Role: model.RoleGuest})
				},
				want: model.ErrNotFound,
			},
			"getting a non-member is not found": {
				call: func(ctx context.Context, st store.Store, p model.Project, u model.User) error {
					_, err := st.Members().Get(ctx, p.ID, u.ID)
					return err
				},
				want: model.ErrNotFound,
			},
			"updating a non-member is not found": {
				call: func(ctx context.Context, st store.Store, p model.Project, u model.User) error {
					return st.Members().Update(ctx, model.ProjectUser{ProjectID: p.ID, UserID: u.ID, Role: model.RoleGuest})
				},
				want: model.ErrNotFound,
			},
			"updating to an unknown role is invalid": {
				call: func(ctx context.Context, st store.Store, p model.Project, u model.User) error {
					return st.Members().Update(ctx, model.ProjectUser{ProjectID: p.ID, UserID: u.ID, Role: "god"})
				},
				want: model.ErrInvalid,
			},
			"removing a non-member is not found": {
				call: func(ctx context.Context, st store.Store, p model.Project, u model.User) error {
					return st.Members().Remove(ctx, p.ID, u.ID)
				},
				want: model.ErrNotFound,
			},
		} {
			t.Run(name, func(t *testing.T) {
				wantErr(t, tc.call(t.Context(), st, mustProject(t, st), mustUser(t, st)), tc.want, name)
			})
		}
	})
}
