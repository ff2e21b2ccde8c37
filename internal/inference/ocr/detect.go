package ocr

import (
	"context"
	"fmt"
	"image"
	"math"
	"slices"

	"github.com/clavis-dev/clavis/internal/inference/onnx"
)

// Detection parameters, PaddleOCR's defaults for PP-OCRv4 (DBPostProcess and
// DetResizeForTest).
const (
	detMaxSide     = 960  // the longer side is scaled down to at most this
	detMinSide     = 32   // and no side is shorter than this
	detThresh      = 0.3  // pixels above this probability are text
	detBoxThresh   = 0.6  // boxes whose mean probability is below this are dropped
	detUnclipRatio = 1.5  // boxes grow by area*ratio/perimeter on each side
	detMinBoxSide  = 3    // boxes with a shorter side (in pixels) are dropped
	detMaxBoxes    = 1000 // at most this many candidate regions
	lineTolerance  = 10   // boxes whose tops differ by less are on one line
)

// DB detection mean and standard deviation, applied to the channels in the
// order PaddleOCR feeds them (B, G, R: it reads images with OpenCV).
var (
	detMean = [3]float32{0.485, 0.456, 0.406}
	detStd  = [3]float32{0.229, 0.224, 0.225}
)

// detSize returns the detection input size for a w×h image: the longer side
// at most detMaxSide, both sides rounded to multiples of 32.
func detSize(w, h int) (int, int) {
	ratio := 1.0
	if m := max(w, h); m > detMaxSide {
		ratio = float64(detMaxSide) / float64(m)
	}
	round := func(v int) int {
		return max(int(math.Round(float64(v)*ratio/32))*32, detMinSide)
	}
	return round(w), round(h)
}

// detInput resizes src to the detection size and returns it as a normalized
// 1×3×H×W BGR tensor. Resizing is bilinear with pixel centers aligned, as
// OpenCV's INTER_LINEAR which PaddleOCR uses.
func detInput(src *image.RGBA) onnx.Tensor {
	b := src.Bounds()
	sw, sh := b.Dx(), b.Dy()
	dw, dh := detSize(sw, sh)
	plane := dw * dh
	data := make([]float32, 3*plane)
	var scale, offset [3]float32
	for c := range 3 {
		scale[c] = 1 / (255 * detStd[c])
		offset[c] = detMean[c] / detStd[c]
	}
	// Source columns and weights of each output column.
	x0s, x1s, axs := make([]int, dw), make([]int, dw), make([]float32, dw)
	for x := range dw {
		x0s[x], x1s[x], axs[x] = sampleAt(x, dw, sw)
	}
	for y := range dh {
		y0, y1, ay := sampleAt(y, dh, sh)
		r0 := src.Pix[y0*src.Stride:]
		r1 := src.Pix[y1*src.Stride:]
		for x := range dw {
			i0, i1, ax := 4*x0s[x], 4*x1s[x], axs[x]
			i := y*dw + x
			for c := range 3 {
				top := float32(r0[i0+c]) + (float32(r0[i1+c])-float32(r0[i0+c]))*ax
				bot := float32(r1[i0+c]) + (float32(r1[i1+c])-float32(r1[i0+c]))*ax
				v := top + (bot-top)*ay
				// Channel c is R, G, B; the model takes B, G, R.
				data[(2-c)*plane+i] = v*scale[2-c] - offset[2-c]
			}
		}
	}
	return onnx.Tensor{Shape: []int64{1, 3, int64(dh), int64(dw)}, Data: data}
}

// sampleAt returns the two source indices and the weight of the second for
// output index i when n source samples are resized to m.
func sampleAt(i, m, n int) (int, int, float32) {
	f := (float64(i)+0.5)*float64(n)/float64(m) - 0.5
	f = clamp(f, 0, float64(n-1))
	i0 := int(f)
	return i0, min(i0+1, n-1), float32(f - float64(i0))
}

// detect finds text boxes in src, in src's pixel coordinates, sorted in
// reading order.
func (m *Model) detect(ctx context.Context, src *image.RGBA) ([]quad, error) {
	in := detInput(src)
	out, err := m.det.Run(ctx, in)
	if err != nil {
		return nil, err
	}
	prob := out[0]
	if len(prob.Shape) != 4 || prob.Shape[2] != in.Shape[2] || prob.Shape[3] != in.Shape[3] {
		return nil, fmt.Errorf("ocr: detection output shape %v for input %v", prob.Shape, in.Shape)
	}
	b := src.Bounds()
	boxes := dbBoxes(prob.Data, int(prob.Shape[3]), int(prob.Shape[2]), b.Dx(), b.Dy())
	sortBoxes(boxes)
	return boxes, nil
}

