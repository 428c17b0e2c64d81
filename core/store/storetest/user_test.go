package storetest_test

import (
	"testing"
	"time"

	"github.com/signalbox/signalbox/core/model"
	"github.com/signalbox/signalbox/core/store"
	"github.com/signalbox/signalbox/core/store/storetest"
)

func TestUsers(t *testing.T) {
	t.Parallel()
	storetest.ForEachBackend(t, func(t *testing.T, st store.Store) {
		us := st.Users()

		t.Run("create sets id and created time and get returns the same user", func(t *testing.T) {
			u := model.User{Username: uniq("alice"), Name: "Alice", Email: uniq("alice") + "@example.com",
				PasswordHash: "$2a$hash", Admin: true, Alert: true}
			mustNoErr(t, us.Create(t.Context(), &u), "Create")
			if u.ID == 0 || u.Created.IsZero() || u.Created.Location() != time.UTC {
				t.Fatalf("Create set ID %d, Created %v; want an id and a UTC time", u.ID, u.Created)
			}
			got, err := us.Get(t.Context(), u.ID)
			mustNoErr(t, err, "Get")
			wantSame(t, got, u, "Get")
		})

		t.Run("create keeps a given creation time to the microsecond", func(t *testing.T) {
			at := time.Date(2024, 2, 29, 23, 59, 58, 123456789, time.FixedZone("X", 3600))
			u := model.User{Username: uniq("timed"), Created: at}
			mustNoErr(t, us.Create(t.Context(), &u), "Create")
			got, err := us.Get(t.Context(), u.ID)
			mustNoErr(t, err, "Get")
			want := at.UTC().Truncate(time.Microsecond)
			if !got.Created.Equal(want) || got.Created.Location() != time.UTC {
				t.Fatalf("Created = %v, want %v in UTC", got.Created, want)
			}
		})

		t.Run("a taken username or email is a conflict", func(t *testing.T) {
			u := mustUser(t, st)
			dupName := model.User{Username: u.Username, Email: uniq("other") + "@example.com"}
			wantErr(t, us.Create(t.Context(), &dupName), model.ErrConflict, "Create with a taken username")
			dupEmail := model.User{Username: uniq("other"), Email: u.Email}
			wantErr(t, us.Create(t.Context(), &dupEmail), model.ErrConflict, "Create with a taken email")
		})

		t.Run("any number of users may have no email", func(t *testing.T) {
			for range 2 {
				u := model.User{Username: uniq("noemail")}
				mustNoErr(t, us.Create(t.Context(), &u), "Create without email")
				got, err := us.Get(t.Context(), u.ID)
				mustNoErr(t, err, "Get")
				if got.Email != "" {
					t.Fatalf("Email = %q, want empty", got.Email)
				}
			}
		})

		t.Run("GetByLogin finds a user by username or by email", func(t *testing.T) {
			u := mustUser(t, st)
			for _, login := range []string{u.Username, u.Email} {
				got, err := us.GetByLogin(t.Context(), login)
				mustNoErr(t, err, "GetByLogin "+login)
				if got.ID != u.ID {
					t.Fatalf("GetByLogin(%q).ID = %d, want %d", login, got.ID, u.ID)
				}
			}
			for _, login := range []string{"", uniq("nobody")} {
				_, err := us.GetByLogin(t.Context(), login)
				wantErr(t, err, model.ErrNotFound, "GetByLogin "+login)
			}
		})

		t.Run("get of a missing user is not found", func(t *testing.T) {
			_, err := us.Get(t.Context(), 987654)
			wantErr(t, err, model.ErrNotFound, "Get")
		})

		t.Run("update changes the profile but neither password hash nor creation time", func(t *testing.T) {
			u := mustUser(t, st)
			changed := u
			changed.Username = uniq("renamed")
			changed.Name = "Renamed"
			changed.Email = ""
			changed.Admin = true
			changed.Alert = true
			changed.PasswordHash = "ignored"
			changed.Created = u.Created.Add(time.Hour)
			mustNoErr(t, us.Update(t.Context(), changed), "Update")
			got, err := us.Get(t.Context(), u.ID)
			mustNoErr(t, err, "Get")
			want := changed
			want.PasswordHash, want.Created = u.PasswordHash, u.Created
			wantSame(t, got, want, "Get after Update")
		})

		t.Run("update with unchanged values succeeds", func(t *testing.T) {
			u := mustUser(t, st)
			mustNoErr(t, us.Update(t.Context(), u), "Update")
		})

		t.Run("update to a taken username is a conflict and of a missing user not found", func(t *testing.T) {
			u1, u2 := mustUser(t, st), mustUser(t, st)
			u2.Username = u1.Username
			wantErr(t, us.Update(t.Context(), u2), model.ErrConflict, "Update to a taken username")
			wantErr(t, us.Update(t.Context(), model.User{ID: 987654, Username: uniq("x")}), model.ErrNotFound, "Update")
		})

		t.Run("SetPassword changes the hash", func(t *testing.T) {
			u := mustUser(t, st)
			mustNoErr(t, us.SetPassword(t.Context(), u.ID, "new-hash"), "SetPassword")
			got, err := us.Get(t.Context(), u.ID)
			mustNoErr(t, err, "Get")
			if got.PasswordHash != "new-hash" {
				t.Fatalf("PasswordHash = %q, want new-hash", got.PasswordHash)
			}
			wantErr(t, us.SetPassword(t.Context(), 987654, "h"), model.ErrNotFound, "SetPassword of a missing user")
		})

		t.Run("delete removes the user with memberships, sessions and tokens", func(t *testing.T) {
			u, other := mustUser(t, st), mustUser(t, st)
			p := mustProject(t, st)
			for _, id := range []int64{u.ID, other.ID} {
				mustNoErr(t, st.Members().Add(t.Context(), model.ProjectUser{ProjectID: p.ID, UserID: id, Role: model.RoleGuest}), "Add member")
			}
			sess := model.Session{UserID: u.ID, TokenHash: uniq("session")}
			mustNoErr(t, st.Sessions().Create(t.Context(), &sess), "Create session")
			tok := model.APIToken{ID: uniq("tok"), UserID: u.ID, TokenHash: uniq("hash")}
			mustNoErr(t, st.APITokens().Create(t.Context(), &tok), "Create token")

			mustNoErr(t, us.Delete(t.Context(), u.ID), "Delete")

			_, err := us.Get(t.Context(), u.ID)
			wantErr(t, err, model.ErrNotFound, "Get deleted user")
			_, err = st.Members().Get(t.Context(), p.ID, u.ID)
			wantErr(t, err, model.ErrNotFound, "Get membership of deleted user")
			_, err = st.Sessions().GetByTokenHash(t.Context(), sess.TokenHash)
			wantErr(t, err, model.ErrNotFound, "Get session of deleted user")
			toks, err := st.APITokens().ListByUser(t.Context(), u.ID)
			mustNoErr(t, err, "ListByUser")
			if len(toks) != 0 {
				t.Fatalf("deleted user still has tokens %v", toks)
			}
			_, err = st.Members().Get(t.Context(), p.ID, other.ID)
			mustNoErr(t, err, "Get membership of another user")
			wantErr(t, us.Delete(t.Context(), u.ID), model.ErrNotFound, "Delete again")
		})
	})
}

