package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/signalbox/signalbox/core/auth"
	"github.com/signalbox/signalbox/core/model"
	"github.com/signalbox/signalbox/core/store"
)

// ListKeys lists a project's access keys (secrets stay encrypted).
func (s *Services) ListKeys(ctx context.Context, a Actor, projectID int64, o store.ListOptions) ([]model.AccessKey, error) {
	if _, err := s.access(ctx, a, projectID, auth.PermRead); err != nil {
		return nil, err
	}
	return s.store.Keys().List(ctx, projectID, o)
}

// GetKey returns an access key.
func (s *Services) GetKey(ctx context.Context, a Actor, projectID, id int64) (model.AccessKey, error) {
	if _, err := s.access(ctx, a, projectID, auth.PermRead); err != nil {
		return model.AccessKey{}, err
	}
	return s.store.Keys().Get(ctx, projectID, id)
}

// SaveKey creates (ID 0) or updates an access key. On update, a nil secret
// keeps the stored one.
func (s *Services) SaveKey(ctx context.Context, a Actor, k model.AccessKey, secret *model.KeySecret) (model.AccessKey, error) {
	if _, err := s.access(ctx, a, k.ProjectID, auth.PermManageResources); err != nil {
		return model.AccessKey{}, err
	}
	k.Name = strings.TrimSpace(k.Name)
	if k.Name == "" {
		return model.AccessKey{}, model.Invalidf("key name is required")
	}
	switch k.Type {
	case model.KeyNone, model.KeySSH, model.KeyLoginPassword:
	case "":
		return model.AccessKey{}, model.Invalidf("key type is required: none, ssh or login_password")
	default:
		return model.AccessKey{}, model.Invalidf("key type %q: want none, ssh or login_password", k.Type)
	}
	if k.ID != 0 {
		old, err := s.store.Keys().Get(ctx, k.ProjectID, k.ID)
		if err != nil {
			return model.AccessKey{}, err
		}
		if secret == nil && old.Type == k.Type {
			k.Secret = old.Secret
		}
	}
	if secret != nil || k.ID == 0 {
		sec := model.KeySecret{}
		if secret != nil {
			sec = *secret
		}
		switch k.Type {
		case model.KeySSH:
			if strings.TrimSpace(sec.PrivateKey) == "" {
				return model.AccessKey{}, model.Invalidf("an ssh key needs a private_key")
			}
		case model.KeyLoginPassword:
			if sec.Password == "" && sec.Login == "" {
				return model.AccessKey{}, model.Invalidf("a login_password key needs a login or a password")
			}
		}
		k.Secret = nil
		if k.Type != model.KeyNone {
			blob, err := s.sealer.SealJSON(sec)
			if err != nil {
				return model.AccessKey{}, fmt.Errorf("encrypt key: %w", err)
			}
			k.Secret = blob
		}
	}
	if k.ID == 0 {
		if err := s.store.Keys().Create(ctx, &k); err != nil {
			return model.AccessKey{}, err
		}
		s.event(ctx, a, k.ProjectID, "key", k.ID, "%s created key %q", who(a), k.Name)
		return k, nil
	}
	if err := s.store.Keys().Update(ctx, k); err != nil {
		return model.AccessKey{}, err
	}
	s.event(ctx, a, k.ProjectID, "key", k.ID, "%s changed key %q", who(a), k.Name)
	return k, nil
}

// DeleteKey deletes an access key that nothing uses.
func (s *Services) DeleteKey(ctx context.Context, a Actor, projectID, id int64) error {
	if _, err := s.access(ctx, a, projectID, auth.PermManageResources); err != nil {
		return err
	}
	var name string
	defer func() {
		if name != "" {
			s.event(ctx, a, projectID, "key", id, "%s deleted key %q", who(a), name)
		}
	}()
	return s.store.WithTx(ctx, func(ctx context.Context) error {
		k, err := s.store.Keys().Get(ctx, projectID, id)
		if err != nil {
			return err
		}
		repos, err := s.store.Repositories().List(ctx, projectID, store.ListOptions{})
		if err != nil {
			return err
		}
		for _, r := range repos {
			if r.SSHKeyID == id {
				return model.Conflictf("key %q is used by repository %q", k.Name, r.Name)
			}
		}
		invs, err := s.store.Inventories().List(ctx, projectID, store.ListOptions{})
		if err != nil {
			return err
		}
		for _, inv := range invs {
			if (inv.SSHKeyID != nil && *inv.SSHKeyID == id) || (inv.BecomeKeyID != nil && *inv.BecomeKeyID == id) {
				return model.Conflictf("key %q is used by inventory %q", k.Name, inv.Name)
			}
		}
		if err := s.store.Keys().Delete(ctx, projectID, id); err != nil {
			return err
		}
		name = k.Name
		return nil
	})
}

