package main

import (
	"io"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/inference"
	"github.com/clavis-dev/clavis/internal/inference/builtin"
	"github.com/clavis-dev/clavis/internal/inference/ocr"
	"github.com/clavis-dev/clavis/internal/inference/onnx"
	"github.com/clavis-dev/clavis/internal/inference/vision"
	"github.com/clavis-dev/clavis/internal/onnxconv"
	"github.com/clavis-dev/clavis/internal/setup"
)

// onnxModel is a model that needs files from `clavis setup`.
type onnxModel struct {
	files string // the name setup.Check reports for its files
	load  func(dir string) ([]clavis.Model, []inference.Runner, io.Closer, error)
}

var onnxModels = []onnxModel{
	{setup.ModelOCR, func(dir string) ([]clavis.Model, []inference.Runner, io.Closer, error) {
		m, err := ocr.New(dir)
		return []clavis.Model{ocr.Describe()}, []inference.Runner{m}, m, err
	}},
	{onnxconv.NanoDet.ID, func(dir string) ([]clavis.Model, []inference.Runner, io.Closer, error) {
		d, err := vision.NewNanoDet(dir)
		if err != nil {
			return nil, nil, nil, err
		}
		return []clavis.Model{vision.DescribeRecognition(), vision.DescribeDetection()}, []inference.Runner{d.Recognition(), d.Detection()}, d, nil
	}},
	{onnxconv.BlazeFace.ID, func(dir string) ([]clavis.Model, []inference.Runner, io.Closer, error) {
		f, err := vision.NewFaces(dir)
		return []clavis.Model{vision.DescribeFaces()}, []inference.Runner{f}, f, err
	}},
	{onnxconv.NSFW.ID, func(dir string) ([]clavis.Model, []inference.Runner, io.Closer, error) {
		n, err := vision.NewNSFW(dir)
		return []clavis.Model{vision.DescribeNSFW()}, []inference.Runner{n}, n, err
	}},
}

// registerModels registers the built-in models, and the ONNX models whose
// files are present in the models dir. It says which are missing and the
// command that gets them; a model that fails to load is logged and left out.
func (s *Server) registerModels() {
	s.engine.Register(builtin.DescribeColor(), builtin.Color{})
	dir := s.cfg.modelsDir()
	present, missing := setup.Check(dir)
	have := map[string]bool{}
	for _, p := range present {
		have[p] = true
	}
	if len(missing) > 0 {
		s.log.Warn("models missing", "models_dir", dir, "missing", missing, "fix", setup.Hint(dir))
	}
	if !have[setup.ModelRuntime] {
		return
	}
	if err := onnx.Init(setup.RuntimeLib(dir)); err != nil {
		s.log.Error("ONNX Runtime unavailable; only built-in models are served", "err", err)
		return
	}
	for _, om := range onnxModels {
		if !have[om.files] {
			continue
		}
		models, runners, closer, err := om.load(dir)
		if err != nil {
			s.log.Error("model failed to load", "model", om.files, "err", err)
			continue
		}
		for i, m := range models {
			s.engine.Register(m, runners[i])
		}
		s.closers = append(s.closers, closer)
		s.log.Info("model ready", "model", om.files, "onnxruntime", onnx.Version())
	}
}
