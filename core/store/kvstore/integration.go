package kvstore

import (
	"context"

	"github.com/signalbox/signalbox/core/model"
	"github.com/signalbox/signalbox/core/store"
)

// Buckets of integrations:
//
//	integrations           project id, id → Integration
//	integrations.project   id → project id (parts name their integration by id alone)
//	integrations.matchers  integration id, id → IntegrationMatcher
//	integrations.values    integration id, id → IntegrationExtractValue
//	integrations.aliases   project id, integration id (0 for a project alias), id → IntegrationAlias
//	integrations.alias     alias → project id, integration id, id (the alias's key)
const (
	integrationsBucket    = "integrations"
	integrationsProject   = "integrations.project"
	integrationMatchers   = "integrations.matchers"
	integrationValues     = "integrations.values"
	integrationAliases    = "integrations.aliases"
	integrationsByAlias   = "integrations.alias"
	integrationCollection = "integrations"
)

// integrations is the project-scoped store of integrations, whose Create
// and Delete also keep integrations.project and what belongs to them.
type integrations struct {
	scoped[model.Integration]
}

var _ store.Integrations = integrations{}

// Integrations returns the integration store.
func (s *Store) Integrations() store.Integrations {
	return integrations{newScoped(s, integrationsBucket, "integration",
		func(v *model.Integration) (*int64, *int64) { return &v.ID, &v.ProjectID },
		func(v model.Integration) string { return v.Name },
		sorts[model.Integration]{"template_id": func(v model.Integration) any { return v.TemplateID }})}
}

// normalIntegration stores an empty secret as none, as the SQL stores do.
func normalIntegration(i model.Integration) model.Integration {
	if len(i.AuthSecret) == 0 {
		i.AuthSecret = nil
	}
	return i
}

func (is integrations) Create(ctx context.Context, i *model.Integration) error {
	v := normalIntegration(*i)
	said := false // the error is scoped.Create's, which says what failed
	err := is.s.update(ctx, func(ctx context.Context) error {
		if err := is.scoped.Create(ctx, &v); err != nil {
			said = true
			return err
		}
		return is.s.put(ctx, integrationsProject, key(v.ID), key(v.ProjectID))
	})
	if err != nil {
		if said {
			return err
		}
		return annotate(err, "create integration in project %d", i.ProjectID)
	}
	*i = v
	return nil
}

func (is integrations) Update(ctx context.Context, i model.Integration) error {
	return is.scoped.Update(ctx, normalIntegration(i))
}

// Delete removes the integration with its matchers, extract values and
// aliases, in one transaction.
func (is integrations) Delete(ctx context.Context, projectID, id int64) error {
	err := is.s.update(ctx, func(ctx context.Context) error {
		if _, err := is.Get(ctx, projectID, id); err != nil {
			return err
		}
		if err := is.s.deleteAliases(ctx, key(projectID, id)); err != nil {
			return err
		}
		if err := is.s.deleteIntegrationParts(ctx, id); err != nil {
			return err
		}
		return is.s.del(ctx, integrationsBucket, key(projectID, id))
	})
	return annotate(err, "delete integration %d", id)
}

// deleteIntegrationParts removes an integration's matchers, extract
// values and integrations.project entry.
func (s *Store) deleteIntegrationParts(ctx context.Context, id int64) error {
	for _, b := range []string{integrationMatchers, integrationValues} {
		if err := s.delPrefix(ctx, b, key(id)); err != nil {
			return err
		}
	}
	return s.del(ctx, integrationsProject, key(id))
}

// deleteAliases removes the aliases whose keys start with prefix, with
// their index entries.
func (s *Store) deleteAliases(ctx context.Context, prefix []byte) error {
	err := scanDocs(ctx, s, scanRange{bucket: integrationAliases, prefix: prefix}, func(_ []byte, a model.IntegrationAlias) error {
		return s.del(ctx, integrationsByAlias, key(a.Alias))
	})
	if err != nil {
		return err
	}
	return s.delPrefix(ctx, integrationAliases, prefix)
}

