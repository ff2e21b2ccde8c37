package service

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/clavis-dev/clavis/clavis"
)

// KeyPolicy is the instance's expiry policy for one type of key.
type KeyPolicy struct {
	// MaxLifetime bounds how long after its creation a key may expire; 0
	// means no bound.
	MaxLifetime time.Duration
	// ExpiryRequired refuses keys that never expire.
	ExpiryRequired bool
	// orgs names the organizations whose policies went into this one.
	orgs []string
}

// stricter combines two policies: the shorter bound, and expiry required
// when either requires it.
func (p KeyPolicy) stricter(q KeyPolicy) KeyPolicy {
	out := KeyPolicy{MaxLifetime: p.MaxLifetime, ExpiryRequired: p.ExpiryRequired || q.ExpiryRequired, orgs: append(append([]string(nil), p.orgs...), q.orgs...)}
	if q.MaxLifetime > 0 && (out.MaxLifetime == 0 || q.MaxLifetime < out.MaxLifetime) {
		out.MaxLifetime = q.MaxLifetime
	}
	return out
}

// source names whose policy p is, for messages.
func (p KeyPolicy) source() string {
	if len(p.orgs) == 0 {
		return "this server's policy"
	}
	return "the expiry policy (this server's and organization " + strings.Join(p.orgs, ", ") + "'s, the stricter applies)"
}

// orgPolicy is the part of an organization's policy for keys of type t.
func orgPolicy(o *clavis.OrgKeyPolicy, t clavis.KeyType) KeyPolicy {
	if t == clavis.KeyTypePAT {
		return KeyPolicy{MaxLifetime: o.PATMaxLifetime, ExpiryRequired: o.PATExpiryRequired, orgs: []string{o.OrgID}}
	}
	return KeyPolicy{MaxLifetime: o.AppKeyMaxLifetime, ExpiryRequired: o.AppKeyExpiryRequired, orgs: []string{o.OrgID}}
}

