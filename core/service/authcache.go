package service

import (
	"sync"
	"time"

	"github.com/signalbox/signalbox/core/model"
)

// authCacheTTL is how long a token's user is believed without asking the
// database again. Every authenticated request otherwise costs a query
// before any work; with it, a busy client costs one per second. What this
// process changes (logout, a user changed, deleted or given a new password,
// a token expired) is forgotten at once; a change made by another process
// (another server node, the CLI) reaches this one within authCacheTTL.
const authCacheTTL = time.Second

// authCacheMax bounds the entries; past it, expired ones are dropped, and
// if none are, all.
const authCacheMax = 10000

// authEntry is what a token authenticated to.
type authEntry struct {
	user model.User
	// sessionID and lastActive are the session's, for a session token.
	sessionID  int64
	lastActive time.Time
	at         time.Time
}

// authCache maps token hashes to what they authenticated to lately.
type authCache struct {
	mu sync.Mutex
	m  map[string]authEntry
	// gen grows at every forget: an answer read from the database before
	// a forget may be stale and is not kept (see put).
	gen uint64
}

// get returns the entry of key if it is younger than authCacheTTL.
func (c *authCache) get(key string, now time.Time) (authEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[key]
	if !ok || now.Sub(e.at) >= authCacheTTL || now.Before(e.at) {
		return authEntry{}, false
	}
	return e, true
}

// generation is to be read before the database is asked, and given to put.
func (c *authCache) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// put keeps e for key unless something was forgotten since gen was read.
func (c *authCache) put(key string, e authEntry, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if c.m == nil {
		c.m = map[string]authEntry{}
	}
	if len(c.m) >= authCacheMax {
		for k, old := range c.m {
			if e.at.Sub(old.at) >= authCacheTTL {
				delete(c.m, k)
			}
		}
		if len(c.m) >= authCacheMax {
			clear(c.m)
		}
	}
	c.m[key] = e
}

// forget drops key.
func (c *authCache) forget(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	delete(c.m, key)
}

// forgetUser drops every entry of a user.
func (c *authCache) forgetUser(id int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for k, e := range c.m {
		if e.user.ID == id {
			delete(c.m, k)
		}
	}
}
