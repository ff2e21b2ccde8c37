package builtin

import (
	"context"
	"fmt"
	"image"
	"math"
	"sort"

	"github.com/clavis-dev/clavis/clavis"
)

// Color is the runner of color-recognition (manifest.ColorRecognition). It
// finds the dominant colors of an image: it samples at most maxSamples
// pixels on a grid, clusters them with k-means (k = 8, seeded
// deterministically from a coarse histogram), and reports each cluster
// covering at least minShare of the image with its mean color, the nearest
// W3C named color, and its share. Fully transparent pixels are ignored.
type Color struct{}

const (
	colorK     = 8
	maxSamples = 16384
	minShare   = 0.01
	kmeansIter = 12
)

type rgb [3]float64

// Predict implements inference.Runner.
func (Color) Predict(ctx context.Context, img image.Image) (*clavis.Prediction, error) {
	px := sample(img)
	if len(px) == 0 {
		return &clavis.Prediction{}, nil
	}
	centers := seed(px)
	assign := make([]int, len(px))
	for it := 0; it < kmeansIter; it++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		var sums [colorK]rgb
		var counts [colorK]int
		for i, p := range px {
			best, bestD := 0, math.MaxFloat64
			for c := range centers {
				if d := dist(p, centers[c]); d < bestD {
					best, bestD = c, d
				}
			}
			assign[i] = best
			counts[best]++
			for ch := range 3 {
				sums[best][ch] += p[ch]
			}
		}
		for c := range centers {
			if counts[c] > 0 {
				for ch := range 3 {
					centers[c][ch] = sums[c][ch] / float64(counts[c])
				}
			}
		}
	}
	var counts [colorK]int
	for _, a := range assign {
		counts[a]++
	}
	// Merge clusters whose centers round to the same hex value.
	type merged struct {
		c     rgb
		share float64
	}
	byHex := map[string]*merged{}
	for c := range centers {
		if counts[c] == 0 {
			continue
		}
		h := hex(centers[c])
		if byHex[h] == nil {
			byHex[h] = &merged{c: centers[c]}
		}
		byHex[h].share += float64(counts[c]) / float64(len(px))
	}
	var out []clavis.Color
	for h, m := range byHex {
		if m.share < minShare {
			continue
		}
		name, nhex := nearestW3C(m.c)
		out = append(out, clavis.Color{Hex: h, W3CName: name, W3CHex: nhex, Value: float32(m.share)})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Value != out[j].Value {
			return out[i].Value > out[j].Value
		}
		return out[i].Hex < out[j].Hex
	})
	return &clavis.Prediction{Colors: out}, nil
}

// sample returns up to maxSamples opaque pixels on an even grid.
func sample(img image.Image) []rgb {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	step := 1
	for (w/step)*(h/step) > maxSamples {
		step++
	}
	out := make([]rgb, 0, min(maxSamples, w*h))
	for y := b.Min.Y + step/2; y < b.Max.Y; y += step {
		for x := b.Min.X + step/2; x < b.Max.X; x += step {
			r, g, bl, a := img.At(x, y).RGBA()
			if a == 0 {
				continue
			}
			// Undo premultiplication.
			out = append(out, rgb{float64(r) * 255 / float64(a), float64(g) * 255 / float64(a), float64(bl) * 255 / float64(a)})
		}
	}
	return out
}

// seed picks initial centers: the means of the most populated cells of a
// 4×4×4 histogram, so results do not depend on randomness.
func seed(px []rgb) []rgb {
	type cell struct {
		sum rgb
		n   int
		id  int
	}
	cells := make([]cell, 64)
	for i := range cells {
		cells[i].id = i
	}
	for _, p := range px {
		i := int(p[0])/64*16 + int(p[1])/64*4 + int(p[2])/64
		cells[i].n++
		for ch := range 3 {
			cells[i].sum[ch] += p[ch]
		}
	}
	sort.Slice(cells, func(i, j int) bool {
		if cells[i].n != cells[j].n {
			return cells[i].n > cells[j].n
		}
		return cells[i].id < cells[j].id
	})
	centers := make([]rgb, colorK)
	for c := range centers {
		cl := cells[c]
		if cl.n == 0 {
			cl = cells[0]
		}
		for ch := range 3 {
			centers[c][ch] = cl.sum[ch] / float64(cl.n)
		}
	}
	return centers
}

// dist is the "redmean" weighted RGB distance, a cheap approximation of
// perceived color difference.
func dist(a, b rgb) float64 {
	rm := (a[0] + b[0]) / 2
	dr, dg, db := a[0]-b[0], a[1]-b[1], a[2]-b[2]
	return (2+rm/256)*dr*dr + 4*dg*dg + (2+(255-rm)/256)*db*db
}

func hex(c rgb) string {
	return fmt.Sprintf("#%02x%02x%02x", clamp(c[0]), clamp(c[1]), clamp(c[2]))
}

func clamp(v float64) uint8 { return uint8(math.Max(0, math.Min(255, math.Round(v)))) }

func nearestW3C(c rgb) (name, hexv string) {
	best := math.MaxFloat64
	for _, w := range w3cColors {
		wc := rgb{float64(w.rgb >> 16), float64(w.rgb >> 8 & 0xff), float64(w.rgb & 0xff)}
		if d := dist(c, wc); d < best {
			best, name, hexv = d, w.name, fmt.Sprintf("#%06x", w.rgb)
		}
	}
	return name, hexv
}
