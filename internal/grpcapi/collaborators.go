package grpcapi

import (
	"context"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/service"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"
)

func collaboratorSpec(c *pb.Collaborator) service.CollaboratorSpec {
	email := c.GetUser().GetUserDetail().GetPrimaryEmail()
	if email == "" {
		email = c.GetUser().GetPrimaryEmail()
	}
	return service.CollaboratorSpec{ID: c.GetId(), UserID: c.GetUser().GetId(), Email: email, Scopes: c.GetScopes(), Endpoints: c.GetEndpoints()}
}

func collaboratorsToPB(cs []service.Collaborator, app *clavis.App) []*pb.Collaborator {
	out := make([]*pb.Collaborator, len(cs))
	for i, c := range cs {
		out[i] = &pb.Collaborator{
			Id: c.ID, App: &pb.App{Id: app.ID, UserId: app.OwnerID, Name: app.Name}, User: userToPB(c.User),
			Scopes: c.Scopes.Names(), Endpoints: c.Endpoints,
			CreatedAt: ts(c.CreatedAt), ModifiedAt: ts(c.UpdatedAt), DeletedAt: ts(c.DeletedAt),
		}
	}
	return out
}

func collaboratorSpecs(in []*pb.Collaborator) []service.CollaboratorSpec {
	out := make([]service.CollaboratorSpec, len(in))
	for i, c := range in {
		out[i] = collaboratorSpec(c)
	}
	return out
}

// ListCollaborators lists the collaborators of the target app.
func (s *Server) ListCollaborators(ctx context.Context, req *pb.ListCollaboratorsRequest) (*pb.MultiCollaboratorsResponse, error) {
	acc := access(ctx)
	cs, owner, err := s.svc.ListCollaborators(ctx, acc, req.GetListAllCollaborators(), clavis.NewPage(req.GetPage(), req.GetPerPage()))
	if err != nil {
		return nil, err
	}
	resp := &pb.MultiCollaboratorsResponse{Collaborators: collaboratorsToPB(cs, acc.App)}
	if owner != nil {
		resp.AppOwner = userToPB(owner)
	}
	return resp, nil
}

// PostCollaborators adds collaborators to the target app.
func (s *Server) PostCollaborators(ctx context.Context, req *pb.PostCollaboratorsRequest) (*pb.MultiCollaboratorsResponse, error) {
	acc := access(ctx)
	cs, err := s.svc.AddCollaborators(ctx, acc, collaboratorSpecs(req.GetCollaborators()))
	if err != nil {
		return nil, err
	}
	return &pb.MultiCollaboratorsResponse{Collaborators: collaboratorsToPB(cs, acc.App)}, nil
}

// PatchCollaborators changes the scopes of collaborators of the target app.
func (s *Server) PatchCollaborators(ctx context.Context, req *pb.PatchCollaboratorsRequest) (*pb.MultiCollaboratorsResponse, error) {
	acc := access(ctx)
	cs, err := s.svc.PatchCollaborators(ctx, acc, req.GetAction(), collaboratorSpecs(req.GetCollaborators()))
	if err != nil {
		return nil, err
	}
	return &pb.MultiCollaboratorsResponse{Collaborators: collaboratorsToPB(cs, acc.App)}, nil
}

// DeleteCollaborators removes collaborators from the target app.
func (s *Server) DeleteCollaborators(ctx context.Context, req *pb.DeleteCollaboratorsRequest) (*st.BaseResponse, error) {
	if err := s.svc.RemoveCollaborators(ctx, access(ctx), req.GetCollaboratorIds(), req.GetUserEmails()); err != nil {
		return nil, err
	}
	return &st.BaseResponse{}, nil
}

// ListCollaborations lists the apps the caller collaborates on.
func (s *Server) ListCollaborations(ctx context.Context, req *pb.ListCollaborationsRequest) (*pb.MultiCollaborationsResponse, error) {
	cs, err := s.svc.ListCollaborations(ctx, access(ctx), clavis.NewPage(req.GetPage(), req.GetPerPage()))
	if err != nil {
		return nil, err
	}
	out := make([]*pb.Collaboration, len(cs))
	for i, c := range cs {
		out[i] = &pb.Collaboration{
			App: appToPB(c.App), AppOwner: &pb.User{Id: c.App.OwnerID},
			Scopes: c.Grant.Scopes.Names(), Endpoints: c.Grant.Endpoints, CreatedAt: ts(c.Grant.CreatedAt),
		}
	}
	return &pb.MultiCollaborationsResponse{Collaborations: out}, nil
}
