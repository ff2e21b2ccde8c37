package loader

import (
	"errors"
	"fmt"
	"io"

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

// Loaded is what Load did: which models predict, which are not installed,
// which failed to load, and what to close when the server stops.
type Loaded struct {
	// Ready holds the ids of the models that predict, in manifest order.
	Ready []string
	// NotInstalled holds the ids of the models whose files are missing
	// from the models dir.
	NotInstalled []string
	// Failed holds the models whose files are there but did not load.
	Failed []Failure

	closers []io.Closer
}

// Failure is a model that did not load, and why (for the server log).
type Failure struct {
	Model string
	Err   error
}

// Close releases the sessions of the loaded models.
func (l *Loaded) Close() error {
	var errs []error
	for _, c := range l.closers {
		errs = append(errs, c.Close())
	}
	return errors.Join(errs...)
}

// Load registers every model of manifest.Models with e. A model whose
// files (or, for an ONNX model, the ONNX Runtime library) are missing from
// modelsDir, or that fails to load, is registered without a runner: it is
// listed, and predictions answer EModelNotDeployed with a message saying it
// is not installed on this server and the `clavis setup` command that
// installs it. Load initialises ONNX Runtime, from the library in
// modelsDir, when an installed model needs it. Models naming one loader are
// loaded together, once.
func Load(e *inference.Engine, modelsDir string) *Loaded {
	l := &Loaded{}
	var names []string
	groups := map[string][]manifest.Model{}
	for _, m := range manifest.Models {
		if _, seen := groups[m.Loader]; !seen {
			names = append(names, m.Loader)
		}
		groups[m.Loader] = append(groups[m.Loader], m)
	}
	for _, name := range names {
		l.loadGroup(e, modelsDir, name, groups[name])
	}
	return l
}

// loadGroup registers the models that name the loader name.
func (l *Loaded) loadGroup(e *inference.Engine, modelsDir, name string, models []manifest.Model) {
	installed, needsONNX := true, false
	for _, m := range models {
		installed = installed && (m.Asset == nil || m.Asset.Missing(modelsDir) == nil)
		needsONNX = needsONNX || m.Version.Runtime == clavis.RuntimeONNX
	}
	if needsONNX && manifest.ONNXRuntime.Missing(modelsDir) != nil {
		installed = false
	}
	if !installed {
		for _, m := range models {
			e.Register(notDeployed(m, fmt.Sprintf("model %q is not installed on this server: its files are missing from the models dir %s; %s on the server, then restart it",
				m.ID, modelsDir, manifest.InstallHint(modelsDir))), nil)
			l.NotInstalled = append(l.NotInstalled, m.ID)
		}
		return
	}
	runners, closer, err := load(name, modelsDir, needsONNX)
	if closer != nil {
		l.closers = append(l.closers, closer)
	}
	for _, m := range models {
		r, ok := runners[m.ID]
		switch {
		case err != nil:
			l.fail(e, modelsDir, m, err)
		case !ok:
			l.fail(e, modelsDir, m, fmt.Errorf("loader %q gave no runner for %s", name, m.ID))
		default:
			e.Register(m.Describe(), r)
			l.Ready = append(l.Ready, m.ID)
		}
	}
}

// fail registers m as not deployed because it failed to load with err.
func (l *Loaded) fail(e *inference.Engine, modelsDir string, m manifest.Model, err error) {
	e.Register(notDeployed(m, fmt.Sprintf("model %q failed to load on this server (the server log says why); %s on the server to repair its files, then restart it",
		m.ID, manifest.InstallHint(modelsDir))), nil)
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
