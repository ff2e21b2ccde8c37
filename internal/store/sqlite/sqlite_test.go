package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/store/sqlite"
	"github.com/clavis-dev/clavis/internal/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) clavis.Store {
		db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "clavis.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	})
}

func TestReopenKeepsData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "clavis.db")
	ctx := context.Background()
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Users().CreateUser(ctx, &clavis.User{ID: "alice"}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = sqlite.Open(ctx, path) // migrations must not run twice
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Users().GetUser(ctx, "alice"); err != nil {
		t.Fatalf("after reopen: %v", err)
	}
}
