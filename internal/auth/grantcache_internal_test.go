package auth

import (
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/clavis-dev/clavis/clavis"
)

// consistent fails t unless the indexes of c hold exactly its entries.
func (c *GrantCache) consistent(t *testing.T) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	inApps, inUsers, misses := 0, 0, 0
	for ref, set := range c.byApp {
		if _, ok := c.byOwner[ref.OwnerID][ref.AppID]; !ok {
			t.Fatalf("app %v is not under its owner", ref)
		}
		for e := range set {
			if c.entries[e.key] != e || e.key.app != ref {
				t.Fatalf("byApp[%v] holds an entry the cache does not", ref)
			}
			inApps++
		}
	}
	for _, set := range c.byUser {
		inUsers += len(set)
	}
	for _, e := range c.entries {
		if e.miss {
			misses++
		}
	}
	owned := 0
	for _, apps := range c.byOwner {
		owned += len(apps)
	}
	if inApps != len(c.entries) || inUsers != len(c.entries) || misses != c.misses || owned != len(c.byApp) {
		t.Fatalf("%d entries (%d misses, counted %d), %d in byApp, %d in byUser, %d apps under owners of %d",
			len(c.entries), misses, c.misses, inApps, inUsers, owned, len(c.byApp))
	}
}

// TestGrantCacheBounds checks that the cache holds at most maxGrantEntries
// entries, of which at most maxGrantMisses refusals, so that a flood of
// refusals never evicts a grant, and that its indexes follow evictions.
func TestGrantCacheBounds(t *testing.T) {
	now := time.Now()
	c := newGrantCache(time.Minute, func() time.Time { return now })
	put := func(i int, miss bool) {
		k := grantKey{user: "u" + strconv.Itoa(i%97), app: clavis.AppRef{OwnerID: "o" + strconv.Itoa(i%13), AppID: "a" + strconv.Itoa(i)}}
		_, gen := c.lookup(k)
		c.store(&grantEntry{key: k, loadedAt: now, miss: miss}, gen)
	}
	for i := range 100 {
		put(i, false)
	}
	for i := range maxGrantMisses + 500 {
		put(1000+i, true)
	}
	c.consistent(t)
	if c.Len() != 100+maxGrantMisses || c.misses != maxGrantMisses {
		t.Fatalf("Len = %d with %d misses; want the 100 grants and %d misses", c.Len(), c.misses, maxGrantMisses)
	}
	for i := range maxGrantEntries {
		put(100_000+i, false)
	}
	c.consistent(t)
	if c.Len() != maxGrantEntries {
		t.Fatalf("Len = %d, want %d", c.Len(), maxGrantEntries)
	}
	c.invalidateUser("u5")
	c.InvalidateGrants("o3", "")
	c.consistent(t)
	c.invalidateAll()
	c.consistent(t)
	if c.Len() != 0 {
		t.Fatalf("Len = %d after invalidateAll", c.Len())
	}
}

// BenchmarkGrantCacheMemory reports the heap one cached grant costs, with
// ids of typical length, its indexes included.
func BenchmarkGrantCacheMemory(b *testing.B) {
	const n = 50_000
	for b.Loop() {
		now := time.Now()
		c := newGrantCache(time.Minute, func() time.Time { return now })
		var m0, m1 runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m0)
		for i := range n {
			k := grantKey{user: "user-" + strconv.Itoa(i), app: clavis.AppRef{OwnerID: "owner-" + strconv.Itoa(i/4), AppID: "app-" + strconv.Itoa(i)}}
			c.store(&grantEntry{key: k, loadedAt: now, app: clavis.App{OwnerID: k.app.OwnerID, ID: k.app.AppID, Name: k.app.AppID,
				Description: "an app of a benchmark", Visibility: clavis.VisibilityPrivate, CreatedAt: now, UpdatedAt: now}}, 0)
		}
		runtime.GC()
		runtime.ReadMemStats(&m1)
		b.ReportMetric(float64(m1.HeapAlloc-m0.HeapAlloc)/n, "B/entry")
		runtime.KeepAlive(c)
	}
}
