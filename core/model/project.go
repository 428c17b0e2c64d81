package model

import "time"

// Project groups everything a team automates.
type Project struct {
	ID               int64
	Name             string
	Created          time.Time
	Alert            bool
	AlertChat        string
	MaxParallelTasks int
}

// Role is a member's role in a project.
type Role string

// The project roles, from most to least powerful.
const (
	RoleOwner      Role = "owner"
	RoleManager    Role = "manager"
	RoleTaskRunner Role = "task_runner"
	RoleGuest      Role = "guest"
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	switch r {
	case RoleOwner, RoleManager, RoleTaskRunner, RoleGuest:
		return true
	}
	return false
}

// ProjectUser is a user's membership of a project.
type ProjectUser struct {
	ProjectID int64
	UserID    int64
	Role      Role
}
