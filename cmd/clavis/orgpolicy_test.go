package main_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"
	orgsv1 "github.com/clavis-dev/clavis/api/gen/clavis/orgs/v1"
	tokensv1 "github.com/clavis-dev/clavis/api/gen/clavis/tokens/v1"

	cmd "github.com/clavis-dev/clavis/cmd/clavis"
)

// TestOrgKeyPolicy applies an organization's expiry policy to its
// members' PATs and its apps' keys, over gRPC and REST on both engines:
// only org admins set it; the stricter of it and the server's policy
// applies to new keys; keys that break it are listed and warned about, and
// stop at stop_at; non-members are not governed; changes are audited.
func TestOrgKeyPolicy(t *testing.T) {
	engines(t, func(t *testing.T, mod ...func(*cmd.Config)) {
		day := 24 * time.Hour
		clock := newClock()
		s := startServer(t, append(mod, withClock(clock), func(c *cmd.Config) { c.PATMaxLifetime = 0 })...)
		orgs := orgsv1.NewOrgsClient(s.conn)
		bob, carol := s.newUser(t, "bob"), s.newUser(t, "carol")
		o, err := orgs.CreateOrg(as(s.pat), &orgsv1.CreateOrgRequest{Id: "acme"})
		wantCode(t, o, err, st.StatusCode_SUCCESS)
		rest(t, s, "PUT", "/v2/orgs/acme/members/bob", s.pat, map[string]any{"member": map[string]any{"role": "ORG_CONTRIBUTOR", "scopes": []string{"Apps:Get"}}}).want(t, 200, 10000)
		old := s.newKey(t, bob, &pb.Key{Type: "personal_access_token", Scopes: []string{"All"}, Description: "old"})
		oldID := s.keyID(t, bob, old)
		carolOld := s.newKey(t, carol, &pb.Key{Type: "personal_access_token", Scopes: []string{"All"}})
		s.newApp(t, s.pat, "dummy", false)
		rest(t, s, "POST", "/v2/users/acme/apps", s.pat, map[string]any{"apps": []any{map[string]any{"id": "vision"}}}).want(t, 200, 10000)
		rest(t, s, "POST", "/v2/users/me/keys", s.pat, map[string]any{"keys": []any{map[string]any{
			"type": "app_specific_key", "scopes": []string{"Predict"}, "apps": []any{map[string]any{"id": "vision", "user_id": "acme"}}}}}).want(t, 200, 10000)

		// Only org admins read and set the policy.
		rest(t, s, "PUT", "/v2/orgs/acme/key_policy", bob, map[string]any{"policy": map[string]any{"pat_expiry_required": true}}).want(t, 403, int(st.StatusCode_CONN_INSUFFICIENT_SCOPES))
		if r, err := orgs.GetKeyPolicy(as(bob), &orgsv1.OrgRequest{OrgId: "acme"}); err != nil || r.GetStatus().GetCode() == st.StatusCode_SUCCESS {
			t.Fatalf("a contributor read the org's key policy: %v %v", r.GetStatus(), err)
		}
		set := rest(t, s, "PUT", "/v2/orgs/acme/key_policy", s.pat, map[string]any{"policy": map[string]any{
			"pat_max_lifetime": "2592000s", "app_key_expiry_required": true}}).want(t, 200, 10000)
		breaking := map[string]string{}
		list, _ := set.body["breaking_keys"].([]any)
		for _, b := range list {
			b := b.(map[string]any)
			k := b["key"].(map[string]any)
			breaking[k["id"].(string)] = b["user_id"].(string) + " " + k["type"].(string) + " " + k["policy_warning"].(string)
		}
		if w := breaking[oldID]; !strings.HasPrefix(w, "bob personal_access_token") || !strings.Contains(w, "acme") {
			t.Errorf("bob's never-expiring PAT listed as %q: %s", w, set.raw)
		}
		apps := 0
		for id, w := range breaking {
			if strings.HasPrefix(w, "carol") {
				t.Errorf("carol, no member, has a breaking key %s", id)
			}
			if strings.Contains(w, " app_specific_key ") {
				apps++
			}
		}
		if apps != 1 {
			t.Errorf("%d breaking app keys of acme/vision listed, want 1: %v", apps, breaking)
		}
		g, err := s.v2.GetKey(as(bob), &pb.GetKeyRequest{UserAppId: me(), KeyId: oldID})
		wantCode(t, g, err, st.StatusCode_SUCCESS)
		if w := g.GetKey().GetPolicyWarning(); !strings.Contains(w, "never expires") || !strings.Contains(w, "acme") {
			t.Errorf("bob's old key's policy_warning = %q", w)
		}

		post := func(tok string, k *pb.Key) st.StatusCode {
			r, err := s.v2.PostKeys(as(tok), &pb.PostKeysRequest{UserAppId: me(), Keys: []*pb.Key{k}})
			if err != nil {
				t.Fatal(err)
			}
			return r.GetStatus().GetCode()
		}
		pat := func(d time.Duration) *pb.Key {
			k := &pb.Key{Type: "personal_access_token", Scopes: []string{"Apps:Get"}}
			if d > 0 {
				k.ExpiresAt = timestamppb.New(clock.Now().Add(d))
			}
			return k
		}
		for _, c := range []struct {
			name string
			tok  string
			key  *pb.Key
			want st.StatusCode
		}{
			{"MemberNoExpiry", bob, pat(0), st.StatusCode_CONN_INVALID_REQUEST},
			{"MemberTooLong", bob, pat(31 * day), st.StatusCode_CONN_INVALID_REQUEST},
			{"MemberWithin", bob, pat(29 * day), st.StatusCode_SUCCESS},
			{"NonMember", carol, pat(0), st.StatusCode_SUCCESS},
			{"OrgAppKeyExpiring", s.pat, &pb.Key{Type: "app_specific_key", Scopes: []string{"Predict"}, Apps: []*pb.App{{Id: "vision", UserId: "acme"}}, ExpiresAt: timestamppb.New(clock.Now().Add(20 * day))}, st.StatusCode_SUCCESS},
			{"OrgAppKeyNoExpiry", s.pat, &pb.Key{Type: "app_specific_key", Scopes: []string{"Predict"}, Apps: []*pb.App{{Id: "vision", UserId: "acme"}}}, st.StatusCode_CONN_INVALID_REQUEST},
			{"OwnAppKey", s.pat, &pb.Key{Type: "app_specific_key", Scopes: []string{"Predict"}, Apps: []*pb.App{{Id: "dummy", UserId: "admin"}}}, st.StatusCode_SUCCESS},
		} {
			if got := post(c.tok, c.key); got != c.want {
				t.Errorf("%s: %v, want %v", c.name, got, c.want)
			}
		}

		// stop_at: the breaking keys stop then, on the next request.
		// The org's admins are members: their own PATs are governed too.
		admin := s.newKey(t, s.pat, &pb.Key{Type: "personal_access_token", Scopes: []string{"All"}, ExpiresAt: timestamppb.New(clock.Now().Add(29 * day))})
		within := s.newKey(t, bob, &pb.Key{Type: "personal_access_token", Scopes: []string{"All"}, ExpiresAt: timestamppb.New(clock.Now().Add(29 * day))})
		stop := clock.Now().Add(time.Hour)
		r, err := orgs.SetKeyPolicy(as(s.pat), &orgsv1.SetKeyPolicyRequest{OrgId: "acme", Policy: &orgsv1.KeyPolicy{PatExpiryRequired: true, StopAt: timestamppb.New(stop)}})
		wantCode(t, r, err, st.StatusCode_SUCCESS)
		if !r.GetPolicy().GetStopAt().AsTime().Equal(stop.Truncate(time.Microsecond)) || !r.GetPolicy().GetPatExpiryRequired() {
			t.Errorf("policy answered as %v", r.GetPolicy())
		}
		if c := post(carol, pat(0)); c != st.StatusCode_SUCCESS {
			t.Errorf("carol after the second policy: %v", c)
		}
		get := func(tok string) st.StatusCode {
			r, err := s.v2.GetUser(as(tok), &pb.GetUserRequest{UserAppId: me()})
			if err != nil {
				t.Fatal(err)
			}
			return r.GetStatus().GetCode()
		}
		if c := get(old); c != st.StatusCode_SUCCESS {
			t.Fatalf("bob's old key before stop_at: %v", c)
		}
		clock.Advance(2 * time.Hour)
		if c := get(old); c != st.StatusCode_CONN_KEY_INVALID {
			t.Errorf("bob's old key after stop_at: %v", c)
		}
		rest(t, s, http.MethodGet, "/v2/users/me", old, nil).want(t, 401, int(st.StatusCode_CONN_KEY_INVALID))
		if c := get(within); c != st.StatusCode_SUCCESS {
			t.Errorf("bob's compliant key after stop_at: %v", c)
		}
		if c := get(s.pat); c != st.StatusCode_CONN_KEY_INVALID {
			t.Errorf("the org admin's own never-expiring PAT after stop_at: %v", c)
		}
		if c := get(carolOld); c != st.StatusCode_SUCCESS {
			t.Errorf("carol's key (not governed) after stop_at: %v", c)
		}
		if err := stopAtBadDate(orgs, admin, clock.Now().Add(-time.Minute)); err != "" {
			t.Error(err)
		}

		// Audited: the change for the org's admins, the stop for the owner.
		if err := s.FlushAudit(t.Context()); err != nil {
			t.Fatal(err)
		}
		if es := s.audit(t, admin, &tokensv1.SearchAuditRequest{Events: []string{"org.key_policy"}}); len(es) != 2 || es[0].GetOrgId() != "acme" || !strings.Contains(es[0].GetDetails(), "stop at") {
			t.Errorf("org.key_policy entries: %v", es)
		}
		if e := find(s.audit(t, within, &tokensv1.SearchAuditRequest{Events: []string{"key.patch"}}), "key.patch", oldID); e == nil || !strings.Contains(e.GetDetails(), "acme") {
			t.Errorf("bob sees no key.patch entry for his stopped key: %v", e)
		}
	})
}

