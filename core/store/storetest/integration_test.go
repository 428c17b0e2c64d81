package storetest_test

import (
	"testing"

	"github.com/signalbox/signalbox/core/model"
	"github.com/signalbox/signalbox/core/store"
	"github.com/signalbox/signalbox/core/store/storetest"
)

func TestIntegrations_ProjectScoped(t *testing.T) {
	t.Parallel()
	testScoped(t, scopedKind[model.Integration]{
		repo: func(st store.Store) store.ProjectScoped[model.Integration] { return st.Integrations() },
		make: func(pid int64, name, field string) model.Integration {
			return model.Integration{
				ProjectID: pid, Name: name,
				// The last character of field orders the template ids as field does.
				TemplateID: int64(field[len(field)-1]),
				AuthMethod: model.IntegrationAuthToken, AuthHeader: "X-Token", AuthSecret: []byte{0, 1, 2, 255},
				Searchable: true, TaskParams: `{"debug":true}`,
			}
		},
		change: func(i model.Integration) model.Integration {
			i.Name, i.TemplateID, i.AuthMethod, i.AuthHeader = i.Name+"!", i.TemplateID+100, model.IntegrationAuthNone, ""
			i.AuthSecret, i.Searchable, i.TaskParams = nil, false, ""
			return i
		},
		key:    func(i *model.Integration) (*int64, *int64) { return &i.ID, &i.ProjectID },
		sortBy: "template_id",
	})
}

// mustIntegration creates an integration in a project.
func mustIntegration(t *testing.T, st store.Store, projectID int64) model.Integration {
	t.Helper()
	i := model.Integration{ProjectID: projectID, Name: uniq("integration"), TemplateID: 1, AuthMethod: model.IntegrationAuthNone}
	mustNoErr(t, st.Integrations().Create(t.Context(), &i), "create integration")
	return i
}

func mustMatcher(t *testing.T, st store.Store, integrationID int64) model.IntegrationMatcher {
	t.Helper()
	m := model.IntegrationMatcher{IntegrationID: integrationID, Name: uniq("matcher"), MatchType: model.IntegrationMatchBody,
		Method: model.IntegrationMatchEquals, BodyDataType: model.IntegrationBodyJSON, Key: "ref", Value: "refs/heads/main"}
	mustNoErr(t, st.Integrations().Matchers().Create(t.Context(), &m), "create matcher")
	return m
}

func mustValue(t *testing.T, st store.Store, integrationID int64) model.IntegrationExtractValue {
	t.Helper()
	v := model.IntegrationExtractValue{IntegrationID: integrationID, Name: uniq("value"), ValueSource: model.IntegrationMatchHeader,
		Key: "X-Request-Id", Variable: "request_id", VariableType: model.IntegrationVariableEnvironment}
	mustNoErr(t, st.Integrations().ExtractValues().Create(t.Context(), &v), "create extract value")
	return v
}

func mustAlias(t *testing.T, st store.Store, projectID, integrationID int64) model.IntegrationAlias {
	t.Helper()
	a := model.IntegrationAlias{ProjectID: projectID, IntegrationID: integrationID, Alias: uniq("alias")}
	mustNoErr(t, st.Integrations().Aliases().Create(t.Context(), &a), "create alias")
	return a
}

// partKind describes one kind of integration part to the generic suite.
type partKind[T any] struct {
	repo func(store.Store) store.IntegrationParts[T]
	make func(integrationID int64, name string) T
	// change returns v with every field but its ID and IntegrationID changed.
	change func(v T) T
	key    func(v *T) (id, integrationID *int64)
}

