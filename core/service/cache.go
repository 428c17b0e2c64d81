package service

import (
	"sync"
	"time"

	"github.com/signalbox/signalbox/core/model"
)

// cacheTTL is how long an answer about who may do what is believed
// without asking the database again: what a token authenticates to, and a
// user's role in a project. Every request otherwise costs those queries
// before any work; with it, a busy client costs them once a second. What
// this process changes (logout, a user changed, deleted or given a new
// password, a token expired, a membership changed, a project deleted) is
// forgotten at once; a change made by another process (another server
// node, the CLI) reaches this one within cacheTTL. Only positive answers
// are kept: what does not exist is asked again every time.
const cacheTTL = time.Second

// cacheMax bounds the entries of a cache; past it, expired ones are
// dropped, and if none are, all.
const cacheMax = 10000

// authEntry is what a token authenticated to.
type authEntry struct {
	user model.User
	// sessionID and lastActive are the session's, for a session token.
	sessionID  int64
	lastActive time.Time
}

// roleKey is a user's place in a project; user 0 stands for an
// administrator, for whom only the project's existence is checked.
type roleKey struct{ project, user int64 }

// ttlCache keeps values for cacheTTL.
type ttlCache[K comparable, V any] struct {
	mu sync.Mutex
	m  map[K]ttlEntry[V]
	// gen grows at every forget: an answer read from the database before
	// a forget may be stale and is not kept (see put).
	gen uint64
}

type ttlEntry[V any] struct {
	v  V
	at time.Time
}

// get returns the value of k if it is younger than cacheTTL.
func (c *ttlCache[K, V]) get(k K, now time.Time) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[k]
	if !ok || now.Sub(e.at) >= cacheTTL || now.Before(e.at) {
		var zero V
		return zero, false
	}
	return e.v, true
}

// generation is to be read before the database is asked, and given to put.
func (c *ttlCache[K, V]) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// put keeps v, read from the database at at, unless something was
// forgotten since gen was read.
func (c *ttlCache[K, V]) put(k K, v V, at time.Time, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if c.m == nil {
		c.m = map[K]ttlEntry[V]{}
	}
	if len(c.m) >= cacheMax {
		for old, e := range c.m {
			if at.Sub(e.at) >= cacheTTL {
				delete(c.m, old)
			}
		}
		if len(c.m) >= cacheMax {
			clear(c.m)
		}
	}
	c.m[k] = ttlEntry[V]{v: v, at: at}
}

// forget drops k.
func (c *ttlCache[K, V]) forget(k K) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	delete(c.m, k)
}

// forgetIf drops every entry drop selects.
func (c *ttlCache[K, V]) forgetIf(drop func(K, V) bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for k, e := range c.m {
		if drop(k, e.v) {
			delete(c.m, k)
		}
	}
}

// forgetUser drops what the caches of s know of a user.
func (s *Services) forgetUser(id int64) {
	s.auth.forgetIf(func(_ string, e authEntry) bool { return e.user.ID == id })
	s.roles.forgetIf(func(k roleKey, _ model.Role) bool { return k.user == id })
}

// forgetProject drops what s knows of the roles in a project.
func (s *Services) forgetProject(id int64) {
	s.roles.forgetIf(func(k roleKey, _ model.Role) bool { return k.project == id })
}
