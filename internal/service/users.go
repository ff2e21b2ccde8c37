package service

import (
	"context"
	"net/mail"
	"strings"
	"time"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/auth"
)

// DefaultPATDescription describes the PAT every new user gets.
const DefaultPATDescription = "default"

// NewUser describes a user to create.
type NewUser struct {
	ID    string
	Email string
	Admin bool
}

// CreateUser creates a user and its default PAT (scope All) in one
// transaction and returns the token, which is shown only this once.
func (s *Service) CreateUser(ctx context.Context, nu NewUser) (*clavis.User, string, error) {
	var u *clavis.User
	var tok string
	err := s.store.WithTx(ctx, func(tx clavis.Tx) error {
		var err error
		if u, tok, err = s.createUser(ctx, tx, nu); err != nil {
			return err
		}
		return s.record(ctx, tx, s.userEntry(ctx, nil, clavis.AuditUserCreate, u))
	})
	if err != nil {
		return nil, "", err
	}
	return u, tok, nil
}

func (s *Service) createUser(ctx context.Context, tx clavis.Tx, nu NewUser) (*clavis.User, string, error) {
	if err := clavis.CheckID("user id", nu.ID); err != nil {
		return nil, "", err
	}
	if isReserved(nu.ID) {
		return nil, "", clavis.Errorf(clavis.EInvalid, "user id %q is reserved", nu.ID)
	}
	if nu.Email != "" {
		a, err := mail.ParseAddress(nu.Email)
		if err != nil || a.Address != strings.TrimSpace(nu.Email) {
			return nil, "", clavis.Errorf(clavis.EInvalid, "e-mail address %q is malformed", nu.Email)
		}
	}
	now := s.clock()
	u := &clavis.User{ID: nu.ID, Email: strings.ToLower(strings.TrimSpace(nu.Email)), Admin: nu.Admin, CreatedAt: now, UpdatedAt: now}
	if err := tx.Users().CreateUser(ctx, u); err != nil {
		return nil, "", err
	}
	k, tok, err := s.newKey(u.ID, clavis.KeyTypePAT, nil, DefaultPATDescription, clavis.AllScopes(), nil, clampPolicy(s.policies.of(clavis.KeyTypePAT), time.Time{}, now), now)
	if err != nil {
		return nil, "", err
	}
	if err := tx.Keys().CreateKey(ctx, k); err != nil {
		return nil, "", err
	}
	if err := s.record(ctx, tx, s.keyEntry(ctx, nil, clavis.AuditKeyCreate, k)); err != nil {
		return nil, "", err
	}
	return u, tok, nil
}

func isReserved(id string) bool {
	switch strings.ToLower(id) {
	case clavis.UserMe, clavis.SystemUserID, "admin-system", "root-system":
		return true
	}
	return false
}

// Bootstrap prepares a store for use: it creates the system account and the
// public app clarifai/main if missing, and, when no user exists yet, an admin
// user adminID with its default PAT, whose token it returns ("" otherwise).
func (s *Service) Bootstrap(ctx context.Context, adminID string) (string, error) {
	var tok string
	err := s.store.WithTx(ctx, func(tx clavis.Tx) error {
		now := s.clock()
		if _, err := tx.Users().GetUser(ctx, clavis.SystemUserID); clavis.ErrorCode(err) == clavis.ENotFound {
			if err := tx.Users().CreateUser(ctx, &clavis.User{ID: clavis.SystemUserID, System: true, CreatedAt: now, UpdatedAt: now}); err != nil {
				return err
			}
		} else if err != nil {
			return err
		}
		main := clavis.AppRef{OwnerID: clavis.SystemUserID, AppID: clavis.MainAppID}
		if _, err := tx.Apps().GetApp(ctx, main); clavis.ErrorCode(err) == clavis.ENotFound {
			if err := tx.Apps().CreateApp(ctx, &clavis.App{OwnerID: main.OwnerID, ID: main.AppID, Name: "Clavis built-in models", Description: "Public app holding the built-in models.", Visibility: clavis.VisibilityPublic, CreatedAt: now, UpdatedAt: now}); err != nil {
				return err
			}
		} else if err != nil {
			return err
		}
		users, err := tx.Users().ListUsers(ctx, clavis.Page{Size: 1})
		if err != nil || len(users) > 0 {
			return err
		}
		_, tok, err = s.createUser(ctx, tx, NewUser{ID: adminID, Admin: true})
		return err
	})
	if err == nil {
		s.inval.InvalidateGrants(clavis.SystemUserID, clavis.MainAppID)
	}
	return tok, err
}

