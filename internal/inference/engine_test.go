package inference_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/png"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/inference"
)

func pngBytes(t *testing.T, w, h int) []byte {
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, w, h))); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// predict runs e.Predict, which must not refuse the whole call.
func predict(t *testing.T, e *inference.Engine, reg *inference.Registered, in ...clavis.Input) []inference.Result {
	t.Helper()
	r, err := e.Predict(context.Background(), reg, in, clavis.OutputConfig{})
	if err != nil {
		t.Errorf("Predict: %v", err)
	}
	return r
}

func TestBusyWhenQueueFull(t *testing.T) {
	e := inference.NewEngine(inference.Config{Workers: 1, MaxQueue: 1})
	release := make(chan struct{})
	started := make(chan struct{}, 3)
	m := clavis.Model{ID: "slow", OwnerID: "o", AppID: "a"}
	e.Register(m, inference.RunnerFunc(func(ctx context.Context, img image.Image) (*clavis.Prediction, error) {
		started <- struct{}{}
		<-release
		return &clavis.Prediction{}, nil
	}))
	reg, err := e.Model(clavis.AppRef{OwnerID: "o", AppID: "a"}, "slow")
	if err != nil {
		t.Fatal(err)
	}
	img := pngBytes(t, 4, 4)
	done := make(chan []inference.Result)
	go func() {
		done <- predict(t, e, reg, clavis.Input{ImageBytes: img})
	}()
	<-started // the worker is busy
	go func() {
		done <- predict(t, e, reg, clavis.Input{ImageBytes: img})
	}()
	// Once the second input waits in the queue, a third overflows it.
	for deadline := time.Now().Add(10 * time.Second); e.Waiting() < 1; {
		if time.Now().After(deadline) {
			t.Fatal("the second input never queued")
		}
		runtime.Gosched()
	}
	third := predict(t, e, reg, clavis.Input{ImageBytes: img})
	if clavis.ErrorCode(third[0].Err) != clavis.EBusy {
		t.Fatalf("third input: %v, want EBusy", third[0].Err)
	}
	close(release)
	for range 2 {
		if r := <-done; r[0].Err != nil {
			t.Fatalf("queued input failed: %v", r[0].Err)
		}
	}
}

func TestDecodeLimits(t *testing.T) {
	e := inference.NewEngine(inference.Config{})
	m := clavis.Model{ID: "m", OwnerID: "o", AppID: "a"}
	e.Register(m, inference.RunnerFunc(func(ctx context.Context, img image.Image) (*clavis.Prediction, error) {
		return &clavis.Prediction{}, nil
	}))
	reg, _ := e.Model(clavis.AppRef{OwnerID: "o", AppID: "a"}, "m")
	// A PNG header claiming 10000x10000 pixels (100 MP) is refused before
	// any pixel is decoded.
	huge := pngBytes(t, 1, 1)
	huge[16], huge[17], huge[18], huge[19] = 0, 0, 0x27, 0x10
	huge[20], huge[21], huge[22], huge[23] = 0, 0, 0x27, 0x10
	binary.BigEndian.PutUint32(huge[29:33], crc32.ChecksumIEEE(huge[12:29]))
	for name, tc := range map[string]struct {
		in   clavis.Input
		code clavis.Code
	}{
		"TooManyPixels": {clavis.Input{ImageBytes: huge}, clavis.EInputTooLarge},
		"NotAnImage":    {clavis.Input{ImageBytes: []byte("plain text, not an image")}, clavis.EInputBytes},
		"Empty":         {clavis.Input{}, clavis.EInputInvalid},
		"Both":          {clavis.Input{ImageBytes: pngBytes(t, 2, 2), ImageURL: "http://x"}, clavis.EInputInvalid},
		"URLNoFetcher":  {clavis.Input{ImageURL: "http://example.com/x.png"}, clavis.EInputURL},
		"OK":            {clavis.Input{ImageBytes: pngBytes(t, 2, 2)}, ""},
	} {
		r := predict(t, e, reg, tc.in)
		if got := clavis.ErrorCode(r[0].Err); got != tc.code {
			t.Errorf("%s: %v, want %q", name, r[0].Err, tc.code)
		}
	}
}

