package grpcapi

import (
	"context"

	"github.com/clavis-dev/clavis/clavis"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
)

// appConceptToPB converts a concept of an app. Its value is 1, as a
// definition's (a concept is present where it is used).
func appConceptToPB(c *clavis.AppConcept) *pb.Concept {
	return &pb.Concept{Id: c.ID, Name: c.Name, Value: 1, CreatedAt: ts(c.CreatedAt), AppId: c.App.AppID, UserId: c.App.OwnerID}
}

func appConceptsToPB(cs []*clavis.AppConcept) []*pb.Concept {
	out := make([]*pb.Concept, len(cs))
	for i, c := range cs {
		out[i] = appConceptToPB(c)
	}
	return out
}

// ListConcepts lists the concepts of the target app.
func (s *Server) ListConcepts(ctx context.Context, req *pb.ListConceptsRequest) (*pb.MultiConceptResponse, error) {
	cs, err := s.svc.ListConcepts(ctx, access(ctx), req.GetId(), clavis.NewPage(req.GetPage(), req.GetPerPage()))
	if err != nil {
		return nil, err
	}
	return &pb.MultiConceptResponse{Concepts: appConceptsToPB(cs)}, nil
}

// GetConcept returns a concept of the target app.
func (s *Server) GetConcept(ctx context.Context, req *pb.GetConceptRequest) (*pb.SingleConceptResponse, error) {
	c, err := s.svc.GetConcept(ctx, access(ctx), req.GetConceptId())
	if err != nil {
		return nil, err
	}
	return &pb.SingleConceptResponse{Concept: appConceptToPB(c)}, nil
}

// PostConcepts adds concepts to the target app.
func (s *Server) PostConcepts(ctx context.Context, req *pb.PostConceptsRequest) (*pb.MultiConceptResponse, error) {
	cs, err := s.svc.AddConcepts(ctx, access(ctx), labelsFromPB(req.GetConcepts()))
	if err != nil {
		return nil, err
	}
	return &pb.MultiConceptResponse{Concepts: appConceptsToPB(cs)}, nil
}

// PatchConcepts renames concepts of the target app.
func (s *Server) PatchConcepts(ctx context.Context, req *pb.PatchConceptsRequest) (*pb.MultiConceptResponse, error) {
	cs, err := s.svc.PatchConcepts(ctx, access(ctx), req.GetAction(), labelsFromPB(req.GetConcepts()))
	if err != nil {
		return nil, err
	}
	return &pb.MultiConceptResponse{Concepts: appConceptsToPB(cs)}, nil
}
