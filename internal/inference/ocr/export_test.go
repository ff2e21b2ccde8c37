package ocr

import (
	"context"
	"image"

	"github.com/clavis-dev/clavis/internal/inference/onnx"
)

// RecBatch is the number of crops Predict recognizes per session run.
const RecBatch = recBatch

// Sessions returns the model's detection and recognition sessions, for
// benchmarks that run them bare.
func (m *Model) Sessions() (det, rec *onnx.Session) { return m.det, m.rec }

// Tensors returns the input Predict gives the detection session for img
// and, for the boxes it finds, the recognition inputs in batches of batch
// crops (Predict uses RecBatch).
func (m *Model) Tensors(img image.Image, batch int) (det onnx.Tensor, rec []onnx.Tensor, err error) {
	src := toRGBA(img)
	boxes, err := m.detect(context.Background(), src)
	if err != nil {
		return onnx.Tensor{}, nil, err
	}
	crops := make([]crop, len(boxes))
	for i, q := range boxes {
		crops[i] = newCrop(q)
	}
	rec, _ = recInputs(src, crops, batch)
	return detInput(src), rec, nil
}
