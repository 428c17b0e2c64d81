package storetest_test

import (
	"testing"

	"github.com/signalbox/signalbox/core/model"
	"github.com/signalbox/signalbox/core/store"
	"github.com/signalbox/signalbox/core/store/storetest"
)

// scopedKind describes one project-scoped kind to the generic suite.
type scopedKind[T any] struct {
	repo func(store.Store) store.ProjectScoped[T]
	// make returns an object with every field set; field is the value of
	// the kind's own sort field (sortBy), if it has one.
	make func(projectID int64, name, field string) T
	// change returns v with every field but its ID and ProjectID changed,
	// optional ones cleared.
	change func(v T) T
	// key points at v's ID and ProjectID.
	key    func(v *T) (id, projectID *int64)
	sortBy string
}

// ids returns v's ID and ProjectID.
func (k scopedKind[T]) ids(v T) (id, projectID int64) {
	i, p := k.key(&v)
	return *i, *p
}

// inProject returns v moved to another project.
func (k scopedKind[T]) inProject(v T, projectID int64) T {
	_, p := k.key(&v)
	*p = projectID
	return v
}

func TestProjectScoped(t *testing.T) {
	t.Parallel()
	t.Run("access keys", func(t *testing.T) {
		t.Parallel()
		testScoped(t, scopedKind[model.AccessKey]{
			repo: store.Store.Keys,
			make: func(pid int64, name, field string) model.AccessKey {
				return model.AccessKey{ProjectID: pid, Name: name, Type: model.KeyType(field), Secret: []byte{0, 1, 2, 255}}
			},
			change: func(k model.AccessKey) model.AccessKey {
				k.Name, k.Type, k.Secret = k.Name+"!", model.KeyNone, nil
				return k
			},
			key:    func(k *model.AccessKey) (*int64, *int64) { return &k.ID, &k.ProjectID },
			sortBy: "type",
		})
	})
	t.Run("repositories", func(t *testing.T) {
		t.Parallel()
		testScoped(t, scopedKind[model.Repository]{
			repo: store.Store.Repositories,
			make: func(pid int64, name, field string) model.Repository {
				return model.Repository{ProjectID: pid, Name: name, GitURL: field, GitBranch: "main", SSHKeyID: 7}
			},
			change: func(r model.Repository) model.Repository {
				r.Name, r.GitURL, r.GitBranch, r.SSHKeyID = r.Name+"!", "/srv/code", "", 0
				return r
			},
			key:    func(r *model.Repository) (*int64, *int64) { return &r.ID, &r.ProjectID },
			sortBy: "git_url",
		})
	})
	t.Run("inventories", func(t *testing.T) {
		t.Parallel()
		testScoped(t, scopedKind[model.Inventory]{
			repo: store.Store.Inventories,
			make: func(pid int64, name, field string) model.Inventory {
				return model.Inventory{ProjectID: pid, Name: name, Type: model.InventoryType(field),
					Inventory: "[web]\nhost1\n", SSHKeyID: ptr[int64](3), BecomeKeyID: ptr[int64](4)}
			},
			change: func(i model.Inventory) model.Inventory {
				i.Name, i.Type, i.Inventory, i.SSHKeyID, i.BecomeKeyID = i.Name+"!", model.InventoryFile, "hosts.yml", nil, nil
				return i
			},
			key:    func(i *model.Inventory) (*int64, *int64) { return &i.ID, &i.ProjectID },
			sortBy: "type",
		})
	})
	t.Run("environments", func(t *testing.T) {
		t.Parallel()
		testScoped(t, scopedKind[model.Environment]{
			repo: store.Store.Environments,
			make: func(pid int64, name, _ string) model.Environment {
				return model.Environment{ProjectID: pid, Name: name, JSON: `{"a":1}`, Env: `{"B":"2"}`, Password: "vault"}
			},
			change: func(e model.Environment) model.Environment {
				e.Name, e.JSON, e.Env, e.Password = e.Name+"!", "{}", "", ""
				return e
			},
			key: func(e *model.Environment) (*int64, *int64) { return &e.ID, &e.ProjectID },
		})
	})
	t.Run("templates", func(t *testing.T) {
		t.Parallel()
		testScoped(t, scopedKind[model.Template]{
			repo: store.Store.Templates,
			make: func(pid int64, name, field string) model.Template {
				return model.Template{
					ProjectID: pid, Name: name, Description: "deploys", App: "ansible", Playbook: field,
					RepositoryID: 1, InventoryID: ptr[int64](2), EnvironmentID: ptr[int64](3), ViewID: ptr[int64](4),
					Arguments: `["-v"]`, AllowOverrideArgsInTask: true, SuppressSuccessAlerts: true,
					GitBranch: "main", Limit: "web", TimeoutSeconds: 60, Params: `{"x":1}`,
					SurveyVars: `[{"name":"v"}]`, Type: "deploy",
				}
			},
			change: func(tp model.Template) model.Template {
				tp.Name, tp.Description, tp.App, tp.Playbook = tp.Name+"!", "", "terraform", "main.tf"
				tp.RepositoryID, tp.InventoryID, tp.EnvironmentID, tp.ViewID = 9, nil, nil, nil
				tp.Arguments, tp.AllowOverrideArgsInTask, tp.SuppressSuccessAlerts = "", false, false
				tp.GitBranch, tp.Limit, tp.TimeoutSeconds, tp.Params, tp.SurveyVars, tp.Type = "", "", 0, "", "", ""
				return tp
			},
			key:    func(tp *model.Template) (*int64, *int64) { return &tp.ID, &tp.ProjectID },
			sortBy: "playbook",
		})
	})
}

