package ocr_test

import (
	"context"
	"testing"

	"github.com/clavis-dev/clavis/internal/inference/modeltest"
	"github.com/clavis-dev/clavis/internal/inference/ocr"
)

// BenchmarkOCR measures Predict against the bare ONNX Runtime sessions run on
// the very tensors Predict builds, per image, so the cost of Clavis's pre-
// and post-processing shows as the ratio of Model to BareSessions in one run.
func BenchmarkOCR(b *testing.B) {
	m := load(b)
	det, rec := m.Sessions()
	for _, name := range []string{"scenetext01.jpg", "imageTextN.png"} {
		img := modeltest.Image(b, name)
		detIn, recIn, err := m.Tensors(img, ocr.RecBatch)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name+"/Model", func(b *testing.B) {
			for b.Loop() {
				if _, err := m.Predict(context.Background(), img); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"/BareSessions", func(b *testing.B) {
			for b.Loop() {
				if _, err := det.Run(context.Background(), detIn); err != nil {
					b.Fatal(err)
				}
				for _, in := range recIn {
					if _, err := rec.Run(context.Background(), in); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
		_, recIn6, err := m.Tensors(img, 6)
		if err != nil {
			b.Fatal(err)
		}
		// PaddleOCR's batching: six crops per run, padded to the widest.
		b.Run(name+"/BareSessionsBatch6", func(b *testing.B) {
			for b.Loop() {
				if _, err := det.Run(context.Background(), detIn); err != nil {
					b.Fatal(err)
				}
				for _, in := range recIn6 {
					if _, err := rec.Run(context.Background(), in); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
		b.Run(name+"/Detection", func(b *testing.B) {
			for b.Loop() {
				if _, err := det.Run(context.Background(), detIn); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