// resource bundles the service operations of one project-scoped kind.
type resource[T any] struct {
	s        *Services
	kind     string
	st       func() store.ProjectScoped[T]
	validate func(ctx context.Context, v *T) error
	usedBy   func(ctx context.Context, projectID, id int64) error
	ids      func(v *T) (projectID, id *int64)
	name     func(v *T) string
}

func (r resource[T]) List(ctx context.Context, a Actor, projectID int64, o store.ListOptions) ([]T, error) {
	if _, err := r.s.access(ctx, a, projectID, auth.PermRead); err != nil {
		return nil, err
	}
	return r.st().List(ctx, projectID, o)
}

func (r resource[T]) Get(ctx context.Context, a Actor, projectID, id int64) (T, error) {
	var zero T
	if _, err := r.s.access(ctx, a, projectID, auth.PermRead); err != nil {
		return zero, err
	}
	return r.st().Get(ctx, projectID, id)
}

// Save creates v when its ID is 0, else updates it.
func (r resource[T]) Save(ctx context.Context, a Actor, v T) (T, error) {
	var zero T
	pid, id := r.ids(&v)
	if _, err := r.s.access(ctx, a, *pid, auth.PermManageResources); err != nil {
		return zero, err
	}
	if err := r.validate(ctx, &v); err != nil {
		return zero, err
	}
	if *id == 0 {
		if err := r.st().Create(ctx, &v); err != nil {
			return zero, err
		}
		_, id = r.ids(&v)
		r.s.event(ctx, a, *pid, r.kind, *id, "%s created %s %q", who(a), r.kind, r.name(&v))
		return v, nil
	}
	if _, err := r.st().Get(ctx, *pid, *id); err != nil {
		return zero, err
	}
	if err := r.st().Update(ctx, v); err != nil {
		return zero, err
	}
	r.s.event(ctx, a, *pid, r.kind, *id, "%s changed %s %q", who(a), r.kind, r.name(&v))
	return v, nil
}

func (r resource[T]) Delete(ctx context.Context, a Actor, projectID, id int64) error {
	if _, err := r.s.access(ctx, a, projectID, auth.PermManageResources); err != nil {
		return err
	}
	var name string
	err := r.s.store.WithTx(ctx, func(ctx context.Context) error {
		v, err := r.st().Get(ctx, projectID, id)
		if err != nil {
			return err
		}
		name = r.name(&v)
		if r.usedBy != nil {
			if err := r.usedBy(ctx, projectID, id); err != nil {
				return err
			}
		}
		return r.st().Delete(ctx, projectID, id)
	})
	if err == nil {
		r.s.event(ctx, a, projectID, r.kind, id, "%s deleted %s %q", who(a), r.kind, name)
	}
	return err
}

// templatesUsing refuses to delete something a template refers to.
func (s *Services) templatesUsing(what string, uses func(t model.Template, id int64) bool) func(context.Context, int64, int64) error {
	return func(ctx context.Context, projectID, id int64) error {
		tmpls, err := s.store.Templates().List(ctx, projectID, store.ListOptions{})
		if err != nil {
			return err
		}
		for _, t := range tmpls {
			if uses(t, id) {
				return model.Conflictf("%s %d is used by template %q", what, id, t.Name)
			}
		}
		return nil
	}
}

func ptrIs(p *int64, id int64) bool { return p != nil && *p == id }

// Repositories returns the repository operations.
func (s *Services) Repositories() resource[model.Repository] {
	return resource[model.Repository]{
		s: s, kind: "repository", st: s.store.Repositories,
		ids:  func(v *model.Repository) (*int64, *int64) { return &v.ProjectID, &v.ID },
		name: func(v *model.Repository) string { return v.Name },
		validate: func(ctx context.Context, r *model.Repository) error {
			r.Name, r.GitURL = strings.TrimSpace(r.Name), strings.TrimSpace(r.GitURL)
			if r.Name == "" {
				return model.Invalidf("repository name is required")
			}
			if err := validateGitURL(r.GitURL); err != nil {
				return err
			}
			return s.keyExists(ctx, r.ProjectID, &r.SSHKeyID, "ssh_key_id")
		},
		usedBy: s.templatesUsing("repository", func(t model.Template, id int64) bool { return t.RepositoryID == id }),
	}
}

