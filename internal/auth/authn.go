package auth

import (
	"context"
	"crypto/subtle"
	"strings"
	"sync"
	"time"

	"github.com/clavis-dev/clavis/clavis"
)

// DefaultCacheTTL bounds how long a verified token is trusted without a
// store lookup. Changes made through this process invalidate at once; the
// bound covers changes it cannot see.
const DefaultCacheTTL = 5 * time.Minute

// maxCacheEntries bounds the cache's memory.
const maxCacheEntries = 100_000

// maxNegativeEntries bounds the cache of unknown tokens, apart from the
// verified ones so that a flood of unknown tokens never evicts a verified
// one.
const maxNegativeEntries = 10_000

// Authenticator turns authorization header values into principals. It
// caches verified tokens by digest; Invalidate* drop entries at once, so a
// deleted or changed key is honoured on the very next request. It is safe for
// concurrent use.
type Authenticator struct {
	store  clavis.Tx
	hasher Hasher
	ttl    time.Duration
	now    func() time.Time
	touch  *Toucher
	obs    Observer
	sink   FailureSink
	addr   func(context.Context) string

	// idx finds entries by key and user (cacheindex.go); mu guards it.
	idx cacheIndex
	// grants caches the authorizer's app grants (grantcache.go); the
	// invalidations of the token cache that touch apps or users drop
	// theirs too.
	grants *GrantCache

	mu      sync.Mutex
	gen     uint64 // bumped by every invalidation
	entries map[string]*entry
	// unknown caches, by digest, tokens the store does not know: the
	// checksum is no secret, so anyone can make well-formed tokens, and
	// each would otherwise cost a lookup. Any invalidation empties it.
	unknown map[string]negative
}

// negative is a token the store did not know when loadedAt.
type negative struct {
	loadedAt time.Time
	err      error
}

type entry struct {
	p        clavis.Principal
	digest   []byte
	loadedAt time.Time
	rotated  bool     // rotated out: its expiry is the end of its grace period
	allow    []string // the key's client address allowlist; empty: any
}

// AuthnConfig configures an Authenticator.
type AuthnConfig struct {
	Hasher   Hasher
	CacheTTL time.Duration    // 0 = DefaultCacheTTL
	Now      func() time.Time // nil = time.Now
	Toucher  *Toucher         // records last use; may be nil
	Observer Observer         // receives every outcome; may be nil
	Failures FailureSink      // receives every invalid token, for the audit log; may be nil
	// Addr returns the client address of a request, for a key's last use;
	// nil records none.
	Addr func(ctx context.Context) string
}

// FailureSink is told of every token that does not authenticate anyone,
// for the audit log. AuthFailure must not block: it is on the request path.
type FailureSink interface {
	// AuthFailure records one failed check: the key the token named ("" when
	// it names none), the key's user, the reason (Reason…) and the time.
	AuthFailure(ctx context.Context, keyID, userID, reason string, at time.Time)
}

// Observer receives the outcome of every credential check, for metrics.
type Observer interface {
	// ObserveAuthn records one check: its outcome (OutcomeOK, …) and, for
	// OutcomeInvalid, its reason (ReasonMalformed, …), otherwise "".
	ObserveAuthn(outcome, reason string)
	// ObserveTokenCache records a lookup of a well-formed token in the
	// cache of verified tokens: a hit, or a miss that reads the store.
	ObserveTokenCache(hit bool)
}

// Outcomes of a credential check, as an Observer receives them.
const (
	OutcomeOK            = "ok"
	OutcomeNoCredentials = "no_credentials" // no authorization, or not "Key <token>"
	OutcomeInvalid       = "invalid"        // a token that does not authenticate anyone
	OutcomeError         = "error"          // the store failed
)

