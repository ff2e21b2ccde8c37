package main_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"

	cmd "github.com/clavis-dev/clavis/cmd/clavis"
)

// TestLastUse records each key's last use and client address, off the
// request path, and filters lists by it over gRPC and REST on both engines.
func TestLastUse(t *testing.T) {
	engines(t, func(t *testing.T, mod ...func(*cmd.Config)) {
		clock := newClock()
		s := startServer(t, append(mod, withClock(clock))...)
		alice := s.newUser(t, "alice")
		used := s.newKey(t, alice, &pb.Key{Type: "personal_access_token", Scopes: []string{"All"}, Description: "used"})
		s.newKey(t, alice, &pb.Key{Type: "personal_access_token", Scopes: []string{"All"}, Description: "idle"})
		at := clock.Now()
		r, err := s.v2.GetUser(as(used), &pb.GetUserRequest{UserAppId: me()})
		wantCode(t, r, err, st.StatusCode_SUCCESS)
		// Used again within the minute: not written again, so the first use stays.
		clock.Advance(30 * time.Second)
		r, err = s.v2.GetUser(as(used), &pb.GetUserRequest{UserAppId: me()})
		wantCode(t, r, err, st.StatusCode_SUCCESS)
		if err := s.FlushKeyUse(context.Background()); err != nil {
			t.Fatal(err)
		}
		clock.Advance(2 * time.Hour)

		byDesc := func(ks []*pb.Key) map[string]*pb.Key {
			m := map[string]*pb.Key{}
			for _, k := range ks {
				m[k.GetDescription()] = k
			}
			return m
		}
		list := func(req *pb.ListKeysRequest) map[string]*pb.Key {
			req.UserAppId, req.Type = me(), "personal_access_token"
			resp, err := s.v2.ListKeys(as(alice), req)
			wantCode(t, resp, err, st.StatusCode_SUCCESS)
			return byDesc(resp.GetKeys())
		}
		all := list(&pb.ListKeysRequest{})
		u := all["used"]
		if u == nil || u.GetLastUsedAt() == nil || u.GetLastUsedAt().AsTime().Sub(at).Abs() > time.Millisecond || u.GetLastUsedAddr() != "127.0.0.1" {
			t.Fatalf("used key = %v, want last used at %v from 127.0.0.1", u, at)
		}
		if i := all["idle"]; i == nil || i.GetLastUsedAt() != nil || i.GetLastUsedAddr() != "" {
			t.Fatalf("idle key = %v", i)
		}
		// alice's default PAT made the keys, so it is used too.
		if got := list(&pb.ListKeysRequest{NeverUsed: true}); len(got) != 1 || got["idle"] == nil {
			t.Errorf("never_used = %v", got)
		}
		if got := list(&pb.ListKeysRequest{LastUsedBefore: timestamppb.New(clock.Now().Add(-time.Hour))}); len(got) != 2 || got["used"] == nil || got["default"] == nil {
			t.Errorf("last_used_before an hour ago = %v", got)
		}
		if got := list(&pb.ListKeysRequest{LastUsedBefore: timestamppb.New(at.Add(-time.Second))}); len(got) != 0 {
			t.Errorf("last_used_before its use = %v", got)
		}
		// Over REST, as query parameters.
		rr := rest(t, s, http.MethodGet, "/v2/users/me/keys?never_used=true", alice, nil).want(t, 200, 10000)
		if ks, _ := rr.body["keys"].([]any); len(ks) != 1 || ks[0].(map[string]any)["description"] != "idle" {
			t.Errorf("REST never_used: %s", rr.raw)
		}
		cut := clock.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
		rr = rest(t, s, http.MethodGet, "/v2/users/me/keys?last_used_before="+cut, alice, nil).want(t, 200, 10000)
		ks, _ := rr.body["keys"].([]any)
		if len(ks) != 2 || ks[0].(map[string]any)["last_used_addr"] != "127.0.0.1" {
			t.Errorf("REST last_used_before: %s", rr.raw)
		}
	})
}
