package kvstore_test

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/signalbox/signalbox/core/model"
	"github.com/signalbox/signalbox/core/store"
	"github.com/signalbox/signalbox/core/store/kvstore"
	"github.com/signalbox/signalbox/sdk/storage"
	"github.com/signalbox/signalbox/sdk/storage/memory"
)

// The tests of this file check the bucket layout of the kinds with
// secondary indexes: after every kind of write, each index holds exactly
// the entries its documents call for, no more (stale) and no fewer. The
// key encoding is spelled out again here, so a change of the layout shows.

// desc is an id that sorts newest first.
type desc int64

// enc encodes a key as package kvstore does: an int64 big-endian with the
// sign bit flipped, a desc id inverted, a string with a 0 terminator.
func enc(parts ...any) string {
	var b []byte
	for _, p := range parts {
		switch v := p.(type) {
		case int64:
			b = binary.BigEndian.AppendUint64(b, uint64(v)^(1<<63))
		case desc:
			b = binary.BigEndian.AppendUint64(b, ^(uint64(v) ^ (1 << 63)))
		case string:
			b = append(append(b, v...), 0)
		default:
			panic(fmt.Sprintf("enc: bad part %T", p))
		}
	}
	return string(b)
}

// bucket is the content of a bucket: key → value.
type bucket map[string]string

func dump(t *testing.T, b storage.Backend, name string) bucket {
	t.Helper()
	out := bucket{}
	req := storage.ScanRequest{Bucket: name}
	for {
		res, err := b.Scan(t.Context(), req)
		if err != nil {
			t.Fatalf("scan %s: %v", name, err)
		}
		for _, it := range res.Items {
			out[string(it.Key)] = string(it.Value)
		}
		if !res.More {
			return out
		}
		req.Start = append(slices.Clone(res.Items[len(res.Items)-1].Key), 0)
	}
}

// docs decodes the documents of a bucket, checking that each is at the
// key keyOf gives.
func docs[T any](t *testing.T, b storage.Backend, name string, keyOf func(T) string) []T {
	t.Helper()
	var out []T
	for k, raw := range dump(t, b, name) {
		var v T
		if err := json.Unmarshal([]byte(raw), &v); err != nil {
			t.Fatalf("decode %s %x: %v", name, k, err)
		}
		if want := keyOf(v); want != k {
			t.Errorf("%s document %+v is at key %x, want %x", name, v, k, want)
		}
		out = append(out, v)
	}
	return out
}

// indexes computes the index buckets the documents of b call for.
func indexes(t *testing.T, b storage.Backend) map[string]bucket {
	t.Helper()
	want := map[string]bucket{}
	for _, name := range []string{
		"sessions.token", "sessions.user", "apitokens.hash", "apitokens.user", "members.user",
		"envsecrets.name", "events.project", "schedules.id", "schedules.template", "schedules.active",
	} {
		want[name] = bucket{}
	}
	for _, s := range docs(t, b, "sessions", func(s model.Session) string { return enc(s.ID) }) {
		want["sessions.token"][enc(s.TokenHash)] = enc(s.ID)
		want["sessions.user"][enc(s.UserID, s.ID)] = ""
	}
	for _, tok := range docs(t, b, "apitokens", func(tok model.APIToken) string { return enc(tok.ID) }) {
		want["apitokens.hash"][enc(tok.TokenHash)] = tok.ID
		want["apitokens.user"][enc(tok.UserID, tok.ID)] = ""
	}
	for _, m := range docs(t, b, "members", func(m model.ProjectUser) string { return enc(m.ProjectID, m.UserID) }) {
		want["members.user"][enc(m.UserID, m.ProjectID)] = ""
	}
	for _, s := range docs(t, b, "envsecrets", func(s model.EnvironmentSecret) string {
		return enc(s.ProjectID, s.EnvironmentID, s.ID)
	}) {
		want["envsecrets.name"][enc(s.ProjectID, s.EnvironmentID, s.Name)] = enc(s.ID)
	}
	for _, e := range docs(t, b, "events", func(e model.Event) string { return enc(desc(e.ID)) }) {
		if e.ProjectID != nil {
			want["events.project"][enc(*e.ProjectID, desc(e.ID))] = ""
		}
	}
	for _, s := range docs(t, b, "schedules", func(s model.Schedule) string { return enc(s.ProjectID, s.ID) }) {
		want["schedules.id"][enc(s.ID)] = enc(s.ProjectID)
		want["schedules.template"][enc(s.ProjectID, s.TemplateID, s.ID)] = ""
		if s.Active {
			want["schedules.active"][enc(s.ID)] = enc(s.ProjectID)
		}
	}
	return want
}

