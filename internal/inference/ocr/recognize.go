package ocr

import (
	"context"
	"fmt"
	"image"
	"math"
	"slices"
	"strings"

	"github.com/clavis-dev/clavis/internal/inference/onnx"
)

// Recognition parameters, PaddleOCR's defaults for PP-OCRv4 except recBatch:
// PaddleOCR runs six crops at a time, but in ONNX Runtime on a CPU a batch
// of long lines costs 1.2–5× more than its crops run one by one, and a batch
// of short words about the same (see the BareSessionsBatch6 benchmark).
const (
	recHeight    = 48  // input height of the recognition model
	recMinWidth  = 320 // inputs are padded to at least this width, as in training
	recBatch     = 1   // crops recognized per session run
	recMinScore  = 0.5 // texts with a lower mean character confidence are dropped
	recRotateMin = 1.5 // crops this much taller than wide are read rotated
)

// crop is a text box ready for recognition: its corners in reading order
// (rotated for vertical text) and its width-to-height ratio.
type crop struct {
	q     quad
	w, h  float64
	ratio float64
}

// newCrop returns the crop of box q, as PaddleOCR's get_rotate_crop_image
// sizes it.
func newCrop(q quad) crop {
	w := math.Max(q[0].dist(q[1]), q[2].dist(q[3]))
	h := math.Max(q[0].dist(q[3]), q[1].dist(q[2]))
	w, h = math.Max(math.Floor(w), 1), math.Max(math.Floor(h), 1)
	if h/w >= recRotateMin {
		// Turn vertical text a quarter counter-clockwise, as np.rot90 does.
		q = quad{q[1], q[2], q[3], q[0]}
		w, h = h, w
	}
	return crop{q: q, w: w, h: h, ratio: w / h}
}

// fill samples the crop from src into a recHeight×width window of the
// 3×recHeight×stride tensor data (BGR planes), normalized to [-1, 1]; the
// rest of the row stays 0 (the padding PaddleOCR uses).
func (c crop) fill(src *image.RGBA, data []float32, width, stride int) {
	plane := recHeight * stride
	// Output pixel (u, v) maps to crop pixel ((u+0.5)·w/width − 0.5, …), and
	// crop pixel (a, b) to p0 + a/w·(p1−p0) + b/h·(p3−p0).
	ex := c.q[1].sub(c.q[0]).scale(1 / c.w)
	ey := c.q[3].sub(c.q[0]).scale(1 / c.h)
	fx, fy := c.w/float64(width), c.h/float64(recHeight)
	for v := range recHeight {
		b := (float64(v)+0.5)*fy - 0.5
		rowStart := c.q[0].add(ey.scale(b))
		for u := range width {
			a := (float64(u)+0.5)*fx - 0.5
			p := rowStart.add(ex.scale(a))
			r, g, bl := bilinear(src, p.X, p.Y)
			i := v*stride + u
			data[i] = bl/127.5 - 1
			data[plane+i] = g/127.5 - 1
			data[2*plane+i] = r/127.5 - 1
		}
	}
}

// bilinear samples src at (x, y) in pixel-center coordinates, replicating
// the border.
func bilinear(src *image.RGBA, x, y float64) (r, g, b float32) {
	bounds := src.Bounds()
	w, h := bounds.Dx(), bounds.Dy()
	x = clamp(x, 0, float64(w-1))
	y = clamp(y, 0, float64(h-1))
	x0, y0 := int(x), int(y)
	x1, y1 := min(x0+1, w-1), min(y0+1, h-1)
	ax, ay := float32(x-float64(x0)), float32(y-float64(y0))
	at := func(px, py int) (float32, float32, float32) {
		i := py*src.Stride + 4*px
		return float32(src.Pix[i]), float32(src.Pix[i+1]), float32(src.Pix[i+2])
	}
	r00, g00, b00 := at(x0, y0)
	r10, g10, b10 := at(x1, y0)
	r01, g01, b01 := at(x0, y1)
	r11, g11, b11 := at(x1, y1)
	lerp := func(p00, p10, p01, p11 float32) float32 {
		top := p00 + (p10-p00)*ax
		bot := p01 + (p11-p01)*ax
		return top + (bot-top)*ay
	}
	return lerp(r00, r10, r01, r11), lerp(g00, g10, g01, g11), lerp(b00, b10, b01, b11)
}

