package service

import (
	"testing"
	"time"

	"github.com/signalbox/signalbox/core/model"
)

func TestAuthCache(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	alice := authEntry{user: model.User{ID: 1, Username: "alice"}, at: t0}
	bob := authEntry{user: model.User{ID: 2, Username: "bob"}, at: t0}
	tests := []struct {
		name string
		do   func(c *authCache)
		key  string
		at   time.Time
		want bool
	}{
		{"a kept entry", func(c *authCache) { c.put("a", alice, c.generation()) }, "a", t0.Add(authCacheTTL / 2), true},
		{"an unknown key", func(c *authCache) { c.put("a", alice, c.generation()) }, "b", t0, false},
		{"an entry past its TTL", func(c *authCache) { c.put("a", alice, c.generation()) }, "a", t0.Add(authCacheTTL), false},
		{"a clock gone back", func(c *authCache) { c.put("a", alice, c.generation()) }, "a", t0.Add(-time.Second), false},
		{"a forgotten key", func(c *authCache) { c.put("a", alice, c.generation()); c.forget("a") }, "a", t0, false},
		{"a forgotten user", func(c *authCache) { c.put("a", alice, c.generation()); c.forgetUser(1) }, "a", t0, false},
		{"another user forgotten", func(c *authCache) {
			c.put("a", alice, c.generation())
			c.put("b", bob, c.generation())
			c.forgetUser(2)
		}, "a", t0, true},
		{"an answer read before a forget is not kept", func(c *authCache) {
			gen := c.generation() // a lookup starts
			c.forgetUser(1)       // the user changes meanwhile
			c.put("a", alice, gen)
		}, "a", t0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var c authCache
			tc.do(&c)
			if _, got := c.get(tc.key, tc.at); got != tc.want {
				t.Errorf("get(%q) found = %t, want %t", tc.key, got, tc.want)
			}
		})
	}

	t.Run("the map stays bounded", func(t *testing.T) {
		var c authCache
		for i := range authCacheMax {
			c.put(string(rune('a'+i%26))+time.Duration(i).String(), alice, c.generation())
		}
		later := authEntry{user: bob.user, at: t0.Add(authCacheTTL)}
		c.put("new", later, c.generation())
		if n := len(c.m); n != 1 {
			t.Fatalf("%d entries after the expired ones went, want 1", n)
		}
	})
}
