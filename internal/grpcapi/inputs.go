package grpcapi

import (
	"context"
	"strings"

	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/service"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"
)

// HostedPath is where the server hosts the images of stored inputs: an
// input's image is at HostedPath + "/orig/users/{user_id}/apps/{app_id}/inputs/{input_id}",
// and needs a credential that may get that input.
const HostedPath = "/v2/hosted"

// HostImagesAt sets the base URL (scheme and host, such as
// "https://clavis.example.com") of the hosted image URLs in responses. By
// default they are made from the host each request was sent to.
func (s *Server) HostImagesAt(base string) { s.hostedBase = strings.TrimSuffix(base, "/") }

// hostedPrefix returns what hosted URLs start with: HostedPath on the base
// URL set, or on the host the request was sent to.
func (s *Server) hostedPrefix(ctx context.Context) string {
	if s.hostedBase != "" {
		return s.hostedBase + HostedPath
	}
	scheme, host := "http", ""
	md, _ := metadata.FromIncomingContext(ctx)
	if s.isRelayed(ctx) {
		// The gateway's calls come in process: it says how its client came.
		if v := md.Get(SchemeMetadata); len(v) == 1 && v[0] == "https" {
			scheme = "https"
		}
	} else if p, ok := peer.FromContext(ctx); ok {
		if _, tls := p.AuthInfo.(credentials.TLSInfo); tls {
			scheme = "https"
		}
	}
	if md != nil {
		// REST calls reach us through the gateway, which names the host
		// the client used in x-forwarded-host.
		for _, k := range []string{"x-forwarded-host", ":authority"} {
			if v := md.Get(k); len(v) > 0 && v[0] != "" {
				host = v[0]
				break
			}
		}
	}
	return scheme + "://" + host + HostedPath
}

// inputStatus is an input's status as Clarifai words it.
func inputStatus(in *clavis.StoredInput) *st.Status {
	desc := map[clavis.InputStatus]string{
		clavis.InputSuccess:    "Download complete",
		clavis.InputPending:    "Download pending",
		clavis.InputFailed:     "Download failed",
		clavis.InputInProgress: "Download in progress",
	}[in.Status]
	return &st.Status{Code: st.StatusCode(in.Status), Description: desc, Details: in.StatusDetails}
}

// inputToPB converts a stored input; prefix starts its hosted URL.
func inputToPB(v *service.InputView, prefix string) *pb.Input {
	in := v.StoredInput
	meta, _ := structpb.NewStruct(in.Metadata)
	img := &pb.Image{Url: in.URL}
	if in.Blob != nil {
		img.Hosted = &pb.HostedURL{Prefix: prefix, Suffix: "users/" + in.App.OwnerID + "/apps/" + in.App.AppID + "/inputs/" + in.ID, Sizes: []string{"orig"}}
		img.ImageInfo = &pb.ImageInfo{Width: int32(in.Image.Width), Height: int32(in.Image.Height), Format: strings.ToUpper(in.Image.Format)}
	}
	return &pb.Input{
		Id: in.ID, CreatedAt: ts(in.CreatedAt), ModifiedAt: ts(in.UpdatedAt), Status: inputStatus(in),
		Data: &pb.Data{Image: img, Concepts: conceptsToPB(v.Concepts, in.App), Metadata: meta},
	}
}

func (s *Server) inputsToPB(ctx context.Context, vs []*service.InputView) []*pb.Input {
	prefix := s.hostedPrefix(ctx)
	out := make([]*pb.Input, len(vs))
	for i, v := range vs {
		out[i] = inputToPB(v, prefix)
	}
	return out
}

// labelsFromPB reads the concepts of an input or annotation.
func labelsFromPB(cs []*pb.Concept) []clavis.Concept {
	if len(cs) == 0 {
		return nil
	}
	out := make([]clavis.Concept, len(cs))
	for i, c := range cs {
		out[i] = clavis.Concept{ID: c.GetId(), Name: c.GetName(), Value: c.GetValue()}
	}
	return out
}

