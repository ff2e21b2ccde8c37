package ocr

import (
	"context"
	"image"

	"github.com/clavis-dev/clavis/internal/inference/onnx"
)

// Sessions returns the model's detection and recognition sessions, for
// benchmarks that run them bare.
func (m *Model) Sessions() (det, rec *onnx.Session) { return m.det, m.rec }

// Tensors returns the inputs Predict gives the detection session and, for the
// boxes it finds, the recognition session, for img.
func (m *Model) Tensors(img image.Image) (det onnx.Tensor, rec []onnx.Tensor, err error) {
	src := toRGBA(img)
	boxes, err := m.detect(context.Background(), src)
	if err != nil {
		return onnx.Tensor{}, nil, err
	}
	crops := make([]crop, len(boxes))
	for i, q := range boxes {
		crops[i] = newCrop(q)
	}
	rec, _ = recInputs(src, crops)
	return detInput(src), rec, nil
}
