package auth_test

import (
	"context"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/auth"
	"github.com/clavis-dev/clavis/internal/store/sqlite"
)

// outcomes records what an Authenticator observes.
type outcomes struct {
	checks []string // outcome/reason
	hits   []bool
}

func (o *outcomes) ObserveAuthn(outcome, reason string) {
	o.checks = append(o.checks, outcome+"/"+reason)
}
func (o *outcomes) ObserveTokenCache(hit bool) { o.hits = append(o.hits, hit) }

// TestObserver checks that every check is observed once, with its outcome
// and the reason of an invalid token, and every lookup in the cache.
func TestObserver(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "clavis.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Now()
	for _, u := range []*clavis.User{{ID: "alice"}, {ID: "bob", Disabled: true}} {
		u.CreatedAt, u.UpdatedAt = now, now
		if err := db.Users().CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	key := func(id, user string, expires time.Time) string {
		tok, _ := auth.NewToken(clavis.KeyTypePAT)
		k := &clavis.Key{ID: id, UserID: user, Type: clavis.KeyTypePAT, Digest: auth.Hasher{}.Digest(tok), CreatedAt: now, ExpiresAt: expires}
		if err := db.Keys().CreateKey(ctx, k); err != nil {
			t.Fatal(err)
		}
		return tok
	}
	good, expired, disabled := key("k1", "alice", time.Time{}), key("k2", "alice", now.Add(-time.Hour)), key("k3", "bob", time.Time{})
	unknown, _ := auth.NewToken(clavis.KeyTypePAT)

	o := &outcomes{}
	a := auth.NewAuthenticator(db, auth.AuthnConfig{Observer: o, Now: func() time.Time { return now }})
	for _, h := range []string{"", "Bearer x", "Key clvp_short", "Key " + unknown, "Key " + expired, "Key " + disabled, "Key " + good, "Key " + good} {
		a.Authenticate(ctx, h)
	}
	want := []string{
		"no_credentials/", "no_credentials/", "invalid/malformed", "invalid/unknown",
		"invalid/expired", "invalid/disabled", "ok/", "ok/",
	}
	if !reflect.DeepEqual(o.checks, want) {
		t.Errorf("observed %v\nwant     %v", o.checks, want)
	}
	// Well-formed tokens only: unknown, expired, disabled and good miss;
	// good's second check hits.
	if !reflect.DeepEqual(o.hits, []bool{false, false, false, false, true}) {
		t.Errorf("cache lookups %v", o.hits)
	}
	if n := a.CacheLen(); n != 2 { // good and expired; refusals of the store are not cached
		t.Errorf("CacheLen = %d, want 2", n)
	}
	db.Close()
	a.InvalidateAll()
	a.Authenticate(ctx, "Key "+good)
	if got := o.checks[len(o.checks)-1]; got != "error/" {
		t.Errorf("with the store closed: %s, want error/", got)
	}
}
