package inference

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/clavis-dev/clavis/clavis"
)

// Fetcher downloads the bytes behind an image URL.
type Fetcher interface {
	Fetch(ctx context.Context, url string) ([]byte, error)
}

// Config configures an Engine. Zero fields take the defaults.
type Config struct {
	// Workers bounds how many predictions run at once (default GOMAXPROCS).
	Workers int
	// MaxQueue bounds how many inputs may wait for a worker; past it new
	// inputs are refused as busy at once (default 64 per worker).
	MaxQueue int
	// DecodeBudget bounds the bytes of all images being decoded at once,
	// each counted with every copy as decodeCost says (default
	// DefaultDecodeBudget). An image that alone needs more is refused
	// with EInputTooLarge; others wait for their share.
	DecodeBudget int64
	// FetchBudget bounds the bytes of fetched images held at once: each
	// fetch reserves MaxImageBytes until its size is known (default 256 MB).
	FetchBudget int64
	// Fetcher downloads URL inputs; nil refuses them.
	Fetcher Fetcher
	// Observer receives the outcome of every input's prediction; nil
	// means none.
	Observer Observer
	// LoadWait bounds how long Predict waits for a model registered
	// loading (RegisterLoading) to finish loading before it fails with
	// EModelLoading (default DefaultLoadWait; negative: no wait).
	LoadWait time.Duration
}

// Observer receives the outcome of each input's prediction, for metrics.
type Observer interface {
	// ObservePrediction records one input predicted by the model with the
	// id: the time the model ran on it (0 when the input failed before),
	// and the error, nil on success.
	ObservePrediction(model string, took time.Duration, err error)
}

// Engine holds the registered models and runs predictions through a bounded
// worker pool. It is safe for concurrent use.
type Engine struct {
	cfg      Config
	slots    chan struct{}
	waiting  atomic.Int64
	decoding *semaphore.Weighted
	fetched  *semaphore.Weighted

	mu     sync.RWMutex
	models map[clavis.AppRef][]*Registered
}

// Registered is a model with its runner.
type Registered struct {
	Model clavis.Model
	// Runner runs the model's predictions; nil when the model is not
	// deployed on this server (Model.NotDeployed says why) or is still
	// loading (Model.Loading).
	Runner Runner

	// loaded, for a model registered loading, is closed once the model is
	// registered again, with final, its registration after the load.
	loaded chan struct{}
	final  *Registered
}

// NewEngine returns an engine with no models.
func NewEngine(cfg Config) *Engine {
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	if cfg.MaxQueue <= 0 {
		cfg.MaxQueue = 64 * cfg.Workers
	}
	if cfg.DecodeBudget <= 0 {
		cfg.DecodeBudget = DefaultDecodeBudget
	}
	if cfg.FetchBudget < MaxImageBytes {
		cfg.FetchBudget = 256 << 20
	}
	if cfg.LoadWait == 0 {
		cfg.LoadWait = DefaultLoadWait
	}
	return &Engine{
		cfg: cfg, slots: make(chan struct{}, cfg.Workers), models: map[clavis.AppRef][]*Registered{},
		decoding: semaphore.NewWeighted(cfg.DecodeBudget), fetched: semaphore.NewWeighted(cfg.FetchBudget),
	}
}

// Register adds a model to the app named by its OwnerID and AppID. A model
// registered again under the same id replaces the earlier one.
//
// A nil r registers a model this server describes but cannot run: it is
// listed, and Predict refuses it with EModelNotDeployed and
// m.NotDeployed, which must then say why and how to fix that.
//
// Registering a model that was registered loading ends its load: Predict
// calls waiting for it go on with this registration.
func (e *Engine) Register(m clavis.Model, r Runner) {
	if r == nil && m.NotDeployed == "" {
		m.NotDeployed = fmt.Sprintf("model %q is not deployed on this server", m.ID)
	}
	m.Loading = false
	e.register(&Registered{Model: m, Runner: r})
}

