package sqlstore

import (
	"context"
	"database/sql"
	"strings"

	"github.com/clavis-dev/clavis/clavis"
)

type keys struct{ v view }

const keyCols = `id, user_id, type, app_owner_id, app_id, digest, hint, description, scopes, endpoints, created_at, expires_at, last_used_at, replaced_by, rotated_at, last_used_addr, allow_cidrs, rate_limit`

func scanKey(row scanner) (*clavis.Key, error) {
	var k clavis.Key
	var appOwner, appID sql.NullString
	var scopes, endpoints, allow string
	var created int64
	var expires, lastUsed, rotated sql.NullInt64
	if err := row.Scan(&k.ID, &k.UserID, &k.Type, &appOwner, &appID, &k.Digest, &k.Hint, &k.Description, &scopes, &endpoints, &created, &expires, &lastUsed,
		&k.ReplacedBy, &rotated, &k.LastUsedAddr, &allow, &k.RateLimit); err != nil {
		return nil, err
	}
	if appOwner.Valid {
		k.App = &clavis.AppRef{OwnerID: appOwner.String, AppID: appID.String}
	}
	s, err := parseScopes(scopes)
	if err != nil {
		return nil, err
	}
	k.Scopes, k.Endpoints, k.AllowCIDRs = s, splitList(endpoints), splitList(allow)
	k.CreatedAt, k.ExpiresAt, k.LastUsedAt, k.RotatedAt = fromMicros(created), fromNullMicros(expires), fromNullMicros(lastUsed), fromNullMicros(rotated)
	return &k, nil
}

func (s keys) CreateKey(ctx context.Context, k *clavis.Key) error {
	return s.CreateKeys(ctx, []*clavis.Key{k})
}

// insertKeys inserts rows of keys, in the order of keyCols.
var insertKeys = insert{head: `INSERT INTO keys (` + keyCols + `)`, tuple: `(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`}

func (s keys) CreateKeys(ctx context.Context, ks []*clavis.Key) error {
	rows := make([][]any, len(ks))
	for i, k := range ks {
		var owner, app sql.NullString
		if k.App != nil {
			owner, app = sql.NullString{String: k.App.OwnerID, Valid: true}, sql.NullString{String: k.App.AppID, Valid: true}
		}
		rows[i] = []any{k.ID, k.UserID, k.Type, owner, app, k.Digest, k.Hint, k.Description, joinScopes(k.Scopes), joinList(k.Endpoints),
			micros(k.CreatedAt), nullMicros(k.ExpiresAt), nullMicros(k.LastUsedAt), k.ReplacedBy, nullMicros(k.RotatedAt), k.LastUsedAddr, joinList(k.AllowCIDRs), k.RateLimit}
	}
	insert := func(v view) error {
		_, err := v.insertRows(ctx, insertKeys, rows)
		return v.failed(err, clavis.Errorf(clavis.EConflict, "a key with this id already exists"),
			clavis.Errorf(clavis.ENotFound, "the key's user or app does not exist"))
	}
	if len(rows) <= 1 {
		return insert(s.v)
	}
	return s.v.inTx(ctx, insert)
}

func (s keys) GetKey(ctx context.Context, id string) (*clavis.Key, error) {
	return get(ctx, s.v, scanKey, clavis.KeyNotFound(), `SELECT `+keyCols+` FROM keys WHERE id = ?`, id)
}

func (s keys) GetUserKey(ctx context.Context, userID, id string) (*clavis.Key, error) {
	return get(ctx, s.v, scanKey, clavis.KeyNotFound(), `SELECT `+keyCols+` FROM keys WHERE id = ? AND user_id = ?`, id, userID)
}

func (s keys) GetUserKeyByDigest(ctx context.Context, userID string, digest []byte) (*clavis.Key, error) {
	return get(ctx, s.v, scanKey, clavis.KeyNotFound(), `SELECT `+keyCols+` FROM keys WHERE digest = ? AND user_id = ?`, digest, userID)
}

