package service

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/signalbox/signalbox/core/model"
)

// maxUserOption bounds one option's encoded size.
const maxUserOption = 16 << 10

// UserOptions returns the actor's preferences.
func (s *Services) UserOptions(ctx context.Context, a Actor) (map[string]json.RawMessage, error) {
	if a.User.ID == 0 {
		return map[string]json.RawMessage{}, nil
	}
	raw, err := s.store.UserOptions().Get(ctx, a.User.ID)
	if err != nil {
		return nil, err
	}
	out := make(map[string]json.RawMessage, len(raw))
	for k, v := range raw {
		out[k] = json.RawMessage(v)
	}
	return out, nil
}

// SetUserOptions merges options into the actor's preferences; a null value
// removes an option.
func (s *Services) SetUserOptions(ctx context.Context, a Actor, opts map[string]json.RawMessage) error {
	if a.User.ID == 0 {
		return model.Forbiddenf("only users have options")
	}
	for k, v := range opts {
		if strings.TrimSpace(k) == "" || len(k) > 100 {
			return model.Invalidf("option names must be 1 to 100 characters")
		}
		if len(v) > maxUserOption {
			return model.Invalidf("option %q is larger than %d bytes", k, maxUserOption)
		}
	}
	return s.store.WithTx(ctx, func(ctx context.Context) error {
		for k, v := range opts {
			val := string(v)
			if strings.TrimSpace(val) == "null" {
				val = ""
			}
			if err := s.store.UserOptions().Set(ctx, a.User.ID, k, val); err != nil {
				return err
			}
		}
		return nil
	})
}
