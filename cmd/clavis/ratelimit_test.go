package main_test

import (
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/wrapperspb"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"

	cmd "github.com/clavis-dev/clavis/cmd/clavis"
	"github.com/clavis-dev/clavis/internal/store/postgres/pgtest"
)

// Redis for the tests: the server in CLAVIS_TEST_REDIS (a redis:// URL);
// CLAVIS_REQUIRE_REDIS=1 (make test) makes its absence a failure.
const (
	envRedis        = "CLAVIS_TEST_REDIS"
	envRequireRedis = "CLAVIS_REQUIRE_REDIS"
)

func testRedis(t testing.TB) string {
	t.Helper()
	u := os.Getenv(envRedis)
	if u == "" {
		if os.Getenv(envRequireRedis) == "1" {
			t.Fatalf("%s is not set but %s=1: Redis tests must run", envRedis, envRequireRedis)
		}
		t.Skipf("%s not set: skipping Redis test", envRedis)
	}
	return u
}

// rateClock is a clock stopped in the middle of a minute, so that a test's
// requests all fall in one window of the per-key limits.
func rateClock() *fakeClock {
	return &fakeClock{t: time.Now().Truncate(time.Minute).Add(20 * time.Second)}
}

// limited creates a PAT of scope All limited to n requests a minute.
func (s *testServer) limited(t testing.TB, pat string, n uint32) string {
	t.Helper()
	return s.newKey(t, pat, &pb.Key{Type: "personal_access_token", Scopes: []string{"All"}, RateLimit: wrapperspb.UInt32(n)})
}

// TestKeyRateLimit limits a key to its requests a minute, over gRPC and
// REST on both engines: the calls past the limit in a minute are refused
// with CONN_THROTTLED (REST 429 with Retry-After), the next minute admits
// again, the limit shows in listings, a patch changes or removes it, and a
// limited key cannot mint an unlimited one.
func TestKeyRateLimit(t *testing.T) {
	engines(t, func(t *testing.T, mod ...func(*cmd.Config)) {
		clock := rateClock()
		s := startServer(t, append(mod, withClock(clock))...)
		alice := s.newUser(t, "alice")
		tok := s.limited(t, alice, 3)
		get := func() *st.Status {
			r, err := s.v2.GetUser(as(tok), &pb.GetUserRequest{UserAppId: me()})
			if err != nil {
				t.Fatal(err)
			}
			return r.GetStatus()
		}
		for i := 0; i < 2; i++ {
			if c := get().GetCode(); c != st.StatusCode_SUCCESS {
				t.Fatalf("request %d within the limit: %v", i+1, c)
			}
		}
		rest(t, s, http.MethodGet, "/v2/users/me", tok, nil).want(t, 200, 10000)
		if got := get(); got.GetCode() != st.StatusCode_CONN_THROTTLED || got.GetDetails() == "" {
			t.Fatalf("4th request in a minute of a key limited to 3: %v %q", got.GetCode(), got.GetDetails())
		}
		r := rest(t, s, http.MethodGet, "/v2/users/me", tok, nil).want(t, 429, int(st.StatusCode_CONN_THROTTLED))
		if ra := r.hdr.Get("Retry-After"); ra != "40" {
			t.Errorf("Retry-After = %q, want 40 (seconds to the end of the minute)", ra)
		}
		// Other keys of the user are not limited.
		rest(t, s, http.MethodGet, "/v2/users/me", alice, nil).want(t, 200, 10000)

		clock.Advance(time.Minute)
		if c := get().GetCode(); c != st.StatusCode_SUCCESS {
			t.Fatalf("the next minute: %v", c)
		}

		// Listings show the limit; a patch without it keeps it, 0 removes it.
		id := s.keyID(t, alice, tok)
		g := rest(t, s, http.MethodGet, "/v2/users/me/keys/"+id, alice, nil).want(t, 200, 10000)
		if k, _ := g.body["key"].(map[string]any); k["rate_limit"] != float64(3) {
			t.Errorf("GetKey over REST: rate_limit %v, want 3: %s", k["rate_limit"], g.raw)
		}
		rest(t, s, http.MethodPatch, "/v2/users/me/keys", alice, map[string]any{"action": "overwrite",
			"keys": []any{map[string]any{"id": id, "description": "renamed"}}}).want(t, 200, 10000)
		l, err := s.v2.ListKeys(as(alice), &pb.ListKeysRequest{UserAppId: me()})
		wantCode(t, l, err, st.StatusCode_SUCCESS)
		found := false
		for _, k := range l.GetKeys() {
			if k.GetId() == id {
				found = k.GetRateLimit().GetValue() == 3
			}
		}
		if !found {
			t.Errorf("a patch without rate_limit changed it, or ListKeys does not show it")
		}
		rest(t, s, http.MethodPatch, "/v2/users/me/keys", alice, map[string]any{"action": "overwrite",
			"keys": []any{map[string]any{"id": id, "rate_limit": 0}}}).want(t, 200, 10000)
		for i := 0; i < 5; i++ {
			if c := get().GetCode(); c != st.StatusCode_SUCCESS {
				t.Fatalf("after removing the limit, request %d: %v", i+1, c)
			}
		}

		// No escalation: a limited key mints only keys limited as tightly.
		lim := s.limited(t, alice, 10)
		resp, err := s.v2.PostKeys(as(lim), &pb.PostKeysRequest{UserAppId: me(), Keys: []*pb.Key{{Type: "personal_access_token", Scopes: []string{"All"}}}})
		wantCode(t, resp, err, st.StatusCode_CONN_INSUFFICIENT_SCOPES)
		resp, err = s.v2.PostKeys(as(lim), &pb.PostKeysRequest{UserAppId: me(), Keys: []*pb.Key{{Type: "personal_access_token", Scopes: []string{"All"}, RateLimit: wrapperspb.UInt32(5)}}})
		wantCode(t, resp, err, st.StatusCode_SUCCESS)
		rest(t, s, http.MethodPost, "/v2/users/me/keys", alice, map[string]any{"keys": []any{map[string]any{
			"type": "personal_access_token", "scopes": []string{"All"}, "rate_limit": 2000000}}}).want(t, 400, int(st.StatusCode_CONN_INVALID_REQUEST))
	})
}

