package auth_test

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/signalbox/signalbox/core/auth"
	"github.com/signalbox/signalbox/core/model"
)

func TestHashPassword(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		password string
		wantErr  error
	}{
		"a password of the minimum length is hashed": {password: "12345678"},
		"a password of 72 bytes is hashed":           {password: strings.Repeat("p", 72)},
		"an empty password is invalid":               {password: "", wantErr: model.ErrInvalid},
		"a password one short is invalid":            {password: "1234567", wantErr: model.ErrInvalid},
		"a password of 73 bytes is invalid":          {password: strings.Repeat("p", 73), wantErr: model.ErrInvalid},
		"a multi-byte password over 72 bytes is invalid": {
			password: strings.Repeat("é", 37), // 37 runes, 74 bytes
			wantErr:  model.ErrInvalid,
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			hash, err := auth.HashPassword(tc.password)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) || hash != "" {
					t.Fatalf("HashPassword() = %q, %v; want error %v", hash, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("HashPassword() error = %v", err)
			}
			if hash == tc.password || !strings.HasPrefix(hash, "$2") {
				t.Errorf("HashPassword() = %q, want a bcrypt hash", hash)
			}
			if !auth.CheckPassword(hash, tc.password) {
				t.Error("CheckPassword(hash, password) = false, want true")
			}
		})
	}
}

