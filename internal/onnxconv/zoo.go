package onnxconv

import (
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/clavis-dev/clavis/internal/inference/manifest"
)

// nsfwjsExtract is the Node script that turns nsfwjs's JavaScript-module
// model bundles into a plain graph model directory.
//
//go:embed nsfwjs-extract.mjs
var nsfwjsExtract []byte

// Build converts the TF.js model of c from its source files in modelsDir
// and returns the ONNX model's bytes, without checking them against
// c.SHA256 (the installer does, before writing them to c.Dest). A JSBundle
// model is first extracted into a temporary directory of modelsDir with the
// `node` found on PATH.
func Build(ctx context.Context, modelsDir string, c manifest.Conversion) ([]byte, error) {
	src := manifest.Path(modelsDir, c.Source)
	if c.JSBundle {
		tmp, err := os.MkdirTemp(modelsDir, ".extract-*")
		if err != nil {
			return nil, fmt.Errorf("onnxconv: %s: %w", c.Source, err)
		}
		defer os.RemoveAll(tmp)
		if src, err = extractJSBundle(ctx, src, tmp); err != nil {
			return nil, fmt.Errorf("onnxconv: %s: %w", c.Source, err)
		}
	}
	var buf bytes.Buffer
	if err := Convert(src, &buf); err != nil {
		return nil, fmt.Errorf("onnxconv: %s: %w", c.Source, err)
	}
	return buf.Bytes(), nil
}

// extractJSBundle runs the embedded extraction script on bundleDir, writing
// model.json and its shards into outDir, and returns model.json's path.
func extractJSBundle(ctx context.Context, bundleDir, outDir string) (string, error) {
	script := filepath.Join(outDir, "nsfwjs-extract.mjs")
	if err := os.WriteFile(script, nsfwjsExtract, 0o644); err != nil {
		return "", err
	}
	modelDir := filepath.Join(outDir, "model")
	cmd := exec.CommandContext(ctx, "node", script, bundleDir, modelDir)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("extracting %s with node: %w: %s", bundleDir, err, bytes.TrimSpace(out))
	}
	return filepath.Join(modelDir, "model.json"), nil
}
