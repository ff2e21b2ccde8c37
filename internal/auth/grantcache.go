package auth

import (
	"sync"
	"time"

	"github.com/clavis-dev/clavis/clavis"
)

// maxGrantEntries bounds the grants the cache holds (about 1 KB each with their indexes,
// see docs/performance.md), and maxGrantMisses, apart, the refusals:
// anyone may name apps that do not exist, and a flood of them never
// evicts a grant.
const (
	maxGrantEntries = 100_000
	maxGrantMisses  = 10_000
)

// GrantCache caches what Authorizer.AppGrant resolves for a caller on an
// app: the app's row, the caller's role and grant there, or that the app
// is missing or out of the caller's reach (the one answer for both, so
// the cache says no more than the store did). An entry is trusted for the
// authenticator's TTL; every write that changes an app, a collaborator, an
// organization's members or teams drops the entries it touches at once
// (InvalidateGrants and the Authenticator's Invalidate* methods), and a
// load that an invalidation raced with is not kept. It is safe for
// concurrent use; the zero value is not: use the Authenticator's.
type GrantCache struct {
	ttl time.Duration
	now func() time.Time

	mu      sync.Mutex
	gen     uint64 // bumped by every invalidation
	entries map[grantKey]*grantEntry
	misses  int // entries that are refusals
	// byApp, byOwner and byUser find entries to drop.
	byApp   map[clavis.AppRef]map[*grantEntry]struct{}
	byOwner map[string]map[string]struct{} // owner → app ids in byApp
	byUser  map[string]map[*grantEntry]struct{}
}

// grantKey is what AppGrant's outcome depends on: who calls, with which
// kind of credential (app keys never reach public apps they are not of),
// on which app.
type grantKey struct {
	user   string
	app    clavis.AppRef
	appKey bool
}

type grantEntry struct {
	key      grantKey
	loadedAt time.Time
	// miss: the app is missing or not visible, and err (ENotFound) says
	// so; otherwise app, role and grant are the grant.
	miss  bool
	err   error
	app   clavis.App
	role  Role
	grant clavis.ScopeSet
}

func newGrantCache(ttl time.Duration, now func() time.Time) *GrantCache {
	return &GrantCache{ttl: ttl, now: now, entries: map[grantKey]*grantEntry{},
		byApp: map[clavis.AppRef]map[*grantEntry]struct{}{}, byOwner: map[string]map[string]struct{}{}, byUser: map[string]map[*grantEntry]struct{}{}}
}

// lookup returns the fresh entry of k, if any, and the generation a load
// to cache must start from.
func (c *GrantCache) lookup(k grantKey) (*grantEntry, uint64) {
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[k]
	if ok && now.Sub(e.loadedAt) < c.ttl {
		return e, c.gen
	}
	return nil, c.gen
}

// store caches e, loaded from generation gen, unless an invalidation came
// since.
func (c *GrantCache) store(e *grantEntry, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return
	}
	c.drop(c.entries[e.key])
	if e.miss && c.misses >= maxGrantMisses {
		for _, o := range c.entries {
			if o.miss {
				c.drop(o)
				break
			}
		}
	}
	if len(c.entries) >= maxGrantEntries {
		for _, o := range c.entries {
			c.drop(o)
			break
		}
	}
	c.entries[e.key] = e
	if e.miss {
		c.misses++
	}
	set := c.byApp[e.key.app]
	if set == nil {
		set = map[*grantEntry]struct{}{}
		c.byApp[e.key.app] = set
		apps := c.byOwner[e.key.app.OwnerID]
		if apps == nil {
			apps = map[string]struct{}{}
			c.byOwner[e.key.app.OwnerID] = apps
		}
		apps[e.key.app.AppID] = struct{}{}
	}
	set[e] = struct{}{}
	users := c.byUser[e.key.user]
	if users == nil {
		users = map[*grantEntry]struct{}{}
		c.byUser[e.key.user] = users
	}
	users[e] = struct{}{}
}

// drop removes e (nil: nothing) and its index entries. Call with mu held.
func (c *GrantCache) drop(e *grantEntry) {
	if e == nil || c.entries[e.key] != e {
		return
	}
	delete(c.entries, e.key)
	if e.miss {
		c.misses--
	}
	if set := c.byApp[e.key.app]; set != nil {
		delete(set, e)
		if len(set) == 0 {
			delete(c.byApp, e.key.app)
			if apps := c.byOwner[e.key.app.OwnerID]; apps != nil {
				delete(apps, e.key.app.AppID)
				if len(apps) == 0 {
					delete(c.byOwner, e.key.app.OwnerID)
				}
			}
		}
	}
	if set := c.byUser[e.key.user]; set != nil {
		delete(set, e)
		if len(set) == 0 {
			delete(c.byUser, e.key.user)
		}
	}
}

// dropApp drops the entries of an app. Call with mu held.
func (c *GrantCache) dropApp(ref clavis.AppRef) {
	for e := range c.byApp[ref] {
		c.drop(e)
	}
}

// dropOwner drops the entries of every app of an owner. Call with mu held.
func (c *GrantCache) dropOwner(owner string) {
	for id := range c.byOwner[owner] {
		c.dropApp(clavis.AppRef{OwnerID: owner, AppID: id})
	}
}

// InvalidateGrants drops what is cached about who may use app of owner,
// or every app of owner when app is empty. Every change to an app's row,
// its collaborators, or the members and teams of the organization owning
// it calls it, after the change is committed.
func (c *GrantCache) InvalidateGrants(owner, app string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	if app == "" {
		c.dropOwner(owner)
		return
	}
	c.dropApp(clavis.AppRef{OwnerID: owner, AppID: app})
}

// invalidateUser drops the entries of a user, as a caller and as an owner.
func (c *GrantCache) invalidateUser(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for e := range c.byUser[id] {
		c.drop(e)
	}
	c.dropOwner(id)
}

// invalidateAll empties the cache.
func (c *GrantCache) invalidateAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	clear(c.entries)
	clear(c.byApp)
	clear(c.byOwner)
	clear(c.byUser)
	c.misses = 0
}

// Len returns how many entries the cache holds, grants and refusals.
func (c *GrantCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}
