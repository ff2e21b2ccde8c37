package modeltest

import (
	"os"
	"strings"
	"testing"

	"github.com/clavis-dev/clavis/internal/inference/onnx"
	"github.com/clavis-dev/clavis/internal/setup"
)

// Environment variables Dir reads.
const (
	// EnvModelsDir names the models dir that `clavis setup` filled.
	EnvModelsDir = "CLAVIS_MODELS_DIR"
	// EnvRequire, when "1", turns a missing models dir or model into a test
	// failure instead of a skip (CI sets it after running setup).
	EnvRequire = "CLAVIS_REQUIRE_MODELS"
)

// Dir returns the models dir named by CLAVIS_MODELS_DIR, after checking that
// the named models (as setup.Check reports them, e.g. setup.ModelOCR) are
// present in it; with no names, every model of setup.Default must be. When
// the variable is unset or a model is missing, Dir skips the test with
// instructions, or fails it if CLAVIS_REQUIRE_MODELS=1.
func Dir(t testing.TB, models ...string) string {
	t.Helper()
	dir := os.Getenv(EnvModelsDir)
	if dir == "" {
		unavailable(t, EnvModelsDir+" is not set; run `make setup` (or `clavis setup --models-dir DIR`) and export "+EnvModelsDir+"=DIR")
		return ""
	}
	present, missing := setup.Check(dir)
	if len(models) > 0 {
		have := map[string]bool{}
		for _, m := range present {
			have[m] = true
		}
		missing = nil
		for _, m := range models {
			if !have[m] {
				missing = append(missing, m)
			}
		}
	}
	if len(missing) > 0 {
		unavailable(t, "models missing from "+dir+": "+strings.Join(missing, ", ")+"; run `make setup` or "+setup.Hint(dir))
		return ""
	}
	return dir
}

// Init is Dir followed by onnx.Init with the runtime library of the models
// dir, which is then required in addition to models. It fails the test if
// the runtime cannot be loaded.
func Init(t testing.TB, models ...string) string {
	t.Helper()
	dir := Dir(t, append([]string{setup.ModelRuntime}, models...)...)
	if err := onnx.Init(setup.RuntimeLib(dir)); err != nil {
		t.Fatal(err)
	}
	return dir
}

func unavailable(t testing.TB, msg string) {
	t.Helper()
	if os.Getenv(EnvRequire) == "1" {
		t.Fatal(msg + " (" + EnvRequire + "=1)")
	}
	t.Skip(msg)
}
