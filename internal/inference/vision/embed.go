package vision

import (
	"context"
	"fmt"
	"image"
	"math"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/inference/manifest"
	"github.com/clavis-dev/clavis/internal/inference/onnx"
)

// embedLayouts are the input layouts an Embedder can prepare, by the name a
// model version's Preprocess gives them.
var embedLayouts = map[string]layout{
	"resize-224-rgb-unit":       nsfwLayout,
	"letterbox-416-bgr-meanstd": nanodetLayout,
}

// Embedder computes image embeddings with a model converted to output
// intermediate features (manifest.Conversion.Outputs). It is safe for
// concurrent use; Close must not run concurrently with Embed or Predict.
type Embedder struct {
	s   *onnx.Session
	l   layout
	dim int
}

// NewEmbedder returns the embedder that runs s on images laid out as the
// preprocessing named preprocess says ("resize-224-rgb-unit" or
// "letterbox-416-bgr-meanstd"). The model must have one output: a feature
// vector [1, D], or a feature map ([1, D, H, W] for a channels-first input
// layout, [1, H, W, D] otherwise) that Embed averages over its H × W cells.
// The embedder owns s from then on, also when NewEmbedder fails.
func NewEmbedder(s *onnx.Session, preprocess string) (*Embedder, error) {
	l, ok := embedLayouts[preprocess]
	if !ok {
		s.Close()
		return nil, fmt.Errorf("vision: no embedding preprocessing named %q", preprocess)
	}
	if out := s.Outputs(); len(out) != 1 {
		s.Close()
		return nil, fmt.Errorf("vision: embedding model has %d outputs, want 1", len(out))
	}
	e := &Embedder{s: s, l: l}
	v, err := e.Embed(context.Background(), image.NewRGBA(image.Rect(0, 0, 1, 1)))
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("vision: probing the embedding model: %w", err)
	}
	e.dim = len(v)
	return e, nil
}

// Dim returns the length of the embedder's vectors.
func (e *Embedder) Dim() int { return e.dim }

// Close releases the model's session.
func (e *Embedder) Close() error { return e.s.Close() }

// Embed returns img's embedding: the model's features, averaged over the
// cells of a feature map, scaled to unit length (a vector of zeros stays
// zeros), so that the Euclidean distance between two embeddings is
// sqrt(2 - 2·cos) of their angle.
func (e *Embedder) Embed(ctx context.Context, img image.Image) ([]float32, error) {
	if b := img.Bounds(); b.Dx() < 1 || b.Dy() < 1 {
		return nil, fmt.Errorf("vision: empty image")
	}
	outs, err := run(ctx, e.s, e.l, img)
	if err != nil {
		return nil, err
	}
	v, err := pool(outs[0], e.l.nchw)
	if err != nil {
		return nil, err
	}
	if e.dim != 0 && len(v) != e.dim {
		return nil, fmt.Errorf("vision: embedding of %d values, want %d", len(v), e.dim)
	}
	return unit(v), nil
}

// Predict returns img's embedding as the prediction's one embedding.
func (e *Embedder) Predict(ctx context.Context, img image.Image) (*clavis.Prediction, error) {
	v, err := e.Embed(ctx, img)
	if err != nil {
		return nil, err
	}
	return &clavis.Prediction{Embeddings: []clavis.Embedding{{Vector: v}}}, nil
}

// pool returns the features of one image's output t: t itself for
// [1, D], the mean over the cells of a feature map otherwise.
func pool(t onnx.Tensor, channelsFirst bool) ([]float32, error) {
	switch {
	case len(t.Shape) == 2 && t.Shape[0] == 1:
		return t.Data, nil
	case len(t.Shape) == 4 && t.Shape[0] == 1:
		d, cells := int(t.Shape[3]), int(t.Shape[1]*t.Shape[2])
		if channelsFirst {
			d, cells = int(t.Shape[1]), int(t.Shape[2]*t.Shape[3])
		}
		sums := make([]float64, d)
		for i, x := range t.Data {
			c := i % d
			if channelsFirst {
				c = i / cells
			}
			sums[c] += float64(x)
		}
		v := make([]float32, d)
		for c, s := range sums {
			v[c] = float32(s / float64(cells))
		}
		return v, nil
	}
	return nil, fmt.Errorf("vision: embedding model output of shape %v, want [1, D] or a feature map of one image", t.Shape)
}

// unit scales v to unit length, in place, and returns it.
func unit(v []float32) []float32 {
	var ss float64
	for _, x := range v {
		ss += float64(x) * float64(x)
	}
	if ss == 0 {
		return v
	}
	inv := 1 / math.Sqrt(ss)
	for i, x := range v {
		v[i] = float32(float64(x) * inv)
	}
	return v
}

// NewImageEmbedder loads general-image-embedding's converted model from
// modelsDir.
func NewImageEmbedder(modelsDir string) (*Embedder, error) {
	m := manifest.GeneralImageEmbedding
	s, err := openConverted(modelsDir, m.Asset)
	if err != nil {
		return nil, err
	}
	return NewEmbedder(s, m.Version.Preprocess)
}

// Bare implements inference.Bare.
func (e *Embedder) Bare(img image.Image) func(ctx context.Context) error {
	return bare(e.s, e.l, img)
}