// deleteProjectIntegrations removes a project's integrations, their parts
// and the project's aliases.
func (s *Store) deleteProjectIntegrations(ctx context.Context, projectID int64) error {
	if err := s.deleteAliases(ctx, key(projectID)); err != nil {
		return annotate(err, "delete aliases of project %d", projectID)
	}
	err := s.scan(ctx, scanRange{bucket: integrationsBucket, prefix: key(projectID)}, 0, func(k, _ []byte) error {
		return s.deleteIntegrationParts(ctx, lastID(k))
	})
	if err != nil {
		return annotate(err, "delete integrations of project %d", projectID)
	}
	return s.delPrefix(ctx, integrationsBucket, key(projectID))
}

// integrationProject returns the project of an integration.
func (s *Store) integrationProject(ctx context.Context, integrationID int64) (int64, error) {
	raw, ok, err := s.get(ctx, integrationsProject, key(integrationID))
	if err != nil {
		return 0, annotate(err, "get integration %d", integrationID)
	}
	if !ok {
		return 0, model.NotFoundf("integration %d not found", integrationID)
	}
	return lastID(raw), nil
}

func (is integrations) Matchers() store.IntegrationParts[model.IntegrationMatcher] {
	return parts[model.IntegrationMatcher]{s: is.s, bucket: integrationMatchers, kind: "matcher",
		ids: func(m *model.IntegrationMatcher) (*int64, *int64) { return &m.ID, &m.IntegrationID }}
}

func (is integrations) ExtractValues() store.IntegrationParts[model.IntegrationExtractValue] {
	return parts[model.IntegrationExtractValue]{s: is.s, bucket: integrationValues, kind: "extract value",
		ids: func(v *model.IntegrationExtractValue) (*int64, *int64) { return &v.ID, &v.IntegrationID }}
}

func (is integrations) Aliases() store.IntegrationAliases { return aliases{is.s} }

// parts implements store.IntegrationParts for T in bucket, keyed by
// (integration id, id): an integration's objects are one prefix scan, in
// creation order.
type parts[T any] struct {
	s      *Store
	bucket string
	// kind names T in messages: "matcher".
	kind string
	// ids points at T's ID and IntegrationID.
	ids func(*T) (id, integrationID *int64)
}

// Create inserts v and sets its ID; the ID v had is ignored (kept when
// the context says store.KeepIDs).
func (p parts[T]) Create(ctx context.Context, v *T) error {
	nv := *v
	id, integrationID := p.ids(&nv)
	err := p.s.update(ctx, func(ctx context.Context) error {
		if _, err := p.s.integrationProject(ctx, *integrationID); err != nil {
			return err
		}
		newID, err := p.s.nextID(ctx, p.bucket, *id)
		if err != nil {
			return err
		}
		*id = newID
		if err := p.s.mustBeNew(ctx, p.bucket, key(*integrationID, newID), p.kind, newID); err != nil {
			return err
		}
		return putDoc(ctx, p.s, p.bucket, key(*integrationID, newID), nv)
	})
	if err != nil {
		return annotate(err, "create %s of integration %d", p.kind, *integrationID)
	}
	*v = nv
	return nil
}

func (p parts[T]) Get(ctx context.Context, integrationID, id int64) (T, error) {
	v, ok, err := getDoc[T](ctx, p.s, p.bucket, key(integrationID, id))
	if err != nil {
		return v, annotate(err, "get %s %d", p.kind, id)
	}
	if !ok {
		return v, model.NotFoundf("%s %d not found", p.kind, id)
	}
	return v, nil
}

func (p parts[T]) List(ctx context.Context, integrationID int64) ([]T, error) {
	out, err := listDocs[T](ctx, p.s, scanRange{bucket: p.bucket, prefix: key(integrationID)})
	if err != nil {
		return nil, annotate(err, "list %ss of integration %d", p.kind, integrationID)
	}
	if out == nil {
		out = []T{}
	}
	return out, nil
}

// Update changes every field of v but its ID and IntegrationID, which find it.
func (p parts[T]) Update(ctx context.Context, v T) error {
	id, integrationID := p.ids(&v)
	err := p.s.update(ctx, func(ctx context.Context) error {
		if _, err := p.Get(ctx, *integrationID, *id); err != nil {
			return err
		}
		return putDoc(ctx, p.s, p.bucket, key(*integrationID, *id), v)
	})
	return annotate(err, "update %s %d", p.kind, *id)
}

