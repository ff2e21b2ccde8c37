package vision

import (
	"image"
	"image/draw"
	"math"
)

// layout says how an image becomes a model's input tensor.
type layout struct {
	size   int        // the input is size × size pixels
	nchw   bool       // channels first; else channels last
	bgr    bool       // channels in B, G, R order; else R, G, B
	align  bool       // resize with TF's align_corners; else TF's default (asymmetric) mapping
	scale  [3]float32 // channel value v (0..255) of input channel c becomes v*scale[c] + offset[c]
	offset [3]float32
}

// uniform returns the same scale or offset for the three channels.
func uniform(v float32) [3]float32 { return [3]float32{v, v, v} }

// tensor resizes img to l.size × l.size with TF's resizeBilinear, as the
// models' own JavaScript pipelines do (aspect ratio not kept, no
// antialiasing), and returns the input tensor's shape and data.
func (l layout) tensor(img image.Image) ([]int64, []float32) {
	b := img.Bounds()
	src, ok := img.(*image.RGBA)
	if !ok || b.Min != (image.Point{}) {
		src = image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
		draw.Draw(src, src.Bounds(), img, b.Min, draw.Src)
	}
	n := l.size
	xs := resizeTaps(b.Dx(), n, l.align)
	ys := resizeTaps(b.Dy(), n, l.align)
	data := make([]float32, 3*n*n)
	for y, ty := range ys {
		r0 := src.Pix[ty.lo*src.Stride:]
		r1 := src.Pix[ty.hi*src.Stride:]
		for x, tx := range xs {
			for c := 0; c < 3; c++ {
				ch := c
				if l.bgr {
					ch = 2 - c
				}
				tl, tr := float64(r0[4*tx.lo+ch]), float64(r0[4*tx.hi+ch])
				bl, br := float64(r1[4*tx.lo+ch]), float64(r1[4*tx.hi+ch])
				top := tl + (tr-tl)*tx.frac
				bottom := bl + (br-bl)*tx.frac
				v := float32(top+(bottom-top)*ty.frac)*l.scale[c] + l.offset[c]
				if l.nchw {
					data[(c*n+y)*n+x] = v
				} else {
					data[(y*n+x)*3+c] = v
				}
			}
		}
	}
	if l.nchw {
		return []int64{1, 3, int64(n), int64(n)}, data
	}
	return []int64{1, int64(n), int64(n), 3}, data
}

// tap is where one output coordinate samples the input: between lo and hi,
// frac of the way.
type tap struct {
	lo, hi int
	frac   float64
}

// resizeTaps maps out output coordinates onto in input ones as TF's
// resizeBilinear does without half-pixel centres.
func resizeTaps(in, out int, align bool) []tap {
	ratio := float64(in) / float64(out)
	if align && out > 1 {
		ratio = float64(in-1) / float64(out-1)
	}
	taps := make([]tap, out)
	for i := range taps {
		f := float64(i) * ratio
		lo := int(math.Floor(f))
		taps[i] = tap{lo: min(lo, in-1), hi: min(lo+1, in-1), frac: f - float64(lo)}
	}
	return taps
}
