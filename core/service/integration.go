package service

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/signalbox/signalbox/core/auth"
	"github.com/signalbox/signalbox/core/model"
	"github.com/signalbox/signalbox/core/store"
)

// The headers the token and hmac methods read when an integration names
// none.
const (
	DefaultIntegrationTokenHeader     = "X-Signalbox-Token"
	DefaultIntegrationSignatureHeader = "X-Signalbox-Signature-256"
)

// ListIntegrations lists a project's integrations (secrets stay encrypted).
func (s *Services) ListIntegrations(ctx context.Context, a Actor, projectID int64, o store.ListOptions) ([]model.Integration, error) {
	if _, err := s.access(ctx, a, projectID, auth.PermRead); err != nil {
		return nil, err
	}
	return s.store.Integrations().List(ctx, projectID, o)
}

// GetIntegration returns an integration.
func (s *Services) GetIntegration(ctx context.Context, a Actor, projectID, id int64) (model.Integration, error) {
	if _, err := s.access(ctx, a, projectID, auth.PermRead); err != nil {
		return model.Integration{}, err
	}
	return s.store.Integrations().Get(ctx, projectID, id)
}

// SaveIntegration creates (ID 0) or updates an integration. The secret is
// write-only: on update, a nil secret keeps the stored one if the auth
// method stays the same; a method that checks a secret needs one otherwise.
func (s *Services) SaveIntegration(ctx context.Context, a Actor, in model.Integration, secret *model.IntegrationSecret) (model.Integration, error) {
	if _, err := s.access(ctx, a, in.ProjectID, auth.PermManageResources); err != nil {
		return model.Integration{}, err
	}
	var old *model.Integration
	if in.ID != 0 {
		o, err := s.store.Integrations().Get(ctx, in.ProjectID, in.ID)
		if err != nil {
			return model.Integration{}, err
		}
		old = &o
	}
	if err := s.validateIntegration(ctx, &in); err != nil {
		return model.Integration{}, err
	}
	if err := s.sealIntegrationSecret(&in, old, secret); err != nil {
		return model.Integration{}, err
	}
	if old == nil {
		if err := s.store.Integrations().Create(ctx, &in); err != nil {
			return model.Integration{}, err
		}
		s.event(ctx, a, in.ProjectID, "integration", in.ID, "%s created integration %q", who(a), in.Name)
		return in, nil
	}
	if err := s.store.Integrations().Update(ctx, in); err != nil {
		return model.Integration{}, err
	}
	s.event(ctx, a, in.ProjectID, "integration", in.ID, "%s changed integration %q", who(a), in.Name)
	return in, nil
}

func (s *Services) validateIntegration(ctx context.Context, in *model.Integration) error {
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" {
		return model.Invalidf("integration name is required")
	}
	if in.TemplateID == 0 {
		return model.Invalidf("template_id is required")
	}
	if _, err := s.store.Templates().Get(ctx, in.ProjectID, in.TemplateID); errors.Is(err, model.ErrNotFound) {
		return model.Invalidf("template_id: template %d does not exist in this project", in.TemplateID)
	} else if err != nil {
		return err
	}
	if in.AuthMethod == "" {
		in.AuthMethod = model.IntegrationAuthNone
	}
	if !in.AuthMethod.Valid() {
		return model.Invalidf("auth_method %q: want none, token, hmac, github, gitlab or basic", in.AuthMethod)
	}
	in.AuthHeader = strings.TrimSpace(in.AuthHeader)
	switch {
	case !in.AuthMethod.UsesHeader():
		in.AuthHeader = ""
	case in.AuthHeader == "" && in.AuthMethod == model.IntegrationAuthToken:
		in.AuthHeader = DefaultIntegrationTokenHeader
	case in.AuthHeader == "":
		in.AuthHeader = DefaultIntegrationSignatureHeader
	case !validHeaderName(in.AuthHeader):
		return model.Invalidf("auth_header %q is not a valid header name", in.AuthHeader)
	}
	in.TaskParams = strings.TrimSpace(in.TaskParams)
	if in.TaskParams != "" {
		var obj map[string]any
		if err := json.Unmarshal([]byte(in.TaskParams), &obj); err != nil || obj == nil {
			return model.Invalidf("task_params must be a JSON object")
		}
	}
	return nil
}

