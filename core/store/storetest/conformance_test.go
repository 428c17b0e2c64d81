package storetest_test

// The conformance suite of the store interfaces: every test runs on each
// dialect of storetest.Dialects, each on a fresh database.

import (
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/signalbox/signalbox/core/model"
	"github.com/signalbox/signalbox/core/store"
)

var uniqSeq atomic.Int64

// uniq returns a name no other call returns.
func uniq(prefix string) string { return fmt.Sprintf("%s-%d", prefix, uniqSeq.Add(1)) }

func ptr[T any](v T) *T { return &v }

// now is the current time as the store keeps it.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

func mustNoErr(t *testing.T, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: unexpected error: %v", what, err)
	}
}

// wantErr fails unless err is of class want.
func wantErr(t *testing.T, err, want error, what string) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: error = %v, want class %q", what, err, want)
	}
}

func wantSame[T any](t *testing.T, got, want T, what string) {
	t.Helper()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("%s mismatch (-want +got):\n%s", what, diff)
	}
}

func mustUser(t *testing.T, st store.Store) model.User {
	t.Helper()
	name := uniq("user")
	u := model.User{Username: name, Name: "User " + name, Email: name + "@example.com", PasswordHash: "hash"}
	mustNoErr(t, st.Users().Create(t.Context(), &u), "create user")
	return u
}

func mustProject(t *testing.T, st store.Store) model.Project {
	t.Helper()
	p := model.Project{Name: uniq("project"), MaxParallelTasks: 2}
	mustNoErr(t, st.Projects().Create(t.Context(), &p), "create project")
	return p
}

func mustTask(t *testing.T, st store.Store, projectID int64, status model.TaskStatus) model.Task {
	t.Helper()
	task := model.Task{ProjectID: projectID, TemplateID: 1, Status: status}
	mustNoErr(t, st.Tasks().Create(t.Context(), &task), "create task")
	return task
}

func taskIDs(ts []model.Task) []int64 {
	ids := make([]int64, len(ts))
	for i, t := range ts {
		ids[i] = t.ID
	}
	return ids
}
