package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/clavis-dev/clavis/internal/inference/loader"
	"github.com/clavis-dev/clavis/internal/inference/manifest"
	"github.com/clavis-dev/clavis/internal/inference/onnx"
	"github.com/clavis-dev/clavis/internal/probe"
)

// DefaultModelLoaders is how many models load at once at start when
// --model-loaders is 0.
const DefaultModelLoaders = 1

// registerModels registers the built-in models of the manifest with the
// engine, without loading them (Start does, behind the listener): those
// installed as loading, the others as not deployed. It logs once which are
// not installed (they answer 21353 MODEL_NOT_DEPLOYED) with the command
// that installs them.
func (s *Server) registerModels() {
	dir := s.cfg.modelsDir()
	l := loader.Register(s.engine, dir)
	s.models = l
	s.closers = append(s.closers, l)
	if len(l.NotInstalled) > 0 {
		s.log.Warn("models not installed; they answer 21353 MODEL_NOT_DEPLOYED", "models", l.NotInstalled,
			"models_dir", dir, "fix", manifest.InstallHint(dir)+", then restart")
	}
}

// loadModels starts loading the installed models in the background; once
// they are loaded it logs which failed to load and why, and which are
// ready, and checks readiness at once, so that the gRPC health status
// turns SERVING without waiting for the next periodic check.
func (s *Server) loadModels() {
	n := s.cfg.ModelLoaders
	if n == 0 {
		n = DefaultModelLoaders
	}
	l := s.models
	if hold := s.holdModels; hold != nil {
		go func() { <-hold; l.Start(n) }()
	} else {
		l.Start(n)
	}
	s.modelsLogged = make(chan struct{})
	go func() {
		defer close(s.modelsLogged)
		<-l.Done()
		dir := s.cfg.modelsDir()
		for _, f := range l.Failed {
			s.log.Error("model failed to load; it answers 21353 MODEL_NOT_DEPLOYED", "model", f.Model, "err", f.Err,
				"fix", manifest.InstallHint(dir)+" to repair its files, then restart")
		}
		attrs := []any{"models", l.Ready, "took", l.Took}
		if v := onnx.Version(); v != "" {
			attrs = append(attrs, "onnxruntime", v)
		}
		s.log.Info("models ready", attrs...)
		s.ready.Check(context.Background())
	}()
}

// WaitModels returns once the models that were loading at start are
// loaded (or failed to), or ctx ends.
func (s *Server) WaitModels(ctx context.Context) error {
	select {
	case <-s.models.Done():
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// modelsCheck is the readiness check of the models: not ready while some
// load, nor when some failed to load. Models that are not installed leave
// the server ready: they answer 21353 MODEL_NOT_DEPLOYED by design.
func (s *Server) modelsCheck(context.Context) error {
	select {
	case <-s.models.Done():
	default:
		return probe.Fail("loading: "+strings.Join(s.models.Pending(), ", "), nil)
	}
	if f := s.models.Failed; len(f) > 0 {
		ids := make([]string, len(f))
		for i, m := range f {
			ids[i] = m.Model
		}
		return probe.Fail(fmt.Sprintf("models failed to load: %s (the server log says why)", strings.Join(ids, ", ")), nil)
	}
	return nil
}
