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

// BlazeFace's input and decoding parameters.
const (
	blazefaceSize = 256
	faceMinScore  = 0.6
	faceMaxIoU    = 0.3
	faceMaxFaces  = 50
)

// blazefaceLayout keeps the aspect ratio, as MediaPipe's own face detection
// graph does, so that faces keep their shape and boxes come out square.
// (human's JavaScript pipeline stretches the image to 256².)
var blazefaceLayout = layout{size: blazefaceSize, letterbox: true, scale: uniform(1.0 / 127.5), offset: uniform(-1)}

// blazefaceHeads are BlazeFace's two heads: the grid stride, the anchors per
// cell and the number of anchors (grid² × per cell).
var blazefaceHeads = [2]struct{ stride, perCell, count int }{
	{16, 2, 512},
	{32, 6, 384},
}

// Faces is the face-detection runner (BlazeFace). It is safe for concurrent
// use; Close must not run concurrently with Predict.
type Faces struct {
	s              *onnx.Session
	scores, boxes  [2]int // output indexes of each head: logits [1,n,1], regressors [1,n,16]
	anchorX, anchY []float32
}

// NewFaces loads the converted BlazeFace model from modelsDir.
func NewFaces(modelsDir string) (*Faces, error) {
	s, err := openConverted(modelsDir, manifest.BlazeFace)
	if err != nil {
		return nil, err
	}
	f := &Faces{s: s}
	for h, head := range blazefaceHeads {
		if f.scores[h], err = findOutput(s.Outputs(), 1, int64(head.count), 1); err == nil {
			f.boxes[h], err = findOutput(s.Outputs(), 1, int64(head.count), 16)
		}
		if err != nil {
			s.Close()
			return nil, err
		}
		// Anchors sit at cell centres, row by row, perCell at each.
		g := blazefaceSize / head.stride
		for y := 0; y < g; y++ {
			for x := 0; x < g; x++ {
				for range head.perCell {
					f.anchorX = append(f.anchorX, float32(head.stride)*(float32(x)+0.5))
					f.anchY = append(f.anchY, float32(head.stride)*(float32(y)+0.5))
				}
			}
		}
	}
	return f, nil
}

// Close releases the model's session.
func (f *Faces) Close() error { return f.s.Close() }

// Predict finds the faces of img: one region per face, best first, with the
// concept face. Each anchor's regressors are the face centre's offset from
// the anchor and the face's width and height, in input pixels.
func (f *Faces) Predict(ctx context.Context, img image.Image) (*clavis.Prediction, error) {
	if b := img.Bounds(); b.Dx() < 1 || b.Dy() < 1 {
		return nil, fmt.Errorf("vision: empty image")
	}
	outs, err := run(ctx, f.s, blazefaceLayout, img)
	if err != nil {
		return nil, err
	}
	place := blazefaceLayout.place(img.Bounds())
	var cands []detection
	a := 0
	for h, head := range blazefaceHeads {
		logits, regs := outs[f.scores[h]].Data, outs[f.boxes[h]].Data
		for i := 0; i < head.count; i, a = i+1, a+1 {
			score := float32(1 / (1 + math.Exp(-float64(logits[i]))))
			if score < faceMinScore {
				continue
			}
			r := regs[16*i:]
			cx, cy := float64(f.anchorX[a]+r[0]), float64(f.anchY[a]+r[1])
			w, hgt := float64(r[2]), float64(r[3])
			left, top := place.fraction(cx-w/2, cy-hgt/2)
			right, bottom := place.fraction(cx+w/2, cy+hgt/2)
			cands = append(cands, detection{score: score, box: clavis.BoundingBox{Left: left, Top: top, Right: right, Bottom: bottom}})
		}
	}
	p := &clavis.Prediction{}
	for i, d := range nms(cands, faceMaxIoU, faceMaxFaces) {
		p.Regions = append(p.Regions, clavis.Region{
			ID: fmt.Sprintf("face-%d", i+1), Box: d.box, Value: d.score,
			Concepts: []clavis.Concept{{ID: "face", Name: "face", Value: d.score}},
		})
	}
	return p, nil
}

// Bare implements inference.Bare.
func (f *Faces) Bare(img image.Image) func(ctx context.Context) error {
	return bare(f.s, blazefaceLayout, img)
}
