package main_test

import (
	"os"
	"testing"

	"github.com/clavis-dev/clavis/internal/inference/modeltest"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"

	cmd "github.com/clavis-dev/clavis/cmd/clavis"
)

// TestClarifaiDocumentedIDs runs the request of Clarifai's documented PAT
// prediction example with its model and version ids unchanged: they name
// general-image-recognition.
func TestClarifaiDocumentedIDs(t *testing.T) {
	dir := modeltest.Init(t)
	s := startServer(t, func(c *cmd.Config) { c.ModelsDir = dir })
	img, err := os.ReadFile("../../../shared/testdata/images/messi5.jpg")
	if err != nil {
		t.Fatal(err)
	}
	for _, ids := range [][2]string{
		{"general-image-recognition", "aa7f35c01e0642fda5cf400f543e7c40"},
		{"aaa03c23b3724a16a56b629203edc62c", ""},
	} {
		r, err := s.v2.PostModelOutputs(as(s.pat), &pb.PostModelOutputsRequest{
			UserAppId: mainApp, ModelId: ids[0], VersionId: ids[1], Inputs: []*pb.Input{imageInput(img)},
		})
		wantCode(t, r, err, st.StatusCode_SUCCESS)
		out := r.GetOutputs()[0]
		if out.GetModel().GetId() != "general-image-recognition" || out.GetData().GetConcepts()[0].GetName() != "person" {
			t.Fatalf("%v: model %q, top concept %q", ids, out.GetModel().GetId(), out.GetData().GetConcepts()[0].GetName())
		}
	}
	list, err := s.v2.ListModels(as(s.pat), &pb.ListModelsRequest{UserAppId: mainApp})
	wantCode(t, list, err, st.StatusCode_SUCCESS)
	for _, m := range list.GetModels() {
		if m.GetId() == "aaa03c23b3724a16a56b629203edc62c" {
			t.Fatal("aliases are not listed as models")
		}
	}
}
