package grpcapi_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/clavis-dev/clavis/internal/grpcapi"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"
)

// fakeMetrics records the calls it observes.
type fakeMetrics struct {
	mu    sync.Mutex
	calls []observed
}

type observed struct {
	method  string
	code    int
	relayed bool
}

func (f *fakeMetrics) ObserveCall(method string, code int, relayed bool, took time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, observed{method, code, relayed})
}

func (f *fakeMetrics) observed() []observed {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]observed(nil), f.calls...)
}

// TestUndeclaredMethods checks that a call of a method no service declares
// is answered UNIMPLEMENTED naming it, in one log line and one observation,
// where grpc-go alone would answer it silently; and that a name that looks
// like a token stays out of both the answer and the log.
func TestUndeclaredMethods(t *testing.T) {
	m := &fakeMetrics{}
	e := newEnv(t, grpcapi.WithMetrics(m))
	for _, c := range []struct{ method, logged string }{
		{"/clarifai.api.V2/PostWorkflows", "/clarifai.api.V2/PostWorkflows"},
		{"/no.such.Service/Method", "/no.such.Service/Method"},
		{"/clarifai.api.V2/clvp_" + strings.Repeat("a", 30), "REDACTED"},
	} {
		err := e.conn.Invoke(context.Background(), c.method, &pb.GetAppRequest{}, &pb.SingleAppResponse{})
		if s := status.Convert(err); s.Code() != codes.Unimplemented || !strings.Contains(s.Message(), c.logged+" is not implemented") {
			t.Errorf("%s: %v; want UNIMPLEMENTED naming %s", c.method, err, c.logged)
		}
		var lines []map[string]any
		for _, l := range e.log.lines(t, "rpc") {
			if l["method"] == c.logged {
				lines = append(lines, l)
			}
		}
		if len(lines) != 1 || lines[0]["grpc_code"] != "Unimplemented" || lines[0]["req_id"] == "" {
			t.Errorf("%s: log lines %v; want one with grpc_code Unimplemented and a req_id", c.method, lines)
		}
	}
	if strings.Contains(e.log.buf.String(), "clvp_") {
		t.Errorf("the log holds a token-like method name:\n%s", e.log.buf.String())
	}
	if got := m.observed(); len(got) != 3 || got[0] != (observed{"/clarifai.api.V2/PostWorkflows", int(codes.Unimplemented), false}) {
		t.Errorf("observed %v", got)
	}
}

// TestChainObserves checks that every unary call is observed once with its
// in-band code (the gRPC code for the health service).
func TestChainObserves(t *testing.T) {
	m := &fakeMetrics{}
	e := newEnv(t, grpcapi.WithMetrics(m))
	if _, err := e.v2.GetApp(context.Background(), &pb.GetAppRequest{}); err != nil {
		t.Fatal(err)
	}
	if _, err := healthpb.NewHealthClient(e.conn).Check(context.Background(), &healthpb.HealthCheckRequest{}); err != nil {
		t.Fatal(err)
	}
	want := []observed{
		{"/clarifai.api.V2/GetApp", int(st.StatusCode_CONN_INVALID_REQUEST), false},
		{"/grpc.health.v1.Health/Check", int(codes.OK), false},
	}
	if got := m.observed(); len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("observed %v, want %v", got, want)
	}
}

// TestRelayedCalls checks that a call the REST gateway relays writes no log
// line (the gateway writes the request's one line), tells the gateway its
// user, and is observed as relayed.
func TestRelayedCalls(t *testing.T) {
	m := &fakeMetrics{}
	e := newEnv(t, grpcapi.WithMetrics(m), grpcapi.WithRelayed(func(context.Context) bool { return true }))
	var hdr metadata.MD
	r, err := e.v2.MyScopesUser(as(e.alice), &pb.MyScopesUserRequest{UserAppId: &pb.UserAppIDSet{UserId: "me"}}, grpc.Header(&hdr))
	if err != nil || r.GetStatus().GetCode() != st.StatusCode_SUCCESS {
		t.Fatalf("MyScopesUser: %v, %v", r.GetStatus(), err)
	}
	if got := hdr.Get(grpcapi.UserHeader); len(got) != 1 || got[0] != "alice" {
		t.Errorf("%s = %v, want alice", grpcapi.UserHeader, got)
	}
	if lines := e.log.lines(t, "rpc"); len(lines) != 0 {
		t.Errorf("a relayed call logged %v", lines)
	}
	if got := m.observed(); len(got) != 1 || !got[0].relayed {
		t.Errorf("observed %v, want one relayed call", got)
	}
}