// dbBoxes turns a w×h DB probability map into text boxes in the coordinates
// of a srcW×srcH image, as PaddleOCR's DBPostProcess does: binarize,
// take connected regions, fit minimum-area rectangles, score them by mean
// probability, grow them ("unclip"), and scale them to the source.
func dbBoxes(prob []float32, w, h, srcW, srcH int) []quad {
	seen := make([]bool, len(prob))
	var (
		boxes  []quad
		stack  []int
		pixels []int
	)
	sx, sy := float64(srcW)/float64(w), float64(srcH)/float64(h)
	candidates := 0
	for start, p := range prob {
		if seen[start] || p <= detThresh {
			continue
		}
		// Flood-fill the 8-connected region holding start.
		pixels = pixels[:0]
		stack = append(stack[:0], start)
		seen[start] = true
		minY, maxY := h, -1
		for len(stack) > 0 {
			i := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			pixels = append(pixels, i)
			x, y := i%w, i/w
			minY, maxY = min(minY, y), max(maxY, y)
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					nx, ny := x+dx, y+dy
					if nx < 0 || ny < 0 || nx >= w || ny >= h {
						continue
					}
					j := ny*w + nx
					if !seen[j] && prob[j] > detThresh {
						seen[j] = true
						stack = append(stack, j)
					}
				}
			}
		}
		if candidates++; candidates > detMaxBoxes {
			break
		}
		r := minAreaRect(convexHull(rowExtremes(pixels, w, minY, maxY)))
		if r.minSide() < detMinBoxSide {
			continue
		}
		if boxScore(prob, w, h, r.corners()) < detBoxThresh {
			continue
		}
		a, b := r.sides()
		r = r.grow(a * b * detUnclipRatio / (2 * (a + b)))
		if r.minSide() < detMinBoxSide+2 {
			continue
		}
		var q quad
		for i, c := range r.corners() {
			q[i] = point{
				X: clamp(math.Round(c.X*sx), 0, float64(srcW-1)),
				Y: clamp(math.Round(c.Y*sy), 0, float64(srcH-1)),
			}
		}
		if int(q[0].dist(q[1])) <= detMinBoxSide || int(q[0].dist(q[3])) <= detMinBoxSide {
			continue
		}
		boxes = append(boxes, q)
	}
	return boxes
}

// rowExtremes returns the leftmost and rightmost pixel of each row of a
// region: enough for its convex hull.
func rowExtremes(pixels []int, w, minY, maxY int) []point {
	n := maxY - minY + 1
	lo := make([]int, n)
	hi := make([]int, n)
	for i := range lo {
		lo[i], hi[i] = math.MaxInt, -1
	}
	for _, i := range pixels {
		x, y := i%w, i/w-minY
		lo[y], hi[y] = min(lo[y], x), max(hi[y], x)
	}
	pts := make([]point, 0, 2*n)
	for y := range n {
		if hi[y] < 0 {
			continue
		}
		pts = append(pts, point{float64(lo[y]), float64(y + minY)})
		if hi[y] != lo[y] {
			pts = append(pts, point{float64(hi[y]), float64(y + minY)})
		}
	}
	return pts
}

// boxScore returns the mean probability of the pixels inside q.
func boxScore(prob []float32, w, h int, q quad) float64 {
	minX, maxX, minY, maxY := q[0].X, q[0].X, q[0].Y, q[0].Y
	for _, p := range q[1:] {
		minX, maxX = math.Min(minX, p.X), math.Max(maxX, p.X)
		minY, maxY = math.Min(minY, p.Y), math.Max(maxY, p.Y)
	}
	x0, x1 := int(clamp(math.Floor(minX), 0, float64(w-1))), int(clamp(math.Ceil(maxX), 0, float64(w-1)))
	y0, y1 := int(clamp(math.Floor(minY), 0, float64(h-1))), int(clamp(math.Ceil(maxY), 0, float64(h-1)))
	var sum float64
	n := 0
	for y := y0; y <= y1; y++ {
		for x := x0; x <= x1; x++ {
			if inQuad(q, point{float64(x), float64(y)}) {
				sum += float64(prob[y*w+x])
				n++
			}
		}
	}
	if n == 0 {
		return 0
	}
	return sum / float64(n)
}

// sortBoxes orders boxes top to bottom, and left to right within a line, as
// PaddleOCR's sorted_boxes does.
func sortBoxes(boxes []quad) {
	slices.SortStableFunc(boxes, func(a, b quad) int {
		if a[0].Y != b[0].Y {
			if a[0].Y < b[0].Y {
				return -1
			}
			return 1
		}
		if a[0].X < b[0].X {
			return -1
		}
		if a[0].X > b[0].X {
			return 1
		}
		return 0
	})
	for i := 0; i < len(boxes)-1; i++ {
		for j := i; j >= 0; j-- {
			if math.Abs(boxes[j+1][0].Y-boxes[j][0].Y) < lineTolerance && boxes[j+1][0].X < boxes[j][0].X {
				boxes[j], boxes[j+1] = boxes[j+1], boxes[j]
			} else {
				break
			}
		}
	}
}

func clamp(v, lo, hi float64) float64 {
	return math.Max(lo, math.Min(hi, v))
}