func validateGitURL(u string) error {
	if u == "" {
		return model.Invalidf("git_url is required")
	}
	if filepath.IsAbs(u) || strings.HasPrefix(u, "git@") || strings.Contains(u, "@") && strings.Contains(u, ":") && !strings.Contains(u, "://") {
		return nil
	}
	p, err := url.Parse(u)
	if err != nil {
		return model.Invalidf("git_url %q is not a URL or an absolute path", u)
	}
	switch p.Scheme {
	case "http", "https", "ssh", "git", "file":
		return nil
	}
	return model.Invalidf("git_url %q: want an https, ssh, git or file URL, or an absolute local path", u)
}

// keyExists checks an optional key reference; 0 means none.
func (s *Services) keyExists(ctx context.Context, projectID int64, id *int64, field string) error {
	if id == nil || *id == 0 {
		return nil
	}
	if _, err := s.store.Keys().Get(ctx, projectID, *id); errors.Is(err, model.ErrNotFound) {
		return model.Invalidf("%s: key %d does not exist in this project", field, *id)
	} else if err != nil {
		return err
	}
	return nil
}

// Inventories returns the inventory operations.
func (s *Services) Inventories() resource[model.Inventory] {
	return resource[model.Inventory]{
		s: s, kind: "inventory", st: s.store.Inventories,
		ids:  func(v *model.Inventory) (*int64, *int64) { return &v.ProjectID, &v.ID },
		name: func(v *model.Inventory) string { return v.Name },
		validate: func(ctx context.Context, inv *model.Inventory) error {
			inv.Name = strings.TrimSpace(inv.Name)
			if inv.Name == "" {
				return model.Invalidf("inventory name is required")
			}
			switch inv.Type {
			case model.InventoryStatic, model.InventoryStaticYAML:
			case model.InventoryTerraformWorkspace, model.InventoryTofuWorkspace:
				if strings.TrimSpace(inv.Inventory) == "" {
					return model.Invalidf("a %s inventory needs the workspace name in inventory", inv.Type)
				}
			case model.InventoryFile:
				if strings.TrimSpace(inv.Inventory) == "" {
					return model.Invalidf("a file inventory needs the file's path in inventory")
				}
			case "":
				inv.Type = model.InventoryStatic
			default:
				return model.Invalidf("inventory type %q: want static, static-yaml, file, terraform-workspace or tofu-workspace", inv.Type)
			}
			if err := s.keyExists(ctx, inv.ProjectID, inv.SSHKeyID, "ssh_key_id"); err != nil {
				return err
			}
			return s.keyExists(ctx, inv.ProjectID, inv.BecomeKeyID, "become_key_id")
		},
		usedBy: s.templatesUsing("inventory", func(t model.Template, id int64) bool { return ptrIs(t.InventoryID, id) }),
	}
}

// Environments returns the environment operations.
func (s *Services) Environments() resource[model.Environment] {
	return resource[model.Environment]{
		s: s, kind: "environment", st: s.store.Environments,
		ids:  func(v *model.Environment) (*int64, *int64) { return &v.ProjectID, &v.ID },
		name: func(v *model.Environment) string { return v.Name },
		validate: func(_ context.Context, e *model.Environment) error {
			e.Name = strings.TrimSpace(e.Name)
			if e.Name == "" {
				return model.Invalidf("environment name is required")
			}
			if strings.TrimSpace(e.JSON) == "" {
				e.JSON = "{}"
			}
			var obj map[string]any
			if err := json.Unmarshal([]byte(e.JSON), &obj); err != nil {
				return model.Invalidf("json must be a JSON object of extra variables: %v", err)
			}
			if strings.TrimSpace(e.Env) != "" {
				var env map[string]string
				if err := json.Unmarshal([]byte(e.Env), &env); err != nil {
					return model.Invalidf("env must be a JSON object of string values: %v", err)
				}
			}
			return nil
		},
		usedBy: func(ctx context.Context, projectID, id int64) error {
			if err := s.templatesUsing("environment", func(t model.Template, id int64) bool { return ptrIs(t.EnvironmentID, id) })(ctx, projectID, id); err != nil {
				return err
			}
			return s.store.EnvironmentSecrets().DeleteAll(ctx, projectID, id)
		},
	}
}

