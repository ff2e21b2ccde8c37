package vision

import (
	"fmt"
	"strings"

	"github.com/clavis-dev/clavis/internal/inference/manifest"
	"github.com/clavis-dev/clavis/internal/inference/onnx"
)

// openConverted opens the converted model of asset a in modelsDir. ONNX
// Runtime must be initialized (onnx.Init).
func openConverted(modelsDir string, a *manifest.Asset) (*onnx.Session, error) {
	if missing := a.Missing(modelsDir); len(missing) > 0 {
		return nil, fmt.Errorf("vision: model %s missing (%s): %s", a.Name, strings.Join(missing, ", "), manifest.InstallHint(modelsDir))
	}
	return onnx.NewSession(manifest.Path(modelsDir, a.Convert.Dest), onnx.Options{})
}

// findOutput returns the index of the output with the given shape.
func findOutput(outs []onnx.Info, shape ...int64) (int, error) {
	for i, o := range outs {
		if fmt.Sprint(o.Shape) == fmt.Sprint(shape) {
			return i, nil
		}
	}
	return 0, fmt.Errorf("vision: model has no output of shape %v", shape)
}
