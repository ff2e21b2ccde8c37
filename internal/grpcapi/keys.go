package grpcapi

import (
	"context"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/service"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"
)

func keySpec(k *pb.Key) service.KeySpec {
	sp := service.KeySpec{
		ID: k.GetId(), Type: k.GetType(), Description: k.GetDescription(), Scopes: k.GetScopes(),
		Endpoints: k.GetEndpoints(), ExpiresAt: fromTS(k.GetExpiresAt()), OrgID: k.GetOrganizationId(), AllowCIDRs: k.GetAllowedCidrs(),
	}
	if r := k.GetRateLimit(); r != nil {
		n := int64(r.GetValue())
		sp.RateLimit = &n
	}
	for _, a := range k.GetApps() {
		sp.Apps = append(sp.Apps, clavis.AppRef{OwnerID: a.GetUserId(), AppID: a.GetId()})
	}
	return sp
}

func (s *Server) keysToPB(ctx context.Context, ks []*clavis.Key) []*pb.Key {
	out := make([]*pb.Key, len(ks))
	for i, k := range ks {
		out[i] = s.keyToPB(ctx, k, k.ID)
	}
	return out
}

// keyToPB is keyToPB with the warning of a key that breaks the expiry
// policy.
func (s *Server) keyToPB(ctx context.Context, k *clavis.Key, id string) *pb.Key {
	out := keyToPB(k, id)
	out.PolicyWarning = s.svc.PolicyWarning(ctx, k)
	return out
}

// PostKeys creates keys. The response carries each new key's secret token
// in Key.id, as Clarifai clients expect; it is never shown again.
func (s *Server) PostKeys(ctx context.Context, req *pb.PostKeysRequest) (*pb.MultiKeyResponse, error) {
	specs := make([]service.KeySpec, len(req.GetKeys()))
	for i, k := range req.GetKeys() {
		specs[i] = keySpec(k)
	}
	created, err := s.svc.CreateKeys(ctx, access(ctx), specs)
	if err != nil {
		return nil, err
	}
	out := make([]*pb.Key, len(created))
	for i, nk := range created {
		out[i] = keyToPB(nk.Key, nk.Token)
	}
	return &pb.MultiKeyResponse{Keys: out}, nil
}

// GetKey returns one of the caller's keys, by id or token.
func (s *Server) GetKey(ctx context.Context, req *pb.GetKeyRequest) (*pb.SingleKeyResponse, error) {
	k, err := s.svc.GetKey(ctx, access(ctx), req.GetKeyId())
	if err != nil {
		return nil, err
	}
	return &pb.SingleKeyResponse{Key: s.keyToPB(ctx, k, k.ID)}, nil
}

// ListKeys lists the caller's keys.
func (s *Server) ListKeys(ctx context.Context, req *pb.ListKeysRequest) (*pb.MultiKeyResponse, error) {
	q := service.KeyQuery{Type: req.GetType(), NotExpired: req.GetNotExpired(), Scopes: req.GetScopes(), Endpoints: req.GetEndpoints(),
		LastUsedBefore: fromTS(req.GetLastUsedBefore()), NeverUsed: req.GetNeverUsed()}
	ks, err := s.svc.ListKeys(ctx, access(ctx), q, clavis.NewPage(req.GetPage(), req.GetPerPage()))
	if err != nil {
		return nil, err
	}
	return &pb.MultiKeyResponse{Keys: s.keysToPB(ctx, ks)}, nil
}

// ListAppKeys lists the keys of the target app.
func (s *Server) ListAppKeys(ctx context.Context, req *pb.ListAppKeysRequest) (*pb.MultiKeyResponse, error) {
	ks, err := s.svc.ListAppKeys(ctx, access(ctx), clavis.NewPage(req.GetPage(), req.GetPerPage()))
	if err != nil {
		return nil, err
	}
	return &pb.MultiKeyResponse{Keys: s.keysToPB(ctx, ks)}, nil
}

// PatchKeys changes the caller's keys.
func (s *Server) PatchKeys(ctx context.Context, req *pb.PatchKeysRequest) (*pb.MultiKeyResponse, error) {
	specs := make([]service.KeySpec, len(req.GetKeys()))
	for i, k := range req.GetKeys() {
		specs[i] = keySpec(k)
	}
	ks, err := s.svc.PatchKeys(ctx, access(ctx), req.GetAction(), specs)
	if err != nil {
		return nil, err
	}
	return &pb.MultiKeyResponse{Keys: s.keysToPB(ctx, ks)}, nil
}

// DeleteKey deletes one of the caller's keys, by id or token.
func (s *Server) DeleteKey(ctx context.Context, req *pb.DeleteKeyRequest) (*st.BaseResponse, error) {
	if err := s.svc.DeleteKey(ctx, access(ctx), req.GetKeyId()); err != nil {
		return nil, err
	}
	return &st.BaseResponse{}, nil
}
