package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

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

// TestPoolKeepsConnections runs eight concurrent readers: the pool opens
// at most eight connections and never closes one for being idle, which
// would throw its prepared statements away.
func TestPoolKeepsConnections(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "clavis.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Now()
	if err := db.Users().CreateUser(ctx, &clavis.User{ID: "alice", CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	ref := clavis.AppRef{OwnerID: "alice", AppID: "photos"}
	if err := db.Apps().CreateApp(ctx, &clavis.App{OwnerID: "alice", ID: "photos", Visibility: clavis.VisibilityPrivate, CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	const callers, calls = 8, 300
	var g errgroup.Group
	for range callers {
		g.Go(func() error {
			for range calls {
				if _, err := db.Apps().GetApp(ctx, ref); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	st := db.Stats()
	if st.OpenConnections > 8 {
		t.Errorf("%d connections open, want at most 8", st.OpenConnections)
	}
	if closed := st.MaxIdleClosed + st.MaxIdleTimeClosed + st.MaxLifetimeClosed; closed != 0 {
		t.Errorf("the pool closed %d connections under load (idle %d, idle time %d, lifetime %d)", closed, st.MaxIdleClosed, st.MaxIdleTimeClosed, st.MaxLifetimeClosed)
	}
}

// TestAuditAppendOnly checks that the database itself refuses to change an
// audit entry, whoever writes to the file.
func TestAuditAppendOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "clavis.db")
	ctx := context.Background()
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Audit().AppendAudit(ctx, &clavis.AuditEntry{ID: "e1", At: time.Now(), Event: clavis.AuditLogin}); err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.ExecContext(ctx, `UPDATE audit_log SET success = TRUE WHERE id = 'e1'`); err == nil || !strings.Contains(err.Error(), "append-only") {
		t.Fatalf("UPDATE of the audit log: %v, want refused as append-only", err)
	}
}
