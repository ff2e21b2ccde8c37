package postgres

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/clavis-dev/clavis/clavis"
)

type collaborators struct{ q querier }

const collabCols = `id, app_owner_id, app_id, user_id, scopes, endpoints, created_at, updated_at, deleted_at`

func scanCollaborator(row interface{ Scan(...any) error }) (*clavis.Collaborator, error) {
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
	c.Scopes, c.Endpoints = s, strings.Fields(endpoints)
	c.CreatedAt, c.UpdatedAt, c.DeletedAt = fromUnix(created), fromUnix(updated), fromNull(deleted)
	return &c, nil
}

func (s collaborators) PutCollaborator(ctx context.Context, c *clavis.Collaborator) error {
	_, err := s.q.ExecContext(ctx, `INSERT INTO collaborators (`+collabCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL)
		ON CONFLICT (app_owner_id, app_id, user_id) DO UPDATE SET
			id = excluded.id, scopes = excluded.scopes, endpoints = excluded.endpoints,
			created_at = excluded.created_at, updated_at = excluded.updated_at, deleted_at = NULL`,
		c.ID, c.App.OwnerID, c.App.AppID, c.UserID, joinScopes(c.Scopes), strings.Join(c.Endpoints, " "), toUnix(c.CreatedAt), toUnix(c.UpdatedAt))
	if err != nil && isFK(err) {
		return clavis.Errorf(clavis.ENotFound, "the collaborator's user or app does not exist")
	}
	return storeErr(err, "a collaborator with this id already exists")
}

func (s collaborators) GetCollaborator(ctx context.Context, app clavis.AppRef, userID string) (*clavis.Collaborator, error) {
	c, err := scanCollaborator(s.q.QueryRowContext(ctx, `SELECT `+collabCols+` FROM collaborators
		WHERE app_owner_id = $1 AND app_id = $2 AND user_id = $3 AND deleted_at IS NULL`, app.OwnerID, app.AppID, userID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, clavis.CollaboratorNotFound(userID)
	}
	return c, storeErr(err, "")
}

func (s collaborators) list(ctx context.Context, query string, args ...any) ([]*clavis.Collaborator, error) {
	rows, err := s.q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, clavis.Internal(err)
	}
	defer rows.Close()
	var out []*clavis.Collaborator
	for rows.Next() {
		c, err := scanCollaborator(rows)
		if err != nil {
			return nil, clavis.Internal(err)
		}
		out = append(out, c)
	}
	return out, storeErr(rows.Err(), "")
}

func (s collaborators) ListCollaborators(ctx context.Context, app clavis.AppRef, withDeleted bool, page clavis.Page) ([]*clavis.Collaborator, error) {
	return s.list(ctx, `SELECT `+collabCols+` FROM collaborators WHERE app_owner_id = $1 AND app_id = $2 AND ($3::boolean OR deleted_at IS NULL)
		ORDER BY user_id LIMIT $4 OFFSET $5`, app.OwnerID, app.AppID, withDeleted, page.Limit(), page.Offset())
}

func (s collaborators) ListCollaborations(ctx context.Context, userID string, page clavis.Page) ([]*clavis.Collaborator, error) {
	return s.list(ctx, `SELECT `+collabCols+` FROM collaborators WHERE user_id = $1 AND deleted_at IS NULL
		ORDER BY app_owner_id, app_id LIMIT $2 OFFSET $3`, userID, page.Limit(), page.Offset())
}

func (s collaborators) RemoveCollaborator(ctx context.Context, app clavis.AppRef, userID string, at time.Time) error {
	res, err := s.q.ExecContext(ctx, `UPDATE collaborators SET deleted_at = $1, updated_at = $2
		WHERE app_owner_id = $3 AND app_id = $4 AND user_id = $5 AND deleted_at IS NULL`, toUnix(at), toUnix(at), app.OwnerID, app.AppID, userID)
	return mustAffect(res, err, clavis.CollaboratorNotFound(userID).Message)
}