func TestUsers_List(t *testing.T) {
	t.Parallel()
	storetest.ForEachBackend(t, func(t *testing.T, st store.Store) {
		var ids []int64 // in creation order: carol, alice, bob
		for _, u := range []model.User{
			{Username: "carol", Name: "amy", Email: "c@example.com"},
			{Username: "alice", Name: "zed"},
			{Username: "bob", Name: "bea", Email: "b@example.com"},
		} {
			mustNoErr(t, st.Users().Create(t.Context(), &u), "Create")
			ids = append(ids, u.ID)
		}
		carol, alice, bob := ids[0], ids[1], ids[2]

		for name, tc := range map[string]struct {
			opts    store.ListOptions
			want    []int64
			wantErr error
		}{
			"default order is by username":        {want: []int64{alice, bob, carol}},
			"name descending":                     {opts: store.ListOptions{SortBy: "name", Order: store.Desc}, want: []int64{alice, bob, carol}},
			"name ascending":                      {opts: store.ListOptions{SortBy: "name", Order: store.Asc}, want: []int64{carol, bob, alice}},
			"id is creation order":                {opts: store.ListOptions{SortBy: "id"}, want: []int64{carol, alice, bob}},
			"limit and offset page the listing":   {opts: store.ListOptions{Limit: 1, Offset: 1}, want: []int64{bob}},
			"an offset alone skips rows":          {opts: store.ListOptions{Offset: 2}, want: []int64{carol}},
			"an unknown sort field is invalid":    {opts: store.ListOptions{SortBy: "password_hash"}, wantErr: model.ErrInvalid},
			"an unknown sort order is invalid":    {opts: store.ListOptions{Order: "sideways"}, wantErr: model.ErrInvalid},
			"a negative limit is invalid":         {opts: store.ListOptions{Limit: -1}, wantErr: model.ErrInvalid},
			"a negative offset is invalid":        {opts: store.ListOptions{Offset: -1}, wantErr: model.ErrInvalid},
			"a page past the end is empty":        {opts: store.ListOptions{Limit: 10, Offset: 3}, want: []int64{}},
			"a limit past the end returns it all": {opts: store.ListOptions{Limit: 10, SortBy: "email"}, want: []int64{alice, bob, carol}},
		} {
			t.Run(name, func(t *testing.T) {
				got, err := st.Users().List(t.Context(), tc.opts)
				if tc.wantErr != nil {
					wantErr(t, err, tc.wantErr, "List")
					return
				}
				mustNoErr(t, err, "List")
				gotIDs := make([]int64, len(got))
				for i, u := range got {
					gotIDs[i] = u.ID
				}
				wantSame(t, gotIDs, tc.want, "List ids")
			})
		}

		t.Run("count counts every user", func(t *testing.T) {
			n, err := st.Users().Count(t.Context())
			mustNoErr(t, err, "Count")
			if n != 3 {
				t.Fatalf("Count = %d, want 3", n)
			}
		})
	})
}

