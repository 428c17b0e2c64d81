package kvstore

import (
	"bytes"
	"cmp"
	"context"
	"slices"

	"github.com/signalbox/signalbox/core/model"
	"github.com/signalbox/signalbox/core/store"
	"github.com/signalbox/signalbox/sdk/storage"
)

// Buckets of API tokens, whose ids are strings the caller chooses:
//
//	apitokens       id → APIToken
//	apitokens.hash  token hash → id (expired tokens too, as in SQL)
//	apitokens.user  user id, id → (empty): a user's tokens
const (
	apiTokensBucket = "apitokens"
	apiTokensByHash = "apitokens.hash"
	apiTokensByUser = "apitokens.user"
)

type apiTokens struct{ s *Store }

var _ store.APITokens = apiTokens{}

// APITokens returns the API token store.
func (s *Store) APITokens() store.APITokens { return apiTokens{s} }

// Create inserts a token; its ID, chosen by the caller, must be set.
func (as apiTokens) Create(ctx context.Context, t *model.APIToken) error {
	if t.ID == "" {
		return model.Invalidf("create API token: empty id")
	}
	v := *t
	v.Created = nowOr(v.Created)
	s := as.s
	err := s.update(ctx, func(ctx context.Context) error {
		if err := s.requireUser(ctx, v.UserID); err != nil {
			return err
		}
		taken := model.Conflictf("an API token with id %q or the same hash already exists", v.ID)
		for _, k := range []struct{ bucket, value string }{{apiTokensBucket, v.ID}, {apiTokensByHash, v.TokenHash}} {
			_, ok, err := s.get(ctx, k.bucket, key(k.value))
			if err != nil {
				return err
			}
			if ok {
				return taken
			}
			s.require(ctx, storage.Condition{Kind: storage.MustNotExist, Bucket: k.bucket, Key: key(k.value)})
		}
		if err := s.put(ctx, apiTokensByHash, key(v.TokenHash), []byte(v.ID)); err != nil {
			return err
		}
		if err := s.put(ctx, apiTokensByUser, key(v.UserID, v.ID), nil); err != nil {
			return err
		}
		return putDoc(ctx, s, apiTokensBucket, key(v.ID), v)
	})
	if err != nil {
		return annotate(err, "create API token of user %d", t.UserID)
	}
	*t = v
	return nil
}

// GetByHash returns the token of a hash unless it is expired.
func (as apiTokens) GetByHash(ctx context.Context, hash string) (model.APIToken, error) {
	id, ok, err := as.s.get(ctx, apiTokensByHash, key(hash))
	if err != nil {
		return model.APIToken{}, annotate(err, "get API token")
	}
	if !ok {
		return model.APIToken{}, model.NotFoundf("API token not found")
	}
	v, ok, err := getDoc[model.APIToken](ctx, as.s, apiTokensBucket, key(string(id)))
	if err != nil {
		return v, annotate(err, "get API token")
	}
	if !ok || v.Expired {
		return model.APIToken{}, model.NotFoundf("API token not found")
	}
	return v, nil
}

// ListByUser returns all of a user's tokens, expired ones included, oldest
// first.
func (as apiTokens) ListByUser(ctx context.Context, userID int64) ([]model.APIToken, error) {
	out, err := as.s.tokensOf(ctx, userID)
	if err != nil {
		return nil, annotate(err, "list API tokens of user %d", userID)
	}
	slices.SortFunc(out, func(a, b model.APIToken) int {
		if c := a.Created.Compare(b.Created); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return out, nil
}

// tokensOf returns a user's tokens in id order.
func (s *Store) tokensOf(ctx context.Context, userID int64) ([]model.APIToken, error) {
	prefix := key(userID)
	var keys [][]byte
	err := s.scan(ctx, scanRange{bucket: apiTokensByUser, prefix: prefix}, 0, func(k, _ []byte) error {
		keys = append(keys, bytes.Clone(k[len(prefix):]))
		return nil
	})
	if err != nil {
		return nil, err
	}
	vals, err := s.getMany(ctx, apiTokensBucket, keys)
	if err != nil {
		return nil, err
	}
	out := make([]model.APIToken, 0, len(vals))
	for _, raw := range vals {
		if raw == nil {
			continue
		}
		v, err := decode[model.APIToken](apiTokensBucket, raw)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// Expire marks a token of the user expired.
func (as apiTokens) Expire(ctx context.Context, userID int64, id string) error {
	err := as.s.update(ctx, func(ctx context.Context) error {
		v, ok, err := getDoc[model.APIToken](ctx, as.s, apiTokensBucket, key(id))
		if err != nil {
			return err
		}
		if !ok || v.UserID != userID {
			return model.NotFoundf("API token %q not found", id)
		}
		v.Expired = true
		return putDoc(ctx, as.s, apiTokensBucket, key(id), v)
	})
	return annotate(err, "expire API token %q", id)
}

// deleteUserTokens removes a user's API tokens.
func (s *Store) deleteUserTokens(ctx context.Context, userID int64) error {
	tokens, err := s.tokensOf(ctx, userID)
	if err != nil {
		return err
	}
	for _, v := range tokens {
		if err := s.del(ctx, apiTokensByHash, key(v.TokenHash)); err != nil {
			return err
		}
		if err := s.del(ctx, apiTokensBucket, key(v.ID)); err != nil {
			return err
		}
	}
	return s.delPrefix(ctx, apiTokensByUser, key(userID))
}