// newInputFromPB reads an input to add.
func newInputFromPB(in *pb.Input) service.NewInput {
	d := in.GetData()
	n := service.NewInput{ID: in.GetId(), Concepts: labelsFromPB(d.GetConcepts())}
	if d.GetMetadata() != nil {
		n.Metadata = d.GetMetadata().AsMap()
	}
	switch {
	case d.GetImage() != nil:
		n.ImageURL, n.ImageBytes, n.AllowDuplicateURL = d.GetImage().GetUrl(), d.GetImage().GetBase64(), d.GetImage().GetAllowDuplicateUrl()
	case d.GetVideo() != nil:
		n.Other = "video"
	case d.GetAudio() != nil:
		n.Other = "audio"
	case d.GetText() != nil:
		n.Other = "text"
	}
	return n
}

// PostInputs adds inputs to the target app: each comes back with its own
// status (30001 while pending), and the call's sums them up.
func (s *Server) PostInputs(ctx context.Context, req *pb.PostInputsRequest) (*pb.MultiInputResponse, error) {
	ins := make([]service.NewInput, len(req.GetInputs()))
	for i, in := range req.GetInputs() {
		ins[i] = newInputFromPB(in)
	}
	conflict := service.ConflictSkip
	if req.GetInputIdConflictResolution() == pb.InputIDConflictResolution_SUFFIX {
		conflict = service.ConflictSuffix
	}
	added, job, err := s.svc.AddInputs(ctx, access(ctx), req.GetInputsAddJobId(), conflict, ins)
	if err != nil {
		return nil, err
	}
	prefix := s.hostedPrefix(ctx)
	resp := &pb.MultiInputResponse{Inputs: make([]*pb.Input, len(added))}
	var failed []*st.Status
	for i, a := range added {
		if a.Err != nil {
			status := s.itemStatus(ctx, a.Err)
			failed = append(failed, status)
			resp.Inputs[i] = &pb.Input{Id: a.ID, Status: status}
			continue
		}
		resp.Inputs[i] = inputToPB(a.Input, prefix)
	}
	resp.Status = batchStatus(len(added), failed)
	if job != nil {
		resp.InputsAddJob = addJobToPB(job)
	}
	return resp, nil
}

// ListInputs lists the target app's inputs, newest first.
func (s *Server) ListInputs(ctx context.Context, req *pb.ListInputsRequest) (*pb.MultiInputResponse, error) {
	vs, err := s.svc.ListInputs(ctx, access(ctx), req.GetIds(), clavis.InputStatus(req.GetStatus().GetCode()), clavis.NewPage(req.GetPage(), req.GetPerPage()))
	if err != nil {
		return nil, err
	}
	return &pb.MultiInputResponse{Inputs: s.inputsToPB(ctx, vs)}, nil
}

// GetInput returns an input of the target app.
func (s *Server) GetInput(ctx context.Context, req *pb.GetInputRequest) (*pb.SingleInputResponse, error) {
	v, err := s.svc.GetInput(ctx, access(ctx), req.GetInputId())
	if err != nil {
		return nil, err
	}
	return &pb.SingleInputResponse{Input: inputToPB(v, s.hostedPrefix(ctx))}, nil
}

// PatchInputs changes the metadata and labels of inputs of the target app.
func (s *Server) PatchInputs(ctx context.Context, req *pb.PatchInputsRequest) (*pb.MultiInputResponse, error) {
	patches := make([]service.InputPatch, len(req.GetInputs()))
	for i, in := range req.GetInputs() {
		d := in.GetData()
		p := service.InputPatch{ID: in.GetId(), Concepts: labelsFromPB(d.GetConcepts()),
			Image: d.GetImage().GetUrl() != "" || len(d.GetImage().GetBase64()) > 0}
		if d.GetMetadata() != nil {
			p.Metadata = d.GetMetadata().AsMap()
		}
		patches[i] = p
	}
	vs, err := s.svc.PatchInputs(ctx, access(ctx), req.GetAction(), patches)
	if err != nil {
		return nil, err
	}
	return &pb.MultiInputResponse{Inputs: s.inputsToPB(ctx, vs)}, nil
}

