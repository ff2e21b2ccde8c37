package service

import (
	"fmt"
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
}

// KeyPolicies are the expiry policies of PATs and app keys.
type KeyPolicies struct {
	PAT, App KeyPolicy
}

// Policy returns the instance's expiry policy for keys of type t, for
// forms that offer only the expiries it allows.
func (s *Service) Policy(t clavis.KeyType) KeyPolicy { return s.policies.of(t) }

func (ps KeyPolicies) of(t clavis.KeyType) KeyPolicy {
	if t == clavis.KeyTypePAT {
		return ps.PAT
	}
	return ps.App
}

// checkPolicy refuses an expiry that breaks the policy of keys of type t
// created at now.
func (s *Service) checkPolicy(t clavis.KeyType, expires, now time.Time) error {
	p := s.policies.of(t)
	switch {
	case expires.IsZero() && (p.ExpiryRequired || p.MaxLifetime > 0):
		return clavis.Errorf(clavis.EInvalid, "this server's policy requires %s to expire (expires_at), within %s", kindOf(t), lifetime(p))
	case p.MaxLifetime > 0 && expires.Sub(now) > p.MaxLifetime:
		return clavis.Errorf(clavis.EInvalid, "expires_at %s is past this server's maximum lifetime of %s for %s: at most %s",
			expires.Format(time.RFC3339), inWords(p.MaxLifetime), kindOf(t), now.Add(p.MaxLifetime).Format(time.RFC3339))
	}
	return nil
}

// clampPolicy returns the expiry a key of type t created at now gets when
// the server makes it (a user's default PAT, a rotation): expires, or the
// policy's maximum lifetime when expires breaks it. With expiry required
// and no maximum lifetime, a key that would never expire gets
// DefaultPolicyLifetime.
func (s *Service) clampPolicy(t clavis.KeyType, expires, now time.Time) time.Time {
	p := s.policies.of(t)
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
func (s *Service) PolicyWarning(k *clavis.Key) string {
	if k.ReplacedBy != "" {
		return ""
	}
	p := s.policies.of(k.Type)
	switch {
	case k.ExpiresAt.IsZero() && (p.ExpiryRequired || p.MaxLifetime > 0):
		return fmt.Sprintf("this key never expires, but the server's policy requires %s to expire within %s: rotate it or set expires_at", kindOf(k.Type), lifetime(p))
	case p.MaxLifetime > 0 && k.ExpiresAt.Sub(k.CreatedAt) > p.MaxLifetime:
		return fmt.Sprintf("this key lives longer than the server's maximum of %s for %s: it keeps working until %s; rotate it for a compliant one",
			inWords(p.MaxLifetime), kindOf(k.Type), k.ExpiresAt.Format(time.RFC3339))
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
