package grpcapi

import (
	"context"

	"github.com/clavis-dev/clavis/clavis"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"
)

// notImplemented is the in-band answer of methods our protos declare but
// Clavis does not implement yet (docs/compatibility.md lists them).
func notImplemented(method string) *st.Status {
	return StatusOf(clavis.Errorf(clavis.ENotImplemented, "%s is not implemented by this Clavis version", method))
}

// PostInputs is not implemented yet.
func (s *Server) PostInputs(ctx context.Context, req *pb.PostInputsRequest) (*pb.MultiInputResponse, error) {
	return &pb.MultiInputResponse{Status: notImplemented("PostInputs")}, nil
}

// ListInputs is not implemented yet.
func (s *Server) ListInputs(ctx context.Context, req *pb.ListInputsRequest) (*pb.MultiInputResponse, error) {
	return &pb.MultiInputResponse{Status: notImplemented("ListInputs")}, nil
}

// GetInput is not implemented yet.
func (s *Server) GetInput(ctx context.Context, req *pb.GetInputRequest) (*pb.SingleInputResponse, error) {
	return &pb.SingleInputResponse{Status: notImplemented("GetInput")}, nil
}

// DeleteInput is not implemented yet.
func (s *Server) DeleteInput(ctx context.Context, req *pb.DeleteInputRequest) (*st.BaseResponse, error) {
	return &st.BaseResponse{Status: notImplemented("DeleteInput")}, nil
}

// DeleteInputs is not implemented yet.
func (s *Server) DeleteInputs(ctx context.Context, req *pb.DeleteInputsRequest) (*st.BaseResponse, error) {
	return &st.BaseResponse{Status: notImplemented("DeleteInputs")}, nil
}

// PatchInputs is not implemented yet.
func (s *Server) PatchInputs(ctx context.Context, req *pb.PatchInputsRequest) (*pb.MultiInputResponse, error) {
	return &pb.MultiInputResponse{Status: notImplemented("PatchInputs")}, nil
}

// GetInputCount is not implemented yet.
func (s *Server) GetInputCount(ctx context.Context, req *pb.GetInputCountRequest) (*pb.SingleInputCountResponse, error) {
	return &pb.SingleInputCountResponse{Status: notImplemented("GetInputCount")}, nil
}

// GetInputsAddJob is not implemented yet.
func (s *Server) GetInputsAddJob(ctx context.Context, req *pb.GetInputsAddJobRequest) (*pb.SingleInputsAddJobResponse, error) {
	return &pb.SingleInputsAddJobResponse{Status: notImplemented("GetInputsAddJob")}, nil
}

// ListInputsAddJobs is not implemented yet.
func (s *Server) ListInputsAddJobs(ctx context.Context, req *pb.ListInputsAddJobsRequest) (*pb.MultiInputsAddJobResponse, error) {
	return &pb.MultiInputsAddJobResponse{Status: notImplemented("ListInputsAddJobs")}, nil
}

// CancelInputsAddJob is not implemented yet.
func (s *Server) CancelInputsAddJob(ctx context.Context, req *pb.CancelInputsAddJobRequest) (*pb.SingleInputsAddJobResponse, error) {
	return &pb.SingleInputsAddJobResponse{Status: notImplemented("CancelInputsAddJob")}, nil
}

// PostAnnotations is not implemented yet.
func (s *Server) PostAnnotations(ctx context.Context, req *pb.PostAnnotationsRequest) (*pb.MultiAnnotationResponse, error) {
	return &pb.MultiAnnotationResponse{Status: notImplemented("PostAnnotations")}, nil
}

// ListAnnotations is not implemented yet.
func (s *Server) ListAnnotations(ctx context.Context, req *pb.ListAnnotationsRequest) (*pb.MultiAnnotationResponse, error) {
	return &pb.MultiAnnotationResponse{Status: notImplemented("ListAnnotations")}, nil
}

// PatchAnnotations is not implemented yet.
func (s *Server) PatchAnnotations(ctx context.Context, req *pb.PatchAnnotationsRequest) (*pb.MultiAnnotationResponse, error) {
	return &pb.MultiAnnotationResponse{Status: notImplemented("PatchAnnotations")}, nil
}

// DeleteAnnotation is not implemented yet.
func (s *Server) DeleteAnnotation(ctx context.Context, req *pb.DeleteAnnotationRequest) (*st.BaseResponse, error) {
	return &st.BaseResponse{Status: notImplemented("DeleteAnnotation")}, nil
}

// DeleteAnnotations is not implemented yet.
func (s *Server) DeleteAnnotations(ctx context.Context, req *pb.DeleteAnnotationsRequest) (*st.BaseResponse, error) {
	return &st.BaseResponse{Status: notImplemented("DeleteAnnotations")}, nil
}

// ListConcepts is not implemented yet.
func (s *Server) ListConcepts(ctx context.Context, req *pb.ListConceptsRequest) (*pb.MultiConceptResponse, error) {
	return &pb.MultiConceptResponse{Status: notImplemented("ListConcepts")}, nil
}

// GetConcept is not implemented yet.
func (s *Server) GetConcept(ctx context.Context, req *pb.GetConceptRequest) (*pb.SingleConceptResponse, error) {
	return &pb.SingleConceptResponse{Status: notImplemented("GetConcept")}, nil
}

// PostConcepts is not implemented yet.
func (s *Server) PostConcepts(ctx context.Context, req *pb.PostConceptsRequest) (*pb.MultiConceptResponse, error) {
	return &pb.MultiConceptResponse{Status: notImplemented("PostConcepts")}, nil
}

// PatchConcepts is not implemented yet.
func (s *Server) PatchConcepts(ctx context.Context, req *pb.PatchConceptsRequest) (*pb.MultiConceptResponse, error) {
	return &pb.MultiConceptResponse{Status: notImplemented("PatchConcepts")}, nil
}