func TestIntegrations_Parts(t *testing.T) {
	t.Parallel()
	t.Run("matchers", func(t *testing.T) {
		t.Parallel()
		testParts(t, partKind[model.IntegrationMatcher]{
			repo: func(st store.Store) store.IntegrationParts[model.IntegrationMatcher] {
				return st.Integrations().Matchers()
			},
			make: func(iid int64, name string) model.IntegrationMatcher {
				return model.IntegrationMatcher{IntegrationID: iid, Name: name, MatchType: model.IntegrationMatchBody,
					Method: model.IntegrationMatchContains, BodyDataType: model.IntegrationBodyJSON, Key: "commits.0.author.name", Value: "ann"}
			},
			change: func(m model.IntegrationMatcher) model.IntegrationMatcher {
				m.Name, m.MatchType, m.Method, m.BodyDataType = m.Name+"!", model.IntegrationMatchHeader, model.IntegrationMatchUnequals, ""
				m.Key, m.Value = "X-Event", ""
				return m
			},
			key: func(m *model.IntegrationMatcher) (*int64, *int64) { return &m.ID, &m.IntegrationID },
		})
	})
	t.Run("extract values", func(t *testing.T) {
		t.Parallel()
		testParts(t, partKind[model.IntegrationExtractValue]{
			repo: func(st store.Store) store.IntegrationParts[model.IntegrationExtractValue] {
				return st.Integrations().ExtractValues()
			},
			make: func(iid int64, name string) model.IntegrationExtractValue {
				return model.IntegrationExtractValue{IntegrationID: iid, Name: name, ValueSource: model.IntegrationMatchBody,
					BodyDataType: model.IntegrationBodyXML, Key: "push.ref", Variable: "ref", VariableType: model.IntegrationVariableTask}
			},
			change: func(v model.IntegrationExtractValue) model.IntegrationExtractValue {
				v.Name, v.ValueSource, v.BodyDataType, v.Key = v.Name+"!", model.IntegrationMatchHeader, "", "X-Ref"
				v.Variable, v.VariableType = "REF", model.IntegrationVariableEnvironment
				return v
			},
			key: func(v *model.IntegrationExtractValue) (*int64, *int64) { return &v.ID, &v.IntegrationID },
		})
	})
}

func testParts[T any](t *testing.T, k partKind[T]) {
	storetest.ForEachBackend(t, func(t *testing.T, st store.Store) {
		repo := k.repo(st)
		p := mustProject(t, st)
		in, other := mustIntegration(t, st, p.ID), mustIntegration(t, st, p.ID)
		create := func(t *testing.T, iid int64, name string) T {
			t.Helper()
			v := k.make(iid, name)
			mustNoErr(t, repo.Create(t.Context(), &v), "Create")
			return v
		}
		ids := func(v T) (int64, int64) {
			id, iid := k.key(&v)
			return *id, *iid
		}

		t.Run("create sets the id, get returns the same object and update changes every field", func(t *testing.T) {
			v := create(t, in.ID, "first")
			id, iid := ids(v)
			if id == 0 || iid != in.ID {
				t.Fatalf("after Create: id %d, integration %d; want an id and integration %d", id, iid, in.ID)
			}
			got, err := repo.Get(t.Context(), in.ID, id)
			mustNoErr(t, err, "Get")
			wantSame(t, got, v, "Get")
			changed := k.change(v)
			mustNoErr(t, repo.Update(t.Context(), changed), "Update")
			mustNoErr(t, repo.Update(t.Context(), changed), "Update with unchanged values")
			got, err = repo.Get(t.Context(), in.ID, id)
			mustNoErr(t, err, "Get")
			wantSame(t, got, changed, "Get after Update")
		})

		t.Run("list returns an integration's objects in creation order", func(t *testing.T) {
			li := mustIntegration(t, st, p.ID)
			b, a := create(t, li.ID, "b"), create(t, li.ID, "a")
			create(t, other.ID, "c")
			got, err := repo.List(t.Context(), li.ID)
			mustNoErr(t, err, "List")
			wantSame(t, got, []T{b, a}, "List")
		})

		t.Run("another integration's object is not found", func(t *testing.T) {
			v := create(t, in.ID, "mine")
			id, _ := ids(v)
			_, err := repo.Get(t.Context(), other.ID, id)
			wantErr(t, err, model.ErrNotFound, "Get from another integration")
			moved := k.change(v)
			_, iid := k.key(&moved)
			*iid = other.ID
			wantErr(t, repo.Update(t.Context(), moved), model.ErrNotFound, "Update from another integration")
			wantErr(t, repo.Delete(t.Context(), other.ID, id), model.ErrNotFound, "Delete from another integration")
			got, err := repo.Get(t.Context(), in.ID, id)
			mustNoErr(t, err, "Get")
			wantSame(t, got, v, "object after refused Update and Delete")
		})

		t.Run("delete removes the object", func(t *testing.T) {
			v := create(t, in.ID, "doomed")
			id, _ := ids(v)
			mustNoErr(t, repo.Delete(t.Context(), in.ID, id), "Delete")
			_, err := repo.Get(t.Context(), in.ID, id)
			wantErr(t, err, model.ErrNotFound, "Get after Delete")
			wantErr(t, repo.Delete(t.Context(), in.ID, id), model.ErrNotFound, "Delete again")
			wantErr(t, repo.Update(t.Context(), v), model.ErrNotFound, "Update after Delete")
		})

		t.Run("create for a missing integration is not found", func(t *testing.T) {
			v := k.make(987654, "orphan")
			wantErr(t, repo.Create(t.Context(), &v), model.ErrNotFound, "Create")
		})
	})
}

