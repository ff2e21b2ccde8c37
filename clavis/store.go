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

// UserStore stores users. Methods return ENotFound for a missing user and
// EConflict for a taken id or e-mail address.
type UserStore interface {
	CreateUser(ctx context.Context, u *User) error
	GetUser(ctx context.Context, id string) (*User, error)
	GetUserByEmail(ctx context.Context, email string) (*User, error)
	ListUsers(ctx context.Context, page Page) ([]*User, error)
	// UpdateUser saves the names, e-mail, admin and disabled flags of u.
	UpdateUser(ctx context.Context, u *User) error
	// DeleteUser deletes the user with its apps and keys.
	DeleteUser(ctx context.Context, id string) error
}

// AppStore stores apps. Methods return ENotFound for a missing app and
// EConflict for an app id its owner already uses.
type AppStore interface {
	CreateApp(ctx context.Context, a *App) error
	GetApp(ctx context.Context, ref AppRef) (*App, error)
	// ListApps lists the apps of one owner, ordered by id.
	ListApps(ctx context.Context, ownerID string, page Page) ([]*App, error)
	// UpdateApp saves the name, description, language, notes and visibility.
	UpdateApp(ctx context.Context, a *App) error
	// DeleteApp deletes the app with its keys.
	DeleteApp(ctx context.Context, ref AppRef) error
}

// KeyFilter selects keys in ListKeys. Zero fields select everything.
type KeyFilter struct {
	UserID       string
	App          *AppRef
	Type         KeyType
	NotExpiredAt time.Time // when set, only keys not expired at this time
}

// KeyStore stores keys. Methods return ENotFound for a missing key.
type KeyStore interface {
	CreateKey(ctx context.Context, k *Key) error
	GetKey(ctx context.Context, id string) (*Key, error)
	GetKeyByDigest(ctx context.Context, digest []byte) (*Key, error)
	// ListKeys lists keys matching f, newest first.
	ListKeys(ctx context.Context, f KeyFilter, page Page) ([]*Key, error)
	// UpdateKey saves the description, scopes, endpoints and expiry of k.
	UpdateKey(ctx context.Context, k *Key) error
	DeleteKey(ctx context.Context, id string) error
	// TouchKeys records when keys were last used; missing keys are ignored.
	TouchKeys(ctx context.Context, lastUsed map[string]time.Time) error
}

// CollaboratorStore stores collaborator grants. A user has at most one
// grant per app; removing one keeps it, with DeletedAt set.
type CollaboratorStore interface {
	// PutCollaborator creates or replaces (and revives) the grant of
	// c.UserID on c.App.
	PutCollaborator(ctx context.Context, c *Collaborator) error
	// GetCollaborator returns the active grant of a user on an app, or
	// ENotFound.
	GetCollaborator(ctx context.Context, app AppRef, userID string) (*Collaborator, error)
	// ListCollaborators lists the grants on an app, ordered by user id;
	// removed ones only when withDeleted.
	ListCollaborators(ctx context.Context, app AppRef, withDeleted bool, page Page) ([]*Collaborator, error)
	// ListCollaborations lists the active grants of a user, ordered by app.
	ListCollaborations(ctx context.Context, userID string, page Page) ([]*Collaborator, error)
	// RemoveCollaborator marks the active grant of a user on an app removed
	// at the given time; ENotFound if there is none.
	RemoveCollaborator(ctx context.Context, app AppRef, userID string, at time.Time) error
}

// OrgStore stores organizations, their members and teams. An org's id is
// taken in the namespace shared with users: creating an org whose id a user
// has (or the reverse) is EConflict.
type OrgStore interface {
	CreateOrg(ctx context.Context, o *Org) error
	GetOrg(ctx context.Context, id string) (*Org, error)
	// ListOrgs lists the orgs a user is a member of, ordered by id.
	ListOrgs(ctx context.Context, userID string, page Page) ([]*Org, error)
	// DeleteOrg deletes an org with its apps, keys, members and teams.
	DeleteOrg(ctx context.Context, id string) error

	// PutMember creates or replaces a membership.
	PutMember(ctx context.Context, m *OrgMember) error
	GetMember(ctx context.Context, orgID, userID string) (*OrgMember, error)
	ListMembers(ctx context.Context, orgID string, page Page) ([]*OrgMember, error)
	// RemoveMember removes a membership and the user from the org's teams.
	RemoveMember(ctx context.Context, orgID, userID string) error

	// PutTeam creates or replaces a team with its members and apps.
	PutTeam(ctx context.Context, t *Team) error
	GetTeam(ctx context.Context, orgID, id string) (*Team, error)
	ListTeams(ctx context.Context, orgID string, page Page) ([]*Team, error)
	DeleteTeam(ctx context.Context, orgID, id string) error
	// TeamScopes returns the union of the scopes of the teams of orgID that
	// have both the user as member and the app, and whether any does.
	TeamScopes(ctx context.Context, orgID, userID, appID string) (ScopeSet, bool, error)
}

// Tx is a view of the store. Inside Store.WithTx every call runs in one
// transaction.
type Tx interface {
	Users() UserStore
	Apps() AppStore
	Keys() KeyStore
	Collaborators() CollaboratorStore
	Orgs() OrgStore
}

// Store is a whole store. Each method of its aggregate stores owns its own
// transaction; WithTx runs work spanning aggregates in one.
type Store interface {
	Tx
	// WithTx runs fn in a transaction, committed when fn returns nil and
	// rolled back otherwise. Calls on tx must not escape fn.
	WithTx(ctx context.Context, fn func(tx Tx) error) error
	Close() error
}

// PageOf returns the items of page p of a list held in memory.
func PageOf[T any](items []T, p Page) []T {
	lo := min(p.Offset(), len(items))
	return items[lo:min(lo+p.Limit(), len(items))]
}
