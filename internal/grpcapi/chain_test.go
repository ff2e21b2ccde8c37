package grpcapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/auth"
	"github.com/clavis-dev/clavis/internal/grpcapi"
	"github.com/clavis-dev/clavis/internal/service"
	"github.com/clavis-dev/clavis/internal/store/sqlite"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"
)

// logBuf collects JSON log lines.
type logBuf struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// lines returns the log lines with the given message.
func (l *logBuf) lines(t *testing.T, msg string) []map[string]any {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(l.buf.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if m["msg"] == msg {
			out = append(out, m)
		}
	}
	return out
}

// env is a Server over a fresh SQLite store, served on an in-memory
// listener, with a user alice and her default PAT.
type env struct {
	api   *grpcapi.Server
	v2    pb.V2Client
	conn  *grpc.ClientConn
	log   *logBuf
	alice string
}

func newEnv(t *testing.T, opts ...grpcapi.Option) *env {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "clavis.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	hash := auth.NewHasher(nil)
	authn := auth.NewAuthenticator(db, auth.AuthnConfig{Hasher: hash})
	authz := auth.NewAuthorizer(db)
	svc := service.New(service.Config{Store: db, Hasher: hash, Invalidator: authn, Authorizer: authz})
	_, alice, err := svc.CreateUser(ctx, service.NewUser{ID: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{log: &logBuf{}, alice: alice}
	e.api = grpcapi.New(svc, authn, authz, slog.New(slog.NewJSONHandler(e.log, nil)), opts...)
	g := grpc.NewServer(e.api.ServerOptions()...)
	e.api.Register(g)
	healthpb.RegisterHealthServer(g, health.NewServer())
	ln := bufconn.Listen(1 << 20)
	go g.Serve(ln)
	t.Cleanup(g.Stop)
	e.conn, err = grpc.NewClient("passthrough:///bufnet", grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return ln.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.conn.Close() })
	e.v2 = pb.NewV2Client(e.conn)
	return e
}

func as(tok string) context.Context {
	return metadata.AppendToOutgoingContext(context.Background(), "authorization", "Key "+tok)
}

// TestChainAnswersInBand checks that refusals and handler errors come back
// in-band, with a request id that the call's one log line carries too.
func TestChainAnswersInBand(t *testing.T) {
	e := newEnv(t)
	for _, c := range []struct {
		name string
		ctx  context.Context
		req  *pb.GetAppRequest
		want st.StatusCode
	}{
		{"NoCredentials", context.Background(), &pb.GetAppRequest{}, st.StatusCode_CONN_INVALID_REQUEST},
		{"BadKey", as("clvp_nope"), &pb.GetAppRequest{}, st.StatusCode_CONN_KEY_INVALID},
		{"MissingApp", as(e.alice), &pb.GetAppRequest{UserAppId: &pb.UserAppIDSet{UserId: "alice", AppId: "nope"}}, st.StatusCode_CONN_DOES_NOT_EXIST},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, err := e.v2.GetApp(c.ctx, c.req)
			if err != nil || r.GetStatus().GetCode() != c.want || r.GetStatus().GetReqId() == "" {
				t.Fatalf("GetApp = %v, %v; want in-band %v with a req_id", r.GetStatus(), err, c.want)
			}
			var logged []map[string]any
			for _, l := range e.log.lines(t, "rpc") {
				if l["req_id"] == r.GetStatus().GetReqId() {
					logged = append(logged, l)
				}
			}
			if len(logged) != 1 || logged[0]["code"] != float64(c.want) || logged[0]["method"] != "/clarifai.api.V2/GetApp" {
				t.Fatalf("log lines of req_id %s: %v", r.GetStatus().GetReqId(), logged)
			}
		})
	}
	// A handler's own error (here, one the service returns) too.
	r, err := e.v2.PostApps(as(e.alice), &pb.PostAppsRequest{UserAppId: &pb.UserAppIDSet{UserId: "me"}})
	if err != nil || r.GetStatus().GetCode() != st.StatusCode_CONN_INVALID_REQUEST || !strings.Contains(r.GetStatus().GetDetails(), "apps is empty") {
		t.Fatalf("PostApps with no apps = %v, %v", r.GetStatus(), err)
	}
	// Success: status OK, stamped with its request id.
	r, err = e.v2.PostApps(as(e.alice), &pb.PostAppsRequest{UserAppId: &pb.UserAppIDSet{UserId: "me"}, Apps: []*pb.App{{Id: "photos"}}})
	if err != nil || r.GetStatus().GetCode() != st.StatusCode_SUCCESS || r.GetStatus().GetReqId() == "" || len(r.GetApps()) != 1 {
		t.Fatalf("PostApps = %v, %v", r.GetStatus(), err)
	}
}

