package embedeval

import (
	"image"
	"image/color"
	"math"
)

// ThumbnailSize is the side of the tiny-image baseline's thumbnail.
const ThumbnailSize = 8

// Thumbnail returns the tiny-image vector of img, the baseline every
// embedder must beat: the image averaged over an 8 × 8 grid of cells
// (each channel of each cell the mean of its pixels), as 192 values with
// their mean subtracted, scaled to unit length.
func Thumbnail(img image.Image) []float32 {
	b := img.Bounds()
	const n = ThumbnailSize
	var sums [n * n * 3]float64
	var counts [n * n]float64
	for y := b.Min.Y; y < b.Max.Y; y++ {
		cy := (y - b.Min.Y) * n / b.Dy()
		for x := b.Min.X; x < b.Max.X; x++ {
			cx := (x - b.Min.X) * n / b.Dx()
			c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
			cell := cy*n + cx
			sums[3*cell] += float64(c.R)
			sums[3*cell+1] += float64(c.G)
			sums[3*cell+2] += float64(c.B)
			counts[cell]++
		}
	}
	var mean float64
	for i := range sums {
		sums[i] /= max(1, counts[i/3])
		mean += sums[i]
	}
	mean /= float64(len(sums))
	var ss float64
	for i := range sums {
		sums[i] -= mean
		ss += sums[i] * sums[i]
	}
	v := make([]float32, len(sums))
	if ss == 0 {
		return v
	}
	for i, s := range sums {
		v[i] = float32(s / math.Sqrt(ss))
	}
	return v
}
