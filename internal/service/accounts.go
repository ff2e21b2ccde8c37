package service

import (
	"context"
	"net/netip"
	"strings"
	"time"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/auth"
)

// Portal session lifetimes.
const (
	// SessionIdleTimeout ends a session nobody used for this long.
	SessionIdleTimeout = 12 * time.Hour
	// SessionLifetime ends every session this long after log-in.
	SessionLifetime = 7 * 24 * time.Hour
	// sessionTouchEvery bounds how often a session's last use is written.
	sessionTouchEvery = time.Minute
)

// Log-in limits: failures counted in fixed windows of LoginWindow, per
// account and per client address (per /64 for IPv6); once a subject
// reaches its limit, every log-in of it is refused until its window ends,
// whatever the password.
const (
	LoginWindow        = 15 * time.Minute
	MaxAccountFailures = 10
	MaxAddressFailures = 50
)

// errWrongLogin is the one answer for an unknown account, a wrong password
// and an account without a password, so that the log-in form reveals no
// account.
func errWrongLogin() error {
	return clavis.Errorf(clavis.EUnauthenticated, "the user id or e-mail address, or the password, is wrong")
}

// NewAccount describes an account to create from the portal.
type NewAccount struct {
	ID       string
	Email    string
	Password string
}

// SignUp creates a user with its password and default PAT (scope All) in
// one transaction and returns the PAT's token, shown only this once.
func (s *Service) SignUp(ctx context.Context, su NewAccount) (*clavis.User, string, error) {
	if strings.TrimSpace(su.Email) == "" {
		return nil, "", clavis.Errorf(clavis.EInvalid, "an e-mail address is required")
	}
	if err := auth.CheckPassword(su.Password); err != nil {
		return nil, "", err
	}
	hash, err := auth.HashPassword(su.Password)
	if err != nil {
		return nil, "", err
	}
	var u *clavis.User
	var tok string
	err = s.store.WithTx(ctx, func(tx clavis.Tx) error {
		var err error
		if u, tok, err = s.createUser(ctx, tx, NewUser{ID: su.ID, Email: su.Email}); err != nil {
			return err
		}
		e := s.userEntry(ctx, nil, clavis.AuditUserSignup, u)
		e.ActorID = u.ID
		if err := s.record(ctx, tx, e); err != nil {
			return err
		}
		return tx.Passwords().SetPassword(ctx, &clavis.Password{UserID: u.ID, Hash: hash, UpdatedAt: u.CreatedAt})
	})
	if err != nil {
		return nil, "", err
	}
	return u, tok, nil
}

// Credentials are what a log-in attempt gives.
type Credentials struct {
	Login    string // user id or e-mail address
	Password string
	Address  string // the client's IP address, for the per-address limit
}

// NewSession is a started session with its id, which only the browser
// keeps.
type NewSession struct {
	ID      string
	Session *clavis.Session
	User    *clavis.User
}

// LogIn checks a user's password and starts a session. A wrong password,
// an unknown account and an account without a password get the same
// EUnauthenticated answer, after the same work; a disabled account is
// EForbidden once the password is right; a subject over its failure limit
// is EBusy whatever the password.
func (s *Service) LogIn(ctx context.Context, in Credentials) (*NewSession, error) {
	var userID string
	ns, err := s.logIn(ctx, in, &userID)
	if clavis.ErrorCode(err) == clavis.EInvalid {
		return nil, err // nothing was tried
	}
	e := s.entry(ctx, nil, clavis.AuditLogin)
	e.SubjectID = userID
	if e.SourceIP == "" {
		e.SourceIP = in.Address
	}
	if err != nil {
		e.Success = false
		switch {
		case clavis.ErrorCode(err) == clavis.EBusy:
			e.Details = "refused: too many failed log-ins"
		case clavis.ErrorCode(err) == clavis.EForbidden:
			e.Details = "refused: the account is disabled"
		case userID == "":
			e.Details = "failed: unknown account"
		default:
			e.Details = "failed: wrong password"
		}
	} else {
		e.ActorID = userID
	}
	if rerr := s.record(ctx, s.store, e); rerr != nil && err == nil {
		return nil, rerr
	}
	return ns, err
}

