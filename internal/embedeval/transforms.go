package embedeval

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"math"

	"golang.org/x/image/draw"
)

// Transform is a deterministic edit of an image that keeps what it shows.
// The zero value changes nothing. Apply performs the steps in field order.
type Transform struct {
	Name string
	// Crop keeps the rectangle (x0, y0)–(x1, y1), in fractions of the
	// width and height; all zeros keeps the whole image.
	Crop [4]float64
	// FlipH mirrors the image left to right.
	FlipH bool
	// Scale resizes by this factor (bilinear); 0 keeps the size.
	Scale float64
	// Contrast scales each channel's distance from 128 (0 keeps it);
	// Brightness is then added to each channel; Saturation scales each
	// channel's distance from the pixel's luma (0 keeps it) and Grey sets
	// every channel to the luma; Tint is then added to R, G and B. Results
	// are rounded and clamped to 0..255.
	Contrast   float64
	Brightness int
	Saturation float64
	Grey       bool
	Tint       [3]int
	// JPEG re-encodes the image at this quality (1..100); 0 does not.
	JPEG int
}

// Recipe is the committed list of transforms: each original's positives
// are these copies of it.
var Recipe = []Transform{
	{Name: "scale-0.5", Scale: 0.5},
	{Name: "scale-0.25", Scale: 0.25},
	{Name: "scale-0.1", Scale: 0.1},
	{Name: "scale-1.5", Scale: 1.5},
	{Name: "crop-centre-80", Crop: [4]float64{0.1, 0.1, 0.9, 0.9}},
	{Name: "crop-top-left-70", Crop: [4]float64{0, 0, 0.7, 0.7}},
	{Name: "crop-bottom-right-60", Crop: [4]float64{0.4, 0.4, 1, 1}},
	{Name: "crop-left-60", Crop: [4]float64{0, 0, 0.6, 1}},
	{Name: "crop-centre-50", Crop: [4]float64{0.25, 0.25, 0.75, 0.75}},
	{Name: "crop-right-half", Crop: [4]float64{0.5, 0, 1, 1}},
	{Name: "flip", FlipH: true},
	{Name: "flip-crop-85", FlipH: true, Crop: [4]float64{0.05, 0.1, 0.9, 0.95}},
	{Name: "jpeg-30", JPEG: 30},
	{Name: "jpeg-8", JPEG: 8},
	{Name: "brighter", Brightness: 40},
	{Name: "darker-low-contrast", Contrast: 0.6, Brightness: -30},
	{Name: "grey", Grey: true},
	{Name: "warm-tint", Tint: [3]int{30, 5, -30}},
	{Name: "saturated", Saturation: 1.6},
	{Name: "flip-grey-jpeg-20", FlipH: true, Grey: true, JPEG: 20},
	{Name: "crop-scale-jpeg-tint", Crop: [4]float64{0.15, 0.05, 0.9, 0.8}, Scale: 0.6, Tint: [3]int{-20, 10, 25}, JPEG: 50},
}

// Apply returns t applied to img, as a new image; img is not changed.
func (t Transform) Apply(img image.Image) (image.Image, error) {
	b := img.Bounds()
	out := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(out, out.Bounds(), img, b.Min, draw.Src)
	if t.Crop != [4]float64{} {
		r := image.Rect(
			int(math.Round(t.Crop[0]*float64(b.Dx()))), int(math.Round(t.Crop[1]*float64(b.Dy()))),
			int(math.Round(t.Crop[2]*float64(b.Dx()))), int(math.Round(t.Crop[3]*float64(b.Dy()))))
		if r.Empty() || !r.In(out.Bounds()) {
			return nil, fmt.Errorf("embedeval: %s: crop %v leaves nothing of a %v image", t.Name, t.Crop, b.Size())
		}
		c := image.NewRGBA(image.Rect(0, 0, r.Dx(), r.Dy()))
		draw.Draw(c, c.Bounds(), out, r.Min, draw.Src)
		out = c
	}
	if t.FlipH {
		w := out.Bounds().Dx()
		f := image.NewRGBA(out.Bounds())
		for y := range out.Bounds().Dy() {
			for x := range w {
				f.SetRGBA(w-1-x, y, out.RGBAAt(x, y))
			}
		}
		out = f
	}
	if t.Scale != 0 {
		w := max(1, int(math.Round(t.Scale*float64(out.Bounds().Dx()))))
		h := max(1, int(math.Round(t.Scale*float64(out.Bounds().Dy()))))
		s := image.NewRGBA(image.Rect(0, 0, w, h))
		draw.BiLinear.Scale(s, s.Bounds(), out, out.Bounds(), draw.Src, nil)
		out = s
	}
	t.colour(out)
	if t.JPEG != 0 {
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, out, &jpeg.Options{Quality: t.JPEG}); err != nil {
			return nil, fmt.Errorf("embedeval: %s: %w", t.Name, err)
		}
		return jpeg.Decode(&buf)
	}
	return out, nil
}

// colour applies the colour steps to img in place.
func (t Transform) colour(img *image.RGBA) {
	if t.Contrast == 0 && t.Brightness == 0 && t.Saturation == 0 && !t.Grey && t.Tint == [3]int{} {
		return
	}
	for i := 0; i < len(img.Pix); i += 4 {
		var c [3]float64
		for k := range c {
			c[k] = float64(img.Pix[i+k])
			if t.Contrast != 0 {
				c[k] = 128 + (c[k]-128)*t.Contrast
			}
			c[k] += float64(t.Brightness)
		}
		if t.Saturation != 0 || t.Grey {
			luma := 0.299*c[0] + 0.587*c[1] + 0.114*c[2]
			for k := range c {
				c[k] = luma + (c[k]-luma)*t.Saturation
			}
		}
		for k := range c {
			img.Pix[i+k] = uint8(min(255, max(0, math.Round(c[k]+float64(t.Tint[k])))))
		}
	}
}
