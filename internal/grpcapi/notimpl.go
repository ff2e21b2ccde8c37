package grpcapi

import (
	"context"

	"github.com/clavis-dev/clavis/clavis"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"
)

// notImplemented is the error of methods our protos declare but Clavis does
// not implement yet (docs/compatibility.md lists them).
func notImplemented(method string) error {
	return clavis.Errorf(clavis.ENotImplemented, "%s is not implemented by this Clavis version", method)
}

// PostInputs is not implemented yet.
func (s *Server) PostInputs(ctx context.Context, req *pb.PostInputsRequest) (*pb.MultiInputResponse, error) {
	return nil, notImplemented("PostInputs")
}

// ListInputs is not implemented yet.
func (s *Server) ListInputs(ctx context.Context, req *pb.ListInputsRequest) (*pb.MultiInputResponse, error) {
	return nil, notImplemented("ListInputs")
}

// GetInput is not implemented yet.
func (s *Server) GetInput(ctx context.Context, req *pb.GetInputRequest) (*pb.SingleInputResponse, error) {
	return nil, notImplemented("GetInput")
}

// DeleteInput is not implemented yet.
func (s *Server) DeleteInput(ctx context.Context, req *pb.DeleteInputRequest) (*st.BaseResponse, error) {
	return nil, notImplemented("DeleteInput")
}

// DeleteInputs is not implemented yet.
func (s *Server) DeleteInputs(ctx context.Context, req *pb.DeleteInputsRequest) (*st.BaseResponse, error) {
	return nil, notImplemented("DeleteInputs")
}

// PatchInputs is not implemented yet.
func (s *Server) PatchInputs(ctx context.Context, req *pb.PatchInputsRequest) (*pb.MultiInputResponse, error) {
	return nil, notImplemented("PatchInputs")
}

// GetInputCount is not implemented yet.
func (s *Server) GetInputCount(ctx context.Context, req *pb.GetInputCountRequest) (*pb.SingleInputCountResponse, error) {
	return nil, notImplemented("GetInputCount")
}

// GetInputsAddJob is not implemented yet.
func (s *Server) GetInputsAddJob(ctx context.Context, req *pb.GetInputsAddJobRequest) (*pb.SingleInputsAddJobResponse, error) {
	return nil, notImplemented("GetInputsAddJob")
}

// ListInputsAddJobs is not implemented yet.
func (s *Server) ListInputsAddJobs(ctx context.Context, req *pb.ListInputsAddJobsRequest) (*pb.MultiInputsAddJobResponse, error) {
	return nil, notImplemented("ListInputsAddJobs")
}

// CancelInputsAddJob is not implemented yet.
func (s *Server) CancelInputsAddJob(ctx context.Context, req *pb.CancelInputsAddJobRequest) (*pb.SingleInputsAddJobResponse, error) {
	return nil, notImplemented("CancelInputsAddJob")
}

// PostAnnotations is not implemented yet.
func (s *Server) PostAnnotations(ctx context.Context, req *pb.PostAnnotationsRequest) (*pb.MultiAnnotationResponse, error) {
	return nil, notImplemented("PostAnnotations")
}

// ListAnnotations is not implemented yet.
func (s *Server) ListAnnotations(ctx context.Context, req *pb.ListAnnotationsRequest) (*pb.MultiAnnotationResponse, error) {
	return nil, notImplemented("ListAnnotations")
}

// PatchAnnotations is not implemented yet.
func (s *Server) PatchAnnotations(ctx context.Context, req *pb.PatchAnnotationsRequest) (*pb.MultiAnnotationResponse, error) {
	return nil, notImplemented("PatchAnnotations")
}

// DeleteAnnotation is not implemented yet.
func (s *Server) DeleteAnnotation(ctx context.Context, req *pb.DeleteAnnotationRequest) (*st.BaseResponse, error) {
	return nil, notImplemented("DeleteAnnotation")
}

// DeleteAnnotations is not implemented yet.
func (s *Server) DeleteAnnotations(ctx context.Context, req *pb.DeleteAnnotationsRequest) (*st.BaseResponse, error) {
	return nil, notImplemented("DeleteAnnotations")
}

// ListConcepts is not implemented yet.
func (s *Server) ListConcepts(ctx context.Context, req *pb.ListConceptsRequest) (*pb.MultiConceptResponse, error) {
	return nil, notImplemented("ListConcepts")
}

// GetConcept is not implemented yet.
func (s *Server) GetConcept(ctx context.Context, req *pb.GetConceptRequest) (*pb.SingleConceptResponse, error) {
	return nil, notImplemented("GetConcept")
}

// PostConcepts is not implemented yet.
func (s *Server) PostConcepts(ctx context.Context, req *pb.PostConceptsRequest) (*pb.MultiConceptResponse, error) {
	return nil, notImplemented("PostConcepts")
}

// PatchConcepts is not implemented yet.
func (s *Server) PatchConcepts(ctx context.Context, req *pb.PatchConceptsRequest) (*pb.MultiConceptResponse, error) {
	return nil, notImplemented("PatchConcepts")
}
