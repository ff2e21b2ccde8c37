package service

import (
	"context"
	"fmt"
	"strings"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/auth"
)

// Organization use cases act on the organization of acc.Org, the caller's
// membership, which the authorizer resolved and checked against the
// method's rule (members read, admins change).

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
		if err := tx.Orgs().PutMember(ctx, &clavis.OrgMember{OrgID: id, UserID: acc.Principal.UserID, Role: clavis.RoleAdmin, Scopes: clavis.AllScopes(), CreatedAt: now}); err != nil {
			return err
		}
		return s.record(ctx, tx, s.orgEntry(ctx, acc, clavis.AuditOrgCreate, id, acc.Principal.UserID, ""))
	})
	if err != nil {
		return nil, err
	}
	s.inval.InvalidateGrants(id, "")
	return o, nil
}

// GetOrg returns the target organization.
func (s *Service) GetOrg(ctx context.Context, acc *auth.Access) (*clavis.Org, error) {
	return s.store.Orgs().GetOrg(ctx, acc.Org.OrgID)
}

// ListOrgs lists the orgs the caller belongs to.
func (s *Service) ListOrgs(ctx context.Context, acc *auth.Access, page clavis.Page) ([]*clavis.Org, error) {
	return s.store.Orgs().ListOrgs(ctx, acc.Principal.UserID, page)
}

// DeleteOrg deletes the target organization with its apps, their keys, and
// its teams. The keys of its apps stop working on the very next request.
func (s *Service) DeleteOrg(ctx context.Context, acc *auth.Access) error {
	id := acc.Org.OrgID
	err := s.store.WithTx(ctx, func(tx clavis.Tx) error {
		if err := tx.Orgs().DeleteOrg(ctx, id); err != nil {
			return err
		}
		return s.record(ctx, tx, s.orgEntry(ctx, acc, clavis.AuditOrgDelete, id, "", ""))
	})
	if err != nil {
		return err
	}
	s.inval.InvalidateOwner(id)
	s.wake() // the data of the org's apps goes in the background
	return nil
}

// MemberSpec describes a membership to add or change.
type MemberSpec struct {
	UserID string
	Email  string
	Role   clavis.OrgRole
	Scopes []string
}

