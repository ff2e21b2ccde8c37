package main_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	cmd "github.com/clavis-dev/clavis/cmd/clavis"
	"github.com/clavis-dev/clavis/internal/inference/manifest"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"
)

// readyz returns the HTTP status and the checks of GET path.
func readyz(t *testing.T, s *testServer, path string) (int, map[string]string) {
	t.Helper()
	resp, err := http.Get("http://" + s.Addr() + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r struct{ Checks map[string]string }
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, r.Checks
}

// TestModelsLoadBehindTheListener follows a server from its start, with a
// model still loading, to the model loaded: keys and apps are served at
// once; readiness says the models part is not ready, and which models
// load; a prediction waits --model-load-wait, then answers 21355
// MODEL_LOADING in-band over gRPC and REST (503, Retry-After); once loaded,
// readiness and the gRPC health status turn ready and it predicts.
func TestModelsLoadBehindTheListener(t *testing.T) {
	// color-recognition, in Go, is the one model installed in an empty
	// models dir; its load is held back.
	s, release := launchServer(t, io.Discard, true, func(c *cmd.Config) {
		c.ModelsDir = filepath.Join(t.TempDir(), "models")
		c.ModelLoadWait = 10 * time.Millisecond
	})
	color := manifest.ColorRecognition.ID

	apps, err := s.v2.ListApps(as(s.pat), &pb.ListAppsRequest{UserAppId: &pb.UserAppIDSet{UserId: "me"}})
	wantCode(t, apps, err, st.StatusCode_SUCCESS)
	if code, checks := readyz(t, s, "/readyz"); code != 503 || checks["models"] != "loading: "+color || checks["store"] != "ok" {
		t.Errorf("/readyz while loading: %d %v, want 503 with models loading: %s", code, checks, color)
	}
	if code, checks := readyz(t, s, "/readyz/store"); code != 200 || len(checks) != 1 {
		t.Errorf("/readyz/store while loading: %d %v, want 200", code, checks)
	}
	if code, _ := readyz(t, s, "/readyz?exclude=models"); code != 200 {
		t.Errorf("/readyz?exclude=models while loading: %d, want 200", code)
	}
	if h := grpcHealth(t, s, ""); h != healthpb.HealthCheckResponse_NOT_SERVING {
		t.Errorf("gRPC health while loading: %v", h)
	}
	m, err := s.v2.GetModel(as(s.pat), &pb.GetModelRequest{UserAppId: mainApp, ModelId: color})
	wantCode(t, m, err, st.StatusCode_SUCCESS)
	if c := m.GetModel().GetModelVersion().GetStatus().GetCode(); c != st.StatusCode_MODEL_LOADING {
		t.Errorf("model version status while loading: %v, want MODEL_LOADING", c)
	}

	img := twoColors(t)
	req := &pb.PostModelOutputsRequest{UserAppId: mainApp, ModelId: color, Inputs: []*pb.Input{{Data: &pb.Data{Image: &pb.Image{Base64: img}}}}}
	r, err := s.v2.PostModelOutputs(as(s.pat), req)
	wantCode(t, r, err, st.StatusCode_MODEL_LOADING)
	body := map[string]any{"inputs": []any{map[string]any{"data": map[string]any{"image": map[string]any{"base64": img}}}}}
	out := rest(t, s, "POST", "/v2/users/clarifai/apps/main/models/"+color+"/outputs", s.pat, body).want(t, 503, 21355)
	if ra := out.hdr.Get("Retry-After"); ra != "1" {
		t.Errorf("REST Retry-After %q, want 1", ra)
	}

	release()
	if err := s.WaitModels(context.Background()); err != nil {
		t.Fatal(err)
	}
	if code, checks := readyz(t, s, "/readyz"); code != 200 || checks["models"] != "ok" {
		t.Errorf("/readyz once loaded: %d %v", code, checks)
	}
	if h := grpcHealth(t, s, ""); h != healthpb.HealthCheckResponse_SERVING {
		t.Errorf("gRPC health once loaded: %v", h)
	}
	r, err = s.v2.PostModelOutputs(as(s.pat), req)
	wantCode(t, r, err, st.StatusCode_SUCCESS)
}

// TestPredictionWaitsForTheLoad: within --model-load-wait, a prediction
// sent while its model loads answers once the model is loaded.
func TestPredictionWaitsForTheLoad(t *testing.T) {
	s, release := launchServer(t, io.Discard, true, func(c *cmd.Config) {
		c.ModelsDir = filepath.Join(t.TempDir(), "models")
		c.ModelLoadWait = time.Minute
	})
	req := &pb.PostModelOutputsRequest{UserAppId: mainApp, ModelId: manifest.ColorRecognition.ID,
		Inputs: []*pb.Input{{Data: &pb.Data{Image: &pb.Image{Base64: twoColors(t)}}}}}
	type answer struct {
		r   *pb.MultiOutputResponse
		err error
	}
	done := make(chan answer, 1)
	go func() {
		r, err := s.v2.PostModelOutputs(as(s.pat), req)
		done <- answer{r, err}
	}()
	release()
	a := <-done
	wantCode(t, a.r, a.err, st.StatusCode_SUCCESS)
}
