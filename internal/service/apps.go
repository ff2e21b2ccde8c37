package service

import (
	"context"
	"strconv"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/auth"
)

// AppSpec describes an app to create or the new state of an app to patch.
// Nil pointers leave a field as it is on patch.
type AppSpec struct {
	ID              string
	Name            *string
	Description     *string
	DefaultLanguage *string
	Notes           *string
	Visibility      clavis.Visibility // 0 = unchanged (private on create)
}

func (sp AppSpec) apply(a *clavis.App) error {
	if sp.Name != nil {
		a.Name = *sp.Name
	}
	if sp.Description != nil {
		if len(*sp.Description) > maxDescription {
			return clavis.Errorf(clavis.EInvalid, "app description is longer than %d characters", maxDescription)
		}
		a.Description = *sp.Description
	}
	if sp.DefaultLanguage != nil {
		a.DefaultLanguage = *sp.DefaultLanguage
	}
	if sp.Notes != nil {
		a.Notes = *sp.Notes
	}
	switch sp.Visibility {
	case 0:
	case clavis.VisibilityPrivate, clavis.VisibilityPublic:
		a.Visibility = sp.Visibility
	default:
		return clavis.Errorf(clavis.EInvalid, "visibility.gettable %d is not supported: use 10 (PRIVATE) or 50 (PUBLIC)", sp.Visibility)
	}
	return nil
}