// stopAtBadDate checks that a stop_at in the past is refused.
func stopAtBadDate(orgs orgsv1.OrgsClient, pat string, at time.Time) string {
	r, err := orgs.SetKeyPolicy(as(pat), &orgsv1.SetKeyPolicyRequest{OrgId: "acme", Policy: &orgsv1.KeyPolicy{StopAt: timestamppb.New(at)}})
	if err != nil || r.GetStatus().GetCode() != st.StatusCode_CONN_INVALID_REQUEST {
		return "a stop_at in the past was not refused: " + r.GetStatus().String()
	}
	return ""
}

// TestOrgKeyPolicyStricter: the stricter of the server's and the
// organization's policy applies, whichever it is.
func TestOrgKeyPolicyStricter(t *testing.T) {
	engines(t, func(t *testing.T, mod ...func(*cmd.Config)) {
		day := 24 * time.Hour
		clock := newClock()
		s := startServer(t, append(mod, withClock(clock), func(c *cmd.Config) { c.PATMaxLifetime = 20 * day })...)
		orgs := orgsv1.NewOrgsClient(s.conn)
		admin := s.newKey(t, s.pat, &pb.Key{Type: "personal_access_token", Scopes: []string{"All"}, ExpiresAt: timestamppb.New(clock.Now().Add(5 * day))})
		o, err := orgs.CreateOrg(as(admin), &orgsv1.CreateOrgRequest{Id: "acme"})
		wantCode(t, o, err, st.StatusCode_SUCCESS)
		post := func(d time.Duration) st.StatusCode {
			r, err := s.v2.PostKeys(as(admin), &pb.PostKeysRequest{UserAppId: me(), Keys: []*pb.Key{{Type: "personal_access_token", Scopes: []string{"Apps:Get"}, ExpiresAt: timestamppb.New(clock.Now().Add(d))}}})
			if err != nil {
				t.Fatal(err)
			}
			return r.GetStatus().GetCode()
		}
		for _, c := range []struct {
			org     time.Duration
			key     time.Duration
			want    st.StatusCode
			comment string
		}{
			{30 * day, 4 * day, st.StatusCode_SUCCESS, "within both"},
			{2 * day, 3 * day, st.StatusCode_CONN_INVALID_REQUEST, "the org's is stricter"},
			{2 * day, 1 * day, st.StatusCode_SUCCESS, "within the org's"},
		} {
			r, err := orgs.SetKeyPolicy(as(admin), &orgsv1.SetKeyPolicyRequest{OrgId: "acme", Policy: &orgsv1.KeyPolicy{PatMaxLifetime: durationOf(c.org)}})
			wantCode(t, r, err, st.StatusCode_SUCCESS)
			if got := post(c.key); got != c.want {
				t.Errorf("org max %v, key for %v (%s): %v, want %v", c.org, c.key, c.comment, got, c.want)
			}
		}
		// The server's bound (20 days) holds under a laxer org policy: the
		// calling key limits new keys to its own 5 days, so ask over REST
		// with the bootstrap PAT, which never expires.
		r, err := orgs.SetKeyPolicy(as(admin), &orgsv1.SetKeyPolicyRequest{OrgId: "acme", Policy: &orgsv1.KeyPolicy{PatMaxLifetime: durationOf(30 * day)}})
		wantCode(t, r, err, st.StatusCode_SUCCESS)
		rest(t, s, "POST", "/v2/users/me/keys", s.pat, map[string]any{"keys": []any{map[string]any{"type": "personal_access_token", "scopes": []string{"Apps:Get"},
			"expires_at": clock.Now().Add(25 * day).UTC().Format(time.RFC3339)}}}).want(t, 400, int(st.StatusCode_CONN_INVALID_REQUEST))
	})
}

func durationOf(d time.Duration) *durationpb.Duration { return durationpb.New(d) }
