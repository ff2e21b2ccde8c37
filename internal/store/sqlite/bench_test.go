package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/store/sqlite"
)

// BenchmarkHotReads measures the reads every authenticated call makes: a
// key by digest (on a cache miss) and an app (every app-scoped call).
func BenchmarkHotReads(b *testing.B) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "clavis.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	now := time.Now()
	db.Users().CreateUser(ctx, &clavis.User{ID: "alice", CreatedAt: now, UpdatedAt: now})
	db.Apps().CreateApp(ctx, &clavis.App{OwnerID: "alice", ID: "photos", Visibility: clavis.VisibilityPrivate, CreatedAt: now, UpdatedAt: now})
	db.Keys().CreateKey(ctx, &clavis.Key{ID: "k", UserID: "alice", Type: clavis.KeyTypePAT, Digest: []byte("digest"), Scopes: clavis.AllScopes(), CreatedAt: now})
	b.Run("GetApp", func(b *testing.B) {
		for b.Loop() {
			if _, err := db.Apps().GetApp(ctx, clavis.AppRef{OwnerID: "alice", AppID: "photos"}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("GetKeyByDigest", func(b *testing.B) {
		for b.Loop() {
			if _, err := db.Keys().GetKeyByDigest(ctx, []byte("digest")); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("GetOrgMiss", func(b *testing.B) {
		for b.Loop() {
			if _, err := db.Orgs().GetOrg(ctx, "alice"); clavis.ErrorCode(err) != clavis.ENotFound {
				b.Fatal(err)
			}
		}
	})
}
