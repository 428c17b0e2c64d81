// Package storecopy copies everything a store holds into another store of
// any backend, keeping ids (so that references between objects, URLs and
// API clients stay valid) and secrets as they are (still encrypted under
// the same key), then checks that the target holds as much as the source.
//
// Browser sessions are not copied: users log in again.
package storecopy

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/go-hclog"

	"github.com/signalbox/signalbox/core/model"
	"github.com/signalbox/signalbox/core/store"
)

// Options change how Copy runs.
type Options struct {
	// Force writes into a target that already holds users or projects. An
	// id the target already uses then fails the copy.
	Force bool
	// Log receives progress; nil means none.
	Log hclog.Logger
}

// Counts says how many objects of each kind a store holds.
type Counts map[string]int64

// String lists the counts by kind.
func (c Counts) String() string {
	kinds := make([]string, 0, len(c))
	for k := range c {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	var b strings.Builder
	for _, k := range kinds {
		fmt.Fprintf(&b, "%-20s %d\n", k, c[k])
	}
	return b.String()
}

// outputPage is how many output lines Copy moves at a time.
const outputPage = 20000

// Copy copies everything from one store into another and returns what
// the target holds afterwards. It refuses a non-empty target unless
// opts.Force, and fails if the counts of the two stores differ at the end.
func Copy(ctx context.Context, from, to store.Store, opts Options) (Counts, error) {
	log := opts.Log
	if log == nil {
		log = hclog.NewNullLogger()
	}
	if !opts.Force {
		users, err := to.Users().Count(ctx)
		if err != nil {
			return nil, fmt.Errorf("check the target: %w", err)
		}
		projects, err := to.Projects().List(ctx, 0)
		if err != nil {
			return nil, fmt.Errorf("check the target: %w", err)
		}
		if users > 0 || len(projects) > 0 {
			return nil, model.Conflictf("the target store is not empty (%d users, %d projects): copy into an empty one, or force it", users, len(projects))
		}
	}
	c := copier{from: from, to: to, ctx: store.WithKeptIDs(ctx), log: log}
	for _, step := range []struct {
		name string
		fn   func() error
	}{
		{"users", c.users},
		{"projects", c.projects},
		{"events", c.events},
	} {
		log.Info("copying", "what", step.name)
		if err := step.fn(); err != nil {
			return nil, fmt.Errorf("copy %s: %w", step.name, err)
		}
	}
	if s, ok := to.(store.SequenceSyncer); ok {
		if err := s.SyncSequences(ctx); err != nil {
			return nil, err
		}
	}
	// The target's planner has never seen these rows: let it look now.
	if r, ok := to.(store.StatisticsRefresher); ok {
		if err := r.RefreshStatistics(ctx); err != nil {
			return nil, err
		}
	}
	want, err := Count(ctx, from)
	if err != nil {
		return nil, fmt.Errorf("count the source: %w", err)
	}
	got, err := Count(ctx, to)
	if err != nil {
		return nil, fmt.Errorf("count the target: %w", err)
	}
	for k, n := range want {
		if got[k] < n || (!opts.Force && got[k] != n) {
			return got, fmt.Errorf("the target holds %d %s, the source %d", got[k], k, n)
		}
	}
	return got, nil
}

type copier struct {
	from, to store.Store
	// ctx keeps ids.
	ctx context.Context
	log hclog.Logger
}

func (c copier) users() error {
	users, err := c.from.Users().List(c.ctx, store.ListOptions{SortBy: "id"})
	if err != nil {
		return err
	}
	for _, u := range users {
		if err := c.to.Users().Create(c.ctx, &u); err != nil {
			return fmt.Errorf("user %d: %w", u.ID, err)
		}
		tokens, err := c.from.APITokens().ListByUser(c.ctx, u.ID)
		if err != nil {
			return err
		}
		for _, t := range tokens {
			if err := c.to.APITokens().Create(c.ctx, &t); err != nil {
				return fmt.Errorf("API token %s of user %d: %w", t.ID, u.ID, err)
			}
		}
		opts, err := c.from.UserOptions().Get(c.ctx, u.ID)
		if err != nil {
			return err
		}
		for name, value := range opts {
			if err := c.to.UserOptions().Set(c.ctx, u.ID, name, value); err != nil {
				return fmt.Errorf("option %s of user %d: %w", name, u.ID, err)
			}
		}
	}
	return nil
}

func (c copier) projects() error {
	projects, err := c.from.Projects().List(c.ctx, 0)
	if err != nil {
		return err
	}
	for _, p := range projects {
		c.log.Info("copying project", "id", p.ID, "name", p.Name)
		if err := c.project(p); err != nil {
			return fmt.Errorf("project %d: %w", p.ID, err)
		}
	}
	return nil
}

// copyScoped copies the objects of one project-scoped kind, by id.
func copyScoped[T any](c copier, projectID int64, from, to store.ProjectScoped[T]) ([]T, error) {
	items, err := from.List(c.ctx, projectID, store.ListOptions{SortBy: "id"})
	if err != nil {
		return nil, err
	}
	for i := range items {
		v := items[i]
		if err := to.Create(c.ctx, &v); err != nil {
			return nil, err
		}
	}
	return items, nil
}

func (c copier) project(p model.Project) error {
	if err := c.to.Projects().Create(c.ctx, &p); err != nil {
		return err
	}
	members, err := c.from.Members().List(c.ctx, p.ID)
	if err != nil {
		return err
	}
	for _, m := range members {
		if err := c.to.Members().Add(c.ctx, m); err != nil {
			return fmt.Errorf("member %d: %w", m.UserID, err)
		}
	}
	if _, err := copyScoped(c, p.ID, c.from.Keys(), c.to.Keys()); err != nil {
		return fmt.Errorf("keys: %w", err)
	}
	if _, err := copyScoped(c, p.ID, c.from.Repositories(), c.to.Repositories()); err != nil {
		return fmt.Errorf("repositories: %w", err)
	}
	if _, err := copyScoped(c, p.ID, c.from.Inventories(), c.to.Inventories()); err != nil {
		return fmt.Errorf("inventories: %w", err)
	}
	envs, err := copyScoped(c, p.ID, c.from.Environments(), c.to.Environments())
	if err != nil {
		return fmt.Errorf("environments: %w", err)
	}
	for _, e := range envs {
		secrets, err := c.from.EnvironmentSecrets().List(c.ctx, p.ID, e.ID)
		if err != nil {
			return err
		}
		for _, s := range secrets {
			if err := c.to.EnvironmentSecrets().Create(c.ctx, &s); err != nil {
				return fmt.Errorf("secret %d of environment %d: %w", s.ID, e.ID, err)
			}
		}
	}
	if _, err := copyScoped(c, p.ID, c.from.Views(), c.to.Views()); err != nil {
		return fmt.Errorf("views: %w", err)
	}
	if _, err := copyScoped(c, p.ID, c.from.Templates(), c.to.Templates()); err != nil {
		return fmt.Errorf("templates: %w", err)
	}
	if err := c.schedules(p.ID); err != nil {
		return fmt.Errorf("schedules: %w", err)
	}
	if err := c.integrations(p.ID); err != nil {
		return fmt.Errorf("integrations: %w", err)
	}
	return c.tasks(p.ID)
}

func (c copier) schedules(projectID int64) error {
	schedules, err := c.from.Schedules().List(c.ctx, projectID, 0)
	if err != nil {
		return err
	}
	for _, s := range schedules {
		lastFired := s.LastFired
		if err := c.to.Schedules().Create(c.ctx, &s); err != nil {
			return fmt.Errorf("schedule %d: %w", s.ID, err)
		}
		// Create ignores LastFired; an active schedule takes its last tick
		// again, so that the target does not fire it a second time.
		if lastFired != nil && s.Active {
			if _, err := c.to.Schedules().ClaimTick(c.ctx, s.ID, *lastFired, false); err != nil {
				return fmt.Errorf("schedule %d: last tick: %w", s.ID, err)
			}
		}
	}
	return nil
}

func (c copier) integrations(projectID int64) error {
	from, to := c.from.Integrations(), c.to.Integrations()
	items, err := copyScoped[model.Integration](c, projectID, from, to)
	if err != nil {
		return err
	}
	for _, in := range items {
		if err := copyParts(c, in.ID, from.Matchers(), to.Matchers()); err != nil {
			return fmt.Errorf("matchers of integration %d: %w", in.ID, err)
		}
		if err := copyParts(c, in.ID, from.ExtractValues(), to.ExtractValues()); err != nil {
			return fmt.Errorf("extract values of integration %d: %w", in.ID, err)
		}
	}
	// The project's aliases (integration 0), then each integration's.
	for _, id := range append([]int64{0}, integrationIDs(items)...) {
		aliases, err := from.Aliases().List(c.ctx, projectID, id)
		if err != nil {
			return err
		}
		for _, a := range aliases {
			if err := to.Aliases().Create(c.ctx, &a); err != nil {
				return fmt.Errorf("alias %d: %w", a.ID, err)
			}
		}
	}
	return nil
}

func integrationIDs(items []model.Integration) []int64 {
	ids := make([]int64, len(items))
	for i, in := range items {
		ids[i] = in.ID
	}
	return ids
}

func copyParts[T any](c copier, integrationID int64, from, to store.IntegrationParts[T]) error {
	items, err := from.List(c.ctx, integrationID)
	if err != nil {
		return err
	}
	for i := range items {
		if err := to.Create(c.ctx, &items[i]); err != nil {
			return err
		}
	}
	return nil
}

// tasks copies a project's tasks, oldest first, each with its output.
func (c copier) tasks(projectID int64) error {
	all, err := collect(taskPages(c.ctx, c.from, projectID))
	if err != nil {
		return err
	}
	slices.Reverse(all)
	for _, t := range all {
		if err := c.to.Tasks().Create(c.ctx, &t); err != nil {
			return fmt.Errorf("task %d: %w", t.ID, err)
		}
		for after := int64(0); ; {
			lines, err := c.from.Output().List(c.ctx, t.ID, after, outputPage)
			if err != nil {
				return fmt.Errorf("output of task %d: %w", t.ID, err)
			}
			if len(lines) == 0 {
				break
			}
			if err := c.to.Output().Append(c.ctx, t.ID, lines); err != nil {
				return fmt.Errorf("output of task %d: %w", t.ID, err)
			}
			after = lines[len(lines)-1].Seq
		}
	}
	return nil
}

// events copies the event log, oldest first.
func (c copier) events() error {
	all, err := collect(eventPages(c.ctx, c.from))
	if err != nil {
		return err
	}
	slices.Reverse(all)
	for _, e := range all {
		if err := c.to.Events().Create(c.ctx, &e); err != nil {
			return fmt.Errorf("event %d: %w", e.ID, err)
		}
	}
	return nil
}

// Count counts what a store holds, by kind.
func Count(ctx context.Context, st store.Store) (Counts, error) {
	n := Counts{}
	users, err := st.Users().List(ctx, store.ListOptions{})
	if err != nil {
		return nil, err
	}
	n["users"] = int64(len(users))
	for _, u := range users {
		tokens, err := st.APITokens().ListByUser(ctx, u.ID)
		if err != nil {
			return nil, err
		}
		n["api tokens"] += int64(len(tokens))
		opts, err := st.UserOptions().Get(ctx, u.ID)
		if err != nil {
			return nil, err
		}
		n["user options"] += int64(len(opts))
	}
	projects, err := st.Projects().List(ctx, 0)
	if err != nil {
		return nil, err
	}
	n["projects"] = int64(len(projects))
	all := store.ListOptions{}
	for _, p := range projects {
		counts := []struct {
			kind string
			fn   func() (int, error)
		}{
			{"members", func() (int, error) { v, err := st.Members().List(ctx, p.ID); return len(v), err }},
			{"keys", func() (int, error) { v, err := st.Keys().List(ctx, p.ID, all); return len(v), err }},
			{"repositories", func() (int, error) { v, err := st.Repositories().List(ctx, p.ID, all); return len(v), err }},
			{"inventories", func() (int, error) { v, err := st.Inventories().List(ctx, p.ID, all); return len(v), err }},
			{"views", func() (int, error) { v, err := st.Views().List(ctx, p.ID, all); return len(v), err }},
			{"templates", func() (int, error) { v, err := st.Templates().List(ctx, p.ID, all); return len(v), err }},
			{"schedules", func() (int, error) { v, err := st.Schedules().List(ctx, p.ID, 0); return len(v), err }},
			{"integrations", func() (int, error) { v, err := st.Integrations().List(ctx, p.ID, all); return len(v), err }},
		}
		for _, k := range counts {
			v, err := k.fn()
			if err != nil {
				return nil, fmt.Errorf("count %s of project %d: %w", k.kind, p.ID, err)
			}
			n[k.kind] += int64(v)
		}
		envs, err := st.Environments().List(ctx, p.ID, all)
		if err != nil {
			return nil, err
		}
		n["environments"] += int64(len(envs))
		for _, e := range envs {
			secrets, err := st.EnvironmentSecrets().List(ctx, p.ID, e.ID)
			if err != nil {
				return nil, err
			}
			n["environment secrets"] += int64(len(secrets))
		}
		err = taskPages(ctx, st, p.ID)(func(page []model.Task) error {
			n["tasks"] += int64(len(page))
			for _, t := range page {
				lines, err := st.Output().Count(ctx, t.ID)
				if err != nil {
					return err
				}
				n["output lines"] += lines
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	err = eventPages(ctx, st)(func(page []model.Event) error {
		n["events"] += int64(len(page))
		return nil
	})
	return n, err
}

// pageSize is how many tasks or events a listing reads at a time.
const pageSize = 1000

// pager calls fn with each page of a listing, newest first.
type pager[T any] func(fn func(page []T) error) error

// pages pages backwards through a listing by id.
func pages[T any](list func(before int64) ([]T, error), id func(T) int64) pager[T] {
	return func(fn func(page []T) error) error {
		for before := int64(0); ; {
			page, err := list(before)
			if err != nil {
				return err
			}
			if err := fn(page); err != nil {
				return err
			}
			if len(page) < pageSize {
				return nil
			}
			before = id(page[len(page)-1])
		}
	}
}

func taskPages(ctx context.Context, st store.Store, projectID int64) pager[model.Task] {
	return pages(func(before int64) ([]model.Task, error) {
		return st.Tasks().List(ctx, store.TaskFilter{ProjectID: projectID, BeforeID: before, Limit: pageSize})
	}, func(t model.Task) int64 { return t.ID })
}

func eventPages(ctx context.Context, st store.Store) pager[model.Event] {
	return pages(func(before int64) ([]model.Event, error) {
		return st.Events().List(ctx, store.EventFilter{BeforeID: before, Limit: pageSize})
	}, func(e model.Event) int64 { return e.ID })
}

// collect gathers every page.
func collect[T any](p pager[T]) ([]T, error) {
	var all []T
	err := p(func(page []T) error {
		all = append(all, page...)
		return nil
	})
	return all, err
}
