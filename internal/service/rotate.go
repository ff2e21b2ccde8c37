package service

import (
	"context"
	"fmt"
	"time"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/auth"
)

// MaxRotationGrace bounds how long a rotated-out key keeps working.
const MaxRotationGrace = 30 * 24 * time.Hour

// Rotation is the outcome of RotateKey: the new key with its secret, shown
// once, and the old key as it now is.
type Rotation struct {
	New NewKey
	Old *clavis.Key
}

// RotateKey replaces one of the caller's keys, by public id or token, with a
// new secret: a new key with the same type, app, description, scopes,
// endpoints and expiry rule (a key that expired d after its creation gets a
// new one that expires d after now; one that never expired never does). The
// old key keeps working for grace (0: it stops at once), never past its own
// expiry, and is refused after that as rotated out. The caller must still
// be able to create the new key: its rights, its credential's expiry and,
// for an app key, managing the app. A key already rotated out, or expired,
// is refused with EInvalid.
func (s *Service) RotateKey(ctx context.Context, acc *auth.Access, idOrToken string, grace time.Duration) (*Rotation, error) {
	if grace < 0 || grace > MaxRotationGrace {
		return nil, clavis.Errorf(clavis.EInvalid, "grace must be between 0 (revoke the old secret now) and %s", MaxRotationGrace)
	}
	p := acc.Principal
	now := s.clock()
	var out Rotation
	err := s.store.WithTx(ctx, func(tx clavis.Tx) error {
		old, err := s.findKey(ctx, tx, acc.UserID, idOrToken)
		if err != nil {
			return err
		}
		if old.ReplacedBy != "" {
			return clavis.Errorf(clavis.EInvalid, "key %s was already rotated out, replaced by %s: rotate that one", old.ID, old.ReplacedBy)
		}
		if old.Expired(now) {
			return clavis.Errorf(clavis.EInvalid, "key %s has expired: create a new key instead", old.ID)
		}
		callerScopes := acc.Scopes
		if old.App != nil {
			_, grant, err := auth.NewAuthorizer(tx).ManagedApp(ctx, p, *old.App, "rotate keys of")
			if err != nil {
				return err
			}
			callerScopes = callerScopes.Intersect(grant)
		}
		var expires time.Time
		if !old.ExpiresAt.IsZero() {
			expires = now.Add(old.ExpiresAt.Sub(old.CreatedAt))
		}
		// A rotation is how a key comes into line with the policy.
		pol, err := s.policyFor(ctx, tx, old.Type, old.UserID, old.App)
		if err != nil {
			return err
		}
		expires = clampPolicy(pol, expires, now)
		sp := KeySpec{Description: old.Description, Scopes: old.Scopes.Names(), Endpoints: old.Endpoints, ExpiresAt: expires}
		scopes, endpoints, err := s.checkGrant(p, callerScopes, sp, now)
		if err != nil {
			return err
		}
		k, tok, err := s.newKey(old.UserID, old.Type, old.App, old.Description, scopes, endpoints, expires, now)
		if err != nil {
			return err
		}
		k.AllowCIDRs, k.RateLimit = old.AllowCIDRs, old.RateLimit
		if err := tx.Keys().CreateKey(ctx, k); err != nil {
			return err
		}
		end := now.Add(grace)
		if old.ExpiresAt.IsZero() || end.Before(old.ExpiresAt) {
			old.ExpiresAt = end
		}
		old.ReplacedBy, old.RotatedAt = k.ID, now
		if err := tx.Keys().UpdateKey(ctx, old); err != nil {
			return err
		}
		e := s.keyEntry(ctx, acc, clavis.AuditKeyRotate, old)
		e.Details = fmt.Sprintf("replaced by %s (hint %s); the old secret works until %s", k.ID, k.Hint, old.ExpiresAt.Format(time.RFC3339))
		ne := s.keyEntry(ctx, acc, clavis.AuditKeyCreate, k)
		ne.Details += ", replacing " + old.ID
		if err := s.record(ctx, tx, e, ne); err != nil {
			return err
		}
		out = Rotation{New: NewKey{Key: k, Token: tok}, Old: old}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// The old key's new expiry holds on every replica from the next request.
	s.inval.InvalidateKeys(out.Old.ID)
	return &out, nil
}
