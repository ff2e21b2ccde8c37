package auth

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/store/sqlite"
)

// TestCacheIndex checks that the index follows the cache through loads,
// refreshes after the TTL, and every kind of invalidation, and that
// InvalidateKeys and InvalidateUser drop exactly their entries.
func TestCacheIndex(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "clavis.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Now()
	a := NewAuthenticator(db, AuthnConfig{Now: func() time.Time { return now }})
	toks := map[string]string{} // key id → token
	for _, u := range []string{"alice", "bob"} {
		if err := db.Users().CreateUser(ctx, &clavis.User{ID: u, CreatedAt: now, UpdatedAt: now}); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"1", "2", "3"} {
			tok, _ := NewToken(clavis.KeyTypePAT)
			id := u + k
			if err := db.Keys().CreateKey(ctx, &clavis.Key{ID: id, UserID: u, Type: clavis.KeyTypePAT, Digest: Hasher{}.Digest(tok), CreatedAt: now}); err != nil {
				t.Fatal(err)
			}
			toks[id] = tok
		}
	}
	verifyAll := func() {
		t.Helper()
		for _, tok := range toks {
			if _, err := a.Verify(ctx, tok); err != nil {
				t.Fatal(err)
			}
		}
	}
	consistent := func(wantEntries, wantUsers int) {
		t.Helper()
		keys, users := a.indexLen()
		if n := a.CacheLen(); n != wantEntries || keys != wantEntries || users != wantUsers {
			t.Fatalf("cache %d, index %d keys %d users; want %d entries of %d users", n, keys, users, wantEntries, wantUsers)
		}
	}
	verifyAll()
	consistent(6, 2)
	now = now.Add(DefaultCacheTTL) // every entry reloads, replacing itself
	verifyAll()
	consistent(6, 2)

	a.InvalidateKeys("alice2", "bob3", "nobody")
	consistent(4, 2)
	a.mu.Lock()
	_, gone := a.idx.byKey["alice2"]
	_, kept := a.idx.byKey["alice1"]
	a.mu.Unlock()
	if gone || !kept {
		t.Fatalf("InvalidateKeys dropped the wrong entries")
	}
	a.InvalidateUser("bob")
	consistent(2, 1)
	verifyAll()
	consistent(6, 2)
	a.InvalidateApp(clavis.AppRef{OwnerID: "alice", AppID: "x"}) // no app keys: nothing dropped
	consistent(6, 2)
	a.InvalidateAll()
	consistent(0, 0)
}
