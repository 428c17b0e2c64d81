// Package auth holds credentials and permissions: password hashing, random
// tokens stored as hashes, and the table of what each project role may do.
package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"

	"golang.org/x/crypto/bcrypt"

	"github.com/signalbox/signalbox/core/model"
)

// MinPasswordLength is the shortest password accepted.
const MinPasswordLength = 8

// HashPassword returns a bcrypt hash of a password at the default cost.
func HashPassword(password string) (string, error) {
	return HashPasswordCost(password, bcrypt.DefaultCost)
}

// HashPasswordCost returns a bcrypt hash of a password at a given cost
// (bcrypt.MinCost to bcrypt.MaxCost).
func HashPasswordCost(password string, cost int) (string, error) {
	if len(password) < MinPasswordLength {
		return "", model.Invalidf("password must be at least %d characters", MinPasswordLength)
	}
	if len(password) > 72 {
		return "", model.Invalidf("password must be at most 72 bytes")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), cost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(h), nil
}

// CheckPassword reports whether password matches hash.
func CheckPassword(hash, password string) bool {
	if hash == "" {
		return false
	}
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil
}

// NewToken returns a random token and the hash to store for it.
func NewToken() (token, hash string, err error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", "", fmt.Errorf("random token: %w", err)
	}
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, HashToken(token), nil
}

// HashToken returns the stored form of a token.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// RandomPassword returns a random password for a generated account.
func RandomPassword() (string, error) {
	b := make([]byte, 18)
	if _, err := rand.Read(b); err != nil {
		return "", errors.New("random password: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// Permission is a bit set of what a project member may do. The bits match
// Semaphore's, so /project/{id}/role answers the same mask.
type Permission int

// The permissions.
const (
	// PermRunTasks allows starting and stopping tasks.
	PermRunTasks Permission = 1 << iota
	// PermUpdateProject allows changing and deleting the project.
	PermUpdateProject
	// PermManageResources allows changing keys, repositories, inventories,
	// environments, templates and schedules.
	PermManageResources
	// PermManageUsers allows changing the project's members.
	PermManageUsers
)

// PermRead is what every member may do: read the project's resources and
// tasks. It is not a bit; membership implies it.
const PermRead Permission = 0

// rolePermissions is the single table of what each role may do.
var rolePermissions = map[model.Role]Permission{
	model.RoleOwner:      PermRunTasks | PermUpdateProject | PermManageResources | PermManageUsers,
	model.RoleManager:    PermRunTasks | PermUpdateProject | PermManageResources,
	model.RoleTaskRunner: PermRunTasks,
	model.RoleGuest:      0,
}

// Permissions returns what a role may do.
func Permissions(r model.Role) Permission { return rolePermissions[r] }

// AllPermissions is what an admin may do in any project.
const AllPermissions = PermRunTasks | PermUpdateProject | PermManageResources | PermManageUsers

// Has reports whether p includes every bit of need.
func (p Permission) Has(need Permission) bool { return p&need == need }