// checkIndexes fails the test unless every index bucket holds exactly the
// entries of its documents.
func checkIndexes(t *testing.T, b storage.Backend) {
	t.Helper()
	for name, want := range indexes(t, b) {
		if diff := cmp.Diff(want, dump(t, b, name)); diff != "" {
			t.Errorf("index %s (-want +got):\n%s", name, diff)
		}
	}
}

// count returns how many keys a bucket holds.
func count(t *testing.T, b storage.Backend, name string) int {
	t.Helper()
	return len(dump(t, b, name))
}

// fixture is a store on a fresh memory backend, with a user, a project
// and, in it, an environment and two templates.
// indexCase writes through the store; keep names the buckets that must not
// end empty, so that the index check is not vacuous.
type indexCase struct {
	run  func(t *testing.T, f *fixture)
	keep []string
}

// runIndexCases runs each case on a fresh fixture, then checks the indexes
// of the backend with check.
func runIndexCases(t *testing.T, check func(*testing.T, storage.Backend), cases map[string]indexCase) {
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			tc.run(t, f)
			check(t, f.b)
			for _, b := range tc.keep {
				if count(t, f.b, b) == 0 {
					t.Errorf("bucket %s is empty; the test meant to keep some", b)
				}
			}
		})
	}
}

type fixture struct {
	b       *memory.Backend
	st      *kvstore.Store
	user    model.User
	project model.Project
	env     model.Environment
	tpl     [2]model.Template
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{b: memory.New()}
	st, err := kvstore.New(t.Context(), f.b, nil)
	must(t, err, "open store")
	t.Cleanup(func() { must(t, st.Close(), "close store") })
	f.st = st
	f.user = f.newUser(t)
	f.project = f.newProject(t)
	f.env = model.Environment{ProjectID: f.project.ID, Name: "env"}
	must(t, st.Environments().Create(t.Context(), &f.env), "create environment")
	for i := range f.tpl {
		f.tpl[i] = model.Template{ProjectID: f.project.ID, Name: fmt.Sprint("tpl", i)}
		must(t, st.Templates().Create(t.Context(), &f.tpl[i]), "create template")
	}
	return f
}

var seq struct {
	sync.Mutex
	n int
}

func uniq(prefix string) string {
	seq.Lock()
	defer seq.Unlock()
	seq.n++
	return fmt.Sprint(prefix, seq.n)
}

func (f *fixture) newUser(t *testing.T) model.User {
	t.Helper()
	u := model.User{Username: uniq("user")}
	must(t, f.st.Users().Create(t.Context(), &u), "create user")
	return u
}

func (f *fixture) newProject(t *testing.T) model.Project {
	t.Helper()
	p := model.Project{Name: uniq("project")}
	must(t, f.st.Projects().Create(t.Context(), &p), "create project")
	return p
}

