package postgres

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/clavis-dev/clavis/clavis"
)

type users struct{ q querier }

const userCols = `id, coalesce(email, ''), first_name, last_name, admin, disabled, system, created_at, updated_at`

func scanUser(row interface{ Scan(...any) error }) (*clavis.User, error) {
	var u clavis.User
	var created, updated int64
	if err := row.Scan(&u.ID, &u.Email, &u.FirstName, &u.LastName, &u.Admin, &u.Disabled, &u.System, &created, &updated); err != nil {
		return nil, err
	}
	u.CreatedAt, u.UpdatedAt = fromUnix(created), fromUnix(updated)
	return &u, nil
}

func nullEmail(e string) sql.NullString {
	e = strings.TrimSpace(e)
	return sql.NullString{String: strings.ToLower(e), Valid: e != ""}
}

func (s users) CreateUser(ctx context.Context, u *clavis.User) error {
	_, err := s.q.ExecContext(ctx, `INSERT INTO users (id, email, first_name, last_name, admin, disabled, system, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		u.ID, nullEmail(u.Email), u.FirstName, u.LastName, u.Admin, u.Disabled, u.System, toUnix(u.CreatedAt), toUnix(u.UpdatedAt))
	return storeErr(err, "a user or organization with this id or e-mail address already exists")
}

func (s users) GetUser(ctx context.Context, id string) (*clavis.User, error) {
	u, err := scanUser(s.q.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE id = $1 AND kind = 'user'`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, clavis.UserNotFound(id)
	}
	return u, storeErr(err, "")
}

func (s users) GetUserByEmail(ctx context.Context, email string) (*clavis.User, error) {
	u, err := scanUser(s.q.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE email = $1 AND kind = 'user'`, strings.ToLower(strings.TrimSpace(email))))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, clavis.Errorf(clavis.ENotFound, "no user has this e-mail address")
	}
	return u, storeErr(err, "")
}

func (s users) ListUsers(ctx context.Context, page clavis.Page) ([]*clavis.User, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT `+userCols+` FROM users WHERE NOT system AND kind = 'user' ORDER BY id LIMIT $1 OFFSET $2`, page.Limit(), page.Offset())
	if err != nil {
		return nil, clavis.Internal(err)
	}
	defer rows.Close()
	var out []*clavis.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, clavis.Internal(err)
		}
		out = append(out, u)
	}
	return out, storeErr(rows.Err(), "")
}

func (s users) UpdateUser(ctx context.Context, u *clavis.User) error {
	res, err := s.q.ExecContext(ctx, `UPDATE users SET email = $1, first_name = $2, last_name = $3, admin = $4, disabled = $5, updated_at = $6 WHERE id = $7 AND kind = 'user'`,
		nullEmail(u.Email), u.FirstName, u.LastName, u.Admin, u.Disabled, toUnix(u.UpdatedAt), u.ID)
	if err != nil {
		return storeErr(err, "another user has this e-mail address")
	}
	return mustAffect(res, nil, clavis.UserNotFound(u.ID).Message)
}

func (s users) DeleteUser(ctx context.Context, id string) error {
	res, err := s.q.ExecContext(ctx, `DELETE FROM users WHERE id = $1 AND kind = 'user'`, id)
	return mustAffect(res, err, clavis.UserNotFound(id).Message)
}