// Reasons of an OutcomeInvalid.
const (
	ReasonMalformed = "malformed" // not a Clavis token: prefix, length, alphabet or checksum
	ReasonUnknown   = "unknown"   // never issued, deleted, or its user deleted
	ReasonExpired   = "expired"
	ReasonDisabled  = "disabled" // its user is disabled
	ReasonRotated   = "rotated"  // rotated out, and its grace period is over
	ReasonAddress   = "address"  // used from an address outside its allowlist
)

// NewAuthenticator returns an Authenticator reading keys and users from s.
func NewAuthenticator(s clavis.Tx, cfg AuthnConfig) *Authenticator {
	a := &Authenticator{store: s, hasher: cfg.Hasher, ttl: cfg.CacheTTL, now: cfg.Now, touch: cfg.Toucher, obs: cfg.Observer,
		sink: cfg.Failures, addr: cfg.Addr, entries: map[string]*entry{}, unknown: map[string]negative{}}
	if a.ttl <= 0 {
		a.ttl = DefaultCacheTTL
	}
	if a.now == nil {
		a.now = time.Now
	}
	a.grants = newGrantCache(a.ttl, a.now)
	return a
}

// Grants returns the cache of app grants that the authenticator's
// invalidations keep coherent, for NewCachedAuthorizer. Its entries live
// as long as the cache's tokens (AuthnConfig.CacheTTL).
func (a *Authenticator) Grants() *GrantCache { return a.grants }

// Hasher returns the hasher the authenticator digests tokens with.
func (a *Authenticator) Hasher() Hasher { return a.hasher }

// ParseHeader extracts the token from an authorization value of the form
// "Key <token>". Anything else is an ENoCredentials error saying how to send
// a key.
func ParseHeader(value string) (string, error) {
	scheme, tok, ok := strings.Cut(strings.TrimSpace(value), " ")
	if value == "" {
		return "", clavis.Errorf(clavis.ENoCredentials, "no credentials: send the metadata (gRPC) or header (REST) \"authorization: Key <your PAT or app key>\"")
	}
	tok = strings.TrimSpace(tok)
	if !ok || !strings.EqualFold(scheme, "Key") || tok == "" || strings.ContainsAny(tok, " \t") {
		return "", clavis.Errorf(clavis.ENoCredentials, "malformed authorization: it must be \"Key <token>\", the word Key, one space, then the token")
	}
	return tok, nil
}

// Authenticate verifies the value of an authorization header and returns
// the caller. A missing or malformed header is ENoCredentials; an unknown,
// mistyped, deleted or expired token, or one of a disabled user, is
// EUnauthenticated with a message saying which.
func (a *Authenticator) Authenticate(ctx context.Context, header string) (*clavis.Principal, error) {
	tok, err := ParseHeader(header)
	if err != nil {
		if a.obs != nil {
			a.obs.ObserveAuthn(OutcomeNoCredentials, "")
		}
		return nil, err
	}
	return a.Verify(ctx, tok)
}

// Verify verifies a bare token.
func (a *Authenticator) Verify(ctx context.Context, tok string) (*clavis.Principal, error) {
	p, reason, err := a.verify(ctx, tok)
	if reason != "" && a.sink != nil {
		var keyID, userID string
		if f, ok := err.(*failed); ok {
			keyID, userID, err = f.keyID, f.userID, f.err
		}
		a.sink.AuthFailure(ctx, keyID, userID, reason, a.now())
	} else if f, ok := err.(*failed); ok {
		err = f.err
	}
	if a.obs != nil {
		switch {
		case err == nil:
			a.obs.ObserveAuthn(OutcomeOK, "")
		case reason != "":
			a.obs.ObserveAuthn(OutcomeInvalid, reason)
		default:
			a.obs.ObserveAuthn(OutcomeError, "")
		}
	}
	return p, err
}

// failed is the error of a token that names a key but does not
// authenticate: Verify unwraps it.
type failed struct {
	keyID, userID string
	err           error
}

func (f *failed) Error() string { return f.err.Error() }