func testScoped[T any](t *testing.T, k scopedKind[T]) {
	storetest.ForEachBackend(t, func(t *testing.T, st store.Store) {
		repo := k.repo(st)
		p, other := mustProject(t, st), mustProject(t, st)
		create := func(t *testing.T, pid int64, name, field string) T {
			t.Helper()
			v := k.make(pid, name, field)
			mustNoErr(t, repo.Create(t.Context(), &v), "Create")
			return v
		}

		t.Run("create sets the id and get returns the same object", func(t *testing.T) {
			v := k.make(p.ID, "first", "f")
			mustNoErr(t, repo.Create(t.Context(), &v), "Create")
			id, pid := k.ids(v)
			if id == 0 || pid != p.ID {
				t.Fatalf("after Create: id %d, project %d; want an id and project %d", id, pid, p.ID)
			}
			got, err := repo.Get(t.Context(), p.ID, id)
			mustNoErr(t, err, "Get")
			wantSame(t, got, v, "Get")
		})

		t.Run("update changes every field", func(t *testing.T) {
			v := create(t, p.ID, "before", "f")
			changed := k.change(v)
			mustNoErr(t, repo.Update(t.Context(), changed), "Update")
			mustNoErr(t, repo.Update(t.Context(), changed), "Update with unchanged values")
			id, _ := k.ids(v)
			got, err := repo.Get(t.Context(), p.ID, id)
			mustNoErr(t, err, "Get")
			wantSame(t, got, changed, "Get after Update")
		})

		t.Run("another project's object is not found", func(t *testing.T) {
			v := create(t, p.ID, "mine", "f")
			id, _ := k.ids(v)
			_, err := repo.Get(t.Context(), other.ID, id)
			wantErr(t, err, model.ErrNotFound, "Get from another project")
			// Update finds the object by id and project: the same id in
			// another project names an object that does not exist.
			wantErr(t, repo.Update(t.Context(), k.inProject(k.change(v), other.ID)), model.ErrNotFound, "Update from another project")
			wantErr(t, repo.Delete(t.Context(), other.ID, id), model.ErrNotFound, "Delete from another project")
			got, err := repo.Get(t.Context(), p.ID, id)
			mustNoErr(t, err, "Get")
			wantSame(t, got, v, "object after refused Update and Delete")
		})

		t.Run("delete removes the object", func(t *testing.T) {
			v := create(t, p.ID, "doomed", "f")
			id, _ := k.ids(v)
			mustNoErr(t, repo.Delete(t.Context(), p.ID, id), "Delete")
			_, err := repo.Get(t.Context(), p.ID, id)
			wantErr(t, err, model.ErrNotFound, "Get after Delete")
			wantErr(t, repo.Delete(t.Context(), p.ID, id), model.ErrNotFound, "Delete again")
			wantErr(t, repo.Update(t.Context(), v), model.ErrNotFound, "Update after Delete")
		})

		t.Run("create in a missing project is not found", func(t *testing.T) {
			v := k.make(987654, "orphan", "f")
			wantErr(t, repo.Create(t.Context(), &v), model.ErrNotFound, "Create")
		})

		t.Run("list sorts, orders and pages a project's objects", func(t *testing.T) {
			lp := mustProject(t, st)
			// Created in the order b, a, c; the kind's own field sorts c, b, a.
			b, a, c := create(t, lp.ID, "b", "x2"), create(t, lp.ID, "a", "x3"), create(t, lp.ID, "c", "x1")
			create(t, other.ID, "a", "x0") // in another project: never listed
			tests := map[string]struct {
				opts    store.ListOptions
				want    []T
				wantErr error
			}{
				"default order is by name":                {want: []T{a, b, c}},
				"name descending":                         {opts: store.ListOptions{SortBy: "name", Order: store.Desc}, want: []T{c, b, a}},
				"id is creation order":                    {opts: store.ListOptions{SortBy: "id"}, want: []T{b, a, c}},
				"id descending":                           {opts: store.ListOptions{SortBy: "id", Order: store.Desc}, want: []T{c, a, b}},
				"limit and offset page the listing":       {opts: store.ListOptions{Limit: 2, Offset: 1}, want: []T{b, c}},
				"an offset alone skips objects":           {opts: store.ListOptions{Offset: 2}, want: []T{c}},
				"an unknown sort field is invalid":        {opts: store.ListOptions{SortBy: "nope"}, wantErr: model.ErrInvalid},
				"an unknown sort order is invalid":        {opts: store.ListOptions{Order: "up"}, wantErr: model.ErrInvalid},
				"a sort field of another kind is invalid": {opts: store.ListOptions{SortBy: "password_hash"}, wantErr: model.ErrInvalid},
			}
			if k.sortBy != "" {
				tests["the kind's own field sorts too"] = struct {
					opts    store.ListOptions
					want    []T
					wantErr error
				}{opts: store.ListOptions{SortBy: k.sortBy}, want: []T{c, b, a}}
			}
			for name, tc := range tests {
				t.Run(name, func(t *testing.T) {
					got, err := repo.List(t.Context(), lp.ID, tc.opts)
					if tc.wantErr != nil {
						wantErr(t, err, tc.wantErr, "List")
						return
					}
					mustNoErr(t, err, "List")
					if len(got) == 0 {
						got = []T{}
					}
					wantSame(t, got, tc.want, "List")
				})
			}
		})
	})
}
