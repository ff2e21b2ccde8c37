package clavis

import "time"

// KeyType tells Personal Access Tokens from app-specific keys. The strings
// are Clarifai's Key.type values.
type KeyType string

// Key types.
const (
	KeyTypePAT KeyType = "personal_access_token"
	KeyTypeApp KeyType = "app_specific_key"
)

// Token prefixes: every token starts with the one of its type, so that PATs
// and app keys are told apart at a glance and secret scanners find leaked
// tokens. internal/auth defines the rest of the format.
const (
	PATPrefix    = "clvp_"
	AppKeyPrefix = "clvk_"
)

// Key is a stored credential. The secret token itself is never stored: only
// its digest, and a short hint for display.
type Key struct {
	ID          string // public id; never the secret
	UserID      string // the user the key acts as
	Type        KeyType
	App         *AppRef // the one app of an app key; nil for a PAT
	Digest      []byte  // SHA-256 (or HMAC-SHA-256 with the pepper) of the token
	Hint        string  // e.g. "clvp_…a1B2"; safe to show
	Description string
	Scopes      ScopeSet
	Endpoints   []string // full method names the key is limited to; empty = no limit
	CreatedAt   time.Time
	ExpiresAt   time.Time // zero = never
	LastUsedAt  time.Time // zero = never used
	// LastUsedAddr is the client address of the last recorded use.
	LastUsedAddr string
	// ReplacedBy is the id of the key that replaced this one when it was
	// rotated, at RotatedAt; its ExpiresAt is then the end of its grace
	// period. Empty for a key never rotated out.
	ReplacedBy string
	RotatedAt  time.Time
	// AllowCIDRs, when set, are the only client addresses (canonical
	// CIDRs) the key may be used from.
	AllowCIDRs []string
	// RateLimit, when positive, is how many requests a minute the key may
	// make, counted across every replica.
	RateLimit int
}

// KeyUse is a recorded use of a key: when, and from which client address.
type KeyUse struct {
	At   time.Time
	Addr string
}

// Expired reports whether k has expired at now.
func (k *Key) Expired(now time.Time) bool {
	return !k.ExpiresAt.IsZero() && !now.Before(k.ExpiresAt)
}

// Principal is the authenticated caller of a request: who it is and what the
// credential it used may do. It travels in the request context.
type Principal struct {
	UserID    string
	Admin     bool
	KeyID     string
	KeyType   KeyType
	App       *AppRef // for an app key, its app
	Scopes    ScopeSet
	Endpoints []string
	ExpiresAt time.Time // the credential's expiry; zero = never
	// RateLimit, when positive, is the key's limit in requests a minute.
	RateLimit int
	// Session marks a signed-in portal session: it acts as its user with
	// every scope, like a PAT of scope All, and has no key id.
	Session bool
}

// AllowsEndpoint reports whether the credential may call the method with
// the given full name: always when it lists no endpoints.
func (p *Principal) AllowsEndpoint(method string) bool {
	if len(p.Endpoints) == 0 {
		return true
	}
	for _, e := range p.Endpoints {
		if e == method {
			return true
		}
	}
	return false
}
