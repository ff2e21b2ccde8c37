package main_test

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/inference/manifest"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"

	cmd "github.com/clavis-dev/clavis/cmd/clavis"
)

// onnxModels returns the ids of the built-in models that need model files.
func onnxModels() []string {
	var ids []string
	for _, m := range manifest.Models {
		if m.Version.Runtime == clavis.RuntimeONNX {
			ids = append(ids, m.ID)
		}
	}
	return ids
}

// TestModelsNotInstalled starts a server on an empty models dir: every
// built-in model is still listed, each ONNX model answers 21353
// MODEL_NOT_DEPLOYED saying how to install it, and color-recognition, pure
// Go, still predicts.
func TestModelsNotInstalled(t *testing.T) {
	s := startServer(t)
	modelsDir := filepath.Join(s.dir, "models")
	fix := "clavis setup --models-dir " + modelsDir
	bob := s.newUser(t, "bob")
	good := imageInput(twoColors(t))

	list, err := s.v2.ListModels(as(bob), &pb.ListModelsRequest{UserAppId: mainApp})
	wantCode(t, list, err, st.StatusCode_SUCCESS)
	listed := map[string]*pb.Model{}
	for _, m := range list.GetModels() {
		listed[m.GetId()] = m
	}
	for _, id := range onnxModels() {
		t.Run(id, func(t *testing.T) {
			if m := listed[id]; m == nil || m.GetModelVersion().GetStatus().GetCode() != st.StatusCode_MODEL_NOT_DEPLOYED {
				t.Errorf("ListModels: %s listed as %v, want it marked MODEL_NOT_DEPLOYED", id, m)
			}
			g, err := s.v2.GetModel(as(bob), &pb.GetModelRequest{UserAppId: mainApp, ModelId: id})
			wantCode(t, g, err, st.StatusCode_SUCCESS)
			if vs := g.GetModel().GetModelVersion().GetStatus(); vs.GetCode() != st.StatusCode_MODEL_NOT_DEPLOYED || !strings.Contains(vs.GetDetails(), fix) {
				t.Errorf("GetModel: version status %v, want MODEL_NOT_DEPLOYED naming %q", vs, fix)
			}
			r, err := s.v2.PostModelOutputs(as(bob), &pb.PostModelOutputsRequest{UserAppId: mainApp, ModelId: id, Inputs: []*pb.Input{good}})
			wantCode(t, r, err, st.StatusCode_MODEL_NOT_DEPLOYED)
			status := r.GetStatus()
			if !strings.Contains(status.GetDescription(), "not installed on this server") || !strings.Contains(status.GetDescription(), "clavis setup") {
				t.Errorf("description %q does not say the model is not installed and how to fix it", status.GetDescription())
			}
			for _, w := range []string{id, "not installed on this server", fix} {
				if !strings.Contains(status.GetDetails(), w) {
					t.Errorf("details %q do not contain %q", status.GetDetails(), w)
				}
			}
		})
	}

	// REST maps it to 503 Service Unavailable.
	body := map[string]any{"inputs": []any{map[string]any{"data": map[string]any{"image": map[string]any{"base64": twoColors(t)}}}}}
	out := rest(t, s, "POST", "/v2/users/clarifai/apps/main/models/face-detection/outputs", bob, body).want(t, 503, 21353)
	if d, _ := out.status()["details"].(string); !strings.Contains(d, fix) {
		t.Errorf("REST details %q do not contain %q", d, fix)
	}

	r, err := s.v2.PostModelOutputs(as(bob), &pb.PostModelOutputsRequest{UserAppId: mainApp, ModelId: manifest.ColorRecognition.ID, Inputs: []*pb.Input{good}})
	wantCode(t, r, err, st.StatusCode_SUCCESS)
	if len(r.GetOutputs()[0].GetData().GetColors()) != 2 {
		t.Errorf("color-recognition: %v", r.GetOutputs()[0].GetData())
	}
	if listed[manifest.ColorRecognition.ID].GetModelVersion().GetStatus().GetCode() != st.StatusCode_MODEL_TRAINED {
		t.Errorf("color-recognition listed as %v", listed[manifest.ColorRecognition.ID].GetModelVersion().GetStatus())
	}
}

// TestModelsNotInstalledLogged checks that the server says once, at start,
// which models are not installed and how to install them.
func TestModelsNotInstalledLogged(t *testing.T) {
	cfg := cmd.DefaultConfig()
	cfg.Addr = "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	cfg.ModelsDir = filepath.Join(t.TempDir(), "empty-models")
	var log bytes.Buffer
	srv, err := cmd.NewServer(context.Background(), cfg, io.Discard, &log)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	var lines []string
	for _, l := range strings.Split(log.String(), "\n") {
		if strings.Contains(l, "not installed") {
			lines = append(lines, l)
		}
	}
	if len(lines) != 1 {
		t.Fatalf("%d log lines about models not installed, want 1:\n%s", len(lines), log.String())
	}
	for _, w := range append(onnxModels(), "clavis setup --models-dir "+cfg.ModelsDir, "21353") {
		if !strings.Contains(lines[0], w) {
			t.Errorf("log line %q does not contain %q", lines[0], w)
		}
	}
}
