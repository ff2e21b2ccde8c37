package ocr

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"image"
	"image/draw"
	"math"
	"os"
	"strings"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/inference/manifest"
	"github.com/clavis-dev/clavis/internal/inference/onnx"
)

// Model is the ocr-scene-english-paddleocr model. It is safe for concurrent
// use; Close must not run concurrently with Predict.
type Model struct {
	det, rec *onnx.Session
	chars    []string // recognition classes: blank, the keys, then space
}

// New loads the model from the files of manifest.PaddleOCR in modelsDir.
// ONNX Runtime must be initialized (onnx.Init). A missing file is an error
// naming it and the setup command that installs it.
func New(modelsDir string) (*Model, error) {
	if missing := manifest.PaddleOCR.Missing(modelsDir); len(missing) > 0 {
		return nil, fmt.Errorf("ocr: model %s missing (%s): %s", manifest.OCR.ID, strings.Join(missing, ", "), manifest.InstallHint(modelsDir))
	}
	keys, err := os.ReadFile(manifest.Path(modelsDir, manifest.OCRKeys.Dest))
	if err != nil {
		return nil, fmt.Errorf("ocr: %w", err)
	}
	chars := []string{""} // the CTC blank
	for _, k := range strings.Split(strings.TrimSuffix(string(keys), "\n"), "\n") {
		chars = append(chars, strings.TrimSuffix(k, "\r"))
	}
	chars = append(chars, " ")

	m := &Model{chars: chars}
	if m.det, err = onnx.NewSession(manifest.Path(modelsDir, manifest.OCRDetector.Dest), onnx.Options{}); err != nil {
		return nil, err
	}
	if m.rec, err = onnx.NewSession(manifest.Path(modelsDir, manifest.OCRRecognizer.Dest), onnx.Options{}); err != nil {
		m.det.Close()
		return nil, err
	}
	if out := m.rec.Outputs(); len(out) != 1 || len(out[0].Shape) != 3 || out[0].Shape[2] != int64(len(chars)) {
		m.Close()
		return nil, fmt.Errorf("ocr: recognition model outputs %+v do not match the %d classes of %s", out, len(chars), manifest.OCRKeys.Dest)
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

// CopyBytesPerPixel returns the bytes per pixel of the RGBA copy Predict
// makes of an image (see toRGBA), for the engine's decode budget.
func (m *Model) CopyBytesPerPixel() int { return 4 }

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
