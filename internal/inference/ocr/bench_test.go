package ocr

import (
	"context"
	"testing"

	"github.com/clavis-dev/clavis/internal/inference/modeltest"
	"github.com/clavis-dev/clavis/internal/setup"
)

// BenchmarkOCR compares the whole model (decode excluded: preprocessing,
// detection, box finding, cropping, recognition, decoding) with the bare
// ONNX Runtime sessions run on the very tensors the model feeds them, in
// the same run, so the overhead of Clavis's pre- and post-processing shows
// as a ratio.
func BenchmarkOCR(b *testing.B) {
	dir := modeltest.Init(b, setup.ModelOCR)
	m, err := New(dir)
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	ctx := context.Background()
	for _, name := range []string{"scenetext01.jpg", "imageTextN.png"} {
		img := modeltest.Image(b, name)
		b.Run(name+"/Model", func(b *testing.B) {
			for b.Loop() {
				if _, err := m.Predict(ctx, img); err != nil {
					b.Fatal(err)
				}
			}
		})
		det, rec := m.Sessions()
		detIn, recIns, err := m.Tensors(img)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name+"/BareSessions", func(b *testing.B) {
			for b.Loop() {
				if _, err := det.Run(ctx, detIn); err != nil {
					b.Fatal(err)
				}
				for _, in := range recIns {
					if _, err := rec.Run(ctx, in); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