// PutMember adds a member to the target organization or changes their role
// and scopes. An org always keeps at least one admin.
func (s *Service) PutMember(ctx context.Context, acc *auth.Access, sp MemberSpec) (*clavis.OrgMember, error) {
	orgID := acc.Org.OrgID
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
	if err := auth.CheckGrantable(acc.Scopes, scopes); err != nil {
		return nil, err
	}
	var m *clavis.OrgMember
	err = s.store.WithTx(ctx, func(tx clavis.Tx) error {
		u, err := s.resolveUser(ctx, tx, CollaboratorSpec{UserID: sp.UserID, Email: sp.Email})
		if err != nil {
			return err
		}
		m = &clavis.OrgMember{OrgID: orgID, UserID: u.ID, Role: sp.Role, Scopes: scopes, CreatedAt: s.clock()}
		ev := clavis.AuditMemberAdd
		if old, err := tx.Orgs().GetMember(ctx, orgID, u.ID); err == nil {
			ev = clavis.AuditMemberChange
			m.CreatedAt = old.CreatedAt
			if old.Role == clavis.RoleAdmin && sp.Role != clavis.RoleAdmin {
				if err := lastAdmin(ctx, tx, orgID); err != nil {
					return err
				}
			}
		}
		if err := tx.Orgs().PutMember(ctx, m); err != nil {
			return err
		}
		return s.record(ctx, tx, s.orgEntry(ctx, acc, ev, orgID, u.ID, fmt.Sprintf("role %s, scopes %s", sp.Role, strings.Join(scopes.Names(), " "))))
	})
	if err != nil {
		return nil, err
	}
	s.inval.InvalidateGrants(orgID, "")
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

// ListMembers lists the target organization's members.
func (s *Service) ListMembers(ctx context.Context, acc *auth.Access, page clavis.Page) ([]*clavis.OrgMember, error) {
	return s.store.Orgs().ListMembers(ctx, acc.Org.OrgID, page)
}

// RemoveMember removes a member of the target organization. It holds from
// the member's next request. An org always keeps at least one admin.
func (s *Service) RemoveMember(ctx context.Context, acc *auth.Access, userID string) error {
	orgID := acc.Org.OrgID
	err := s.store.WithTx(ctx, func(tx clavis.Tx) error {
		m, err := tx.Orgs().GetMember(ctx, orgID, userID)
		if err != nil {
			return err
		}
		if m.Role == clavis.RoleAdmin {
			if err := lastAdmin(ctx, tx, orgID); err != nil {
				return err
			}
		}
		if err := tx.Orgs().RemoveMember(ctx, orgID, userID); err != nil {
			return err
		}
		return s.record(ctx, tx, s.orgEntry(ctx, acc, clavis.AuditMemberRemove, orgID, userID, ""))
	})
	if err != nil {
		return err
	}
	s.inval.InvalidateGrants(orgID, "")
	return nil
}

// PutTeam creates or replaces a team of the target organization. Its
// members must be members of the org, its apps apps of the org, and its
// scopes within the caller's.
func (s *Service) PutTeam(ctx context.Context, acc *auth.Access, t clavis.Team, scopeNames []string) (*clavis.Team, error) {
	orgID := acc.Org.OrgID
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
	if err := auth.CheckGrantable(acc.Scopes, scopes); err != nil {
		return nil, err
	}
	t.OrgID, t.Scopes, t.Members, t.Apps = orgID, scopes, dedupe(t.Members), dedupe(t.Apps)
	err = s.store.WithTx(ctx, func(tx clavis.Tx) error {
		t.CreatedAt = s.clock()
		ev := clavis.AuditTeamCreate
		if old, err := tx.Orgs().GetTeam(ctx, orgID, t.ID); err == nil {
			t.CreatedAt, ev = old.CreatedAt, clavis.AuditTeamUpdate
		}
		if err := tx.Orgs().PutTeam(ctx, &t); err != nil {
			return err
		}
		return s.record(ctx, tx, s.orgEntry(ctx, acc, ev, orgID, "", fmt.Sprintf("team %s, members %s, apps %s, scopes %s",
			t.ID, strings.Join(t.Members, " "), strings.Join(t.Apps, " "), strings.Join(scopes.Names(), " "))))
	})
	if err != nil {
		return nil, err
	}
	s.inval.InvalidateGrants(orgID, "")
	return &t, nil
}

// GetTeam returns a team of the target organization.
func (s *Service) GetTeam(ctx context.Context, acc *auth.Access, id string) (*clavis.Team, error) {
	return s.store.Orgs().GetTeam(ctx, acc.Org.OrgID, id)
}

// ListTeams lists the target organization's teams.
func (s *Service) ListTeams(ctx context.Context, acc *auth.Access, page clavis.Page) ([]*clavis.Team, error) {
	return s.store.Orgs().ListTeams(ctx, acc.Org.OrgID, page)
}

// DeleteTeam deletes a team of the target organization.
func (s *Service) DeleteTeam(ctx context.Context, acc *auth.Access, id string) error {
	err := s.store.WithTx(ctx, func(tx clavis.Tx) error {
		if err := tx.Orgs().DeleteTeam(ctx, acc.Org.OrgID, id); err != nil {
			return err
		}
		return s.record(ctx, tx, s.orgEntry(ctx, acc, clavis.AuditTeamDelete, acc.Org.OrgID, "", "team "+id))
	})
	if err != nil {
		return err
	}
	s.inval.InvalidateGrants(acc.Org.OrgID, "")
	return nil
}

// orgEntry is an entry about organization orgID (and its member userID).
func (s *Service) orgEntry(ctx context.Context, acc *auth.Access, ev clavis.AuditEvent, orgID, userID, details string) *clavis.AuditEntry {
	e := s.entry(ctx, acc, ev)
	e.OrgID, e.SubjectID, e.Details = orgID, userID, details
	return e
}
