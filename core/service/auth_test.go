package service_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/signalbox/signalbox/core/model"
	"github.com/signalbox/signalbox/core/secretbox"
	"github.com/signalbox/signalbox/core/service"
	"github.com/signalbox/signalbox/core/store/storetest"
)

// servicesWithAdmin returns services on a fresh SQLite store, and their
// administrator.
func servicesWithAdmin(t *testing.T) (*service.Services, service.Actor) {
	t.Helper()
	ctx := context.Background()
	st := storetest.Open(t, storetest.SQLite)
	box, err := secretbox.New(map[string][]byte{"k1": bytes.Repeat([]byte{9}, secretbox.KeySize)}, "k1")
	if err != nil {
		t.Fatal(err)
	}
	svc := service.New(service.Deps{Store: st, Sealer: box, PasswordCost: bcrypt.MinCost})
	if _, _, err := svc.EnsureAdmin(ctx, "admin", "admin@example.com", "admin-password"); err != nil {
		t.Fatal(err)
	}
	_, admin, err := svc.Login(ctx, "admin", "admin-password")
	if err != nil {
		t.Fatal(err)
	}
	return svc, service.Actor{User: admin}
}

// changeCase is a change made through the services and what must hold
// right after it, in an environment E made fresh for each case.
type changeCase[E any] struct {
	name   string
	change func(e E) error
	check  func(t *testing.T, e E)
}

func runChanges[E any](t *testing.T, setup func(t *testing.T) E, cases []changeCase[E]) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t)
			if err := tc.change(e); err != nil {
				t.Fatal(err)
			}
			tc.check(t, e)
		})
	}
}

// What the server changes about a user or a token applies to the very
// next request, though authentication answers are kept for a second.
func TestServices_AuthChangesApplyAtOnce(t *testing.T) {
	ctx := context.Background()
	type env struct {
		svc   *service.Services
		admin service.Actor
		user  model.User
		token string // the user's session token
		api   string // the user's API token
	}
	setup := func(t *testing.T) env {
		svc, admin := servicesWithAdmin(t)
		u, err := svc.CreateUser(ctx, admin, service.NewUser{Username: "bob", Email: "bob@example.com", Password: "bob-password", Admin: true})
		if err != nil {
			t.Fatal(err)
		}
		token, _, err := svc.Login(ctx, "bob", "bob-password")
		if err != nil {
			t.Fatal(err)
		}
		api, _, err := svc.CreateAPIToken(ctx, service.Actor{User: u})
		if err != nil {
			t.Fatal(err)
		}
		// Both answers are now remembered.
		for _, auth := range []func() (service.Actor, error){
			func() (service.Actor, error) { return svc.AuthenticateSession(ctx, token) },
			func() (service.Actor, error) { return svc.AuthenticateToken(ctx, api) },
		} {
			if a, err := auth(); err != nil || a.User.ID != u.ID || !a.User.Admin {
				t.Fatalf("authenticate = %+v, %v; want bob, an admin", a.User, err)
			}
		}
		return env{svc: svc, admin: admin, user: u, token: token, api: api}
	}
	unauthenticated := func(t *testing.T, what string, err error) {
		t.Helper()
		if !errors.Is(err, model.ErrUnauthenticated) {
			t.Errorf("%s: err = %v, want unauthenticated", what, err)
		}
	}
	tests := []changeCase[env]{
		{"logout ends the session", func(e env) error { return e.svc.Logout(ctx, e.token) }, func(t *testing.T, e env) {
			_, err := e.svc.AuthenticateSession(ctx, e.token)
			unauthenticated(t, "session", err)
		}},
		{"a deleted user is refused", func(e env) error { return e.svc.DeleteUser(ctx, e.admin, e.user.ID) }, func(t *testing.T, e env) {
			_, err := e.svc.AuthenticateSession(ctx, e.token)
			unauthenticated(t, "session", err)
			_, err = e.svc.AuthenticateToken(ctx, e.api)
			unauthenticated(t, "API token", err)
		}},
		{"a revoked admin flag is seen", func(e env) error {
			return e.svc.UpdateUser(ctx, e.admin, e.user.ID, service.UserChange{Username: "bob", Email: "bob@example.com", Name: "Bob"})
		}, func(t *testing.T, e env) {
			if a, err := e.svc.AuthenticateSession(ctx, e.token); err != nil || a.User.Admin {
				t.Errorf("session: %+v, %v; want bob, no longer an admin", a.User, err)
			}
			if a, err := e.svc.AuthenticateToken(ctx, e.api); err != nil || a.User.Admin {
				t.Errorf("API token: %+v, %v; want bob, no longer an admin", a.User, err)
			}
		}},
		{"an expired API token is refused", func(e env) error {
			return e.svc.ExpireAPIToken(ctx, service.Actor{User: e.user}, e.api)
		}, func(t *testing.T, e env) {
			_, err := e.svc.AuthenticateToken(ctx, e.api)
			unauthenticated(t, "API token", err)
		}},
	}
	runChanges(t, setup, tests)
}

// Roles in projects are remembered for a second too; what this process
// changes applies to the next request.
func TestServices_RoleChangesApplyAtOnce(t *testing.T) {
	ctx := context.Background()
	type env struct {
		svc     *service.Services
		admin   service.Actor
		member  service.Actor
		project model.Project
	}
	setup := func(t *testing.T) env {
		svc, admin := servicesWithAdmin(t)
		u, err := svc.CreateUser(ctx, admin, service.NewUser{Username: "carol", Email: "carol@example.com", Password: "carol-password"})
		if err != nil {
			t.Fatal(err)
		}
		p, err := svc.CreateProject(ctx, admin, model.Project{Name: "p"})
		if err != nil {
			t.Fatal(err)
		}
		if err := svc.AddMember(ctx, admin, p.ID, u.ID, model.RoleManager); err != nil {
			t.Fatal(err)
		}
		member := service.Actor{User: u}
		// Both roles are now remembered.
		for _, a := range []service.Actor{admin, member} {
			if err := svc.UpdateProject(ctx, a, p); err != nil {
				t.Fatalf("%s updates the project: %v", a.User.Username, err)
			}
		}
		return env{svc: svc, admin: admin, member: member, project: p}
	}
	tests := []changeCase[env]{
		{"a removed member is told the project does not exist", func(e env) error {
			return e.svc.RemoveMember(ctx, e.admin, e.project.ID, e.member.User.ID)
		}, func(t *testing.T, e env) {
			if _, err := e.svc.GetProject(ctx, e.member, e.project.ID); !errors.Is(err, model.ErrNotFound) {
				t.Errorf("GetProject: %v, want not found", err)
			}
		}},
		{"a member made guest may no longer change the project", func(e env) error {
			return e.svc.UpdateMember(ctx, e.admin, e.project.ID, e.member.User.ID, model.RoleGuest)
		}, func(t *testing.T, e env) {
			if err := e.svc.UpdateProject(ctx, e.member, e.project); !errors.Is(err, model.ErrForbidden) {
				t.Errorf("UpdateProject: %v, want forbidden", err)
			}
		}},
		{"a deleted project is gone for everyone", func(e env) error {
			return e.svc.DeleteProject(ctx, e.admin, e.project.ID)
		}, func(t *testing.T, e env) {
			for _, a := range []service.Actor{e.admin, e.member} {
				if _, err := e.svc.GetProject(ctx, a, e.project.ID); !errors.Is(err, model.ErrNotFound) {
					t.Errorf("%s GetProject: %v, want not found", a.User.Username, err)
				}
			}
		}},
	}
	runChanges(t, setup, tests)
}
