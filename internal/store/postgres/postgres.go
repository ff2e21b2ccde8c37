package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/store/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// migrationLock is the pg_advisory_xact_lock key under which migrations run,
// so that replicas starting at once migrate once.
const migrationLock = 0x636c61766973 // "clavis"

// Pool settings. Idle connections equal open ones, so that a burst does not
// close and reopen connections (each a server process, with its prepared
// statements); an idle connection is released after maxIdleTime.
const (
	maxConns    = 16
	maxIdleTime = 5 * time.Minute
)

// DB is a Clavis store in one PostgreSQL database. It is safe for concurrent
// use, also by several processes: each store method and WithTx runs in its
// own transaction.
type DB struct {
	*sqlstore.Store
	db  *sql.DB
	dsn string

	mu        sync.Mutex
	notifiers []*Notifier // stopped by Close
}

var _ clavis.Store = (*DB)(nil)

// dialect is PostgreSQL's: numbered placeholders and SQLSTATE codes.
var dialect = &sqlstore.Dialect{
	Name:          "postgres",
	Numbered:      true,
	Classify:      classify,
	Instr:         "strpos",
	MigrationLock: fmt.Sprintf(`SELECT pg_advisory_xact_lock(%d)`, int64(migrationLock)),
	SkipLocked:    " FOR UPDATE SKIP LOCKED",
	JSONEquals:    jsonEquals,
}

// jsonEquals compares as jsonb: the value at the path (an array literal of
// quoted keys) equals the JSON value.
func jsonEquals(col string, path []string, value string) (string, []any) {
	keys := make([]string, len(path))
	for i, k := range path {
		keys[i] = `"` + k + `"`
	}
	return `(CAST(` + col + ` AS jsonb) #> CAST(? AS text[])) = CAST(? AS jsonb)`, []any{"{" + strings.Join(keys, ",") + "}", value}
}

// SQLSTATE codes the store tells apart.
const (
	uniqueViolation      = "23505"
	foreignKeyViolation  = "23503"
	serializationFailure = "40001"
	deadlockDetected     = "40P01"
	diskFull             = "53100"
	readOnlyTransaction  = "25006"
)

func classify(err error) sqlstore.ErrClass {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return sqlstore.ErrOther
	}
	switch pe.Code {
	case uniqueViolation:
		return sqlstore.ErrUnique
	case foreignKeyViolation:
		return sqlstore.ErrForeignKey
	case serializationFailure, deadlockDetected:
		return sqlstore.ErrRetry
	case diskFull:
		return sqlstore.ErrFull
	case readOnlyTransaction:
		// A hot standby, or default_transaction_read_only.
		return sqlstore.ErrReadOnly
	}
	return sqlstore.ErrOther
}

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
	db.SetMaxOpenConns(maxConns)
	db.SetMaxIdleConns(maxConns)
	db.SetConnMaxIdleTime(maxIdleTime)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to postgres: %w", err)
	}
	if err := sqlstore.Migrate(ctx, db, dialect, migrations); err != nil {
		db.Close()
		return nil, fmt.Errorf("migrate postgres: %w", err)
	}
	d := &DB{db: db, dsn: dsn}
	d.Store = sqlstore.New(sqlstore.Engine{Dialect: dialect, Q: db, RunTx: d.runTx})
	return d, nil
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

// maxAttempts bounds how often runTx runs a transaction that PostgreSQL
// keeps aborting.
const maxAttempts = 50

// runTx runs fn in a serializable transaction, so that work spanning several
// statements behaves as if transactions ran one at a time, as on SQLite (a
// check such as "an org keeps one admin" cannot be raced). When PostgreSQL
// aborts the transaction for a serialization failure or a deadlock, runTx
// runs fn again in a new one after a short random pause.
func (d *DB) runTx(ctx context.Context, fn func(sqlstore.Querier) error) error {
	for attempt := 1; ; attempt++ {
		err := d.runTxOnce(ctx, fn)
		if err == nil || classify(err) != sqlstore.ErrRetry || attempt == maxAttempts {
			return err
		}
		pause := retryPause(attempt)
		select {
		case <-ctx.Done():
			return clavis.Internal(ctx.Err())
		case <-time.After(pause):
		}
	}
}

// The pause before a retry is random up to a bound that doubles with each
// attempt, from retryPauseMin up to retryPauseMax: transactions that keep
// aborting each other (concurrent batches into one app, each counting its
// rows before it writes them) spread out until they no longer overlap,
// however long each takes, instead of colliding again after a pause shorter
// than themselves.
const (
	retryPauseMin = 2 * time.Millisecond
	retryPauseMax = 250 * time.Millisecond
)

// retryPause returns the pause before attempt+1.
func retryPause(attempt int) time.Duration {
	bound := min(retryPauseMin<<min(attempt-1, 7), retryPauseMax)
	return time.Duration(mrand.Int64N(int64(bound))) + 1
}

func (d *DB) runTxOnce(ctx context.Context, fn func(sqlstore.Querier) error) error {
	tx, err := d.db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelSerializable})
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
