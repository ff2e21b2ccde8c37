package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/store/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// maxConns bounds the pool. SQLite runs one writer at a time; readers run
// beside it in WAL mode.
const maxConns = 8

// DB is a Clavis store in one SQLite file. It is safe for concurrent use.
type DB struct {
	*sqlstore.Store
	db    *sql.DB
	stmts *stmtCache
	path  string
	// writer admits one write transaction at a time, requests' first.
	writer gate
	// ckpt checkpoints the WAL off the writes' path; nil in memory.
	ckpt *checkpointer
}

// writerWait bounds the wait for the writer slot, as busy_timeout bounds
// the wait for SQLite's lock.
const writerWait = 10 * time.Second

var _ clavis.Store = (*DB)(nil)

// dialect is SQLite's: ? placeholders and its extended result codes.
var dialect = &sqlstore.Dialect{Name: "sqlite", Classify: classify, Instr: "instr", JSONEquals: jsonEquals}

// jsonEquals compares with SQLite's JSON functions: the same JSON type
// (true and 1 differ) and the same value (lists as their minified text).
func jsonEquals(col string, path []string, value string) (string, []any) {
	p := `$."` + strings.Join(path, `"."`) + `"`
	return `(json_type(` + col + `, ?) = json_type(?) AND json_extract(` + col + `, ?) = json_extract(?, '$'))`, []any{p, value, p, value}
}

func classify(err error) sqlstore.ErrClass {
	switch {
	case errors.Is(err, syscall.ENOSPC):
		return sqlstore.ErrFull
	case errors.Is(err, syscall.EROFS):
		return sqlstore.ErrReadOnly
	}
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return sqlstore.ErrOther
	}
	switch se.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return sqlstore.ErrUnique
	case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return sqlstore.ErrForeignKey
	}
	// By primary code (the low byte), whatever the extended one: SQLite
	// answers a write that meets ENOSPC, or the max_page_count, with FULL;
	// a database it cannot write with READONLY.
	switch se.Code() & 0xff {
	case sqlite3.SQLITE_FULL:
		return sqlstore.ErrFull
	case sqlite3.SQLITE_READONLY:
		return sqlstore.ErrReadOnly
	}
	return sqlstore.ErrOther
}

// Open opens (creating if needed) the database at path and applies pending
// migrations. Writes are durable once acknowledged: the database runs in WAL
// mode with full synchronous commits. A new database file is created
// readable by its owner only.
func Open(ctx context.Context, path string) (*DB, error) {
	if path != ":memory:" {
		abs, err := filepath.Abs(path)
		if err != nil {
			return nil, err
		}
		path = abs
		if err := createPrivate(path); err != nil {
			return nil, fmt.Errorf("open %s: %w", path, err)
		}
	}
	// Transactions take the write lock when they begin (_txlock=immediate):
	// a transaction that reads before it writes cannot then fail to upgrade
	// its lock, and writers queue on busy_timeout. The WAL is checkpointed
	// in the background (checkpoint.go), not by the commits.
	dsn := "file:" + path + "?_txlock=immediate" +
		"&_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)" +
		"&_pragma=synchronous(FULL)&_pragma=foreign_keys(1)&_pragma=wal_autocheckpoint(0)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	// Idle connections equal to open ones, and no idle timeout: a
	// connection closed and reopened under load re-prepares every statement.
	db.SetMaxOpenConns(maxConns)
	db.SetMaxIdleConns(maxConns)
	if err := sqlstore.Migrate(ctx, db, dialect, migrations); err != nil {
		db.Close()
		return nil, fmt.Errorf("migrate %s: %w", path, err)
	}
	stmts := newStmtCache(db)
	d := &DB{db: db, stmts: stmts, path: path}
	if path != ":memory:" {
		d.ckpt = startCheckpointer(db)
	}
	d.Store = sqlstore.New(sqlstore.Engine{Dialect: dialect, Q: stmts, RunTx: d.runTx})
	return d, nil
}

// createPrivate creates an empty file at path with mode 0600 unless one
// exists, so that SQLite opens it rather than creating it with the umask's
// mode.
func createPrivate(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return f.Close()
}

// Close closes the database.
func (d *DB) Close() error {
	if d.ckpt != nil {
		d.ckpt.close()
	}
	d.stmts.close()
	return d.db.Close()
}

// Stats returns the statistics of the connection pool.
func (d *DB) Stats() sql.DBStats { return d.db.Stats() }

// runTx runs fn in one immediate (write-locking) transaction. SQLite runs
// one writer at a time, so a transaction never conflicts with another and fn
// runs once. A request's transaction goes before background work's
// (clavis.Background) that waits with it.
func (d *DB) runTx(ctx context.Context, fn func(sqlstore.Querier) error) error {
	if err := d.writer.enter(ctx, clavis.IsBackground(ctx), writerWait); err != nil {
		return err
	}
	defer d.writer.leave()
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return clavis.Internal(fmt.Errorf("begin: %w", err))
	}
	if err := fn(cachedTx{tx: tx, c: d.stmts}); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return clavis.Internal(fmt.Errorf("commit: %w", err))
	}
	if d.ckpt != nil {
		d.ckpt.wrote()
	}
	return nil
}
