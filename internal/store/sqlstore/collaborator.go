package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/clavis-dev/clavis/clavis"
)

type collaborators struct{ v view }

const collabCols = `id, app_owner_id, app_id, user_id, scopes, endpoints, created_at, updated_at, deleted_at`

func scanCollaborator(row scanner) (*clavis.Collaborator, error) {
	var c clavis.Collaborator
	var scopes, endpoints string
	var created, updated int64
	var deleted sql.NullInt64
	if err := row.Scan(&c.ID, &c.App.OwnerID, &c.App.AppID, &c.UserID, &scopes, &endpoints, &created, &updated, &deleted); err != nil {
		return nil, err
	}
	s, err := parseScopes(scopes)
	if err != nil {
		return nil, err
	}
	c.Scopes, c.Endpoints = s, splitList(endpoints)
	c.CreatedAt, c.UpdatedAt, c.DeletedAt = fromMicros(created), fromMicros(updated), fromNullMicros(deleted)
	return &c, nil
}

func (s collaborators) PutCollaborator(ctx context.Context, c *clavis.Collaborator) error {
	_, err := s.v.exec(ctx, `INSERT INTO collaborators (`+collabCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)
		ON CONFLICT (app_owner_id, app_id, user_id) DO UPDATE SET
			id = excluded.id, scopes = excluded.scopes, endpoints = excluded.endpoints,
			created_at = excluded.created_at, updated_at = excluded.updated_at, deleted_at = NULL`,
		c.ID, c.App.OwnerID, c.App.AppID, c.UserID, joinScopes(c.Scopes), joinList(c.Endpoints), micros(c.CreatedAt), micros(c.UpdatedAt))
	return s.v.failed(err, clavis.Errorf(clavis.EConflict, "a collaborator with this id already exists"),
		clavis.Errorf(clavis.ENotFound, "the collaborator's user or app does not exist"))
}

func (s collaborators) GetCollaborator(ctx context.Context, app clavis.AppRef, userID string) (*clavis.Collaborator, error) {
	return get(ctx, s.v, scanCollaborator, clavis.CollaboratorNotFound(userID), `SELECT `+collabCols+` FROM collaborators
		WHERE app_owner_id = ? AND app_id = ? AND user_id = ? AND deleted_at IS NULL`, app.OwnerID, app.AppID, userID)
}

func (s collaborators) GetCollaboratorByID(ctx context.Context, app clavis.AppRef, id string) (*clavis.Collaborator, error) {
	return get(ctx, s.v, scanCollaborator, clavis.CollaboratorNotFound(id), `SELECT `+collabCols+` FROM collaborators
		WHERE app_owner_id = ? AND app_id = ? AND id = ? AND deleted_at IS NULL`, app.OwnerID, app.AppID, id)
}

func (s collaborators) ListCollaborators(ctx context.Context, app clavis.AppRef, withDeleted bool, p clavis.Page) ([]*clavis.Collaborator, error) {
	q := `SELECT ` + collabCols + ` FROM collaborators WHERE app_owner_id = ? AND app_id = ?`
	if !withDeleted {
		q += ` AND deleted_at IS NULL`
	}
	limit, offset := page(p)
	return list(ctx, s.v, scanCollaborator, q+` ORDER BY user_id LIMIT ? OFFSET ?`, app.OwnerID, app.AppID, limit, offset)
}

func (s collaborators) ListCollaborations(ctx context.Context, userID string, p clavis.Page) ([]*clavis.Collaborator, error) {
	limit, offset := page(p)
	return list(ctx, s.v, scanCollaborator, `SELECT `+collabCols+` FROM collaborators WHERE user_id = ? AND deleted_at IS NULL
		ORDER BY app_owner_id, app_id LIMIT ? OFFSET ?`, userID, limit, offset)
}

func (s collaborators) RemoveCollaborator(ctx context.Context, app clavis.AppRef, userID string, at time.Time) error {
	res, err := s.v.exec(ctx, `UPDATE collaborators SET deleted_at = ?, updated_at = ?
		WHERE app_owner_id = ? AND app_id = ? AND user_id = ? AND deleted_at IS NULL`, micros(at), micros(at), app.OwnerID, app.AppID, userID)
	return s.v.affected(res, err, clavis.CollaboratorNotFound(userID))
}
