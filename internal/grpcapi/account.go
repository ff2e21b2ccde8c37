package grpcapi

import (
	"context"

	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"
	accountv1 "github.com/clavis-dev/clavis/api/gen/clavis/account/v1"
)

// AccountServer implements the account service: what users do to their own
// account.
type AccountServer struct {
	accountv1.UnimplementedAccountServer
	*Server
}

// ChangePassword sets the caller's own portal password.
func (s AccountServer) ChangePassword(ctx context.Context, req *accountv1.ChangePasswordRequest) (*st.BaseResponse, error) {
	if err := s.svc.ChangePassword(ctx, access(ctx), req.GetCurrentPassword(), req.GetNewPassword()); err != nil {
		return nil, err
	}
	return &st.BaseResponse{}, nil
}
