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

// Tx is a view of the store. Inside Store.WithTx every call runs in one
// transaction.
type Tx interface {
	Users() UserStore
	Apps() AppStore
	Keys() KeyStore
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
