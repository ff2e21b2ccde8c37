package service

import (
	"context"
	"strings"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/auth"
)

// CollaboratorSpec names a user to grant scopes on the target app: by id or
// by e-mail address.
type CollaboratorSpec struct {
	ID        string // collaborator id (patch only)
	UserID    string
	Email     string
	Scopes    []string
	Endpoints []string
}

// Collaborator is a grant with the user it names.
type Collaborator struct {
	*clavis.Collaborator
	User *clavis.User
}

// resolveUser finds the invitee of a spec.
func (s *Service) resolveUser(ctx context.Context, tx clavis.Tx, sp CollaboratorSpec) (*clavis.User, error) {
	var u *clavis.User
	var err error
	switch {
	case sp.UserID != "":
		if err := clavis.CheckID("collaborator user id", sp.UserID); err != nil {
			return nil, err
		}
		u, err = tx.Users().GetUser(ctx, sp.UserID)
	case sp.Email != "":
		u, err = tx.Users().GetUserByEmail(ctx, sp.Email)
		if clavis.ErrorCode(err) == clavis.ENotFound {
			return nil, clavis.Errorf(clavis.ENotFound, "no user has the e-mail address %q", sp.Email)
		}
	default:
		return nil, clavis.Errorf(clavis.EInvalid, "a collaborator needs user.id or user.user_detail.primary_email")
	}
	if err != nil {
		return nil, err
	}
	if u.System || u.Disabled {
		return nil, clavis.UserNotFound(u.ID)
	}
	return u, nil
}

// grantScopes parses the scopes and endpoints of a collaborator and has the
// authorizer check that the caller may grant them.
func (s *Service) grantScopes(acc *auth.Access, sp CollaboratorSpec) (clavis.ScopeSet, []string, error) {
	if len(sp.Scopes) == 0 {
		return clavis.ScopeSet{}, nil, clavis.Errorf(clavis.EInvalid, "a collaborator needs at least one scope")
	}
	scopes, err := clavis.ParseScopes(sp.Scopes)
	if err != nil {
		return clavis.ScopeSet{}, nil, err
	}
	if err := auth.CheckGrantable(acc.Scopes, scopes); err != nil {
		return clavis.ScopeSet{}, nil, err
	}
	endpoints := dedupe(sp.Endpoints)
	if err := auth.CheckEndpoints(endpoints); err != nil {
		return clavis.ScopeSet{}, nil, err
	}
	return scopes, endpoints, nil
}

// AddCollaborators grants users scopes on the target app, all or none. The
// owner (or anyone holding Collaborators:Add there) may add; nobody grants
// scopes they do not hold.
func (s *Service) AddCollaborators(ctx context.Context, acc *auth.Access, specs []CollaboratorSpec) ([]Collaborator, error) {
	return s.putCollaborators(ctx, acc, specs, false)
}

// PatchCollaborators overwrites the scopes of existing collaborators.
func (s *Service) PatchCollaborators(ctx context.Context, acc *auth.Access, action string, specs []CollaboratorSpec) ([]Collaborator, error) {
	if action != "" && action != "overwrite" {
		return nil, clavis.Errorf(clavis.EInvalid, "action %q is not supported: PatchCollaborators supports only \"overwrite\"", action)
	}
	return s.putCollaborators(ctx, acc, specs, true)
}

