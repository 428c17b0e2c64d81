package storetest_test

import (
	"testing"

	"github.com/signalbox/signalbox/core/model"
	"github.com/signalbox/signalbox/core/store"
	"github.com/signalbox/signalbox/core/store/storetest"
)

func TestEvents(t *testing.T) {
	t.Parallel()
	storetest.ForEachBackend(t, func(t *testing.T, st store.Store) {
		es := st.Events()
		p1, p2 := mustProject(t, st), mustProject(t, st)
		u := mustUser(t, st)
		var created []model.Event
		for i, pid := range []*int64{&p1.ID, &p2.ID, nil, &p1.ID} {
			e := model.Event{ProjectID: pid, UserID: &u.ID, ObjectType: "task", ObjectID: ptr(int64(i + 1)), Description: uniq("event")}
			mustNoErr(t, es.Create(t.Context(), &e), "Create")
			if e.ID == 0 || e.Created.IsZero() {
				t.Fatalf("Create set %+v; want an id and a time", e)
			}
			created = append(created, e)
		}

		t.Run("a project's events come newest first", func(t *testing.T) {
			got, err := es.List(t.Context(), store.EventFilter{ProjectID: p1.ID})
			mustNoErr(t, err, "List")
			wantSame(t, got, []model.Event{created[3], created[0]}, "events of p1")
		})
		t.Run("a list of projects excludes the others and global events", func(t *testing.T) {
			got, err := es.List(t.Context(), store.EventFilter{ProjectIDs: []int64{p2.ID}})
			mustNoErr(t, err, "List")
			wantSame(t, got, []model.Event{created[1]}, "events of p2")
			got, err = es.List(t.Context(), store.EventFilter{ProjectIDs: []int64{}})
			mustNoErr(t, err, "List")
			if len(got) != 0 {
				t.Errorf("an empty project list matched %d events", len(got))
			}
		})
		t.Run("limit and before page backwards", func(t *testing.T) {
			got, err := es.List(t.Context(), store.EventFilter{Limit: 2})
			mustNoErr(t, err, "List")
			wantSame(t, got, []model.Event{created[3], created[2]}, "first page")
			got, err = es.List(t.Context(), store.EventFilter{Limit: 2, BeforeID: created[2].ID})
			mustNoErr(t, err, "List")
			wantSame(t, got, []model.Event{created[1], created[0]}, "second page")
		})
		t.Run("deleting a project deletes its events", func(t *testing.T) {
			mustNoErr(t, st.Projects().Delete(t.Context(), p1.ID), "Delete project")
			got, err := es.List(t.Context(), store.EventFilter{ProjectID: p1.ID})
			mustNoErr(t, err, "List")
			if len(got) != 0 {
				t.Errorf("%d events of a deleted project remain", len(got))
			}
		})
	})
}
