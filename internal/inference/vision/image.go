package vision

import (
	"context"
	"image"
	"image/color"
	"math"
	"sync"

	"github.com/clavis-dev/clavis/internal/inference/onnx"
)

// layout says how an image becomes a model's input tensor.
type layout struct {
	size  int  // the input is size × size pixels
	nchw  bool // channels first; else channels last
	bgr   bool // channels in B, G, R order; else R, G, B
	align bool // resize with TF's align_corners; else TF's default (asymmetric) mapping
	// letterbox keeps the aspect ratio: the image is scaled so that its
	// longer side fills size, centred, and the rest is black (channel
	// value 0). Otherwise it is stretched to size × size.
	letterbox bool
	scale     [3]float32 // channel value v (0..255) of input channel c becomes v*scale[c] + offset[c]
	offset    [3]float32
}

// placement is where an image lies in the input tensor, in tensor pixels.
type placement struct{ x0, y0, w, h int }

// place returns where an image with bounds b lies in the input tensor.
func (l layout) place(b image.Rectangle) placement {
	if !l.letterbox {
		return placement{0, 0, l.size, l.size}
	}
	long := max(b.Dx(), b.Dy())
	w := max(1, int(math.Round(float64(b.Dx()*l.size)/float64(long))))
	h := max(1, int(math.Round(float64(b.Dy()*l.size)/float64(long))))
	return placement{(l.size - w) / 2, (l.size - h) / 2, w, h}
}

// fraction maps a point of the input tensor (in tensor pixels) to fractions
// of the image's width and height, clamped to [0, 1].
func (p placement) fraction(x, y float64) (fx, fy float32) {
	return clamp01(float32((x - float64(p.x0)) / float64(p.w))), clamp01(float32((y - float64(p.y0)) / float64(p.h)))
}

// uniform returns the same scale or offset for the three channels.
func uniform(v float32) [3]float32 { return [3]float32{v, v, v} }

// tensor resizes img into the input tensor with TF's resizeBilinear, as
// the models' own JavaScript pipelines do (no antialiasing), placed as
// l.place says, and returns the input tensor's shape and data. The data
// comes from a pool: give it back with putTensor once the session ran.
func (l layout) tensor(img image.Image) ([]int64, []float32) {
	b := img.Bounds()
	n := l.size
	data := getTensor(3 * n * n)
	at := func(c, x, y int) int { // index of channel c at tensor pixel (x, y)
		if l.nchw {
			return (c*n+y)*n + x
		}
		return (y*n+x)*3 + c
	}
	p := l.place(b)
	if p.w < n || p.h < n {
		for y := 0; y < n; y++ {
			for x := 0; x < n; x++ {
				for c := 0; c < 3; c++ {
					data[at(c, x, y)] = l.offset[c] // black
				}
			}
		}
	}
	xs := resizeTaps(b.Dx(), p.w, l.align)
	ys := resizeTaps(b.Dy(), p.h, l.align)
	// ch[c] is the image channel of tensor channel c.
	ch := [3]int{0, 1, 2}
	if l.bgr {
		ch = [3]int{2, 1, 0}
	}
	put := func(x, y int, tl, tr, bl, br [3]uint8, fx, fy float64) {
		for c := 0; c < 3; c++ {
			k := ch[c]
			top := float64(tl[k]) + (float64(tr[k])-float64(tl[k]))*fx
			bottom := float64(bl[k]) + (float64(br[k])-float64(bl[k]))*fx
			data[at(c, p.x0+x, p.y0+y)] = float32(top+(bottom-top)*fy)*l.scale[c] + l.offset[c]
		}
	}
	if m, ok := img.(*image.YCbCr); ok {
		// JPEG's image, read in place: the offsets of every tap computed
		// once (the two are separable in x and y), the colour converted
		// per tap as color.YCbCrToRGB does, with no closure per pixel.
		y0, c0 := m.YOffset(b.Min.X, b.Min.Y), m.COffset(b.Min.X, b.Min.Y)
		type offs struct{ ylo, yhi, clo, chi int }
		col := make([]offs, len(xs))
		for i, t := range xs {
			col[i] = offs{m.YOffset(b.Min.X+t.lo, b.Min.Y) - y0, m.YOffset(b.Min.X+t.hi, b.Min.Y) - y0,
				m.COffset(b.Min.X+t.lo, b.Min.Y) - c0, m.COffset(b.Min.X+t.hi, b.Min.Y) - c0}
		}
		rgb := func(yi, ci int) [3]uint8 {
			r, g, bl := color.YCbCrToRGB(m.Y[yi], m.Cb[ci], m.Cr[ci])
			return [3]uint8{r, g, bl}
		}
		for y, ty := range ys {
			ylo, yhi := m.YOffset(b.Min.X, b.Min.Y+ty.lo), m.YOffset(b.Min.X, b.Min.Y+ty.hi)
			clo, chi := m.COffset(b.Min.X, b.Min.Y+ty.lo), m.COffset(b.Min.X, b.Min.Y+ty.hi)
			for x, tx := range xs {
				o := col[x]
				put(x, y, rgb(ylo+o.ylo, clo+o.clo), rgb(ylo+o.yhi, clo+o.chi), rgb(yhi+o.ylo, chi+o.clo), rgb(yhi+o.yhi, chi+o.chi), tx.frac, ty.frac)
			}
		}
	} else {
		px := rgbReader(img)
		for y, ty := range ys {
			for x, tx := range xs {
				put(x, y, px(tx.lo, ty.lo), px(tx.hi, ty.lo), px(tx.lo, ty.hi), px(tx.hi, ty.hi), tx.frac, ty.frac)
			}
		}
	}
	if l.nchw {
		return []int64{1, 3, int64(n), int64(n)}, data
	}
	return []int64{1, int64(n), int64(n), 3}, data
}

