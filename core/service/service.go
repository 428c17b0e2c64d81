// Package service holds Signalbox's use cases: validation, permissions and
// transactions. It knows nothing of HTTP; handlers call it with an Actor.
package service

import (
	"context"
	"errors"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/signalbox/signalbox/core/auth"
	"github.com/signalbox/signalbox/core/model"
	"github.com/signalbox/signalbox/core/store"
	"github.com/signalbox/signalbox/sdk/executor"
)

// Actor is the authenticated user a call is made for.
type Actor struct {
	User model.User
	// Label names an actor without a user in events, such as
	// `integration "deploy"`; empty means "the system".
	Label string
}

// Runner is what services need of the task runner.
type Runner interface {
	// Wake tells the dispatcher a task is waiting.
	Wake()
	// Stop stops a task running here; found is false if it does not run here.
	Stop(ctx context.Context, taskID int64, force bool) (found bool, err error)
	// Decide confirms or rejects a task running here that waits for
	// confirmation; found is false if it does not run here.
	Decide(ctx context.Context, taskID int64, approved bool) (found bool, err error)
}

// Apps lists the app types the executor plugins serve.
type Apps interface {
	Apps(ctx context.Context) map[string]App
}

// App is an app type and the plugin serving it.
type App struct {
	executor.App
	Plugin        string
	PluginVersion string
}

// Sealer encrypts secrets at rest, and opens them where a service must
// check one (an integration's webhook secret).
type Sealer interface {
	SealJSON(v any) ([]byte, error)
	OpenJSON(blob []byte, v any) error
}

// Services is every use case, sharing one set of dependencies.
type Services struct {
	store  store.Store
	runner Runner
	apps   Apps
	sealer Sealer
	log    hclog.Logger
	// passwordCost is the bcrypt cost of new password hashes.
	passwordCost int
	// schemas caches the compiled parameter schemas of the apps.
	schemas schemas
	// scheduleNotifier hears of changed schedules (SetScheduleNotifier).
	scheduleNotifier ScheduleNotifier
	// touches says which sessions this process touched lately.
	touches touches
	// auth and roles remember, for a second, what tokens authenticated to
	// and users' roles in projects (see cacheTTL).
	auth  ttlCache[string, authEntry]
	roles ttlCache[roleKey, model.Role]
}

// Deps are the dependencies of Services.
type Deps struct {
	Store  store.Store
	Runner Runner
	Apps   Apps
	Sealer Sealer
	Log    hclog.Logger
	// PasswordCost is the bcrypt cost of new password hashes; 0 means
	// bcrypt's default. Tests lower it.
	PasswordCost int
}

// New returns the services.
func New(d Deps) *Services {
	if d.Log == nil {
		d.Log = hclog.NewNullLogger()
	}
	if d.PasswordCost == 0 {
		d.PasswordCost = bcryptDefaultCost
	}
	return &Services{store: d.Store, runner: d.Runner, apps: d.Apps, sealer: d.Sealer, log: d.Log.Named("service"),
		passwordCost: d.PasswordCost}
}

// access checks that the actor may act on a project with the given
// permission. A user who is not a member is told the project does not
// exist; a member who lacks the permission is told so.
func (s *Services) access(ctx context.Context, a Actor, projectID int64, need auth.Permission) (auth.Permission, error) {
	key, now := roleKey{project: projectID, user: a.User.ID}, time.Now()
	if a.User.Admin {
		key.user = 0
	}
	role, ok := s.roles.get(key, now)
	if !ok {
		gen := s.roles.generation()
		if a.User.Admin {
			if _, err := s.store.Projects().Get(ctx, projectID); err != nil {
				return 0, err
			}
		} else {
			// A membership implies the project exists: one query.
			m, err := s.store.Members().Get(ctx, projectID, a.User.ID)
			if errors.Is(err, model.ErrNotFound) {
				return 0, model.NotFoundf("project %d not found", projectID)
			}
			if err != nil {
				return 0, err
			}
			role = m.Role
		}
		s.roles.put(key, role, now, gen)
	}
	if a.User.Admin {
		return auth.AllPermissions, nil
	}
	have := auth.Permissions(role)
	if !have.Has(need) {
		return have, model.Forbiddenf("your role %q in this project does not allow this", role)
	}
	return have, nil
}

func requireAdmin(a Actor) error {
	if !a.User.Admin {
		return model.Forbiddenf("only administrators may do this")
	}
	return nil
}

// ListOptions page and sort a listing.
type ListOptions = store.ListOptions

// TaskFilter selects tasks for a listing.
type TaskFilter = store.TaskFilter

// bcryptDefaultCost is bcrypt's default cost, kept here so the service
// package needs no crypto import.
const bcryptDefaultCost = 10
