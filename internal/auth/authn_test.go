package auth_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/auth"
	"github.com/clavis-dev/clavis/internal/store/sqlite"
)

type fixture struct {
	db    *sqlite.DB
	authn *auth.Authenticator
	now   time.Time
}

func newFixture(tb testing.TB) *fixture {
	db, err := sqlite.Open(context.Background(), filepath.Join(tb.TempDir(), "clavis.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	f := &fixture{db: db, now: time.Now()}
	f.authn = auth.NewAuthenticator(db, auth.AuthnConfig{Now: func() time.Time { return f.now }})
	if err := db.Users().CreateUser(context.Background(), &clavis.User{ID: "alice", CreatedAt: f.now, UpdatedAt: f.now}); err != nil {
		tb.Fatal(err)
	}
	return f
}

func (f *fixture) key(tb testing.TB, id string, expires time.Time) string {
	tok, _ := auth.NewToken(clavis.KeyTypePAT)
	k := &clavis.Key{ID: id, UserID: "alice", Type: clavis.KeyTypePAT, Digest: auth.Hasher{}.Digest(tok), Scopes: clavis.MustScopes("Apps:Get"), CreatedAt: f.now, ExpiresAt: expires}
	if err := f.db.Keys().CreateKey(context.Background(), k); err != nil {
		tb.Fatal(err)
	}
	return tok
}

func TestAuthenticate(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	tok := f.key(t, "k1", time.Time{})
	p, err := f.authn.Authenticate(ctx, "Key "+tok)
	if err != nil || p.UserID != "alice" || p.KeyID != "k1" || p.KeyType != clavis.KeyTypePAT || !p.Scopes.Has("Apps:Get") {
		t.Fatalf("Authenticate = %+v, %v", p, err)
	}

	t.Run("DeletedKeyRefusedAtOnce", func(t *testing.T) {
		if err := f.db.Keys().DeleteKey(ctx, "k1"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.authn.Verify(ctx, tok); err != nil {
			t.Fatalf("without invalidation the cached entry still answers (as designed): %v", err)
		}
		f.authn.InvalidateKeys("k1")
		if _, err := f.authn.Verify(ctx, tok); clavis.ErrorCode(err) != clavis.EUnauthenticated {
			t.Fatalf("deleted key: %v", err)
		}
	})
	t.Run("Expired", func(t *testing.T) {
		tok := f.key(t, "k2", f.now.Add(time.Hour))
		if _, err := f.authn.Verify(ctx, tok); err != nil {
			t.Fatal(err)
		}
		f.now = f.now.Add(2 * time.Hour) // cached, but expiry is checked on every hit
		_, err := f.authn.Verify(ctx, tok)
		if clavis.ErrorCode(err) != clavis.EUnauthenticated || clavis.ErrorMessage(err) != "the token has expired" {
			t.Fatalf("expired key: %v", err)
		}
	})
	t.Run("DisabledUser", func(t *testing.T) {
		tok := f.key(t, "k3", time.Time{})
		u, _ := f.db.Users().GetUser(ctx, "alice")
		u.Disabled = true
		f.db.Users().UpdateUser(ctx, u)
		f.authn.InvalidateUser("alice")
		if _, err := f.authn.Verify(ctx, tok); clavis.ErrorCode(err) != clavis.EUnauthenticated {
			t.Fatalf("disabled user: %v", err)
		}
	})
	t.Run("TTLBoundsStaleness", func(t *testing.T) {
		u, _ := f.db.Users().GetUser(ctx, "alice")
		u.Disabled = false
		f.db.Users().UpdateUser(ctx, u)
		f.authn.InvalidateAll()
		tok := f.key(t, "k4", time.Time{})
		if _, err := f.authn.Verify(ctx, tok); err != nil {
			t.Fatal(err)
		}
		f.db.Keys().DeleteKey(ctx, "k4") // a change this process was not told about
		f.now = f.now.Add(auth.DefaultCacheTTL)
		if _, err := f.authn.Verify(ctx, tok); clavis.ErrorCode(err) != clavis.EUnauthenticated {
			t.Fatalf("after the TTL a deleted key must be refused: %v", err)
		}
	})
	t.Run("Malformed", func(t *testing.T) {
		if _, err := f.authn.Authenticate(ctx, "Bearer x"); clavis.ErrorCode(err) != clavis.ENoCredentials {
			t.Fatalf("bad scheme: %v", err)
		}
		typo := tok[:len(tok)-1] + "0"
		if typo == tok {
			typo = tok[:len(tok)-1] + "1"
		}
		if _, err := f.authn.Authenticate(ctx, "Key "+typo); clavis.ErrorCode(err) != clavis.EUnauthenticated {
			t.Fatalf("typo: %v", err)
		}
	})
}

// BenchmarkVerify measures token verification on a cache hit (memory only)
// against a miss (checksum, digest, and two store reads).
func BenchmarkVerify(b *testing.B) {
	ctx := context.Background()
	f := newFixture(b)
	tok := f.key(b, "k1", time.Time{})
	b.Run("CacheHit", func(b *testing.B) {
		if _, err := f.authn.Verify(ctx, tok); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := f.authn.Verify(ctx, tok); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("CacheMiss", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			f.authn.InvalidateAll()
			if _, err := f.authn.Verify(ctx, tok); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Typo", func(b *testing.B) {
		bad := tok[:len(tok)-1] + "0"
		if bad == tok {
			bad = tok[:len(tok)-1] + "1"
		}
		for b.Loop() {
			if _, err := f.authn.Verify(ctx, bad); err == nil {
				b.Fatal("typo accepted")
			}
		}
	})
}

// TestAppKeyOfDeletedApp checks that an app key whose app is gone is refused
// as an invalid key, not as a missing app, even by a token cache that still
// holds the key: replicas must answer alike whether or not the deletion has
// reached them. A PAT naming the same app gets "not found".
func TestAppKeyOfDeletedApp(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	z := auth.NewAuthorizer(f.db)
	const getApp = "/clarifai.api.V2/GetApp"
	gone := clavis.AppRef{OwnerID: "alice", AppID: "gone"}
	key := &clavis.Principal{UserID: "alice", KeyType: clavis.KeyTypeApp, App: &gone, Scopes: clavis.AllScopes()}
	if _, err := z.Authorize(ctx, getApp, key, auth.Request{}); clavis.ErrorCode(err) != clavis.EUnauthenticated {
		t.Errorf("app key of a deleted app: %v, want EUnauthenticated", err)
	}
	pat := &clavis.Principal{UserID: "alice", KeyType: clavis.KeyTypePAT, Scopes: clavis.AllScopes()}
	if _, err := z.Authorize(ctx, getApp, pat, auth.Request{UserID: "alice", AppID: "gone"}); clavis.ErrorCode(err) != clavis.ENotFound {
		t.Errorf("PAT on a missing app: %v, want ENotFound", err)
	}
}

// TestUnknownTokensCached: a well-formed token the store does not know is
// remembered as such, so that asking again costs no lookup, until its TTL
// or an invalidation; Peek tells what the cache knows without the store.
func TestUnknownTokensCached(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	o := &outcomes{}
	a := auth.NewAuthenticator(f.db, auth.AuthnConfig{Observer: o, Now: func() time.Time { return f.now }})
	unknown, _ := auth.NewToken(clavis.KeyTypePAT)
	good := f.key(t, "k1", time.Time{})
	for h, want := range map[string]auth.Cached{"": auth.CachedInvalid, "Key clvp_short": auth.CachedInvalid, "Key " + unknown: auth.CachedNot, "Key " + good: auth.CachedNot} {
		if got := a.Peek(h); got != want {
			t.Errorf("Peek(%q) before any check = %v, want %v", h, got, want)
		}
	}
	_, err1 := a.Authenticate(ctx, "Key "+unknown)
	_, err2 := a.Authenticate(ctx, "Key "+unknown)
	if clavis.ErrorCode(err1) != clavis.EUnauthenticated || err2 == nil || err1.Error() != err2.Error() {
		t.Fatalf("unknown token twice: %v, %v; want the same EUnauthenticated", err1, err2)
	}
	if want := []bool{false, true}; len(o.hits) != 2 || o.hits[0] != want[0] || o.hits[1] != want[1] {
		t.Fatalf("cache lookups %v; want a miss then a hit", o.hits)
	}
	if _, err := a.Authenticate(ctx, "Key "+good); err != nil {
		t.Fatal(err)
	}
	if a.Peek("Key "+unknown) != auth.CachedInvalid || a.Peek("Key "+good) != auth.CachedValid {
		t.Fatalf("Peek after checks: unknown %v, good %v", a.Peek("Key "+unknown), a.Peek("Key "+good))
	}
	f.now = f.now.Add(auth.DefaultCacheTTL)
	if a.Peek("Key "+unknown) != auth.CachedNot {
		t.Fatal("an unknown token is still cached past the TTL")
	}
	a.Authenticate(ctx, "Key "+unknown)
	a.InvalidateKeys("other")
	if a.Peek("Key "+unknown) != auth.CachedNot {
		t.Fatal("an unknown token is still cached after an invalidation")
	}
}