// verify is Verify, which also says why a token is invalid: its error is
// then EUnauthenticated, or a *failed naming the key; an error without a
// reason is the store's.
func (a *Authenticator) verify(ctx context.Context, tok string) (*clavis.Principal, string, error) {
	if _, err := ParseToken(tok); err != nil {
		return nil, ReasonMalformed, err
	}
	digest := a.hasher.Digest(tok)
	now := a.now()

	a.mu.Lock()
	e, ok := a.entries[string(digest)]
	n, unknown := a.unknown[string(digest)]
	gen := a.gen
	a.mu.Unlock()
	fresh := ok && now.Sub(e.loadedAt) < a.ttl
	unknown = !ok && unknown && now.Sub(n.loadedAt) < a.ttl
	if a.obs != nil {
		a.obs.ObserveTokenCache(fresh || unknown)
	}
	if unknown {
		return nil, ReasonUnknown, n.err
	}
	if !fresh {
		var reason string
		var err error
		if e, reason, err = a.load(ctx, digest, now); err != nil {
			if reason == ReasonUnknown {
				a.noteUnknown(digest, gen, negative{loadedAt: now, err: err})
			}
			return nil, reason, err
		}
		a.mu.Lock()
		if a.gen == gen { // no invalidation raced with the load
			if len(a.entries) >= maxCacheEntries {
				for k := range a.entries {
					a.drop(k)
					break
				}
			}
			a.put(string(digest), e)
		}
		a.mu.Unlock()
	}
	if subtle.ConstantTimeCompare(e.digest, digest) != 1 {
		return nil, ReasonUnknown, invalidKey("unknown token")
	}
	if !e.p.ExpiresAt.IsZero() && !now.Before(e.p.ExpiresAt) && e.rotated {
		return nil, ReasonRotated, &failed{e.p.KeyID, e.p.UserID, invalidKey("the token was rotated out and its grace period is over: use the key that replaced it")}
	}
	if !e.p.ExpiresAt.IsZero() && !now.Before(e.p.ExpiresAt) {
		return nil, ReasonExpired, &failed{e.p.KeyID, e.p.UserID, invalidKey("the token has expired")}
	}
	var addr string
	if a.addr != nil {
		addr = a.addr(ctx)
	}
	if !AllowedFrom(e.allow, addr) {
		// Fail closed: an address that cannot be read is not allowed.
		return nil, ReasonAddress, &failed{e.p.KeyID, e.p.UserID, invalidKey("this key may not be used from your address (" + addr + "): see its allowed_cidrs")}
	}
	if a.touch != nil {
		a.touch.Touch(e.p.KeyID, now, addr)
	}
	p := e.p
	return &p, "", nil
}

// noteUnknown caches a token the store does not know, unless an
// invalidation raced with the lookup.
func (a *Authenticator) noteUnknown(digest []byte, gen uint64, n negative) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.gen != gen {
		return
	}
	if len(a.unknown) >= maxNegativeEntries {
		for k := range a.unknown {
			delete(a.unknown, k)
			break
		}
	}
	a.unknown[string(digest)] = n
}

// Cached is what the cache knows of an authorization value, without
// asking the store.
type Cached int

// What Peek reports.
const (
	// CachedNot: a well-formed token the cache holds nothing fresh of.
	CachedNot Cached = iota
	// CachedValid: a token the cache holds as verified, however long
	// ago: no invalidation has dropped it, though it may have passed its
	// TTL or expired since (Authenticate checks again).
	CachedValid
	// CachedInvalid: no credentials, a malformed token, or one the store
	// did not know within the cache's TTL.
	CachedInvalid
)

// Peek reports what the cache knows of an authorization value; it never
// blocks on the store, and observes nothing.
func (a *Authenticator) Peek(header string) Cached {
	tok, err := ParseHeader(header)
	if err != nil {
		return CachedInvalid
	}
	if _, err := ParseToken(tok); err != nil {
		return CachedInvalid
	}
	digest := a.hasher.Digest(tok)
	now := a.now()
	a.mu.Lock()
	defer a.mu.Unlock()
	if e, ok := a.entries[string(digest)]; ok && subtle.ConstantTimeCompare(e.digest, digest) == 1 {
		return CachedValid
	}
	if n, ok := a.unknown[string(digest)]; ok && now.Sub(n.loadedAt) < a.ttl {
		return CachedInvalid
	}
	return CachedNot
}

