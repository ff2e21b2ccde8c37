package inference

import (
	"context"
	"image"

	"github.com/clavis-dev/clavis/clavis"
)

// Runner computes a prediction for one decoded image. Implementations must be
// safe for concurrent use; the engine bounds how many calls run at once.
//
// Concepts in the returned prediction are sorted by descending value; the
// engine applies a request's OutputConfig (max_concepts, min_value,
// select_concepts) afterwards, so runners return every concept they score.
type Runner interface {
	Predict(ctx context.Context, img image.Image) (*clavis.Prediction, error)
}

// RunnerFunc adapts a function to the Runner interface.
type RunnerFunc func(ctx context.Context, img image.Image) (*clavis.Prediction, error)

// Predict calls f.
func (f RunnerFunc) Predict(ctx context.Context, img image.Image) (*clavis.Prediction, error) {
	return f(ctx, img)
}

// Bare is implemented by runners whose prediction runs one ONNX Runtime
// session on one input tensor built from the image. Bare builds that
// tensor from img once and returns a function that runs the session alone
// on it (no decoding, no tensor building, no post-processing), for the
// benchmarks that tell the session's time from the rest.
type Bare interface {
	Bare(img image.Image) func(ctx context.Context) error
}
