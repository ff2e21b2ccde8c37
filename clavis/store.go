package clavis

import (
	"context"
	"time"
)

// Page selects one page of a list. Number counts from 1; Size is at most
// MaxPageSize. The zero value is the first page of DefaultPageSize.
type Page struct {
	Number int
	Size   int
}

// Page sizes.
const (
	DefaultPageSize = 128
	MaxPageSize     = 1000
)

// NewPage returns the page a request asks for: 0 means the default, and a
// size over MaxPageSize is capped.
func NewPage(number, size uint32) Page {
	p := Page{Number: int(number), Size: int(size)}
	if p.Number < 1 {
		p.Number = 1
	}
	if p.Size < 1 {
		p.Size = DefaultPageSize
	}
	if p.Size > MaxPageSize {
		p.Size = MaxPageSize
	}
	return p
}

// Limit returns the page's size, normalising the zero value.
func (p Page) Limit() int { return NewPage(uint32(p.Number), uint32(p.Size)).Size }

// Offset returns how many items come before the page.
func (p Page) Offset() int {
	n := NewPage(uint32(p.Number), uint32(p.Size))
	return (n.Number - 1) * n.Size
}

// PageOf returns the items of page p of a list held in memory.
func PageOf[T any](items []T, p Page) []T {
	lo := min(p.Offset(), len(items))
	return items[lo:min(lo+p.Limit(), len(items))]
}

// All returns every item of a paged list: it calls list for pages of
// MaxPageSize, from the first, until one comes back short. It is the one way
// to read a whole list; it returns the first error list returns.
func All[T any](list func(Page) ([]T, error)) ([]T, error) {
	var all []T
	for n := 1; ; n++ {
		items, err := list(Page{Number: n, Size: MaxPageSize})
		if err != nil {
			return nil, err
		}
		all = append(all, items...)
		if len(items) < MaxPageSize {
			return all, nil
		}
	}
}

// Errors of every store method: a failure of the database itself, or a
// cancelled ctx, is an EInternal error whose cause stays in the log. The
// errors each method documents besides come as *Error with the codes named.

// UserStore stores users: people and the system account. Organizations share
// the id namespace of users but are not users here.
type UserStore interface {
	// CreateUser stores a new user. The e-mail address is stored trimmed and
	// in lower case; an empty one is no address. It returns EConflict when a
	// user or organization has the id, or a user the address.
	CreateUser(ctx context.Context, u *User) error
	// GetUser returns the user with the id, or ENotFound (also for an
	// organization's id).
	GetUser(ctx context.Context, id string) (*User, error)
	// GetUserByEmail returns the user with the e-mail address, compared
	// without regard to case and surrounding space, or ENotFound.
	GetUserByEmail(ctx context.Context, email string) (*User, error)
	// ListUsers lists users other than the system account, ordered by id.
	ListUsers(ctx context.Context, page Page) ([]*User, error)
	// UpdateUser saves the e-mail address, names, admin and disabled flags
	// and UpdatedAt of u. It returns ENotFound for a missing user and
	// EConflict when another user has the address.
	UpdateUser(ctx context.Context, u *User) error
	// DeleteUser deletes the user with its apps, keys, grants and
	// memberships, or returns ENotFound.
	DeleteUser(ctx context.Context, id string) error
}

// AppStore stores apps.
type AppStore interface {
	// CreateApp stores a new app. It returns EConflict when its owner
	// already has an app with the id; an owner that does not exist is an
	// error of the caller (EInternal).
	CreateApp(ctx context.Context, a *App) error
	// GetApp returns an app, or ENotFound.
	GetApp(ctx context.Context, ref AppRef) (*App, error)
	// ListApps lists the apps of one owner (a user or an organization),
	// ordered by id.
	ListApps(ctx context.Context, ownerID string, page Page) ([]*App, error)
	// UpdateApp saves the name, description, language, notes, visibility
	// and UpdatedAt of a, or returns ENotFound.
	UpdateApp(ctx context.Context, a *App) error
	// DeleteApp deletes the app with its keys and grants, or returns
	// ENotFound.
	DeleteApp(ctx context.Context, ref AppRef) error
}

// KeyFilter selects keys in ListKeys. Zero fields select everything; the
// fields that are set must all match.
type KeyFilter struct {
	UserID       string
	App          *AppRef
	Type         KeyType
	NotExpiredAt time.Time // when set, only keys not expired at this time
	Scopes       ScopeSet  // only keys holding every one of these scopes
	Endpoints    []string  // only keys limited to every one of these endpoints
}

