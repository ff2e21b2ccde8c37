package main_test

import (
	"bytes"
	"image"
	"image/jpeg"
	"math"
	"os"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/image/draw"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"

	cmd "github.com/clavis-dev/clavis/cmd/clavis"
	"github.com/clavis-dev/clavis/internal/inference/manifest"
	"github.com/clavis-dev/clavis/internal/inference/modeltest"
)

// croppedCopy returns a JPEG of the centre 80% of img, halved.
func croppedCopy(t *testing.T, img image.Image) []byte {
	b := img.Bounds()
	crop := image.Rect(b.Dx()/10, b.Dy()/10, b.Dx()*9/10, b.Dy()*9/10)
	small := image.NewRGBA(image.Rect(0, 0, crop.Dx()/2, crop.Dy()/2))
	draw.BiLinear.Scale(small, small.Bounds(), img, crop, draw.Src, nil)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, small, &jpeg.Options{Quality: 70}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestPredictEmbedding asks general-image-embedding for the embeddings of
// two photos and of a cropped, halved copy of the first, over gRPC and
// REST: unit vectors of 1792 values, the copy nearer its original than the
// other photo is.
func TestPredictEmbedding(t *testing.T) {
	dir := modeltest.Init(t, manifest.MobileNetFeatures.Name)
	s := startServer(t, func(c *cmd.Config) { c.ModelsDir = dir })
	astronaut, err := os.ReadFile("../../testdata/images/astronaut.jpg")
	if err != nil {
		t.Fatal(err)
	}
	cat, err := os.ReadFile("../../../shared/testdata/images/chelsea.png")
	if err != nil {
		t.Fatal(err)
	}
	id := manifest.GeneralImageEmbedding.ID
	r, err := s.v2.PostModelOutputs(as(s.pat), &pb.PostModelOutputsRequest{UserAppId: mainApp, ModelId: id, Inputs: []*pb.Input{
		imageInput(astronaut), imageInput(croppedCopy(t, modeltest.Image(t, "astronaut.png"))), imageInput(cat),
	}})
	wantCode(t, r, err, st.StatusCode_SUCCESS)
	var vecs [][]float32
	for i, out := range r.GetOutputs() {
		es := out.GetData().GetEmbeddings()
		if len(es) != 1 || es[0].GetNumDimensions() != 1792 || len(es[0].GetVector()) != 1792 {
			t.Fatalf("output %d: %d embeddings, want one of 1792 values", i, len(es))
		}
		if out.GetModel().GetModelVersion().GetId() != manifest.GeneralImageEmbedding.Version.ID {
			t.Errorf("output %d: made by version %q, want %q", i, out.GetModel().GetModelVersion().GetId(), manifest.GeneralImageEmbedding.Version.ID)
		}
		vecs = append(vecs, es[0].GetVector())
	}
	dot := func(a, b []float32) (s float64) {
		for i := range a {
			s += float64(a[i]) * float64(b[i])
		}
		return s
	}
	if n := dot(vecs[0], vecs[0]); math.Abs(n-1) > 1e-5 {
		t.Errorf("|v|² = %v, want 1", n)
	}
	if copySim, catSim := dot(vecs[0], vecs[1]), dot(vecs[0], vecs[2]); copySim <= catSim {
		t.Errorf("cos(astronaut, its copy) = %.3f, not above cos(astronaut, cat) = %.3f", copySim, catSim)
	}

	m, err := s.v2.GetModel(as(s.pat), &pb.GetModelRequest{UserAppId: mainApp, ModelId: id})
	wantCode(t, m, err, st.StatusCode_SUCCESS)
	if m.GetModel().GetModelTypeId() != "visual-embedder" {
		t.Errorf("model type %q, want visual-embedder", m.GetModel().GetModelTypeId())
	}

	body := map[string]any{"inputs": []any{map[string]any{"data": map[string]any{"image": map[string]any{"base64": astronaut}}}}}
	out := rest(t, s, "POST", "/v2/users/clarifai/apps/main/models/"+id+"/outputs", s.pat, body).want(t, 200, 10000)
	e := out.body["outputs"].([]any)[0].(map[string]any)["data"].(map[string]any)["embeddings"].([]any)[0].(map[string]any)
	if v, _ := e["vector"].([]any); len(v) != 1792 || e["num_dimensions"] != float64(1792) {
		t.Fatalf("REST embedding has %d values, num_dimensions %v; want 1792", len(v), e["num_dimensions"])
	}
	if got := e["vector"].([]any)[0].(float64); math.Abs(got-float64(vecs[0][0])) > 1e-6 {
		t.Errorf("REST vector[0] = %v, gRPC %v", got, vecs[0][0])
	}
}

// TestCLIPredictEmbedding checks that predict shows an embedding's length
// and first values, and --json the whole vector.
func TestCLIPredictEmbedding(t *testing.T) {
	dir := modeltest.Init(t, manifest.MobileNetFeatures.Name)
	s := startServer(t, func(c *cmd.Config) { c.ModelsDir = dir })
	c := newCLI(t, s)
	const photo = "../../testdata/images/astronaut.jpg"
	code, out, errOut := c.run("predict", "--model", manifest.GeneralImageEmbedding.ID, photo)
	if code != 0 || !regexp.MustCompile(`^EMBEDDING\s+DIMENSIONS\s+FIRST VALUES\n1\s+1792\s+(-?\d\.\d{4} ){4}…\n$`).MatchString(out) {
		t.Errorf("predict: exit %d, stderr %q\n%s", code, errOut, out)
	}
	code, out, _ = c.run("predict", "--json", "--model", manifest.GeneralImageEmbedding.ID, photo)
	if code != 0 || strings.Count(out, `"num_dimensions"`) != 1 || !strings.Contains(out, `"vector"`) {
		t.Errorf("predict --json: exit %d\n%.300s", code, out)
	}
}
