package vision

import (
	"context"
	"fmt"
	"image"
	"math"
	"sort"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/inference"
	"github.com/clavis-dev/clavis/internal/inference/manifest"
	"github.com/clavis-dev/clavis/internal/inference/onnx"
)

// NanoDet's input and decoding parameters.
const (
	nanodetSize   = 416
	nanodetBins   = 11 // distance distribution bins per box side (GFL, reg_max 10)
	detMinScore   = 0.3
	detMaxIoU     = 0.5
	detMaxRegions = 100
)

// nanodetGrids are the feature map sizes of the three heads (strides 8, 16, 32).
var nanodetGrids = [3]int64{52, 26, 13}

var nanodetLayout = layout{
	// NanoDet's own pipeline: the aspect ratio kept, black padding, BGR,
	// its training normalization (v - mean) / std. (human's stretches the
	// image and feeds RGB in [0, 1]; both find less on the test images.)
	size: nanodetSize, nchw: true, bgr: true, letterbox: true,
	scale:  [3]float32{1 / 57.375, 1 / 57.12, 1 / 58.395},
	offset: [3]float32{-103.53 / 57.375, -116.28 / 57.12, -123.675 / 58.395},
}

// NanoDet is the NanoDet detector behind general-image-recognition and
// general-image-detection. It is safe for concurrent use; Close must not run
// concurrently with a prediction.
type NanoDet struct {
	s *onnx.Session
	// scores[l] and boxes[l] are the output indexes of grid nanodetGrids[l]:
	// scores [1, g*g, 80] (sigmoid) and box distributions [1, g*g, 4*11].
	scores, boxes [3]int
}

// NewNanoDet loads the converted NanoDet model from modelsDir.
func NewNanoDet(modelsDir string) (*NanoDet, error) {
	s, err := openConverted(modelsDir, manifest.NanoDet)
	if err != nil {
		return nil, err
	}
	d := &NanoDet{s: s}
	for l, g := range nanodetGrids {
		if d.scores[l], err = findOutput(s.Outputs(), 1, g*g, int64(len(cocoLabels))); err == nil {
			d.boxes[l], err = findOutput(s.Outputs(), 1, g*g, 4*nanodetBins)
		}
		if err != nil {
			s.Close()
			return nil, err
		}
	}
	return d, nil
}

// Close releases the model's session.
func (d *NanoDet) Close() error { return d.s.Close() }

// Recognition returns the general-image-recognition runner: every COCO class
// with the best score any cell gives it.
func (d *NanoDet) Recognition() inference.Runner {
	return nanodetRunner{d, func(ctx context.Context, img image.Image) (*clavis.Prediction, error) {
		outs, err := d.run(ctx, img)
		if err != nil {
			return nil, err
		}
		best := make([]float32, len(cocoLabels))
		for l := range nanodetGrids {
			scores := outs[d.scores[l]].Data
			for i, v := range scores {
				c := i % len(cocoLabels)
				best[c] = max(best[c], v)
			}
		}
		p := &clavis.Prediction{}
		for c, v := range best {
			p.Concepts = append(p.Concepts, clavis.Concept{ID: manifest.ConceptID(cocoLabels[c]), Name: cocoLabels[c], Value: v})
		}
		sort.SliceStable(p.Concepts, func(i, j int) bool { return p.Concepts[i].Value > p.Concepts[j].Value })
		return p, nil
	}}
}

// Detection returns the general-image-detection runner.
func (d *NanoDet) Detection() inference.Runner {
	return nanodetRunner{d, func(ctx context.Context, img image.Image) (*clavis.Prediction, error) {
		dets, err := d.detect(ctx, img)
		if err != nil {
			return nil, err
		}
		p := &clavis.Prediction{}
		for i, det := range dets {
			name := cocoLabels[det.class]
			p.Regions = append(p.Regions, clavis.Region{
				ID:       fmt.Sprintf("object-%d", i+1),
				Box:      det.box,
				Value:    det.score,
				Concepts: []clavis.Concept{{ID: manifest.ConceptID(name), Name: name, Value: det.score}},
			})
		}
		return p, nil
	}}
}

// nanodetRunner is a runner of the NanoDet session.
type nanodetRunner struct {
	d *NanoDet
	inference.RunnerFunc
}

// Bare implements inference.Bare.
func (r nanodetRunner) Bare(img image.Image) func(ctx context.Context) error {
	return bare(r.d.s, nanodetLayout, img)
}

func (d *NanoDet) run(ctx context.Context, img image.Image) ([]onnx.Tensor, error) {
	if b := img.Bounds(); b.Dx() < 1 || b.Dy() < 1 {
		return nil, fmt.Errorf("vision: empty image")
	}
	return run(ctx, d.s, nanodetLayout, img)
}

// detect decodes NanoDet's heads: each cell of a grid with stride s is
// centred at ((col+0.5)s, (row+0.5)s); each box side's distance is the
// expectation of the softmax over its 11 bins, times s.
func (d *NanoDet) detect(ctx context.Context, img image.Image) ([]detection, error) {
	outs, err := d.run(ctx, img)
	if err != nil {
		return nil, err
	}
	place := nanodetLayout.place(img.Bounds())
	var cands []detection
	for l, g := range nanodetGrids {
		scores, boxes := outs[d.scores[l]].Data, outs[d.boxes[l]].Data
		stride := float64(nanodetSize) / float64(g)
		for cell := 0; cell < int(g*g); cell++ {
			row := scores[cell*len(cocoLabels) : (cell+1)*len(cocoLabels)]
			var box *clavis.BoundingBox
			for c, v := range row {
				if v < detMinScore {
					continue
				}
				if box == nil {
					b := nanodetBox(boxes[cell*4*nanodetBins:(cell+1)*4*nanodetBins], cell, int(g), stride, place)
					box = &b
				}
				cands = append(cands, detection{class: c, score: v, box: *box})
			}
		}
	}
	return nms(cands, detMaxIoU, detMaxRegions), nil
}

// nanodetBox decodes one cell's box in tensor pixels and maps it onto the
// image, which lies at place in the tensor.
func nanodetBox(dist []float32, cell, g int, stride float64, place placement) clavis.BoundingBox {
	cx := (float64(cell%g) + 0.5) * stride
	cy := (float64(cell/g) + 0.5) * stride
	var side [4]float64 // left, top, right, bottom
	for k := range side {
		bins := dist[k*nanodetBins : (k+1)*nanodetBins]
		m := float64(bins[0])
		for _, v := range bins {
			m = math.Max(m, float64(v))
		}
		var sum, exp float64
		for b, v := range bins {
			e := math.Exp(float64(v) - m)
			sum += e
			exp += e * float64(b)
		}
		side[k] = exp / sum * stride
	}
	left, top := place.fraction(cx-side[0], cy-side[1])
	right, bottom := place.fraction(cx+side[2], cy+side[3])
	return clavis.BoundingBox{Left: left, Top: top, Right: right, Bottom: bottom}
}
