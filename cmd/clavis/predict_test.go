package main_test

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"os"
	"strings"
	"testing"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"
)

var mainApp = &pb.UserAppIDSet{UserId: "clarifai", AppId: "main"}

func imageInput(b []byte) *pb.Input { return &pb.Input{Data: &pb.Data{Image: &pb.Image{Base64: b}}} }

// twoColors returns a PNG that is 3/4 red and 1/4 blue.
func twoColors(t *testing.T) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 40, 40))
	for y := 0; y < 40; y++ {
		for x := 0; x < 40; x++ {
			c := color.RGBA{255, 0, 0, 255}
			if x >= 30 {
				c = color.RGBA{0, 0, 255, 255}
			}
			img.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestPredictColor(t *testing.T) {
	s := startServer(t)
	bob := s.newUser(t, "bob") // any PAT may use clarifai/main
	resp, err := s.v2.PostModelOutputs(as(bob), &pb.PostModelOutputsRequest{UserAppId: mainApp, ModelId: "color-recognition", Inputs: []*pb.Input{imageInput(twoColors(t))}})
	wantCode(t, resp, err, st.StatusCode_SUCCESS)
	out := resp.GetOutputs()[0]
	if out.GetStatus().GetCode() != st.StatusCode_SUCCESS || out.GetModel().GetId() != "color-recognition" || out.GetInput().GetId() == "" {
		t.Fatalf("output %v", out)
	}
	cs := out.GetData().GetColors()
	if len(cs) != 2 {
		t.Fatalf("colors = %v, want red and blue", cs)
	}
	if cs[0].GetRawHex() != "#ff0000" || cs[0].GetW3C().GetName() != "Red" || cs[0].GetValue() < 0.74 || cs[0].GetValue() > 0.76 {
		t.Fatalf("first color %v, want #ff0000 Red 0.75", cs[0])
	}
	if cs[1].GetRawHex() != "#0000ff" || cs[1].GetW3C().GetName() != "Blue" {
		t.Fatalf("second color %v", cs[1])
	}

	photo, err := os.ReadFile("../../../shared/testdata/images/fruits.jpg")
	if err != nil {
		t.Fatal(err)
	}
	r2, err := s.v2.PostModelOutputs(as(bob), &pb.PostModelOutputsRequest{UserAppId: mainApp, ModelId: "color-recognition", Inputs: []*pb.Input{imageInput(photo)}})
	wantCode(t, r2, err, st.StatusCode_SUCCESS)
	var sum float32
	for _, c := range r2.GetOutputs()[0].GetData().GetColors() {
		if len(c.GetRawHex()) != 7 || c.GetW3C().GetName() == "" || c.GetValue() <= 0 {
			t.Fatalf("bad color %v", c)
		}
		sum += c.GetValue()
	}
	if sum < 0.9 || sum > 1.001 {
		t.Fatalf("densities sum to %v", sum)
	}
}

func TestPredictBadInput(t *testing.T) {
	s := startServer(t)
	call := func(req *pb.PostModelOutputsRequest) *pb.MultiOutputResponse {
		t.Helper()
		if req.UserAppId == nil {
			req.UserAppId = mainApp
		}
		if req.ModelId == "" {
			req.ModelId = "color-recognition"
		}
		resp, err := s.v2.PostModelOutputs(as(s.pat), req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	good := imageInput(twoColors(t))

	r := call(&pb.PostModelOutputsRequest{Inputs: []*pb.Input{imageInput([]byte("not an image at all"))}})
	if r.GetStatus().GetCode() != st.StatusCode_ALL_INPUT_INVALID_BYTES || r.GetOutputs()[0].GetStatus().GetCode() != st.StatusCode_ALL_INPUT_INVALID_BYTES {
		t.Fatalf("bad bytes: %v / %v", r.GetStatus(), r.GetOutputs()[0].GetStatus())
	}
	r = call(&pb.PostModelOutputsRequest{Inputs: []*pb.Input{good, {}}})
	if r.GetStatus().GetCode() != st.StatusCode_MIXED_STATUS || r.GetOutputs()[0].GetStatus().GetCode() != st.StatusCode_SUCCESS || r.GetOutputs()[1].GetStatus().GetCode() != st.StatusCode_INPUT_INVALID_ARGUMENT {
		t.Fatalf("mixed batch: %v", r)
	}
	truncated := twoColors(t)
	r = call(&pb.PostModelOutputsRequest{Inputs: []*pb.Input{imageInput(truncated[:len(truncated)/2])}})
	if r.GetOutputs()[0].GetStatus().GetCode() != st.StatusCode_ALL_INPUT_INVALID_BYTES {
		t.Fatalf("truncated: %v", r.GetOutputs()[0].GetStatus())
	}
	r = call(&pb.PostModelOutputsRequest{Inputs: []*pb.Input{{Data: &pb.Data{Image: &pb.Image{Url: "http://127.0.0.1/x.png"}}}}})
	if c := r.GetOutputs()[0].GetStatus().GetCode(); c != st.StatusCode_INPUT_INVALID_URL && c != st.StatusCode_INPUT_DOWNLOAD_FAILED {
		t.Fatalf("loopback URL: %v", r.GetOutputs()[0].GetStatus())
	}
	r = call(&pb.PostModelOutputsRequest{Inputs: []*pb.Input{{Data: &pb.Data{Text: &pb.Text{Raw: "hi"}}}}})
	if r.GetOutputs()[0].GetStatus().GetCode() != st.StatusCode_INPUT_INVALID_ARGUMENT {
		t.Fatalf("text input: %v", r.GetOutputs()[0].GetStatus())
	}
	r = call(&pb.PostModelOutputsRequest{})
	if r.GetStatus().GetCode() != st.StatusCode_INPUT_INVALID_ARGUMENT || r.Outputs == nil && len(r.GetOutputs()) != 0 {
		t.Fatalf("no inputs: %v", r.GetStatus())
	}
	many := make([]*pb.Input, 129)
	for i := range many {
		many[i] = good
	}
	r = call(&pb.PostModelOutputsRequest{Inputs: many})
	if r.GetStatus().GetCode() != st.StatusCode_CONN_INVALID_REQUEST || !strings.Contains(r.GetStatus().GetDetails(), "128") {
		t.Fatalf("129 inputs: %v", r.GetStatus())
	}
	r = call(&pb.PostModelOutputsRequest{ModelId: "nope", Inputs: []*pb.Input{good}})
	if r.GetStatus().GetCode() != st.StatusCode_MODEL_DOES_NOT_EXIST || r.GetStatus().GetDescription() != "Model does not exist" {
		t.Fatalf("unknown model: %v", r.GetStatus())
	}
	r = call(&pb.PostModelOutputsRequest{VersionId: "v0", Inputs: []*pb.Input{good}})
	if r.GetStatus().GetCode() != st.StatusCode_MODEL_DOES_NOT_EXIST || !strings.Contains(r.GetStatus().GetDetails(), "v0") {
		t.Fatalf("unknown version: %v", r.GetStatus())
	}
	huge := make([]byte, 21<<20)
	copy(huge, twoColors(t))
	r = call(&pb.PostModelOutputsRequest{Inputs: []*pb.Input{imageInput(huge)}})
	if r.GetOutputs()[0].GetStatus().GetCode() != st.StatusCode_INPUT_OVER_LIMIT {
		t.Fatalf("21 MB image: %v", r.GetOutputs()[0].GetStatus())
	}
}

func TestModels(t *testing.T) {
	s := startServer(t)
	list, err := s.v2.ListModels(as(s.pat), &pb.ListModelsRequest{UserAppId: mainApp})
	wantCode(t, list, err, st.StatusCode_SUCCESS)
	var found *pb.Model
	for _, m := range list.GetModels() {
		if m.GetId() == "color-recognition" {
			found = m
		}
	}
	if found == nil || found.GetModelTypeId() == "" || found.GetModelVersion().GetId() == "" || found.GetDescription() == "" || found.GetUserId() != "clarifai" {
		t.Fatalf("ListModels = %v", list.GetModels())
	}
	past, err := s.v2.ListModels(as(s.pat), &pb.ListModelsRequest{UserAppId: mainApp, Page: 1000, PerPage: 500})
	wantCode(t, past, err, st.StatusCode_SUCCESS)
	if len(past.GetModels()) != 0 {
		t.Fatal("a page past the end must be empty")
	}
	g, err := s.v2.GetModel(as(s.pat), &pb.GetModelRequest{UserAppId: mainApp, ModelId: "color-recognition"})
	wantCode(t, g, err, st.StatusCode_SUCCESS)
	v, err := s.v2.GetModelVersion(as(s.pat), &pb.GetModelVersionRequest{UserAppId: mainApp, ModelId: "color-recognition", VersionId: g.GetModel().GetModelVersion().GetId()})
	wantCode(t, v, err, st.StatusCode_SUCCESS)
	if v.GetModelVersion().GetStatus().GetCode() != st.StatusCode_MODEL_TRAINED {
		t.Fatalf("version status %v", v.GetModelVersion().GetStatus())
	}
	vs, err := s.v2.ListModelVersions(as(s.pat), &pb.ListModelVersionsRequest{UserAppId: mainApp, ModelId: "color-recognition"})
	wantCode(t, vs, err, st.StatusCode_SUCCESS)
	if len(vs.GetModelVersions()) != 1 {
		t.Fatalf("versions %v", vs.GetModelVersions())
	}
	missing, err := s.v2.GetModel(as(s.pat), &pb.GetModelRequest{UserAppId: mainApp, ModelId: "nope"})
	wantCode(t, missing, err, st.StatusCode_MODEL_DOES_NOT_EXIST)
}
