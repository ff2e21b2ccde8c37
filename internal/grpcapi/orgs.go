package grpcapi

import (
	"context"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/service"

	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"
	orgsv1 "github.com/clavis-dev/clavis/api/gen/clavis/orgs/v1"
)

// OrgsServer implements the organizations service. It is a separate type
// because its method names (GetTeam, ...) would not collide but its
// embedded Unimplemented server would.
type OrgsServer struct {
	orgsv1.UnimplementedOrgsServer
	*Server
}

var roles = map[orgsv1.Role]clavis.OrgRole{
	orgsv1.Role_ADMIN:            clavis.RoleAdmin,
	orgsv1.Role_ORG_CONTRIBUTOR:  clavis.RoleContributor,
	orgsv1.Role_TEAM_CONTRIBUTOR: clavis.RoleTeamContributor,
}

func orgToPB(o *clavis.Org) *orgsv1.Org {
	return &orgsv1.Org{Id: o.ID, Name: o.Name, CreatedAt: ts(o.CreatedAt)}
}

func memberToPB(m *clavis.OrgMember) *orgsv1.Member {
	out := &orgsv1.Member{UserId: m.UserID, Scopes: m.Scopes.Names(), CreatedAt: ts(m.CreatedAt)}
	for r, cr := range roles {
		if cr == m.Role {
			out.Role = r
		}
	}
	return out
}

func teamToPB(t *clavis.Team) *orgsv1.Team {
	return &orgsv1.Team{Id: t.ID, Name: t.Name, Scopes: t.Scopes.Names(), MemberIds: t.Members, AppIds: t.Apps, CreatedAt: ts(t.CreatedAt)}
}

// CreateOrg creates an organization with the caller as admin.
func (s OrgsServer) CreateOrg(ctx context.Context, req *orgsv1.CreateOrgRequest) (*orgsv1.OrgResponse, error) {
	o, err := s.svc.CreateOrg(ctx, access(ctx), req.GetId(), req.GetName())
	if err != nil {
		return nil, err
	}
	return &orgsv1.OrgResponse{Org: orgToPB(o)}, nil
}

// GetOrg returns an organization of the caller.
func (s OrgsServer) GetOrg(ctx context.Context, req *orgsv1.OrgRequest) (*orgsv1.OrgResponse, error) {
	o, err := s.svc.GetOrg(ctx, access(ctx))
	if err != nil {
		return nil, err
	}
	return &orgsv1.OrgResponse{Org: orgToPB(o)}, nil
}

// ListOrgs lists the caller's organizations.
func (s OrgsServer) ListOrgs(ctx context.Context, req *orgsv1.ListOrgsRequest) (*orgsv1.ListOrgsResponse, error) {
	os, err := s.svc.ListOrgs(ctx, access(ctx), clavis.NewPage(req.GetPage(), req.GetPerPage()))
	if err != nil {
		return nil, err
	}
	out := make([]*orgsv1.Org, len(os))
	for i, o := range os {
		out[i] = orgToPB(o)
	}
	return &orgsv1.ListOrgsResponse{Orgs: out}, nil
}

// DeleteOrg deletes an organization.
func (s OrgsServer) DeleteOrg(ctx context.Context, req *orgsv1.OrgRequest) (*st.BaseResponse, error) {
	if err := s.svc.DeleteOrg(ctx, access(ctx)); err != nil {
		return nil, err
	}
	return &st.BaseResponse{}, nil
}

// PutMember adds or changes a member.
func (s OrgsServer) PutMember(ctx context.Context, req *orgsv1.PutMemberRequest) (*orgsv1.MemberResponse, error) {
	m := req.GetMember()
	got, err := s.svc.PutMember(ctx, access(ctx), service.MemberSpec{UserID: m.GetUserId(), Email: m.GetEmail(), Role: roles[m.GetRole()], Scopes: m.GetScopes()})
	if err != nil {
		return nil, err
	}
	return &orgsv1.MemberResponse{Member: memberToPB(got)}, nil
}

// ListMembers lists an organization's members.
func (s OrgsServer) ListMembers(ctx context.Context, req *orgsv1.ListMembersRequest) (*orgsv1.ListMembersResponse, error) {
	ms, err := s.svc.ListMembers(ctx, access(ctx), clavis.NewPage(req.GetPage(), req.GetPerPage()))
	if err != nil {
		return nil, err
	}
	out := make([]*orgsv1.Member, len(ms))
	for i, m := range ms {
		out[i] = memberToPB(m)
	}
	return &orgsv1.ListMembersResponse{Members: out}, nil
}

// RemoveMember removes a member.
func (s OrgsServer) RemoveMember(ctx context.Context, req *orgsv1.RemoveMemberRequest) (*st.BaseResponse, error) {
	if err := s.svc.RemoveMember(ctx, access(ctx), req.GetUserId()); err != nil {
		return nil, err
	}
	return &st.BaseResponse{}, nil
}

// PutTeam creates or replaces a team.
func (s OrgsServer) PutTeam(ctx context.Context, req *orgsv1.PutTeamRequest) (*orgsv1.TeamResponse, error) {
	t := req.GetTeam()
	got, err := s.svc.PutTeam(ctx, access(ctx), clavis.Team{ID: t.GetId(), Name: t.GetName(), Members: t.GetMemberIds(), Apps: t.GetAppIds()}, t.GetScopes())
	if err != nil {
		return nil, err
	}
	return &orgsv1.TeamResponse{Team: teamToPB(got)}, nil
}

// GetTeam returns a team.
func (s OrgsServer) GetTeam(ctx context.Context, req *orgsv1.TeamRequest) (*orgsv1.TeamResponse, error) {
	t, err := s.svc.GetTeam(ctx, access(ctx), req.GetTeamId())
	if err != nil {
		return nil, err
	}
	return &orgsv1.TeamResponse{Team: teamToPB(t)}, nil
}

// ListTeams lists an organization's teams.
func (s OrgsServer) ListTeams(ctx context.Context, req *orgsv1.ListTeamsRequest) (*orgsv1.ListTeamsResponse, error) {
	ts, err := s.svc.ListTeams(ctx, access(ctx), clavis.NewPage(req.GetPage(), req.GetPerPage()))
	if err != nil {
		return nil, err
	}
	out := make([]*orgsv1.Team, len(ts))
	for i, t := range ts {
		out[i] = teamToPB(t)
	}
	return &orgsv1.ListTeamsResponse{Teams: out}, nil
}

// DeleteTeam deletes a team.
func (s OrgsServer) DeleteTeam(ctx context.Context, req *orgsv1.TeamRequest) (*st.BaseResponse, error) {
	if err := s.svc.DeleteTeam(ctx, access(ctx), req.GetTeamId()); err != nil {
		return nil, err
	}
	return &st.BaseResponse{}, nil
}
