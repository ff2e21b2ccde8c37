package sqlstore

import (
	"context"

	"github.com/clavis-dev/clavis/clavis"
)

type apps struct{ v view }

const appCols = `owner_id, id, name, description, default_language, notes, visibility, created_at, updated_at`

func scanApp(row scanner) (*clavis.App, error) {
	var a clavis.App
	var created, updated int64
	if err := row.Scan(&a.OwnerID, &a.ID, &a.Name, &a.Description, &a.DefaultLanguage, &a.Notes, &a.Visibility, &created, &updated); err != nil {
		return nil, err
	}
	a.CreatedAt, a.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &a, nil
}

func (s apps) CreateApp(ctx context.Context, a *clavis.App) error {
	_, err := s.v.exec(ctx, `INSERT INTO apps (`+appCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.OwnerID, a.ID, a.Name, a.Description, a.DefaultLanguage, a.Notes, a.Visibility, micros(a.CreatedAt), micros(a.UpdatedAt))
	return s.v.failed(err, clavis.Errorf(clavis.EConflict, "app id %q is already used by this owner", a.ID), nil)
}

func (s apps) GetApp(ctx context.Context, ref clavis.AppRef) (*clavis.App, error) {
	return get(ctx, s.v, scanApp, clavis.AppNotFound(ref), `SELECT `+appCols+` FROM apps WHERE owner_id = ? AND id = ?`, ref.OwnerID, ref.AppID)
}

func (s apps) ListApps(ctx context.Context, ownerID string, p clavis.Page) ([]*clavis.App, error) {
	limit, offset := page(p)
	return list(ctx, s.v, scanApp, `SELECT `+appCols+` FROM apps WHERE owner_id = ? ORDER BY id LIMIT ? OFFSET ?`, ownerID, limit, offset)
}

func (s apps) CountApps(ctx context.Context, ownerID string) (int, error) {
	return s.v.count(ctx, `SELECT count(*) FROM apps WHERE owner_id = ?`, ownerID)
}

func (s apps) UpdateApp(ctx context.Context, a *clavis.App) error {
	res, err := s.v.exec(ctx, `UPDATE apps SET name = ?, description = ?, default_language = ?, notes = ?, visibility = ?, updated_at = ? WHERE owner_id = ? AND id = ?`,
		a.Name, a.Description, a.DefaultLanguage, a.Notes, a.Visibility, micros(a.UpdatedAt), a.OwnerID, a.ID)
	return s.v.affected(res, err, clavis.AppNotFound(a.Ref()))
}

func (s apps) DeleteApp(ctx context.Context, ref clavis.AppRef) error {
	res, err := s.v.exec(ctx, `DELETE FROM apps WHERE owner_id = ? AND id = ?`, ref.OwnerID, ref.AppID)
	return s.v.affected(res, err, clavis.AppNotFound(ref))
}
