package main_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"
	tokensv1 "github.com/clavis-dev/clavis/api/gen/clavis/tokens/v1"

	cmd "github.com/clavis-dev/clavis/cmd/clavis"
)

func (s *testServer) rotate(t testing.TB, tok, id string, grace time.Duration) *tokensv1.RotateKeyResponse {
	t.Helper()
	resp, err := tokensv1.NewTokensClient(s.conn).RotateKey(as(tok), &tokensv1.RotateKeyRequest{KeyId: id, Grace: durationpb.New(grace)})
	wantCode(t, resp, err, st.StatusCode_SUCCESS)
	return resp
}

// keyID returns the public id of a key by its token.
func (s *testServer) keyID(t testing.TB, pat, tok string) string {
	t.Helper()
	r, err := s.v2.GetKey(as(pat), &pb.GetKeyRequest{UserAppId: me(), KeyId: tok})
	wantCode(t, r, err, st.StatusCode_SUCCESS)
	return r.GetKey().GetId()
}

// TestRotation rotates PATs and app keys over gRPC and REST on both engines:
// the new key is the old one with a new secret and a fresh expiry of the same
// length; the old secret works until its grace period ends, to the second,
// then is refused as rotated out and audited.
func TestRotation(t *testing.T) {
	engines(t, func(t *testing.T, mod ...func(*cmd.Config)) {
		clock := newClock()
		s := startServer(t, append(mod, withClock(clock))...)
		alice := s.newUser(t, "alice")
		s.newApp(t, alice, "photos", false)
		created := clock.Now()
		old := s.newKey(t, alice, &pb.Key{Type: "personal_access_token", Description: "ci", Scopes: []string{"Predict", "Models:Get"},
			Endpoints: []string{"/clarifai.api.V2/PostModelOutputs"}, ExpiresAt: timestamppb.New(created.Add(30 * 24 * time.Hour))})
		oldID := s.keyID(t, alice, old)

		clock.Advance(time.Hour)
		r := s.rotate(t, alice, oldID, 10*time.Minute)
		nk, ok := r.GetKey(), r.GetOldKey()
		if !strings.HasPrefix(nk.GetId(), "clvp_") || nk.GetDescription() != "ci" || !slices.Equal(slices.Sorted(slices.Values(nk.GetScopes())), []string{"Models:Get", "Predict"}) ||
			!slices.Equal(nk.GetEndpoints(), []string{"/clarifai.api.V2/PostModelOutputs"}) || nk.GetType() != "personal_access_token" {
			t.Fatalf("new key = %v", nk)
		}
		if got, want := nk.GetExpiresAt().AsTime(), clock.Now().Add(30*24*time.Hour); got.Sub(want).Abs() > time.Millisecond {
			t.Errorf("new key expires %v, want 30 days from the rotation, %v", got, want)
		}
		newID := s.keyID(t, alice, nk.GetId())
		if ok.GetReplacedBy() != newID || ok.GetExpiresAt().AsTime().Sub(clock.Now().Add(10*time.Minute)).Abs() > time.Millisecond {
			t.Errorf("old key = %v", ok)
		}
		// During the grace period both secrets work; a rotated-out key is not
		// rotated or patched again.
		probe := func(tok string) *st.Status {
			resp, err := s.v2.GetUser(as(tok), &pb.GetUserRequest{UserAppId: me()})
			if err != nil {
				t.Fatal(err)
			}
			return resp.GetStatus()
		}
		clock.Advance(10*time.Minute - time.Second)
		if c := probe(old).GetCode(); c != st.StatusCode_CONN_INSUFFICIENT_SCOPES && c != st.StatusCode_SUCCESS {
			// GetUser is not among the key's endpoints; what matters is that it authenticates.
			t.Fatalf("old secret within its grace: %v", c)
		}
		pred := func(tok string) st.StatusCode {
			resp, err := s.v2.PostModelOutputs(as(tok), &pb.PostModelOutputsRequest{UserAppId: &pb.UserAppIDSet{UserId: "clarifai", AppId: "main"}, ModelId: "no-such-model"})
			if err != nil {
				t.Fatal(err)
			}
			return resp.GetStatus().GetCode()
		}
		if c := pred(old); c == st.StatusCode_CONN_KEY_INVALID {
			t.Fatalf("old secret refused within its grace")
		}
		if c := pred(nk.GetId()); c == st.StatusCode_CONN_KEY_INVALID {
			t.Fatalf("new secret refused")
		}
		again, err := tokensv1.NewTokensClient(s.conn).RotateKey(as(alice), &tokensv1.RotateKeyRequest{KeyId: oldID})
		wantCode(t, again, err, st.StatusCode_CONN_INVALID_REQUEST)
		patch, err := s.v2.PatchKeys(as(alice), &pb.PatchKeysRequest{UserAppId: me(), Action: "overwrite",
			Keys: []*pb.Key{{Id: oldID, Scopes: []string{"Predict"}, ExpiresAt: timestamppb.New(clock.Now().Add(time.Hour))}}})
		wantCode(t, patch, err, st.StatusCode_CONN_INVALID_REQUEST)

		// At the end of the grace period, to the second, it is refused.
		clock.Advance(time.Second)
		if s := probe(old); s.GetCode() != st.StatusCode_CONN_KEY_INVALID || !strings.Contains(s.GetDetails(), "rotated out") {
			t.Fatalf("old secret after its grace: %v %s", s.GetCode(), s.GetDetails())
		}
		if c := pred(nk.GetId()); c == st.StatusCode_CONN_KEY_INVALID {
			t.Fatalf("new secret refused after the grace")
		}
		if err := s.FlushAudit(context.Background()); err != nil {
			t.Fatal(err)
		}
		es := s.audit(t, alice, &tokensv1.SearchAuditRequest{KeyId: oldID})
		if e := find(es, "key.rotate", oldID); e == nil || !strings.Contains(e.GetDetails(), newID) {
			t.Errorf("no key.rotate entry: %v", events(es))
		}
		if e := find(es, "key.rotated_out", oldID); e == nil || e.GetCount() != 1 || e.GetSuccess() || e.GetSourceIp() != "127.0.0.1" {
			t.Errorf("rotated-out use not audited: %v", events(es))
		}
		noSecrets(t, es, old, nk.GetId())

		// An app key over REST, grace 0: the old secret stops at once; a key
		// that never expired gets one that never does.
		ak := s.newKey(t, alice, &pb.Key{Type: "app_specific_key", Scopes: []string{"All"}, Apps: []*pb.App{{Id: "photos", UserId: "alice"}}})
		akID := s.keyID(t, alice, ak)
		rr := rest(t, s, http.MethodPost, "/v2/keys/"+akID+"/rotate", alice, map[string]any{"grace": "0s"}).want(t, 200, 10000)
		var body struct {
			Key struct {
				ID        string `json:"id"`
				ExpiresAt string `json:"expires_at"`
				Apps      []struct {
					ID string `json:"id"`
				} `json:"apps"`
			} `json:"key"`
		}
		if err := json.Unmarshal(rr.raw, &body); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(body.Key.ID, "clvk_") || body.Key.ExpiresAt != "" || len(body.Key.Apps) != 1 || body.Key.Apps[0].ID != "photos" {
			t.Fatalf("rotated app key: %s", rr.raw)
		}
		getApp := func(tok string) st.StatusCode {
			resp, err := s.v2.GetApp(as(tok), &pb.GetAppRequest{UserAppId: &pb.UserAppIDSet{UserId: "alice", AppId: "photos"}})
			if err != nil {
				t.Fatal(err)
			}
			return resp.GetStatus().GetCode()
		}
		if c := getApp(ak); c != st.StatusCode_CONN_KEY_INVALID {
			t.Errorf("old app key with grace 0: %v", c)
		}
		if c := getApp(body.Key.ID); c != st.StatusCode_SUCCESS {
			t.Errorf("new app key: %v", c)
		}

		// Refusals: another user's key, a negative or too long grace, an
		// expired key.
		bob := s.newUser(t, "bob")
		foreign, err := tokensv1.NewTokensClient(s.conn).RotateKey(as(bob), &tokensv1.RotateKeyRequest{KeyId: newID})
		wantCode(t, foreign, err, st.StatusCode_CONN_DOES_NOT_EXIST)
		for _, g := range []time.Duration{-time.Second, 31 * 24 * time.Hour} {
			bad, err := tokensv1.NewTokensClient(s.conn).RotateKey(as(alice), &tokensv1.RotateKeyRequest{KeyId: newID, Grace: durationpb.New(g)})
			wantCode(t, bad, err, st.StatusCode_CONN_INVALID_REQUEST)
		}
		clock.Advance(31 * 24 * time.Hour)
		expired, err := tokensv1.NewTokensClient(s.conn).RotateKey(as(alice), &tokensv1.RotateKeyRequest{KeyId: newID})
		wantCode(t, expired, err, st.StatusCode_CONN_INVALID_REQUEST)
	})
}