// hammer sends n GetUser calls with tok, spread over the servers and run
// concurrently, and returns how many succeeded and how many were throttled.
func hammer(t *testing.T, servers []*testServer, tok string, n int) (ok, throttled int) {
	t.Helper()
	var okN, thrN, other atomic.Int64
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(s *testServer) {
			defer wg.Done()
			r, err := s.v2.GetUser(as(tok), &pb.GetUserRequest{UserAppId: me()})
			switch {
			case err != nil:
				other.Add(1)
			case r.GetStatus().GetCode() == st.StatusCode_SUCCESS:
				okN.Add(1)
			case r.GetStatus().GetCode() == st.StatusCode_CONN_THROTTLED:
				thrN.Add(1)
			default:
				other.Add(1)
			}
		}(servers[i%len(servers)])
	}
	wg.Wait()
	if other.Load() != 0 {
		t.Fatalf("%d calls failed otherwise", other.Load())
	}
	return int(okN.Load()), int(thrN.Load())
}

// TestReplicaRateLimit runs two replicas over one PostgreSQL database, with
// the counters in Redis and in the database alone: a key limited to 10
// requests a minute gets exactly 10 through, out of 40 concurrent calls
// spread over both replicas.
func TestReplicaRateLimit(t *testing.T) {
	for _, c := range []struct {
		name string
		mod  func(*cmd.Config)
	}{
		{"Redis", func(c *cmd.Config) { c.Redis = testRedis(t) }},
		{"PostgreSQL", func(*cmd.Config) {}},
	} {
		t.Run(c.name, func(t *testing.T) {
			clock := rateClock()
			dsn := pgtest.NewDatabase(t)
			a := startServer(t, onPostgres(dsn), withClock(clock), c.mod)
			b := startServer(t, onPostgres(dsn), withClock(clock), c.mod)
			tok := a.limited(t, a.pat, 10)
			ok, throttled := hammer(t, []*testServer{a, b}, tok, 40)
			if ok != 10 || throttled != 30 {
				t.Fatalf("%d admitted and %d throttled across two replicas; want exactly 10 and 30", ok, throttled)
			}
			clock.Advance(time.Minute)
			if ok, _ := hammer(t, []*testServer{b, a}, tok, 12); ok != 10 {
				t.Fatalf("the next minute admitted %d; want 10", ok)
			}
		})
	}
}

// relay forwards TCP connections to target until closed, so that a test
// can cut a server off from its Redis.
type relay struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func newRelay(t *testing.T, target string) *relay {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &relay{ln: ln}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			u, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			r.mu.Lock()
			r.conns = append(r.conns, c, u)
			r.mu.Unlock()
			go func() { io.Copy(u, c); u.Close() }()
			go func() { io.Copy(c, u); c.Close() }()
		}
	}()
	t.Cleanup(r.cut)
	return r
}

func (r *relay) cut() {
	r.ln.Close()
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.conns {
		c.Close()
	}
	r.conns = nil
}

// TestRateLimitFailsClosed cuts the server off from its Redis: a limited
// key is then refused with RPC_SERVER_UNAVAILABLE (REST 503) and the
// failure logged, while keys without a limit keep working.
func TestRateLimitFailsClosed(t *testing.T) {
	u := testRedis(t)
	ru, err := url.Parse(u)
	if err != nil {
		t.Fatalf("%s: %v", envRedis, err)
	}
	r := newRelay(t, ru.Host)
	logs := &logBuffer{}
	s := startServerLogging(t, logs, func(c *cmd.Config) { c.Redis = "redis://" + r.ln.Addr().String() })
	tok := s.limited(t, s.pat, 100)
	rest(t, s, http.MethodGet, "/v2/users/me", tok, nil).want(t, 200, 10000)
	r.cut()
	resp, err := s.v2.GetUser(as(tok), &pb.GetUserRequest{UserAppId: me()})
	wantCode(t, resp, err, st.StatusCode_RPC_SERVER_UNAVAILABLE)
	rest(t, s, http.MethodGet, "/v2/users/me", tok, nil).want(t, 503, int(st.StatusCode_RPC_SERVER_UNAVAILABLE))
	rest(t, s, http.MethodGet, "/v2/users/me", s.pat, nil).want(t, 200, 10000)
	if !strings.Contains(logs.String(), "rate limit counter unreachable") {
		t.Errorf("the refusal is not logged: %s", logs.String())
	}
}
