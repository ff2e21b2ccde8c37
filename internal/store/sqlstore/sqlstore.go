package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/clavis-dev/clavis/clavis"
)

// Querier is what *sql.DB, *sql.Tx and an engine's statement cache have in
// common.
type Querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// ErrClass is the class of a driver error that the store treats apart.
type ErrClass int

// Error classes.
const (
	ErrOther      ErrClass = iota // anything else
	ErrUnique                     // a unique or primary key constraint failed
	ErrForeignKey                 // a foreign key constraint failed
	ErrRetry                      // the transaction may succeed if run again (serialization failure, deadlock)
)

// Dialect is what differs between the SQL engines.
type Dialect struct {
	// Name names the engine, as in "sqlite" or "postgres".
	Name string
	// Numbered makes placeholders $1, $2, ... instead of ?.
	Numbered bool
	// Classify tells the class of a driver error.
	Classify func(error) ErrClass
	// Instr names the function that returns the 1-based position of its
	// second argument in its first, or 0 (SQLite's instr, PostgreSQL's
	// strpos).
	Instr string
	// MigrationLock, when set, is a statement run first in the migration
	// transaction that waits for every other migrating process (a
	// PostgreSQL advisory lock). SQLite's write lock needs none.
	MigrationLock string
	// SkipLocked ends the subquery that picks jobs to claim: on PostgreSQL
	// " FOR UPDATE SKIP LOCKED", so that concurrent claims pick different
	// rows; SQLite, with one writer at a time, needs none.
	SkipLocked string
	// JSONEquals returns the condition that the JSON object in column col
	// holds, at path, a value equal to the JSON value, and its arguments.
	// Keys of path never hold '"' or '\\'.
	JSONEquals func(col string, path []string, value string) (string, []any)

	rebound sync.Map // query → query with numbered placeholders
}

// Rebind returns query with its ? placeholders written as the engine wants.
// A ? inside a quoted literal is left alone.
func (d *Dialect) Rebind(query string) string {
	if !d.Numbered {
		return query
	}
	if q, ok := d.rebound.Load(query); ok {
		return q.(string)
	}
	var b strings.Builder
	n, quoted := 0, false
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case c == '\'':
			quoted = !quoted
		case c == '?' && !quoted:
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	d.rebound.Store(query, b.String())
	return b.String()
}

// Engine is what an engine hands to New.
type Engine struct {
	Dialect *Dialect
	// Q runs statements outside transactions: the pool, possibly through a
	// statement cache.
	Q Querier
	// RunTx runs fn in a new transaction and commits it when fn returns
	// nil, rolling it back otherwise. It may run fn more than once, each
	// time in a new transaction, when the engine retries transactions that
	// fail with ErrRetry; it returns fn's error, or an EInternal error when
	// the transaction cannot begin or commit.
	RunTx func(ctx context.Context, fn func(Querier) error) error

	// onFailure receives the aggregate of every failure of the database.
	onFailure func(aggregate string)
}

// Store implements clavis.Store over an Engine. It is safe for concurrent
// use. Close is the engine's.
type Store struct {
	view
}

// New returns a store over e.
func New(e Engine) *Store {
	return &Store{view{q: e.Q, e: &e}}
}

// ObserveFailures has f called with the aggregate ("users", "apps",
// "keys", "collaborators", "orgs", "inputs", "annotations", "concepts",
// "jobs", "embeddings", "passwords", "sessions", "login_throttle"; "tx" for a transaction of WithTx that could not begin
// or commit) of every failure of the database, the errors the store
// returns as EInternal. Call it before the store is used.
func (s *Store) ObserveFailures(f func(aggregate string)) { s.e.onFailure = f }

// WithTx runs fn in one transaction of the engine: committed when fn returns
// nil, rolled back otherwise. fn may run more than once (see clavis.Store).
func (s *Store) WithTx(ctx context.Context, fn func(tx clavis.Tx) error) error {
	v := s.view
	v.agg = "tx"
	return v.runTx(ctx, func(q Querier) error { return fn(view{q: q, e: s.e, tx: true}) })
}

// Ping runs a query that reads nothing, to check that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.q.QueryRowContext(ctx, `SELECT 1`).Scan(&one); err != nil {
		return clavis.Internal(fmt.Errorf("ping: %w", err))
	}
	return nil
}

// view implements clavis.Tx over a querier: the pool or one transaction.
type view struct {
	q   Querier
	e   *Engine
	tx  bool   // q is a transaction
	agg string // the aggregate whose store uses the view, for failures
}

// of returns v for the store of an aggregate.
func (v view) of(aggregate string) view { v.agg = aggregate; return v }

// Users returns the user store of the view.
func (v view) Users() clavis.UserStore { return users{v.of("users")} }

// Apps returns the app store of the view.
func (v view) Apps() clavis.AppStore { return apps{v.of("apps")} }

// Keys returns the key store of the view.
func (v view) Keys() clavis.KeyStore { return keys{v.of("keys")} }

// Collaborators returns the collaborator store of the view.
func (v view) Collaborators() clavis.CollaboratorStore { return collaborators{v.of("collaborators")} }

