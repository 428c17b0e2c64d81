package sqlstore

import (
	"context"
	"fmt"

	"github.com/signalbox/signalbox/core/model"
	"github.com/signalbox/signalbox/core/store"
)

// integrationRow is a row of integrations.
type integrationRow struct {
	ID         int64  `gorm:"column:id;primaryKey"`
	ProjectID  int64  `gorm:"column:project_id"`
	Name       string `gorm:"column:name"`
	TemplateID int64  `gorm:"column:template_id"`
	AuthMethod string `gorm:"column:auth_method"`
	AuthHeader string `gorm:"column:auth_header"`
	// AuthSecret is NULL when the integration has none.
	AuthSecret []byte `gorm:"column:auth_secret"`
	Searchable bool   `gorm:"column:searchable"`
	TaskParams string `gorm:"column:task_params"`
}

func (integrationRow) TableName() string { return "integrations" }

// integrationMatcherRow is a row of integration_matchers. ProjectID is
// its integration's, copied on create.
type integrationMatcherRow struct {
	ID            int64  `gorm:"column:id;primaryKey"`
	ProjectID     int64  `gorm:"column:project_id"`
	IntegrationID int64  `gorm:"column:integration_id"`
	Name          string `gorm:"column:name"`
	MatchType     string `gorm:"column:match_type"`
	Method        string `gorm:"column:match_method"`
	BodyDataType  string `gorm:"column:body_data_type"`
	Key           string `gorm:"column:match_key"`
	Value         string `gorm:"column:match_value"`
}

func (integrationMatcherRow) TableName() string { return "integration_matchers" }

// integrationValueRow is a row of integration_extract_values. ProjectID
// is its integration's, copied on create.
type integrationValueRow struct {
	ID            int64  `gorm:"column:id;primaryKey"`
	ProjectID     int64  `gorm:"column:project_id"`
	IntegrationID int64  `gorm:"column:integration_id"`
	Name          string `gorm:"column:name"`
	ValueSource   string `gorm:"column:value_source"`
	BodyDataType  string `gorm:"column:body_data_type"`
	Key           string `gorm:"column:value_key"`
	Variable      string `gorm:"column:variable"`
	VariableType  string `gorm:"column:variable_type"`
}

func (integrationValueRow) TableName() string { return "integration_extract_values" }

// integrationAliasRow is a row of integration_aliases; IntegrationID is
// NULL for a project alias.
type integrationAliasRow struct {
	ID            int64  `gorm:"column:id;primaryKey"`
	ProjectID     int64  `gorm:"column:project_id"`
	IntegrationID *int64 `gorm:"column:integration_id"`
	Alias         string `gorm:"column:alias"`
}

func (integrationAliasRow) TableName() string { return "integration_aliases" }

func (r integrationAliasRow) model() model.IntegrationAlias {
	a := model.IntegrationAlias{ID: r.ID, ProjectID: r.ProjectID, Alias: r.Alias}
	if r.IntegrationID != nil {
		a.IntegrationID = *r.IntegrationID
	}
	return a
}

// integrations implements store.Integrations: the project-scoped store of
// integrations, with a Delete that removes what belongs to them.
type integrations struct {
	scoped[model.Integration, integrationRow]
}

var _ store.Integrations = integrations{}

func newIntegrations(s *Store) integrations {
	return integrations{scoped[model.Integration, integrationRow]{
		s:     s,
		kind:  "integration",
		sorts: withSorts(sortColumns{"template_id": "template_id"}),
		key:   func(i *model.Integration) (*int64, *int64) { return &i.ID, &i.ProjectID },
		toRow: func(i model.Integration) integrationRow {
			return integrationRow{
				ID: i.ID, ProjectID: i.ProjectID, Name: i.Name, TemplateID: i.TemplateID,
				AuthMethod: string(i.AuthMethod), AuthHeader: i.AuthHeader, AuthSecret: nilIfEmpty(i.AuthSecret),
				Searchable: i.Searchable, TaskParams: i.TaskParams,
			}
		},
		fromRow: func(r integrationRow) model.Integration {
			return model.Integration{
				ID: r.ID, ProjectID: r.ProjectID, Name: r.Name, TemplateID: r.TemplateID,
				AuthMethod: model.IntegrationAuthMethod(r.AuthMethod), AuthHeader: r.AuthHeader,
				AuthSecret: nilIfEmpty(r.AuthSecret), Searchable: r.Searchable, TaskParams: r.TaskParams,
			}
		},
	}}
}

