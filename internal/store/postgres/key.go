package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/clavis-dev/clavis/clavis"
)

type keys struct{ q querier }

const keyCols = `id, user_id, type, app_owner_id, app_id, digest, hint, description, scopes, endpoints, created_at, expires_at, last_used_at`

func scanKey(row interface{ Scan(...any) error }) (*clavis.Key, error) {
	var k clavis.Key
	var appOwner, appID sql.NullString
	var scopes, endpoints string
	var created int64
	var expires, lastUsed sql.NullInt64
	if err := row.Scan(&k.ID, &k.UserID, &k.Type, &appOwner, &appID, &k.Digest, &k.Hint, &k.Description, &scopes, &endpoints, &created, &expires, &lastUsed); err != nil {
		return nil, err
	}
	if appOwner.Valid {
		k.App = &clavis.AppRef{OwnerID: appOwner.String, AppID: appID.String}
	}
	s, err := clavis.ParseScopes(strings.Fields(scopes))
	if err != nil {
		return nil, err
	}
	k.Scopes = s
	k.Endpoints = strings.Fields(endpoints)
	k.CreatedAt, k.ExpiresAt, k.LastUsedAt = fromUnix(created), fromNull(expires), fromNull(lastUsed)
	return &k, nil
}

func appRefCols(ref *clavis.AppRef) (owner, app sql.NullString) {
	if ref == nil {
		return
	}
	return sql.NullString{String: ref.OwnerID, Valid: true}, sql.NullString{String: ref.AppID, Valid: true}
}

func (s keys) CreateKey(ctx context.Context, k *clavis.Key) error {
	owner, app := appRefCols(k.App)
	_, err := s.q.ExecContext(ctx, `INSERT INTO keys (`+keyCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
		k.ID, k.UserID, k.Type, owner, app, k.Digest, k.Hint, k.Description,
		strings.Join(k.Scopes.Names(), " "), strings.Join(k.Endpoints, " "),
		toUnix(k.CreatedAt), nullTime(k.ExpiresAt), nullTime(k.LastUsedAt))
	if err != nil && isFK(err) {
		return clavis.Errorf(clavis.ENotFound, "the key's user or app does not exist")
	}
	return storeErr(err, "a key with this id already exists")
}

func (s keys) get(ctx context.Context, where string, arg any) (*clavis.Key, error) {
	k, err := scanKey(s.q.QueryRowContext(ctx, `SELECT `+keyCols+` FROM keys WHERE `+where, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, clavis.KeyNotFound()
	}
	return k, storeErr(err, "")
}

func (s keys) GetKey(ctx context.Context, id string) (*clavis.Key, error) {
	return s.get(ctx, `id = $1`, id)
}

func (s keys) GetKeyByDigest(ctx context.Context, digest []byte) (*clavis.Key, error) {
	return s.get(ctx, `digest = $1`, digest)
}

func (s keys) ListKeys(ctx context.Context, f clavis.KeyFilter, page clavis.Page) ([]*clavis.Key, error) {
	var where []string
	var args []any
	// arg appends v and returns its placeholder.
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if f.UserID != "" {
		where = append(where, "user_id = "+arg(f.UserID))
	}
	if f.App != nil {
		where = append(where, "app_owner_id = "+arg(f.App.OwnerID)+" AND app_id = "+arg(f.App.AppID))
	}
	if f.Type != "" {
		where = append(where, "type = "+arg(f.Type))
	}
	if !f.NotExpiredAt.IsZero() {
		where = append(where, "(expires_at IS NULL OR expires_at > "+arg(toUnix(f.NotExpiredAt))+")")
	}
	q := `SELECT ` + keyCols + ` FROM keys`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	q += ` ORDER BY created_at DESC, id LIMIT ` + arg(page.Limit()) + ` OFFSET ` + arg(page.Offset())
	rows, err := s.q.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, clavis.Internal(err)
	}
	defer rows.Close()
	var out []*clavis.Key
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, clavis.Internal(err)
		}
		out = append(out, k)
	}
	return out, storeErr(rows.Err(), "")
}

func (s keys) UpdateKey(ctx context.Context, k *clavis.Key) error {
	res, err := s.q.ExecContext(ctx, `UPDATE keys SET description = $1, scopes = $2, endpoints = $3, expires_at = $4 WHERE id = $5`,
		k.Description, strings.Join(k.Scopes.Names(), " "), strings.Join(k.Endpoints, " "), nullTime(k.ExpiresAt), k.ID)
	return mustAffect(res, err, clavis.KeyNotFound().Message)
}

func (s keys) DeleteKey(ctx context.Context, id string) error {
	res, err := s.q.ExecContext(ctx, `DELETE FROM keys WHERE id = $1`, id)
	return mustAffect(res, err, clavis.KeyNotFound().Message)
}

func (s keys) TouchKeys(ctx context.Context, lastUsed map[string]time.Time) error {
	for id, t := range lastUsed {
		if _, err := s.q.ExecContext(ctx, `UPDATE keys SET last_used_at = $1 WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $3)`, toUnix(t), id, toUnix(t)); err != nil {
			return clavis.Internal(err)
		}
	}
	return nil
}
