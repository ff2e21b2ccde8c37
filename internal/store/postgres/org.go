package postgres

import (
	"context"
	"database/sql"
	"errors"

	"github.com/clavis-dev/clavis/clavis"
)

type orgs struct{ q querier }

func (s orgs) CreateOrg(ctx context.Context, o *clavis.Org) error {
	_, err := s.q.ExecContext(ctx, `INSERT INTO users (id, kind, name, created_at, updated_at) VALUES ($1, 'org', $2, $3, $4)`,
		o.ID, o.Name, toUnix(o.CreatedAt), toUnix(o.UpdatedAt))
	return storeErr(err, "a user or organization with id \""+o.ID+"\" already exists")
}

func (s orgs) GetOrg(ctx context.Context, id string) (*clavis.Org, error) {
	var o clavis.Org
	var created, updated int64
	err := s.q.QueryRowContext(ctx, `SELECT id, name, created_at, updated_at FROM users WHERE id = $1 AND kind = 'org'`, id).Scan(&o.ID, &o.Name, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, clavis.OrgNotFound(id)
	}
	if err != nil {
		return nil, clavis.Internal(err)
	}
	o.CreatedAt, o.UpdatedAt = fromUnix(created), fromUnix(updated)
	return &o, nil
}

func (s orgs) ListOrgs(ctx context.Context, userID string, page clavis.Page) ([]*clavis.Org, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT u.id, u.name, u.created_at, u.updated_at FROM users u
		JOIN org_members m ON m.org_id = u.id WHERE m.user_id = $1 AND u.kind = 'org' ORDER BY u.id LIMIT $2 OFFSET $3`, userID, page.Limit(), page.Offset())
	if err != nil {
		return nil, clavis.Internal(err)
	}
	defer rows.Close()
	var out []*clavis.Org
	for rows.Next() {
		var o clavis.Org
		var created, updated int64
		if err := rows.Scan(&o.ID, &o.Name, &created, &updated); err != nil {
			return nil, clavis.Internal(err)
		}
		o.CreatedAt, o.UpdatedAt = fromUnix(created), fromUnix(updated)
		out = append(out, &o)
	}
	return out, storeErr(rows.Err(), "")
}

func (s orgs) DeleteOrg(ctx context.Context, id string) error {
	res, err := s.q.ExecContext(ctx, `DELETE FROM users WHERE id = $1 AND kind = 'org'`, id)
	return mustAffect(res, err, clavis.OrgNotFound(id).Message)
}

const memberCols = `org_id, user_id, role, scopes, created_at`

func scanMember(row interface{ Scan(...any) error }) (*clavis.OrgMember, error) {
	var m clavis.OrgMember
	var scopes string
	var created int64
	if err := row.Scan(&m.OrgID, &m.UserID, &m.Role, &scopes, &created); err != nil {
		return nil, err
	}
	sc, err := parseScopes(scopes)
	if err != nil {
		return nil, err
	}
	m.Scopes, m.CreatedAt = sc, fromUnix(created)
	return &m, nil
}

func (s orgs) PutMember(ctx context.Context, m *clavis.OrgMember) error {
	_, err := s.q.ExecContext(ctx, `INSERT INTO org_members (`+memberCols+`) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (org_id, user_id) DO UPDATE SET role = excluded.role, scopes = excluded.scopes`,
		m.OrgID, m.UserID, m.Role, joinScopes(m.Scopes), toUnix(m.CreatedAt))
	if err != nil && isFK(err) {
		return clavis.Errorf(clavis.ENotFound, "the organization or user does not exist")
	}
	return storeErr(err, "")
}

func (s orgs) GetMember(ctx context.Context, orgID, userID string) (*clavis.OrgMember, error) {
	m, err := scanMember(s.q.QueryRowContext(ctx, `SELECT `+memberCols+` FROM org_members WHERE org_id = $1 AND user_id = $2`, orgID, userID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, clavis.MemberNotFound(orgID, userID)
	}
	return m, storeErr(err, "")
}

func (s orgs) ListMembers(ctx context.Context, orgID string, page clavis.Page) ([]*clavis.OrgMember, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT `+memberCols+` FROM org_members WHERE org_id = $1 ORDER BY user_id LIMIT $2 OFFSET $3`, orgID, page.Limit(), page.Offset())
	if err != nil {
		return nil, clavis.Internal(err)
	}
	defer rows.Close()
	var out []*clavis.OrgMember
	for rows.Next() {
		m, err := scanMember(rows)
		if err != nil {
			return nil, clavis.Internal(err)
		}
		out = append(out, m)
	}
	return out, storeErr(rows.Err(), "")
}

func (s orgs) RemoveMember(ctx context.Context, orgID, userID string) error {
	// team_members rows go with the membership (ON DELETE CASCADE).
	res, err := s.q.ExecContext(ctx, `DELETE FROM org_members WHERE org_id = $1 AND user_id = $2`, orgID, userID)
	return mustAffect(res, err, clavis.MemberNotFound(orgID, userID).Message)
}

