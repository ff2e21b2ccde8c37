package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/clavis-dev/clavis/clavis"
)

type orgs struct{ v view }

func scanOrg(row scanner) (*clavis.Org, error) {
	var o clavis.Org
	var created, updated int64
	if err := row.Scan(&o.ID, &o.Name, &created, &updated); err != nil {
		return nil, err
	}
	o.CreatedAt, o.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &o, nil
}

func (s orgs) CreateOrg(ctx context.Context, o *clavis.Org) error {
	_, err := s.v.exec(ctx, `INSERT INTO users (id, kind, name, created_at, updated_at) VALUES (?, 'org', ?, ?, ?)`,
		o.ID, o.Name, micros(o.CreatedAt), micros(o.UpdatedAt))
	return s.v.failed(err, clavis.Errorf(clavis.EConflict, "a user or organization with id %q already exists", o.ID), nil)
}

func (s orgs) GetOrg(ctx context.Context, id string) (*clavis.Org, error) {
	return get(ctx, s.v, scanOrg, clavis.OrgNotFound(id), `SELECT id, name, created_at, updated_at FROM users WHERE id = ? AND kind = 'org'`, id)
}

func (s orgs) ListOrgs(ctx context.Context, userID string, p clavis.Page) ([]*clavis.Org, error) {
	limit, offset := page(p)
	return list(ctx, s.v, scanOrg, `SELECT u.id, u.name, u.created_at, u.updated_at FROM users u
		JOIN org_members m ON m.org_id = u.id WHERE m.user_id = ? AND u.kind = 'org' ORDER BY u.id LIMIT ? OFFSET ?`, userID, limit, offset)
}

func (s orgs) DeleteOrg(ctx context.Context, id string) error {
	res, err := s.v.exec(ctx, `DELETE FROM users WHERE id = ? AND kind = 'org'`, id)
	return s.v.affected(res, err, clavis.OrgNotFound(id))
}

const memberCols = `org_id, user_id, role, scopes, created_at`

func scanMember(row scanner) (*clavis.OrgMember, error) {
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
	m.Scopes, m.CreatedAt = sc, fromMicros(created)
	return &m, nil
}

func (s orgs) PutMember(ctx context.Context, m *clavis.OrgMember) error {
	_, err := s.v.exec(ctx, `INSERT INTO org_members (`+memberCols+`) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (org_id, user_id) DO UPDATE SET role = excluded.role, scopes = excluded.scopes`,
		m.OrgID, m.UserID, m.Role, joinScopes(m.Scopes), micros(m.CreatedAt))
	return s.v.failed(err, nil, clavis.Errorf(clavis.ENotFound, "the organization or user does not exist"))
}

func (s orgs) GetMember(ctx context.Context, orgID, userID string) (*clavis.OrgMember, error) {
	return get(ctx, s.v, scanMember, clavis.MemberNotFound(orgID, userID), `SELECT `+memberCols+` FROM org_members WHERE org_id = ? AND user_id = ?`, orgID, userID)
}

func (s orgs) ListMembers(ctx context.Context, orgID string, p clavis.Page) ([]*clavis.OrgMember, error) {
	limit, offset := page(p)
	return list(ctx, s.v, scanMember, `SELECT `+memberCols+` FROM org_members WHERE org_id = ? ORDER BY user_id LIMIT ? OFFSET ?`, orgID, limit, offset)
}

func (s orgs) CountMembers(ctx context.Context, orgID string, role clavis.OrgRole) (int, error) {
	q, args := `SELECT count(*) FROM org_members WHERE org_id = ?`, []any{orgID}
	if role != "" {
		q, args = q+` AND role = ?`, append(args, role)
	}
	var n int
	if err := s.v.queryRow(ctx, q, args...).Scan(&n); err != nil {
		return 0, s.v.internal(err)
	}
	return n, nil
}