// register adds reg, replacing the registration of the same model id and
// ending its load if it was loading.
func (e *Engine) register(reg *Registered) {
	e.mu.Lock()
	defer e.mu.Unlock()
	m := reg.Model
	ref := clavis.AppRef{OwnerID: m.OwnerID, AppID: m.AppID}
	list := e.models[ref]
	for i, old := range list {
		if old.Model.ID == m.ID {
			list[i] = reg
			if old.loaded != nil {
				// old is no longer listed, so this runs once for it.
				old.final = reg
				close(old.loaded)
			}
			return
		}
	}
	list = append(list, reg)
	sort.Slice(list, func(i, j int) bool { return list[i].Model.ID < list[j].Model.ID })
	e.models[ref] = list
}

// Models returns the models of an app, ordered by id.
func (e *Engine) Models(app clavis.AppRef) []*Registered {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return append([]*Registered(nil), e.models[app]...)
}

// Model returns a model of an app, or an EModelNotFound error.
func (e *Engine) Model(app clavis.AppRef, id string) (*Registered, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	for _, r := range e.models[app] {
		if r.Model.Is(id) {
			return r, nil
		}
	}
	return nil, clavis.Errorf(clavis.EModelNotFound, "model %q does not exist in app %s", id, app)
}

// Waiting returns how many inputs wait for a worker now.
func (e *Engine) Waiting() int { return int(e.waiting.Load()) }

// Result is the outcome for one input: a prediction or an error.
type Result struct {
	Prediction *clavis.Prediction
	Err        error
}

// Predict runs m on every input and returns one result per input, in order.
// Each input is fetched (for URLs), decoded under the pixel budget and
// predicted in a worker slot; when more inputs wait than the queue allows,
// the excess fails at once with EBusy. A model registered without a runner
// fails the whole call with EModelNotDeployed, before any input is read; a
// model still loading is waited for up to Config.LoadWait, then fails the
// whole call with EModelLoading.
func (e *Engine) Predict(ctx context.Context, m *Registered, inputs []clavis.Input, cfg clavis.OutputConfig) ([]Result, error) {
	m, err := e.await(ctx, m)
	if err != nil {
		return nil, err
	}
	if m.Runner == nil {
		return nil, clavis.Errorf(clavis.EModelNotDeployed, "%s", m.Model.NotDeployed)
	}
	out := make([]Result, len(inputs))
	var wg sync.WaitGroup
	for i := range inputs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p, took, err := e.predictOne(ctx, m, &inputs[i])
			if e.cfg.Observer != nil {
				e.cfg.Observer.ObservePrediction(m.Model.ID, took, err)
			}
			if err == nil {
				p.Concepts = ApplyOutputConfig(p.Concepts, cfg)
			}
			out[i] = Result{Prediction: p, Err: err}
		}()
	}
	wg.Wait()
	return out, nil
}

// predictOne predicts one input, and returns the time the model ran.
func (e *Engine) predictOne(ctx context.Context, m *Registered, in *clavis.Input) (*clavis.Prediction, time.Duration, error) {
	data := in.ImageBytes
	switch {
	case in.Other != "":
		return nil, 0, clavis.Errorf(clavis.EInputInvalid, "only image inputs are supported; this input carries %s", in.Other)
	case in.ImageURL != "" && len(in.ImageBytes) > 0:
		return nil, 0, clavis.Errorf(clavis.EInputInvalid, "the image has both a url and base64 bytes; send one")
	case in.ImageURL != "":
		var release func()
		var err error
		if data, release, err = e.FetchImage(ctx, in.ImageURL); err != nil {
			return nil, 0, err
		}
		defer release()
	case len(data) == 0:
		return nil, 0, clavis.Errorf(clavis.EInputInvalid, "the input has no data: set data.image.url or data.image.base64")
	}
	cfg, format, err := imageHeader(data)
	if err != nil {
		return nil, 0, err
	}
	copyBPP := 0
	if c, ok := m.Runner.(ImageCopier); ok {
		copyBPP = c.CopyBytesPerPixel()
	}
	cost := decodeCost(data, cfg, format, copyBPP)
	if cost > e.cfg.DecodeBudget {
		return nil, 0, clavis.Errorf(clavis.EInputTooLarge, "decoding this %dx%d %s image takes %d bytes; the server decodes at most %d bytes of images at once", cfg.Width, cfg.Height, format, cost, e.cfg.DecodeBudget)
	}

	if e.waiting.Add(1) > int64(e.cfg.MaxQueue) {
		e.waiting.Add(-1)
		return nil, 0, clavis.Errorf(clavis.EBusy, "the server is busy with other predictions; retry shortly")
	}
	select {
	case e.slots <- struct{}{}:
		e.waiting.Add(-1)
	case <-ctx.Done():
		e.waiting.Add(-1)
		return nil, 0, ctxErr(ctx)
	}
	defer func() { <-e.slots }()

	if err := e.decoding.Acquire(ctx, cost); err != nil {
		return nil, 0, ctxErr(ctx)
	}
	defer func() {
		if cost >= bigDecode {
			// Give the budget back only once its bytes are free, and
			// returned to the OS: the GC left alone lets the heap grow to
			// twice the budget first, and a freed range that small objects
			// fragment is not reused whole. Collecting costs what the live
			// heap does, small beside the garbage.
			debug.FreeOSMemory()
		}
		e.decoding.Release(cost)
	}()
	return e.decodeAndRun(ctx, m, data)
}

