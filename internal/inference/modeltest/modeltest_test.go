package modeltest_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/clavis-dev/clavis/internal/inference/manifest"
	"github.com/clavis-dev/clavis/internal/inference/modeltest"
)

// recorder is a testing.TB that records how a test would have ended.
type recorder struct {
	testing.TB
	skipped, failed string
}

func (r *recorder) Helper() {}

func (r *recorder) Skip(args ...any) {
	r.skipped = fmt.Sprint(args...)
	r.TB.SkipNow() // ends the goroutine, as the real Skip does
}

func (r *recorder) Fatal(args ...any) {
	r.failed = fmt.Sprint(args...)
	r.TB.SkipNow()
}

// call runs Dir on a recorder in its own subtest, so that the recorder's
// Skip and Fatal end only that subtest.
func call(t *testing.T, models ...string) (r *recorder, dir string) {
	t.Run("call", func(t *testing.T) {
		r = &recorder{TB: t}
		dir = modeltest.Dir(r, models...)
	})
	return r, dir
}

func TestDir(t *testing.T) {
	complete := t.TempDir()
	modeltest.Touch(t, complete, manifest.Assets()...)
	runtimeOnly := t.TempDir()
	modeltest.Touch(t, runtimeOnly, manifest.ONNXRuntime)
	ocr, runtime := manifest.PaddleOCR.Name, manifest.ONNXRuntime.Name

	tests := []struct {
		name     string
		env      string
		require  string
		models   []string
		wantDir  bool
		wantSkip string // substring of the skip message, if skipped
		wantFail string // substring of the failure message, if failed
	}{
		{"Complete", complete, "", nil, true, "", ""},
		{"CompleteRequired", complete, "1", nil, true, "", ""},
		{"Unset", "", "", nil, false, "make setup", ""},
		{"UnsetRequired", "", "1", nil, false, "", "CLAVIS_MODELS_DIR is not set"},
		{"MissingModel", runtimeOnly, "", nil, false, ocr, ""},
		{"MissingModelRequired", runtimeOnly, "1", []string{ocr}, false, "", ocr},
		{"NamedModelPresent", runtimeOnly, "1", []string{runtime}, true, "", ""},
		{"UnknownName", complete, "1", []string{"no-such-asset"}, false, "", "no-such-asset (not in the manifest)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(modeltest.EnvModelsDir, tt.env)
			t.Setenv(modeltest.EnvRequire, tt.require)
			r, dir := call(t, tt.models...)
			if tt.wantDir && dir != tt.env {
				t.Errorf("Dir = %q, want %q", dir, tt.env)
			}
			if !tt.wantDir && dir != "" {
				t.Errorf("Dir = %q, want the test ended", dir)
			}
			if tt.wantSkip == "" && r.skipped != "" || tt.wantSkip != "" && !strings.Contains(r.skipped, tt.wantSkip) {
				t.Errorf("skip message %q, want one containing %q", r.skipped, tt.wantSkip)
			}
			if tt.wantFail == "" && r.failed != "" || tt.wantFail != "" && !strings.Contains(r.failed, tt.wantFail) {
				t.Errorf("failure message %q, want one containing %q", r.failed, tt.wantFail)
			}
		})
	}
}

func TestImage(t *testing.T) {
	img := modeltest.Image(t, "scenetext01.jpg")
	if b := img.Bounds(); b.Dx() != 800 || b.Dy() != 600 {
		t.Errorf("scenetext01.jpg is %v, want 800×600", b)
	}
}
