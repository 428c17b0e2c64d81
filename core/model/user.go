package model

import "time"

// User is a person who logs in.
type User struct {
	ID       int64
	Username string
	Name     string
	Email    string
	// PasswordHash is a bcrypt hash; empty for users who cannot log in with a password.
	PasswordHash string
	Admin        bool
	Alert        bool
	Created      time.Time
}

// Session is a browser login. The cookie holds a random token; the store
// keeps only its SHA-256 hash.
type Session struct {
	ID         int64
	UserID     int64
	TokenHash  string
	Created    time.Time
	LastActive time.Time
	Expired    bool
}

// APIToken is a bearer token of a user. The store keeps only its hash; the
// token itself is shown once, when it is created.
type APIToken struct {
	// ID is a short public handle of the token (a prefix of its hash).
	ID        string
	UserID    int64
	TokenHash string
	Created   time.Time
	Expired   bool
}