// CreateApps creates apps owned by the caller, all or none.
func (s *Service) CreateApps(ctx context.Context, acc *auth.Access, specs []AppSpec) ([]*clavis.App, error) {
	if len(specs) == 0 {
		return nil, clavis.Errorf(clavis.EInvalid, "apps is empty: give at least one app to create")
	}
	now := s.clock()
	var out []*clavis.App
	err := s.store.WithTx(ctx, func(tx clavis.Tx) error {
		out = out[:0]
		if err := s.checkAppQuota(ctx, tx, acc.UserID, len(specs)); err != nil {
			return err
		}
		for i, sp := range specs {
			if err := clavis.CheckID("apps["+strconv.Itoa(i)+"].id", sp.ID); err != nil {
				return err
			}
			a := &clavis.App{OwnerID: acc.UserID, ID: sp.ID, Name: sp.ID, Visibility: clavis.VisibilityPrivate, CreatedAt: now, UpdatedAt: now}
			if err := sp.apply(a); err != nil {
				return err
			}
			if err := tx.Apps().CreateApp(ctx, a); err != nil {
				return err
			}
			if err := s.record(ctx, tx, s.appEntry(ctx, acc, clavis.AuditAppCreate, a.Ref())); err != nil {
				return err
			}
			out = append(out, a)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// A cached refusal of an app that did not exist yet goes.
	for _, a := range out {
		s.inval.InvalidateGrants(a.OwnerID, a.ID)
	}
	return out, nil
}

// ListApps lists the apps of the caller, or of an organization of theirs;
// a team contributor sees only the apps of their teams.
func (s *Service) ListApps(ctx context.Context, acc *auth.Access, page clavis.Page) ([]*clavis.App, error) {
	if acc.Role != auth.RoleTeamContributor {
		return s.store.Apps().ListApps(ctx, acc.UserID, page)
	}
	// Which apps a team contributor reaches is the authorizer's decision
	// (teams, grants, public apps), so it is asked of every app.
	apps, err := clavis.All(func(p clavis.Page) ([]*clavis.App, error) { return s.store.Apps().ListApps(ctx, acc.UserID, p) })
	if err != nil {
		return nil, err
	}
	var visible []*clavis.App
	for _, a := range apps {
		_, _, _, err := s.authz.AppGrant(ctx, acc.Principal, a.Ref())
		switch clavis.ErrorCode(err) {
		case "":
			visible = append(visible, a)
		case clavis.ENotFound:
		default:
			return nil, err
		}
	}
	return clavis.PageOf(visible, page), nil
}

// PatchApps changes apps of the caller, all or none.
func (s *Service) PatchApps(ctx context.Context, acc *auth.Access, action string, specs []AppSpec) ([]*clavis.App, error) {
	if action != "" && action != "overwrite" && action != "merge" {
		return nil, clavis.Errorf(clavis.EInvalid, "action %q is not supported: use \"overwrite\" or \"merge\"", action)
	}
	if len(specs) == 0 {
		return nil, clavis.Errorf(clavis.EInvalid, "apps is empty: give at least one app to patch")
	}
	var out []*clavis.App
	err := s.store.WithTx(ctx, func(tx clavis.Tx) error {
		out = out[:0]
		for i, sp := range specs {
			if err := clavis.CheckID("apps["+strconv.Itoa(i)+"].id", sp.ID); err != nil {
				return err
			}
			a, err := s.patchApp(ctx, acc, tx, clavis.AppRef{OwnerID: acc.UserID, AppID: sp.ID}, sp)
			if err != nil {
				return err
			}
			out = append(out, a)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, a := range out {
		s.inval.InvalidateGrants(a.OwnerID, a.ID)
	}
	return out, nil
}

// PatchApp changes the target app of acc.
func (s *Service) PatchApp(ctx context.Context, acc *auth.Access, action string, sp AppSpec) (*clavis.App, error) {
	if action != "" && action != "overwrite" && action != "merge" {
		return nil, clavis.Errorf(clavis.EInvalid, "action %q is not supported: use \"overwrite\" or \"merge\"", action)
	}
	if sp.ID != "" && sp.ID != acc.App.ID {
		return nil, clavis.Errorf(clavis.EInvalid, "app.id %q differs from user_app_id.app_id %q; apps cannot be renamed", sp.ID, acc.App.ID)
	}
	var out *clavis.App
	err := s.store.WithTx(ctx, func(tx clavis.Tx) error {
		var err error
		out, err = s.patchApp(ctx, acc, tx, acc.App.Ref(), sp)
		return err
	})
	if err != nil {
		return nil, err
	}
	// The cached grants hold the app's row, visibility among it.
	s.inval.InvalidateGrants(out.OwnerID, out.ID)
	return out, nil
}

func (s *Service) patchApp(ctx context.Context, acc *auth.Access, tx clavis.Tx, ref clavis.AppRef, sp AppSpec) (*clavis.App, error) {
	a, err := tx.Apps().GetApp(ctx, ref)
	if err != nil {
		return nil, err
	}
	if err := sp.apply(a); err != nil {
		return nil, err
	}
	a.UpdatedAt = s.clock()
	if err := tx.Apps().UpdateApp(ctx, a); err != nil {
		return nil, err
	}
	e := s.appEntry(ctx, acc, clavis.AuditAppUpdate, ref)
	e.Details = "visibility " + strconv.Itoa(int(a.Visibility))
	return a, s.record(ctx, tx, e)
}

// DeleteApp deletes the target app of acc with its keys. Its app keys stop
// working on the very next request. Its data is out of reach at once and
// purged in the background.
func (s *Service) DeleteApp(ctx context.Context, acc *auth.Access) error {
	ref := acc.App.Ref()
	err := s.store.WithTx(ctx, func(tx clavis.Tx) error {
		if err := tx.Apps().DeleteApp(ctx, ref); err != nil {
			return err
		}
		return s.record(ctx, tx, s.appEntry(ctx, acc, clavis.AuditAppDelete, ref))
	})
	if err != nil {
		return err
	}
	s.inval.InvalidateApp(ref)
	s.wake()
	return nil
}

// appEntry is an entry about app ref; its owner is the subject.
func (s *Service) appEntry(ctx context.Context, acc *auth.Access, ev clavis.AuditEvent, ref clavis.AppRef) *clavis.AuditEntry {
	e := s.entry(ctx, acc, ev)
	e.SubjectID, e.App = ref.OwnerID, &ref
	return e
}
