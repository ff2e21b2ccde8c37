package inference_test

import (
	"context"
	"image"
	"sync"
	"testing"
	"time"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/inference"
)

var loadingApp = clavis.AppRef{OwnerID: "o", AppID: "a"}

func okRunner() inference.Runner {
	return inference.RunnerFunc(func(context.Context, image.Image) (*clavis.Prediction, error) {
		return &clavis.Prediction{Concepts: []clavis.Concept{{ID: "x", Value: 1}}}, nil
	})
}

func loadingModel(t *testing.T, e *inference.Engine) (clavis.Model, *inference.Registered) {
	t.Helper()
	m := clavis.Model{ID: "slow", OwnerID: "o", AppID: "a"}
	e.RegisterLoading(m)
	reg, err := e.Model(loadingApp, "slow")
	if err != nil {
		t.Fatal(err)
	}
	if !reg.Model.Loading || !reg.Loading() || reg.Runner != nil {
		t.Fatalf("registered loading: Model.Loading %v, Loading() %v, runner %v", reg.Model.Loading, reg.Loading(), reg.Runner)
	}
	return m, reg
}

// TestLoadingWaitsForTheLoad: predictions with the registration taken while
// the model loaded go on with the runner once it is registered, however
// many there are at once (run with -race).
func TestLoadingWaitsForTheLoad(t *testing.T) {
	e := inference.NewEngine(inference.Config{LoadWait: time.Minute})
	m, reg := loadingModel(t, e)
	img := pngBytes(t, 4, 4)
	var wg sync.WaitGroup
	errs := make([]error, 16)
	for i := range errs {
		wg.Go(func() {
			res, err := e.Predict(context.Background(), reg, []clavis.Input{{ImageBytes: img}}, clavis.OutputConfig{})
			if err == nil {
				err = res[0].Err
			}
			errs[i] = err
		})
	}
	e.Register(m, okRunner())
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("prediction %d: %v", i, err)
		}
	}
	if reg.Loading() {
		t.Error("the old registration still says loading")
	}
	now, _ := e.Model(loadingApp, "slow")
	if now.Runner == nil || now.Model.Loading || now.Loading() {
		t.Errorf("after the load: runner %v, Model.Loading %v", now.Runner, now.Model.Loading)
	}
	got, err := e.Loaded(context.Background(), reg)
	if err != nil || got != now {
		t.Errorf("Loaded = %p, %v; want the new registration %p", got, err, now)
	}
}

// TestLoadingAnswersModelLoading: a model whose load does not end within
// the wait fails the whole call with EModelLoading, saying to retry.
func TestLoadingAnswersModelLoading(t *testing.T) {
	for _, wait := range []time.Duration{time.Millisecond, -1} {
		e := inference.NewEngine(inference.Config{LoadWait: wait})
		_, reg := loadingModel(t, e)
		_, err := e.Predict(context.Background(), reg, []clavis.Input{{ImageBytes: pngBytes(t, 4, 4)}}, clavis.OutputConfig{})
		if clavis.ErrorCode(err) != clavis.EModelLoading || clavis.RetryAfter(err) <= 0 {
			t.Errorf("wait %v: %v (retry after %v), want EModelLoading with a retry-after", wait, err, clavis.RetryAfter(err))
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := e.Loaded(ctx, reg); clavis.ErrorCode(err) != clavis.EModelLoading {
			t.Errorf("Loaded with a cancelled context: %v, want EModelLoading", err)
		}
	}
}

// TestLoadingFailed: a load that ends without a runner answers as a model
// not deployed, with the reason it was registered with.
func TestLoadingFailed(t *testing.T) {
	e := inference.NewEngine(inference.Config{LoadWait: time.Minute})
	m, reg := loadingModel(t, e)
	m.NotDeployed = "model \"slow\" failed to load"
	e.Register(m, nil)
	_, err := e.Predict(context.Background(), reg, []clavis.Input{{ImageBytes: pngBytes(t, 4, 4)}}, clavis.OutputConfig{})
	if clavis.ErrorCode(err) != clavis.EModelNotDeployed || clavis.ErrorMessage(err) != m.NotDeployed {
		t.Errorf("%v, want EModelNotDeployed %q", err, m.NotDeployed)
	}
	if got, err := e.Loaded(context.Background(), reg); err != nil || got.Runner != nil || got.Model.Loading {
		t.Errorf("Loaded = %+v, %v; want the not-deployed registration", got, err)
	}
}
