package grpcapi

import (
	"context"

	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/service"

	orgsv1 "github.com/clavis-dev/clavis/api/gen/clavis/orgs/v1"
)

// GetKeyPolicy returns an organization's key policy and the keys that
// break it.
func (s OrgsServer) GetKeyPolicy(ctx context.Context, _ *orgsv1.OrgRequest) (*orgsv1.KeyPolicyResponse, error) {
	r, err := s.svc.GetOrgKeyPolicy(ctx, access(ctx))
	if err != nil {
		return nil, err
	}
	return s.policyResponse(r), nil
}

// SetKeyPolicy replaces an organization's key policy.
func (s OrgsServer) SetKeyPolicy(ctx context.Context, req *orgsv1.SetKeyPolicyRequest) (*orgsv1.KeyPolicyResponse, error) {
	p := req.GetPolicy()
	for _, d := range []*durationpb.Duration{p.GetPatMaxLifetime(), p.GetAppKeyMaxLifetime()} {
		if d != nil && d.CheckValid() != nil {
			return nil, clavis.Errorf(clavis.EInvalid, "policy: a maximum lifetime is not a valid duration")
		}
	}
	r, err := s.svc.SetOrgKeyPolicy(ctx, access(ctx), clavis.OrgKeyPolicy{
		PATMaxLifetime: p.GetPatMaxLifetime().AsDuration(), PATExpiryRequired: p.GetPatExpiryRequired(),
		AppKeyMaxLifetime: p.GetAppKeyMaxLifetime().AsDuration(), AppKeyExpiryRequired: p.GetAppKeyExpiryRequired(),
		StopAt: fromTS(p.GetStopAt()),
	})
	if err != nil {
		return nil, err
	}
	return s.policyResponse(r), nil
}

func (s OrgsServer) policyResponse(r *service.OrgKeyPolicyReport) *orgsv1.KeyPolicyResponse {
	p := r.Policy
	out := &orgsv1.KeyPolicyResponse{Policy: &orgsv1.KeyPolicy{
		PatExpiryRequired: p.PATExpiryRequired, AppKeyExpiryRequired: p.AppKeyExpiryRequired,
		StopAt: ts(p.StopAt), UpdatedAt: ts(p.UpdatedAt),
	}}
	if p.PATMaxLifetime > 0 {
		out.Policy.PatMaxLifetime = durationpb.New(p.PATMaxLifetime)
	}
	if p.AppKeyMaxLifetime > 0 {
		out.Policy.AppKeyMaxLifetime = durationpb.New(p.AppKeyMaxLifetime)
	}
	for _, b := range r.Breaking {
		k := keyToPB(b.Key, b.Key.ID)
		k.PolicyWarning = b.Warning
		out.BreakingKeys = append(out.BreakingKeys, &orgsv1.BreakingKey{UserId: b.Key.UserID, Key: k})
	}
	return out
}
