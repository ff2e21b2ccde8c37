package main

import (
	"github.com/clavis-dev/clavis/internal/inference/loader"
	"github.com/clavis-dev/clavis/internal/inference/manifest"
	"github.com/clavis-dev/clavis/internal/inference/onnx"
)

// registerModels registers the built-in models of the manifest with the
// engine, and logs once which are not installed (they answer 21353
// MODEL_NOT_DEPLOYED) with the command that installs them, and which failed
// to load and why.
func (s *Server) registerModels() {
	dir := s.cfg.modelsDir()
	l := loader.Load(s.engine, dir)
	s.models = l
	s.closers = append(s.closers, l)
	if len(l.NotInstalled) > 0 {
		s.log.Warn("models not installed; they answer 21353 MODEL_NOT_DEPLOYED", "models", l.NotInstalled,
			"models_dir", dir, "fix", manifest.InstallHint(dir)+", then restart")
	}
	for _, f := range l.Failed {
		s.log.Error("model failed to load; it answers 21353 MODEL_NOT_DEPLOYED", "model", f.Model, "err", f.Err,
			"fix", manifest.InstallHint(dir)+" to repair its files, then restart")
	}
	attrs := []any{"models", l.Ready}
	if v := onnx.Version(); v != "" {
		attrs = append(attrs, "onnxruntime", v)
	}
	s.log.Info("models ready", attrs...)
}
