package main_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"
	cmd "github.com/clavis-dev/clavis/cmd/clavis"
	"github.com/clavis-dev/clavis/internal/store/postgres/pgtest"
)

// get fetches url with client and returns the status and body.
func get(t *testing.T, client *http.Client, url string) (int, string) {
	t.Helper()
	resp, err := client.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// grpcHealth returns the gRPC health status of the service.
func grpcHealth(t *testing.T, s *testServer, service string) healthpb.HealthCheckResponse_ServingStatus {
	t.Helper()
	r, err := healthpb.NewHealthClient(s.conn).Check(context.Background(), &healthpb.HealthCheckRequest{Service: service})
	if err != nil {
		t.Fatalf("health check of %q: %v", service, err)
	}
	return r.GetStatus()
}

// TestProbes checks /healthz and /readyz on both ports, over HTTP/1.1 and
// HTTP/2, and the gRPC health service beside them.
func TestProbes(t *testing.T) {
	s := startServer(t, func(c *cmd.Config) { c.TLSAddr = "127.0.0.1:0"; c.TLSSelfSigned = true })
	insecure := func() *tls.Config { return &tls.Config{InsecureSkipVerify: true} }
	clients := map[string]struct {
		base   string
		client *http.Client
	}{
		"Plain":    {"http://" + s.Addr(), http.DefaultClient},
		"TLS/h2":   {"https://" + s.TLSAddr(), &http.Client{Transport: &http.Transport{TLSClientConfig: insecure(), ForceAttemptHTTP2: true}}},
		"TLS/h1.1": {"https://" + s.TLSAddr(), &http.Client{Transport: &http.Transport{TLSClientConfig: insecure(), TLSNextProto: map[string]func(string, *tls.Conn) http.RoundTripper{}}}},
	}
	for name, c := range clients {
		if code, body := get(t, c.client, c.base+"/healthz"); code != 200 || strings.TrimSpace(body) != `{"status":"ok"}` {
			t.Errorf("%s /healthz: %d %s", name, code, body)
		}
		code, body := get(t, c.client, c.base+"/readyz")
		var r struct {
			Status string
			Checks map[string]string
		}
		if json.Unmarshal([]byte(body), &r) != nil || code != 200 || r.Status != "ready" || r.Checks["store"] != "ok" || r.Checks["models"] != "ok" {
			t.Errorf("%s /readyz: %d %s", name, code, body)
		}
	}
	for _, svc := range []string{"", "clarifai.api.V2"} {
		if got := grpcHealth(t, s, svc); got != healthpb.HealthCheckResponse_SERVING {
			t.Errorf("gRPC health of %q: %v", svc, got)
		}
	}
	// Only GET (and HEAD): other methods go on to the portal, which has no
	// such page.
	resp, err := http.Post("http://"+s.Addr()+"/healthz", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("POST /healthz: %d", resp.StatusCode)
	}
}

// TestReadyzStoreDown drops the PostgreSQL database under a running server:
// /readyz answers 503 naming the store, without the database's words, and
// the gRPC health service says NOT_SERVING.
func TestReadyzStoreDown(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	s := startServer(t, onPostgres(dsn))
	if code, body := get(t, http.DefaultClient, "http://"+s.Addr()+"/readyz"); code != 200 {
		t.Fatalf("/readyz before: %d %s", code, body)
	}
	u, _ := url.Parse(dsn)
	name := strings.TrimPrefix(u.Path, "/")
	conn, err := pgx.Connect(context.Background(), pgtest.ServerDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
		t.Fatal(err)
	}
	code, body := get(t, http.DefaultClient, "http://"+s.Addr()+"/readyz")
	var r struct {
		Status string
		Checks map[string]string
	}
	if json.Unmarshal([]byte(body), &r) != nil || code != 503 || r.Status != "not ready" || r.Checks["store"] != "the database does not answer" || r.Checks["models"] != "ok" {
		t.Errorf("/readyz with the database gone: %d %s", code, body)
	}
	if strings.Contains(body, name) {
		t.Errorf("/readyz shows the database's error: %s", body)
	}
	if got := grpcHealth(t, s, "clarifai.api.V2"); got != healthpb.HealthCheckResponse_NOT_SERVING {
		t.Errorf("gRPC health with the database gone: %v", got)
	}
	// A token not in the cache must be read from the store, which fails:
	// the call answers 98004, and the failure is counted for the keys.
	mine, err := s.v2.MyScopesUser(as(s.pat), &pb.MyScopesUserRequest{UserAppId: me()})
	wantCode(t, mine, err, st.StatusCode_INTERNAL_SERVER_ISSUE)
	fams, _ := scrape(t, s)
	if got := value(fams, "clavis_store_errors_total", map[string]string{"aggregate": "keys"}); got < 1 {
		t.Errorf("clavis_store_errors_total{aggregate=keys} = %v with the database gone", got)
	}
}

// scrape fetches /metrics and parses it.
func scrape(t *testing.T, s *testServer) (map[string]*dto.MetricFamily, string) {
	t.Helper()
	code, body := get(t, http.DefaultClient, "http://"+s.Addr()+"/metrics")
	if code != 200 {
		t.Fatalf("/metrics: %d %s", code, body)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("/metrics is not in Prometheus's text format: %v", err)
	}
	return fams, body
}

// value returns the value of the series of fam whose labels include all of
// labels, summed over the others; -1 when there is none.
func value(fams map[string]*dto.MetricFamily, fam string, labels map[string]string) float64 {
	sum, found := 0.0, false
	for _, m := range fams[fam].GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		match := true
		for k, v := range labels {
			match = match && have[k] == v
		}
		if !match {
			continue
		}
		found = true
		switch {
		case m.Counter != nil:
			sum += m.GetCounter().GetValue()
		case m.Gauge != nil:
			sum += m.GetGauge().GetValue()
		case m.Histogram != nil:
			sum += float64(m.GetHistogram().GetSampleCount())
		}
	}
	if !found {
		return -1
	}
	return sum
}

