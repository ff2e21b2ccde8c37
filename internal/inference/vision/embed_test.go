package vision_test

import (
	"context"
	"image"
	"math"
	"strings"
	"testing"

	"github.com/clavis-dev/clavis/internal/inference/manifest"
	"github.com/clavis-dev/clavis/internal/inference/modeltest"
	"github.com/clavis-dev/clavis/internal/inference/onnx"
	"github.com/clavis-dev/clavis/internal/inference/vision"
)

func dot(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}

// mirror returns img flipped left to right.
func mirror(img image.Image) image.Image {
	b := img.Bounds()
	out := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			out.Set(b.Dx()-1-x, y, img.At(b.Min.X+x, b.Min.Y+y))
		}
	}
	return out
}

func TestImageEmbedder(t *testing.T) {
	dir := modeltest.Init(t, manifest.MobileNetFeatures.Name)
	e, err := vision.NewImageEmbedder(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if e.Dim() != 1792 {
		t.Errorf("Dim() = %d, want 1792", e.Dim())
	}
	ctx := context.Background()
	vecs := map[string][]float32{}
	for _, name := range images {
		v, err := e.Embed(ctx, loadImage(t, name))
		if err != nil {
			t.Fatal(err)
		}
		if n := dot(v, v); math.Abs(n-1) > 1e-5 || len(v) != e.Dim() {
			t.Errorf("%s: %d values of squared length %v, want %d of length 1", name, len(v), n, e.Dim())
		}
		vecs[name] = v
	}
	for _, name := range images {
		flipped, err := e.Embed(ctx, mirror(loadImage(t, name)))
		if err != nil {
			t.Fatal(err)
		}
		own := dot(flipped, vecs[name])
		for _, other := range images {
			if other != name && dot(flipped, vecs[other]) >= own {
				t.Errorf("mirrored %s is as near %s (%.3f) as its original (%.3f)", name, other, dot(flipped, vecs[other]), own)
			}
		}
	}
	p, err := e.Predict(ctx, loadImage(t, images[0]))
	if err != nil || len(p.Embeddings) != 1 || dot(p.Embeddings[0].Vector, vecs[images[0]]) < 1-1e-6 {
		t.Fatalf("Predict = %+v, %v; want the image's one embedding", p, err)
	}
	if _, err := e.Embed(ctx, image.NewRGBA(image.Rect(0, 0, 0, 3))); err == nil {
		t.Error("an empty image was embedded")
	}
}

func TestNewEmbedderRefuses(t *testing.T) {
	dir := modeltest.Init(t, manifest.NanoDet.Name, manifest.NSFWMobileNet.Name)
	open := func(a *manifest.Asset) *onnx.Session {
		s, err := onnx.NewSession(manifest.Path(dir, a.Convert.Dest), onnx.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	for _, tt := range []struct {
		name       string
		asset      *manifest.Asset
		preprocess string
		want       string
	}{
		{"UnknownPreprocessing", manifest.NSFWMobileNet, "resize-999", `no embedding preprocessing named "resize-999"`},
		{"SeveralOutputs", manifest.NanoDet, "letterbox-416-bgr-meanstd", "6 outputs, want 1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := vision.NewEmbedder(open(tt.asset), tt.preprocess); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("NewEmbedder error %v, want one containing %q", err, tt.want)
			}
		})
	}
}
