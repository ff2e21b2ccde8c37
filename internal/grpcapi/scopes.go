package grpcapi

import (
	"context"
	"sort"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/auth"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
)

// GetUser returns the caller.
func (s *Server) GetUser(ctx context.Context, req *pb.GetUserRequest) (*pb.SingleUserResponse, error) {
	u, err := s.svc.GetUser(ctx, access(ctx).UserID)
	if err != nil {
		return nil, err
	}
	return &pb.SingleUserResponse{User: userToPB(u)}, nil
}

// MyScopes reports what the calling credential may do on the target app:
// its scopes intersected with the caller's grant there.
func (s *Server) MyScopes(ctx context.Context, req *pb.MyScopesRequest) (*pb.MultiScopeResponse, error) {
	acc := access(ctx)
	return &pb.MultiScopeResponse{
		Scopes: acc.Scopes.Names(), Endpoints: acc.Principal.Endpoints, App: appToPB(acc.App),
	}, nil
}

// MyScopesUser reports the scopes of the calling PAT.
func (s *Server) MyScopesUser(ctx context.Context, req *pb.MyScopesUserRequest) (*pb.MultiScopeUserResponse, error) {
	p := access(ctx).Principal
	return &pb.MultiScopeUserResponse{Scopes: p.Scopes.Names(), Endpoints: p.Endpoints}, nil
}

// ListScopes lists every scope with the scopes it depends on, and every
// endpoint with the scopes it needs. Clarifai keeps it for the portal's
// session; Clavis opens it to any PAT.
func (s *Server) ListScopes(ctx context.Context, req *pb.ListScopesRequest) (*pb.MultiScopeDepsResponse, error) {
	kt := clavis.KeyType(req.GetKeyType())
	if kt != "" && kt != clavis.KeyTypePAT && kt != clavis.KeyTypeApp {
		return nil, clavis.Errorf(clavis.EInvalid, "unknown key_type %q: use %q or %q", kt, clavis.KeyTypePAT, clavis.KeyTypeApp)
	}
	deps := clavis.ScopeDependencies()
	resp := &pb.MultiScopeDepsResponse{}
	resp.ScopeDeps = append(resp.ScopeDeps, &pb.ScopeDeps{Scope: clavis.ScopeAll})
	for _, n := range clavis.ScopeNames() {
		resp.ScopeDeps = append(resp.ScopeDeps, &pb.ScopeDeps{Scope: n, DependingScopes: deps[n]})
	}
	for _, e := range auth.Endpoints() {
		r := auth.Rules[e]
		if kt == clavis.KeyTypeApp && r.Auth != auth.KeyAuth {
			continue // app keys cannot call PAT-only methods
		}
		names := r.Scopes.Names()
		sort.Strings(names)
		resp.EndpointDeps = append(resp.EndpointDeps, &pb.EndpointDeps{Endpoint: e, DependingScopes: names})
	}
	return resp, nil
}
