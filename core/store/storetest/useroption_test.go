package storetest_test

import (
	"testing"

	"github.com/signalbox/signalbox/core/model"
	"github.com/signalbox/signalbox/core/store"
	"github.com/signalbox/signalbox/core/store/storetest"
)

func TestUserOptions(t *testing.T) {
	t.Parallel()
	storetest.ForEachBackend(t, func(t *testing.T, st store.Store) {
		uo := st.UserOptions()
		u, v := mustUser(t, st), mustUser(t, st)
		mustNoErr(t, uo.Set(t.Context(), u.ID, "theme", `"dark"`), "Set")
		mustNoErr(t, uo.Set(t.Context(), u.ID, "theme", `"light"`), "Set again replaces")
		mustNoErr(t, uo.Set(t.Context(), u.ID, "tabs", `[1,2]`), "Set")
		mustNoErr(t, uo.Set(t.Context(), v.ID, "theme", `"dark"`), "Set of another user")
		mustNoErr(t, uo.Set(t.Context(), u.ID, "tabs", ""), "Set empty deletes")
		got, err := uo.Get(t.Context(), u.ID)
		mustNoErr(t, err, "Get")
		wantSame(t, got, map[string]string{"theme": `"light"`}, "options")
		wantErr(t, uo.Set(t.Context(), 987654, "x", "1"), model.ErrNotFound, "Set of a missing user")
		mustNoErr(t, st.Users().Delete(t.Context(), u.ID), "delete the user")
		got, err = uo.Get(t.Context(), u.ID)
		mustNoErr(t, err, "Get")
		if len(got) != 0 {
			t.Errorf("a deleted user keeps options %v", got)
		}
	})
}
