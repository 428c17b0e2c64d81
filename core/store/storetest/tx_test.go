package storetest_test

import (
	"context"
	"errors"
	"testing"

	"github.com/signalbox/signalbox/core/model"
	"github.com/signalbox/signalbox/core/store"
	"github.com/signalbox/signalbox/core/store/storetest"
)

func TestWithTx(t *testing.T) {
	t.Parallel()
	errBoom := errors.New("boom")
	storetest.ForEachBackend(t, func(t *testing.T, st store.Store) {
		// exists reports whether project id exists, outside any transaction.
		exists := func(t *testing.T, id int64) bool {
			t.Helper()
			_, err := st.Projects().Get(t.Context(), id)
			if err != nil && !errors.Is(err, model.ErrNotFound) {
				t.Fatalf("Get project: %v", err)
			}
			return err == nil
		}

		t.Run("commit keeps every write", func(t *testing.T) {
			var p model.Project
			var u model.User
			err := st.WithTx(t.Context(), func(ctx context.Context) error {
				p = model.Project{Name: uniq("tx")}
				if err := st.Projects().Create(ctx, &p); err != nil {
					return err
				}
				u = model.User{Username: uniq("tx")}
				if err := st.Users().Create(ctx, &u); err != nil {
					return err
				}
				return st.Members().Add(ctx, model.ProjectUser{ProjectID: p.ID, UserID: u.ID, Role: model.RoleOwner})
			})
			mustNoErr(t, err, "WithTx")
			_, err = st.Members().Get(t.Context(), p.ID, u.ID)
			mustNoErr(t, err, "Get member after commit")
		})

		t.Run("an error rolls back every write and is returned", func(t *testing.T) {
			var p model.Project
			err := st.WithTx(t.Context(), func(ctx context.Context) error {
				p = model.Project{Name: uniq("tx")}
				if err := st.Projects().Create(ctx, &p); err != nil {
					return err
				}
				return errBoom
			})
			if !errors.Is(err, errBoom) {
				t.Fatalf("WithTx error = %v, want %v", err, errBoom)
			}
			if exists(t, p.ID) {
				t.Fatal("project created in a rolled back transaction exists")
			}
		})

		t.Run("writes are invisible outside until commit", func(t *testing.T) {
			var p model.Project
			err := st.WithTx(t.Context(), func(ctx context.Context) error {
				p = model.Project{Name: uniq("tx")}
				if err := st.Projects().Create(ctx, &p); err != nil {
					return err
				}
				if _, err := st.Projects().Get(ctx, p.ID); err != nil {
					t.Errorf("Get inside the transaction: %v", err)
				}
				if exists(t, p.ID) {
					t.Error("uncommitted project is visible outside the transaction")
				}
				return nil
			})
			mustNoErr(t, err, "WithTx")
			if !exists(t, p.ID) {
				t.Fatal("committed project does not exist")
			}
		})

		t.Run("a nested WithTx joins the outer transaction", func(t *testing.T) {
			var inner, outer model.Project
			err := st.WithTx(t.Context(), func(ctx context.Context) error {
				outer = model.Project{Name: uniq("outer")}
				if err := st.Projects().Create(ctx, &outer); err != nil {
					return err
				}
				if err := st.WithTx(ctx, func(ctx context.Context) error {
					inner = model.Project{Name: uniq("inner")}
					return st.Projects().Create(ctx, &inner)
				}); err != nil {
					return err
				}
				return errBoom
			})
			if !errors.Is(err, errBoom) {
				t.Fatalf("WithTx error = %v, want %v", err, errBoom)
			}
			if exists(t, inner.ID) || exists(t, outer.ID) {
				t.Fatal("a project of the rolled back transaction exists")
			}
		})

		t.Run("store methods that use a transaction join the caller's", func(t *testing.T) {
			p := mustProject(t, st)
			err := st.WithTx(t.Context(), func(ctx context.Context) error {
				if err := st.Projects().Delete(ctx, p.ID); err != nil {
					return err
				}
				return errBoom
			})
			if !errors.Is(err, errBoom) {
				t.Fatalf("WithTx error = %v, want %v", err, errBoom)
			}
			if !exists(t, p.ID) {
				t.Fatal("project deleted in a rolled back transaction is gone")
			}
		})

		t.Run("a panic rolls back and propagates", func(t *testing.T) {
			var p model.Project
			func() {
				defer func() {
					if r := recover(); r != errBoom {
						t.Errorf("recovered %v, want %v", r, errBoom)
					}
				}()
				_ = st.WithTx(t.Context(), func(ctx context.Context) error {
					p = model.Project{Name: uniq("tx")}
					if err := st.Projects().Create(ctx, &p); err != nil {
						return err
					}
					panic(errBoom)
				})
			}()
			if p.ID == 0 || exists(t, p.ID) {
				t.Fatalf("project %d of a panicked transaction exists", p.ID)
			}
		})

		t.Run("an error class survives the transaction", func(t *testing.T) {
			u := mustUser(t, st)
			err := st.WithTx(t.Context(), func(ctx context.Context) error {
				dup := model.User{Username: u.Username}
				return st.Users().Create(ctx, &dup)
			})
			wantErr(t, err, model.ErrConflict, "WithTx")
		})
	})
}
