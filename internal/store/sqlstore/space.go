package sqlstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"time"

	"github.com/clavis-dev/clavis/clavis"
)

// newID returns a random id of 32 hex digits, for spaces and rows that the
// caller does not name.
func newID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// space returns the id of the storage space of app, and "" when it has
// none; with create it makes one, or returns AppNotFound for a missing app.
// An app's data is reached only through its space, so that the data of a
// deleted app (whose space no longer names it) is out of reach at once.
func (v view) space(ctx context.Context, app clavis.AppRef, create bool) (string, error) {
	const q = `SELECT id FROM app_spaces WHERE app_owner_id = ? AND app_id = ?`
	id, err := get(ctx, v, scanString, nil, q, app.OwnerID, app.AppID)
	if err != nil || id != "" || !create {
		return id, err
	}
	_, err = v.exec(ctx, `INSERT INTO app_spaces (id, app_owner_id, app_id, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (app_owner_id, app_id) DO NOTHING`, newID(), app.OwnerID, app.AppID, micros(time.Now()))
	if err != nil {
		return "", v.failed(err, nil, clavis.AppNotFound(app))
	}
	return get(ctx, v, scanString, clavis.AppNotFound(app), q, app.OwnerID, app.AppID)
}

func scanInt(row scanner) (int64, error) {
	var n int64
	err := row.Scan(&n)
	return n, err
}

// execCount runs a statement and returns how many rows it changed.
func (v view) execCount(ctx context.Context, query string, args ...any) (int, error) {
	res, err := v.exec(ctx, query, args...)
	if err != nil {
		return 0, v.internal(err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, v.internal(err)
	}
	return int(n), nil
}

// in returns "col IN (?, ?, ...)" for vals and the arguments, or a condition
// that is never true for none.
func in[T any](col string, vals []T) (string, []any) {
	if len(vals) == 0 {
		return "1 = 0", nil
	}
	args := make([]any, len(vals))
	for i, v := range vals {
		args[i] = v
	}
	return col + " IN (?" + strings.Repeat(", ?", len(vals)-1) + ")", args
}

// where collects the conditions of a query and their arguments.
type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, args ...any) {
	w.conds, w.args = append(w.conds, cond), append(w.args, args...)
}

// in adds the condition that col is one of vals.
func (w *where) in(col string, vals []string) {
	cond, args := in(col, vals)
	w.add(cond, args...)
}

func (w *where) String() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// count runs a query of one count(*) and returns it.
func (v view) count(ctx context.Context, query string, args ...any) (int, error) {
	n, err := get(ctx, v, scanInt, nil, query, args...)
	return int(n), err
}