// Delete removes the integration with its matchers, extract values and
// aliases, in one transaction.
func (is integrations) Delete(ctx context.Context, projectID, id int64) error {
	return is.s.WithTx(ctx, func(ctx context.Context) error {
		// Find it in this project first: the parts are deleted by
		// integration id alone.
		if _, err := is.Get(ctx, projectID, id); err != nil {
			return err
		}
		db := is.s.db(ctx)
		for _, row := range []any{&integrationMatcherRow{}, &integrationValueRow{}, &integrationAliasRow{}} {
			if err := db.Where("integration_id = ?", id).Delete(row).Error; err != nil {
				return fmt.Errorf("delete integration %d: %w", id, err)
			}
		}
		return is.scoped.Delete(ctx, projectID, id)
	})
}

func (is integrations) Matchers() store.IntegrationParts[model.IntegrationMatcher] {
	return parts[model.IntegrationMatcher, integrationMatcherRow]{
		s:    is.s,
		kind: "matcher",
		key:  func(m *model.IntegrationMatcher) (*int64, *int64) { return &m.ID, &m.IntegrationID },
		toRow: func(m model.IntegrationMatcher, projectID int64) integrationMatcherRow {
			return integrationMatcherRow{
				ID: m.ID, ProjectID: projectID, IntegrationID: m.IntegrationID, Name: m.Name,
				MatchType: string(m.MatchType), Method: string(m.Method), BodyDataType: string(m.BodyDataType),
				Key: m.Key, Value: m.Value,
			}
		},
		fromRow: func(r integrationMatcherRow) model.IntegrationMatcher {
			return model.IntegrationMatcher{
				ID: r.ID, IntegrationID: r.IntegrationID, Name: r.Name,
				MatchType: model.IntegrationMatchType(r.MatchType), Method: model.IntegrationMatchMethod(r.Method),
				BodyDataType: model.IntegrationBodyDataType(r.BodyDataType), Key: r.Key, Value: r.Value,
			}
		},
	}
}

func (is integrations) ExtractValues() store.IntegrationParts[model.IntegrationExtractValue] {
	return parts[model.IntegrationExtractValue, integrationValueRow]{
		s:    is.s,
		kind: "extract value",
		key:  func(v *model.IntegrationExtractValue) (*int64, *int64) { return &v.ID, &v.IntegrationID },
		toRow: func(v model.IntegrationExtractValue, projectID int64) integrationValueRow {
			return integrationValueRow{
				ID: v.ID, ProjectID: projectID, IntegrationID: v.IntegrationID, Name: v.Name,
				ValueSource: string(v.ValueSource), BodyDataType: string(v.BodyDataType), Key: v.Key,
				Variable: v.Variable, VariableType: string(v.VariableType),
			}
		},
		fromRow: func(r integrationValueRow) model.IntegrationExtractValue {
			return model.IntegrationExtractValue{
				ID: r.ID, IntegrationID: r.IntegrationID, Name: r.Name,
				ValueSource: model.IntegrationMatchType(r.ValueSource), BodyDataType: model.IntegrationBodyDataType(r.BodyDataType),
				Key: r.Key, Variable: r.Variable, VariableType: model.IntegrationVariableType(r.VariableType),
			}
		},
	}
}

func (is integrations) Aliases() store.IntegrationAliases { return aliases{is.s} }

// integrationProject returns the project of an integration.
func (s *Store) integrationProject(ctx context.Context, integrationID int64) (int64, error) {
	var r integrationRow
	err := s.db(ctx).Select("id", "project_id").Where("id = ?", integrationID).Take(&r).Error
	if err != nil {
		if isNotFound(err) {
			return 0, model.NotFoundf("integration %d not found", integrationID)
		}
		return 0, fmt.Errorf("get integration %d: %w", integrationID, err)
	}
	return r.ProjectID, nil
}

// parts implements store.IntegrationParts for a model type T stored as
// rows of type R, whose table has the columns id, project_id and
// integration_id.
type parts[T, R any] struct {
	s *Store
	// kind names T in messages: "matcher".
	kind string
	// key points at T's ID and IntegrationID.
	key     func(*T) (id, integrationID *int64)
	toRow   func(v T, projectID int64) R
	fromRow func(R) T
}

// Create inserts v, with its integration's project, and sets its ID.
func (p parts[T, R]) Create(ctx context.Context, v *T) error {
	id, integrationID := p.key(v)
	*id = keptID(ctx, *id)
	projectID, err := p.s.integrationProject(ctx, *integrationID)
	if err != nil {
		return err
	}
	r := p.toRow(*v, projectID)
	if err := p.s.db(ctx).Create(&r).Error; err != nil {
		if isForeignKey(err) {
			return model.NotFoundf("integration %d not found", *integrationID)
		}
		return fmt.Errorf("create %s of integration %d: %w", p.kind, *integrationID, err)
	}
	*v = p.fromRow(r)
	return nil
}

