// Package retention deletes old tasks and their output in the background:
// beyond the newest N finished tasks of each template, and those that
// ended more than a maximum age ago. It works in small batches, so that a
// large clean-up never holds the database for long.
package retention

import (
	"context"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/signalbox/signalbox/core/model"
	"github.com/signalbox/signalbox/core/store"
)

// Config says what to keep. Zero values keep everything.
type Config struct {
	// MaxTasksPerTemplate keeps the newest N finished tasks of each template.
	MaxTasksPerTemplate int
	// MaxAge deletes finished tasks that ended longer ago.
	MaxAge time.Duration
	// Every is the time between sweeps. Default 10 minutes.
	Every time.Duration
	// Batch is how many tasks one query deletes at most. Default 100.
	Batch int
}

// Enabled reports whether anything is ever deleted.
func (c Config) Enabled() bool { return c.MaxTasksPerTemplate > 0 || c.MaxAge > 0 }

// Cleaner applies a retention policy.
type Cleaner struct {
	cfg Config
	st  store.Store
	log hclog.Logger
}

// New returns a cleaner.
func New(cfg Config, st store.Store, log hclog.Logger) *Cleaner {
	if cfg.Every <= 0 {
		cfg.Every = 10 * time.Minute
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 100
	}
	if log == nil {
		log = hclog.NewNullLogger()
	}
	return &Cleaner{cfg: cfg, st: st, log: log.Named("retention")}
}

// Run sweeps until ctx is done: a first time shortly after start, then
// every cfg.Every.
func (c *Cleaner) Run(ctx context.Context) {
	wait := time.NewTimer(time.Minute)
	defer wait.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-wait.C:
		}
		n, err := c.Sweep(ctx)
		if err != nil && ctx.Err() == nil {
			c.log.Error("retention sweep", "error", err, "deleted", n)
		} else if n > 0 {
			c.log.Info("deleted old tasks", "count", n)
		}
		wait.Reset(c.cfg.Every)
	}
}

var finalStatuses = []model.TaskStatus{model.TaskSuccess, model.TaskError, model.TaskStopped, model.TaskRejected}

// Sweep deletes what the policy no longer keeps and returns how many tasks
// it deleted.
func (c *Cleaner) Sweep(ctx context.Context) (int, error) {
	deleted := 0
	if c.cfg.MaxAge > 0 {
		n, err := c.drain(ctx, store.TaskFilter{Statuses: finalStatuses, EndedBefore: time.Now().Add(-c.cfg.MaxAge)})
		deleted += n
		if err != nil {
			return deleted, err
		}
	}
	if c.cfg.MaxTasksPerTemplate > 0 {
		projects, err := c.st.Projects().List(ctx, 0)
		if err != nil {
			return deleted, err
		}
		for _, p := range projects {
			tmpls, err := c.st.Templates().List(ctx, p.ID, store.ListOptions{})
			if err != nil {
				return deleted, err
			}
			for _, t := range tmpls {
				n, err := c.drain(ctx, store.TaskFilter{ProjectID: p.ID, TemplateID: t.ID, Statuses: finalStatuses,
					Offset: c.cfg.MaxTasksPerTemplate})
				deleted += n
				if err != nil {
					return deleted, err
				}
			}
		}
	}
	return deleted, nil
}

// drain deletes the tasks a filter selects, a batch at a time.
func (c *Cleaner) drain(ctx context.Context, f store.TaskFilter) (int, error) {
	f.Limit = c.cfg.Batch
	deleted := 0
	for {
		if err := ctx.Err(); err != nil {
			return deleted, err
		}
		tasks, err := c.st.Tasks().List(ctx, f)
		if err != nil || len(tasks) == 0 {
			return deleted, err
		}
		for _, t := range tasks {
			if err := c.st.Tasks().Delete(ctx, t.ProjectID, t.ID); err != nil {
				return deleted, err
			}
			deleted++
		}
		if len(tasks) < f.Limit {
			return deleted, nil
		}
	}
}