// bigDecode is the decode cost from which the engine collects garbage
// before it gives the budget back: 64 MiB, an 8-megapixel 16-bit PNG.
const bigDecode = 64 << 20

// decodeAndRun decodes data and runs the model on it; the image is garbage
// once it returns.
func (e *Engine) decodeAndRun(ctx context.Context, m *Registered, data []byte) (*clavis.Prediction, time.Duration, error) {
	img, err := decodeImage(data)
	if err != nil {
		return nil, 0, err
	}
	start := time.Now()
	p, err := m.Runner.Predict(ctx, img)
	took := time.Since(start)
	if err != nil {
		if clavis.ErrorCode(err) == clavis.EInternal {
			return nil, took, &clavis.Error{Code: clavis.EPredictFailed, Message: "the model failed on this input", Cause: err}
		}
		return nil, took, err
	}
	return p, took, nil
}

// FetchImage downloads the image behind url with the engine's fetcher, as
// Predict does for URL inputs: its bytes count against the fetch budget
// until release is called, once. It fails with EInputURL when the engine
// has no fetcher, EBusy when the context ends while it waits for the
// budget, and the fetcher's errors.
func (e *Engine) FetchImage(ctx context.Context, url string) (data []byte, release func(), err error) {
	if e.cfg.Fetcher == nil {
		return nil, nil, clavis.Errorf(clavis.EInputURL, "image URLs are not enabled on this server; send the image as base64 bytes")
	}
	// Reserve the most an image may take, then give back what it did not.
	if err := e.fetched.Acquire(ctx, MaxImageBytes); err != nil {
		return nil, nil, ctxErr(ctx)
	}
	data, err = e.cfg.Fetcher.Fetch(ctx, url)
	held := int64(min(len(data), MaxImageBytes))
	e.fetched.Release(MaxImageBytes - held)
	release = sync.OnceFunc(func() { e.fetched.Release(held) })
	if err != nil {
		release()
		return nil, nil, err
	}
	return data, release, nil
}

func ctxErr(ctx context.Context) error {
	return &clavis.Error{Code: clavis.EBusy, Message: "the request was cancelled or timed out while waiting", Cause: ctx.Err()}
}

// ApplyOutputConfig filters and truncates concepts, sorted by descending
// value, as a request's output_config asks: select_concepts (by id or
// name), then min_value, then max_concepts.
func ApplyOutputConfig(cs []clavis.Concept, cfg clavis.OutputConfig) []clavis.Concept {
	out := cs[:0:0]
	for _, c := range cs {
		if len(cfg.SelectConcepts) > 0 && !selected(c, cfg.SelectConcepts) {
			continue
		}
		if c.Value < cfg.MinValue {
			continue
		}
		out = append(out, c)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Value > out[j].Value })
	if cfg.MaxConcepts > 0 && len(out) > cfg.MaxConcepts {
		out = out[:cfg.MaxConcepts]
	}
	return out
}

func selected(c clavis.Concept, sel []string) bool {
	for _, s := range sel {
		if s == c.ID || strings.EqualFold(s, c.Name) {
			return true
		}
	}
	return false
}
