package probe_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/clavis-dev/clavis/internal/probe"
)

func servingStatus(t *testing.T, hs *health.Server, svc string) healthpb.HealthCheckResponse_ServingStatus {
	t.Helper()
	r, err := hs.Check(context.Background(), &healthpb.HealthCheckRequest{Service: svc})
	if err != nil {
		t.Fatal(err)
	}
	return r.GetStatus()
}

func get(t *testing.T, h http.Handler) (int, probe.Report, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
	var r probe.Report
	if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil {
		t.Fatalf("body is not JSON: %v: %s", err, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	return rec.Code, r, rec.Body.String()
}

// TestReadiness follows a server through ready, not ready and ready again:
// the answer of /readyz, the gRPC health status and one log line per
// change, with the cause in the log and not in the answer.
func TestReadiness(t *testing.T) {
	var storeDown atomic.Bool
	var logs bytes.Buffer
	hs := health.NewServer()
	c := probe.New(probe.Config{
		Checks: []probe.Check{
			{Name: "store", Run: func(context.Context) error {
				if storeDown.Load() {
					return probe.Fail("the database does not answer", errors.New("dial tcp 10.0.0.7:5432: connection refused"))
				}
				return nil
			}},
			{Name: "models", Run: func(context.Context) error { return nil }},
		},
		GRPC: hs, Services: []string{"", "clarifai.api.V2"},
		Log: slog.New(slog.NewTextHandler(&logs, nil)),
	})
	if s := servingStatus(t, hs, "clarifai.api.V2"); s != healthpb.HealthCheckResponse_NOT_SERVING {
		t.Fatalf("before the first check: %v, want NOT_SERVING", s)
	}

	code, r, _ := get(t, c.Ready())
	if code != 200 || r.Status != "ready" || r.Checks["store"] != "ok" || r.Checks["models"] != "ok" {
		t.Fatalf("ready: %d %+v", code, r)
	}
	for _, svc := range []string{"", "clarifai.api.V2"} {
		if s := servingStatus(t, hs, svc); s != healthpb.HealthCheckResponse_SERVING {
			t.Errorf("ready: gRPC health of %q is %v", svc, s)
		}
	}

	storeDown.Store(true)
	for range 2 {
		code, r, raw := get(t, c.Ready())
		if code != 503 || r.Status != "not ready" || r.Checks["store"] != "the database does not answer" || r.Checks["models"] != "ok" {
			t.Fatalf("store down: %d %s", code, raw)
		}
		if strings.Contains(raw, "10.0.0.7") {
			t.Errorf("the answer shows the cause: %s", raw)
		}
	}
	if s := servingStatus(t, hs, ""); s != healthpb.HealthCheckResponse_NOT_SERVING {
		t.Errorf("store down: gRPC health %v", s)
	}
	if n := strings.Count(logs.String(), "not ready"); n != 1 || !strings.Contains(logs.String(), "10.0.0.7") {
		t.Errorf("want one line saying not ready with the cause:\n%s", logs.String())
	}

	storeDown.Store(false)
	if code, _, raw := get(t, c.Ready()); code != 200 {
		t.Fatalf("store back: %d %s", code, raw)
	}
	if s := servingStatus(t, hs, ""); s != healthpb.HealthCheckResponse_SERVING {
		t.Errorf("store back: gRPC health %v", s)
	}
}

// TestCheckTimeout checks that a check that does not answer in time fails,
// even one that ignores its context.
func TestCheckTimeout(t *testing.T) {
	stuck := make(chan struct{})
	t.Cleanup(func() { close(stuck) })
	c := probe.New(probe.Config{Timeout: 20 * time.Millisecond, Checks: []probe.Check{
		{Name: "stuck", Run: func(context.Context) error { <-stuck; return nil }},
		{Name: "slow", Run: func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }},
	}})
	r := c.Check(context.Background())
	for _, name := range []string{"stuck", "slow"} {
		if r.Ready() || r.Checks[name] != "no answer within 20ms" {
			t.Errorf("%s: %+v", name, r)
		}
	}
}

func TestLive(t *testing.T) {
	rec := httptest.NewRecorder()
	probe.Live().ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
	if rec.Code != 200 || strings.TrimSpace(rec.Body.String()) != `{"status":"ok"}` {
		t.Errorf("/healthz: %d %s", rec.Code, rec.Body)
	}
}

// TestReadyParts checks /readyz/{check} and /readyz?exclude=: the parts
// asked for alone, 404 for a name that is no check's, and the gRPC health
// status left to the full readiness.
func TestReadyParts(t *testing.T) {
	hs := health.NewServer()
	c := probe.New(probe.Config{
		Checks: []probe.Check{
			{Name: "store", Run: func(context.Context) error { return nil }},
			{Name: "models", Run: func(context.Context) error { return probe.Fail("loading: face-detection", nil) }},
		},
		GRPC: hs, Services: []string{""},
	})
	mux := http.NewServeMux()
	mux.Handle("GET /readyz", c.Ready())
	mux.Handle("GET /readyz/{check}", c.Ready())
	for _, tc := range []struct {
		path   string
		code   int
		checks map[string]string
	}{
		{"/readyz", 503, map[string]string{"store": "ok", "models": "loading: face-detection"}},
		{"/readyz/store", 200, map[string]string{"store": "ok"}},
		{"/readyz/models", 503, map[string]string{"models": "loading: face-detection"}},
		{"/readyz?exclude=models", 200, map[string]string{"store": "ok"}},
		{"/readyz?exclude=models,store", 200, map[string]string{}},
		{"/readyz/nothing", 404, nil},
		{"/readyz?exclude=nothing", 404, nil},
	} {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest("GET", tc.path, nil))
		if rec.Code != tc.code {
			t.Errorf("%s: %d, want %d: %s", tc.path, rec.Code, tc.code, rec.Body)
			continue
		}
		if tc.checks == nil {
			continue
		}
		var r probe.Report
		if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil {
			t.Fatalf("%s: %v", tc.path, err)
		}
		if len(r.Checks) != len(tc.checks) {
			t.Errorf("%s: checks %v, want %v", tc.path, r.Checks, tc.checks)
		}
		for k, v := range tc.checks {
			if r.Checks[k] != v {
				t.Errorf("%s: checks %v, want %v", tc.path, r.Checks, tc.checks)
			}
		}
		// Only the full readiness moves the gRPC status (not ready here).
		if got := servingStatus(t, hs, ""); got != healthpb.HealthCheckResponse_NOT_SERVING {
			t.Errorf("after %s: gRPC %v, want NOT_SERVING", tc.path, got)
		}
	}
}
