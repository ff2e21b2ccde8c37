package service

import (
	"context"
	"fmt"
	"time"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/auth"
)

// OrgKeyPolicyReport is an organization's key policy with the keys it
// governs that break it.
type OrgKeyPolicyReport struct {
	Policy clavis.OrgKeyPolicy
	// Breaking are the governed keys, live and not rotated out, that break
	// the policy (the stricter of the server's and the governing orgs'),
	// each with Warning saying how.
	Breaking []BreakingKey
}

// BreakingKey is a key that breaks an expiry policy, and how.
type BreakingKey struct {
	Key     *clavis.Key
	Warning string
}

// maxPolicyPages bounds the pages of members and keys a policy report
// reads (1000 each).
const maxPolicyPages = 100

// GetOrgKeyPolicy returns the target organization's key policy (a zero
// policy when none was set) and the keys it governs that break it: the
// PATs of its members and the keys of its apps.
func (s *Service) GetOrgKeyPolicy(ctx context.Context, acc *auth.Access) (*OrgKeyPolicyReport, error) {
	var out *OrgKeyPolicyReport
	err := s.store.WithTx(ctx, func(tx clavis.Tx) error {
		var err error
		out, err = s.orgPolicyReport(ctx, tx, acc.Org.OrgID)
		return err
	})
	return out, err
}

// SetOrgKeyPolicy replaces the target organization's key policy and
// records it in the audit log. New keys and changes of the keys it governs
// must then comply with the stricter of it and the server's policy. Keys
// that break it are listed; when StopAt is set (it must be in the future),
// each of them whose expiry is later (or never) gets StopAt as its expiry,
// on every replica from its next request.
func (s *Service) SetOrgKeyPolicy(ctx context.Context, acc *auth.Access, p clavis.OrgKeyPolicy) (*OrgKeyPolicyReport, error) {
	now := s.clock()
	if p.PATMaxLifetime < 0 || p.AppKeyMaxLifetime < 0 {
		return nil, clavis.Errorf(clavis.EInvalid, "a maximum lifetime must be 0 (no bound) or positive")
	}
	if !p.StopAt.IsZero() && !p.StopAt.After(now) {
		return nil, clavis.Errorf(clavis.EInvalid, "stop_at %s is not in the future: give the date from which keys that break the policy stop, or none", p.StopAt.Format(time.RFC3339))
	}
	p.OrgID, p.UpdatedAt = acc.Org.OrgID, now
	var out *OrgKeyPolicyReport
	var stopped []string
	err := s.store.WithTx(ctx, func(tx clavis.Tx) error {
		stopped = stopped[:0]
		if err := tx.Orgs().PutKeyPolicy(ctx, &p); err != nil {
			return err
		}
		var err error
		if out, err = s.orgPolicyReport(ctx, tx, p.OrgID); err != nil {
			return err
		}
		if !p.StopAt.IsZero() {
			for _, b := range out.Breaking {
				k := b.Key
				if !k.ExpiresAt.IsZero() && !k.ExpiresAt.After(p.StopAt) {
					continue
				}
				k.ExpiresAt = p.StopAt
				if err := tx.Keys().UpdateKey(ctx, k); err != nil {
					return err
				}
				e := s.keyEntry(ctx, acc, clavis.AuditKeyPatch, k)
				e.OrgID = p.OrgID
				e.Details = "stops at " + p.StopAt.Format(time.RFC3339) + " under organization " + p.OrgID + "'s key policy; " + e.Details
				if err := s.record(ctx, tx, e); err != nil {
					return err
				}
				stopped = append(stopped, k.ID)
			}
			if out, err = s.orgPolicyReport(ctx, tx, p.OrgID); err != nil {
				return err
			}
		}
		return s.record(ctx, tx, s.orgEntry(ctx, acc, clavis.AuditOrgKeyPolicy, p.OrgID, "", fmt.Sprintf("%s; %d keys break it, %d of them stop at its date",
			describePolicy(&p), len(out.Breaking), len(stopped))))
	})
	if err != nil {
		return nil, err
	}
	if len(stopped) > 0 {
		s.inval.InvalidateKeys(stopped...)
	}
	return out, nil
}

func describePolicy(p *clavis.OrgKeyPolicy) string {
	d := fmt.Sprintf("PATs: max lifetime %s, expiry required %v; app keys: max lifetime %s, expiry required %v",
		p.PATMaxLifetime, p.PATExpiryRequired, p.AppKeyMaxLifetime, p.AppKeyExpiryRequired)
	if !p.StopAt.IsZero() {
		d += "; breaking keys stop at " + p.StopAt.Format(time.RFC3339)
	}
	return d
}

// orgPolicyReport reads an organization's policy and the governed keys
// that break the policy that applies to them.
func (s *Service) orgPolicyReport(ctx context.Context, tx clavis.Tx, orgID string) (*OrgKeyPolicyReport, error) {
	out := &OrgKeyPolicyReport{}
	p, err := tx.Orgs().GetKeyPolicy(ctx, orgID)
	switch {
	case err == nil:
		out.Policy = *p
	case clavis.ErrorCode(err) == clavis.ENotFound:
		out.Policy = clavis.OrgKeyPolicy{OrgID: orgID}
	default:
		return nil, err
	}
	now := s.clock()
	check := func(f clavis.KeyFilter) error {
		f.NotExpiredAt = now
		for pg := uint32(1); pg <= maxPolicyPages; pg++ {
			ks, err := tx.Keys().ListKeys(ctx, f, clavis.NewPage(pg, 1000))
			if err != nil {
				return err
			}
			for _, k := range ks {
				if k.ReplacedBy != "" {
					continue
				}
				pol, err := s.policyFor(ctx, tx, k.Type, k.UserID, k.App)
				if err != nil {
					return err
				}
				if w := policyWarning(pol, k); w != "" {
					out.Breaking = append(out.Breaking, BreakingKey{Key: k, Warning: w})
				}
			}
			if len(ks) < 1000 {
				return nil
			}
		}
		return nil
	}
	for pg := uint32(1); pg <= maxPolicyPages; pg++ {
		ms, err := tx.Orgs().ListMembers(ctx, orgID, clavis.NewPage(pg, 1000))
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			if err := check(clavis.KeyFilter{UserID: m.UserID, Type: clavis.KeyTypePAT}); err != nil {
				return nil, err
			}
		}
		if len(ms) < 1000 {
			break
		}
	}
	if err := check(clavis.KeyFilter{AppOwnerID: orgID, Type: clavis.KeyTypeApp}); err != nil {
		return nil, err
	}
	return out, nil
}
