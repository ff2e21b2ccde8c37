package vision

import (
	"image"
	"image/color"
	"image/draw"
	"testing"
)

// TestLetterbox checks that a letterboxed image keeps its aspect ratio,
// sits centred with black around it, and that tensor points map back onto
// the image's own fractions.
func TestLetterbox(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 40, 20)) // 2:1, white
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	img.Set(0, 0, color.RGBA{255, 0, 0, 255}) // a red top-left pixel
	l := layout{size: 8, nchw: true, letterbox: true, scale: uniform(1), offset: uniform(-1)}
	p := l.place(img.Bounds())
	if p != (placement{0, 2, 8, 4}) {
		t.Fatalf("place = %+v, want the image 8×4 at (0, 2)", p)
	}
	shape, data := l.tensor(img)
	if len(shape) != 4 || shape[1] != 3 || shape[2] != 8 || shape[3] != 8 || len(data) != 3*64 {
		t.Fatalf("shape %v, %d values", shape, len(data))
	}
	at := func(c, x, y int) float32 { return data[(c*8+y)*8+x] }
	for y := 0; y < 8; y++ {
		for x := 0; x < 8; x++ {
			want := float32(-1) // black: 0*1 - 1
			if y >= 2 && y < 6 {
				want = 254 // white
			}
			if x == 0 && y == 2 {
				if at(0, x, y) != 254 || at(1, x, y) != -1 {
					t.Errorf("top-left image pixel = %g, %g; want red", at(0, x, y), at(1, x, y))
				}
				continue
			}
			if got := at(1, x, y); got != want {
				t.Errorf("green at (%d, %d) = %g, want %g", x, y, got, want)
			}
		}
	}
	if fx, fy := p.fraction(0, 2); fx != 0 || fy != 0 {
		t.Errorf("fraction(0, 2) = %g, %g; want the image's top-left corner", fx, fy)
	}
	if fx, fy := p.fraction(4, 4); fx != 0.5 || fy != 0.5 {
		t.Errorf("fraction(4, 4) = %g, %g; want its centre", fx, fy)
	}
	if fx, fy := p.fraction(8, 7); fx != 1 || fy != 1 {
		t.Errorf("fraction(8, 7) = %g, %g; want clamped to its bottom-right corner", fx, fy)
	}
	// Without letterbox the image fills the tensor.
	if p := (layout{size: 8}).place(img.Bounds()); p != (placement{0, 0, 8, 8}) {
		t.Errorf("stretched place = %+v", p)
	}
}

// TestTensorReadsInPlace checks that images of the decoders' own types,
// read in place, give the tensor their RGBA copy gives.
func TestTensorReadsInPlace(t *testing.T) {
	r := image.Rect(3, 2, 53, 39) // odd size, bounds not at the origin
	ycc := image.NewYCbCr(r, image.YCbCrSubsampleRatio420)
	for i := range ycc.Y {
		ycc.Y[i] = uint8(i * 7)
	}
	for i := range ycc.Cb {
		ycc.Cb[i], ycc.Cr[i] = uint8(i*3), uint8(255-i)
	}
	n64 := image.NewNRGBA64(r)
	gray := image.NewGray(r)
	pal := image.NewPaletted(r, color.Palette{color.Black, color.RGBA{200, 10, 30, 255}, color.NRGBA{9, 99, 199, 128}})
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			n64.Set(x, y, color.NRGBA64{uint16(x * 1000), uint16(y * 1500), uint16(x * y * 30), uint16(40000 + x*y)})
			gray.Set(x, y, color.Gray{uint8(x * y)})
			pal.SetColorIndex(x, y, uint8((x+y)%3))
		}
	}
	l := layout{size: 16, nchw: true, letterbox: true, bgr: true, scale: uniform(1), offset: uniform(0)}
	for name, img := range map[string]image.Image{"YCbCr": ycc, "NRGBA64": n64, "Gray": gray, "Paletted": pal} {
		t.Run(name, func(t *testing.T) {
			cp := image.NewRGBA(image.Rect(0, 0, r.Dx(), r.Dy()))
			draw.Draw(cp, cp.Bounds(), img, r.Min, draw.Src)
			_, want := l.tensor(cp)
			_, got := l.tensor(img)
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("value %d = %v read in place, %v from the RGBA copy", i, got[i], want[i])
				}
			}
		})
	}
}
