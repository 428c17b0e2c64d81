package model

import "time"

// Event records something that happened: a change, a task that started or
// ended, a refused webhook. Events are append-only.
type Event struct {
	ID int64
	// ProjectID is nil for events outside any project (users, logins).
	ProjectID *int64
	// UserID is the user who acted, nil for the system.
	UserID     *int64
	ObjectType string
	ObjectID   *int64
	// Description is a readable sentence, such as `Task 7 of "deploy" finished: success`.
	Description string
	Created     time.Time
}