func (p parts[T, R]) Get(ctx context.Context, integrationID, id int64) (T, error) {
	var r R
	err := p.s.db(ctx).Where("id = ? AND integration_id = ?", id, integrationID).Take(&r).Error
	if err != nil {
		var zero T
		if isNotFound(err) {
			return zero, model.NotFoundf("%s %d not found", p.kind, id)
		}
		return zero, fmt.Errorf("get %s %d: %w", p.kind, id, err)
	}
	return p.fromRow(r), nil
}

func (p parts[T, R]) List(ctx context.Context, integrationID int64) ([]T, error) {
	var rows []R
	if err := p.s.db(ctx).Where("integration_id = ?", integrationID).Order("id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list %ss of integration %d: %w", p.kind, integrationID, err)
	}
	return mapRows(rows, p.fromRow), nil
}

// Update changes every field of v but its ID and IntegrationID, which find it.
func (p parts[T, R]) Update(ctx context.Context, v T) error {
	id, integrationID := p.key(&v)
	r := p.toRow(v, 0)
	res := p.s.db(ctx).Model(&r).Where("id = ? AND integration_id = ?", *id, *integrationID).
		Select("*").Omit("id", "project_id", "integration_id").Updates(&r)
	if err := res.Error; err != nil {
		return fmt.Errorf("update %s %d: %w", p.kind, *id, err)
	}
	if res.RowsAffected == 0 {
		return model.NotFoundf("%s %d not found", p.kind, *id)
	}
	return nil
}

func (p parts[T, R]) Delete(ctx context.Context, integrationID, id int64) error {
	res := p.s.db(ctx).Where("id = ? AND integration_id = ?", id, integrationID).Delete(new(R))
	if err := res.Error; err != nil {
		return fmt.Errorf("delete %s %d: %w", p.kind, id, err)
	}
	if res.RowsAffected == 0 {
		return model.NotFoundf("%s %d not found", p.kind, id)
	}
	return nil
}

// aliases implements store.IntegrationAliases.
type aliases struct{ s *Store }

var _ store.IntegrationAliases = aliases{}

func (as aliases) Create(ctx context.Context, a *model.IntegrationAlias) error {
	a.ID = keptID(ctx, a.ID)
	r := integrationAliasRow{ID: a.ID, ProjectID: a.ProjectID, Alias: a.Alias}
	if a.IntegrationID != 0 {
		projectID, err := as.s.integrationProject(ctx, a.IntegrationID)
		if err != nil {
			return err
		}
		if projectID != a.ProjectID {
			return model.NotFoundf("integration %d not found", a.IntegrationID)
		}
		id := a.IntegrationID
		r.IntegrationID = &id
	}
	if err := as.s.db(ctx).Create(&r).Error; err != nil {
		switch {
		case isDuplicate(err):
			return model.Conflictf("the alias is already taken")
		case isForeignKey(err):
			return model.NotFoundf("project %d or integration %d not found", a.ProjectID, a.IntegrationID)
		}
		return fmt.Errorf("create alias in project %d: %w", a.ProjectID, err)
	}
	*a = r.model()
	return nil
}

func (as aliases) GetByAlias(ctx context.Context, alias string) (model.IntegrationAlias, error) {
	var r integrationAliasRow
	if err := as.s.db(ctx).Where("alias = ?", alias).Take(&r).Error; err != nil {
		if isNotFound(err) {
			// Not quoted: an alias is a credential of sorts.
			return model.IntegrationAlias{}, model.NotFoundf("alias not found")
		}
		return model.IntegrationAlias{}, fmt.Errorf("get alias: %w", err)
	}
	return r.model(), nil
}

// whereIntegration filters on an integration, or on none for 0.
func whereIntegration(integrationID int64) (string, []any) {
	if integrationID == 0 {
		return "integration_id IS NULL", nil
	}
	return "integration_id = ?", []any{integrationID}
}

func (as aliases) List(ctx context.Context, projectID, integrationID int64) ([]model.IntegrationAlias, error) {
	cond, args := whereIntegration(integrationID)
	var rows []integrationAliasRow
	err := as.s.db(ctx).Where("project_id = ?", projectID).Where(cond, args...).Order("id").Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("list aliases of project %d: %w", projectID, err)
	}
	return mapRows(rows, integrationAliasRow.model), nil
}

func (as aliases) Delete(ctx context.Context, projectID, integrationID, id int64) error {
	cond, args := whereIntegration(integrationID)
	res := as.s.db(ctx).Where("id = ? AND project_id = ?", id, projectID).Where(cond, args...).
		Delete(&integrationAliasRow{})
	if err := res.Error; err != nil {
		return fmt.Errorf("delete alias %d: %w", id, err)
	}
	if res.RowsAffected == 0 {
		return model.NotFoundf("alias %d not found", id)
	}
	return nil
}
