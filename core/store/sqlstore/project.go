package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/signalbox/signalbox/core/model"
	"github.com/signalbox/signalbox/core/store"
)

// projectRow is a row of projects.
type projectRow struct {
	ID               int64     `gorm:"column:id;primaryKey"`
	Name             string    `gorm:"column:name"`
	Created          time.Time `gorm:"column:created"`
	Alert            bool      `gorm:"column:alert"`
	AlertChat        string    `gorm:"column:alert_chat"`
	MaxParallelTasks int       `gorm:"column:max_parallel_tasks"`
}

func (projectRow) TableName() string { return "projects" }

func toProjectRow(p model.Project) projectRow {
	return projectRow{
		ID:               p.ID,
		Name:             p.Name,
		Created:          dbTime(p.Created),
		Alert:            p.Alert,
		AlertChat:        p.AlertChat,
		MaxParallelTasks: p.MaxParallelTasks,
	}
}

func (r projectRow) model() model.Project {
	return model.Project{
		ID:               r.ID,
		Name:             r.Name,
		Created:          modelTime(r.Created),
		Alert:            r.Alert,
		AlertChat:        r.AlertChat,
		MaxParallelTasks: r.MaxParallelTasks,
	}
}

// projects implements store.Projects.
type projects struct{ s *Store }

var _ store.Projects = projects{}

func (ps projects) Create(ctx context.Context, p *model.Project) error {
	p.ID = keptID(ctx, p.ID)
	p.Created = nowOr(p.Created)
	r := toProjectRow(*p)
	if err := ps.s.db(ctx).Create(&r).Error; err != nil {
		return fmt.Errorf("create project %q: %w", p.Name, err)
	}
	*p = r.model()
	return nil
}

func (ps projects) Get(ctx context.Context, id int64) (model.Project, error) {
	var r projectRow
	if err := ps.s.db(ctx).Where("id = ?", id).Take(&r).Error; err != nil {
		if isNotFound(err) {
			return model.Project{}, model.NotFoundf("project %d not found", id)
		}
		return model.Project{}, fmt.Errorf("get project %d: %w", id, err)
	}
	return r.model(), nil
}

// List returns projects sorted by name, then id.
func (ps projects) List(ctx context.Context, userID int64) ([]model.Project, error) {
	db := ps.s.db(ctx)
	if userID != 0 {
		db = db.Where("id IN (?)", newQuery(db).Model(&memberRow{}).
			Select("project_id").Where("user_id = ?", userID))
	}
	var rows []projectRow
	if err := db.Order("name, id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list projects of user %d: %w", userID, err)
	}
	return mapRows(rows, projectRow.model), nil
}

// Update changes everything but the creation time.
func (ps projects) Update(ctx context.Context, p model.Project) error {
	r := toProjectRow(p)
	res := ps.s.db(ctx).Model(&projectRow{}).Where("id = ?", p.ID).
		Select("name", "alert", "alert_chat", "max_parallel_tasks").Updates(&r)
	if err := res.Error; err != nil {
		return fmt.Errorf("update project %d: %w", p.ID, err)
	}
	if res.RowsAffected == 0 {
		return model.NotFoundf("project %d not found", p.ID)
	}
	return nil
}

// Delete removes the project and everything in it, in one transaction.
func (ps projects) Delete(ctx context.Context, id int64) error {
	return ps.s.WithTx(ctx, func(ctx context.Context) error {
		db := ps.s.db(ctx)
		taskIDs := newQuery(db).Model(&taskRow{}).Select("id").Where("project_id = ?", id)
		if err := db.Where("task_id IN (?)", taskIDs).Delete(&chunkRow{}).Error; err != nil {
			return fmt.Errorf("delete project %d: output: %w", id, err)
		}
		for _, row := range []any{
			&integrationMatcherRow{}, &integrationValueRow{}, &integrationAliasRow{}, &integrationRow{},
			&scheduleRow{}, &taskRow{}, &templateRow{}, &envSecretRow{}, &environmentRow{}, &inventoryRow{},
			&repositoryRow{}, &keyRow{}, &memberRow{}, &eventRow{}, &viewRow{},
		} {
			if err := db.Where("project_id = ?", id).Delete(row).Error; err != nil {
				return fmt.Errorf("delete project %d: %w", id, err)
			}
		}
		res := db.Where("id = ?", id).Delete(&projectRow{})
		if err := res.Error; err != nil {
			return fmt.Errorf("delete project %d: %w", id, err)
		}
		if res.RowsAffected == 0 {
			return model.NotFoundf("project %d not found", id)
		}
		return nil
	})
}
