package store

import "context"

// UserOptions stores each user's preferences as named JSON values.
type UserOptions interface {
	// Get returns a user's options: name → JSON text.
	Get(ctx context.Context, userID int64) (map[string]string, error)
	// Set stores an option; an empty value deletes it.
	Set(ctx context.Context, userID int64, name, value string) error
}
