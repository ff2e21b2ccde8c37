package loader

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/inference"
	"github.com/clavis-dev/clavis/internal/inference/builtin"
	"github.com/clavis-dev/clavis/internal/inference/manifest"
	"github.com/clavis-dev/clavis/internal/inference/ocr"
	"github.com/clavis-dev/clavis/internal/inference/onnx"
	"github.com/clavis-dev/clavis/internal/inference/vision"
)

// A loader opens what the models naming it need from the models dir and
// returns their runners by model id, with what closes them (nil when
// nothing needs closing).
type loader func(modelsDir string) (map[string]inference.Runner, io.Closer, error)

// loaders holds the code of each loader the manifest names.
var loaders = map[string]loader{
	"color": func(string) (map[string]inference.Runner, io.Closer, error) {
		return map[string]inference.Runner{manifest.ColorRecognition.ID: builtin.Color{}}, nil, nil
	},
	"ppocr":     single(manifest.OCR, ocr.New),
	"blazeface": single(manifest.FaceDetection, vision.NewFaces),
	"nsfwjs":    single(manifest.NSFWRecognition, vision.NewNSFW),
	"embedding": single(manifest.GeneralImageEmbedding, vision.NewImageEmbedder),
	// One NanoDet session serves both models.
	"nanodet": func(dir string) (map[string]inference.Runner, io.Closer, error) {
		d, err := vision.NewNanoDet(dir)
		if err != nil {
			return nil, nil, err
		}
		return map[string]inference.Runner{
			manifest.GeneralImageRecognition.ID: d.Recognition(),
			manifest.GeneralImageDetection.ID:   d.Detection(),
		}, d, nil
	},
}

// single makes the loader of a runner that serves the one model m.
func single[R interface {
	inference.Runner
	io.Closer
}](m manifest.Model, open func(modelsDir string) (R, error)) loader {
	return func(dir string) (map[string]inference.Runner, io.Closer, error) {
		r, err := open(dir)
		if err != nil {
			return nil, nil, err
		}
		return map[string]inference.Runner{m.ID: r}, r, nil
	}
}

// Loaded is what loading did: which models predict, which are not
// installed, which failed to load, and what to close when the server
// stops. NotInstalled is complete once Register returns; Ready and Failed
// once Done is closed. Its methods are safe for concurrent use.
type Loaded struct {
	// Ready holds the ids of the models that predict, in manifest order.
	Ready []string
	// NotInstalled holds the ids of the models whose files are missing
	// from the models dir.
	NotInstalled []string
	// Failed holds the models whose files are there but did not load, in
	// manifest order.
	Failed []Failure
	// Took is how long the loads took, from Start to Done.
	Took time.Duration

	e         *inference.Engine
	modelsDir string
	groups    []group // installed, to load
	done      chan struct{}

	mu      sync.Mutex
	pending map[string]bool // ids of the models still loading
	started bool
	closed  bool
	closers []io.Closer
}

// group is the models that name one loader.
type group struct {
	name   string
	models []manifest.Model
}

// Failure is a model that did not load, and why (for the server log).
type Failure struct {
	Model string
	Err   error
}

// Load registers every model of manifest.Models with e and loads them, one
// loader after another, before it returns: Register, then Start and wait
// for Done.
func Load(e *inference.Engine, modelsDir string) *Loaded {
	l := Register(e, modelsDir)
	l.Start(1)
	<-l.Done()
	return l
}

// Register registers every model of manifest.Models with e, without
// loading any. A model whose files (or, for an ONNX model, the ONNX
// Runtime library) are missing from modelsDir is registered without a
// runner: it is listed, and predictions answer EModelNotDeployed with a
// message saying it is not installed on this server and the `clavis
// setup` command that installs it. The others are registered loading
// (inference.Engine.RegisterLoading) until Start loads them.
func Register(e *inference.Engine, modelsDir string) *Loaded {
	l := &Loaded{e: e, modelsDir: modelsDir, done: make(chan struct{}), pending: map[string]bool{}}
	var names []string
	groups := map[string][]manifest.Model{}
	for _, m := range manifest.Models {
		if _, seen := groups[m.Loader]; !seen {
			names = append(names, m.Loader)
		}
		groups[m.Loader] = append(groups[m.Loader], m)
	}
	for _, name := range names {
		models := groups[name]
		if !installed(modelsDir, models) {
			for _, m := range models {
				e.Register(notDeployed(m, fmt.Sprintf("model %q is not installed on this server: its files are missing from the models dir %s; %s on the server, then restart it",
					m.ID, modelsDir, manifest.InstallHint(modelsDir))), nil)
				l.NotInstalled = append(l.NotInstalled, m.ID)
			}
			continue
		}
		for _, m := range models {
			e.RegisterLoading(m.Describe())
			l.pending[m.ID] = true
		}
		l.groups = append(l.groups, group{name, models})
	}
	return l
}

