package kvstore

import (
	"context"

	"github.com/signalbox/signalbox/core/store"
)

// Buckets of user options: useroptions, user id, name → value (the JSON
// text, as it is).
const userOptionsBucket = "useroptions"

type userOptions struct{ s *Store }

var _ store.UserOptions = userOptions{}

// UserOptions returns the user option store.
func (s *Store) UserOptions() store.UserOptions { return userOptions{s} }

func (uo userOptions) Get(ctx context.Context, userID int64) (map[string]string, error) {
	prefix := key(userID)
	out := map[string]string{}
	err := uo.s.scan(ctx, scanRange{bucket: userOptionsBucket, prefix: prefix}, 0, func(k, v []byte) error {
		// The name is the rest of the key, less its terminator.
		out[string(k[len(prefix):len(k)-1])] = string(v)
		return nil
	})
	if err != nil {
		return nil, annotate(err, "get options of user %d", userID)
	}
	return out, nil
}

// Set stores an option of an existing user; an empty value deletes it.
func (uo userOptions) Set(ctx context.Context, userID int64, name, value string) error {
	s := uo.s
	if value == "" {
		err := s.del(ctx, userOptionsBucket, key(userID, name))
		return annotate(err, "delete option %q of user %d", name, userID)
	}
	err := s.update(ctx, func(ctx context.Context) error {
		if err := s.requireUser(ctx, userID); err != nil {
			return err
		}
		return s.put(ctx, userOptionsBucket, key(userID, name), []byte(value))
	})
	return annotate(err, "set option %q of user %d", name, userID)
}

// deleteUserOptions removes a user's options.
func (s *Store) deleteUserOptions(ctx context.Context, userID int64) error {
	return s.delPrefix(ctx, userOptionsBucket, key(userID))
}