// KeyStore stores keys. Digests are unique: no two keys share a token.
type KeyStore interface {
	// CreateKey stores a new key. It returns EConflict when its id or
	// digest is taken, and ENotFound when its user or app does not exist.
	CreateKey(ctx context.Context, k *Key) error
	// GetKey returns the key with the public id, or ENotFound.
	GetKey(ctx context.Context, id string) (*Key, error)
	// GetKeyByDigest returns the key whose token has the digest, or
	// ENotFound.
	GetKeyByDigest(ctx context.Context, digest []byte) (*Key, error)
	// ListKeys lists the keys matching f, newest first.
	ListKeys(ctx context.Context, f KeyFilter, page Page) ([]*Key, error)
	// UpdateKey saves the description, scopes, endpoints and expiry of k,
	// or returns ENotFound.
	UpdateKey(ctx context.Context, k *Key) error
	// DeleteKey deletes the key with the public id, or returns ENotFound.
	DeleteKey(ctx context.Context, id string) error
	// TouchKeys records when keys were last used, all in one transaction.
	// A time earlier than the one recorded is ignored, and so is a missing
	// key.
	TouchKeys(ctx context.Context, lastUsed map[string]time.Time) error
}

// CollaboratorStore stores collaborator grants. A user has at most one
// grant per app; removing one keeps it, with DeletedAt set.
type CollaboratorStore interface {
	// PutCollaborator creates or replaces (and revives) the grant of
	// c.UserID on c.App. It returns ENotFound when the user or app does not
	// exist, and EConflict when another grant has the id.
	PutCollaborator(ctx context.Context, c *Collaborator) error
	// GetCollaborator returns the active grant of a user on an app, or
	// ENotFound.
	GetCollaborator(ctx context.Context, app AppRef, userID string) (*Collaborator, error)
	// GetCollaboratorByID returns the active grant with the public id on
	// an app, or ENotFound.
	GetCollaboratorByID(ctx context.Context, app AppRef, id string) (*Collaborator, error)
	// ListCollaborators lists the grants on an app, ordered by user id;
	// removed ones only when withDeleted.
	ListCollaborators(ctx context.Context, app AppRef, withDeleted bool, page Page) ([]*Collaborator, error)
	// ListCollaborations lists the active grants of a user, ordered by app.
	ListCollaborations(ctx context.Context, userID string, page Page) ([]*Collaborator, error)
	// RemoveCollaborator marks the active grant of a user on an app removed
	// at the given time, or returns ENotFound when there is none.
	RemoveCollaborator(ctx context.Context, app AppRef, userID string, at time.Time) error
}

// OrgStore stores organizations, their members and teams. An org's id is
// taken in the namespace shared with users.
type OrgStore interface {
	// CreateOrg stores a new organization. It returns EConflict when a user
	// or organization has the id.
	CreateOrg(ctx context.Context, o *Org) error
	// GetOrg returns an organization, or ENotFound (also for a user's id).
	GetOrg(ctx context.Context, id string) (*Org, error)
	// ListOrgs lists the organizations a user is a member of, ordered by id.
	ListOrgs(ctx context.Context, userID string, page Page) ([]*Org, error)
	// DeleteOrg deletes an organization with its apps, their keys and
	// grants, its members and teams, or returns ENotFound.
	DeleteOrg(ctx context.Context, id string) error

	// PutMember creates or replaces a membership (its CreatedAt is kept on
	// replace). It returns ENotFound when the org or user does not exist.
	PutMember(ctx context.Context, m *OrgMember) error
	// GetMember returns a membership, or ENotFound.
	GetMember(ctx context.Context, orgID, userID string) (*OrgMember, error)
	// ListMembers lists an organization's members, ordered by user id.
	ListMembers(ctx context.Context, orgID string, page Page) ([]*OrgMember, error)
	// CountMembers counts an organization's members of a role, or all of
	// them when role is empty.
	CountMembers(ctx context.Context, orgID string, role OrgRole) (int, error)
	// RemoveMember removes a membership and the user from the org's teams,
	// or returns ENotFound.
	RemoveMember(ctx context.Context, orgID, userID string) error

	// PutTeam creates or replaces a team with its members and apps, all or
	// nothing. It returns ENotFound naming the org, a member who is not a
	// member of the org, or an app the org does not own.
	PutTeam(ctx context.Context, t *Team) error
	// GetTeam returns a team with its members and apps, or ENotFound.
	GetTeam(ctx context.Context, orgID, id string) (*Team, error)
	// ListTeams lists an organization's teams, ordered by id.
	ListTeams(ctx context.Context, orgID string, page Page) ([]*Team, error)
	// DeleteTeam deletes a team, or returns ENotFound.
	DeleteTeam(ctx context.Context, orgID, id string) error
	// TeamScopes returns the union of the scopes of the teams of orgID that
	// have both the user as member and the app, and whether any does.
	TeamScopes(ctx context.Context, orgID, userID, appID string) (ScopeSet, bool, error)
}

