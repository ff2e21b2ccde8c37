package modeltest

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/clavis-dev/clavis/internal/inference/manifest"
	"github.com/clavis-dev/clavis/internal/inference/onnx"
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
// the named assets of the manifest (e.g. manifest.PaddleOCR.Name) are
// installed in it; with no names, every asset of manifest.Assets must be.
// When the variable is unset or an asset is missing, Dir skips the test
// with instructions, or fails it if CLAVIS_REQUIRE_MODELS=1.
func Dir(t testing.TB, assets ...string) string {
	t.Helper()
	dir := os.Getenv(EnvModelsDir)
	if dir == "" {
		unavailable(t, EnvModelsDir+" is not set; run `make setup` (or `clavis setup --models-dir DIR`) and export "+EnvModelsDir+"=DIR")
		return ""
	}
	var missing []string
	for _, a := range manifest.Assets() {
		if (len(assets) == 0 || slices.Contains(assets, a.Name)) && len(a.Missing(dir)) > 0 {
			missing = append(missing, a.Name)
		}
	}
	for _, name := range assets {
		if !slices.ContainsFunc(manifest.Assets(), func(a *manifest.Asset) bool { return a.Name == name }) {
			missing = append(missing, name+" (not in the manifest)")
		}
	}
	if len(missing) > 0 {
		unavailable(t, "models missing from "+dir+": "+strings.Join(missing, ", ")+"; run `make setup` or "+manifest.InstallHint(dir))
		return ""
	}
	return dir
}

// Init is Dir followed by onnx.Init with the runtime library of the models
// dir, which is then required in addition to the named assets. It fails
// the test if the runtime cannot be loaded.
func Init(t testing.TB, assets ...string) string {
	t.Helper()
	dir := Dir(t, append([]string{manifest.ONNXRuntime.Name}, assets...)...)
	if err := onnx.Init(manifest.ONNXRuntimeLibrary(dir)); err != nil {
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

// Touch writes an empty file at every path of assets in dir, so that they
// look installed to code that only checks that files exist.
func Touch(t testing.TB, dir string, assets ...*manifest.Asset) {
	t.Helper()
	for _, a := range assets {
		for _, p := range a.Paths() {
			path := manifest.Path(dir, p)
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}
