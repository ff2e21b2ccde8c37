package onnxconv

import (
	"bytes"
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// nsfwjsExtract is the Node script that turns nsfwjs's JavaScript-module
// model bundles into a plain graph model directory.
//
//go:embed nsfwjs-extract.mjs
var nsfwjsExtract []byte

// ModelFile is the name of a converted model inside its directory.
const ModelFile = "model.onnx"

// ZooModel is one TF.js graph model that `clavis setup` converts.
type ZooModel struct {
	// ID names the model's directory under the models dir, which holds
	// ModelFile once converted.
	ID string
	// Source is the slash-separated path, under the models dir, of the
	// model.json (with its shards beside it); for a JSBundle model, of the
	// directory holding model.min.js and its shard bundles.
	Source string
	// JSBundle marks a model shipped as JavaScript modules, extracted with
	// the embedded Node script before conversion.
	JSBundle bool
	// SHA256 is the pinned digest of the converted ModelFile.
	SHA256 string
}

// The converted models. Their digests change only when the converter's
// output changes (see ProducerVersion).
var (
	NanoDet = ZooModel{
		ID:     "nanodet",
		Source: "tfjs/human-models/nanodet.json",
		SHA256: "ea5ea96731365e8ba2a1f2066c8cade7e35efcd5658c1b017ebfc580cafc0719",
	}
	BlazeFace = ZooModel{
		ID:     "blazeface",
		Source: "tfjs/human-models/blazeface.json",
		SHA256: "a7743f5676f24a00fbf2db709353a081ad71d50a51058ec79b8051c536fe195e",
	}
	NSFW = ZooModel{
		ID:       "nsfw-mobilenet-v2-mid",
		Source:   "tfjs/nsfwjs/mobilenet_v2_mid",
		JSBundle: true,
		SHA256:   "45ca5af133b227caee4e20b59b95785cf7a3da98bd0ba37d189249d2f3417a5f",
	}
)

// Zoo lists every converted model.
var Zoo = []ZooModel{NanoDet, BlazeFace, NSFW}

// Dest returns the slash-separated path of the converted model under the
// models dir.
func (z ZooModel) Dest() string { return z.ID + "/" + ModelFile }

// Path returns the converted model's path in modelsDir.
func (z ZooModel) Path(modelsDir string) string {
	return filepath.Join(modelsDir, filepath.FromSlash(z.Dest()))
}

// ConvertZoo converts z from its source files in modelsDir to z.Path. It
// does nothing when z.Path already holds a file with digest z.SHA256.
// Otherwise it converts the model and writes it to a temporary file renamed
// into place only when its SHA-256 equals z.SHA256; if it does not, it
// returns an error naming both digests and leaves no file behind.
func ConvertZoo(ctx context.Context, modelsDir string, z ZooModel) error {
	if old, err := os.ReadFile(z.Path(modelsDir)); err == nil && digest(old) == z.SHA256 {
		return nil
	}
	b, err := z.Convert(ctx, modelsDir)
	if err != nil {
		return err
	}
	if got := digest(b); got != z.SHA256 {
		return fmt.Errorf("onnxconv: %s: converted model has SHA-256 %s, pinned %s", z.ID, got, z.SHA256)
	}
	dest := z.Path(modelsDir)
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		return fmt.Errorf("onnxconv: %s: %w", z.ID, err)
	}
	f, err := os.CreateTemp(filepath.Dir(dest), ".model-*.onnx")
	if err != nil {
		return fmt.Errorf("onnxconv: %s: %w", z.ID, err)
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Chmod(0o644)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), dest)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("onnxconv: %s: %w", z.ID, err)
	}
	return nil
}

// Convert converts z from its source files in modelsDir and returns the
// ONNX model's bytes, without checking them against z.SHA256. A JSBundle
// model is first extracted into a temporary directory of modelsDir with the
// `node` found on PATH.
func (z ZooModel) Convert(ctx context.Context, modelsDir string) ([]byte, error) {
	src := filepath.Join(modelsDir, filepath.FromSlash(z.Source))
	if z.JSBundle {
		tmp, err := os.MkdirTemp(modelsDir, ".extract-*")
		if err != nil {
			return nil, fmt.Errorf("onnxconv: %s: %w", z.ID, err)
		}
		defer os.RemoveAll(tmp)
		if src, err = extractJSBundle(ctx, src, tmp); err != nil {
			return nil, fmt.Errorf("onnxconv: %s: %w", z.ID, err)
		}
	}
	var buf bytes.Buffer
	if err := Convert(src, &buf); err != nil {
		return nil, fmt.Errorf("onnxconv: %s: %w", z.ID, err)
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

func digest(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
