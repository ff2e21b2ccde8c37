package loader_test

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"slices"
	"strings"
	"testing"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/inference"
	"github.com/clavis-dev/clavis/internal/inference/loader"
	"github.com/clavis-dev/clavis/internal/inference/manifest"
	"github.com/clavis-dev/clavis/internal/inference/modeltest"
)

var mainApp = clavis.AppRef{OwnerID: clavis.SystemUserID, AppID: clavis.MainAppID}

// byRuntime returns the ids of the manifest's models that run on runtime.
func byRuntime(runtime string) []string {
	var ids []string
	for _, m := range manifest.Models {
		if m.Version.Runtime == runtime {
			ids = append(ids, m.ID)
		}
	}
	return ids
}

func pngInput(t *testing.T) clavis.Input {
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, 8, 8))); err != nil {
		t.Fatal(err)
	}
	return clavis.Input{ImageBytes: buf.Bytes()}
}

// predict returns the error of a one-input prediction with model id: the
// call's, else the input's.
func predict(t *testing.T, e *inference.Engine, id string) error {
	t.Helper()
	reg, err := e.Model(mainApp, id)
	if err != nil {
		t.Fatalf("Model(%s): %v", id, err)
	}
	res, err := e.Predict(context.Background(), reg, []clavis.Input{pngInput(t)}, clavis.OutputConfig{})
	if err != nil {
		return err
	}
	return res[0].Err
}

func TestLoadNothingInstalled(t *testing.T) {
	dir := t.TempDir()
	e := inference.NewEngine(inference.Config{})
	l := loader.Load(e, dir)
	defer l.Close()
	onnxModels := byRuntime(clavis.RuntimeONNX)
	if !slices.Equal(l.Ready, byRuntime(clavis.RuntimeGo)) || !slices.Equal(l.NotInstalled, onnxModels) || len(l.Failed) != 0 {
		t.Fatalf("Load(empty dir) = ready %q, not installed %q, failed %v", l.Ready, l.NotInstalled, l.Failed)
	}
	if n := len(e.Models(mainApp)); n != len(manifest.Models) {
		t.Errorf("%d models listed, want all %d", n, len(manifest.Models))
	}
	for _, id := range onnxModels {
		reg, _ := e.Model(mainApp, id)
		err := predict(t, e, id)
		if clavis.ErrorCode(err) != clavis.EModelNotDeployed || clavis.ErrorMessage(err) != reg.Model.NotDeployed {
			t.Errorf("%s: %v, want EModelNotDeployed with the model's NotDeployed", id, err)
		}
		for _, w := range []string{id, "not installed on this server", dir, "clavis setup --models-dir " + dir} {
			if !strings.Contains(reg.Model.NotDeployed, w) {
				t.Errorf("%s: NotDeployed %q does not contain %q", id, reg.Model.NotDeployed, w)
			}
		}
	}
	if err := predict(t, e, manifest.ColorRecognition.ID); err != nil {
		t.Errorf("color-recognition: %v", err)
	}
}

// TestLoadBrokenFiles installs empty files in place of every asset: the
// ONNX models are found installed but fail to load.
func TestLoadBrokenFiles(t *testing.T) {
	dir := t.TempDir()
	modeltest.Touch(t, dir, manifest.Assets()...)
	e := inference.NewEngine(inference.Config{})
	l := loader.Load(e, dir)
	defer l.Close()
	var failed []string
	for _, f := range l.Failed {
		failed = append(failed, f.Model)
		if f.Err == nil {
			t.Errorf("%s failed without an error", f.Model)
		}
	}
	if !slices.Equal(failed, byRuntime(clavis.RuntimeONNX)) || len(l.NotInstalled) != 0 {
		t.Fatalf("failed %q, not installed %q; want every ONNX model failed", failed, l.NotInstalled)
	}
	for _, id := range failed {
		err := predict(t, e, id)
		if clavis.ErrorCode(err) != clavis.EModelNotDeployed || !strings.Contains(clavis.ErrorMessage(err), "failed to load") {
			t.Errorf("%s: %v, want EModelNotDeployed saying it failed to load", id, err)
		}
	}
}

func TestLoadInstalled(t *testing.T) {
	dir := modeltest.Dir(t)
	e := inference.NewEngine(inference.Config{})
	l := loader.Load(e, dir)
	if len(l.Ready) != len(manifest.Models) || len(l.NotInstalled) != 0 || len(l.Failed) != 0 {
		t.Fatalf("Load = ready %q, not installed %q, failed %v; want every model ready", l.Ready, l.NotInstalled, l.Failed)
	}
	for _, m := range manifest.Models {
		if err := predict(t, e, m.ID); err != nil {
			t.Errorf("%s: %v", m.ID, err)
		}
	}
	if err := l.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}

// TestRegisterThenStart: Register lists every installed model as loading
// before anything loads, Start loads them behind it (two at once here),
// and Done closes once every load ended.
func TestRegisterThenStart(t *testing.T) {
	dir := t.TempDir()
	modeltest.Touch(t, dir, manifest.Assets()...)
	e := inference.NewEngine(inference.Config{})
	l := loader.Register(e, dir)
	defer l.Close()
	var all []string
	for _, m := range manifest.Models {
		all = append(all, m.ID)
	}
	if got := l.Pending(); !slices.Equal(got, all) {
		t.Fatalf("Pending before Start = %q, want every model %q", got, all)
	}
	for _, id := range all {
		if reg, _ := e.Model(mainApp, id); !reg.Loading() || !reg.Model.Loading {
			t.Errorf("%s is not listed loading before Start", id)
		}
	}
	select {
	case <-l.Done():
		t.Fatal("Done before Start")
	default:
	}
	l.Start(2)
	<-l.Done()
	if p := l.Pending(); len(p) != 0 {
		t.Errorf("Pending after Done = %q", p)
	}
	var failed []string
	for _, f := range l.Failed {
		failed = append(failed, f.Model)
	}
	if !slices.Equal(failed, byRuntime(clavis.RuntimeONNX)) || !slices.Equal(l.Ready, byRuntime(clavis.RuntimeGo)) {
		t.Errorf("failed %q, ready %q; want the ONNX models failed (in manifest order), the Go ones ready", failed, l.Ready)
	}
	for _, id := range all {
		if reg, _ := e.Model(mainApp, id); reg.Loading() || reg.Model.Loading {
			t.Errorf("%s still listed loading after Done", id)
		}
	}
}
