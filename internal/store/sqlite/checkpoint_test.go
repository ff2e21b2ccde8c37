package sqlite

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clavis-dev/clavis/internal/store/sqlstore"
)

// TestCheckpointsInBackground writes far more than one WAL's worth in many
// transactions: no commit checkpoints (wal_autocheckpoint is off), yet the
// background checkpoints copy the pages into the database file and keep
// the WAL to a fraction of what was written.
func TestCheckpointsInBackground(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "c.db")
	d, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var auto int
	if err := d.db.QueryRowContext(ctx, `PRAGMA wal_autocheckpoint`).Scan(&auto); err != nil || auto != 0 {
		t.Fatalf("wal_autocheckpoint = %d (%v); the commits would checkpoint", auto, err)
	}
	exec := func(q string, args ...any) {
		t.Helper()
		if err := d.runTx(ctx, func(tx sqlstore.Querier) error { _, err := tx.ExecContext(ctx, q, args...); return err }); err != nil {
			t.Fatal(err)
		}
	}
	exec(`CREATE TABLE filler (b BLOB)`)
	row := []byte(strings.Repeat("x", 64<<10))
	const writes = 400 // 25 MiB in all
	for i := range writes {
		exec(`INSERT INTO filler VALUES (?)`, row)
		if i%50 == 0 {
			time.Sleep(2 * checkpointEvery) // the checkpoints keep up with a pause now and then
		}
	}
	written := int64(writes * len(row))
	var main, wal int64
	for range 100 {
		m, err1 := os.Stat(path)
		w, err2 := os.Stat(path + "-wal")
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		main, wal = m.Size(), w.Size()
		if main >= written {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if main < written {
		t.Fatalf("the database file holds %d bytes of the %d written: the WAL was not checkpointed", main, written)
	}
	if wal > written/2 {
		t.Fatalf("the WAL grew to %d bytes for %d written: it is not reused after checkpoints", wal, written)
	}
	t.Logf("database %d bytes, WAL %d bytes, for %d written", main, wal, written)
}
