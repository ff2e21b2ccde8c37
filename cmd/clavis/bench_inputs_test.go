package main_test

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/clavis-dev/clavis/internal/inference/modeltest"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"

	cmd "github.com/clavis-dev/clavis/cmd/clavis"
)

// variants returns n distinct JPEGs of one photo: bytes after the image's
// end marker change its digest, not its pixels, so that every input stores
// an image of its own.
func variants(b *testing.B, n int) [][]byte {
	data, err := os.ReadFile("../../../shared/testdata/images/messi5.jpg")
	if err != nil {
		b.Fatal(err)
	}
	out := make([][]byte, n)
	for i := range out {
		out[i] = append(append([]byte(nil), data...), fmt.Sprintf("variant %d", i)...)
	}
	return out
}

// BenchmarkInputs measures, on one server with the models installed, in
// inputs per second:
//
//   - Predict: PostModelOutputs of the base model (general-image-recognition)
//     on batches of 32 images, the bare prediction rate, the baseline;
//   - Process: adding batches of 32 images and waiting until the
//     background has stored and annotated every one (it predicts each with
//     the same model);
//   - PostInputs: adding batches of 128 images to a server without models,
//     which stores them (each image a synced file) and queues their jobs:
//     what a client waits for.
func BenchmarkInputs(b *testing.B) {
	dir := modeltest.Init(b)
	s := startServer(b, func(c *cmd.Config) { c.ModelsDir = dir })
	s.newApp(b, s.pat, "bench", false)
	ctx := as(s.pat)
	bench := appIDs("admin", "bench")
	imgs := variants(b, 1<<14)
	next := 0
	batch := func(n int) []*pb.Input {
		ins := make([]*pb.Input, n)
		for i := range ins {
			ins[i] = &pb.Input{Data: &pb.Data{Image: &pb.Image{Base64: imgs[next%len(imgs)]}}}
			next++
		}
		return ins
	}
	rate := func(b *testing.B, inputs int, start time.Time) {
		b.ReportMetric(float64(inputs)/time.Since(start).Seconds(), "inputs/s")
	}

	// The model's first runs are slower: warm it up before any timing.
	warm := &pb.PostModelOutputsRequest{UserAppId: mainApp, ModelId: "general-image-recognition", Inputs: batch(8)}
	if r, err := s.v2.PostModelOutputs(ctx, warm); err != nil || r.GetStatus().GetCode() != st.StatusCode_SUCCESS {
		b.Fatal(err, r.GetStatus())
	}
	b.Run("Predict", func(b *testing.B) {
		req := &pb.PostModelOutputsRequest{UserAppId: mainApp, ModelId: "general-image-recognition", Inputs: batch(32)}
		start, n := time.Now(), 0
		for b.Loop() {
			r, err := s.v2.PostModelOutputs(ctx, req)
			if err != nil || r.GetStatus().GetCode() != st.StatusCode_SUCCESS {
				b.Fatal(err, r.GetStatus())
			}
			n += 32
		}
		rate(b, n, start)
	})
	b.Run("Process", func(b *testing.B) {
		start, n := time.Now(), 0
		for i := 0; b.Loop(); i++ {
			job := fmt.Sprintf("process-%d", i)
			r, err := s.v2.PostInputs(ctx, &pb.PostInputsRequest{UserAppId: bench, InputsAddJobId: job, Inputs: batch(32)})
			if err != nil || r.GetStatus().GetCode() != st.StatusCode_SUCCESS {
				b.Fatal(err, r.GetStatus())
			}
			for {
				j, err := s.v2.GetInputsAddJob(ctx, &pb.GetInputsAddJobRequest{UserAppId: bench, Id: job})
				if err != nil {
					b.Fatal(err)
				}
				if p := j.GetInputsAddJob().GetProgress(); p.GetPendingCount()+p.GetInProgressCount() == 0 {
					if p.GetSuccessCount() != 32 {
						b.Fatalf("progress %v", p)
					}
					break
				}
				time.Sleep(2 * time.Millisecond)
			}
			n += 32
		}
		rate(b, n, start)
	})

	bare := startServer(b)
	bare.newApp(b, bare.pat, "bench", false)
	b.Run("PostInputs", func(b *testing.B) {
		start, n := time.Now(), 0
		for b.Loop() {
			r, err := bare.v2.PostInputs(as(bare.pat), &pb.PostInputsRequest{UserAppId: bench, Inputs: batch(128)})
			if err != nil || r.GetStatus().GetCode() != st.StatusCode_SUCCESS {
				b.Fatal(err, r.GetStatus())
			}
			n += 128
		}
		rate(b, n, start)
	})
}