// TestMetrics makes a few calls of each kind and checks that /metrics
// exposes the named series with their labels, and no user, app or key id
// nor raw path among the label values.
func TestMetrics(t *testing.T) {
	s := startServer(t)
	alice := s.newUser(t, "alice")
	s.newApp(t, alice, "holiday-photos", false)
	key := s.newKey(t, alice, &pb.Key{Type: "app_specific_key", Scopes: []string{"All"}, Apps: []*pb.App{{Id: "holiday-photos", UserId: "alice"}}})

	for range 2 {
		r, err := s.v2.MyScopesUser(as(alice), &pb.MyScopesUserRequest{UserAppId: me()})
		wantCode(t, r, err, st.StatusCode_SUCCESS)
	}
	g, err := s.v2.GetApp(as(key), &pb.GetAppRequest{UserAppId: &pb.UserAppIDSet{UserId: "alice", AppId: "holiday-photos"}})
	wantCode(t, g, err, st.StatusCode_SUCCESS)
	bad, err := s.v2.MyScopesUser(as("clvp_mistyped"), &pb.MyScopesUserRequest{UserAppId: me()})
	wantCode(t, bad, err, st.StatusCode_CONN_KEY_INVALID)
	rest(t, s, "GET", "/v2/users/alice/myscopes", alice, nil).want(t, 200, 10000)
	rest(t, s, "GET", "/v2/users/alice/apps/holiday-photos", "", nil).want(t, 401, 11102)
	rest(t, s, "GET", "/v2/users/alice/apps/holiday-photos/no/such/path", "", nil).want(t, 404, 11101)
	pr, err := s.v2.PostModelOutputs(as(alice), &pb.PostModelOutputsRequest{UserAppId: mainApp, ModelId: "color-recognition", Inputs: []*pb.Input{imageInput(twoColors(t))}})
	wantCode(t, pr, err, st.StatusCode_SUCCESS)
	for _, m := range []string{"/clarifai.api.V2/PostWorkflows", "/evil/alice-holiday-photos"} {
		if err := s.conn.Invoke(context.Background(), m, &pb.GetAppRequest{}, &pb.SingleAppResponse{}); status.Code(err) != codes.Unimplemented {
			t.Fatalf("%s: %v", m, err)
		}
	}
	wantRefusal(t, func() (net.Conn, error) { return net.Dial("tcp", s.Addr()) }, "GET /v2/users/%ZZ HTTP/1.1\r\nHost: x\r\n\r\n", 400, "malformed request")

	fams, _ := scrape(t, s)
	for _, c := range []struct {
		fam    string
		labels map[string]string
		min    float64
	}{
		{"clavis_rpc_requests_total", map[string]string{"method": "/clarifai.api.V2/MyScopesUser", "code": "10000", "transport": "grpc"}, 2},
		{"clavis_rpc_requests_total", map[string]string{"method": "/clarifai.api.V2/MyScopesUser", "code": "11008", "transport": "grpc"}, 1},
		{"clavis_rpc_requests_total", map[string]string{"method": "/clarifai.api.V2/MyScopesUser", "code": "10000", "transport": "rest"}, 1},
		{"clavis_rpc_requests_total", map[string]string{"method": "/clarifai.api.V2/GetApp", "code": "11102", "transport": "rest"}, 1},
		{"clavis_rpc_requests_total", map[string]string{"method": "/clarifai.api.V2/PostWorkflows", "code": "12"}, 1},
		{"clavis_rpc_requests_total", map[string]string{"method": "other", "code": "12"}, 1},
		{"clavis_rpc_duration_seconds", map[string]string{"method": "/clarifai.api.V2/MyScopesUser"}, 3},
		{"clavis_http_requests_total", map[string]string{"method": "GET", "route": "/v2/users/{user_app_id.user_id}/myscopes", "status": "2xx"}, 1},
		{"clavis_http_requests_total", map[string]string{"method": "GET", "route": "/v2/users/{user_app_id.user_id}/apps/{user_app_id.app_id}", "status": "4xx"}, 1},
		{"clavis_http_requests_total", map[string]string{"method": "GET", "route": "other", "status": "4xx"}, 1},
		{"clavis_http_request_duration_seconds", map[string]string{"route": "/v2/users/{user_app_id.user_id}/myscopes"}, 1},
		{"clavis_authentications_total", map[string]string{"outcome": "ok"}, 4},
		{"clavis_authentications_total", map[string]string{"outcome": "no_credentials"}, 1},
		{"clavis_authentications_total", map[string]string{"outcome": "invalid", "reason": "malformed"}, 1},
		{"clavis_token_cache_lookups_total", map[string]string{"result": "hit"}, 1},
		{"clavis_token_cache_lookups_total", map[string]string{"result": "miss"}, 1},
		{"clavis_token_cache_entries", nil, 1},
		{"clavis_inference_queue_depth", nil, 0},
		{"clavis_predictions_total", map[string]string{"model": "color-recognition", "outcome": "ok"}, 1},
		{"clavis_prediction_duration_seconds", map[string]string{"model": "color-recognition"}, 1},
		{"clavis_connections_open", nil, 1},
		{"clavis_http_refusals_total", map[string]string{"status": "400"}, 1},
		{"go_goroutines", nil, 1},
		{"process_open_fds", nil, 1},
	} {
		if got := value(fams, c.fam, c.labels); got < c.min {
			t.Errorf("%s%v = %v, want at least %v", c.fam, c.labels, got, c.min)
		}
	}
	// No label value names a user, an app or a key, nor a path as sent.
	for _, f := range fams {
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				v := l.GetValue()
				if strings.Contains(v, "alice") || strings.Contains(v, "holiday") || strings.Contains(v, "clvp_") || strings.Contains(v, "clvk_") || strings.Contains(v, "/v2/users/alice") || strings.Contains(v, "%ZZ") {
					t.Errorf("%s{%s=%q}: a label value names a caller or a raw path", f.GetName(), l.GetName(), v)
				}
			}
		}
	}
}

