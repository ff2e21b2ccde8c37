package main_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"
	tokensv1 "github.com/clavis-dev/clavis/api/gen/clavis/tokens/v1"

	"github.com/clavis-dev/clavis/clavis"
	cmd "github.com/clavis-dev/clavis/cmd/clavis"
	"github.com/clavis-dev/clavis/internal/auth"
)

// TestRevokeByValue revokes leaked tokens without credentials, over REST
// and gRPC, on both engines: found or not, well-formed or not, the answer is
// the same 202; found keys stop at once and their owners see who reported
// them, from where; the endpoint is rate-limited per address.
func TestRevokeByValue(t *testing.T) {
	engines(t, func(t *testing.T, mod ...func(*cmd.Config)) {
		s := startServer(t, mod...)
		alice := s.newUser(t, "alice")
		s.newApp(t, alice, "photos", false)
		leakedPAT := s.newKey(t, alice, &pb.Key{Type: "personal_access_token", Scopes: []string{"All"}})
		leakedKey := s.newKey(t, alice, &pb.Key{Type: "app_specific_key", Scopes: []string{"All"}, Apps: []*pb.App{{Id: "photos", UserId: "alice"}}})
		patID := s.keyID(t, alice, leakedPAT)
		neverIssued, err := auth.NewToken(clavis.KeyTypePAT)
		if err != nil {
			t.Fatal(err)
		}

		body := func(r restResp) string {
			// The request id differs per call; nothing else may.
			return strings.Replace(string(r.raw), r.status()["req_id"].(string), "", 1)
		}
		nothing := rest(t, s, http.MethodPost, "/v2/credentials/revoke", "", map[string]any{"credentials": []string{neverIssued, "clvp_nonsense", "hello"}})
		found := rest(t, s, http.MethodPost, "/v2/credentials/revoke", "", map[string]any{"credentials": []string{leakedPAT, leakedKey}})
		empty := rest(t, s, http.MethodPost, "/v2/credentials/revoke", "", map[string]any{"credentials": []string{}})
		for _, r := range []restResp{nothing, found, empty} {
			if r.code != http.StatusAccepted || body(r) != body(nothing) {
				t.Fatalf("HTTP %d %s; want 202 and the same body as %s", r.code, r.raw, nothing.raw)
			}
		}
		// Revoked at once.
		g, err := s.v2.GetUser(as(leakedPAT), &pb.GetUserRequest{UserAppId: me()})
		wantCode(t, g, err, st.StatusCode_CONN_KEY_INVALID)
		a, err := s.v2.GetApp(as(leakedKey), &pb.GetAppRequest{UserAppId: &pb.UserAppIDSet{UserId: "alice", AppId: "photos"}})
		wantCode(t, a, err, st.StatusCode_CONN_KEY_INVALID)
		g, err = s.v2.GetUser(as(alice), &pb.GetUserRequest{UserAppId: me()})
		wantCode(t, g, err, st.StatusCode_SUCCESS) // her other keys are untouched

		// The owner sees it, without the secret; anonymous, from the reporter's address.
		es := s.audit(t, alice, &tokensv1.SearchAuditRequest{Events: []string{"key.revoke"}})
		if len(es) != 2 {
			t.Fatalf("key.revoke entries: %v", events(es))
		}
		if e := find(es, "key.revoke", patID); e == nil || e.GetActorId() != "" || e.GetSubjectId() != "alice" || e.GetSourceIp() != "127.0.0.1" {
			t.Errorf("key.revoke = %v", e)
		}
		noSecrets(t, es, leakedPAT, leakedKey)

		// Over gRPC, with or without credentials.
		tc := tokensv1.NewTokensClient(s.conn)
		other := s.newKey(t, alice, &pb.Key{Type: "personal_access_token", Scopes: []string{"Predict"}})
		r1, err := tc.RevokeCredentials(context.Background(), &tokensv1.RevokeCredentialsRequest{Credentials: []string{other}})
		wantCode(t, r1, err, st.StatusCode_SUCCESS)
		r2, err := tc.RevokeCredentials(as("clvp_garbage"), &tokensv1.RevokeCredentialsRequest{Credentials: []string{neverIssued}})
		wantCode(t, r2, err, st.StatusCode_SUCCESS)
		if r1.GetStatus().GetDescription() != r2.GetStatus().GetDescription() {
			t.Errorf("answers differ: %v / %v", r1.GetStatus(), r2.GetStatus())
		}
		g, err = s.v2.GetUser(as(other), &pb.GetUserRequest{UserAppId: me()})
		wantCode(t, g, err, st.StatusCode_CONN_KEY_INVALID)

		// Too many tokens: refused, and nothing revoked.
		many := make([]string, 1001)
		for i := range many {
			many[i] = neverIssued
		}
		many[0] = alice
		rest(t, s, http.MethodPost, "/v2/credentials/revoke", "", map[string]any{"credentials": many}).want(t, 400, int(st.StatusCode_CONN_INVALID_REQUEST))
		g, err = s.v2.GetUser(as(alice), &pb.GetUserRequest{UserAppId: me()})
		wantCode(t, g, err, st.StatusCode_SUCCESS)

		// Rate limit: 30 requests a minute per address (5 made above), then
		// 429 with Retry-After.
		for i := 5; i < 30; i++ {
			if r := rest(t, s, http.MethodPost, "/v2/credentials/revoke", "", map[string]any{"credentials": []string{neverIssued}}); r.code != http.StatusAccepted {
				t.Fatalf("request %d: HTTP %d %s", i+1, r.code, r.raw)
			}
		}
		over := rest(t, s, http.MethodPost, "/v2/credentials/revoke", "", map[string]any{"credentials": []string{alice}}).want(t, 429, int(st.StatusCode_CONN_THROTTLED))
		if ra := over.hdr.Get("Retry-After"); ra == "" || ra == "0" {
			t.Errorf("Retry-After = %q", ra)
		}
		g, err = s.v2.GetUser(as(alice), &pb.GetUserRequest{UserAppId: me()})
		wantCode(t, g, err, st.StatusCode_SUCCESS) // a throttled request revokes nothing
		g2, err := tc.RevokeCredentials(context.Background(), &tokensv1.RevokeCredentialsRequest{Credentials: []string{neverIssued}})
		wantCode(t, g2, err, st.StatusCode_CONN_THROTTLED)
	})
}