func TestIntegrations_Aliases(t *testing.T) {
	t.Parallel()
	storetest.ForEachBackend(t, func(t *testing.T, st store.Store) {
		as := st.Integrations().Aliases()
		p, q := mustProject(t, st), mustProject(t, st)
		in, other := mustIntegration(t, st, p.ID), mustIntegration(t, st, p.ID)

		t.Run("an alias is found by its string, in any project", func(t *testing.T) {
			for _, want := range []model.IntegrationAlias{mustAlias(t, st, p.ID, in.ID), mustAlias(t, st, q.ID, 0)} {
				if want.ID == 0 {
					t.Fatalf("Create set no id: %+v", want)
				}
				got, err := as.GetByAlias(t.Context(), want.Alias)
				mustNoErr(t, err, "GetByAlias")
				wantSame(t, got, want, "GetByAlias")
			}
			_, err := as.GetByAlias(t.Context(), "no-such-alias")
			wantErr(t, err, model.ErrNotFound, "GetByAlias of an unknown alias")
		})

		t.Run("aliases are unique and case-sensitive", func(t *testing.T) {
			a := mustAlias(t, st, p.ID, in.ID)
			dup := model.IntegrationAlias{ProjectID: q.ID, Alias: a.Alias}
			wantErr(t, as.Create(t.Context(), &dup), model.ErrConflict, "Create a duplicate")
			upper := model.IntegrationAlias{ProjectID: p.ID, Alias: "ABC-" + a.Alias}
			lower := model.IntegrationAlias{ProjectID: p.ID, Alias: "abc-" + a.Alias}
			mustNoErr(t, as.Create(t.Context(), &upper), "Create upper case")
			mustNoErr(t, as.Create(t.Context(), &lower), "Create lower case")
			got, err := as.GetByAlias(t.Context(), lower.Alias)
			mustNoErr(t, err, "GetByAlias")
			wantSame(t, got, lower, "GetByAlias of the lower case alias")
		})

		t.Run("list separates project aliases from each integration's", func(t *testing.T) {
			lp := mustProject(t, st)
			li, lo := mustIntegration(t, st, lp.ID), mustIntegration(t, st, lp.ID)
			i1, proj, i2 := mustAlias(t, st, lp.ID, li.ID), mustAlias(t, st, lp.ID, 0), mustAlias(t, st, lp.ID, li.ID)
			mustAlias(t, st, lp.ID, lo.ID)
			mustAlias(t, st, q.ID, 0)
			for name, tc := range map[string]struct {
				integrationID int64
				want          []model.IntegrationAlias
			}{
				"an integration's aliases": {li.ID, []model.IntegrationAlias{i1, i2}},
				"the project's aliases":    {0, []model.IntegrationAlias{proj}},
			} {
				t.Run(name, func(t *testing.T) {
					got, err := as.List(t.Context(), lp.ID, tc.integrationID)
					mustNoErr(t, err, "List")
					wantSame(t, got, tc.want, "List")
				})
			}
		})

		t.Run("delete is scoped by project and integration", func(t *testing.T) {
			a, pa := mustAlias(t, st, p.ID, in.ID), mustAlias(t, st, p.ID, 0)
			wantErr(t, as.Delete(t.Context(), q.ID, in.ID, a.ID), model.ErrNotFound, "Delete from another project")
			wantErr(t, as.Delete(t.Context(), p.ID, other.ID, a.ID), model.ErrNotFound, "Delete from another integration")
			wantErr(t, as.Delete(t.Context(), p.ID, 0, a.ID), model.ErrNotFound, "Delete as a project alias")
			wantErr(t, as.Delete(t.Context(), p.ID, in.ID, pa.ID), model.ErrNotFound, "Delete a project alias as an integration's")
			mustNoErr(t, as.Delete(t.Context(), p.ID, in.ID, a.ID), "Delete")
			mustNoErr(t, as.Delete(t.Context(), p.ID, 0, pa.ID), "Delete project alias")
			for _, x := range []model.IntegrationAlias{a, pa} {
				_, err := as.GetByAlias(t.Context(), x.Alias)
				wantErr(t, err, model.ErrNotFound, "GetByAlias after Delete")
			}
		})

		t.Run("an alias of another project's or a missing integration is not found", func(t *testing.T) {
			for _, a := range []model.IntegrationAlias{
				{ProjectID: q.ID, IntegrationID: in.ID, Alias: uniq("alias")},
				{ProjectID: p.ID, IntegrationID: 987654, Alias: uniq("alias")},
				{ProjectID: 987654, Alias: uniq("alias")},
			} {
				wantErr(t, as.Create(t.Context(), &a), model.ErrNotFound, "Create")
			}
		})
	})
}

