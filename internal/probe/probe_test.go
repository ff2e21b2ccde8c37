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
