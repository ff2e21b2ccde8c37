package postgres_test

import (
	"context"
	"database/sql"
	"strings"
	"sync"
	"testing"
	"time"

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

func TestPostgresBlobs(t *testing.T) {
	storetest.RunBlobs(t, func(t *testing.T) (clavis.Store, clavis.BlobStore) {
		db := open(t, pgtest.NewDatabase(t))
		return db, db.Blobs()
	})
}

// TestPostgresBlobsGoWithReferences checks that content is kept only for a
// referenced blob: it cannot be stored without a reference, and it goes
// with its reference.
func TestPostgresBlobsGoWithReferences(t *testing.T) {
	db := open(t, pgtest.NewDatabase(t))
	ctx := context.Background()
	now := time.Now()
	if err := db.Users().CreateUser(ctx, &clavis.User{ID: "alice", CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	ref := clavis.AppRef{OwnerID: "alice", AppID: "photos"}
	if err := db.Apps().CreateApp(ctx, &clavis.App{OwnerID: "alice", ID: "photos", Visibility: clavis.VisibilityPrivate, CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	sha := "aa" + strings.Repeat("0", 62)
	keys, err := db.Inputs().ReserveBlobs(ctx, ref, []clavis.BlobRef{{SHA256: sha, Size: 3}}, now, now)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Blobs().PutBlob(ctx, clavis.BlobKey{Space: keys[0].Space, SHA256: "bb" + sha[2:]}, []byte("abc")); clavis.ErrorCode(err) != clavis.ENotFound {
		t.Fatalf("PutBlob without a reference = %v, want ENotFound", err)
	}
	if err := db.Blobs().PutBlob(ctx, keys[0], []byte("abc")); err != nil {
		t.Fatal(err)
	}
	in := &clavis.StoredInput{App: ref, ID: "a", Status: clavis.InputPending, Blob: &keys[0], CreatedAt: now, UpdatedAt: now}
	if err := db.Inputs().CreateInputs(ctx, ref, []*clavis.StoredInput{in}); err != nil {
		t.Fatal(err)
	}
	freed, err := db.Inputs().DeleteInputs(ctx, ref, []string{"a"}, now.Add(time.Second))
	if err != nil || len(freed) != 1 {
		t.Fatalf("DeleteInputs = %v %v", freed, err)
	}
	if _, err := db.Blobs().GetBlob(ctx, keys[0]); clavis.ErrorCode(err) != clavis.ENotFound {
		t.Fatalf("content outlived its reference: %v", err)
	}
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

// TestPostgresNoWriteSkew runs the service's "an org keeps one admin" check
// in two transactions at once, each removing one of the org's two admins
// after both have counted them: as on SQLite, where transactions run one at
// a time, one removal wins and the other sees the org down to one admin.
func TestPostgresNoWriteSkew(t *testing.T) {
	db := open(t, pgtest.NewDatabase(t))
	ctx := context.Background()
	now := time.Now()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range []string{"ann", "bea"} {
		must(db.Users().CreateUser(ctx, &clavis.User{ID: id, CreatedAt: now, UpdatedAt: now}))
	}
	must(db.Orgs().CreateOrg(ctx, &clavis.Org{ID: "acme", CreatedAt: now, UpdatedAt: now}))
	for _, id := range []string{"ann", "bea"} {
		must(db.Orgs().PutMember(ctx, &clavis.OrgMember{OrgID: "acme", UserID: id, Role: clavis.RoleAdmin, Scopes: clavis.AllScopes(), CreatedAt: now}))
	}

	var counted sync.WaitGroup // both have counted the admins once
	counted.Add(2)
	errs := make(chan error, 2)
	for _, id := range []string{"ann", "bea"} {
		go func() {
			first := true
			errs <- db.WithTx(ctx, func(tx clavis.Tx) error {
				ms, err := tx.Orgs().ListMembers(ctx, "acme", clavis.Page{})
				if err != nil {
					return err
				}
				if first {
					first = false
					counted.Done()
					counted.Wait()
				}
				if len(ms) < 2 {
					return clavis.Errorf(clavis.EInvalid, "last admin")
				}
				return tx.Orgs().RemoveMember(ctx, "acme", id)
			})
		}()
	}
	var refused int
	for range 2 {
		switch err := <-errs; clavis.ErrorCode(err) {
		case "":
		case clavis.EInvalid:
			refused++
		default:
			t.Fatalf("removal: %v", err)
		}
	}
	ms, err := db.Orgs().ListMembers(ctx, "acme", clavis.Page{})
	must(err)
	if len(ms) != 1 || refused != 1 {
		t.Fatalf("%d admins left, %d removals refused; want 1 and 1", len(ms), refused)
	}
}

// TestPostgresAuditAppendOnly checks that the database itself refuses to
// change an audit entry, whoever connects to it.
func TestPostgresAuditAppendOnly(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	db := open(t, dsn)
	ctx := context.Background()
	if err := db.Audit().AppendAudit(ctx, &clavis.AuditEntry{ID: "e1", At: time.Now(), Event: clavis.AuditLogin}); err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.ExecContext(ctx, `UPDATE audit_log SET success = TRUE WHERE id = 'e1'`); err == nil || !strings.Contains(err.Error(), "append-only") {
		t.Fatalf("UPDATE of the audit log: %v, want refused as append-only", err)
	}
}