func TestCheckPassword(t *testing.T) {
	t.Parallel()
	// The lowest cost keeps the test fast (CheckPassword takes the cost from
	// the hash); bcrypt at the default cost is slow on purpose, more so
	// under -race.
	b, err := bcrypt.GenerateFromPassword([]byte("correct horse"), bcrypt.MinCost)
	if err != nil {
		t.Fatalf("bcrypt.GenerateFromPassword() error = %v", err)
	}
	hash := string(b)
	for name, tc := range map[string]struct {
		hash, password string
		want           bool
	}{
		"the right password matches":              {hash: hash, password: "correct horse", want: true},
		"a wrong password does not match":         {hash: hash, password: "correct horsE"},
		"an empty password does not match":        {hash: hash, password: ""},
		"a prefix of the password does not match": {hash: hash, password: "correct"},
		"the hash itself does not match":          {hash: hash, password: hash},
		"an empty hash matches nothing":           {hash: "", password: ""},
		"an empty hash matches no password":       {hash: "", password: "correct horse"},
		"a hash that is not bcrypt matches nothing": {
			hash: "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8", password: "password",
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if got := auth.CheckPassword(tc.hash, tc.password); got != tc.want {
				t.Errorf("CheckPassword() = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestNewToken(t *testing.T) {
	t.Parallel()
	const n = 100
	seen := map[string]bool{}
	for range n {
		token, hash, err := auth.NewToken()
		if err != nil {
			t.Fatalf("NewToken() error = %v", err)
		}
		if seen[token] {
			t.Fatalf("NewToken() returned %q twice", token)
		}
		seen[token] = true
		raw, err := base64.RawURLEncoding.DecodeString(token)
		if err != nil || len(raw) != 32 {
			t.Errorf("token %q is not 32 bytes of unpadded URL-safe base64 (%d bytes, %v)", token, len(raw), err)
		}
		if strings.ContainsAny(token, "+/=") {
			t.Errorf("token %q is not URL-safe", token)
		}
		if hash != auth.HashToken(token) {
			t.Errorf("NewToken() hash = %q, want HashToken(token) = %q", hash, auth.HashToken(token))
		}
		if hash == token || strings.Contains(hash, token) {
			t.Errorf("hash %q gives the token away", hash)
		}
	}
}

func TestHashToken(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		a, b      string
		wantEqual bool
	}{
		"one token hashes the same every time": {a: "abc", b: "abc", wantEqual: true},
		"different tokens hash differently":    {a: "abc", b: "abd"},
		"hashing is case-sensitive":            {a: "abc", b: "ABC"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ha, hb := auth.HashToken(tc.a), auth.HashToken(tc.b)
			if (ha == hb) != tc.wantEqual {
				t.Errorf("HashToken(%q) = %q, HashToken(%q) = %q; want equal %v", tc.a, ha, tc.b, hb, tc.wantEqual)
			}
			if len(ha) != 64 || strings.Trim(ha, "0123456789abcdef") != "" {
				t.Errorf("HashToken(%q) = %q, want 64 lowercase hex digits", tc.a, ha)
			}
		})
	}
}

func TestRandomPassword(t *testing.T) {
	t.Parallel()
	a, errA := auth.RandomPassword()
	b, errB := auth.RandomPassword()
	if errA != nil || errB != nil {
		t.Fatalf("RandomPassword() errors = %v, %v", errA, errB)
	}
	if a == b {
		t.Errorf("RandomPassword() returned %q twice", a)
	}
	// A generated password must be one HashPassword accepts.
	if len(a) < auth.MinPasswordLength || len(a) > 72 {
		t.Errorf("RandomPassword() = %q of %d bytes, want %d to 72", a, len(a), auth.MinPasswordLength)
	}
}

func TestPermissions(t *testing.T) {
	t.Parallel()
	all := []auth.Permission{auth.PermRunTasks, auth.PermUpdateProject, auth.PermManageResources, auth.PermManageUsers}
	for name, tc := range map[string]struct {
		role model.Role
		want []auth.Permission
	}{
		"an owner may do everything": {
			role: model.RoleOwner, want: all,
		},
		"a manager may do everything but manage users": {
			role: model.RoleManager, want: []auth.Permission{auth.PermRunTasks, auth.PermUpdateProject, auth.PermManageResources},
		},
		"a task runner may only run tasks": {
			role: model.RoleTaskRunner, want: []auth.Permission{auth.PermRunTasks},
		},
		"a guest may do nothing but read": {
			role: model.RoleGuest,
		},
		"an unknown role may do nothing": {
			role: model.Role("admin"),
		},
		"an empty role may do nothing": {
			role: "",
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got := auth.Permissions(tc.role)
			for _, p := range all {
				want := false
				for _, w := range tc.want {
					want = want || w == p
				}
				if got.Has(p) != want {
					t.Errorf("Permissions(%q).Has(%b) = %v, want %v", tc.role, p, got.Has(p), want)
				}
			}
			if !got.Has(auth.PermRead) {
				t.Errorf("Permissions(%q) lacks PermRead, which every member has", tc.role)
			}
		})
	}
	if auth.Permissions(model.RoleOwner) != auth.AllPermissions {
		t.Errorf("owner permissions = %b, want AllPermissions %b", auth.Permissions(model.RoleOwner), auth.AllPermissions)
	}
}

func TestPermission_Has(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		p, need auth.Permission
		want    bool
	}{
		"a set has one of its bits":               {p: auth.PermRunTasks | auth.PermManageUsers, need: auth.PermManageUsers, want: true},
		"a set lacks a bit it does not hold":      {p: auth.PermRunTasks, need: auth.PermUpdateProject},
		"a set has every bit of a need it covers": {p: auth.AllPermissions, need: auth.PermRunTasks | auth.PermManageResources, want: true},
		"a set lacks a need it covers only in part": {
			p: auth.PermRunTasks, need: auth.PermRunTasks | auth.PermManageResources,
		},
		"every set has PermRead":          {p: 0, need: auth.PermRead, want: true},
		"the empty set lacks a real bit":  {p: 0, need: auth.PermRunTasks},
		"AllPermissions has each bit":     {p: auth.AllPermissions, need: auth.PermManageUsers, want: true},
		"AllPermissions has all the bits": {p: auth.AllPermissions, need: auth.AllPermissions, want: true},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if got := tc.p.Has(tc.need); got != tc.want {
				t.Errorf("%b.Has(%b) = %v, want %v", tc.p, tc.need, got, tc.want)
			}
		})
	}
}

func TestPermission_bitsMatchSemaphore(t *testing.T) {
	t.Parallel()
	// Semaphore answers these masks on /project/{id}/role; clients rely on them.
	for name, tc := range map[string]struct {
		p    auth.Permission
		want int
	}{
		"run tasks is bit 0":        {p: auth.PermRunTasks, want: 1},
		"update project is bit 1":   {p: auth.PermUpdateProject, want: 2},
		"manage resources is bit 2": {p: auth.PermManageResources, want: 4},
		"manage users is bit 3":     {p: auth.PermManageUsers, want: 8},
		"all permissions are 15":    {p: auth.AllPermissions, want: 15},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if int(tc.p) != tc.want {
				t.Errorf("permission = %d, want %d", tc.p, tc.want)
			}
		})
	}
}