func (s orgs) PutTeam(ctx context.Context, t *clavis.Team) error {
	return inTx(ctx, s.q, func(q querier) error { return orgs{q}.putTeam(ctx, t) })
}

func (s orgs) putTeam(ctx context.Context, t *clavis.Team) error {
	_, err := s.q.ExecContext(ctx, `INSERT INTO teams (org_id, id, name, scopes, created_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (org_id, id) DO UPDATE SET name = excluded.name, scopes = excluded.scopes`,
		t.OrgID, t.ID, t.Name, joinScopes(t.Scopes), toUnix(t.CreatedAt))
	if err != nil {
		if isFK(err) {
			return clavis.OrgNotFound(t.OrgID)
		}
		return storeErr(err, "")
	}
	if _, err := s.q.ExecContext(ctx, `DELETE FROM team_members WHERE org_id = $1 AND team_id = $2`, t.OrgID, t.ID); err != nil {
		return clavis.Internal(err)
	}
	if _, err := s.q.ExecContext(ctx, `DELETE FROM team_apps WHERE org_id = $1 AND team_id = $2`, t.OrgID, t.ID); err != nil {
		return clavis.Internal(err)
	}
	for _, u := range t.Members {
		if _, err := s.q.ExecContext(ctx, `INSERT INTO team_members (org_id, team_id, user_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, t.OrgID, t.ID, u); err != nil {
			if isFK(err) {
				return clavis.MemberNotFound(t.OrgID, u)
			}
			return clavis.Internal(err)
		}
	}
	for _, a := range t.Apps {
		if _, err := s.q.ExecContext(ctx, `INSERT INTO team_apps (org_id, team_id, app_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, t.OrgID, t.ID, a); err != nil {
			if isFK(err) {
				return clavis.AppNotFound(clavis.AppRef{OwnerID: t.OrgID, AppID: a})
			}
			return clavis.Internal(err)
		}
	}
	return nil
}

func (s orgs) GetTeam(ctx context.Context, orgID, id string) (*clavis.Team, error) {
	var t clavis.Team
	var scopes string
	var created int64
	err := s.q.QueryRowContext(ctx, `SELECT org_id, id, name, scopes, created_at FROM teams WHERE org_id = $1 AND id = $2`, orgID, id).
		Scan(&t.OrgID, &t.ID, &t.Name, &scopes, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, clavis.TeamNotFound(orgID, id)
	}
	if err != nil {
		return nil, clavis.Internal(err)
	}
	if t.Scopes, err = parseScopes(scopes); err != nil {
		return nil, clavis.Internal(err)
	}
	t.CreatedAt = fromUnix(created)
	if t.Members, err = s.strings(ctx, `SELECT user_id FROM team_members WHERE org_id = $1 AND team_id = $2 ORDER BY user_id`, orgID, id); err != nil {
		return nil, err
	}
	if t.Apps, err = s.strings(ctx, `SELECT app_id FROM team_apps WHERE org_id = $1 AND team_id = $2 ORDER BY app_id`, orgID, id); err != nil {
		return nil, err
	}
	return &t, nil
}

func (s orgs) strings(ctx context.Context, query string, args ...any) ([]string, error) {
	rows, err := s.q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, clavis.Internal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, clavis.Internal(err)
		}
		out = append(out, v)
	}
	return out, storeErr(rows.Err(), "")
}

func (s orgs) ListTeams(ctx context.Context, orgID string, page clavis.Page) ([]*clavis.Team, error) {
	ids, err := s.strings(ctx, `SELECT id FROM teams WHERE org_id = $1 ORDER BY id LIMIT $2 OFFSET $3`, orgID, page.Limit(), page.Offset())
	if err != nil {
		return nil, err
	}
	out := make([]*clavis.Team, 0, len(ids))
	for _, id := range ids {
		t, err := s.GetTeam(ctx, orgID, id)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

func (s orgs) DeleteTeam(ctx context.Context, orgID, id string) error {
	res, err := s.q.ExecContext(ctx, `DELETE FROM teams WHERE org_id = $1 AND id = $2`, orgID, id)
	return mustAffect(res, err, clavis.TeamNotFound(orgID, id).Message)
}

func (s orgs) TeamScopes(ctx context.Context, orgID, userID, appID string) (clavis.ScopeSet, bool, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT t.scopes FROM teams t
		JOIN team_members m ON m.org_id = t.org_id AND m.team_id = t.id
		JOIN team_apps a ON a.org_id = t.org_id AND a.team_id = t.id
		WHERE t.org_id = $1 AND m.user_id = $2 AND a.app_id = $3`, orgID, userID, appID)
	if err != nil {
		return clavis.ScopeSet{}, false, clavis.Internal(err)
	}
	defer rows.Close()
	var union clavis.ScopeSet
	found := false
	for rows.Next() {
		var scopes string
		if err := rows.Scan(&scopes); err != nil {
			return clavis.ScopeSet{}, false, clavis.Internal(err)
		}
		sc, err := parseScopes(scopes)
		if err != nil {
			return clavis.ScopeSet{}, false, clavis.Internal(err)
		}
		union, found = union.Union(sc), true
	}
	return union, found, storeErr(rows.Err(), "")
}