// DeleteInput deletes an input of the target app.
func (s *Server) DeleteInput(ctx context.Context, req *pb.DeleteInputRequest) (*st.BaseResponse, error) {
	if err := s.svc.DeleteInput(ctx, access(ctx), req.GetInputId()); err != nil {
		return nil, err
	}
	return &st.BaseResponse{}, nil
}

// DeleteInputs deletes inputs of the target app.
func (s *Server) DeleteInputs(ctx context.Context, req *pb.DeleteInputsRequest) (*st.BaseResponse, error) {
	if err := s.svc.DeleteInputs(ctx, access(ctx), req.GetIds()); err != nil {
		return nil, err
	}
	return &st.BaseResponse{}, nil
}

// GetInputCount counts the target app's inputs by status.
func (s *Server) GetInputCount(ctx context.Context, req *pb.GetInputCountRequest) (*pb.SingleInputCountResponse, error) {
	c, err := s.svc.CountInputs(ctx, access(ctx))
	if err != nil {
		return nil, err
	}
	return &pb.SingleInputCountResponse{Counts: &pb.InputCount{
		Processed: uint32(c.Success), ToProcess: uint32(c.Pending), Errors: uint32(c.Failed), Processing: uint32(c.InProgress),
	}}, nil
}

// addJobToPB converts an add job: running while an input of it waits or is
// processed, then completed (or cancelled).
func addJobToPB(j *clavis.InputsAddJob) *pb.InputsAddJob {
	p := j.Progress
	status := &st.Status{Code: st.StatusCode_JOB_COMPLETED, Description: "Job completed"}
	switch {
	case j.Cancelled:
		status = &st.Status{Code: st.StatusCode_JOB_CANCELLED, Description: "Job cancelled"}
	case p.Pending+p.InProgress > 0:
		status = &st.Status{Code: st.StatusCode_JOB_RUNNING, Description: "Job is running"}
	}
	return &pb.InputsAddJob{
		Id: j.ID, CreatedAt: ts(j.CreatedAt), ModifiedAt: ts(j.UpdatedAt), Status: status,
		Progress: &pb.InputsAddJobProgress{
			PendingCount: uint64(p.Pending), InProgressCount: uint64(p.InProgress), SuccessCount: uint64(p.Success), FailedCount: uint64(p.Failed),
		},
	}
}

// GetInputsAddJob reports an add job's progress.
func (s *Server) GetInputsAddJob(ctx context.Context, req *pb.GetInputsAddJobRequest) (*pb.SingleInputsAddJobResponse, error) {
	j, err := s.svc.GetAddJob(ctx, access(ctx), req.GetId())
	if err != nil {
		return nil, err
	}
	return &pb.SingleInputsAddJobResponse{InputsAddJob: addJobToPB(j)}, nil
}

// ListInputsAddJobs lists the target app's add jobs, newest first.
func (s *Server) ListInputsAddJobs(ctx context.Context, req *pb.ListInputsAddJobsRequest) (*pb.MultiInputsAddJobResponse, error) {
	js, err := s.svc.ListAddJobs(ctx, access(ctx), clavis.NewPage(req.GetPage(), req.GetPerPage()))
	if err != nil {
		return nil, err
	}
	out := make([]*pb.InputsAddJob, len(js))
	for i, j := range js {
		out[i] = addJobToPB(j)
	}
	return &pb.MultiInputsAddJobResponse{InputsAddJobs: out}, nil
}

// CancelInputsAddJob cancels an add job: its inputs still waiting fail.
func (s *Server) CancelInputsAddJob(ctx context.Context, req *pb.CancelInputsAddJobRequest) (*pb.SingleInputsAddJobResponse, error) {
	j, err := s.svc.CancelAddJob(ctx, access(ctx), req.GetId())
	if err != nil {
		return nil, err
	}
	return &pb.SingleInputsAddJobResponse{InputsAddJob: addJobToPB(j)}, nil
}
