package sqlstore

import (
	"context"
	"fmt"

	"github.com/signalbox/signalbox/core/model"
	"github.com/signalbox/signalbox/core/store"
)

// envSecretRow is a row of environment_secrets.
type envSecretRow struct {
	ID            int64  `gorm:"column:id;primaryKey"`
	ProjectID     int64  `gorm:"column:project_id"`
	EnvironmentID int64  `gorm:"column:environment_id"`
	Name          string `gorm:"column:name"`
	Type          string `gorm:"column:type"`
	Secret        []byte `gorm:"column:secret"`
}

func (envSecretRow) TableName() string { return "environment_secrets" }

func (r envSecretRow) model() model.EnvironmentSecret {
	return model.EnvironmentSecret{ID: r.ID, ProjectID: r.ProjectID, EnvironmentID: r.EnvironmentID,
		Name: r.Name, Type: model.SecretType(r.Type), Secret: r.Secret}
}

func toEnvSecretRow(s model.EnvironmentSecret) envSecretRow {
	return envSecretRow{ID: s.ID, ProjectID: s.ProjectID, EnvironmentID: s.EnvironmentID,
		Name: s.Name, Type: string(s.Type), Secret: s.Secret}
}

// envSecrets implements store.EnvironmentSecrets.
type envSecrets struct{ s *Store }

var _ store.EnvironmentSecrets = envSecrets{}

func (es envSecrets) List(ctx context.Context, projectID, environmentID int64) ([]model.EnvironmentSecret, error) {
	var rows []envSecretRow
	err := es.s.db(ctx).Where("project_id = ? AND environment_id = ?", projectID, environmentID).Order("name, id").Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("list secrets of environment %d: %w", environmentID, err)
	}
	return mapRows(rows, envSecretRow.model), nil
}

func (es envSecrets) Create(ctx context.Context, s *model.EnvironmentSecret) error {
	s.ID = keptID(ctx, s.ID)
	r := toEnvSecretRow(*s)
	if err := es.s.db(ctx).Create(&r).Error; err != nil {
		switch {
		case isDuplicate(err):
			return model.Conflictf("environment %d already has a secret named %q", s.EnvironmentID, s.Name)
		case isForeignKey(err):
			return model.NotFoundf("environment %d not found", s.EnvironmentID)
		}
		return fmt.Errorf("create secret of environment %d: %w", s.EnvironmentID, err)
	}
	*s = r.model()
	return nil
}

func (es envSecrets) Update(ctx context.Context, s model.EnvironmentSecret) error {
	r := toEnvSecretRow(s)
	res := es.s.db(ctx).Model(&envSecretRow{}).
		Where("id = ? AND project_id = ? AND environment_id = ?", s.ID, s.ProjectID, s.EnvironmentID).
		Select("name", "type", "secret").Updates(&r)
	if err := res.Error; err != nil {
		if isDuplicate(err) {
			return model.Conflictf("environment %d already has a secret named %q", s.EnvironmentID, s.Name)
		}
		return fmt.Errorf("update secret %d: %w", s.ID, err)
	}
	if res.RowsAffected == 0 {
		return model.NotFoundf("secret %d not found in environment %d", s.ID, s.EnvironmentID)
	}
	return nil
}

func (es envSecrets) Delete(ctx context.Context, projectID, environmentID, id int64) error {
	res := es.s.db(ctx).Where("id = ? AND project_id = ? AND environment_id = ?", id, projectID, environmentID).Delete(&envSecretRow{})
	if err := res.Error; err != nil {
		return fmt.Errorf("delete secret %d: %w", id, err)
	}
	if res.RowsAffected == 0 {
		return model.NotFoundf("secret %d not found in environment %d", id, environmentID)
	}
	return nil
}

func (es envSecrets) DeleteAll(ctx context.Context, projectID, environmentID int64) error {
	err := es.s.db(ctx).Where("project_id = ? AND environment_id = ?", projectID, environmentID).Delete(&envSecretRow{}).Error
	if err != nil {
		return fmt.Errorf("delete secrets of environment %d: %w", environmentID, err)
	}
	return nil
}
