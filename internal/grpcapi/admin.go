package grpcapi

import (
	"context"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/service"

	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"
	adminv1 "github.com/clavis-dev/clavis/api/gen/clavis/admin/v1"
)

func adminUser(u *clavis.User) *adminv1.User {
	return &adminv1.User{Id: u.ID, Email: u.Email, Admin: u.Admin, Disabled: u.Disabled, CreatedAt: ts(u.CreatedAt)}
}

// CreateUser creates a user with its default PAT.
func (s *Server) CreateUser(ctx context.Context, req *adminv1.CreateUserRequest) (*adminv1.CreateUserResponse, error) {
	u, tok, err := s.svc.CreateUser(ctx, service.NewUser{ID: req.GetId(), Email: req.GetEmail(), Admin: req.GetAdmin()})
	if err != nil {
		return nil, err
	}
	return &adminv1.CreateUserResponse{User: adminUser(u), DefaultPat: tok}, nil
}

// ListUsers lists users.
func (s *Server) ListUsers(ctx context.Context, req *adminv1.ListUsersRequest) (*adminv1.ListUsersResponse, error) {
	us, err := s.svc.ListUsers(ctx, clavis.NewPage(req.GetPage(), req.GetPerPage()))
	if err != nil {
		return nil, err
	}
	out := make([]*adminv1.User, len(us))
	for i, u := range us {
		out[i] = adminUser(u)
	}
	return &adminv1.ListUsersResponse{Users: out}, nil
}

func (s *Server) setDisabled(ctx context.Context, id string, disabled bool) (*adminv1.UserResponse, error) {
	u, err := s.svc.SetUserDisabled(ctx, access(ctx), id, disabled)
	if err != nil {
		return nil, err
	}
	return &adminv1.UserResponse{User: adminUser(u)}, nil
}

// DisableUser stops every credential of a user at once.
func (s *Server) DisableUser(ctx context.Context, req *adminv1.UserRequest) (*adminv1.UserResponse, error) {
	return s.setDisabled(ctx, req.GetId(), true)
}

// EnableUser lets a disabled user's credentials work again.
func (s *Server) EnableUser(ctx context.Context, req *adminv1.UserRequest) (*adminv1.UserResponse, error) {
	return s.setDisabled(ctx, req.GetId(), false)
}

// DeleteUser deletes a user with its apps and keys.
func (s *Server) DeleteUser(ctx context.Context, req *adminv1.UserRequest) (*st.BaseResponse, error) {
	if err := s.svc.DeleteUser(ctx, access(ctx), req.GetId()); err != nil {
		return nil, err
	}
	return &st.BaseResponse{}, nil
}

// SetPassword sets a user's portal password.
func (s *Server) SetPassword(ctx context.Context, req *adminv1.SetPasswordRequest) (*adminv1.UserResponse, error) {
	if err := s.svc.SetPassword(ctx, access(ctx), req.GetId(), req.GetPassword(), req.GetMustChange()); err != nil {
		return nil, err
	}
	u, err := s.svc.GetUser(ctx, req.GetId())
	if err != nil {
		return nil, err
	}
	return &adminv1.UserResponse{User: adminUser(u)}, nil
}

// ListAllKeys lists the keys of every user.
func (s *Server) ListAllKeys(ctx context.Context, req *adminv1.ListAllKeysRequest) (*adminv1.ListAllKeysResponse, error) {
	q := service.InventoryQuery{UserID: req.GetUserId(), Type: req.GetType(), UnusedSince: fromTS(req.GetUnusedSince()), CreatedBefore: fromTS(req.GetCreatedBefore())}
	if req.GetAppId() != "" || req.GetAppOwnerId() != "" {
		q.App = &clavis.AppRef{OwnerID: req.GetAppOwnerId(), AppID: req.GetAppId()}
	}
	if req.GetExpired() != nil {
		v := req.GetExpired().GetValue()
		q.Expired = &v
	}
	ks, err := s.svc.AllKeys(ctx, q, clavis.NewPage(req.GetPage(), req.GetPerPage()))
	if err != nil {
		return nil, err
	}
	out := make([]*adminv1.OwnedKey, len(ks))
	for i, k := range ks {
		out[i] = &adminv1.OwnedKey{UserId: k.UserID, Key: s.keyToPB(ctx, k, k.ID)}
	}
	return &adminv1.ListAllKeysResponse{Keys: out}, nil
}

// RevokeKeys deletes every key of a user, an app or an organization.
func (s *Server) RevokeKeys(ctx context.Context, req *adminv1.RevokeKeysRequest) (*adminv1.RevokeKeysResponse, error) {
	t := service.RevokeTarget{UserID: req.GetUserId(), OrgID: req.GetOrgId()}
	if req.GetAppId() != "" || req.GetAppOwnerId() != "" {
		t.App = &clavis.AppRef{OwnerID: req.GetAppOwnerId(), AppID: req.GetAppId()}
	}
	n, err := s.svc.RevokeKeys(ctx, access(ctx), t)
	if err != nil {
		return nil, err
	}
	return &adminv1.RevokeKeysResponse{Revoked: uint32(n)}, nil
}