// tensorPools holds a pool of input tensors' data by length: a prediction
// takes one and gives it back once its session ran, so that concurrent
// predictions do not allocate 0.5–2 MB each.
var tensorPools sync.Map // int → *sync.Pool of *[]float32

// getTensor returns a slice of n float32s from the pool, its values
// undefined: the caller writes every one.
func getTensor(n int) []float32 {
	p, _ := tensorPools.LoadOrStore(n, &sync.Pool{New: func() any { s := make([]float32, n); return &s }})
	return *p.(*sync.Pool).Get().(*[]float32)
}

// putTensor gives data, from getTensor, back to its pool; data must no
// longer be used.
func putTensor(data []float32) {
	if p, ok := tensorPools.Load(len(data)); ok {
		p.(*sync.Pool).Put(&data)
	}
}

// run builds img's input tensor with l, runs s on it alone and gives the
// tensor back.
func run(ctx context.Context, s *onnx.Session, l layout, img image.Image) ([]onnx.Tensor, error) {
	shape, data := l.tensor(img)
	defer putTensor(data)
	return s.Run(ctx, onnx.Tensor{Shape: shape, Data: data})
}

// bare builds img's input tensor with l once and returns a function that
// runs s alone on it (inference.Bare).
func bare(s *onnx.Session, l layout, img image.Image) func(ctx context.Context) error {
	shape, data := l.tensor(img)
	in := onnx.Tensor{Shape: shape, Data: append([]float32(nil), data...)}
	putTensor(data)
	return func(ctx context.Context) error {
		_, err := s.Run(ctx, in)
		return err
	}
}

// rgbReader returns a function that reads the 8-bit R, G and B of img at
// (x, y) from its bounds' corner, as an RGBA copy would hold them
// (premultiplied by alpha), straight from the decoded pixels: the images
// the decoders make (YCbCr for JPEG, NRGBA64 for 16-bit PNG, …) are never
// copied whole, so decoding takes only the decoded image's own bytes.
func rgbReader(img image.Image) func(x, y int) [3]uint8 {
	b := img.Bounds()
	switch m := img.(type) {
	case *image.RGBA:
		return func(x, y int) [3]uint8 {
			i := m.PixOffset(b.Min.X+x, b.Min.Y+y)
			return [3]uint8{m.Pix[i], m.Pix[i+1], m.Pix[i+2]}
		}
	case *image.YCbCr:
		return func(x, y int) [3]uint8 {
			yi, ci := m.YOffset(b.Min.X+x, b.Min.Y+y), m.COffset(b.Min.X+x, b.Min.Y+y)
			r, g, bl := color.YCbCrToRGB(m.Y[yi], m.Cb[ci], m.Cr[ci])
			return [3]uint8{r, g, bl}
		}
	case *image.Gray:
		return func(x, y int) [3]uint8 {
			v := m.Pix[m.PixOffset(b.Min.X+x, b.Min.Y+y)]
			return [3]uint8{v, v, v}
		}
	}
	return func(x, y int) [3]uint8 {
		r, g, bl, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
		return [3]uint8{uint8(r >> 8), uint8(g >> 8), uint8(bl >> 8)}
	}
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