// validHeaderName reports whether name is an HTTP header name (RFC 9110 token).
func validHeaderName(name string) bool {
	if name == "" || len(name) > 256 {
		return false
	}
	for _, c := range []byte(name) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// sealIntegrationSecret sets in.AuthSecret: the new secret sealed, the
// stored one kept, or nil for the none method.
func (s *Services) sealIntegrationSecret(in *model.Integration, old *model.Integration, secret *model.IntegrationSecret) error {
	in.AuthSecret = nil
	if !in.AuthMethod.NeedsSecret() {
		return nil
	}
	if secret == nil {
		if old != nil && old.AuthMethod == in.AuthMethod && len(old.AuthSecret) > 0 {
			in.AuthSecret = old.AuthSecret
			return nil
		}
		return model.Invalidf("auth method %s needs a secret: send auth_secret", in.AuthMethod)
	}
	sec := *secret
	if in.AuthMethod == model.IntegrationAuthBasic {
		if sec.Login == "" || sec.Secret == "" {
			return model.Invalidf("auth method basic needs auth_login and auth_secret (the password)")
		}
		if strings.Contains(sec.Login, ":") {
			return model.Invalidf("auth_login must not contain a colon")
		}
	} else {
		sec.Login = ""
		if sec.Secret == "" {
			return model.Invalidf("auth method %s needs a non-empty auth_secret", in.AuthMethod)
		}
	}
	if s.sealer == nil {
		return fmt.Errorf("encrypt integration secret: no sealer configured")
	}
	blob, err := s.sealer.SealJSON(sec)
	if err != nil {
		return fmt.Errorf("encrypt integration secret: %w", err)
	}
	in.AuthSecret = blob
	return nil
}

// DeleteIntegration deletes an integration with its matchers, extract
// values and aliases.
func (s *Services) DeleteIntegration(ctx context.Context, a Actor, projectID, id int64) error {
	if _, err := s.access(ctx, a, projectID, auth.PermManageResources); err != nil {
		return err
	}
	in, err := s.store.Integrations().Get(ctx, projectID, id)
	if err != nil {
		return err
	}
	if err := s.store.Integrations().Delete(ctx, projectID, id); err != nil {
		return err
	}
	s.event(ctx, a, projectID, "integration", id, "%s deleted integration %q", who(a), in.Name)
	return nil
}

// integrationsUsing refuses to delete a template an integration starts.
func (s *Services) integrationsUsing(ctx context.Context, projectID, templateID int64) error {
	ins, err := s.store.Integrations().List(ctx, projectID, store.ListOptions{SortBy: "id"})
	if err != nil {
		return err
	}
	for _, in := range ins {
		if in.TemplateID == templateID {
			return model.Conflictf("template %d is used by integration %q", templateID, in.Name)
		}
	}
	return nil
}

// integrationParts bundles the service operations of one kind of object
// that belongs to an integration. Every call names the project and the
// integration: an integration of another project is not found.
type integrationParts[T any] struct {
	s        *Services
	kind     string
	st       func() store.IntegrationParts[T]
	ids      func(v *T) (integrationID, id *int64)
	name     func(v *T) string
	validate func(v *T) error
}

// integration checks the actor's access and finds the integration.
func (p integrationParts[T]) integration(ctx context.Context, a Actor, projectID, integrationID int64, need auth.Permission) (model.Integration, error) {
	if _, err := p.s.access(ctx, a, projectID, need); err != nil {
		return model.Integration{}, err
	}
	return p.s.store.Integrations().Get(ctx, projectID, integrationID)
}

// List lists an integration's objects in creation order.
func (p integrationParts[T]) List(ctx context.Context, a Actor, projectID, integrationID int64) ([]T, error) {
	if _, err := p.integration(ctx, a, projectID, integrationID, auth.PermRead); err != nil {
		return nil, err
	}
	return p.st().List(ctx, integrationID)
}

// Get returns an object of an integration.
func (p integrationParts[T]) Get(ctx context.Context, a Actor, projectID, integrationID, id int64) (T, error) {
	var zero T
	if _, err := p.integration(ctx, a, projectID, integrationID, auth.PermRead); err != nil {
		return zero, err
	}
	return p.st().Get(ctx, integrationID, id)
}

// Save creates v when its ID is 0, else updates it.
func (p integrationParts[T]) Save(ctx context.Context, a Actor, projectID int64, v T) (T, error) {
	var zero T
	iid, id := p.ids(&v)
	in, err := p.integration(ctx, a, projectID, *iid, auth.PermManageResources)
	if err != nil {
		return zero, err
	}
	if err := p.validate(&v); err != nil {
		return zero, err
	}
	if *id == 0 {
		if err := p.st().Create(ctx, &v); err != nil {
			return zero, err
		}
		p.s.event(ctx, a, projectID, "integration", in.ID, "%s added %s %q to integration %q", who(a), p.kind, p.name(&v), in.Name)
		return v, nil
	}
	if err := p.st().Update(ctx, v); err != nil {
		return zero, err
	}
	p.s.event(ctx, a, projectID, "integration", in.ID, "%s changed %s %q of integration %q", who(a), p.kind, p.name(&v), in.Name)
	return v, nil
}

// Delete deletes an object of an integration.
func (p integrationParts[T]) Delete(ctx context.Context, a Actor, projectID, integrationID, id int64) error {
	in, err := p.integration(ctx, a, projectID, integrationID, auth.PermManageResources)
	if err != nil {
		return err
	}
	v, err := p.st().Get(ctx, integrationID, id)
	if err != nil {
		return err
	}
	if err := p.st().Delete(ctx, integrationID, id); err != nil {
		return err
	}
	p.s.event(ctx, a, projectID, "integration", in.ID, "%s removed %s %q from integration %q", who(a), p.kind, p.name(&v), in.Name)
	return nil
}

// IntegrationMatchers returns the operations on integration matchers.
func (s *Services) IntegrationMatchers() integrationParts[model.IntegrationMatcher] {
	return integrationParts[model.IntegrationMatcher]{
		s: s, kind: "matcher",
		st:       func() store.IntegrationParts[model.IntegrationMatcher] { return s.store.Integrations().Matchers() },
		ids:      func(m *model.IntegrationMatcher) (*int64, *int64) { return &m.IntegrationID, &m.ID },
		name:     func(m *model.IntegrationMatcher) string { return m.Name },
		validate: validateMatcher,
	}
}

func validateMatcher(m *model.IntegrationMatcher) error {
	m.Name, m.Key = strings.TrimSpace(m.Name), strings.TrimSpace(m.Key)
	switch m.Method {
	case model.IntegrationMatchEquals, model.IntegrationMatchUnequals, model.IntegrationMatchContains:
	case "":
		m.Method = model.IntegrationMatchEquals
	default:
		return model.Invalidf("method %q: want equals, unequals or contains", m.Method)
	}
	if err := validateSource(m.MatchType, &m.BodyDataType, &m.Key, "match_type"); err != nil {
		return err
	}
	if m.Name == "" {
		m.Name = m.Key
	}
	if m.Name == "" {
		m.Name = string(m.MatchType)
	}
	return nil
}

// validateSource checks where a matcher or an extract value reads: a
// header needs its name; a json or xml body needs a path; a string body
// is read whole. A header's body data type means nothing; it defaults to
// string, a header's value being one.
func validateSource(source model.IntegrationMatchType, dataType *model.IntegrationBodyDataType, key *string, field string) error {
	switch *dataType {
	case model.IntegrationBodyJSON, model.IntegrationBodyXML, model.IntegrationBodyString:
	case "":
		if source != model.IntegrationMatchHeader {
			return model.Invalidf("body_data_type is required for a body: json, xml or string")
		}
		*dataType = model.IntegrationBodyString
	default:
		return model.Invalidf("body_data_type %q: want json, xml or string", *dataType)
	}
	switch source {
	case model.IntegrationMatchHeader:
		if !validHeaderName(*key) {
			return model.Invalidf("key: a header matcher or value needs a header name, got %q", *key)
		}
	case model.IntegrationMatchBody:
		if *dataType == model.IntegrationBodyString {
			*key = ""
		} else if *key == "" {
			return model.Invalidf("key: a %s body needs a path, such as ref or commits.0.id", *dataType)
		}
	case "":
		return model.Invalidf("%s is required: body or header", field)
	default:
		return model.Invalidf("%s %q: want body or header", field, source)
	}
	return nil
}

// IntegrationExtractValues returns the operations on integration extract
// values.
func (s *Services) IntegrationExtractValues() integrationParts[model.IntegrationExtractValue] {
	return integrationParts[model.IntegrationExtractValue]{
		s: s, kind: "value",
		st: func() store.IntegrationParts[model.IntegrationExtractValue] {
			return s.store.Integrations().ExtractValues()
		},
		ids:      func(v *model.IntegrationExtractValue) (*int64, *int64) { return &v.IntegrationID, &v.ID },
		name:     func(v *model.IntegrationExtractValue) string { return v.Name },
		validate: validateExtractValue,
	}
}

func validateExtractValue(v *model.IntegrationExtractValue) error {
	v.Name, v.Key, v.Variable = strings.TrimSpace(v.Name), strings.TrimSpace(v.Key), strings.TrimSpace(v.Variable)
	if err := validateSource(v.ValueSource, &v.BodyDataType, &v.Key, "value_source"); err != nil {
		return err
	}
	if v.Variable == "" {
		return model.Invalidf("variable is required: the name the value gets in the task")
	}
	switch v.VariableType {
	case model.IntegrationVariableEnvironment, model.IntegrationVariableTask:
	case "":
		v.VariableType = model.IntegrationVariableEnvironment
	default:
		return model.Invalidf("variable_type %q: want environment or task", v.VariableType)
	}
	if v.Name == "" {
		v.Name = v.Variable
	}
	return nil
}

// ListIntegrationAliases lists the aliases of an integration, or the
// project's own aliases for integrationID 0.
func (s *Services) ListIntegrationAliases(ctx context.Context, a Actor, projectID, integrationID int64) ([]model.IntegrationAlias, error) {
	if _, err := s.access(ctx, a, projectID, auth.PermRead); err != nil {
		return nil, err
	}
	if integrationID != 0 {
		if _, err := s.store.Integrations().Get(ctx, projectID, integrationID); err != nil {
			return nil, err
		}
	}
	return s.store.Integrations().Aliases().List(ctx, projectID, integrationID)
}

// CreateIntegrationAlias creates a new random alias of an integration, or
// of the project for integrationID 0.
func (s *Services) CreateIntegrationAlias(ctx context.Context, a Actor, projectID, integrationID int64) (model.IntegrationAlias, error) {
	if _, err := s.access(ctx, a, projectID, auth.PermManageResources); err != nil {
		return model.IntegrationAlias{}, err
	}
	what := "the project"
	if integrationID != 0 {
		in, err := s.store.Integrations().Get(ctx, projectID, integrationID)
		if err != nil {
			return model.IntegrationAlias{}, err
		}
		what = fmt.Sprintf("integration %q", in.Name)
	}
	for try := 0; ; try++ {
		alias, err := newAlias()
		if err != nil {
			return model.IntegrationAlias{}, err
		}
		al := model.IntegrationAlias{ProjectID: projectID, IntegrationID: integrationID, Alias: alias}
		err = s.store.Integrations().Aliases().Create(ctx, &al)
		if errors.Is(err, model.ErrConflict) && try < 3 {
			continue
		}
		if err != nil {
			return model.IntegrationAlias{}, err
		}
		s.event(ctx, a, projectID, "integration", integrationID, "%s created a webhook alias of %s", who(a), what)
		return al, nil
	}
}

// newAlias returns a random URL-safe alias of 32 characters.
func newAlias() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random alias: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// DeleteIntegrationAlias deletes an alias of an integration, or of the
// project for integrationID 0.
func (s *Services) DeleteIntegrationAlias(ctx context.Context, a Actor, projectID, integrationID, id int64) error {
	if _, err := s.access(ctx, a, projectID, auth.PermManageResources); err != nil {
		return err
	}
	what := "the project"
	if integrationID != 0 {
		in, err := s.store.Integrations().Get(ctx, projectID, integrationID)
		if err != nil {
			return err
		}
		what = fmt.Sprintf("integration %q", in.Name)
	}
	if err := s.store.Integrations().Aliases().Delete(ctx, projectID, integrationID, id); err != nil {
		return err
	}
	s.event(ctx, a, projectID, "integration", integrationID, "%s deleted a webhook alias of %s", who(a), what)
	return nil
}