func TestIntegrations_Delete(t *testing.T) {
	t.Parallel()
	storetest.ForEachBackend(t, func(t *testing.T, st store.Store) {
		type content struct {
			in    model.Integration
			m     model.IntegrationMatcher
			v     model.IntegrationExtractValue
			alias model.IntegrationAlias
		}
		fill := func(projectID int64) content {
			in := mustIntegration(t, st, projectID)
			return content{in: in, m: mustMatcher(t, st, in.ID), v: mustValue(t, st, in.ID), alias: mustAlias(t, st, projectID, in.ID)}
		}
		gets := func(c content) map[string]error {
			ctx, is := t.Context(), st.Integrations()
			errs := map[string]error{}
			_, errs["integration"] = is.Get(ctx, c.in.ProjectID, c.in.ID)
			_, errs["matcher"] = is.Matchers().Get(ctx, c.in.ID, c.m.ID)
			_, errs["extract value"] = is.ExtractValues().Get(ctx, c.in.ID, c.v.ID)
			_, errs["alias"] = is.Aliases().GetByAlias(ctx, c.alias.Alias)
			return errs
		}

		t.Run("deleting an integration deletes its matchers, values and aliases, and nothing else", func(t *testing.T) {
			p := mustProject(t, st)
			doomed, kept := fill(p.ID), fill(p.ID)
			projectAlias := mustAlias(t, st, p.ID, 0)
			wantErr(t, st.Integrations().Delete(t.Context(), mustProject(t, st).ID, doomed.in.ID), model.ErrNotFound,
				"Delete from another project")
			for what, err := range gets(doomed) {
				mustNoErr(t, err, "Get "+what+" after a refused Delete")
			}
			mustNoErr(t, st.Integrations().Delete(t.Context(), p.ID, doomed.in.ID), "Delete")
			for what, err := range gets(doomed) {
				wantErr(t, err, model.ErrNotFound, "Get "+what+" of the deleted integration")
			}
			for what, err := range gets(kept) {
				mustNoErr(t, err, "Get "+what+" of another integration")
			}
			_, err := st.Integrations().Aliases().GetByAlias(t.Context(), projectAlias.Alias)
			mustNoErr(t, err, "GetByAlias of the project alias")
			wantErr(t, st.Integrations().Delete(t.Context(), p.ID, doomed.in.ID), model.ErrNotFound, "Delete again")
		})

		t.Run("deleting the project deletes its integrations and their parts", func(t *testing.T) {
			p, q := mustProject(t, st), mustProject(t, st)
			doomed, kept := fill(p.ID), fill(q.ID)
			projectAlias := mustAlias(t, st, p.ID, 0)
			mustNoErr(t, st.Projects().Delete(t.Context(), p.ID), "Delete project")
			for what, err := range gets(doomed) {
				wantErr(t, err, model.ErrNotFound, "Get "+what+" of the deleted project")
			}
			_, err := st.Integrations().Aliases().GetByAlias(t.Context(), projectAlias.Alias)
			wantErr(t, err, model.ErrNotFound, "GetByAlias of the deleted project's alias")
			for what, err := range gets(kept) {
				mustNoErr(t, err, "Get "+what+" of another project")
			}
		})
	})
}
