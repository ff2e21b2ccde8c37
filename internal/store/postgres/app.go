package postgres

import (
	"context"
	"database/sql"
	"errors"

	"github.com/clavis-dev/clavis/clavis"
)

type apps struct{ q querier }

const appCols = `owner_id, id, name, description, default_language, notes, visibility, created_at, updated_at`

func scanApp(row interface{ Scan(...any) error }) (*clavis.App, error) {
	var a clavis.App
	var created, updated int64
	if err := row.Scan(&a.OwnerID, &a.ID, &a.Name, &a.Description, &a.DefaultLanguage, &a.Notes, &a.Visibility, &created, &updated); err != nil {
		return nil, err
	}
	a.CreatedAt, a.UpdatedAt = fromUnix(created), fromUnix(updated)
	return &a, nil
}

func (s apps) CreateApp(ctx context.Context, a *clavis.App) error {
	_, err := s.q.ExecContext(ctx, `INSERT INTO apps (`+appCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		a.OwnerID, a.ID, a.Name, a.Description, a.DefaultLanguage, a.Notes, a.Visibility, toUnix(a.CreatedAt), toUnix(a.UpdatedAt))
	return storeErr(err, "app id \""+a.ID+"\" is already used by this owner")
}

func (s apps) GetApp(ctx context.Context, ref clavis.AppRef) (*clavis.App, error) {
	a, err := scanApp(s.q.QueryRowContext(ctx, `SELECT `+appCols+` FROM apps WHERE owner_id = $1 AND id = $2`, ref.OwnerID, ref.AppID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, clavis.AppNotFound(ref)
	}
	return a, storeErr(err, "")
}

func (s apps) ListApps(ctx context.Context, ownerID string, page clavis.Page) ([]*clavis.App, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT `+appCols+` FROM apps WHERE owner_id = $1 ORDER BY id LIMIT $2 OFFSET $3`, ownerID, page.Limit(), page.Offset())
	if err != nil {
		return nil, clavis.Internal(err)
	}
	defer rows.Close()
	var out []*clavis.App
	for rows.Next() {
		a, err := scanApp(rows)
		if err != nil {
			return nil, clavis.Internal(err)
		}
		out = append(out, a)
	}
	return out, storeErr(rows.Err(), "")
}

func (s apps) UpdateApp(ctx context.Context, a *clavis.App) error {
	res, err := s.q.ExecContext(ctx, `UPDATE apps SET name = $1, description = $2, default_language = $3, notes = $4, visibility = $5, updated_at = $6 WHERE owner_id = $7 AND id = $8`,
		a.Name, a.Description, a.DefaultLanguage, a.Notes, a.Visibility, toUnix(a.UpdatedAt), a.OwnerID, a.ID)
	return mustAffect(res, err, clavis.AppNotFound(a.Ref()).Message)
}

func (s apps) DeleteApp(ctx context.Context, ref clavis.AppRef) error {
	res, err := s.q.ExecContext(ctx, `DELETE FROM apps WHERE owner_id = $1 AND id = $2`, ref.OwnerID, ref.AppID)
	return mustAffect(res, err, clavis.AppNotFound(ref).Message)
}
