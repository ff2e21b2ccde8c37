package service

import (
	"context"
	"strings"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/auth"
)

// member returns the caller's membership of an org; non-members get the
// answer a missing org gets.
func (s *Service) member(ctx context.Context, tx clavis.Tx, acc *auth.Access, orgID string) (*clavis.OrgMember, error) {
	if err := clavis.CheckID("org_id", orgID); err != nil {
		return nil, err
	}
	if _, err := tx.Orgs().GetOrg(ctx, orgID); err != nil {
		return nil, err
	}
	m, err := tx.Orgs().GetMember(ctx, orgID, acc.Principal.UserID)
	if clavis.ErrorCode(err) == clavis.ENotFound {
		return nil, clavis.OrgNotFound(orgID)
	}
	return m, err
}

// admin returns an error unless the caller is an admin of the org.
func (s *Service) admin(ctx context.Context, tx clavis.Tx, acc *auth.Access, orgID string) error {
	m, err := s.member(ctx, tx, acc, orgID)
	if err != nil {
		return err
	}
	if m.Role != clavis.RoleAdmin {
		return clavis.Errorf(clavis.EForbidden, "only admins of organization %q can change it", orgID)
	}
	return nil
}

// CreateOrg creates an organization whose admin is the caller.
func (s *Service) CreateOrg(ctx context.Context, acc *auth.Access, id, name string) (*clavis.Org, error) {
	if err := clavis.CheckID("org id", id); err != nil {
		return nil, err
	}
	if isReserved(id) {
		return nil, clavis.Errorf(clavis.EInvalid, "id %q is reserved", id)
	}
	now := s.clock()
	o := &clavis.Org{ID: id, Name: name, CreatedAt: now, UpdatedAt: now}
	if o.Name == "" {
		o.Name = id
	}
	err := s.store.WithTx(ctx, func(tx clavis.Tx) error {
		if err := tx.Orgs().CreateOrg(ctx, o); err != nil {
			return err
		}
		return tx.Orgs().PutMember(ctx, &clavis.OrgMember{OrgID: id, UserID: acc.Principal.UserID, Role: clavis.RoleAdmin, Scopes: clavis.AllScopes(), CreatedAt: now})
	})
	if err != nil {
		return nil, err
	}
	return o, nil
}

// GetOrg returns an org the caller belongs to.
func (s *Service) GetOrg(ctx context.Context, acc *auth.Access, id string) (*clavis.Org, error) {
	if _, err := s.member(ctx, s.store, acc, id); err != nil {
		return nil, err
	}
	return s.store.Orgs().GetOrg(ctx, id)
}

// ListOrgs lists the orgs the caller belongs to.
func (s *Service) ListOrgs(ctx context.Context, acc *auth.Access, page clavis.Page) ([]*clavis.Org, error) {
	return s.store.Orgs().ListOrgs(ctx, acc.Principal.UserID, page)
}

// DeleteOrg deletes an org with its apps, their keys, and its teams. The
// keys of its apps stop working on the very next request.
func (s *Service) DeleteOrg(ctx context.Context, acc *auth.Access, id string) error {
	err := s.store.WithTx(ctx, func(tx clavis.Tx) error {
		if err := s.admin(ctx, tx, acc, id); err != nil {
			return err
		}
		return tx.Orgs().DeleteOrg(ctx, id)
	})
	if err != nil {
		return err
	}
	s.inval.InvalidateOwner(id)
	return nil
}

// MemberSpec describes a membership to add or change.
type MemberSpec struct {
	UserID string
	Email  string
	Role   clavis.OrgRole
	Scopes []string
}