func (s keys) GetKeyByDigest(ctx context.Context, digest []byte) (*clavis.Key, error) {
	return get(ctx, s.v, scanKey, clavis.KeyNotFound(), `SELECT `+keyCols+` FROM keys WHERE digest = ?`, digest)
}

func (s keys) CountKeys(ctx context.Context, userID string) (int, error) {
	return s.v.count(ctx, `SELECT count(*) FROM keys WHERE user_id = ?`, userID)
}

func (s keys) ListKeys(ctx context.Context, f clavis.KeyFilter, p clavis.Page) ([]*clavis.Key, error) {
	q, args := s.query(f)
	limit, offset := page(p)
	return list(ctx, s.v, scanKey, q+` ORDER BY created_at DESC, id LIMIT ? OFFSET ?`, append(args, limit, offset)...)
}

func (s keys) DeleteKeys(ctx context.Context, f clavis.KeyFilter) ([]*clavis.Key, error) {
	if f.UserID == "" && f.App == nil && f.AppOwnerID == "" {
		return nil, clavis.Errorf(clavis.EInvalid, "name the user, app or owner whose keys to delete")
	}
	var out []*clavis.Key
	err := s.v.inTx(ctx, func(v view) error {
		q, args := s.query(f)
		ks, err := list(ctx, v, scanKey, q+` ORDER BY created_at, id`, args...)
		if err != nil {
			return err
		}
		for _, k := range ks {
			if _, err := v.exec(ctx, `DELETE FROM keys WHERE id = ?`, k.ID); err != nil {
				return v.internal(err)
			}
		}
		out = ks
		return nil
	})
	return out, err
}

// query returns the SELECT of the keys f selects, and its arguments.
func (s keys) query(f clavis.KeyFilter) (string, []any) {
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
	if f.AppOwnerID != "" {
		cond("app_owner_id = ?", f.AppOwnerID)
	}
	if !f.ExpiredAt.IsZero() {
		cond("expires_at <= ?", micros(f.ExpiredAt))
	}
	if !f.UnusedSince.IsZero() {
		cond("(last_used_at IS NULL OR last_used_at < ?)", micros(f.UnusedSince))
	}
	if !f.CreatedBefore.IsZero() {
		cond("created_at < ?", micros(f.CreatedBefore))
	}
	if !f.LastUsedBefore.IsZero() {
		cond("last_used_at < ?", micros(f.LastUsedBefore))
	}
	if f.NeverUsed {
		cond("last_used_at IS NULL")
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
	return q, args
}

func (s keys) UpdateKey(ctx context.Context, k *clavis.Key) error {
	res, err := s.v.exec(ctx, `UPDATE keys SET description = ?, scopes = ?, endpoints = ?, expires_at = ?, replaced_by = ?, rotated_at = ?, allow_cidrs = ?, rate_limit = ? WHERE id = ?`,
		k.Description, joinScopes(k.Scopes), joinList(k.Endpoints), nullMicros(k.ExpiresAt), k.ReplacedBy, nullMicros(k.RotatedAt), joinList(k.AllowCIDRs), k.RateLimit, k.ID)
	return s.v.affected(res, err, clavis.KeyNotFound())
}

func (s keys) DeleteKey(ctx context.Context, id string) error {
	res, err := s.v.exec(ctx, `DELETE FROM keys WHERE id = ?`, id)
	return s.v.affected(res, err, clavis.KeyNotFound())
}

func (s keys) TouchKeys(ctx context.Context, uses map[string]clavis.KeyUse) error {
	if len(uses) == 0 {
		return nil
	}
	return s.v.inTx(ctx, func(v view) error {
		for id, u := range uses {
			if _, err := v.exec(ctx, `UPDATE keys SET last_used_at = ?, last_used_addr = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)`,
				micros(u.At), u.Addr, id, micros(u.At)); err != nil {
				return v.internal(err)
			}
		}
		return nil
	})
}
