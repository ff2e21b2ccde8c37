package main_test

import (
	"os"
	"sync"
	"testing"
	"time"

	"github.com/clavis-dev/clavis/internal/inference/modeltest"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"

	cmd "github.com/clavis-dev/clavis/cmd/clavis"
)

// BenchmarkPredict measures PostModelOutputs end to end on the real server
// (gRPC, authentication, decoding, the model) for each model on one image,
// and the throughput of OCR with 1, 2 and 8 concurrent callers. Compare with
// BenchmarkOCR (internal/inference/ocr) and BenchmarkModels
// (internal/inference/vision), which run the bare ONNX Runtime sessions on
// the same tensors: `make bench-go` runs them together; `make bench`
// (clavis bench) sets them against each other in one table.
func BenchmarkPredict(b *testing.B) {
	dir := modeltest.Init(b)
	s := startServer(b, func(c *cmd.Config) { c.ModelsDir = dir })
	ctx := as(s.pat)
	read := func(name string) []byte {
		data, err := os.ReadFile("../../../shared/testdata/images/" + name)
		if err != nil {
			b.Fatal(err)
		}
		return data
	}
	req := func(model, image string) *pb.PostModelOutputsRequest {
		return &pb.PostModelOutputsRequest{UserAppId: mainApp, ModelId: model, Inputs: []*pb.Input{imageInput(read(image))}}
	}
	for _, c := range []struct{ model, image string }{
		{"ocr-scene-english-paddleocr", "scenetext01.jpg"},
		{"general-image-recognition", "messi5.jpg"},
		{"general-image-detection", "messi5.jpg"},
		{"face-detection", "messi5.jpg"},
		{"nsfw-recognition", "messi5.jpg"},
		{"color-recognition", "messi5.jpg"},
	} {
		r := req(c.model, c.image)
		b.Run(c.model, func(b *testing.B) {
			for b.Loop() {
				resp, err := s.v2.PostModelOutputs(ctx, r)
				if err != nil || resp.GetStatus().GetCode() != 10000 {
					b.Fatal(err, resp.GetStatus())
				}
			}
		})
	}
	ocr := req("ocr-scene-english-paddleocr", "scenetext01.jpg")
	for _, callers := range []int{1, 2, 8} {
		b.Run("ocr-throughput/callers="+string(rune('0'+callers)), func(b *testing.B) {
			start := time.Now()
			var wg sync.WaitGroup
			per := max(1, b.N/callers)
			for range callers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range per {
						resp, err := s.v2.PostModelOutputs(ctx, ocr)
						if err != nil || resp.GetStatus().GetCode() != 10000 {
							b.Error(err, resp.GetStatus())
							return
						}
					}
				}()
			}
			wg.Wait()
			b.ReportMetric(float64(per*callers)/time.Since(start).Seconds(), "req/s")
		})
	}
}