func (s orgs) RemoveMember(ctx context.Context, orgID, userID string) error {
	// team_members rows go with the membership (ON DELETE CASCADE).
	res, err := s.v.exec(ctx, `DELETE FROM org_members WHERE org_id = ? AND user_id = ?`, orgID, userID)
	return s.v.affected(res, err, clavis.MemberNotFound(orgID, userID))
}

func (s orgs) PutTeam(ctx context.Context, t *clavis.Team) error {
	return s.v.inTx(ctx, func(v view) error {
		_, err := v.exec(ctx, `INSERT INTO teams (org_id, id, name, scopes, created_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (org_id, id) DO UPDATE SET name = excluded.name, scopes = excluded.scopes`,
			t.OrgID, t.ID, t.Name, joinScopes(t.Scopes), micros(t.CreatedAt))
		if err != nil {
			return v.failed(err, nil, clavis.OrgNotFound(t.OrgID))
		}
		for _, table := range []string{"team_members", "team_apps"} {
			if _, err := v.exec(ctx, `DELETE FROM `+table+` WHERE org_id = ? AND team_id = ?`, t.OrgID, t.ID); err != nil {
				return v.internal(err)
			}
		}
		for _, u := range t.Members {
			_, err := v.exec(ctx, `INSERT INTO team_members (org_id, team_id, user_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, t.OrgID, t.ID, u)
			if err != nil {
				return v.failed(err, nil, clavis.MemberNotFound(t.OrgID, u))
			}
		}
		for _, a := range t.Apps {
			_, err := v.exec(ctx, `INSERT INTO team_apps (org_id, team_id, app_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, t.OrgID, t.ID, a)
			if err != nil {
				return v.failed(err, nil, clavis.AppNotFound(clavis.AppRef{OwnerID: t.OrgID, AppID: a}))
			}
		}
		return nil
	})
}

func (s orgs) GetTeam(ctx context.Context, orgID, id string) (*clavis.Team, error) {
	t, err := get(ctx, s.v, scanTeam, clavis.TeamNotFound(orgID, id), `SELECT org_id, id, name, scopes, created_at FROM teams WHERE org_id = ? AND id = ?`, orgID, id)
	if err != nil {
		return nil, err
	}
	return t, s.fillTeam(ctx, t)
}

func scanTeam(row scanner) (*clavis.Team, error) {
	var t clavis.Team
	var scopes string
	var created int64
	if err := row.Scan(&t.OrgID, &t.ID, &t.Name, &scopes, &created); err != nil {
		return nil, err
	}
	sc, err := parseScopes(scopes)
	if err != nil {
		return nil, err
	}
	t.Scopes, t.CreatedAt = sc, fromMicros(created)
	return &t, nil
}

func scanString(row scanner) (string, error) {
	var s string
	err := row.Scan(&s)
	return s, err
}

// fillTeam reads the members and apps of t.
func (s orgs) fillTeam(ctx context.Context, t *clavis.Team) error {
	var err error
	if t.Members, err = list(ctx, s.v, scanString, `SELECT user_id FROM team_members WHERE org_id = ? AND team_id = ? ORDER BY user_id`, t.OrgID, t.ID); err != nil {
		return err
	}
	t.Apps, err = list(ctx, s.v, scanString, `SELECT app_id FROM team_apps WHERE org_id = ? AND team_id = ? ORDER BY app_id`, t.OrgID, t.ID)
	return err
}

func (s orgs) ListTeams(ctx context.Context, orgID string, p clavis.Page) ([]*clavis.Team, error) {
	limit, offset := page(p)
	out, err := list(ctx, s.v, scanTeam, `SELECT org_id, id, name, scopes, created_at FROM teams WHERE org_id = ? ORDER BY id LIMIT ? OFFSET ?`, orgID, limit, offset)
	if err != nil {
		return nil, err
	}
	for _, t := range out {
		if err := s.fillTeam(ctx, t); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (s orgs) DeleteTeam(ctx context.Context, orgID, id string) error {
	res, err := s.v.exec(ctx, `DELETE FROM teams WHERE org_id = ? AND id = ?`, orgID, id)
	return s.v.affected(res, err, clavis.TeamNotFound(orgID, id))
}

func (s orgs) TeamScopes(ctx context.Context, orgID, userID, appID string) (clavis.ScopeSet, bool, error) {
	all, err := list(ctx, s.v, scanString, `SELECT t.scopes FROM teams t
		JOIN team_members m ON m.org_id = t.org_id AND m.team_id = t.id
		JOIN team_apps a ON a.org_id = t.org_id AND a.team_id = t.id
		WHERE t.org_id = ? AND m.user_id = ? AND a.app_id = ?`, orgID, userID, appID)
	if err != nil {
		return clavis.ScopeSet{}, false, err
	}
	var union clavis.ScopeSet
	for _, scopes := range all {
		sc, err := parseScopes(scopes)
		if err != nil {
			return clavis.ScopeSet{}, false, s.v.internal(err)
		}
		union = union.Union(sc)
	}
	return union, len(all) > 0, nil
}

const keyPolicyCols = `org_id, pat_max_lifetime, pat_expiry_required, app_max_lifetime, app_expiry_required, stop_at, updated_at`

func scanKeyPolicy(row scanner) (*clavis.OrgKeyPolicy, error) {
	var p clavis.OrgKeyPolicy
	var patMax, appMax, updated int64
	var stop sql.NullInt64
	if err := row.Scan(&p.OrgID, &patMax, &p.PATExpiryRequired, &appMax, &p.AppKeyExpiryRequired, &stop, &updated); err != nil {
		return nil, err
	}
	p.PATMaxLifetime, p.AppKeyMaxLifetime = time.Duration(patMax)*time.Microsecond, time.Duration(appMax)*time.Microsecond
	p.StopAt, p.UpdatedAt = fromNullMicros(stop), fromMicros(updated)
	return &p, nil
}

func (s orgs) GetKeyPolicy(ctx context.Context, orgID string) (*clavis.OrgKeyPolicy, error) {
	return get(ctx, s.v, scanKeyPolicy, clavis.Errorf(clavis.ENotFound, "organization %q has no key policy", orgID),
		`SELECT `+keyPolicyCols+` FROM org_key_policies WHERE org_id = ?`, orgID)
}

func (s orgs) PutKeyPolicy(ctx context.Context, p *clavis.OrgKeyPolicy) error {
	if _, err := s.GetOrg(ctx, p.OrgID); err != nil {
		return err
	}
	_, err := s.v.exec(ctx, `INSERT INTO org_key_policies (`+keyPolicyCols+`) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (org_id) DO UPDATE SET pat_max_lifetime = excluded.pat_max_lifetime, pat_expiry_required = excluded.pat_expiry_required,
		app_max_lifetime = excluded.app_max_lifetime, app_expiry_required = excluded.app_expiry_required, stop_at = excluded.stop_at, updated_at = excluded.updated_at`,
		p.OrgID, p.PATMaxLifetime.Microseconds(), p.PATExpiryRequired, p.AppKeyMaxLifetime.Microseconds(), p.AppKeyExpiryRequired, nullMicros(p.StopAt), micros(p.UpdatedAt))
	return s.v.failed(err, nil, clavis.OrgNotFound(p.OrgID))
}

func (s orgs) ListKeyPolicies(ctx context.Context, userID string) ([]*clavis.OrgKeyPolicy, error) {
	return list(ctx, s.v, scanKeyPolicy, `SELECT p.org_id, p.pat_max_lifetime, p.pat_expiry_required, p.app_max_lifetime, p.app_expiry_required, p.stop_at, p.updated_at
		FROM org_key_policies p JOIN org_members m ON m.org_id = p.org_id WHERE m.user_id = ? ORDER BY p.org_id`, userID)
}
