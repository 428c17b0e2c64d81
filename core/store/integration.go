package store

import (
	"context"

	"github.com/signalbox/signalbox/core/model"
)

// Integrations stores integrations and what belongs to them. Its Delete
// removes the integration's matchers, extract values and aliases too, in
// one transaction. List sorts by "name" (the default), "id" or
// "template_id".
type Integrations interface {
	ProjectScoped[model.Integration]
	Matchers() IntegrationParts[model.IntegrationMatcher]
	ExtractValues() IntegrationParts[model.IntegrationExtractValue]
	Aliases() IntegrationAliases
}

// IntegrationParts stores one kind of object that belongs to an
// integration. T's ID and IntegrationID fields identify it; an object of
// another integration is not found, and creating one for a missing
// integration is model.ErrNotFound.
type IntegrationParts[T any] interface {
	// Create inserts v and sets its ID.
	Create(ctx context.Context, v *T) error
	Get(ctx context.Context, integrationID, id int64) (T, error)
	// List returns an integration's objects in creation order.
	List(ctx context.Context, integrationID int64) ([]T, error)
	Update(ctx context.Context, v T) error
	Delete(ctx context.Context, integrationID, id int64) error
}

// IntegrationAliases stores the public addresses of integrations. An alias
// string is unique among all projects: a duplicate is model.ErrConflict.
type IntegrationAliases interface {
	// Create inserts a and sets its ID. IntegrationID 0 makes a project
	// alias; another must name an integration of the project.
	Create(ctx context.Context, a *model.IntegrationAlias) error
	// GetByAlias finds an alias by its string, in any project.
	GetByAlias(ctx context.Context, alias string) (model.IntegrationAlias, error)
	// List returns the aliases of an integration of the project, or the
	// project's own aliases for integrationID 0, in creation order.
	List(ctx context.Context, projectID, integrationID int64) ([]model.IntegrationAlias, error)
	// Delete removes an alias of an integration of the project (a project
	// alias for integrationID 0).
	Delete(ctx context.Context, projectID, integrationID, id int64) error
}