func must(t *testing.T, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func TestIndexes(t *testing.T) {
	t.Parallel()
	runIndexCases(t, checkIndexes, map[string]indexCase{
		"sessions after expiry and the deletion of their user": {
			run: func(t *testing.T, f *fixture) {
				ss, ctx := f.st.Sessions(), t.Context()
				doomed := f.newUser(t)
				for _, u := range []int64{f.user.ID, doomed.ID, doomed.ID} {
					s := model.Session{UserID: u, TokenHash: uniq("hash")}
					must(t, ss.Create(ctx, &s), "create session")
					must(t, ss.Touch(ctx, s.ID, time.Now()), "touch session")
					must(t, ss.Expire(ctx, s.ID), "expire session")
				}
				must(t, f.st.Users().Delete(ctx, doomed.ID), "delete user")
			},
			keep: []string{"sessions"},
		},
		"API tokens after expiry and the deletion of their user": {
			run: func(t *testing.T, f *fixture) {
				ts, ctx := f.st.APITokens(), t.Context()
				doomed := f.newUser(t)
				for _, u := range []int64{f.user.ID, doomed.ID, doomed.ID} {
					tok := model.APIToken{ID: uniq("tok"), UserID: u, TokenHash: uniq("hash")}
					must(t, ts.Create(ctx, &tok), "create token")
					must(t, ts.Expire(ctx, u, tok.ID), "expire token")
				}
				must(t, f.st.Users().Delete(ctx, doomed.ID), "delete user")
			},
			keep: []string{"apitokens"},
		},
		"memberships after removal and the deletion of users and projects": {
			run: func(t *testing.T, f *fixture) {
				ms, ctx := f.st.Members(), t.Context()
				u, v := f.newUser(t), f.newUser(t)
				p := f.newProject(t)
				for _, m := range []model.ProjectUser{
					{ProjectID: f.project.ID, UserID: f.user.ID}, {ProjectID: f.project.ID, UserID: u.ID},
					{ProjectID: f.project.ID, UserID: v.ID}, {ProjectID: p.ID, UserID: f.user.ID},
				} {
					m.Role = model.RoleGuest
					must(t, ms.Add(ctx, m), "add member")
				}
				must(t, ms.Update(ctx, model.ProjectUser{ProjectID: f.project.ID, UserID: u.ID, Role: model.RoleOwner}), "update member")
				must(t, ms.Remove(ctx, f.project.ID, u.ID), "remove member")
				must(t, f.st.Users().Delete(ctx, v.ID), "delete user")
				must(t, f.st.Projects().Delete(ctx, p.ID), "delete project")
			},
			keep: []string{"members"},
		},
		"environment secrets after renames and deletions": {
			run: func(t *testing.T, f *fixture) {
				es, ctx := f.st.EnvironmentSecrets(), t.Context()
				other := model.Environment{ProjectID: f.project.ID, Name: "other"}
				must(t, f.st.Environments().Create(ctx, &other), "create environment")
				var secrets []model.EnvironmentSecret
				for _, env := range []int64{f.env.ID, f.env.ID, f.env.ID, other.ID} {
					s := model.EnvironmentSecret{ProjectID: f.project.ID, EnvironmentID: env, Name: uniq("s"), Secret: []byte("x")}
					must(t, es.Create(ctx, &s), "create secret")
					secrets = append(secrets, s)
				}
				secrets[0].Name = uniq("renamed")
				must(t, es.Update(ctx, secrets[0]), "rename secret")
				must(t, es.Update(ctx, secrets[0]), "update secret unchanged")
				must(t, es.Delete(ctx, f.project.ID, f.env.ID, secrets[1].ID), "delete secret")
				must(t, es.DeleteAll(ctx, f.project.ID, other.ID), "delete all secrets of an environment")
				// The old name is free again.
				s := model.EnvironmentSecret{ProjectID: f.project.ID, EnvironmentID: f.env.ID, Name: secrets[1].Name}
				must(t, es.Create(ctx, &s), "create secret with a freed name")
			},
			keep: []string{"envsecrets"},
		},
		"events after the deletion of a project": {
			run: func(t *testing.T, f *fixture) {
				p := f.newProject(t)
				for _, pid := range []*int64{&f.project.ID, &p.ID, nil, &p.ID} {
					e := model.Event{ProjectID: pid, Description: "e"}
					must(t, f.st.Events().Create(t.Context(), &e), "create event")
				}
				must(t, f.st.Projects().Delete(t.Context(), p.ID), "delete project")
				if n := count(t, f.b, "events"); n != 2 {
					t.Errorf("%d events remain, want 2", n)
				}
			},
			keep: []string{"events"},
		},
		"schedules after updates, claims and deletions": {
			run: func(t *testing.T, f *fixture) {
				ss, ctx := f.st.Schedules(), t.Context()
				var list []model.Schedule
				for i := range 5 {
					s := model.Schedule{ProjectID: f.project.ID, TemplateID: f.tpl[i%2].ID, CronFormat: "@daily", Active: i%2 == 0}
					must(t, ss.Create(ctx, &s), "create schedule")
					list = append(list, s)
				}
				// Move one to the other template and make it active; make one inactive.
				list[0].TemplateID, list[0].Active = f.tpl[1].ID, false
				must(t, ss.Update(ctx, list[0]), "update schedule")
				list[1].Active = true
				must(t, ss.Update(ctx, list[1]), "update schedule")
				ok, err := ss.ClaimTick(ctx, list[2].ID, time.Now(), true)
				must(t, err, "claim tick")
				if !ok {
					t.Error("claim of an active schedule failed")
				}
				must(t, ss.Delete(ctx, f.project.ID, list[4].ID), "delete schedule")
				n, err := ss.DeleteByTemplate(ctx, f.project.ID, f.tpl[1].ID)
				must(t, err, "delete schedules by template")
				if n != 3 {
					t.Errorf("DeleteByTemplate removed %d, want 3", n)
				}
				p := f.newProject(t)
				tpl := model.Template{ProjectID: p.ID, Name: "t"}
				must(t, f.st.Templates().Create(ctx, &tpl), "create template")
				for range 2 {
					s := model.Schedule{ProjectID: p.ID, TemplateID: tpl.ID, Active: true}
					must(t, ss.Create(ctx, &s), "create schedule")
				}
				must(t, f.st.Projects().Delete(ctx, p.ID), "delete project")
				active, err := ss.ListActive(ctx)
				must(t, err, "list active schedules")
				if len(active) != 0 {
					t.Errorf("ListActive = %+v, want none", active)
				}
			},
			keep: []string{"schedules"},
		},
	})
}

func TestEvents_ListMergesProjects(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	projects := []int64{f.project.ID, f.newProject(t).ID, f.newProject(t).ID}
	var all []model.Event
	for i := range 40 {
		var pid *int64
		if i%4 != 3 {
			pid = &projects[(i*7)%len(projects)]
		}
		e := model.Event{ProjectID: pid, Description: fmt.Sprint("event ", i)}
		must(t, f.st.Events().Create(ctx, &e), "create event")
		all = append(all, e)
	}
	slices.Reverse(all)
	// want filters all (newest first) as SQL would.
	want := func(fl store.EventFilter) []int64 {
		out := []int64{}
		for _, e := range all {
			switch {
			case fl.ProjectID != 0 && (e.ProjectID == nil || *e.ProjectID != fl.ProjectID),
				fl.ProjectIDs != nil && (e.ProjectID == nil || !slices.Contains(fl.ProjectIDs, *e.ProjectID)),
				fl.BeforeID > 0 && e.ID >= fl.BeforeID:
				continue
			}
			if fl.Limit > 0 && len(out) == fl.Limit {
				break
			}
			out = append(out, e.ID)
		}
		return out
	}
	mid := all[len(all)/2].ID
	for name, fl := range map[string]store.EventFilter{
		"everything":                       {},
		"a page":                           {Limit: 7},
		"a page before an id":              {Limit: 7, BeforeID: mid},
		"one project":                      {ProjectID: projects[1]},
		"one project before an id":         {ProjectID: projects[1], BeforeID: mid, Limit: 3},
		"two projects merged":              {ProjectIDs: []int64{projects[2], projects[0]}},
		"two projects merged, a page":      {ProjectIDs: []int64{projects[2], projects[0]}, Limit: 5},
		"two projects before an id":        {ProjectIDs: []int64{projects[0], projects[1]}, BeforeID: mid, Limit: 4},
		"a repeated project":               {ProjectIDs: []int64{projects[1], projects[1]}, Limit: 10},
		"a project and a list holding it":  {ProjectID: projects[0], ProjectIDs: []int64{projects[0], projects[2]}},
		"a project and a list without it":  {ProjectID: projects[0], ProjectIDs: []int64{projects[2]}},
		"an empty list":                    {ProjectIDs: []int64{}},
		"a missing project":                {ProjectIDs: []int64{987654}},
		"a limit larger than the events":   {Limit: 1000},
		"before the first event":           {BeforeID: all[len(all)-1].ID},
		"before an id past the last event": {BeforeID: all[0].ID + 100, Limit: 2},
	} {
		t.Run(name, func(t *testing.T) {
			ids := slices.Clone(fl.ProjectIDs)
			got, err := f.st.Events().List(ctx, fl)
			must(t, err, "List")
			gotIDs := []int64{}
			for _, e := range got {
				gotIDs = append(gotIDs, e.ID)
			}
			if diff := cmp.Diff(want(fl), gotIDs); diff != "" {
				t.Errorf("event ids (-want +got):\n%s", diff)
			}
			if !slices.Equal(ids, fl.ProjectIDs) {
				t.Errorf("List changed the caller's ProjectIDs to %v", fl.ProjectIDs)
			}
		})
	}
}

// TestSchedules_ClaimTickAcrossServers races claims of one tick from two
// stores on one backend, as two servers would: their batches conflict,
// and the loser must answer false, not an error.
func TestSchedules_ClaimTickAcrossServers(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	other, err := kvstore.New(t.Context(), f.b, nil)
	must(t, err, "open a second store")
	// Closing it would close the shared backend, which the first store closes.
	s := model.Schedule{ProjectID: f.project.ID, TemplateID: f.tpl[0].ID, CronFormat: "* * * * *", Active: true}
	must(t, f.st.Schedules().Create(t.Context(), &s), "create schedule")
	for i := range 20 {
		tick := time.Date(2030, 1, 1, 0, i, 0, 0, time.UTC)
		var wg sync.WaitGroup
		var mu sync.Mutex
		won := 0
		for _, st := range []store.Store{f.st, other, f.st, other} {
			wg.Go(func() {
				ok, err := st.Schedules().ClaimTick(context.WithoutCancel(t.Context()), s.ID, tick, false)
				if err != nil {
					t.Errorf("ClaimTick: %v", err)
				}
				if ok {
					mu.Lock()
					won++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if won != 1 {
			t.Fatalf("tick %s: %d claims won, want 1", tick, won)
		}
	}
	checkIndexes(t, f.b)
}
