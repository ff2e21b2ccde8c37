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