// load reads the key with digest and its user from the store; an invalid
// token's error comes with its reason.
func (a *Authenticator) load(ctx context.Context, digest []byte, now time.Time) (*entry, string, error) {
	k, err := a.store.Keys().GetKeyByDigest(ctx, digest)
	if clavis.ErrorCode(err) == clavis.ENotFound {
		return nil, ReasonUnknown, invalidKey("unknown token: it was never issued or has been deleted")
	}
	if err != nil {
		return nil, "", err
	}
	u, err := a.store.Users().GetUser(ctx, k.UserID)
	if clavis.ErrorCode(err) == clavis.ENotFound {
		return nil, ReasonUnknown, invalidKey("unknown token: its user has been deleted")
	}
	if err != nil {
		return nil, "", err
	}
	if u.Disabled || u.System {
		return nil, ReasonDisabled, &failed{k.ID, k.UserID, invalidKey("the token's user is disabled")}
	}
	return &entry{
		digest:   k.Digest,
		loadedAt: now,
		rotated:  k.ReplacedBy != "",
		allow:    k.AllowCIDRs,
		p: clavis.Principal{
			UserID: u.ID, Admin: u.Admin, KeyID: k.ID, KeyType: k.Type, App: k.App,
			Scopes: k.Scopes, Endpoints: k.Endpoints, ExpiresAt: k.ExpiresAt, RateLimit: k.RateLimit,
		},
	}, "", nil
}

// CacheLen returns how many verified tokens the cache holds.
func (a *Authenticator) CacheLen() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.entries)
}

// InvalidateKeys drops the cached entries of the keys with these ids.
func (a *Authenticator) InvalidateKeys(ids ...string) {
	a.invalidateDigests(func() []string {
		var ds []string
		for _, id := range ids {
			if d, ok := a.idx.byKey[id]; ok {
				ds = append(ds, d)
			}
		}
		return ds
	})
}

// InvalidateUser drops the cached entries of every key of a user, and the
// cached grants of the user and on the user's apps.
func (a *Authenticator) InvalidateUser(id string) {
	a.grants.invalidateUser(id)
	a.invalidateDigests(func() []string {
		var ds []string
		for d := range a.idx.byUser[id] {
			ds = append(ds, d)
		}
		return ds
	})
}

// InvalidateApp drops the cached entries of every app key of an app, and
// the cached grants on it.
func (a *Authenticator) InvalidateApp(ref clavis.AppRef) {
	a.grants.InvalidateGrants(ref.OwnerID, ref.AppID)
	a.invalidate(func(p *clavis.Principal) bool { return p.App != nil && *p.App == ref })
}

// InvalidateOwner drops the cached entries of every app key of an owner's
// apps, and the cached grants on them.
func (a *Authenticator) InvalidateOwner(ownerID string) {
	a.grants.InvalidateGrants(ownerID, "")
	a.invalidate(func(p *clavis.Principal) bool { return p.App != nil && p.App.OwnerID == ownerID })
}

// InvalidateGrants drops the cached grants on app of owner, or on every
// app of owner when app is empty; cached tokens stay.
func (a *Authenticator) InvalidateGrants(owner, app string) { a.grants.InvalidateGrants(owner, app) }

// InvalidateAll empties the cache, and the cache of grants.
func (a *Authenticator) InvalidateAll() {
	a.grants.invalidateAll()
	a.invalidate(func(*clavis.Principal) bool { return true })
}

func (a *Authenticator) invalidate(match func(*clavis.Principal) bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.gen++
	clear(a.unknown)
	for k, e := range a.entries {
		if match(&e.p) {
			a.drop(k)
		}
	}
}
