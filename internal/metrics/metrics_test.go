package metrics_test

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/metrics"
)

const getApp = "/clarifai.api.V2/GetApp"

func newMetrics() *metrics.Metrics {
	return metrics.New(metrics.Config{
		Methods:        []string{getApp},
		TokenCacheSize: func() int { return 3 },
		QueueDepth:     func() int { return 2 },
		ConnsOpen:      func() int { return 1 },
	})
}

// series returns the metrics of a family by their labels, written
// name=value,… in the order of the family's labels.
func series(t *testing.T, m *metrics.Metrics, family string) map[string]*dto.Metric {
	t.Helper()
	fams, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*dto.Metric{}
	for _, f := range fams {
		if f.GetName() != family {
			continue
		}
		for _, s := range f.GetMetric() {
			var labels []string
			for _, l := range s.GetLabel() {
				labels = append(labels, l.GetName()+"="+l.GetValue())
			}
			out[strings.Join(labels, ",")] = s
		}
	}
	return out
}

func counter(t *testing.T, m *metrics.Metrics, family, labels string) float64 {
	t.Helper()
	s, ok := series(t, m, family)[labels]
	if !ok {
		t.Fatalf("no series %s{%s} in %v", family, labels, series(t, m, family))
	}
	return s.GetCounter().GetValue()
}

func TestObserve(t *testing.T) {
	m := newMetrics()
	m.ObserveCall(getApp, 10000, false, time.Millisecond)
	m.ObserveCall(getApp, 10000, false, time.Millisecond)
	m.ObserveCall(getApp, 11102, true, time.Millisecond)
	m.ObserveCall("/clarifai.api.V2/user-chosen-"+strings.Repeat("x", 50), 12, false, time.Millisecond)
	m.ObserveHTTP("GET", "/v2/users/{user_app_id.user_id}/apps/{user_app_id.app_id}", 401, time.Millisecond)
	m.ObserveHTTP("BREW", "", 404, time.Millisecond)
	m.ObserveAuthn("invalid", "expired")
	m.ObserveTokenCache(true)
	m.ObserveTokenCache(false)
	m.ObservePrediction("color-recognition", 5*time.Millisecond, nil)
	m.ObservePrediction("color-recognition", 0, clavis.Errorf(clavis.EInputBytes, "not an image"))
	m.ObserveStoreError("keys")
	m.ObserveConnRefused("cap_per_addr")
	m.ObserveRefusal(431)

	for _, c := range []struct {
		family, labels string
		want           float64
	}{
		{"clavis_rpc_requests_total", "code=10000,method=" + getApp + ",transport=grpc", 2},
		{"clavis_rpc_requests_total", "code=11102,method=" + getApp + ",transport=rest", 1},
		{"clavis_rpc_requests_total", "code=12,method=other,transport=grpc", 1},
		{"clavis_http_requests_total", "method=GET,route=/v2/users/{user_app_id.user_id}/apps/{user_app_id.app_id},status=4xx", 1},
		{"clavis_http_requests_total", "method=other,route=other,status=4xx", 1},
		{"clavis_authentications_total", "outcome=invalid,reason=expired", 1},
		{"clavis_token_cache_lookups_total", "result=hit", 1},
		{"clavis_token_cache_lookups_total", "result=miss", 1},
		{"clavis_predictions_total", "model=color-recognition,outcome=ok", 1},
		{"clavis_predictions_total", "model=color-recognition,outcome=input_bytes", 1},
		{"clavis_store_errors_total", "aggregate=keys", 1},
		{"clavis_connections_refused_total", "reason=cap_per_addr", 1},
		{"clavis_http_refusals_total", "status=431", 1},
	} {
		if got := counter(t, m, c.family, c.labels); got != c.want {
			t.Errorf("%s{%s} = %v, want %v", c.family, c.labels, got, c.want)
		}
	}
	if h := series(t, m, "clavis_rpc_duration_seconds")["method="+getApp].GetHistogram(); h.GetSampleCount() != 3 {
		t.Errorf("GetApp latency: %d samples, want 3", h.GetSampleCount())
	}
	// The model ran once: the input that failed before it took no time.
	if h := series(t, m, "clavis_prediction_duration_seconds")["model=color-recognition"].GetHistogram(); h.GetSampleCount() != 1 {
		t.Errorf("prediction latency: %d samples, want 1", h.GetSampleCount())
	}
	for family, want := range map[string]float64{"clavis_token_cache_entries": 3, "clavis_inference_queue_depth": 2, "clavis_connections_open": 1} {
		if got := series(t, m, family)[""].GetGauge().GetValue(); got != want {
			t.Errorf("%s = %v, want %v", family, got, want)
		}
	}
	for _, family := range []string{"go_goroutines", "process_open_fds"} {
		if len(series(t, m, family)) != 1 {
			t.Errorf("no %s", family)
		}
	}
}

// TestObserveAllocates checks that recording an event whose labels were
// seen before allocates nothing.
func TestObserveAllocates(t *testing.T) {
	m := newMetrics()
	for name, f := range map[string]func(){
		"ObserveCall":       func() { m.ObserveCall(getApp, 10000, false, time.Millisecond) },
		"ObserveHTTP":       func() { m.ObserveHTTP("GET", "/v2/apps", 200, time.Millisecond) },
		"ObserveAuthn":      func() { m.ObserveAuthn("ok", "") },
		"ObserveTokenCache": func() { m.ObserveTokenCache(true) },
		"ObservePrediction": func() { m.ObservePrediction("color-recognition", time.Millisecond, nil) },
	} {
		f()
		if n := testing.AllocsPerRun(100, f); n != 0 {
			t.Errorf("%s: %v allocations per call", name, n)
		}
	}
}

func TestHandler(t *testing.T) {
	m := newMetrics()
	m.ObserveCall(getApp, 10000, false, time.Millisecond)
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	if rec.Code != 200 || !strings.Contains(string(body), `clavis_rpc_requests_total{code="10000",method="/clarifai.api.V2/GetApp",transport="grpc"} 1`) {
		t.Errorf("/metrics: %d\n%s", rec.Code, body)
	}
}

// BenchmarkObserveCall measures what the chain adds to each call.
func BenchmarkObserveCall(b *testing.B) {
	m := newMetrics()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.ObserveCall(getApp, 10000, false, time.Millisecond)
		}
	})
}
