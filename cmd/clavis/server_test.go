package main_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	cmd "github.com/clavis-dev/clavis/cmd/clavis"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"
	adminv1 "github.com/clavis-dev/clavis/api/gen/clavis/admin/v1"
)

// testServer is a real Clavis server on a loopback port with a temp data
// dir, and a client connection to it.
type testServer struct {
	*cmd.Server
	dir   string
	conn  *grpc.ClientConn
	v2    pb.V2Client
	admin adminv1.AdminClient
	pat   string // the bootstrap admin's PAT
}

func startServer(t testing.TB, mod ...func(*cmd.Config)) *testServer {
	t.Helper()
	return startServerLogging(t, io.Discard, mod...)
}

// startServerLogging is startServer with the server's log written to logs.
func startServerLogging(t testing.TB, logs io.Writer, mod ...func(*cmd.Config)) *testServer {
	t.Helper()
	s, _ := launchServer(t, logs, false, mod...)
	// The models load behind the listener; tests predict once loaded
	// (modelload_test.go tests the time before).
	if err := s.WaitModels(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

// launchServer starts a server as startServerLogging does, without waiting
// for its models; with hold, their load waits for release, which the
// test's cleanup calls too.
func launchServer(t testing.TB, logs io.Writer, hold bool, mod ...func(*cmd.Config)) (s *testServer, release func()) {
	t.Helper()
	cfg := cmd.DefaultConfig()
	cfg.Addr = "127.0.0.1:0"
	cfg.DataDir = filepath.Join(t.TempDir(), "data")
	for _, m := range mod {
		m(&cfg)
	}
	srv, err := cmd.NewServer(context.Background(), cfg, io.Discard, logs)
	if err != nil {
		t.Fatal(err)
	}
	release = func() {}
	if hold {
		release = sync.OnceFunc(cmd.HoldModelLoads(srv))
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	t.Cleanup(release) // before Close: cleanups run last first
	conn, err := grpc.NewClient(srv.Addr(), grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallSendMsgSize(200<<20), grpc.MaxCallRecvMsgSize(200<<20)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &testServer{Server: srv, dir: cfg.DataDir, conn: conn, v2: pb.NewV2Client(conn), admin: adminv1.NewAdminClient(conn), pat: srv.BootstrapPAT}, release
}

// as returns a context that authenticates with token.
func as(token string) context.Context {
	return metadata.AppendToOutgoingContext(context.Background(), "authorization", "Key "+token)
}

type withStatus interface{ GetStatus() *st.Status }

// wantCode fails the test unless the call succeeded at the transport level
// and answered the given in-band code.
func wantCode(t testing.TB, resp withStatus, err error, code st.StatusCode) {
	t.Helper()
	if err != nil {
		t.Fatalf("transport error: %v", err)
	}
	if got := resp.GetStatus().GetCode(); got != code {
		t.Fatalf("status = %v (%s: %s), want %v", got, resp.GetStatus().GetDescription(), resp.GetStatus().GetDetails(), code)
	}
	if resp.GetStatus().GetReqId() == "" {
		t.Fatalf("response has no req_id")
	}
}

// newUser creates a user through the admin service and returns its
// default PAT.
func (s *testServer) newUser(t testing.TB, id string) string {
	t.Helper()
	resp, err := s.admin.CreateUser(as(s.pat), &adminv1.CreateUserRequest{Id: id, Email: id + "@example.com"})
	wantCode(t, resp, err, st.StatusCode_SUCCESS)
	return resp.GetDefaultPat()
}

// newKey creates a key with the given PAT and returns its token.
func (s *testServer) newKey(t testing.TB, pat string, k *pb.Key) string {
	t.Helper()
	resp, err := s.v2.PostKeys(as(pat), &pb.PostKeysRequest{UserAppId: &pb.UserAppIDSet{UserId: "me"}, Keys: []*pb.Key{k}})
	wantCode(t, resp, err, st.StatusCode_SUCCESS)
	return resp.GetKeys()[0].GetId()
}

// newApp creates an app with the given PAT.
func (s *testServer) newApp(t testing.TB, pat, id string, public bool) {
	t.Helper()
	app := &pb.App{Id: id}
	if public {
		app.Visibility = &pb.Visibility{Gettable: pb.Visibility_PUBLIC}
	}
	resp, err := s.v2.PostApps(as(pat), &pb.PostAppsRequest{UserAppId: &pb.UserAppIDSet{UserId: "me"}, Apps: []*pb.App{app}})
	wantCode(t, resp, err, st.StatusCode_SUCCESS)
}

// logBuffer collects a server's log, written concurrently.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// records returns the lines of a JSON log, failing the test on a line that
// is not one JSON object.
func (b *logBuffer) records(t testing.TB) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n") {
		var r map[string]any
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("log line is not a JSON object: %v: %q", err, l)
		}
		out = append(out, r)
	}
	return out
}

// withReqID returns the log records that carry the req_id.
func withReqID(recs []map[string]any, id string) []map[string]any {
	var out []map[string]any
	for _, r := range recs {
		if r["req_id"] == id {
			out = append(out, r)
		}
	}
	return out
}