// Orgs returns the organization store of the view.
func (v view) Orgs() clavis.OrgStore { return orgs{v.of("orgs")} }

// Inputs returns the input store of the view.
func (v view) Inputs() clavis.InputStore { return inputs{v.of("inputs")} }

// Annotations returns the annotation store of the view.
func (v view) Annotations() clavis.AnnotationStore { return annotations{v.of("annotations")} }

// Concepts returns the concept store of the view.
func (v view) Concepts() clavis.ConceptStore { return concepts{v.of("concepts")} }

// Jobs returns the job store of the view.
func (v view) Jobs() clavis.JobStore { return jobs{v.of("jobs")} }

// Embeddings returns the embedding store of the view.
func (v view) Embeddings() clavis.EmbeddingStore { return embeddings{v.of("embeddings")} }

// Passwords returns the password store of the view.
func (v view) Passwords() clavis.PasswordStore { return passwords{v.of("passwords")} }

// Sessions returns the session store of the view.
func (v view) Sessions() clavis.SessionStore { return sessions{v.of("sessions")} }

// LoginThrottle returns the failed log-in counters of the view.
func (v view) LoginThrottle() clavis.LoginThrottleStore { return loginThrottle{v.of("login_throttle")} }

// inTx runs fn in a transaction: the view's own when it is one, else a new
// one, so that a method of several statements is never half done.
func (v view) inTx(ctx context.Context, fn func(view) error) error {
	if v.tx {
		return fn(v)
	}
	return v.runTx(ctx, func(q Querier) error { return fn(view{q: q, e: v.e, tx: true, agg: v.agg}) })
}

// runTx runs fn in a new transaction of the engine. A transaction that
// cannot begin or commit is a failure of the database; fn's own errors are
// counted where they arise.
func (v view) runTx(ctx context.Context, fn func(Querier) error) error {
	ran, fnErr := false, error(nil)
	err := v.e.RunTx(ctx, func(q Querier) error { ran = true; fnErr = fn(q); return fnErr })
	if err != nil && (!ran || fnErr == nil) && clavis.ErrorCode(err) == clavis.EInternal {
		v.failure()
	}
	return err
}

// internal returns err, a failure of the database, as an EInternal error,
// and reports it.
func (v view) internal(err error) error {
	v.failure()
	return clavis.Internal(err)
}

func (v view) failure() {
	if v.e.onFailure != nil {
		v.e.onFailure(v.agg)
	}
}

func (v view) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return v.q.ExecContext(ctx, v.e.Dialect.Rebind(query), args...)
}

func (v view) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return v.q.QueryContext(ctx, v.e.Dialect.Rebind(query), args...)
}

func (v view) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return v.q.QueryRowContext(ctx, v.e.Dialect.Rebind(query), args...)
}

// scanner is what *sql.Row and *sql.Rows have in common.
type scanner interface{ Scan(dest ...any) error }

// get runs a query of at most one row and scans it; a missing row is
// notFound.
func get[T any](ctx context.Context, v view, scan func(scanner) (T, error), notFound error, query string, args ...any) (T, error) {
	t, err := scan(v.queryRow(ctx, query, args...))
	if errors.Is(err, sql.ErrNoRows) {
		var zero T
		return zero, notFound
	}
	if err != nil {
		var zero T
		return zero, v.internal(err)
	}
	return t, nil
}

// list runs a query and scans every row.
func list[T any](ctx context.Context, v view, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := v.query(ctx, query, args...)
	if err != nil {
		return nil, v.internal(err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		t, err := scan(rows)
		if err != nil {
			return nil, v.internal(err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, v.internal(err)
	}
	return out, nil
}

// failed maps a driver error to a domain error: a unique violation to
// conflict and a foreign key violation to missing, when they are given;
// anything else to EInternal. Domain errors pass unchanged.
func (v view) failed(err error, conflict, missing error) error {
	if err == nil {
		return nil
	}
	var de *clavis.Error
	if errors.As(err, &de) {
		return err
	}
	switch v.e.Dialect.Classify(err) {
	case ErrUnique:
		if conflict != nil {
			return conflict
		}
	case ErrForeignKey:
		if missing != nil {
			return missing
		}
	}
	return v.internal(err)
}

// affected returns notFound when an UPDATE or DELETE changed no row.
func (v view) affected(res sql.Result, err error, notFound error) error {
	if err != nil {
		return v.internal(err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return v.internal(err)
	}
	if n == 0 {
		return notFound
	}
	return nil
}

// page returns the LIMIT and OFFSET arguments of p.
func page(p clavis.Page) (int, int) { return p.Limit(), p.Offset() }

func joinScopes(s clavis.ScopeSet) string { return strings.Join(s.Names(), " ") }

func parseScopes(s string) (clavis.ScopeSet, error) { return clavis.ParseScopes(strings.Fields(s)) }

func joinList(l []string) string { return strings.Join(l, " ") }

func splitList(s string) []string { return strings.Fields(s) }

func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(n int64) time.Time { return time.UnixMicro(n).UTC() }

// nullMicros stores the zero time as NULL.
func nullMicros(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMicro(), Valid: true}
}

func fromNullMicros(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return fromMicros(n.Int64)
}
