package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	mrand "math/rand/v2"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver

	"github.com/clavis-dev/clavis/clavis"
)

//go:embed migrations/*.sql
var migrations embed.FS

// migrationLock is the pg_advisory_xact_lock key under which migrations run,
// so that replicas starting at once migrate once.
const migrationLock = 0x636c61766973 // "clavis"

// querier is what *sql.DB and *sql.Tx have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// DB is a Clavis store in one PostgreSQL database. It is safe for concurrent
// use, also by several processes: each store method and WithTx runs in its
// own transaction.
type DB struct {
	db  *sql.DB
	dsn string
	view

	mu        sync.Mutex
	notifiers []*Notifier // stopped by Close
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

// IsDSN reports whether s names a PostgreSQL database (a postgres:// or
// postgresql:// URL).
func IsDSN(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// Open connects to the database named by dsn (a postgres:// URL or a
// key=value connection string) and applies pending migrations. Writes are
// durable once acknowledged as long as the server keeps its default
// synchronous_commit.
func Open(ctx context.Context, dsn string) (*DB, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(8)
	db.SetConnMaxIdleTime(time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to postgres: %w", err)
	}
	if err := migrate(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("migrate postgres: %w", err)
	}
	return &DB{db: db, dsn: dsn, view: view{db}}, nil
}

// Close stops the notifiers made with NewNotifier and closes the database.
func (d *DB) Close() error {
	d.mu.Lock()
	ns := d.notifiers
	d.notifiers = nil
	d.mu.Unlock()
	for _, n := range ns {
		n.Close()
	}
	return d.db.Close()
}

// WithTx runs fn in one serializable transaction, so that work spanning
// several statements behaves as if transactions ran one at a time, as on
// SQLite (a check such as "an org keeps one admin" cannot be raced). When
// PostgreSQL aborts the transaction for a serialization failure or a
// deadlock, WithTx runs fn again in a new one: fn must have no effects but
// through tx.
func (d *DB) WithTx(ctx context.Context, fn func(tx clavis.Tx) error) error {
	return serializable(ctx, d.db, func(tx *sql.Tx) error { return fn(view{tx}) })
}

// inTx runs fn in a transaction: q's own when q is one already, else a new
// serializable one, so that a store method of several statements is never
// half-done.
func inTx(ctx context.Context, q querier, fn func(querier) error) error {
	db, ok := q.(*sql.DB)
	if !ok {
		return fn(q)
	}
	return serializable(ctx, db, func(tx *sql.Tx) error { return fn(tx) })
}

// maxAttempts bounds how often serializable runs a transaction that
// PostgreSQL keeps aborting.
const maxAttempts = 50

// serializable runs fn in a serializable transaction on db and commits it,
// retrying after a short random pause when PostgreSQL reports a
// serialization failure or a deadlock.
func serializable(ctx context.Context, db *sql.DB, fn func(*sql.Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := runTx(ctx, db, fn)
		if err == nil || !retryable(err) || attempt == maxAttempts {
			return err
		}
		pause := time.Duration(mrand.Int64N(int64(min(attempt, 10)) * int64(2*time.Millisecond)))
		select {
		case <-ctx.Done():
			return clavis.Internal(ctx.Err())
		case <-time.After(pause):
		}
	}
}

func runTx(ctx context.Context, db *sql.DB, fn func(*sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelSerializable})
	if err != nil {
		return clavis.Internal(fmt.Errorf("begin: %w", err))
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return clavis.Internal(fmt.Errorf("commit: %w", err))
	}
	return nil
}

// retryable reports whether err aborted a transaction that may succeed when
// run again.
func retryable(err error) bool {
	c := pgCode(err)
	return c == serializationFailure || c == deadlockDetected
}

// migrate applies the embedded migrations not yet recorded, all in one
// transaction holding an advisory lock: a replica that waits for the lock
// finds the work done.
func migrate(ctx context.Context, db *sql.DB) error {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(migrationLock)); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)`); err != nil {
		return err
	}
	for _, name := range names {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE name = $1`, name).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			continue
		}
		body, err := migrations.ReadFile(name)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (name, applied_at) VALUES ($1, $2)`, name, time.Now().Unix()); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// SQLSTATE codes the store maps.
const (
	uniqueViolation      = "23505"
	foreignKeyViolation  = "23503"
	serializationFailure = "40001"
	deadlockDetected     = "40P01"
)

func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// isFK reports whether err is a foreign key violation.
func isFK(err error) bool { return pgCode(err) == foreignKeyViolation }

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
	if pgCode(err) == uniqueViolation {
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