// Templates returns the template operations.
func (s *Services) Templates() resource[model.Template] {
	return resource[model.Template]{
		s: s, kind: "template", st: s.store.Templates,
		ids:      func(v *model.Template) (*int64, *int64) { return &v.ProjectID, &v.ID },
		name:     func(v *model.Template) string { return v.Name },
		validate: s.validateTemplate,
		usedBy: func(ctx context.Context, projectID, id int64) error {
			if err := s.integrationsUsing(ctx, projectID, id); err != nil {
				return err
			}
			if err := s.stopTemplateTasks(ctx, projectID, id); err != nil {
				return err
			}
			return s.deleteTemplateSchedules(ctx, projectID, id)
		},
	}
}

func (s *Services) validateTemplate(ctx context.Context, t *model.Template) error {
	t.Name, t.App, t.Playbook = strings.TrimSpace(t.Name), strings.TrimSpace(t.App), strings.TrimSpace(t.Playbook)
	if t.Name == "" {
		return model.Invalidf("template name is required")
	}
	if t.App == "" {
		t.App = "ansible"
	}
	if t.Playbook == "" {
		return model.Invalidf("playbook is required: the script or playbook to run, relative to the repository")
	}
	if t.TimeoutSeconds < 0 {
		return model.Invalidf("timeout must not be negative")
	}
	if s.apps != nil {
		apps := s.apps.Apps(ctx)
		if _, ok := apps[t.App]; !ok {
			known := make([]string, 0, len(apps))
			for id := range apps {
				known = append(known, id)
			}
			return model.Invalidf("app %q is not served by any installed executor plugin (installed: %s)", t.App, strings.Join(sorted(known), ", "))
		}
	}
	if t.RepositoryID == 0 {
		return model.Invalidf("repository_id is required")
	}
	if _, err := s.store.Repositories().Get(ctx, t.ProjectID, t.RepositoryID); errors.Is(err, model.ErrNotFound) {
		return model.Invalidf("repository_id: repository %d does not exist in this project", t.RepositoryID)
	} else if err != nil {
		return err
	}
	if t.InventoryID != nil && *t.InventoryID == 0 {
		t.InventoryID = nil
	}
	if t.InventoryID != nil {
		if _, err := s.store.Inventories().Get(ctx, t.ProjectID, *t.InventoryID); errors.Is(err, model.ErrNotFound) {
			return model.Invalidf("inventory_id: inventory %d does not exist in this project", *t.InventoryID)
		} else if err != nil {
			return err
		}
	}
	if t.EnvironmentID != nil && *t.EnvironmentID == 0 {
		t.EnvironmentID = nil
	}
	if t.EnvironmentID != nil {
		if _, err := s.store.Environments().Get(ctx, t.ProjectID, *t.EnvironmentID); errors.Is(err, model.ErrNotFound) {
			return model.Invalidf("environment_id: environment %d does not exist in this project", *t.EnvironmentID)
		} else if err != nil {
			return err
		}
	}
	if strings.TrimSpace(t.Arguments) != "" {
		var args []string
		if err := json.Unmarshal([]byte(t.Arguments), &args); err != nil {
			return model.Invalidf("arguments must be a JSON array of strings")
		}
	}
	if strings.TrimSpace(t.Params) != "" {
		var obj map[string]any
		if err := json.Unmarshal([]byte(t.Params), &obj); err != nil {
			return model.Invalidf("task_params must be a JSON object")
		}
	}
	if err := s.validateTemplateExtras(ctx, t); err != nil {
		return err
	}
	return s.validateParams(ctx, t.App, "task_params", t.Params, func(a App) string { return string(a.TemplateSchema) })
}

// Views returns the view operations.
func (s *Services) Views() resource[model.View] {
	return resource[model.View]{
		s: s, kind: "view", st: s.store.Views,
		ids:  func(v *model.View) (*int64, *int64) { return &v.ProjectID, &v.ID },
		name: func(v *model.View) string { return v.Title },
		validate: func(_ context.Context, v *model.View) error {
			v.Title = strings.TrimSpace(v.Title)
			if v.Title == "" {
				return model.Invalidf("view title is required")
			}
			return nil
		},
		usedBy: func(ctx context.Context, projectID, id int64) error {
			// Templates of a deleted view stay, outside any view.
			tmpls, err := s.store.Templates().List(ctx, projectID, store.ListOptions{})
			if err != nil {
				return err
			}
			for _, t := range tmpls {
				if ptrIs(t.ViewID, id) {
					t.ViewID = nil
					if err := s.store.Templates().Update(ctx, t); err != nil {
						return err
					}
				}
			}
			return nil
		},
	}
}
