package postgres

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/store/postgres/pgtest"
	"github.com/clavis-dev/clavis/internal/store/sqlstore"
)

// TestClassifyStorage: a write in a read-only transaction (as on a hot
// standby) is ErrReadOnly, and PostgreSQL's disk_full is ErrFull; both
// become EStorage.
func TestClassifyStorage(t *testing.T) {
	ctx := context.Background()
	db, err := sql.Open("pgx", pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `CREATE TABLE t (n int)`); err != nil {
		t.Fatal(err)
	}
	tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO t VALUES (1)`)
	tx.Rollback()
	if got := classify(err); got != sqlstore.ErrReadOnly {
		t.Fatalf("classify(%v) = %v, want ErrReadOnly", err, got)
	}
	if clavis.ErrorCode(dialect.Unavailable(clavis.Internal(err))) != clavis.EStorage {
		t.Fatalf("Unavailable(%v) is not EStorage", err)
	}
	// A full disk cannot be made here; its SQLSTATE is.
	full := &pgconn.PgError{Code: diskFull, Message: "could not extend file: No space left on device"}
	if got := classify(full); got != sqlstore.ErrFull {
		t.Fatalf("classify(disk_full) = %v, want ErrFull", got)
	}
}

// TestRetryPause checks that the pause before a retry stays positive and
// within a bound that doubles from retryPauseMin to retryPauseMax, so that
// transactions aborting each other spread out.
func TestRetryPause(t *testing.T) {
	bound := retryPauseMin
	for attempt := 1; attempt <= maxAttempts; attempt, bound = attempt+1, min(2*bound, retryPauseMax) {
		var longest time.Duration
		for range 200 {
			p := retryPause(attempt)
			if p <= 0 || p > bound {
				t.Fatalf("attempt %d: pause %v outside (0, %v]", attempt, p, bound)
			}
			longest = max(longest, p)
		}
		if longest < bound/4 {
			t.Errorf("attempt %d: the longest of 200 pauses is %v, far under its bound %v", attempt, longest, bound)
		}
	}
}
