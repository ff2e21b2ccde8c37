package main_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"
	tokensv1 "github.com/clavis-dev/clavis/api/gen/clavis/tokens/v1"

	cmd "github.com/clavis-dev/clavis/cmd/clavis"
)

// TestKeyAllowlist limits keys to client addresses, over gRPC and REST on
// both engines: outside the list a key is refused (and the refusal
// audited), IPv4-mapped forms match their IPv4 clients, and a patch changes
// the list.
func TestKeyAllowlist(t *testing.T) {
	engines(t, func(t *testing.T, mod ...func(*cmd.Config)) {
		s := startServer(t, mod...)
		alice := s.newUser(t, "alice")
		elsewhere := s.newKey(t, alice, &pb.Key{Type: "personal_access_token", Scopes: []string{"All"}, AllowedCidrs: []string{"10.0.0.0/8", "2001:db8::/32"}})
		mapped := s.newKey(t, alice, &pb.Key{Type: "personal_access_token", Scopes: []string{"All"}, AllowedCidrs: []string{"::ffff:127.0.0.1"}})
		get := func(tok string) *st.Status {
			r, err := s.v2.GetUser(as(tok), &pb.GetUserRequest{UserAppId: me()})
			if err != nil {
				t.Fatal(err)
			}
			return r.GetStatus()
		}
		if st0 := get(elsewhere); st0.GetCode() != st.StatusCode_CONN_KEY_INVALID || !strings.Contains(st0.GetDetails(), "127.0.0.1") {
			t.Errorf("key used outside its allowlist over gRPC: %v %s", st0.GetCode(), st0.GetDetails())
		}
		rest(t, s, http.MethodGet, "/v2/users/me", elsewhere, nil).want(t, 401, int(st.StatusCode_CONN_KEY_INVALID))
		if c := get(mapped).GetCode(); c != st.StatusCode_SUCCESS {
			t.Errorf("mapped allowlist entry: %v", c)
		}
		rest(t, s, http.MethodGet, "/v2/users/me", mapped, nil).want(t, 200, 10000)

		id := s.keyID(t, alice, mapped)
		g, err := s.v2.GetKey(as(alice), &pb.GetKeyRequest{UserAppId: me(), KeyId: id})
		wantCode(t, g, err, st.StatusCode_SUCCESS)
		if got := g.GetKey().GetAllowedCidrs(); len(got) != 1 || got[0] != "127.0.0.1/32" {
			t.Errorf("allowed_cidrs stored as %v", got)
		}
		// A patch that changes the list; an empty one leaves it.
		list, err := s.v2.ListKeys(as(alice), &pb.ListKeysRequest{UserAppId: me()})
		wantCode(t, list, err, st.StatusCode_SUCCESS)
		var eid string
		for _, k := range list.GetKeys() {
			if len(k.GetAllowedCidrs()) == 2 {
				eid = k.GetId()
			}
		}
		p, err := s.v2.PatchKeys(as(alice), &pb.PatchKeysRequest{UserAppId: me(), Action: "overwrite", Keys: []*pb.Key{{Id: eid, AllowedCidrs: []string{"127.0.0.0/8"}}}})
		wantCode(t, p, err, st.StatusCode_SUCCESS)
		if c := get(elsewhere).GetCode(); c != st.StatusCode_SUCCESS {
			t.Errorf("after widening the allowlist: %v", c)
		}
		p, err = s.v2.PatchKeys(as(alice), &pb.PatchKeysRequest{UserAppId: me(), Action: "overwrite", Keys: []*pb.Key{{Id: eid, Description: "renamed"}}})
		wantCode(t, p, err, st.StatusCode_SUCCESS)
		if got := p.GetKeys()[0].GetAllowedCidrs(); len(got) != 1 || got[0] != "127.0.0.0/8" {
			t.Errorf("a patch without allowed_cidrs changed them: %v", got)
		}
		bad, err := s.v2.PostKeys(as(alice), &pb.PostKeysRequest{UserAppId: me(), Keys: []*pb.Key{{Type: "personal_access_token", Scopes: []string{"All"}, AllowedCidrs: []string{"10.0.0.0/33"}}}})
		wantCode(t, bad, err, st.StatusCode_CONN_INVALID_REQUEST)

		// The refusals are audited per key and address.
		if err := s.FlushAudit(context.Background()); err != nil {
			t.Fatal(err)
		}
		es := s.audit(t, alice, &tokensv1.SearchAuditRequest{Events: []string{"auth.failures"}})
		if len(es) == 0 || !strings.Contains(es[0].GetDetails(), "address") || es[0].GetCount() != 2 {
			t.Errorf("allowlist refusals audited as %v", es)
		}
	})
}