func TestSessions(t *testing.T) {
	t.Parallel()
	storetest.ForEachBackend(t, func(t *testing.T, st store.Store) {
		ss := st.Sessions()
		u := mustUser(t, st)

		t.Run("create and get by token hash return the same session", func(t *testing.T) {
			s := model.Session{UserID: u.ID, TokenHash: uniq("hash")}
			mustNoErr(t, ss.Create(t.Context(), &s), "Create")
			if s.ID == 0 || s.Created.IsZero() || !s.LastActive.Equal(s.Created) {
				t.Fatalf("Create set %+v; want an id, a creation time and LastActive = Created", s)
			}
			got, err := ss.GetByTokenHash(t.Context(), s.TokenHash)
			mustNoErr(t, err, "GetByTokenHash")
			wantSame(t, got, s, "GetByTokenHash")
			got, gotUser, err := ss.GetWithUser(t.Context(), s.TokenHash)
			mustNoErr(t, err, "GetWithUser")
			wantSame(t, got, s, "GetWithUser session")
			wantSame(t, gotUser, u, "GetWithUser user")
		})

		t.Run("a user without email comes with the session", func(t *testing.T) {
			nu := model.User{Username: uniq("noemail"), Name: "No Email", PasswordHash: "h", Admin: true}
			mustNoErr(t, st.Users().Create(t.Context(), &nu), "create user")
			s := model.Session{UserID: nu.ID, TokenHash: uniq("hash")}
			mustNoErr(t, ss.Create(t.Context(), &s), "Create")
			_, gotUser, err := ss.GetWithUser(t.Context(), s.TokenHash)
			mustNoErr(t, err, "GetWithUser")
			wantSame(t, gotUser, nu, "GetWithUser user")
		})

		t.Run("touch sets the last activity", func(t *testing.T) {
			s := model.Session{UserID: u.ID, TokenHash: uniq("hash")}
			mustNoErr(t, ss.Create(t.Context(), &s), "Create")
			at := s.Created.Add(90 * time.Minute)
			mustNoErr(t, ss.Touch(t.Context(), s.ID, at), "Touch")
			got, err := ss.GetByTokenHash(t.Context(), s.TokenHash)
			mustNoErr(t, err, "GetByTokenHash")
			if !got.LastActive.Equal(at) {
				t.Fatalf("LastActive = %v, want %v", got.LastActive, at)
			}
			mustNoErr(t, ss.Touch(t.Context(), s.ID, at), "Touch with the same time")
		})

		t.Run("an expired session is not found by its token", func(t *testing.T) {
			s := model.Session{UserID: u.ID, TokenHash: uniq("hash")}
			mustNoErr(t, ss.Create(t.Context(), &s), "Create")
			mustNoErr(t, ss.Expire(t.Context(), s.ID), "Expire")
			_, err := ss.GetByTokenHash(t.Context(), s.TokenHash)
			wantErr(t, err, model.ErrNotFound, "GetByTokenHash of expired session")
			_, _, err = ss.GetWithUser(t.Context(), s.TokenHash)
			wantErr(t, err, model.ErrNotFound, "GetWithUser of expired session")
		})

		t.Run("missing sessions, users and taken tokens are refused", func(t *testing.T) {
			wantErr(t, ss.Touch(t.Context(), 987654, time.Now()), model.ErrNotFound, "Touch")
			wantErr(t, ss.Expire(t.Context(), 987654), model.ErrNotFound, "Expire")
			_, err := ss.GetByTokenHash(t.Context(), uniq("unknown"))
			wantErr(t, err, model.ErrNotFound, "GetByTokenHash")
			wantErr(t, ss.Create(t.Context(), &model.Session{UserID: 987654, TokenHash: uniq("hash")}), model.ErrNotFound, "Create for a missing user")
			s := model.Session{UserID: u.ID, TokenHash: uniq("hash")}
			mustNoErr(t, ss.Create(t.Context(), &s), "Create")
			dup := model.Session{UserID: u.ID, TokenHash: s.TokenHash}
			wantErr(t, ss.Create(t.Context(), &dup), model.ErrConflict, "Create with a taken token hash")
		})
	})
}