func (s *Service) putCollaborators(ctx context.Context, acc *auth.Access, specs []CollaboratorSpec, patch bool) ([]Collaborator, error) {
	if len(specs) == 0 {
		return nil, clavis.Errorf(clavis.EInvalid, "collaborators is empty: give at least one")
	}
	ref := acc.App.Ref()
	now := s.clock()
	var out []Collaborator
	err := s.store.WithTx(ctx, func(tx clavis.Tx) error {
		out = out[:0]
		for i, sp := range specs {
			u, err := s.resolveUser(ctx, tx, sp)
			if err != nil {
				return prefix(err, "collaborators[%d]: ", i)
			}
			if u.ID == ref.OwnerID {
				return clavis.Errorf(clavis.EInvalid, "collaborators[%d]: %q owns the app", i, u.ID)
			}
			scopes, endpoints, err := s.grantScopes(acc, sp)
			if err != nil {
				return prefix(err, "collaborators[%d]: ", i)
			}
			c := &clavis.Collaborator{App: ref, UserID: u.ID, Scopes: scopes, Endpoints: endpoints, CreatedAt: now, UpdatedAt: now}
			old, err := tx.Collaborators().GetCollaborator(ctx, ref, u.ID)
			switch {
			case err == nil:
				if !patch {
					return clavis.Errorf(clavis.EConflict, "collaborators[%d]: %q is already a collaborator; use PatchCollaborators", i, u.ID)
				}
				c.ID, c.CreatedAt = old.ID, old.CreatedAt
			case clavis.ErrorCode(err) != clavis.ENotFound:
				return err
			case patch:
				return prefix(err, "collaborators[%d]: ", i)
			default:
				if c.ID, err = auth.NewKeyID(); err != nil {
					return clavis.Internal(err)
				}
			}
			if err := tx.Collaborators().PutCollaborator(ctx, c); err != nil {
				return err
			}
			ev := clavis.AuditCollaboratorAdd
			if patch {
				ev = clavis.AuditCollaboratorSet
			}
			if err := s.record(ctx, tx, s.grantEntry(ctx, acc, ev, ref, u.ID, "scopes "+strings.Join(scopes.Names(), " "))); err != nil {
				return err
			}
			out = append(out, Collaborator{Collaborator: c, User: u})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.inval.InvalidateGrants(ref.OwnerID, ref.AppID)
	return out, nil
}

// RemoveCollaborators removes grants on the target app, named by
// collaborator id, user id or e-mail address, all or none. The removal
// holds from the very next request.
func (s *Service) RemoveCollaborators(ctx context.Context, acc *auth.Access, ids, emails []string) error {
	if len(ids)+len(emails) == 0 {
		return clavis.Errorf(clavis.EInvalid, "give collaborator_ids or user_emails")
	}
	ref := acc.App.Ref()
	now := s.clock()
	err := s.store.WithTx(ctx, func(tx clavis.Tx) error {
		var users []string
		for _, id := range ids {
			c, err := tx.Collaborators().GetCollaboratorByID(ctx, ref, id)
			if clavis.ErrorCode(err) == clavis.ENotFound {
				c, err = tx.Collaborators().GetCollaborator(ctx, ref, id)
			}
			if err != nil {
				return err
			}
			users = append(users, c.UserID)
		}
		for _, e := range emails {
			u, err := tx.Users().GetUserByEmail(ctx, e)
			if err != nil {
				return clavis.Errorf(clavis.ENotFound, "no collaborator has the e-mail address %q", e)
			}
			users = append(users, u.ID)
		}
		for _, u := range dedupe(users) {
			if err := tx.Collaborators().RemoveCollaborator(ctx, ref, u, now); err != nil {
				return err
			}
			if err := s.record(ctx, tx, s.grantEntry(ctx, acc, clavis.AuditCollaboratorDel, ref, u, "")); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.inval.InvalidateGrants(ref.OwnerID, ref.AppID)
	return nil
}

// ListCollaborators lists the grants on the target app with their users.
func (s *Service) ListCollaborators(ctx context.Context, acc *auth.Access, withDeleted bool, page clavis.Page) ([]Collaborator, *clavis.User, error) {
	cs, err := s.store.Collaborators().ListCollaborators(ctx, acc.App.Ref(), withDeleted, page)
	if err != nil {
		return nil, nil, err
	}
	out := make([]Collaborator, 0, len(cs))
	for _, c := range cs {
		u, err := s.store.Users().GetUser(ctx, c.UserID)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, Collaborator{Collaborator: c, User: u})
	}
	owner, err := s.store.Users().GetUser(ctx, acc.App.OwnerID)
	if clavis.ErrorCode(err) == clavis.ENotFound {
		owner, err = nil, nil // owned by an organization
	}
	return out, owner, err
}

// Collaboration is an app the caller was invited to, with its grant.
type Collaboration struct {
	Grant *clavis.Collaborator
	App   *clavis.App
}

// ListCollaborations lists the apps the caller is a collaborator of.
func (s *Service) ListCollaborations(ctx context.Context, acc *auth.Access, page clavis.Page) ([]Collaboration, error) {
	cs, err := s.store.Collaborators().ListCollaborations(ctx, acc.UserID, page)
	if err != nil {
		return nil, err
	}
	out := make([]Collaboration, 0, len(cs))
	for _, c := range cs {
		a, err := s.store.Apps().GetApp(ctx, c.App)
		if err != nil {
			return nil, err
		}
		out = append(out, Collaboration{Grant: c, App: a})
	}
	return out, nil
}

// grantEntry is an entry about the grant of userID on app.
func (s *Service) grantEntry(ctx context.Context, acc *auth.Access, ev clavis.AuditEvent, app clavis.AppRef, userID, details string) *clavis.AuditEntry {
	e := s.entry(ctx, acc, ev)
	e.SubjectID, e.App, e.Details = userID, &app, details
	return e
}
