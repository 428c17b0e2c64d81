package service

import (
	"strconv"
	"testing"
	"time"
)

func TestTTLCache(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	put := func(c *ttlCache[string, int64], k string, v int64) { c.put(k, v, t0, c.generation()) }
	tests := []struct {
		name string
		do   func(c *ttlCache[string, int64])
		key  string
		at   time.Time
		want bool
	}{
		{"a kept entry", func(c *ttlCache[string, int64]) { put(c, "a", 1) }, "a", t0.Add(cacheTTL / 2), true},
		{"an unknown key", func(c *ttlCache[string, int64]) { put(c, "a", 1) }, "b", t0, false},
		{"an entry past its TTL", func(c *ttlCache[string, int64]) { put(c, "a", 1) }, "a", t0.Add(cacheTTL), false},
		{"a clock gone back", func(c *ttlCache[string, int64]) { put(c, "a", 1) }, "a", t0.Add(-time.Second), false},
		{"a forgotten key", func(c *ttlCache[string, int64]) { put(c, "a", 1); c.forget("a") }, "a", t0, false},
		{"a forgotten value", func(c *ttlCache[string, int64]) {
			put(c, "a", 1)
			c.forgetIf(func(_ string, v int64) bool { return v == 1 })
		}, "a", t0, false},
		{"another value forgotten", func(c *ttlCache[string, int64]) {
			put(c, "a", 1)
			put(c, "b", 2)
			c.forgetIf(func(_ string, v int64) bool { return v == 2 })
		}, "a", t0, true},
		{"an answer read before a forget is not kept", func(c *ttlCache[string, int64]) {
			gen := c.generation() // a lookup starts
			c.forget("other")     // something changes meanwhile
			c.put("a", 1, t0, gen)
		}, "a", t0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var c ttlCache[string, int64]
			tc.do(&c)
			if _, got := c.get(tc.key, tc.at); got != tc.want {
				t.Errorf("get(%q) found = %t, want %t", tc.key, got, tc.want)
			}
		})
	}

	t.Run("the map stays bounded", func(t *testing.T) {
		var c ttlCache[string, int64]
		for i := range cacheMax {
			put(&c, strconv.Itoa(i), 1)
		}
		c.put("new", 2, t0.Add(cacheTTL), c.generation())
		if n := len(c.m); n != 1 {
			t.Fatalf("%d entries after the expired ones went, want 1", n)
		}
	})
}
