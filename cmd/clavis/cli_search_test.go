package main_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/types/known/structpb"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"

	cmd "github.com/clavis-dev/clavis/cmd/clavis"
	"github.com/clavis-dev/clavis/internal/inference/manifest"
	"github.com/clavis-dev/clavis/internal/inference/modeltest"
)

// TestCLISearch searches the shared images with clavis inputs search: by
// concept, by metadata, like a file, and like a stored input with --json.
func TestCLISearch(t *testing.T) {
	models := modeltest.Init(t, manifest.NanoDet.Name, manifest.MobileNetFeatures.Name)
	s := startServer(t, func(c *cmd.Config) { c.ModelsDir = models })
	s.newApp(t, s.pat, "photos", false)
	app := appIDs("admin", "photos")
	addSharedImages(t, s, app)
	meta, _ := structpb.NewStruct(map[string]any{"customer": "acme"})
	p, err := s.v2.PatchInputs(as(s.pat), &pb.PatchInputsRequest{UserAppId: app, Action: "merge",
		Inputs: []*pb.Input{{Id: "fruits", Data: &pb.Data{Metadata: meta}}}})
	wantCode(t, p, err, st.StatusCode_SUCCESS)
	c := newCLI(t, s)

	first := func(out string) string {
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if len(lines) < 2 {
			t.Fatalf("no hits in %q", out)
		}
		return strings.Fields(lines[1])[1]
	}
	code, out, errOut := c.run("inputs", "search", "--app", "photos", "--concept", "cat")
	if code != 0 || first(out) != "chelsea" || !strings.HasPrefix(out, "SCORE") {
		t.Fatalf("--concept cat: %d %q %q", code, out, errOut)
	}
	code, out, _ = c.run("inputs", "search", "--app", "photos", "--metadata", `{"customer": "acme"}`)
	if code != 0 || first(out) != "fruits" || strings.Count(strings.TrimSpace(out), "\n") != 1 {
		t.Fatalf("--metadata: %d %q", code, out)
	}
	copyPath := filepath.Join(t.TempDir(), "copy.jpg")
	if err := os.WriteFile(copyPath, croppedCopy(t, modeltest.Image(t, "messi5.jpg")), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, _ = c.run("inputs", "search", "--app", "photos", "--like", copyPath, "--per-page", "3")
	if code != 0 || first(out) != "messi" || strings.Count(strings.TrimSpace(out), "\n") != 3 {
		t.Fatalf("--like FILE: %d %q", code, out)
	}
	code, out, _ = c.run("inputs", "search", "--app", "photos", "--like", "astronaut", "--json")
	var resp struct {
		Hits []struct {
			Score float64
			Input struct{ ID string }
		}
	}
	if err := json.Unmarshal([]byte(out), &resp); code != 0 || err != nil || len(resp.Hits) == 0 || resp.Hits[0].Input.ID != "astronaut" {
		t.Fatalf("--like ID --json: %d %v %q", code, err, out)
	}
	code, _, errOut = c.run("inputs", "search", "--app", "photos")
	if code != 2 || !strings.Contains(errOut, "--concept, --metadata or --like") {
		t.Fatalf("without a criterion: %d %q", code, errOut)
	}
	code, _, errOut = c.run("inputs", "search", "--app", "photos", "--like", "nope")
	if code == 0 || !strings.Contains(errOut, "nope") {
		t.Fatalf("--like an unknown input: %d %q", code, errOut)
	}
}
