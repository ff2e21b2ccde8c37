package grpcapi

import (
	"context"
	"time"

	"github.com/clavis-dev/clavis/clavis"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"
)

// PostModelOutputs predicts with a model of the target app: one output per
// input, in order, each with its own status.
func (s *Server) PostModelOutputs(ctx context.Context, req *pb.PostModelOutputsRequest) (*pb.MultiOutputResponse, error) {
	acc := access(ctx)
	inputs := make([]clavis.Input, len(req.GetInputs()))
	bad := make([]error, len(req.GetInputs()))
	for i, in := range req.GetInputs() {
		inputs[i], bad[i] = inputFromPB(in)
	}
	reg, ver, results, err := s.svc.Predict(ctx, acc, req.GetModelId(), req.GetVersionId(), maskBad(inputs, bad), outputConfig(req.GetModel()))
	if err != nil {
		return &pb.MultiOutputResponse{Status: s.fail(ctx, err), Outputs: []*pb.Output{}}, nil
	}
	model := modelToPB(&reg.Model, ver)
	app := acc.App.Ref()
	resp := &pb.MultiOutputResponse{Outputs: make([]*pb.Output, len(results))}
	var failed []*st.Status
	now := time.Now().UTC()
	for i, r := range results {
		err := bad[i]
		if err == nil {
			err = r.Err
		}
		out := &pb.Output{Id: newReqID(), CreatedAt: ts(now), Model: model, Input: echoInput(req.GetInputs()[i], inputs[i].ID)}
		if err != nil {
			out.Status = s.fail(ctx, err)
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

// inputFromPB reads an input's image. Inputs of other kinds are refused
// with a clear reason.
func inputFromPB(in *pb.Input) (clavis.Input, error) {
	out := clavis.Input{ID: in.GetId()}
	if out.ID == "" {
		out.ID = newReqID()
	}
	d := in.GetData()
	switch {
	case d.GetImage() != nil:
		out.ImageURL, out.ImageBytes = d.GetImage().GetUrl(), d.GetImage().GetBase64()
		return out, nil
	case d.GetVideo() != nil, d.GetAudio() != nil, d.GetText() != nil:
		return out, clavis.Errorf(clavis.EInputInvalid, "only image inputs are supported; this input carries video, audio or text")
	}
	return out, clavis.Errorf(clavis.EInputInvalid, "the input has no data: set data.image.url or data.image.base64")
}

// maskBad replaces inputs that failed to parse with ones the engine skips
// cheaply; their own error is reported instead.
func maskBad(inputs []clavis.Input, bad []error) []clavis.Input {
	out := make([]clavis.Input, len(inputs))
	for i := range inputs {
		if bad[i] == nil {
			out[i] = inputs[i]
		} else {
			out[i] = clavis.Input{ID: inputs[i].ID}
		}
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
		return &pb.SingleModelResponse{Status: s.fail(ctx, err)}, nil
	}
	return &pb.SingleModelResponse{Status: okStatus(), Model: modelToPB(&r.Model, v)}, nil
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
	return &pb.MultiModelResponse{Status: okStatus(), Models: out}, nil
}

// GetModelVersion describes one version of a model.
func (s *Server) GetModelVersion(ctx context.Context, req *pb.GetModelVersionRequest) (*pb.SingleModelVersionResponse, error) {
	if req.GetVersionId() == "" {
		return &pb.SingleModelVersionResponse{Status: s.fail(ctx, clavis.Errorf(clavis.EInvalid, "version_id is required"))}, nil
	}
	r, v, err := s.svc.GetModel(ctx, access(ctx), req.GetModelId(), req.GetVersionId())
	if err != nil {
		return &pb.SingleModelVersionResponse{Status: s.fail(ctx, err)}, nil
	}
	return &pb.SingleModelVersionResponse{Status: okStatus(), ModelVersion: modelVersionToPB(&r.Model, v)}, nil
}

// ListModelVersions lists the versions of a model, newest first.
func (s *Server) ListModelVersions(ctx context.Context, req *pb.ListModelVersionsRequest) (*pb.MultiModelVersionResponse, error) {
	r, _, err := s.svc.GetModel(ctx, access(ctx), req.GetModelId(), "")
	if err != nil {
		return &pb.MultiModelVersionResponse{Status: s.fail(ctx, err)}, nil
	}
	page := clavis.NewPage(req.GetPage(), req.GetPerPage())
	vs := clavis.PageOf(r.Model.Versions, page)
	out := make([]*pb.ModelVersion, 0, len(vs))
	for _, v := range vs {
		out = append(out, modelVersionToPB(&r.Model, v))
	}
	return &pb.MultiModelVersionResponse{Status: okStatus(), ModelVersions: out}, nil
}
