package service

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/signalbox/signalbox/core/auth"
	"github.com/signalbox/signalbox/core/model"
)

// SecretChange is one operation on an environment's secrets.
type SecretChange struct {
	// ID names the secret to update or delete.
	ID   int64
	Name string
	Type model.SecretType
	// Secret is the value; on update, empty keeps the stored one.
	Secret string
	// Operation is create, update or delete.
	Operation string
}

var secretName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,254}$`)

// SaveEnvironment creates (ID 0) or updates an environment and applies
// changes to its secrets, all in one transaction.
func (s *Services) SaveEnvironment(ctx context.Context, a Actor, e model.Environment, changes []SecretChange) (model.Environment, error) {
	var saved model.Environment
	err := s.store.WithTx(ctx, func(ctx context.Context) error {
		var err error
		if saved, err = s.Environments().Save(ctx, a, e); err != nil {
			return err
		}
		for i, ch := range changes {
			if err := s.applySecretChange(ctx, saved, ch); err != nil {
				return fmt.Errorf("secrets[%d]: %w", i, err)
			}
		}
		return nil
	})
	return saved, err
}

func (s *Services) applySecretChange(ctx context.Context, e model.Environment, ch SecretChange) error {
	st := s.store.EnvironmentSecrets()
	op := ch.Operation
	if op == "" {
		op = "create"
		if ch.ID != 0 {
			op = "update"
		}
	}
	if op == "delete" {
		return st.Delete(ctx, e.ProjectID, e.ID, ch.ID)
	}
	ch.Name = strings.TrimSpace(ch.Name)
	if !secretName.MatchString(ch.Name) {
		return model.Invalidf("secret name %q must be a letter or _ followed by letters, digits or _", ch.Name)
	}
	switch ch.Type {
	case model.SecretEnv, model.SecretVar:
	case "":
		ch.Type = model.SecretEnv
	default:
		return model.Invalidf("secret type %q: want env or var", ch.Type)
	}
	sec := model.EnvironmentSecret{ID: ch.ID, ProjectID: e.ProjectID, EnvironmentID: e.ID, Name: ch.Name, Type: ch.Type}
	switch op {
	case "create":
		if ch.Secret == "" {
			return model.Invalidf("secret %q needs a value", ch.Name)
		}
		blob, err := s.sealer.SealJSON(ch.Secret)
		if err != nil {
			return err
		}
		sec.Secret = blob
		return st.Create(ctx, &sec)
	case "update":
		old, err := s.findSecret(ctx, e, ch.ID)
		if err != nil {
			return err
		}
		sec.Secret = old.Secret
		if ch.Secret != "" {
			if sec.Secret, err = s.sealer.SealJSON(ch.Secret); err != nil {
				return err
			}
		}
		return st.Update(ctx, sec)
	}
	return model.Invalidf("operation %q: want create, update or delete", op)
}

func (s *Services) findSecret(ctx context.Context, e model.Environment, id int64) (model.EnvironmentSecret, error) {
	all, err := s.store.EnvironmentSecrets().List(ctx, e.ProjectID, e.ID)
	if err != nil {
		return model.EnvironmentSecret{}, err
	}
	for _, x := range all {
		if x.ID == id {
			return x, nil
		}
	}
	return model.EnvironmentSecret{}, model.NotFoundf("secret %d not found in environment %q", id, e.Name)
}

// EnvironmentSecrets lists an environment's secrets; values stay encrypted.
func (s *Services) EnvironmentSecrets(ctx context.Context, a Actor, projectID, environmentID int64) ([]model.EnvironmentSecret, error) {
	if _, err := s.access(ctx, a, projectID, auth.PermRead); err != nil {
		return nil, err
	}
	return s.store.EnvironmentSecrets().List(ctx, projectID, environmentID)
}
