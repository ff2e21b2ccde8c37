package main_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/clavis-dev/clavis/internal/benchkit"
	"github.com/clavis-dev/clavis/internal/inference/modeltest"
)

// TestBenchTable runs `clavis bench` with tiny counts and checks the
// table's shape: every group's rows present, every ratio positive. It
// asserts nothing about speed.
func TestBenchTable(t *testing.T) {
	images := "../../../shared/testdata/images"
	if d := os.Getenv(modeltest.EnvImagesDir); d != "" {
		images = d
	}
	args := []string{"bench", "--json", "--rounds", "2", "--round", "20ms", "--callers", "1,4", "--cached", "1000", "--deletes", "2",
		"--predictions", "1", "--calls", "2", "--images", images}
	want := []string{
		"gRPC PAT MyScopesUser, callers=1", "gRPC PAT MyScopesUser, callers=4", "gRPC app key MyScopes, callers=4",
		"REST GET /v2/users/me/apps vs gRPC, callers=8", "REST GET /v2/users/me/apps vs /healthz, callers=1",
		"verify PAT, cache hit", "verify unknown token, cache miss", "DeleteKey, ", "others' MyScopesUser during DeleteKeys",
		"start-up to listener open", "start-up to first served request", "start-up to ready",
	}
	// The model rows run when the models are installed (make setup).
	if dir := os.Getenv("CLAVIS_MODELS_DIR"); dir == "" || testing.Short() {
		args = append(args, "--models-dir", "")
	} else {
		args = append(args, "--models-dir", modeltest.Dir(t))
		want = append(want, "PostModelOutputs general-image-recognition, callers=1", "engine in process general-image-recognition",
			"bare session + image decode general-image-recognition", "PostModelOutputs general-image-recognition, callers=2",
			"PostModelOutputs general-image-recognition, callers=8", "PostModelOutputs ocr-scene-english-paddleocr, callers=1",
			"RSS after 1 predictions", "RSS after 10 predictions")
	}
	code, out, errOut := runClean(t, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var tab benchkit.Table
	if err := json.Unmarshal([]byte(out), &tab); err != nil {
		t.Fatalf("not one JSON document: %v\n%s", err, out)
	}
	if tab.Rounds != 2 || tab.Machine == "" {
		t.Errorf("rounds %d, machine %q", tab.Rounds, tab.Machine)
	}
	for _, w := range want {
		found := false
		for _, r := range tab.Rows {
			found = found || strings.HasPrefix(r.Name, w)
		}
		if !found {
			t.Errorf("no row %q", w)
		}
	}
	for _, r := range tab.Rows {
		if !(r.Ratio.Min > 0 && r.Ratio.Min <= r.Ratio.Median && r.Ratio.Median <= r.Ratio.Max) || r.Candidate.Median <= 0 || r.Base.Median <= 0 {
			t.Errorf("row %q: ratio %+v, candidate %+v, baseline %+v", r.Name, r.Ratio, r.Candidate, r.Base)
		}
		if r.Unit == "" || r.Baseline == "" {
			t.Errorf("row %q has no unit or baseline", r.Name)
		}
	}
}