// PasswordStore stores portal passwords, one per user.
type PasswordStore interface {
	// SetPassword creates or replaces the password of p.UserID. It returns
	// ENotFound when the user does not exist.
	SetPassword(ctx context.Context, p *Password) error
	// GetPassword returns the password of a user, or ENotFound when the
	// user has none (or does not exist).
	GetPassword(ctx context.Context, userID string) (*Password, error)
}

// SessionStore stores portal sessions by the digest of their id.
type SessionStore interface {
	// CreateSession stores a new session. It returns EConflict when the
	// digest is taken and ENotFound when the user does not exist.
	CreateSession(ctx context.Context, s *Session) error
	// GetSession returns the session with the digest, or ENotFound.
	GetSession(ctx context.Context, digest []byte) (*Session, error)
	// TouchSession records that the session was used at the given time; a
	// missing session is ENotFound.
	TouchSession(ctx context.Context, digest []byte, at time.Time) error
	// DeleteSession deletes a session, or returns ENotFound.
	DeleteSession(ctx context.Context, digest []byte) error
	// DeleteUserSessions deletes every session of a user (none is no
	// error).
	DeleteUserSessions(ctx context.Context, userID string) error
	// DeleteExpiredSessions deletes the sessions whose absolute end is
	// at or before now, or that were last seen before idleSince.
	DeleteExpiredSessions(ctx context.Context, now, idleSince time.Time) error
}

// LoginThrottleStore counts failed log-ins per subject (an account or a
// client address) in fixed windows, so replicas sharing a database share
// the limits.
type LoginThrottleStore interface {
	// LoginFailures returns the failures of subject in its current window,
	// 0 when that window started at or before since (a window is over once
	// its length has passed).
	LoginFailures(ctx context.Context, subject string, since time.Time) (int, error)
	// AddLoginFailure counts one failure of subject at the given time,
	// opening a new window when the current one started at or before since,
	// and returns the failures of the window. It forgets every subject whose
	// window started at or before since.
	AddLoginFailure(ctx context.Context, subject string, at, since time.Time) (int, error)
	// ClearLoginFailures forgets the failures of subject.
	ClearLoginFailures(ctx context.Context, subject string) error
}

// Tx is a view of the store: the whole store, or one transaction of it
// inside Store.WithTx. Its aggregate stores are cheap to get; they are safe
// for concurrent use outside a transaction.
type Tx interface {
	Users() UserStore
	Apps() AppStore
	Keys() KeyStore
	Collaborators() CollaboratorStore
	Orgs() OrgStore
	Passwords() PasswordStore
	Sessions() SessionStore
	LoginThrottle() LoginThrottleStore
}

// Store is a whole store. Outside WithTx, each method of its aggregate
// stores runs in its own transaction (methods of several statements are
// never half done); WithTx runs work spanning aggregates in one. A Store is
// safe for concurrent use.
type Store interface {
	Tx
	// WithTx runs fn in one transaction, committed when fn returns nil and
	// rolled back when it returns an error, which WithTx returns. Calls on
	// tx must not escape fn, nor run concurrently.
	//
	// fn may run more than once: an engine that detects a conflict with a
	// concurrent transaction (PostgreSQL's serialization failures and
	// deadlocks) rolls back and runs fn again in a new transaction, as if
	// the transactions had run one after the other. So fn must have no
	// effect but through tx, and must start afresh each time: reset at its
	// start whatever it fills in captured variables (out = out[:0]), and
	// assign results rather than accumulate them. Effects that must follow
	// the commit (cache invalidations, notifications) belong after WithTx
	// returns nil.
	WithTx(ctx context.Context, fn func(tx Tx) error) error
	// Ping checks that the database answers a trivial query, for the
	// server's readiness; ctx bounds the wait.
	Ping(ctx context.Context) error
	// Close closes the store. Calls after Close fail.
	Close() error
}