// TestRotationCLI: `clavis pat rotate` and `clavis key rotate` print the new
// secret as their last line.
func TestRotationCLI(t *testing.T) {
	s := startServer(t)
	c := newCLI(t, s)
	tok := s.newKey(t, s.pat, &pb.Key{Type: "personal_access_token", Scopes: []string{"All"}, Description: "deploy"})
	id := s.keyID(t, s.pat, tok)
	code, out, errOut := c.run("pat", "rotate", id, "--grace", "1h")
	if code != 0 {
		t.Fatalf("pat rotate: %d %s %s", code, out, errOut)
	}
	fresh := lastLine(out)
	if !strings.HasPrefix(fresh, "clvp_") || fresh == tok {
		t.Fatalf("pat rotate printed %q", out)
	}
	r, err := s.v2.GetUser(as(fresh), &pb.GetUserRequest{UserAppId: me()})
	wantCode(t, r, err, st.StatusCode_SUCCESS)
	r, err = s.v2.GetUser(as(tok), &pb.GetUserRequest{UserAppId: me()})
	wantCode(t, r, err, st.StatusCode_SUCCESS) // within its grace

	s.newApp(t, s.pat, "photos", false)
	ak := s.newKey(t, s.pat, &pb.Key{Type: "app_specific_key", Scopes: []string{"All"}, Apps: []*pb.App{{Id: "photos", UserId: "me"}}})
	code, out, errOut = c.run("key", "rotate", s.keyID(t, s.pat, ak), "--json")
	if code != 0 {
		t.Fatalf("key rotate --json: %d %s %s", code, out, errOut)
	}
	var resp struct {
		Key struct {
			ID string `json:"id"`
		} `json:"key"`
	}
	if err := json.Unmarshal([]byte(out), &resp); err != nil || !strings.HasPrefix(resp.Key.ID, "clvk_") {
		t.Fatalf("key rotate --json: %v %s", err, out)
	}
	g, err := s.v2.GetApp(as(ak), &pb.GetAppRequest{UserAppId: &pb.UserAppIDSet{UserId: "admin", AppId: "photos"}})
	wantCode(t, g, err, st.StatusCode_CONN_KEY_INVALID) // default grace 0
}

// TestRotationOnReplicas: a key rotated through one replica with grace 0
// is refused by another at once, although its cache would trust the old
// secret for a minute.
func TestRotationOnReplicas(t *testing.T) {
	rs := startReplicas(t, 2)
	r1, r2 := rs[0], rs[1]
	alice := r1.newUser(t, "alice")
	tok := r1.newKey(t, alice, &pb.Key{Type: "personal_access_token", Scopes: []string{"All"}})
	primed(t, rs, func(r *testServer) func() (withStatus, error) { return getUser(r, tok) })
	start := time.Now()
	r1.rotate(t, alice, r1.keyID(t, alice, tok), 0)
	took := refusal(t, start, propagationBound, st.StatusCode_CONN_KEY_INVALID, getUser(r2, tok))
	t.Logf("replica 2 refused the rotated-out PAT after %v", took)
}