func (p parts[T]) Delete(ctx context.Context, integrationID, id int64) error {
	err := p.s.update(ctx, func(ctx context.Context) error {
		if _, err := p.Get(ctx, integrationID, id); err != nil {
			return err
		}
		return p.s.del(ctx, p.bucket, key(integrationID, id))
	})
	return annotate(err, "delete %s %d", p.kind, id)
}

// aliases implements store.IntegrationAliases.
type aliases struct{ s *Store }

var _ store.IntegrationAliases = aliases{}

func aliasKey(a model.IntegrationAlias) []byte { return key(a.ProjectID, a.IntegrationID, a.ID) }

// Create inserts a and sets its ID; the ID a had is ignored (kept when
// the context says store.KeepIDs).
func (as aliases) Create(ctx context.Context, a *model.IntegrationAlias) error {
	v := model.IntegrationAlias{ID: a.ID, ProjectID: a.ProjectID, IntegrationID: a.IntegrationID, Alias: a.Alias}
	err := as.s.update(ctx, func(ctx context.Context) error {
		if v.IntegrationID != 0 {
			_, ok, err := as.s.get(ctx, integrationsBucket, key(v.ProjectID, v.IntegrationID))
			if err != nil {
				return err
			}
			if !ok {
				return model.NotFoundf("integration %d not found", v.IntegrationID)
			}
		} else if err := as.s.requireProject(ctx, v.ProjectID); err != nil {
			return err
		}
		// Reading the missing entry makes the batch require it still missing.
		if _, taken, err := as.s.get(ctx, integrationsByAlias, key(v.Alias)); err != nil {
			return err
		} else if taken {
			return model.Conflictf("the alias is already taken")
		}
		id, err := as.s.nextID(ctx, integrationAliases, v.ID)
		if err != nil {
			return err
		}
		v.ID = id
		if err := as.s.mustBeNew(ctx, integrationAliases, aliasKey(v), "alias", id); err != nil {
			return err
		}
		if err := as.s.put(ctx, integrationsByAlias, key(v.Alias), aliasKey(v)); err != nil {
			return err
		}
		return putDoc(ctx, as.s, integrationAliases, aliasKey(v), v)
	})
	if err != nil {
		return annotate(err, "create alias in project %d", a.ProjectID)
	}
	*a = v
	return nil
}

func (as aliases) GetByAlias(ctx context.Context, alias string) (model.IntegrationAlias, error) {
	k, ok, err := as.s.get(ctx, integrationsByAlias, key(alias))
	if err != nil {
		return model.IntegrationAlias{}, annotate(err, "get alias")
	}
	if ok {
		a, found, err := getDoc[model.IntegrationAlias](ctx, as.s, integrationAliases, k)
		if err != nil {
			return model.IntegrationAlias{}, annotate(err, "get alias")
		}
		if found {
			return a, nil
		}
	}
	// Not quoted: an alias is a credential of sorts.
	return model.IntegrationAlias{}, model.NotFoundf("alias not found")
}

// List returns the aliases of an integration of the project, or the
// project's own for integrationID 0, in creation order.
func (as aliases) List(ctx context.Context, projectID, integrationID int64) ([]model.IntegrationAlias, error) {
	out, err := listDocs[model.IntegrationAlias](ctx, as.s, scanRange{bucket: integrationAliases, prefix: key(projectID, integrationID)})
	if err != nil {
		return nil, annotate(err, "list aliases of project %d", projectID)
	}
	if out == nil {
		out = []model.IntegrationAlias{}
	}
	return out, nil
}

func (as aliases) Delete(ctx context.Context, projectID, integrationID, id int64) error {
	err := as.s.update(ctx, func(ctx context.Context) error {
		k := key(projectID, integrationID, id)
		a, ok, err := getDoc[model.IntegrationAlias](ctx, as.s, integrationAliases, k)
		if err != nil {
			return err
		}
		if !ok {
			return model.NotFoundf("alias %d not found", id)
		}
		if err := as.s.del(ctx, integrationsByAlias, key(a.Alias)); err != nil {
			return err
		}
		return as.s.del(ctx, integrationAliases, k)
	})
	return annotate(err, "delete alias %d", id)
}
