package auth

import (
	"context"

	"github.com/clavis-dev/clavis/clavis"
)

// AuditView returns the part of the audit log the caller p may read when
// it names target ("" or "me" for itself): a filter whose Concerns or OrgID
// is set, or neither for everything.
//   - An instance admin reads everything, or the entries concerning target
//     (a user), or those about target (an organization).
//   - Anyone else reads the entries concerning themselves, and, as an admin
//     of an organization, those about it.
//
// Other targets answer ENotFound, as a missing user does.
func (z *Authorizer) AuditView(ctx context.Context, p *clavis.Principal, target string) (clavis.AuditFilter, error) {
	if target == "" || target == clavis.UserMe {
		if p.Admin {
			return clavis.AuditFilter{}, nil
		}
		return clavis.AuditFilter{Concerns: p.UserID}, nil
	}
	if target == p.UserID {
		return clavis.AuditFilter{Concerns: p.UserID}, nil
	}
	if err := clavis.CheckID("user_id", target); err != nil {
		return clavis.AuditFilter{}, err
	}
	_, orgErr := z.store.Orgs().GetOrg(ctx, target)
	isOrg := orgErr == nil
	if orgErr != nil && clavis.ErrorCode(orgErr) != clavis.ENotFound {
		return clavis.AuditFilter{}, orgErr
	}
	if p.Admin {
		if isOrg {
			return clavis.AuditFilter{OrgID: target}, nil
		}
		return clavis.AuditFilter{Concerns: target}, nil
	}
	if isOrg {
		m, err := z.member(ctx, target, p.UserID)
		if err != nil && clavis.ErrorCode(err) != clavis.ENotFound {
			return clavis.AuditFilter{}, err
		}
		if err == nil && m.Role == clavis.RoleAdmin {
			return clavis.AuditFilter{OrgID: target}, nil
		}
	}
	return clavis.AuditFilter{}, clavis.UserNotFound(target)
}