// logIn is LogIn; it sets *userID to the account's user once known.
func (s *Service) logIn(ctx context.Context, in Credentials, userID *string) (*NewSession, error) {
	now := s.clock()
	since := now.Add(-LoginWindow)
	login := strings.ToLower(strings.TrimSpace(in.Login))
	if login == "" || in.Password == "" {
		return nil, clavis.Errorf(clavis.EInvalid, "give your user id or e-mail address, and your password")
	}
	addr := addressSubject(in.Address)
	if err := s.throttled(ctx, addr, MaxAddressFailures, since, "from your address"); err != nil {
		return nil, err
	}
	u, pw, err := s.loginAccount(ctx, login)
	if err != nil {
		return nil, err
	}
	account := "login:" + login
	if u != nil {
		account = "user:" + u.ID
		*userID = u.ID
	}
	if err := s.throttled(ctx, account, MaxAccountFailures, since, "for this account"); err != nil {
		return nil, err
	}
	ok := false
	if pw == nil {
		auth.SpendPasswordCheck(in.Password)
	} else if ok, err = auth.VerifyPassword(pw.Hash, in.Password); err != nil {
		return nil, err
	}
	if !ok {
		for _, subj := range []string{account, addr} {
			if _, err := s.store.LoginThrottle().AddLoginFailure(ctx, subj, now, since); err != nil {
				return nil, err
			}
		}
		return nil, errWrongLogin()
	}
	if u.Disabled {
		return nil, clavis.Errorf(clavis.EForbidden, "this account is disabled: ask an administrator")
	}
	if err := s.store.LoginThrottle().ClearLoginFailures(ctx, account); err != nil {
		return nil, err
	}
	if auth.PasswordNeedsRehash(pw.Hash) {
		if hash, err := auth.HashPassword(in.Password); err == nil {
			// Best effort: the old hash still verifies if this fails.
			s.store.Passwords().SetPassword(ctx, &clavis.Password{UserID: u.ID, Hash: hash, MustChange: pw.MustChange, UpdatedAt: pw.UpdatedAt}) //nolint:errcheck
		}
	}
	return s.StartSession(ctx, u, pw.MustChange)
}

// loginAccount finds the user a log-in names and its password; an unknown
// user, the system account and a user without a password come back nil.
func (s *Service) loginAccount(ctx context.Context, login string) (*clavis.User, *clavis.Password, error) {
	var u *clavis.User
	var err error
	switch {
	case strings.Contains(login, "@"):
		u, err = s.store.Users().GetUserByEmail(ctx, login)
	case clavis.ValidID(login):
		u, err = s.store.Users().GetUser(ctx, login)
	default:
		return nil, nil, nil
	}
	if clavis.ErrorCode(err) == clavis.ENotFound || err == nil && u.System {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	pw, err := s.store.Passwords().GetPassword(ctx, u.ID)
	if clavis.ErrorCode(err) == clavis.ENotFound {
		return u, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	return u, pw, nil
}

func (s *Service) throttled(ctx context.Context, subject string, limit int, since time.Time, what string) error {
	n, err := s.store.LoginThrottle().LoginFailures(ctx, subject, since)
	if err != nil {
		return err
	}
	if n >= limit {
		return clavis.Errorf(clavis.EBusy, "too many failed log-ins %s: try again in %d minutes", what, int(LoginWindow.Minutes()))
	}
	return nil
}

// addressSubject is the throttling subject of a client address: the
// address itself for IPv4, its /64 for IPv6 (one host usually holds a
// whole /64).
func addressSubject(addr string) string {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return "addr:" + addr
	}
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return "addr:" + p.String()
	}
	return "addr:" + a.String()
}

// StartSession starts a portal session of u and returns it with its id.
// mustChange keeps the session on the change-password page.
func (s *Service) StartSession(ctx context.Context, u *clavis.User, mustChange bool) (*NewSession, error) {
	id, digest, err := auth.NewSessionID()
	if err != nil {
		return nil, err
	}
	now := s.clock()
	se := &clavis.Session{Digest: digest, UserID: u.ID, MustChangePassword: mustChange, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(SessionLifetime)}
	// Ended sessions are swept here, where sessions are made, so that the
	// table holds no more than the live ones and the last day's.
	if err := s.store.Sessions().DeleteExpiredSessions(ctx, now, now.Add(-SessionIdleTimeout)); err != nil {
		return nil, err
	}
	if err := s.store.Sessions().CreateSession(ctx, se); err != nil {
		return nil, err
	}
	return &NewSession{ID: id, Session: se, User: u}, nil
}