// TestChainChallenge checks that a refusal for want of credentials, and only
// that, carries the challenge header the REST gateway turns into a 401.
func TestChainChallenge(t *testing.T) {
	e := newEnv(t)
	var hdr metadata.MD
	if _, err := e.v2.GetApp(context.Background(), &pb.GetAppRequest{}, grpc.Header(&hdr)); err != nil {
		t.Fatal(err)
	}
	if got := hdr.Get(grpcapi.ChallengeHeader); len(got) != 1 || !strings.HasPrefix(got[0], "Key ") {
		t.Fatalf("challenge header without credentials = %v", got)
	}
	hdr = nil
	if _, err := e.v2.GetApp(as("clvp_nope"), &pb.GetAppRequest{}, grpc.Header(&hdr)); err != nil {
		t.Fatal(err)
	}
	if got := hdr.Get(grpcapi.ChallengeHeader); len(got) != 0 {
		t.Fatalf("challenge header for a bad key = %v; only missing credentials get one", got)
	}
}

// TestChainOtherServices checks that calls of services outside Clavis's
// (health) go through the chain's request id and logging, and keep their
// gRPC errors.
func TestChainOtherServices(t *testing.T) {
	e := newEnv(t)
	h := healthpb.NewHealthClient(e.conn)
	if _, err := h.Check(context.Background(), &healthpb.HealthCheckRequest{}); err != nil {
		t.Fatal(err)
	}
	_, err := h.Check(context.Background(), &healthpb.HealthCheckRequest{Service: "no.such.Service"})
	if status.Code(err) != codes.NotFound {
		t.Fatalf("unknown health service: %v, want NotFound", err)
	}
	var codesLogged []any
	for _, l := range e.log.lines(t, "rpc") {
		if l["method"] == "/grpc.health.v1.Health/Check" {
			codesLogged = append(codesLogged, l["grpc_code"])
		}
	}
	if len(codesLogged) != 2 || codesLogged[0] != "OK" || codesLogged[1] != "NotFound" {
		t.Fatalf("health check log lines: %v", codesLogged)
	}
}

// invoke runs a call of method through the chain to final.
func invoke(chain []grpc.UnaryServerInterceptor, ctx context.Context, method string, req any, final grpc.UnaryHandler) (any, error) {
	h := final
	for i := len(chain) - 1; i >= 0; i-- {
		ic, next := chain[i], h
		h = func(ctx context.Context, req any) (any, error) {
			return ic(ctx, req, &grpc.UnaryServerInfo{FullMethod: method}, next)
		}
	}
	return h(ctx, req)
}

// TestChainRecovery checks that a panicking or failing handler answers
// in-band, that an internal error's cause reaches the log and not the
// client, and that another service's panic is a gRPC Internal error.
func TestChainRecovery(t *testing.T) {
	e := newEnv(t)
	ctx := metadata.NewIncomingContext(context.Background(), metadata.Pairs("authorization", "Key "+e.alice))
	req := &pb.MyScopesUserRequest{}
	const method = "/clarifai.api.V2/MyScopesUser"
	for _, c := range []struct {
		name   string
		final  grpc.UnaryHandler
		want   st.StatusCode
		logged string // in the call's log line
	}{
		{"Panic", func(context.Context, any) (any, error) { panic("boom") }, st.StatusCode_INTERNAL_SERVER_ISSUE, "panic"},
		{"InternalError", func(context.Context, any) (any, error) {
			return nil, clavis.Internal(errors.New("disk on fire"))
		}, st.StatusCode_INTERNAL_SERVER_ISSUE, "disk on fire"},
		{"NoAnswer", func(context.Context, any) (any, error) { return nil, nil }, st.StatusCode_INTERNAL_SERVER_ISSUE, "answered nothing"},
		{"DomainError", func(context.Context, any) (any, error) {
			return nil, clavis.Errorf(clavis.EConflict, "taken")
		}, st.StatusCode_DATABASE_DUPLICATE_KEY, ""},
		{"NoStatus", func(context.Context, any) (any, error) { return &pb.MultiScopeUserResponse{Scopes: []string{"x"}}, nil }, st.StatusCode_SUCCESS, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			resp, err := invoke(e.api.Chain(), ctx, method, req, c.final)
			r, ok := resp.(*pb.MultiScopeUserResponse)
			if err != nil || !ok || r.GetStatus().GetCode() != c.want || r.GetStatus().GetReqId() == "" {
				t.Fatalf("answer = %v (%T), %v; want in-band %v", resp, resp, err, c.want)
			}
			if strings.Contains(r.GetStatus().String(), "fire") {
				t.Fatalf("the cause reached the client: %v", r.GetStatus())
			}
			for _, l := range e.log.lines(t, "rpc") {
				if l["req_id"] == r.GetStatus().GetReqId() {
					if l["code"] != float64(c.want) {
						t.Fatalf("log line %v: code, want %d", l, c.want)
					}
					if c.logged != "" && !strings.Contains(fmt.Sprint(l["err"]), c.logged) {
						t.Fatalf("log line %v lacks %q", l, c.logged)
					}
					return
				}
			}
			t.Fatal("no log line for the call")
		})
	}
	_, err := invoke(e.api.Chain(), ctx, "/grpc.health.v1.Health/Check", &healthpb.HealthCheckRequest{}, func(context.Context, any) (any, error) { panic("boom") })
	if status.Code(err) != codes.Internal {
		t.Fatalf("a panic in another service: %v, want codes.Internal", err)
	}
}