// recognized is the text read in one box and its mean character confidence.
type recognized struct {
	text  string
	score float32
}

// recInputs builds the recognition tensors for crops, batch at a time in
// order of aspect ratio as PaddleOCR batches them, and returns each batch's
// tensor with the indices of its crops. Each batch is as wide as its widest
// crop, and at least recMinWidth.
func recInputs(src *image.RGBA, crops []crop, batch int) ([]onnx.Tensor, [][]int) {
	order := make([]int, len(crops))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		switch {
		case crops[a].ratio < crops[b].ratio:
			return -1
		case crops[a].ratio > crops[b].ratio:
			return 1
		}
		return 0
	})
	var (
		tensors []onnx.Tensor
		batches [][]int
	)
	for start := 0; start < len(order); start += batch {
		idx := order[start:min(start+batch, len(order))]
		maxRatio := float64(recMinWidth) / recHeight
		for _, i := range idx {
			maxRatio = math.Max(maxRatio, crops[i].ratio)
		}
		stride := int(recHeight * maxRatio)
		per := 3 * recHeight * stride
		data := make([]float32, len(idx)*per)
		for k, i := range idx {
			width := min(stride, int(math.Ceil(recHeight*crops[i].ratio)))
			crops[i].fill(src, data[k*per:(k+1)*per], width, stride)
		}
		tensors = append(tensors, onnx.Tensor{Shape: []int64{int64(len(idx)), 3, recHeight, int64(stride)}, Data: data})
		batches = append(batches, idx)
	}
	return tensors, batches
}

// recognize reads the text of every box; the result is indexed like boxes.
func (m *Model) recognize(ctx context.Context, src *image.RGBA, boxes []quad) ([]recognized, error) {
	crops := make([]crop, len(boxes))
	for i, q := range boxes {
		crops[i] = newCrop(q)
	}
	out := make([]recognized, len(boxes))
	tensors, batches := recInputs(src, crops, recBatch)
	for b, in := range tensors {
		res, err := m.rec.Run(ctx, in)
		if err != nil {
			return nil, err
		}
		probs := res[0]
		if len(probs.Shape) != 3 || probs.Shape[0] != in.Shape[0] || int(probs.Shape[2]) != len(m.chars) {
			return nil, fmt.Errorf("ocr: recognition output shape %v, want [%d T %d]", probs.Shape, in.Shape[0], len(m.chars))
		}
		steps, classes := int(probs.Shape[1]), int(probs.Shape[2])
		for k, i := range batches[b] {
			out[i] = ctcDecode(probs.Data[k*steps*classes:(k+1)*steps*classes], steps, classes, m.chars)
		}
	}
	return out, nil
}

// ctcDecode greedily decodes steps×classes probabilities: the best class at
// each step, repeats merged, blanks (class 0) dropped. The score is the mean
// probability of the characters kept.
func ctcDecode(probs []float32, steps, classes int, chars []string) recognized {
	var (
		sb   strings.Builder
		sum  float32
		n    int
		prev = -1
	)
	for t := range steps {
		row := probs[t*classes : (t+1)*classes]
		best, bestP := 0, row[0]
		for c, p := range row[1:] {
			if p > bestP {
				best, bestP = c+1, p
			}
		}
		if best != 0 && best != prev {
			sb.WriteString(chars[best])
			sum += bestP
			n++
		}
		prev = best
	}
	if n == 0 {
		return recognized{}
	}
	return recognized{text: sb.String(), score: sum / float32(n)}
}
