package sqlstore

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/clavis-dev/clavis/clavis"
)

type keys struct{ v view }

const keyCols = `id, user_id, type, app_owner_id, app_id, digest, hint, description, scopes, endpoints, created_at, expires_at, last_used_at`

func scanKey(row scanner) (*clavis.Key, error) {
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
	s, err := parseScopes(scopes)
	if err != nil {
		return nil, err
	}
	k.Scopes, k.Endpoints = s, splitList(endpoints)
	k.CreatedAt, k.ExpiresAt, k.LastUsedAt = fromMicros(created), fromNullMicros(expires), fromNullMicros(lastUsed)
	return &k, nil
}

func (s keys) CreateKey(ctx context.Context, k *clavis.Key) error {
	var owner, app sql.NullString
	if k.App != nil {
		owner, app = sql.NullString{String: k.App.OwnerID, Valid: true}, sql.NullString{String: k.App.AppID, Valid: true}
	}
	_, err := s.v.exec(ctx, `INSERT INTO keys (`+keyCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		k.ID, k.UserID, k.Type, owner, app, k.Digest, k.Hint, k.Description, joinScopes(k.Scopes), joinList(k.Endpoints),
		micros(k.CreatedAt), nullMicros(k.ExpiresAt), nullMicros(k.LastUsedAt))
	return s.v.failed(err, clavis.Errorf(clavis.EConflict, "a key with this id already exists"),
		clavis.Errorf(clavis.ENotFound, "the key's user or app does not exist"))
}

func (s keys) GetKey(ctx context.Context, id string) (*clavis.Key, error) {
	return get(ctx, s.v, scanKey, clavis.KeyNotFound(), `SELECT `+keyCols+` FROM keys WHERE id = ?`, id)
}

func (s keys) GetKeyByDigest(ctx context.Context, digest []byte) (*clavis.Key, error) {
	return get(ctx, s.v, scanKey, clavis.KeyNotFound(), `SELECT `+keyCols+` FROM keys WHERE digest = ?`, digest)
}

func (s keys) CountKeys(ctx context.Context, userID string) (int, error) {
	return s.v.count(ctx, `SELECT count(*) FROM keys WHERE user_id = ?`, userID)
}

func (s keys) ListKeys(ctx context.Context, f clavis.KeyFilter, p clavis.Page) ([]*clavis.Key, error) {
	var where []string
	var args []any
	cond := func(c string, a ...any) { where, args = append(where, c), append(args, a...) }
	if f.UserID != "" {
		cond("user_id = ?", f.UserID)
	}
	if f.App != nil {
		cond("app_owner_id = ? AND app_id = ?", f.App.OwnerID, f.App.AppID)
	}
	if f.Type != "" {
		cond("type = ?", f.Type)
	}
	if !f.NotExpiredAt.IsZero() {
		cond("(expires_at IS NULL OR expires_at > ?)", micros(f.NotExpiredAt))
	}
	// A key holding All holds every scope; others list theirs by name.
	// Names are matched as words of the space-separated lists, with case.
	hasWord := func(col string) string { return s.v.e.Dialect.Instr + "(' ' || " + col + " || ' ', ?) > 0" }
	if !f.Scopes.IsEmpty() {
		c := make([]string, 0, f.Scopes.Len())
		var a []any
		for _, n := range f.Scopes.Names() {
			c, a = append(c, hasWord("scopes")), append(a, " "+n+" ")
		}
		cond("(scopes = ? OR ("+strings.Join(c, " AND ")+"))", append([]any{clavis.ScopeAll}, a...)...)
	}
	for _, e := range f.Endpoints {
		cond(hasWord("endpoints"), " "+e+" ")
	}
	q := `SELECT ` + keyCols + ` FROM keys`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	limit, offset := page(p)
	return list(ctx, s.v, scanKey, q+` ORDER BY created_at DESC, id LIMIT ? OFFSET ?`, append(args, limit, offset)...)
}

func (s keys) UpdateKey(ctx context.Context, k *clavis.Key) error {
	res, err := s.v.exec(ctx, `UPDATE keys SET description = ?, scopes = ?, endpoints = ?, expires_at = ? WHERE id = ?`,
		k.Description, joinScopes(k.Scopes), joinList(k.Endpoints), nullMicros(k.ExpiresAt), k.ID)
	return s.v.affected(res, err, clavis.KeyNotFound())
}

func (s keys) DeleteKey(ctx context.Context, id string) error {
	res, err := s.v.exec(ctx, `DELETE FROM keys WHERE id = ?`, id)
	return s.v.affected(res, err, clavis.KeyNotFound())
}

func (s keys) TouchKeys(ctx context.Context, lastUsed map[string]time.Time) error {
	if len(lastUsed) == 0 {
		return nil
	}
	return s.v.inTx(ctx, func(v view) error {
		for id, t := range lastUsed {
			if _, err := v.exec(ctx, `UPDATE keys SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)`, micros(t), id, micros(t)); err != nil {
				return v.internal(err)
			}
		}
		return nil
	})
}
