package postgres_test

import (
	"context"
	"sync"
	"testing"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/store/postgres"
	"github.com/clavis-dev/clavis/internal/store/postgres/pgtest"
	"github.com/clavis-dev/clavis/internal/store/storetest"
)

func open(t testing.TB, dsn string) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestPostgresConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) clavis.Store { return open(t, pgtest.NewDatabase(t)) })
}

// TestPostgresConcurrentMigrations opens one empty database from several
// goroutines at once, as replicas starting together do: every open succeeds
// and the schema is applied once.
func TestPostgresConcurrentMigrations(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	const replicas = 6
	var wg sync.WaitGroup
	errs := make(chan error, replicas)
	for range replicas {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db, err := postgres.Open(context.Background(), dsn)
			if err != nil {
				errs <- err
				return
			}
			db.Close()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent open: %v", err)
	}
	db := open(t, dsn)
	ctx := context.Background()
	if err := db.Users().CreateUser(ctx, &clavis.User{ID: "alice"}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db = open(t, dsn) // migrations must not run twice
	if _, err := db.Users().GetUser(ctx, "alice"); err != nil {
		t.Fatalf("after reopen: %v", err)
	}
}
