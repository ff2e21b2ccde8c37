package main_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	cmd "github.com/clavis-dev/clavis/cmd/clavis"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"
)

func appBatch(prefix string, n int) []*pb.App {
	out := make([]*pb.App, n)
	for i := range out {
		out[i] = &pb.App{Id: fmt.Sprintf("%s%04d", prefix, i)}
	}
	return out
}

// countApps returns how many apps the PAT's user owns.
func countApps(t *testing.T, s *testServer, pat string) int {
	t.Helper()
	r, err := s.v2.ListApps(as(pat), &pb.ListAppsRequest{UserAppId: me(), PerPage: 1000})
	wantCode(t, r, err, st.StatusCode_SUCCESS)
	return len(r.GetApps())
}

// TestOversizedBatchRefusedBeforeWrites checks that a batch over the item
// limit is refused in-band, naming the limit, on both transports, and that
// nothing of it is written.
func TestOversizedBatchRefusedBeforeWrites(t *testing.T) {
	s := startServer(t)
	pat := s.newUser(t, "batcher")
	r, err := s.v2.PostApps(as(pat), &pb.PostAppsRequest{UserAppId: me(), Apps: appBatch("g", 20000)})
	wantCode(t, r, err, st.StatusCode_CONN_INVALID_REQUEST)
	if d := r.GetStatus().GetDetails(); !strings.Contains(d, "PostAppsRequest.apps carries 20000 items; the limit is 128") {
		t.Fatalf("details %q do not name the limit", d)
	}
	ks := make([]map[string]any, 129)
	for i := range ks {
		ks[i] = map[string]any{"description": "k", "scopes": []string{"All"}}
	}
	apps := make([]map[string]any, 129)
	for i := range apps {
		apps[i] = map[string]any{"id": fmt.Sprintf("r%04d", i)}
	}
	for _, c := range []struct {
		method, path, field string
		body                any
	}{
		{"POST", "/v2/users/me/apps", "PostAppsRequest.apps", map[string]any{"apps": apps}},
		{"PATCH", "/v2/users/me/apps", "PatchAppsRequest.apps", map[string]any{"apps": apps, "action": "overwrite"}},
		{"POST", "/v2/users/me/keys", "PostKeysRequest.keys", map[string]any{"keys": ks}},
	} {
		rr := rest(t, s, c.method, c.path, pat, c.body).want(t, http.StatusBadRequest, int(st.StatusCode_CONN_INVALID_REQUEST))
		if d, _ := rr.status()["details"].(string); !strings.Contains(d, c.field+" carries 129 items; the limit is 128 per request") {
			t.Fatalf("%s %s: details %q", c.method, c.path, d)
		}
	}
	if n := countApps(t, s, pat); n != 0 {
		t.Fatalf("%d apps written by refused batches", n)
	}
	keys, err := s.v2.ListKeys(as(pat), &pb.ListKeysRequest{UserAppId: me()})
	wantCode(t, keys, err, st.StatusCode_SUCCESS)
	if len(keys.GetKeys()) != 1 { // the default PAT
		t.Fatalf("%d keys after refused batches", len(keys.GetKeys()))
	}
}

// TestQuotas checks the per-user quotas: a batch that would pass one is
// refused whole with 11006, other users are unaffected, and concurrent
// creates never pass it together.
func TestQuotas(t *testing.T) {
	s := startServer(t, func(c *cmd.Config) { c.Quotas = cmd.QuotasConfig{MaxAppsPerUser: 5, MaxKeysPerUser: 3} })
	pat := s.newUser(t, "quota")
	r, err := s.v2.PostApps(as(pat), &pb.PostAppsRequest{UserAppId: me(), Apps: appBatch("a", 6)})
	wantCode(t, r, err, st.StatusCode_CONN_EXCEEDS_LIMITS)
	if d := r.GetStatus().GetDetails(); !strings.Contains(d, "the limit of 5 apps per user") {
		t.Fatalf("details %q do not name the quota", d)
	}
	if n := countApps(t, s, pat); n != 0 {
		t.Fatalf("a refused batch left %d apps", n)
	}
	// Ten concurrent creates of one app each: five succeed.
	var wg sync.WaitGroup
	codes := make([]st.StatusCode, 10)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := s.v2.PostApps(as(pat), &pb.PostAppsRequest{UserAppId: me(), Apps: appBatch(fmt.Sprintf("c%d-", i), 1)})
			if err != nil {
				t.Error(err)
				return
			}
			codes[i] = r.GetStatus().GetCode()
		}()
	}
	wg.Wait()
	ok := 0
	for _, c := range codes {
		switch c {
		case st.StatusCode_SUCCESS:
			ok++
		case st.StatusCode_CONN_EXCEEDS_LIMITS:
		default:
			t.Fatalf("concurrent PostApps answered %v", c)
		}
	}
	if n := countApps(t, s, pat); ok != 5 || n != 5 {
		t.Fatalf("%d concurrent creates succeeded and %d apps exist; want 5 and 5", ok, n)
	}
	// Keys: the default PAT counts; two more fit, a third does not.
	k, err := s.v2.PostKeys(as(pat), &pb.PostKeysRequest{UserAppId: me(), Keys: []*pb.Key{pk(), pk(), pk()}})
	wantCode(t, k, err, st.StatusCode_CONN_EXCEEDS_LIMITS)
	if d := k.GetStatus().GetDetails(); !strings.Contains(d, "holds 1 keys; 3 more would pass the limit of 3 keys per user") {
		t.Fatalf("details %q", d)
	}
	s.newKey(t, pat, &pb.Key{Type: "personal_access_token", Scopes: []string{"All"}})
	s.newKey(t, pat, &pb.Key{Type: "personal_access_token", Scopes: []string{"All"}})
	k, err = s.v2.PostKeys(as(pat), &pb.PostKeysRequest{UserAppId: me(), Keys: []*pb.Key{pk()}})
	wantCode(t, k, err, st.StatusCode_CONN_EXCEEDS_LIMITS)
	// Another user has quotas of their own.
	other := s.newUser(t, "other")
	s.newApp(t, other, "mine", false)
}

func pk() *pb.Key { return &pb.Key{Type: "personal_access_token", Scopes: []string{"All"}} }
