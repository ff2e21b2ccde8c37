package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/clavis-dev/clavis/clavis"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

//go:embed migrations/*.sql
var migrations embed.FS

// querier is what *sql.DB and *sql.Tx have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// DB is a Clavis store in one SQLite file. It is safe for concurrent use.
type DB struct {
	db    *sql.DB
	stmts *stmtCache
	view
}

var _ clavis.Store = (*DB)(nil)

// view implements clavis.Tx over a querier.
type view struct{ q querier }

func (v view) Users() clavis.UserStore { return users{v.q} }
func (v view) Apps() clavis.AppStore   { return apps{v.q} }
func (v view) Keys() clavis.KeyStore   { return keys{v.q} }
func (v view) Collaborators() clavis.CollaboratorStore {
	return collaborators{v.q}
}
func (v view) Orgs() clavis.OrgStore { return orgs{v.q} }

// Open opens (creating if needed) the database at path and applies pending
// migrations. Writes are durable once acknowledged: the database runs in WAL
// mode with full synchronous commits.
func Open(ctx context.Context, path string) (*DB, error) {
	if path != ":memory:" {
		abs, err := filepath.Abs(path)
		if err != nil {
			return nil, err
		}
		path = abs
	}
	dsn := "file:" + path + "?_txlock=immediate" +
		"&_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)" +
		"&_pragma=synchronous(FULL)&_pragma=foreign_keys(1)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db.SetMaxOpenConns(8)
	db.SetConnMaxIdleTime(time.Minute)
	if err := migrate(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("migrate %s: %w", path, err)
	}
	stmts := newStmtCache(db)
	return &DB{db: db, stmts: stmts, view: view{stmts}}, nil
}

// Close closes the database.
func (d *DB) Close() error {
	d.stmts.close()
	return d.db.Close()
}

// WithTx runs fn in one immediate (write-locking) transaction.
func (d *DB) WithTx(ctx context.Context, fn func(tx clavis.Tx) error) error {
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return clavis.Internal(fmt.Errorf("begin: %w", err))
	}
	if err := fn(view{cachedTx{tx: tx, c: d.stmts}}); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return clavis.Internal(fmt.Errorf("commit: %w", err))
	}
	return nil
}

// inTx runs fn in a transaction: q's own when q is one already, else a new
// one, so that a store method of several statements is never half-done.
func inTx(ctx context.Context, q querier, fn func(querier) error) error {
	c, ok := q.(*stmtCache)
	if !ok {
		return fn(q)
	}
	tx, err := c.db.BeginTx(ctx, nil)
	if err != nil {
		return clavis.Internal(err)
	}
	if err := fn(cachedTx{tx: tx, c: c}); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return clavis.Internal(err)
	}
	return nil
}

// migrate applies the embedded migrations not yet recorded, each in its own
// transaction.
func migrate(ctx context.Context, db *sql.DB) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)`); err != nil {
		return err
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		var n int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE name = ?`, name).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			continue
		}
		body, err := migrations.ReadFile(name)
		if err != nil {
			return err
		}
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			tx.Rollback()
			return fmt.Errorf("%s: %w", name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)`, name, time.Now().Unix()); err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	return nil
}

// storeErr maps driver errors to domain errors: unique violations become
// EConflict with the given message, everything else EInternal.
func storeErr(err error, conflict string) error {
	if err == nil {
		return nil
	}
	var de *clavis.Error
	if errors.As(err, &de) {
		return err
	}
	if strings.Contains(err.Error(), "UNIQUE constraint failed") || strings.Contains(err.Error(), "PRIMARY KEY constraint failed") {
		return clavis.Errorf(clavis.EConflict, "%s", conflict)
	}
	return clavis.Internal(err)
}

// mustAffect returns ENotFound when res changed no row.
func mustAffect(res sql.Result, err error, notFound string) error {
	if err != nil {
		return clavis.Internal(err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return clavis.Internal(err)
	}
	if n == 0 {
		return clavis.Errorf(clavis.ENotFound, "%s", notFound)
	}
	return nil
}

func joinScopes(s clavis.ScopeSet) string { return strings.Join(s.Names(), " ") }

func parseScopes(s string) (clavis.ScopeSet, error) { return clavis.ParseScopes(strings.Fields(s)) }

func toUnix(t time.Time) int64 { return t.UnixMicro() }

func fromUnix(n int64) time.Time { return time.UnixMicro(n).UTC() }

func nullTime(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMicro(), Valid: true}
}

func fromNull(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return fromUnix(n.Int64)
}
