package inference

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"testing"
)

func encoded(t *testing.T, img image.Image, format string) []byte {
	t.Helper()
	var buf bytes.Buffer
	var err error
	if format == "png" {
		err = png.Encode(&buf, img)
	} else {
		err = jpeg.Encode(&buf, img, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestDecodeCost checks the bytes an image is counted for: its decoded
// format's bytes per pixel, a runner's copy, and the decoders' extra
// copies.
func TestDecodeCost(t *testing.T) {
	r := image.Rect(0, 0, 40, 30)
	nrgba64 := image.NewNRGBA64(r)
	nrgba64.Set(0, 0, color.NRGBA64{1, 2, 3, 4}) // not opaque: stays 16-bit RGBA
	for _, c := range []struct {
		name   string
		data   []byte
		copyBP int
		want   int64
	}{
		{"PNG16BitRGBA", encoded(t, nrgba64, "png"), 0, 1200 * 8},
		{"PNG16BitRGBAWithCopy", encoded(t, nrgba64, "png"), 4, 1200 * 12},
		{"PNGGray", encoded(t, image.NewGray(r), "png"), 0, 1200},
		{"PNGRGBA", encoded(t, image.NewNRGBA(r), "png"), 0, 1200 * 4},
		{"JPEG", encoded(t, image.NewRGBA(r), "jpeg"), 0, 1200 * 3},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg, format, err := imageHeader(c.data)
			if err != nil {
				t.Fatal(err)
			}
			if got := decodeCost(c.data, cfg, format, c.copyBP); got != c.want {
				t.Fatalf("decodeCost = %d, want %d (color model %T)", got, c.want, cfg.ColorModel)
			}
		})
	}
	// An interlaced PNG (the IHDR's last byte set) counts its passes too.
	p := encoded(t, nrgba64, "png")
	cfg, _, _ := imageHeader(p)
	p[28] = 1 // its CRC is wrong now, which decodeCost does not read
	if got := decodeCost(p, cfg, "png", 0); got != 1200*16 {
		t.Fatalf("interlaced decodeCost = %d", got)
	}
	// A progressive JPEG counts the coefficients.
	j := encoded(t, image.NewRGBA(r), "jpeg")
	if jpegProgressive(j) {
		t.Fatal("baseline JPEG seen as progressive")
	}
	if i := bytes.Index(j, []byte{0xFF, 0xC0}); i > 0 {
		j[i+1] = 0xC2
	}
	if !jpegProgressive(j) {
		t.Fatal("SOF2 JPEG not seen as progressive")
	}
}
