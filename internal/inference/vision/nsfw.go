package vision

import (
	"context"
	"fmt"
	"image"
	"sort"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/inference/manifest"
	"github.com/clavis-dev/clavis/internal/inference/onnx"
)

var nsfwLayout = layout{size: 224, align: true, scale: uniform(1.0 / 255)}

// NSFW is the nsfw-recognition runner (nsfwjs MobileNetV2, mid). It is safe
// for concurrent use; Close must not run concurrently with Predict.
type NSFW struct {
	s *onnx.Session
}

// NewNSFW loads the converted nsfwjs model from modelsDir.
func NewNSFW(modelsDir string) (*NSFW, error) {
	s, err := openConverted(modelsDir, manifest.NSFWMobileNet)
	if err != nil {
		return nil, err
	}
	if out := s.Outputs(); len(out) != 1 || len(out[0].Shape) != 2 || out[0].Shape[1] != int64(len(nsfwClasses)) {
		s.Close()
		return nil, fmt.Errorf("vision: nsfw model outputs %+v, want [batch, %d]", out, len(nsfwClasses))
	}
	return &NSFW{s: s}, nil
}

// Close releases the model's session.
func (m *NSFW) Close() error { return m.s.Close() }

// Predict scores img: the five classes' probabilities, nsfw (porn + hentai
// + sexy) and sfw (1 - nsfw), sorted by value.
func (m *NSFW) Predict(ctx context.Context, img image.Image) (*clavis.Prediction, error) {
	if b := img.Bounds(); b.Dx() < 1 || b.Dy() < 1 {
		return nil, fmt.Errorf("vision: empty image")
	}
	outs, err := run(ctx, m.s, nsfwLayout, img)
	if err != nil {
		return nil, err
	}
	probs := outs[0].Data
	p := &clavis.Prediction{}
	var nsfw float32
	for i, c := range nsfwClasses {
		p.Concepts = append(p.Concepts, clavis.Concept{ID: c, Name: c, Value: probs[i]})
		if c == "porn" || c == "hentai" || c == "sexy" {
			nsfw += probs[i]
		}
	}
	nsfw = clamp01(nsfw)
	p.Concepts = append(p.Concepts,
		clavis.Concept{ID: "nsfw", Name: "nsfw", Value: nsfw},
		clavis.Concept{ID: "sfw", Name: "sfw", Value: 1 - nsfw})
	sort.SliceStable(p.Concepts, func(i, j int) bool { return p.Concepts[i].Value > p.Concepts[j].Value })
	return p, nil
}

// Bare implements inference.Bare.
func (m *NSFW) Bare(img image.Image) func(ctx context.Context) error {
	return bare(m.s, nsfwLayout, img)
}