func TestAPITokens(t *testing.T) {
	t.Parallel()
	storetest.ForEachBackend(t, func(t *testing.T, st store.Store) {
		ts := st.APITokens()

		t.Run("create, get by hash and list by user return the tokens", func(t *testing.T) {
			u := mustUser(t, st)
			t1 := model.APIToken{ID: uniq("a"), UserID: u.ID, TokenHash: uniq("hash"), Created: now().Add(-time.Hour)}
			t2 := model.APIToken{ID: uniq("b"), UserID: u.ID, TokenHash: uniq("hash")}
			mustNoErr(t, ts.Create(t.Context(), &t1), "Create")
			mustNoErr(t, ts.Create(t.Context(), &t2), "Create")
			got, err := ts.GetByHash(t.Context(), t2.TokenHash)
			mustNoErr(t, err, "GetByHash")
			wantSame(t, got, t2, "GetByHash")
			list, err := ts.ListByUser(t.Context(), u.ID)
			mustNoErr(t, err, "ListByUser")
			wantSame(t, list, []model.APIToken{t1, t2}, "ListByUser")
		})

		t.Run("an expired token is listed but not found by its hash", func(t *testing.T) {
			u, other := mustUser(t, st), mustUser(t, st)
			tok := model.APIToken{ID: uniq("t"), UserID: u.ID, TokenHash: uniq("hash")}
			mustNoErr(t, ts.Create(t.Context(), &tok), "Create")
			wantErr(t, ts.Expire(t.Context(), other.ID, tok.ID), model.ErrNotFound, "Expire by another user")
			mustNoErr(t, ts.Expire(t.Context(), u.ID, tok.ID), "Expire")
			_, err := ts.GetByHash(t.Context(), tok.TokenHash)
			wantErr(t, err, model.ErrNotFound, "GetByHash of expired token")
			list, err := ts.ListByUser(t.Context(), u.ID)
			mustNoErr(t, err, "ListByUser")
			if len(list) != 1 || !list[0].Expired {
				t.Fatalf("ListByUser = %+v, want the one token, expired", list)
			}
		})

		t.Run("a taken id or hash is a conflict; an empty id is invalid", func(t *testing.T) {
			u := mustUser(t, st)
			tok := model.APIToken{ID: uniq("t"), UserID: u.ID, TokenHash: uniq("hash")}
			mustNoErr(t, ts.Create(t.Context(), &tok), "Create")
			wantErr(t, ts.Create(t.Context(), &model.APIToken{ID: tok.ID, UserID: u.ID, TokenHash: uniq("hash")}), model.ErrConflict, "Create with a taken id")
			wantErr(t, ts.Create(t.Context(), &model.APIToken{ID: uniq("t"), UserID: u.ID, TokenHash: tok.TokenHash}), model.ErrConflict, "Create with a taken hash")
			wantErr(t, ts.Create(t.Context(), &model.APIToken{UserID: u.ID, TokenHash: uniq("hash")}), model.ErrInvalid, "Create without id")
			wantErr(t, ts.Create(t.Context(), &model.APIToken{ID: uniq("t"), UserID: 987654, TokenHash: uniq("hash")}), model.ErrNotFound, "Create for a missing user")
			wantErr(t, ts.Expire(t.Context(), u.ID, uniq("missing")), model.ErrNotFound, "Expire a missing token")
		})
	})
}
