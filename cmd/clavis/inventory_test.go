package main_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"
	adminv1 "github.com/clavis-dev/clavis/api/gen/clavis/admin/v1"
	orgsv1 "github.com/clavis-dev/clavis/api/gen/clavis/orgs/v1"
	tokensv1 "github.com/clavis-dev/clavis/api/gen/clavis/tokens/v1"

	cmd "github.com/clavis-dev/clavis/cmd/clavis"
)

// TestKeyInventory lists every user's keys with the admin's filters and
// revokes all keys of a user, an app and an organization in one call each,
// over gRPC and REST on both engines.
func TestKeyInventory(t *testing.T) {
	engines(t, func(t *testing.T, mod ...func(*cmd.Config)) {
		clock := newClock()
		s := startServer(t, append(mod, withClock(clock))...)
		start := clock.Now()
		alice, bob := s.newUser(t, "alice"), s.newUser(t, "bob")
		s.newApp(t, alice, "photos", false)
		s.newApp(t, alice, "notes", false)
		photosKey := s.newKey(t, alice, &pb.Key{Type: "app_specific_key", Scopes: []string{"All"}, Apps: []*pb.App{{Id: "photos", UserId: "alice"}}})
		notesKey := s.newKey(t, alice, &pb.Key{Type: "app_specific_key", Scopes: []string{"All"}, Apps: []*pb.App{{Id: "notes", UserId: "alice"}}})
		bobShort := s.newKey(t, bob, &pb.Key{Type: "personal_access_token", Scopes: []string{"Predict"}, ExpiresAt: timestamppb.New(clock.Now().Add(time.Minute))})
		o, err := orgsv1.NewOrgsClient(s.conn).CreateOrg(as(bob), &orgsv1.CreateOrgRequest{Id: "acme"})
		wantCode(t, o, err, st.StatusCode_SUCCESS)
		pa, err := s.v2.PostApps(as(bob), &pb.PostAppsRequest{UserAppId: &pb.UserAppIDSet{UserId: "acme"}, Apps: []*pb.App{{Id: "vision"}}})
		wantCode(t, pa, err, st.StatusCode_SUCCESS)
		acmeKey := s.newKey(t, bob, &pb.Key{Type: "app_specific_key", Scopes: []string{"All"}, Apps: []*pb.App{{Id: "vision", UserId: "acme"}}})
		clock.Advance(2 * time.Minute)

		list := func(req *adminv1.ListAllKeysRequest) []*adminv1.OwnedKey {
			resp, err := s.admin.ListAllKeys(as(s.pat), req)
			wantCode(t, resp, err, st.StatusCode_SUCCESS)
			for _, k := range resp.GetKeys() {
				if strings.HasPrefix(k.GetKey().GetId(), "clv") {
					t.Fatalf("the inventory shows a secret: %v", k)
				}
			}
			return resp.GetKeys()
		}
		if n := len(list(&adminv1.ListAllKeysRequest{})); n != 7 { // admin, alice, bob default PATs; 3 app keys; bob's short PAT
			t.Errorf("all keys = %d, want 7", n)
		}
		if ks := list(&adminv1.ListAllKeysRequest{UserId: "bob", Type: "personal_access_token"}); len(ks) != 2 || ks[0].GetUserId() != "bob" {
			t.Errorf("bob's PATs = %v", ks)
		}
		if ks := list(&adminv1.ListAllKeysRequest{AppOwnerId: "alice", AppId: "photos"}); len(ks) != 1 || ks[0].GetKey().GetApps()[0].GetId() != "photos" {
			t.Errorf("keys of alice/photos = %v", ks)
		}
		if ks := list(&adminv1.ListAllKeysRequest{Expired: wrapperspb.Bool(true)}); len(ks) != 1 || ks[0].GetUserId() != "bob" {
			t.Errorf("expired keys = %v", ks)
		}
		if n := len(list(&adminv1.ListAllKeysRequest{Expired: wrapperspb.Bool(false)})); n != 6 {
			t.Errorf("live keys = %d, want 6", n)
		}
		// alice's default PAT made her keys; bob's made his; the admin's made users.
		if err := s.FlushKeyUse(context.Background()); err != nil {
			t.Fatal(err)
		}
		if n := len(list(&adminv1.ListAllKeysRequest{UnusedSince: timestamppb.New(clock.Now())})); n != 6 {
			t.Errorf("keys unused since now = %d, want all but the admin's PAT", n)
		}
		if n := len(list(&adminv1.ListAllKeysRequest{UnusedSince: timestamppb.New(start.Add(-time.Second))})); n != 4 {
			t.Errorf("keys unused since before the start = %d, want the 4 never used", n)
		}
		if n := len(list(&adminv1.ListAllKeysRequest{CreatedBefore: timestamppb.New(clock.Now().Add(-time.Hour))})); n != 0 {
			t.Errorf("keys created over an hour ago = %d", n)
		}
		r := rest(t, s, http.MethodGet, "/v2/admin/keys?user_id=alice&type=app_specific_key", s.pat, nil).want(t, 200, 10000)
		if ks, _ := r.body["keys"].([]any); len(ks) != 2 {
			t.Errorf("REST inventory: %s", r.raw)
		}
		// Not for users.
		nope, err := s.admin.ListAllKeys(as(alice), &adminv1.ListAllKeysRequest{})
		wantCode(t, nope, err, st.StatusCode_CONN_INSUFFICIENT_SCOPES)

		works := func(tok, owner, app string) st.StatusCode {
			resp, err := s.v2.GetApp(as(tok), &pb.GetAppRequest{UserAppId: &pb.UserAppIDSet{UserId: owner, AppId: app}})
			if err != nil {
				t.Fatal(err)
			}
			return resp.GetStatus().GetCode()
		}
		// One app's keys.
		rv, err := s.admin.RevokeKeys(as(s.pat), &adminv1.RevokeKeysRequest{AppOwnerId: "alice", AppId: "photos"})
		wantCode(t, rv, err, st.StatusCode_SUCCESS)
		if rv.GetRevoked() != 1 || works(photosKey, "alice", "photos") != st.StatusCode_CONN_KEY_INVALID || works(notesKey, "alice", "notes") != st.StatusCode_SUCCESS {
			t.Errorf("revoke app: %d revoked", rv.GetRevoked())
		}
		// An organization's, over REST.
		rr := rest(t, s, http.MethodPost, "/v2/admin/keys/revoke", s.pat, map[string]any{"org_id": "acme"}).want(t, 200, 10000)
		if !strings.Contains(string(rr.raw), `"revoked":1`) || works(acmeKey, "acme", "vision") != st.StatusCode_CONN_KEY_INVALID {
			t.Errorf("revoke org: %s", rr.raw)
		}
		// A user's: every PAT and app key.
		rv, err = s.admin.RevokeKeys(as(s.pat), &adminv1.RevokeKeysRequest{UserId: "alice"})
		wantCode(t, rv, err, st.StatusCode_SUCCESS)
		g, err := s.v2.GetUser(as(alice), &pb.GetUserRequest{UserAppId: me()})
		wantCode(t, g, err, st.StatusCode_CONN_KEY_INVALID)
		if rv.GetRevoked() != 2 || works(notesKey, "alice", "notes") != st.StatusCode_CONN_KEY_INVALID {
			t.Errorf("revoke user: %d revoked", rv.GetRevoked())
		}
		g, err = s.v2.GetUser(as(bob), &pb.GetUserRequest{UserAppId: me()})
		wantCode(t, g, err, st.StatusCode_SUCCESS) // others untouched
		_ = bobShort
		bad, err := s.admin.RevokeKeys(as(s.pat), &adminv1.RevokeKeysRequest{UserId: "bob", OrgId: "acme"})
		wantCode(t, bad, err, st.StatusCode_CONN_INVALID_REQUEST)
		// Audited for the owners.
		es := s.audit(t, s.pat, &tokensv1.SearchAuditRequest{UserId: "alice", Events: []string{"key.revoke_bulk"}})
		if len(es) != 3 || es[0].GetActorId() != "admin" {
			t.Errorf("alice's key.revoke_bulk entries: %v", es)
		}
	})
}

// TestBulkRevocationOnReplicas: every key of a user revoked through one
// replica is refused by the others from their next request.
func TestBulkRevocationOnReplicas(t *testing.T) {
	rs := startReplicas(t, 3)
	r1, others := rs[0], rs[1:]
	alice := r1.newUser(t, "alice")
	extra := r1.newKey(t, alice, &pb.Key{Type: "personal_access_token", Scopes: []string{"All"}})
	for _, tok := range []string{alice, extra} {
		primed(t, rs, func(r *testServer) func() (withStatus, error) { return getUser(r, tok) })
	}
	start := time.Now()
	rv, err := r1.admin.RevokeKeys(as(r1.pat), &adminv1.RevokeKeysRequest{UserId: "alice"})
	wantCode(t, rv, err, st.StatusCode_SUCCESS)
	for i, r := range others {
		for _, tok := range []string{alice, extra} {
			took := refusal(t, start, propagationBound, st.StatusCode_CONN_KEY_INVALID, getUser(r, tok))
			t.Logf("replica %d refused a revoked key after %v", i+2, took)
		}
	}
}