func TestNotDeployed(t *testing.T) {
	e := inference.NewEngine(inference.Config{})
	app := clavis.AppRef{OwnerID: "o", AppID: "a"}
	e.Register(clavis.Model{ID: "absent", OwnerID: "o", AppID: "a", NotDeployed: "files missing: run setup"}, nil)
	e.Register(clavis.Model{ID: "unsaid", OwnerID: "o", AppID: "a"}, nil)
	if n := len(e.Models(app)); n != 2 {
		t.Fatalf("%d models listed, want both", n)
	}
	for id, want := range map[string]string{"absent": "files missing: run setup", "unsaid": `model "unsaid" is not deployed on this server`} {
		reg, err := e.Model(app, id)
		if err != nil {
			t.Fatalf("Model(%s): %v", id, err)
		}
		if reg.Model.NotDeployed != want {
			t.Errorf("%s: NotDeployed = %q, want %q", id, reg.Model.NotDeployed, want)
		}
		r, err := e.Predict(context.Background(), reg, []clavis.Input{{ImageBytes: pngBytes(t, 2, 2)}}, clavis.OutputConfig{})
		if clavis.ErrorCode(err) != clavis.EModelNotDeployed || clavis.ErrorMessage(err) != want || r != nil {
			t.Errorf("%s: Predict = %v, %v; want EModelNotDeployed %q and no results", id, r, err, want)
		}
	}
}

func TestApplyOutputConfig(t *testing.T) {
	cs := []clavis.Concept{{ID: "a", Name: "cat", Value: 0.9}, {ID: "b", Name: "dog", Value: 0.5}, {ID: "c", Name: "car", Value: 0.1}}
	for name, tc := range map[string]struct {
		cfg  clavis.OutputConfig
		want string
	}{
		"Default":      {clavis.OutputConfig{}, "abc"},
		"Max":          {clavis.OutputConfig{MaxConcepts: 2}, "ab"},
		"Min":          {clavis.OutputConfig{MinValue: 0.4}, "ab"},
		"SelectID":     {clavis.OutputConfig{SelectConcepts: []string{"c"}}, "c"},
		"SelectName":   {clavis.OutputConfig{SelectConcepts: []string{"DOG", "car"}}, "bc"},
		"SelectAndMax": {clavis.OutputConfig{SelectConcepts: []string{"dog", "car"}, MaxConcepts: 1}, "b"},
	} {
		got := ""
		for _, c := range inference.ApplyOutputConfig(cs, tc.cfg) {
			got += c.ID
		}
		if got != tc.want {
			t.Errorf("%s: %s, want %s", name, got, tc.want)
		}
	}
	if len(cs) != 3 || cs[0].ID != "a" {
		t.Fatal("ApplyOutputConfig changed its input")
	}
}

// predictions records what an Engine observes.
type predictions struct {
	mu  sync.Mutex
	got map[string]time.Duration // by error code, "" for success
}

func (p *predictions) ObservePrediction(model string, took time.Duration, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.got[model+"/"+string(clavis.ErrorCode(err))] = took
}

// TestObserver checks that each input's prediction is observed, with the
// time the model ran: none for an input that failed before it.
func TestObserver(t *testing.T) {
	o := &predictions{got: map[string]time.Duration{}}
	e := inference.NewEngine(inference.Config{Observer: o})
	m := clavis.Model{ID: "m", OwnerID: "o", AppID: "a"}
	e.Register(m, inference.RunnerFunc(func(ctx context.Context, img image.Image) (*clavis.Prediction, error) {
		if img.Bounds().Dx() == 3 {
			return nil, clavis.Internal(errors.New("the model broke"))
		}
		return &clavis.Prediction{}, nil
	}))
	reg, _ := e.Model(clavis.AppRef{OwnerID: "o", AppID: "a"}, "m")
	predict(t, e, reg, clavis.Input{ImageBytes: pngBytes(t, 2, 2)}, clavis.Input{}, clavis.Input{ImageBytes: pngBytes(t, 3, 3)})
	if len(o.got) != 3 || o.got["m/"] <= 0 || o.got["m/"+string(clavis.EPredictFailed)] <= 0 {
		t.Errorf("observed %v; want a success and a failure that ran the model", o.got)
	}
	if took, ok := o.got["m/"+string(clavis.EInputInvalid)]; !ok || took != 0 {
		t.Errorf("observed %v; want the empty input's failure with no model time", o.got)
	}
}
