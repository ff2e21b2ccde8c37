package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/store/sqlstore"
)

// TestClassifyStorage makes SQLite fail for want of space (a database at
// its max_page_count, as a full disk answers SQLITE_FULL) and for want of
// write access (a read-only connection): both are told apart, and become
// the one EStorage error that says why.
func TestClassifyStorage(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "full.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1) // the pragma is the connection's
	for _, q := range []string{`CREATE TABLE t (b BLOB)`, `PRAGMA max_page_count = 8`} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	var full error
	for range 100 {
		if _, full = db.ExecContext(ctx, `INSERT INTO t VALUES (?)`, make([]byte, 4096)); full != nil {
			break
		}
	}
	if got := classify(full); got != sqlstore.ErrFull {
		t.Fatalf("classify(%v) = %v, want ErrFull", full, got)
	}
	if u := dialect.Unavailable(clavis.Internal(full)); clavis.ErrorCode(u) != clavis.EStorage || !strings.Contains(clavis.ErrorMessage(u), "full") {
		t.Fatalf("Unavailable(%v) = %v; want EStorage saying full", full, u)
	}

	ro, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	_, err = ro.ExecContext(ctx, `DELETE FROM t`)
	if got := classify(err); got != sqlstore.ErrReadOnly {
		t.Fatalf("classify(%v) = %v, want ErrReadOnly", err, got)
	}
	if u := dialect.Unavailable(err); clavis.ErrorCode(u) != clavis.EStorage || !strings.Contains(clavis.ErrorMessage(u), "read-only") {
		t.Fatalf("Unavailable(%v) = %v; want EStorage saying read-only", err, u)
	}
	if dialect.Unavailable(clavis.Internal(sql.ErrConnDone)) != nil {
		t.Fatal("another failure is not storage")
	}
}
