package sqlstore

import (
	"context"
	"database/sql"
	"strings"

	"github.com/clavis-dev/clavis/clavis"
)

type users struct{ v view }

const userCols = `id, coalesce(email, ''), first_name, last_name, admin, disabled, system, created_at, updated_at`

func scanUser(row scanner) (*clavis.User, error) {
	var u clavis.User
	var created, updated int64
	if err := row.Scan(&u.ID, &u.Email, &u.FirstName, &u.LastName, &u.Admin, &u.Disabled, &u.System, &created, &updated); err != nil {
		return nil, err
	}
	u.CreatedAt, u.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &u, nil
}

// normEmail is how e-mail addresses are stored and looked up: trimmed, in
// lower case, and NULL when empty (many users may have none).
func normEmail(e string) sql.NullString {
	e = strings.ToLower(strings.TrimSpace(e))
	return sql.NullString{String: e, Valid: e != ""}
}

func (s users) CreateUser(ctx context.Context, u *clavis.User) error {
	_, err := s.v.exec(ctx, `INSERT INTO users (id, email, first_name, last_name, admin, disabled, system, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		u.ID, normEmail(u.Email), u.FirstName, u.LastName, u.Admin, u.Disabled, u.System, micros(u.CreatedAt), micros(u.UpdatedAt))
	return s.v.failed(err, clavis.Errorf(clavis.EConflict, "a user or organization with this id or e-mail address already exists"), nil)
}

func (s users) GetUser(ctx context.Context, id string) (*clavis.User, error) {
	return get(ctx, s.v, scanUser, clavis.UserNotFound(id), `SELECT `+userCols+` FROM users WHERE id = ? AND kind = 'user'`, id)
}

func (s users) GetUserByEmail(ctx context.Context, email string) (*clavis.User, error) {
	return get(ctx, s.v, scanUser, clavis.Errorf(clavis.ENotFound, "no user has this e-mail address"),
		`SELECT `+userCols+` FROM users WHERE email = ? AND kind = 'user'`, normEmail(email).String)
}

func (s users) ListUsers(ctx context.Context, p clavis.Page) ([]*clavis.User, error) {
	limit, offset := page(p)
	return list(ctx, s.v, scanUser, `SELECT `+userCols+` FROM users WHERE NOT system AND kind = 'user' ORDER BY id LIMIT ? OFFSET ?`, limit, offset)
}

func (s users) UpdateUser(ctx context.Context, u *clavis.User) error {
	res, err := s.v.exec(ctx, `UPDATE users SET email = ?, first_name = ?, last_name = ?, admin = ?, disabled = ?, updated_at = ? WHERE id = ? AND kind = 'user'`,
		normEmail(u.Email), u.FirstName, u.LastName, u.Admin, u.Disabled, micros(u.UpdatedAt), u.ID)
	if err != nil {
		return s.v.failed(err, clavis.Errorf(clavis.EConflict, "another user has this e-mail address"), nil)
	}
	return s.v.affected(res, nil, clavis.UserNotFound(u.ID))
}

func (s users) DeleteUser(ctx context.Context, id string) error {
	res, err := s.v.exec(ctx, `DELETE FROM users WHERE id = ? AND kind = 'user'`, id)
	return s.v.affected(res, err, clavis.UserNotFound(id))
}