// PutMember adds a member or changes their role and scopes (admins only).
// An org always keeps at least one admin.
func (s *Service) PutMember(ctx context.Context, acc *auth.Access, orgID string, sp MemberSpec) (*clavis.OrgMember, error) {
	if !sp.Role.Valid() {
		return nil, clavis.Errorf(clavis.EInvalid, "role must be ADMIN, ORG_CONTRIBUTOR or TEAM_CONTRIBUTOR")
	}
	scopes, err := clavis.ParseScopes(sp.Scopes)
	if err != nil {
		return nil, err
	}
	switch {
	case sp.Role == clavis.RoleAdmin:
		scopes = clavis.AllScopes()
	case sp.Role == clavis.RoleContributor && scopes.IsEmpty():
		return nil, clavis.Errorf(clavis.EInvalid, "an organization contributor needs scopes: what they may do on the organization's apps")
	}
	if missing := scopes.Minus(acc.Scopes); !missing.IsEmpty() {
		return nil, clavis.Errorf(clavis.EForbidden, "cannot grant scopes you do not hold: %s", strings.Join(missing.Names(), ", "))
	}
	var m *clavis.OrgMember
	err = s.store.WithTx(ctx, func(tx clavis.Tx) error {
		if err := s.admin(ctx, tx, acc, orgID); err != nil {
			return err
		}
		u, err := s.resolveUser(ctx, tx, CollaboratorSpec{UserID: sp.UserID, Email: sp.Email})
		if err != nil {
			return err
		}
		m = &clavis.OrgMember{OrgID: orgID, UserID: u.ID, Role: sp.Role, Scopes: scopes, CreatedAt: s.clock()}
		if old, err := tx.Orgs().GetMember(ctx, orgID, u.ID); err == nil {
			m.CreatedAt = old.CreatedAt
			if old.Role == clavis.RoleAdmin && sp.Role != clavis.RoleAdmin {
				if err := lastAdmin(ctx, tx, orgID); err != nil {
					return err
				}
			}
		}
		return tx.Orgs().PutMember(ctx, m)
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// lastAdmin refuses a change that would leave the org without an admin.
func lastAdmin(ctx context.Context, tx clavis.Tx, orgID string) error {
	admins, err := tx.Orgs().CountMembers(ctx, orgID, clavis.RoleAdmin)
	if err != nil {
		return err
	}
	if admins <= 1 {
		return clavis.Errorf(clavis.EInvalid, "organization %q must keep at least one admin", orgID)
	}
	return nil
}

// ListMembers lists an org's members (members only).
func (s *Service) ListMembers(ctx context.Context, acc *auth.Access, orgID string, page clavis.Page) ([]*clavis.OrgMember, error) {
	if _, err := s.member(ctx, s.store, acc, orgID); err != nil {
		return nil, err
	}
	return s.store.Orgs().ListMembers(ctx, orgID, page)
}

// RemoveMember removes a member: admins may remove anyone, members
// themselves. It holds from the member's next request.
func (s *Service) RemoveMember(ctx context.Context, acc *auth.Access, orgID, userID string) error {
	return s.store.WithTx(ctx, func(tx clavis.Tx) error {
		me, err := s.member(ctx, tx, acc, orgID)
		if err != nil {
			return err
		}
		if userID != acc.Principal.UserID && me.Role != clavis.RoleAdmin {
			return clavis.Errorf(clavis.EForbidden, "only admins of organization %q can remove other members", orgID)
		}
		m, err := tx.Orgs().GetMember(ctx, orgID, userID)
		if err != nil {
			return err
		}
		if m.Role == clavis.RoleAdmin {
			if err := lastAdmin(ctx, tx, orgID); err != nil {
				return err
			}
		}
		return tx.Orgs().RemoveMember(ctx, orgID, userID)
	})
}

// PutTeam creates or replaces a team (admins only). Its members must be
// members of the org, its apps apps of the org, and its scopes within the
// caller's.
func (s *Service) PutTeam(ctx context.Context, acc *auth.Access, orgID string, t clavis.Team, scopeNames []string) (*clavis.Team, error) {
	if err := clavis.CheckID("team id", t.ID); err != nil {
		return nil, err
	}
	scopes, err := clavis.ParseScopes(scopeNames)
	if err != nil {
		return nil, err
	}
	if scopes.IsEmpty() {
		return nil, clavis.Errorf(clavis.EInvalid, "a team needs scopes: what its members may do on its apps")
	}
	if missing := scopes.Minus(acc.Scopes); !missing.IsEmpty() {
		return nil, clavis.Errorf(clavis.EForbidden, "cannot grant scopes you do not hold: %s", strings.Join(missing.Names(), ", "))
	}
	t.OrgID, t.Scopes, t.Members, t.Apps = orgID, scopes, dedupe(t.Members), dedupe(t.Apps)
	err = s.store.WithTx(ctx, func(tx clavis.Tx) error {
		if err := s.admin(ctx, tx, acc, orgID); err != nil {
			return err
		}
		t.CreatedAt = s.clock()
		if old, err := tx.Orgs().GetTeam(ctx, orgID, t.ID); err == nil {
			t.CreatedAt = old.CreatedAt
		}
		return tx.Orgs().PutTeam(ctx, &t)
	})
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// GetTeam returns a team (members only).
func (s *Service) GetTeam(ctx context.Context, acc *auth.Access, orgID, id string) (*clavis.Team, error) {
	if _, err := s.member(ctx, s.store, acc, orgID); err != nil {
		return nil, err
	}
	return s.store.Orgs().GetTeam(ctx, orgID, id)
}

// ListTeams lists an org's teams (members only).
func (s *Service) ListTeams(ctx context.Context, acc *auth.Access, orgID string, page clavis.Page) ([]*clavis.Team, error) {
	if _, err := s.member(ctx, s.store, acc, orgID); err != nil {
		return nil, err
	}
	return s.store.Orgs().ListTeams(ctx, orgID, page)
}

// DeleteTeam deletes a team (admins only).
func (s *Service) DeleteTeam(ctx context.Context, acc *auth.Access, orgID, id string) error {
	return s.store.WithTx(ctx, func(tx clavis.Tx) error {
		if err := s.admin(ctx, tx, acc, orgID); err != nil {
			return err
		}
		return tx.Orgs().DeleteTeam(ctx, orgID, id)
	})
}
