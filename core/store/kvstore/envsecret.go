package kvstore

import (
	"cmp"
	"context"
	"slices"

	"github.com/signalbox/signalbox/core/model"
	"github.com/signalbox/signalbox/core/store"
	"github.com/signalbox/signalbox/sdk/storage"
)

// Buckets of environment secrets, under their project so that a project's
// deletion is a prefix deletion:
//
//	envsecrets       project id, environment id, id → EnvironmentSecret
//	envsecrets.name  project id, environment id, name → id (unique)
const (
	envSecretsBucket     = "envsecrets"
	envSecretsByName     = "envsecrets.name"
	envSecretsCollection = "envsecrets"
)

type envSecrets struct{ s *Store }

var _ store.EnvironmentSecrets = envSecrets{}

// EnvironmentSecrets returns the environment secret store.
func (s *Store) EnvironmentSecrets() store.EnvironmentSecrets { return envSecrets{s} }

func secretNameTaken(environmentID int64, name string) error {
	return model.Conflictf("environment %d already has a secret named %q", environmentID, name)
}

func secretNotFound(environmentID, id int64) error {
	return model.NotFoundf("secret %d not found in environment %d", id, environmentID)
}

// List returns an environment's secrets by name, then id.
func (es envSecrets) List(ctx context.Context, projectID, environmentID int64) ([]model.EnvironmentSecret, error) {
	out, err := listDocs[model.EnvironmentSecret](ctx, es.s, scanRange{bucket: envSecretsBucket, prefix: key(projectID, environmentID)})
	if err != nil {
		return nil, annotate(err, "list secrets of environment %d", environmentID)
	}
	slices.SortFunc(out, func(a, b model.EnvironmentSecret) int {
		if c := cmp.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	if out == nil {
		out = []model.EnvironmentSecret{}
	}
	return out, nil
}

// Create inserts a secret of an environment of the project and sets its ID.
func (es envSecrets) Create(ctx context.Context, sec *model.EnvironmentSecret) error {
	v := *sec
	s := es.s
	err := s.update(ctx, func(ctx context.Context) error {
		// The environment must exist in the project ("environment %d not found").
		if _, err := s.Environments().Get(ctx, v.ProjectID, v.EnvironmentID); err != nil {
			return err
		}
		id, err := s.nextID(ctx, envSecretsCollection, v.ID)
		if err != nil {
			return err
		}
		v.ID = id
		if err := s.mustBeNew(ctx, envSecretsBucket, key(v.ProjectID, v.EnvironmentID, id), "environment secret", id); err != nil {
			return err
		}
		if err := s.claimKey(ctx, envSecretsByName, secretNameKey(v), id, secretNameTaken(v.EnvironmentID, v.Name)); err != nil {
			return err
		}
		return putDoc(ctx, s, envSecretsBucket, key(v.ProjectID, v.EnvironmentID, id), v)
	})
	if err != nil {
		return annotate(err, "create secret of environment %d", sec.EnvironmentID)
	}
	*sec = v
	return nil
}

// Update changes a secret's name, type and value.
func (es envSecrets) Update(ctx context.Context, sec model.EnvironmentSecret) error {
	s := es.s
	err := s.update(ctx, func(ctx context.Context) error {
		k := key(sec.ProjectID, sec.EnvironmentID, sec.ID)
		old, ok, err := getDoc[model.EnvironmentSecret](ctx, s, envSecretsBucket, k)
		if err != nil {
			return err
		}
		if !ok {
			return secretNotFound(sec.EnvironmentID, sec.ID)
		}
		if old.Name != sec.Name {
			if err := s.del(ctx, envSecretsByName, secretNameKey(old)); err != nil {
				return err
			}
		}
		if err := s.claimKey(ctx, envSecretsByName, secretNameKey(sec), sec.ID, secretNameTaken(sec.EnvironmentID, sec.Name)); err != nil {
			return err
		}
		v := old
		v.Name, v.Type, v.Secret = sec.Name, sec.Type, sec.Secret
		return putDoc(ctx, s, envSecretsBucket, k, v)
	})
	return annotate(err, "update secret %d", sec.ID)
}

func (es envSecrets) Delete(ctx context.Context, projectID, environmentID, id int64) error {
	s := es.s
	err := s.update(ctx, func(ctx context.Context) error {
		k := key(projectID, environmentID, id)
		old, ok, err := getDoc[model.EnvironmentSecret](ctx, s, envSecretsBucket, k)
		if err != nil {
			return err
		}
		if !ok {
			return secretNotFound(environmentID, id)
		}
		if err := s.del(ctx, envSecretsByName, secretNameKey(old)); err != nil {
			return err
		}
		return s.del(ctx, envSecretsBucket, k)
	})
	return annotate(err, "delete secret %d", id)
}

func (es envSecrets) DeleteAll(ctx context.Context, projectID, environmentID int64) error {
	s := es.s
	err := s.update(ctx, func(ctx context.Context) error {
		for _, b := range []string{envSecretsBucket, envSecretsByName} {
			if err := s.delPrefix(ctx, b, key(projectID, environmentID)); err != nil {
				return err
			}
		}
		return nil
	})
	return annotate(err, "delete secrets of environment %d", environmentID)
}

// secretNameKey is the key of a secret's entry in envsecrets.name.
func secretNameKey(v model.EnvironmentSecret) []byte {
	return key(v.ProjectID, v.EnvironmentID, v.Name)
}

// claimKey writes the unique index entry bucket/k → id, failing with
// conflict if another id holds it: claimUnique for a key of several parts.
func (s *Store) claimKey(ctx context.Context, bucket string, k []byte, id int64, conflict error) error {
	raw, ok, err := s.get(ctx, bucket, k)
	if err != nil {
		return err
	}
	if ok && lastID(raw) != id {
		return conflict
	}
	if !ok {
		s.require(ctx, storage.Condition{Kind: storage.MustNotExist, Bucket: bucket, Key: k})
	}
	return s.put(ctx, bucket, k, key(id))
}

// deleteProjectEnvSecrets removes the secrets of a project's environments.
func (s *Store) deleteProjectEnvSecrets(ctx context.Context, projectID int64) error {
	for _, b := range []string{envSecretsBucket, envSecretsByName} {
		if err := s.delPrefix(ctx, b, key(projectID)); err != nil {
			return err
		}
	}
	return nil
}