// TestMetricsOff checks that --metrics=false leaves /metrics to the
// portal, which has no such page.
func TestMetricsOff(t *testing.T) {
	s := startServer(t, func(c *cmd.Config) { c.Metrics = false })
	if code, body := get(t, http.DefaultClient, "http://"+s.Addr()+"/metrics"); code != 404 || strings.Contains(body, "clavis_") {
		t.Errorf("/metrics with metrics off: %d %.200s", code, body)
	}
}

// TestDebugAddr checks that the profiler answers on --debug-addr, and not
// on the API port.
func TestDebugAddr(t *testing.T) {
	s := startServer(t, func(c *cmd.Config) { c.DebugAddr = "127.0.0.1:0" })
	if code, body := get(t, http.DefaultClient, "http://"+s.DebugAddr()+"/debug/pprof/"); code != 200 || !strings.Contains(body, "goroutine") {
		t.Errorf("profiler on --debug-addr: %d %.200s", code, body)
	}
	if code, body := get(t, http.DefaultClient, "http://"+s.Addr()+"/debug/pprof/"); code != 404 || strings.Contains(body, "goroutine") {
		t.Errorf("profiler on the API port: %d %.200s", code, body)
	}
	off := startServer(t)
	if off.DebugAddr() != "" {
		t.Errorf("a profiler listens at %s without --debug-addr", off.DebugAddr())
	}
}