// Session returns the live session with the id and its user, and records
// its use. An unknown, ended, idle or malformed id, and the session of a
// disabled or deleted user, are EUnauthenticated; an ended session is
// deleted.
func (s *Service) Session(ctx context.Context, id string) (*clavis.Session, *clavis.User, error) {
	ended := clavis.Errorf(clavis.EUnauthenticated, "your session has ended: log in again")
	if !auth.ValidSessionID(id) {
		return nil, nil, ended
	}
	digest := auth.SessionDigest(id)
	se, err := s.store.Sessions().GetSession(ctx, digest)
	if clavis.ErrorCode(err) == clavis.ENotFound {
		return nil, nil, ended
	}
	if err != nil {
		return nil, nil, err
	}
	now := s.clock()
	if !now.Before(se.ExpiresAt) || now.Sub(se.LastSeenAt) >= SessionIdleTimeout {
		if err := s.store.Sessions().DeleteSession(ctx, digest); err != nil && clavis.ErrorCode(err) != clavis.ENotFound {
			return nil, nil, err
		}
		return nil, nil, ended
	}
	u, err := s.store.Users().GetUser(ctx, se.UserID)
	if err != nil && clavis.ErrorCode(err) != clavis.ENotFound {
		return nil, nil, err
	}
	if err != nil || u.Disabled || u.System {
		if err := s.store.Sessions().DeleteUserSessions(ctx, se.UserID); err != nil {
			return nil, nil, err
		}
		return nil, nil, ended
	}
	if now.Sub(se.LastSeenAt) >= sessionTouchEvery {
		if err := s.store.Sessions().TouchSession(ctx, digest, now); err != nil {
			return nil, nil, err
		}
		se.LastSeenAt = now
	}
	return se, u, nil
}

// EndSession ends the session with the id; an unknown one is no error.
func (s *Service) EndSession(ctx context.Context, id string) error {
	if !auth.ValidSessionID(id) {
		return nil
	}
	err := s.store.Sessions().DeleteSession(ctx, auth.SessionDigest(id))
	if clavis.ErrorCode(err) == clavis.ENotFound {
		return nil
	}
	return err
}

// ChangePassword sets the caller's own password. When the caller has one,
// current must match it (failures count against the account's log-in
// limit); a user without one, such as the bootstrap admin, sets a first
// password. Every session of the user ends.
func (s *Service) ChangePassword(ctx context.Context, acc *auth.Access, current, next string) error {
	userID := acc.Principal.UserID
	now := s.clock()
	since := now.Add(-LoginWindow)
	account := "user:" + userID
	if err := auth.CheckPassword(next); err != nil {
		return err
	}
	pw, err := s.store.Passwords().GetPassword(ctx, userID)
	switch {
	case clavis.ErrorCode(err) == clavis.ENotFound:
	case err != nil:
		return err
	default:
		if err := s.throttled(ctx, account, MaxAccountFailures, since, "for this account"); err != nil {
			return err
		}
		ok, err := auth.VerifyPassword(pw.Hash, current)
		if err != nil {
			return err
		}
		if !ok {
			if _, err := s.store.LoginThrottle().AddLoginFailure(ctx, account, now, since); err != nil {
				return err
			}
			return clavis.Errorf(clavis.EInvalid, "the current password is wrong")
		}
		if current == next {
			return clavis.Errorf(clavis.EInvalid, "the new password is the current one: choose another")
		}
	}
	return s.setPassword(ctx, s.entry(ctx, acc, clavis.AuditPasswordChange), userID, next, false)
}

// SetPassword sets a user's password (admins). With mustChange the user
// must choose a new one at their next log-in. Every session of the user
// ends.
func (s *Service) SetPassword(ctx context.Context, acc *auth.Access, userID, password string, mustChange bool) error {
	if err := clavis.CheckID("user id", userID); err != nil {
		return err
	}
	if err := auth.CheckPassword(password); err != nil {
		return err
	}
	e := s.entry(ctx, acc, clavis.AuditUserPassword)
	if mustChange {
		e.Details = "must change at the next log-in"
	}
	return s.setPassword(ctx, e, userID, password, mustChange)
}

// setPassword sets the password and records e about the user.
func (s *Service) setPassword(ctx context.Context, e *clavis.AuditEntry, userID, password string, mustChange bool) error {
	hash, err := auth.HashPassword(password)
	if err != nil {
		return err
	}
	return s.store.WithTx(ctx, func(tx clavis.Tx) error {
		u, err := tx.Users().GetUser(ctx, userID)
		if err != nil {
			return err
		}
		if u.System {
			return clavis.UserNotFound(userID)
		}
		if err := tx.Passwords().SetPassword(ctx, &clavis.Password{UserID: userID, Hash: hash, MustChange: mustChange, UpdatedAt: s.clock()}); err != nil {
			return err
		}
		if err := tx.Sessions().DeleteUserSessions(ctx, userID); err != nil {
			return err
		}
		e.SubjectID = userID
		return s.record(ctx, tx, e)
	})
}
