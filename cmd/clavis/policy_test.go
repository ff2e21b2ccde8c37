package main_test

import (
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"

	cmd "github.com/clavis-dev/clavis/cmd/clavis"
)

// TestExpiryPolicy applies an instance expiry policy to new keys, patches,
// rotations and default PATs, and flags the existing keys that break it,
// on both engines.
func TestExpiryPolicy(t *testing.T) {
	engines(t, func(t *testing.T, mod ...func(*cmd.Config)) {
		clock := newClock()
		before := startServer(t, append(mod, withClock(clock))...)
		alice := before.newUser(t, "alice")
		forever := before.newKey(t, alice, &pb.Key{Type: "personal_access_token", Scopes: []string{"All"}, Description: "forever"})
		before.Close()

		policy := func(c *cmd.Config) {
			c.DataDir = before.dir
			c.PATMaxLifetime = 30 * 24 * time.Hour
			c.AppKeyExpiryRequired = true
		}
		s := startServer(t, append(mod, withClock(clock), policy)...)
		post := func(k *pb.Key) *pb.MultiKeyResponse {
			resp, err := s.v2.PostKeys(as(alice), &pb.PostKeysRequest{UserAppId: me(), Keys: []*pb.Key{k}})
			if err != nil {
				t.Fatal(err)
			}
			return resp
		}
		day := 24 * time.Hour
		if r := post(&pb.Key{Type: "personal_access_token", Scopes: []string{"Predict"}}); r.GetStatus().GetCode() != st.StatusCode_CONN_INVALID_REQUEST ||
			!strings.Contains(r.GetStatus().GetDetails(), "policy") {
			t.Errorf("PAT without expiry: %v", r.GetStatus())
		}
		if r := post(&pb.Key{Type: "personal_access_token", Scopes: []string{"Predict"}, ExpiresAt: timestamppb.New(clock.Now().Add(31 * day))}); r.GetStatus().GetCode() != st.StatusCode_CONN_INVALID_REQUEST {
			t.Errorf("PAT for 31 days: %v", r.GetStatus())
		}
		ok := post(&pb.Key{Type: "personal_access_token", Scopes: []string{"Predict"}, ExpiresAt: timestamppb.New(clock.Now().Add(30 * day))})
		wantCode(t, ok, nil, st.StatusCode_SUCCESS)
		s.newApp(t, alice, "photos", false)
		app := []*pb.App{{Id: "photos", UserId: "alice"}}
		if r := post(&pb.Key{Type: "app_specific_key", Scopes: []string{"All"}, Apps: app}); r.GetStatus().GetCode() != st.StatusCode_CONN_INVALID_REQUEST {
			t.Errorf("app key without expiry: %v", r.GetStatus())
		}
		wantCode(t, post(&pb.Key{Type: "app_specific_key", Scopes: []string{"All"}, Apps: app, ExpiresAt: timestamppb.New(clock.Now().Add(365 * day))}), nil, st.StatusCode_SUCCESS)

		// The key made before the policy keeps working, with a warning.
		foreverID := s.keyID(t, alice, forever)
		g, err := s.v2.GetKey(as(alice), &pb.GetKeyRequest{UserAppId: me(), KeyId: foreverID})
		wantCode(t, g, err, st.StatusCode_SUCCESS)
		if !strings.Contains(g.GetKey().GetPolicyWarning(), "never expires") {
			t.Errorf("pre-policy key warning = %q", g.GetKey().GetPolicyWarning())
		}
		u, err := s.v2.GetUser(as(forever), &pb.GetUserRequest{UserAppId: me()})
		wantCode(t, u, err, st.StatusCode_SUCCESS)
		// The admin's inventory lists it with the same warning.
		s.pat = before.pat // the admin's, from the first start
		if code, out, errOut := newCLI(t, s).run("users", "keys", "--user", "alice"); code != 0 || !strings.Contains(out, "POLICY") ||
			!strings.Contains(out, g.GetKey().GetPolicyWarning()) {
			t.Errorf("users keys: %d %s %s", code, out, errOut)
		}
		// Patching its expiry past the bound is refused.
		p, err := s.v2.PatchKeys(as(alice), &pb.PatchKeysRequest{UserAppId: me(), Action: "overwrite",
			Keys: []*pb.Key{{Id: foreverID, ExpiresAt: timestamppb.New(clock.Now().Add(60 * day))}}})
		wantCode(t, p, err, st.StatusCode_CONN_INVALID_REQUEST)
		// Rotating it brings it into line.
		r := s.rotate(t, alice, foreverID, time.Hour)
		if exp := r.GetKey().GetExpiresAt().AsTime(); exp.Sub(clock.Now().Add(30*day)).Abs() > time.Millisecond || r.GetKey().GetPolicyWarning() != "" {
			t.Errorf("rotated key expires %v, warning %q", exp, r.GetKey().GetPolicyWarning())
		}
		// A new user's default PAT gets the maximum lifetime.
		bobs := s.newUser(t, "carol")
		k, err := s.v2.GetKey(as(bobs), &pb.GetKeyRequest{UserAppId: me(), KeyId: bobs})
		wantCode(t, k, err, st.StatusCode_SUCCESS)
		if exp := k.GetKey().GetExpiresAt(); exp == nil || exp.AsTime().Sub(clock.Now().Add(30*day)).Abs() > time.Millisecond {
			t.Errorf("default PAT under the policy expires %v", exp)
		}
	})
}

// TestExpiryPolicyCLI: the presets of --expires, and the warning of pat list.
func TestExpiryPolicyCLI(t *testing.T) {
	s := startServer(t, func(c *cmd.Config) { c.PATMaxLifetime = 30 * 24 * time.Hour })
	c := newCLI(t, s)
	code, out, errOut := c.run("pat", "create", "--scopes", "Predict", "--expires", "7d")
	if code != 0 || !strings.HasPrefix(lastLine(out), "clvp_") {
		t.Fatalf("pat create --expires 7d: %d %s %s", code, out, errOut)
	}
	if code, out, errOut := c.run("pat", "create", "--scopes", "Predict", "--expires", "90d"); code == 0 || !strings.Contains(errOut, "maximum lifetime") {
		t.Fatalf("pat create --expires 90d under a 30-day policy: %d %s %s", code, out, errOut)
	}
	code, out, errOut = c.run("pat", "list")
	// The bootstrap PAT was made under the policy; none breaks it.
	if code != 0 || strings.Contains(errOut, "warning") {
		t.Fatalf("pat list: %d %s %s", code, out, errOut)
	}
}