// GetUser returns a user.
func (s *Service) GetUser(ctx context.Context, id string) (*clavis.User, error) {
	return s.store.Users().GetUser(ctx, id)
}

// ListUsers lists users (admin).
func (s *Service) ListUsers(ctx context.Context, page clavis.Page) ([]*clavis.User, error) {
	return s.store.Users().ListUsers(ctx, page)
}

// SetUserDisabled disables or enables a user (admin). Disabling stops every
// credential of the user at once.
func (s *Service) SetUserDisabled(ctx context.Context, acc *auth.Access, id string, disabled bool) (*clavis.User, error) {
	if err := clavis.CheckID("user id", id); err != nil {
		return nil, err
	}
	if id == acc.Principal.UserID && disabled {
		return nil, clavis.Errorf(clavis.EInvalid, "you cannot disable yourself")
	}
	var u *clavis.User
	err := s.store.WithTx(ctx, func(tx clavis.Tx) error {
		var err error
		if u, err = tx.Users().GetUser(ctx, id); err != nil {
			return err
		}
		if u.System {
			return clavis.UserNotFound(id)
		}
		u.Disabled, u.UpdatedAt = disabled, s.clock()
		if err := tx.Users().UpdateUser(ctx, u); err != nil {
			return err
		}
		// A disabled user's portal sessions end, and stay ended if the
		// user is enabled again.
		if disabled {
			if err := tx.Sessions().DeleteUserSessions(ctx, id); err != nil {
				return err
			}
		}
		ev := clavis.AuditUserEnable
		if disabled {
			ev = clavis.AuditUserDisable
		}
		return s.record(ctx, tx, s.userEntry(ctx, acc, ev, u))
	})
	if err != nil {
		return nil, err
	}
	s.inval.InvalidateUser(id)
	return u, nil
}

// DeleteUser deletes a user with its apps and keys (admin).
func (s *Service) DeleteUser(ctx context.Context, acc *auth.Access, id string) error {
	if err := clavis.CheckID("user id", id); err != nil {
		return err
	}
	if id == acc.Principal.UserID {
		return clavis.Errorf(clavis.EInvalid, "you cannot delete yourself")
	}
	err := s.store.WithTx(ctx, func(tx clavis.Tx) error {
		u, err := tx.Users().GetUser(ctx, id)
		if err != nil {
			return err
		}
		if u.System {
			return clavis.UserNotFound(id)
		}
		if err := tx.Users().DeleteUser(ctx, id); err != nil {
			return err
		}
		return s.record(ctx, tx, s.userEntry(ctx, acc, clavis.AuditUserDelete, u))
	})
	if err != nil {
		return err
	}
	s.inval.InvalidateUser(id)
	s.wake() // the data of the user's apps goes in the background
	return nil
}

// CreateAdminPAT creates a new PAT with scope All for an existing admin
// user, for recovering an instance whose admin PATs are lost. It is meant for
// the offline `clavis admin` command.
func (s *Service) CreateAdminPAT(ctx context.Context, userID, description string) (string, error) {
	var tok string
	err := s.store.WithTx(ctx, func(tx clavis.Tx) error {
		u, err := tx.Users().GetUser(ctx, userID)
		if err != nil {
			return err
		}
		if !u.Admin || u.System {
			return clavis.Errorf(clavis.EInvalid, "user %q is not an admin", userID)
		}
		var k *clavis.Key
		if k, tok, err = s.newKey(u.ID, clavis.KeyTypePAT, nil, description, clavis.AllScopes(), nil, time.Time{}, s.clock()); err != nil {
			return err
		}
		if err := tx.Keys().CreateKey(ctx, k); err != nil {
			return err
		}
		e := s.keyEntry(ctx, nil, clavis.AuditKeyCreate, k)
		e.Details += ", by the offline admin command"
		return s.record(ctx, tx, e)
	})
	return tok, err
}

// userEntry is an entry about user u, the subject.
func (s *Service) userEntry(ctx context.Context, acc *auth.Access, ev clavis.AuditEvent, u *clavis.User) *clavis.AuditEntry {
	e := s.entry(ctx, acc, ev)
	e.SubjectID = u.ID
	if u.Admin {
		e.Details = "admin"
	}
	return e
}