// installed reports whether the files of every model of a group, and the
// ONNX Runtime library if one needs it, are in modelsDir.
func installed(modelsDir string, models []manifest.Model) bool {
	for _, m := range models {
		if m.Asset != nil && m.Asset.Missing(modelsDir) != nil {
			return false
		}
		if m.Version.Runtime == clavis.RuntimeONNX && manifest.ONNXRuntime.Missing(modelsDir) != nil {
			return false
		}
	}
	return true
}

// Start loads the models Register found installed, in the background,
// parallel loaders at once (at least one), in manifest order; each model
// predicts as soon as its loader is done. Done is closed once every load
// ended. Start loads ONNX Runtime, from the library in the models dir,
// when a model needs it. Calls after the first, or after Close, do
// nothing.
func (l *Loaded) Start(parallel int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.started || l.closed {
		return
	}
	l.started = true
	parallel = max(1, min(parallel, len(l.groups)))
	begin := time.Now()
	next := make(chan group)
	var wg sync.WaitGroup
	for range parallel {
		wg.Go(func() {
			for g := range next {
				l.loadGroup(g)
			}
		})
	}
	go func() {
		for _, g := range l.groups {
			next <- g
		}
		close(next)
		wg.Wait()
		l.mu.Lock()
		l.Took = time.Since(begin)
		l.Ready = inManifestOrder(l.Ready, func(id string) string { return id })
		l.Failed = inManifestOrder(l.Failed, func(f Failure) string { return f.Model })
		l.mu.Unlock()
		close(l.done)
	}()
}

// inManifestOrder sorts items by the manifest's order of their model ids.
func inManifestOrder[T any](items []T, id func(T) string) []T {
	rank := map[string]int{}
	for i, m := range manifest.Models {
		rank[m.ID] = i
	}
	slices.SortStableFunc(items, func(a, b T) int { return rank[id(a)] - rank[id(b)] })
	return items
}

// Done returns a channel closed once every load that Start began ended.
func (l *Loaded) Done() <-chan struct{} { return l.done }

// Pending returns the ids of the models still loading, in manifest order.
func (l *Loaded) Pending() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var ids []string
	for _, m := range manifest.Models {
		if l.pending[m.ID] {
			ids = append(ids, m.ID)
		}
	}
	return ids
}

// Close waits for the loads Start began, then releases the sessions of the
// loaded models.
func (l *Loaded) Close() error {
	l.mu.Lock()
	started := l.started
	l.closed = true
	l.mu.Unlock()
	if started {
		<-l.done
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	var errs []error
	for _, c := range l.closers {
		errs = append(errs, c.Close())
	}
	l.closers = nil
	return errors.Join(errs...)
}

// loadGroup loads the models of g and registers each, with its runner or,
// when the load failed, as not deployed.
func (l *Loaded) loadGroup(g group) {
	needsONNX := false
	for _, m := range g.models {
		needsONNX = needsONNX || m.Version.Runtime == clavis.RuntimeONNX
	}
	runners, closer, err := load(g.name, l.modelsDir, needsONNX)
	l.mu.Lock()
	defer l.mu.Unlock()
	if closer != nil {
		l.closers = append(l.closers, closer)
	}
	for _, m := range g.models {
		r, ok := runners[m.ID]
		switch {
		case err != nil:
			l.fail(m, err)
		case !ok:
			l.fail(m, fmt.Errorf("loader %q gave no runner for %s", g.name, m.ID))
		default:
			l.e.Register(m.Describe(), r)
			l.Ready = append(l.Ready, m.ID)
		}
		delete(l.pending, m.ID)
	}
}

// fail registers m as not deployed because it failed to load with err.
func (l *Loaded) fail(m manifest.Model, err error) {
	l.e.Register(notDeployed(m, fmt.Sprintf("model %q failed to load on this server (the server log says why); %s on the server to repair its files, then restart it",
		m.ID, manifest.InstallHint(l.modelsDir))), nil)
	l.Failed = append(l.Failed, Failure{Model: m.ID, Err: err})
}

// load runs the loader name, after initialising ONNX Runtime if it needs
// it: this is where the server loads the runtime (onnx.Init loads it once
// per process and answers later calls from that).
func load(name, modelsDir string, needsONNX bool) (map[string]inference.Runner, io.Closer, error) {
	f, ok := loaders[name]
	if !ok {
		return nil, nil, fmt.Errorf("no loader named %q", name)
	}
	if needsONNX {
		if err := onnx.Init(manifest.ONNXRuntimeLibrary(modelsDir)); err != nil {
			return nil, nil, err
		}
	}
	return f(modelsDir)
}

// notDeployed describes m as not deployed on this server, for why.
func notDeployed(m manifest.Model, why string) clavis.Model {
	d := m.Describe()
	d.NotDeployed = why
	return d
}
