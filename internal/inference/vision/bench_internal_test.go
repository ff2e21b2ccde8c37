package vision

import (
	"context"
	"image"
	"testing"

	"github.com/clavis-dev/clavis/internal/inference"
	"github.com/clavis-dev/clavis/internal/inference/modeltest"
	"github.com/clavis-dev/clavis/internal/inference/onnx"
)

// BenchmarkModels compares each vision model as Clavis runs it (resize,
// tensor layout, session, decoding of the outputs) with its bare ONNX
// Runtime session run on the very tensor the model builds, in the same run.
func BenchmarkModels(b *testing.B) {
	dir := modeltest.Init(b)
	img := modeltest.Image(b, "messi5.jpg")
	det, err := NewNanoDet(dir)
	if err != nil {
		b.Fatal(err)
	}
	defer det.Close()
	faces, err := NewFaces(dir)
	if err != nil {
		b.Fatal(err)
	}
	defer faces.Close()
	nsfw, err := NewNSFW(dir)
	if err != nil {
		b.Fatal(err)
	}
	defer nsfw.Close()
	for _, m := range []struct {
		name   string
		runner inference.Runner
		s      *onnx.Session
		layout layout
	}{
		{"general-image-recognition", det.Recognition(), det.s, nanodetLayout},
		{"general-image-detection", det.Detection(), det.s, nanodetLayout},
		{"face-detection", faces, faces.s, blazefaceLayout},
		{"nsfw-recognition", nsfw, nsfw.s, nsfwLayout},
	} {
		benchPair(b, m.name, img, m.runner, m.s, m.layout)
	}
}

func benchPair(b *testing.B, name string, img image.Image, r inference.Runner, s *onnx.Session, l layout) {
	ctx := context.Background()
	b.Run(name+"/Model", func(b *testing.B) {
		for b.Loop() {
			if _, err := r.Predict(ctx, img); err != nil {
				b.Fatal(err)
			}
		}
	})
	shape, data := l.tensor(img)
	b.Run(name+"/BareSession", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.Run(ctx, onnx.Tensor{Shape: shape, Data: data}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