// governing returns the policies of the organizations that govern a key
// of type t of userID (app: its app): for a PAT, those of every
// organization its user is a member of; for an app key, that of the
// organization that owns its app.
func governing(ctx context.Context, tx clavis.Tx, t clavis.KeyType, userID string, app *clavis.AppRef) ([]*clavis.OrgKeyPolicy, error) {
	if t == clavis.KeyTypePAT {
		return tx.Orgs().ListKeyPolicies(ctx, userID)
	}
	if app == nil {
		return nil, nil
	}
	o, err := tx.Orgs().GetKeyPolicy(ctx, app.OwnerID)
	if clavis.ErrorCode(err) == clavis.ENotFound {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return []*clavis.OrgKeyPolicy{o}, nil
}

// policyFor returns the policy that applies to a key of type t of userID
// (app: its app): the stricter of the instance's and those of the
// organizations that govern it.
func (s *Service) policyFor(ctx context.Context, tx clavis.Tx, t clavis.KeyType, userID string, app *clavis.AppRef) (KeyPolicy, error) {
	p := s.policies.of(t)
	os, err := governing(ctx, tx, t, userID, app)
	if err != nil {
		return p, err
	}
	for _, o := range os {
		p = p.stricter(orgPolicy(o, t))
	}
	return p, nil
}

// KeyPolicies are the expiry policies of PATs and app keys.
type KeyPolicies struct {
	PAT, App KeyPolicy
}

// KeyPolicyFor returns the expiry policy a new key of type t of userID
// (app: its app, for an app key) must follow: the stricter of the
// instance's and those of the organizations that govern it. Forms use it
// to offer only the expiries it allows; the service enforces it itself.
func (s *Service) KeyPolicyFor(ctx context.Context, t clavis.KeyType, userID string, app *clavis.AppRef) (KeyPolicy, error) {
	return s.policyFor(ctx, s.store, t, userID, app)
}

// Source names whose policy p is, for messages: this server's, or this
// server's and some organizations'.
func (p KeyPolicy) Source() string { return p.source() }

func (ps KeyPolicies) of(t clavis.KeyType) KeyPolicy {
	if t == clavis.KeyTypePAT {
		return ps.PAT
	}
	return ps.App
}

// checkPolicy refuses an expiry that breaks policy p of keys of type t
// created at now.
func checkPolicy(p KeyPolicy, t clavis.KeyType, expires, now time.Time) error {
	switch {
	case expires.IsZero() && (p.ExpiryRequired || p.MaxLifetime > 0):
		return clavis.Errorf(clavis.EInvalid, "%s requires %s to expire (expires_at), within %s", p.source(), kindOf(t), lifetime(p))
	case p.MaxLifetime > 0 && expires.Sub(now) > p.MaxLifetime:
		return clavis.Errorf(clavis.EInvalid, "expires_at %s is past the maximum lifetime of %s for %s (%s): at most %s",
			expires.Format(time.RFC3339), inWords(p.MaxLifetime), kindOf(t), p.source(), now.Add(p.MaxLifetime).Format(time.RFC3339))
	}
	return nil
}

// clampPolicy returns the expiry a key created at now under policy p gets when
// the server makes it (a user's default PAT, a rotation): expires, or the
// policy's maximum lifetime when expires breaks it. With expiry required
// and no maximum lifetime, a key that would never expire gets
// DefaultPolicyLifetime.
func clampPolicy(p KeyPolicy, expires, now time.Time) time.Time {
	if p.MaxLifetime > 0 && (expires.IsZero() || expires.Sub(now) > p.MaxLifetime) {
		return now.Add(p.MaxLifetime)
	}
	if p.ExpiryRequired && expires.IsZero() {
		return now.Add(DefaultPolicyLifetime)
	}
	return expires
}

// DefaultPolicyLifetime is the lifetime of keys the server makes under a
// policy that requires expiry but sets no maximum lifetime.
const DefaultPolicyLifetime = 90 * 24 * time.Hour

// PolicyWarning says how an existing key breaks the expiry policy, or ""
// when it complies. Such keys keep working: the policy applies to new keys
// and changes only, and owners see this warning.
//
// The policy is the stricter of the instance's and those of the
// organizations that govern the key; when they cannot be read, the
// instance's alone.
func (s *Service) PolicyWarning(ctx context.Context, k *clavis.Key) string {
	if k.ReplacedBy != "" {
		return ""
	}
	p, err := s.policyFor(ctx, s.store, k.Type, k.UserID, k.App)
	if err != nil {
		p = s.policies.of(k.Type)
	}
	return policyWarning(p, k)
}

// PolicyWarnings is PolicyWarning for each of ks, reading the policies
// that govern them once per owner and app owner rather than once per key.
func (s *Service) PolicyWarnings(ctx context.Context, ks []*clavis.Key) []string {
	type who struct {
		t          clavis.KeyType
		user, apps string
	}
	memo := map[who]KeyPolicy{}
	out := make([]string, len(ks))
	for i, k := range ks {
		if k.ReplacedBy != "" {
			continue
		}
		w := who{t: k.Type, user: k.UserID}
		if k.Type != clavis.KeyTypePAT && k.App != nil {
			w.user, w.apps = "", k.App.OwnerID
		}
		p, ok := memo[w]
		if !ok {
			var err error
			if p, err = s.policyFor(ctx, s.store, k.Type, k.UserID, k.App); err != nil {
				p = s.policies.of(k.Type)
			}
			memo[w] = p
		}
		out[i] = policyWarning(p, k)
	}
	return out
}

func policyWarning(p KeyPolicy, k *clavis.Key) string {
	switch {
	case k.ExpiresAt.IsZero() && (p.ExpiryRequired || p.MaxLifetime > 0):
		return fmt.Sprintf("this key never expires, but %s requires %s to expire within %s: rotate it or set expires_at", p.source(), kindOf(k.Type), lifetime(p))
	case p.MaxLifetime > 0 && k.ExpiresAt.Sub(k.CreatedAt) > p.MaxLifetime:
		return fmt.Sprintf("this key lives longer than the maximum of %s for %s (%s): it keeps working until %s; rotate it for a compliant one",
			inWords(p.MaxLifetime), kindOf(k.Type), p.source(), k.ExpiresAt.Format(time.RFC3339))
	}
	return ""
}

func kindOf(t clavis.KeyType) string {
	if t == clavis.KeyTypePAT {
		return "Personal Access Tokens"
	}
	return "app-specific keys"
}

func lifetime(p KeyPolicy) string {
	if p.MaxLifetime > 0 {
		return inWords(p.MaxLifetime)
	}
	return "any time"
}

// inWords writes a lifetime of whole days as days ("90 days"), others as
// a duration.
func inWords(d time.Duration) string {
	const day = 24 * time.Hour
	switch {
	case d == day:
		return "1 day"
	case d > 0 && d%day == 0:
		return fmt.Sprintf("%d days", d/day)
	}
	return d.String()
}
