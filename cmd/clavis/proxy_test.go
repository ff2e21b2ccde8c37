package main_test

import (
	"context"
	"net/http"
	"testing"

	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"
	tokensv1 "github.com/clavis-dev/clavis/api/gen/clavis/tokens/v1"

	cmd "github.com/clavis-dev/clavis/cmd/clavis"
)

// forwarded sends a REST request with an X-Forwarded-For header.
func forwarded(t *testing.T, s *testServer, method, path, token, xff string, body any) restResp {
	t.Helper()
	req := restRequest(t, s, method, path, token, body)
	req.Header.Set("X-Forwarded-For", xff)
	return doREST(t, req)
}

// asFrom authenticates with token and forwards xff as gRPC metadata.
func asFrom(token, xff string) context.Context {
	return metadata.AppendToOutgoingContext(context.Background(), "authorization", "Key "+token, "x-forwarded-for", xff)
}

// TestTrustedProxies takes the client address from X-Forwarded-For (REST,
// gRPC-Web) and x-forwarded-for metadata (gRPC) only when the peer is a
// trusted proxy, on both engines: for the allowlist (IPv4, IPv6, mapped),
// the last-used address, the audit log and revocation's per-address limit.
// Untrusted peers cannot choose their address with the header.
func TestTrustedProxies(t *testing.T) {
	engines(t, func(t *testing.T, mod ...func(*cmd.Config)) {
		s := startServer(t, append(mod, func(c *cmd.Config) { c.TrustedProxies = []string{"127.0.0.1", "::1"} })...)
		alice := s.newUser(t, "alice")
		v4 := s.newKey(t, alice, &pb.Key{Type: "personal_access_token", Scopes: []string{"All"}, AllowedCidrs: []string{"198.51.100.0/24"}})
		v6 := s.newKey(t, alice, &pb.Key{Type: "personal_access_token", Scopes: []string{"All"}, AllowedCidrs: []string{"2001:db8::/32"}})
		for _, c := range []struct {
			name, tok, xff string
			ok             bool
		}{
			{"IPv4", v4, "198.51.100.7", true},
			{"IPv4Mapped", v4, "::ffff:198.51.100.7", true},
			{"IPv4WithPort", v4, "198.51.100.7:5151", true},
			{"IPv6", v6, "2001:db8::7", true},
			{"IPv6Bracketed", v6, "[2001:db8::7]:443", true},
			{"RightmostUntrusted", v4, "203.0.113.5, 198.51.100.7", true},
			{"ClientPrependedAllowed", v4, "198.51.100.7, 203.0.113.5", false},
			{"Outside", v4, "203.0.113.5", false},
			{"WrongFamily", v6, "198.51.100.7", false},
		} {
			t.Run(c.name, func(t *testing.T) {
				want, wantHTTP := st.StatusCode_SUCCESS, 200
				if !c.ok {
					want, wantHTTP = st.StatusCode_CONN_KEY_INVALID, 401
				}
				forwarded(t, s, http.MethodGet, "/v2/users/me", c.tok, c.xff, nil).want(t, wantHTTP, int(want))
				r, err := s.v2.GetUser(asFrom(c.tok, c.xff), &pb.GetUserRequest{UserAppId: me()})
				wantCode(t, r, err, want)
				a := grpcWebCall(t, http.DefaultClient, "http://"+s.Addr(), "/clarifai.api.V2/GetUser", &pb.GetUserRequest{UserAppId: me()}, false,
					http.Header{"Authorization": {"Key " + c.tok}, "X-Forwarded-For": {c.xff}})
				var u pb.SingleUserResponse
				if a.http != 200 || a.status != "0" || proto.Unmarshal(a.msg, &u) != nil || u.GetStatus().GetCode() != want {
					t.Errorf("gRPC-Web: HTTP %d grpc-status %q, status %v; want %v", a.http, a.status, u.GetStatus().GetCode(), want)
				}
			})
		}

		// The last use and the audit log name the forwarded client.
		if err := s.FlushKeyUse(context.Background()); err != nil {
			t.Fatal(err)
		}
		g, err := s.v2.GetKey(as(alice), &pb.GetKeyRequest{UserAppId: me(), KeyId: s.keyID(t, alice, v6)})
		wantCode(t, g, err, st.StatusCode_SUCCESS)
		if got := g.GetKey().GetLastUsedAddr(); got != "2001:db8::7" {
			t.Errorf("last_used_addr = %q, want the forwarded 2001:db8::7", got)
		}
		forwarded(t, s, http.MethodPost, "/v2/users/me/keys", alice, "192.0.2.44", map[string]any{"keys": []any{map[string]any{
			"type": "personal_access_token", "scopes": []string{"All"}, "description": "from-proxy"}}}).want(t, 200, 10000)
		if err := s.FlushAudit(context.Background()); err != nil {
			t.Fatal(err)
		}
		es := s.audit(t, alice, &tokensv1.SearchAuditRequest{Events: []string{"key.create"}})
		if len(es) == 0 || es[0].GetSourceIp() != "192.0.2.44" {
			t.Errorf("key.create audited from %v, want 192.0.2.44", es)
		}

		// Revocation by value is limited per forwarded address.
		revoke := func(xff string) restResp {
			return forwarded(t, s, http.MethodPost, "/v2/credentials/revoke", "", xff, map[string]any{"credentials": []string{"hello"}})
		}
		for i := 0; i < 30; i++ {
			revoke("192.0.2.1").want(t, 202, 10000)
		}
		revoke("192.0.2.1").want(t, 429, int(st.StatusCode_CONN_THROTTLED))
		revoke("192.0.2.2").want(t, 202, 10000)
	})
}

// TestForwardedForIgnored: without trusted proxies, or from a peer that is
// not one, X-Forwarded-For and x-forwarded-for are ignored, so a client
// cannot pass an allowlist by naming an allowed address.
func TestForwardedForIgnored(t *testing.T) {
	for _, c := range []struct {
		name    string
		trusted []string
	}{
		{"NoTrustedProxies", nil},
		{"UntrustedPeer", []string{"10.0.0.0/8", "fd00::/8"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := startServer(t, func(cfg *cmd.Config) { cfg.TrustedProxies = c.trusted })
			tok := s.newKey(t, s.pat, &pb.Key{Type: "personal_access_token", Scopes: []string{"All"}, AllowedCidrs: []string{"198.51.100.0/24", "2001:db8::/32"}})
			for _, xff := range []string{"198.51.100.7", "2001:db8::7", "::ffff:198.51.100.7"} {
				forwarded(t, s, http.MethodGet, "/v2/users/me", tok, xff, nil).want(t, 401, int(st.StatusCode_CONN_KEY_INVALID))
				r, err := s.v2.GetUser(asFrom(tok, xff), &pb.GetUserRequest{UserAppId: me()})
				wantCode(t, r, err, st.StatusCode_CONN_KEY_INVALID)
			}
			for i := 0; i < 30; i++ {
				forwarded(t, s, http.MethodPost, "/v2/credentials/revoke", "", "192.0.2.1", map[string]any{"credentials": []string{}}).want(t, 202, 10000)
			}
			// Another forwarded address does not reset the peer's count.
			forwarded(t, s, http.MethodPost, "/v2/credentials/revoke", "", "192.0.2.2", map[string]any{"credentials": []string{}}).want(t, 429, int(st.StatusCode_CONN_THROTTLED))
		})
	}
}
