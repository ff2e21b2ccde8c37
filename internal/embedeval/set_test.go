package embedeval_test

import (
	"image"
	"image/color"
	"math"
	"testing"

	"github.com/clavis-dev/clavis/internal/embedeval"
)

// gradient returns a w × h image whose red grows left to right and green
// top to bottom.
func gradient(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetRGBA(x, y, color.RGBA{uint8(x * 255 / (w - 1)), uint8(y * 255 / (h - 1)), 100, 255})
		}
	}
	return img
}

func TestTransforms(t *testing.T) {
	src := gradient(100, 50)
	for _, tt := range []struct {
		t     embedeval.Transform
		size  image.Point
		check func(image.Image) bool
	}{
		{embedeval.Transform{}, image.Pt(100, 50), func(img image.Image) bool { return img.At(99, 49) == src.At(99, 49) }},
		{embedeval.Transform{Crop: [4]float64{0.5, 0, 1, 0.5}}, image.Pt(50, 25), func(img image.Image) bool { return img.At(0, 0) == src.At(50, 0) }},
		{embedeval.Transform{FlipH: true}, image.Pt(100, 50), func(img image.Image) bool { return img.At(0, 7) == src.At(99, 7) }},
		{embedeval.Transform{Scale: 0.5}, image.Pt(50, 25), nil},
		{embedeval.Transform{Grey: true}, image.Pt(100, 50), func(img image.Image) bool {
			r, g, b, _ := img.At(60, 10).RGBA()
			return r == g && g == b
		}},
		{embedeval.Transform{Brightness: 300}, image.Pt(100, 50), func(img image.Image) bool { return img.At(3, 3) == color.RGBA{255, 255, 255, 255} }},
		{embedeval.Transform{Tint: [3]int{0, 0, -100}}, image.Pt(100, 50), func(img image.Image) bool { _, _, b, _ := img.At(3, 3).RGBA(); return b == 0 }},
		{embedeval.Transform{JPEG: 50}, image.Pt(100, 50), nil},
	} {
		got, err := tt.t.Apply(src)
		if err != nil {
			t.Fatalf("%+v: %v", tt.t, err)
		}
		if got.Bounds().Size() != tt.size || tt.check != nil && !tt.check(got) {
			t.Errorf("%+v: size %v (want %v) or pixels wrong", tt.t, got.Bounds().Size(), tt.size)
		}
	}
	if _, err := (embedeval.Transform{Name: "nothing", Crop: [4]float64{0.5, 0.5, 0.5, 1}}).Apply(src); err == nil {
		t.Error("an empty crop was applied")
	}
}

// TestRecipeDeterministic applies the recipe twice: the copies are equal.
func TestRecipeDeterministic(t *testing.T) {
	orig := []embedeval.Original{{Group: "g", Name: "g.png", Image: gradient(64, 48)}}
	a, err := embedeval.Build(orig, embedeval.Recipe)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := embedeval.Build(orig, embedeval.Recipe)
	if len(a) != 1+len(embedeval.Recipe) || a[0].Transform != "" || a[1].Name != "g.png/"+embedeval.Recipe[0].Name {
		t.Fatalf("Build = %d items, first %+v", len(a), a[0])
	}
	for i := range a {
		if embedeval.Thumbnail(a[i].Image)[0] != embedeval.Thumbnail(b[i].Image)[0] {
			t.Errorf("%s differs between two builds", a[i].Name)
		}
	}
}

func TestEvaluate(t *testing.T) {
	items := []embedeval.Item{
		{Group: "a", Name: "a"}, {Group: "a", Name: "a/copy", Transform: "copy"},
		{Group: "b", Name: "b"}, {Group: "b", Name: "b/copy", Transform: "copy"},
	}
	v := func(x, y float64) []float32 { n := math.Hypot(x, y); return []float32{float32(x / n), float32(y / n)} }
	perfect := embedeval.Evaluate(items, [][]float32{v(1, 0), v(1, 0.1), v(0, 1), v(0.1, 1)})
	if perfect != (embedeval.Scores{Queries: 4, RecallAt1: 1, RecallAt5: 1, MAP: 1, OriginalAt1: 1}) {
		t.Errorf("perfect embedding: %+v", perfect)
	}
	// b's copy lies nearer a: its query ranks a's two items first.
	wrong := embedeval.Evaluate(items, [][]float32{v(1, 0), v(1, 0.1), v(0, 1), v(1, 0.2)})
	if wrong.RecallAt1 != 0.5 || wrong.OriginalAt1 != 0.5 || wrong.MAP >= 1 {
		t.Errorf("one copy astray: %+v", wrong)
	}
}

func TestThumbnail(t *testing.T) {
	v := embedeval.Thumbnail(gradient(80, 40))
	var ss, sum float64
	for _, x := range v {
		ss += float64(x) * float64(x)
		sum += float64(x)
	}
	if len(v) != 3*embedeval.ThumbnailSize*embedeval.ThumbnailSize || math.Abs(ss-1) > 1e-6 || math.Abs(sum) > 1e-5 {
		t.Errorf("Thumbnail: %d values, |v|² %v, sum %v; want 192 of unit length and zero mean", len(v), ss, sum)
	}
	// A flat image has no contrast: its vector is all zeros.
	flat := image.NewGray(image.Rect(0, 0, 16, 16))
	for _, x := range embedeval.Thumbnail(flat) {
		if x != 0 {
			t.Fatal("a flat image gives a non-zero thumbnail vector")
		}
	}
}
