package grpcapi

import (
	"context"
	"time"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/reqid"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"
)

// PostModelOutputs predicts with a model of the target app: one output per
// input, in order, each with its own status.
func (s *Server) PostModelOutputs(ctx context.Context, req *pb.PostModelOutputsRequest) (*pb.MultiOutputResponse, error) {
	acc := access(ctx)
	inputs := make([]clavis.Input, len(req.GetInputs()))
	for i, in := range req.GetInputs() {
		inputs[i] = inputFromPB(in)
	}
	reg, ver, results, err := s.svc.Predict(ctx, acc, req.GetModelId(), req.GetVersionId(), inputs, outputConfig(req.GetModel()))
	if err != nil {
		return nil, err
	}
	model := modelToPB(&reg.Model, ver)
	app := acc.App.Ref()
	resp := &pb.MultiOutputResponse{Outputs: make([]*pb.Output, len(results))}
	var failed []*st.Status
	now := time.Now().UTC()
	for i, r := range results {
		out := &pb.Output{Id: reqid.New(), CreatedAt: ts(now), Model: model, Input: echoInput(req.GetInputs()[i], inputs[i].ID)}
		if r.Err != nil {
			out.Status = s.itemStatus(ctx, r.Err)
			failed = append(failed, out.Status)
		} else {
			out.Status = okStatus()
			out.Data = predictionToPB(r.Prediction, app)
		}
		resp.Outputs[i] = out
	}
	resp.Status = batchStatus(len(results), failed)
	return resp, nil
}

// batchStatus sums up per-item outcomes: SUCCESS when all succeeded, the
// common code when all failed alike, FAILURE when all failed differently,
// MIXED_STATUS otherwise.
func batchStatus(n int, failed []*st.Status) *st.Status {
	switch {
	case len(failed) == 0:
		return okStatus()
	case len(failed) < n:
		return &st.Status{Code: st.StatusCode_MIXED_STATUS, Description: "Mixed status", Details: "some inputs failed; see each output's status"}
	}
	for _, f := range failed[1:] {
		if f.Code != failed[0].Code {
			return &st.Status{Code: st.StatusCode_FAILURE, Description: "Failure", Details: "every input failed; see each output's status"}
		}
	}
	return &st.Status{Code: failed[0].Code, Description: failed[0].Description, Details: "every input failed; see each output's status"}
}

// inputFromPB reads an input as it is: its image, or the kind of other data
// it carries. The engine decides what it can take.
func inputFromPB(in *pb.Input) clavis.Input {
	out := clavis.Input{ID: in.GetId()}
	if out.ID == "" {
		out.ID = reqid.New()
	}
	d := in.GetData()
	switch {
	case d.GetImage() != nil:
		out.ImageURL, out.ImageBytes = d.GetImage().GetUrl(), d.GetImage().GetBase64()
	case d.GetVideo() != nil:
		out.Other = "video"
	case d.GetAudio() != nil:
		out.Other = "audio"
	case d.GetText() != nil:
		out.Other = "text"
	}
	return out
}

// echoInput returns the input as the output echoes it: its id and URL, but
// not megabytes of image bytes.
func echoInput(in *pb.Input, id string) *pb.Input {
	e := &pb.Input{Id: id, Data: &pb.Data{}}
	if u := in.GetData().GetImage().GetUrl(); u != "" {
		e.Data.Image = &pb.Image{Url: u}
	}
	return e
}

// GetModel describes a model of the target app.
func (s *Server) GetModel(ctx context.Context, req *pb.GetModelRequest) (*pb.SingleModelResponse, error) {
	r, v, err := s.svc.GetModel(ctx, access(ctx), req.GetModelId(), req.GetVersionId())
	if err != nil {
		return nil, err
	}
	return &pb.SingleModelResponse{Model: modelDetailToPB(&r.Model, v)}, nil
}

// GetModelOutputInfo describes a model's output; Clavis answers as GetModel.
func (s *Server) GetModelOutputInfo(ctx context.Context, req *pb.GetModelRequest) (*pb.SingleModelResponse, error) {
	return s.GetModel(ctx, req)
}

// ListModels lists the models of the target app.
func (s *Server) ListModels(ctx context.Context, req *pb.ListModelsRequest) (*pb.MultiModelResponse, error) {
	ms := s.svc.ListModels(ctx, access(ctx), req.GetModelTypeId(), clavis.NewPage(req.GetPage(), req.GetPerPage()))
	out := make([]*pb.Model, 0, len(ms))
	for i := range ms {
		out = append(out, modelToPB(&ms[i], ms[i].Versions[0]))
	}
	return &pb.MultiModelResponse{Models: out}, nil
}

// GetModelVersion describes one version of a model.
func (s *Server) GetModelVersion(ctx context.Context, req *pb.GetModelVersionRequest) (*pb.SingleModelVersionResponse, error) {
	if req.GetVersionId() == "" {
		return nil, clavis.Errorf(clavis.EInvalid, "version_id is required")
	}
	r, v, err := s.svc.GetModel(ctx, access(ctx), req.GetModelId(), req.GetVersionId())
	if err != nil {
		return nil, err
	}
	return &pb.SingleModelVersionResponse{ModelVersion: modelVersionToPB(&r.Model, v)}, nil
}

// ListModelVersions lists the versions of a model, newest first.
func (s *Server) ListModelVersions(ctx context.Context, req *pb.ListModelVersionsRequest) (*pb.MultiModelVersionResponse, error) {
	r, _, err := s.svc.GetModel(ctx, access(ctx), req.GetModelId(), "")
	if err != nil {
		return nil, err
	}
	page := clavis.NewPage(req.GetPage(), req.GetPerPage())
	vs := clavis.PageOf(r.Model.Versions, page)
	out := make([]*pb.ModelVersion, 0, len(vs))
	for _, v := range vs {
		out = append(out, modelVersionToPB(&r.Model, v))
	}
	return &pb.MultiModelVersionResponse{ModelVersions: out}, nil
}
