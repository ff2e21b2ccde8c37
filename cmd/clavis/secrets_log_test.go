package main_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	cmd "github.com/clavis-dev/clavis/cmd/clavis"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"
	accountv1 "github.com/clavis-dev/clavis/api/gen/clavis/account/v1"
	adminv1 "github.com/clavis-dev/clavis/api/gen/clavis/admin/v1"
)

// secrets collects every secret a flow issues or sends.
type secrets []string

func (s *secrets) add(v ...string) { *s = append(*s, v...) }

// leaks returns the secrets of which a window of 12 characters (past a
// token's 5-character prefix) appears in log: enough to find a secret
// logged whole, cut or mistyped by one character, and too long for a
// token's hint (prefix, ellipsis, last 4) to match.
func (s secrets) leaks(log string) []string {
	var out []string
	for _, sec := range s {
		body := sec
		if strings.HasPrefix(sec, "clv") && len(sec) > 5 {
			body = sec[5:]
		}
		for i := 0; i+12 <= len(body); i++ {
			if strings.Contains(log, body[i:i+12]) {
				out = append(out, sec)
				break
			}
		}
	}
	return out
}

// TestLogsHoldNoSecret runs a representative flow against a server,
// in both log formats, and searches its whole log for every secret issued
// or sent: the bootstrap PAT, default PATs, PATs and app keys created over
// gRPC, REST and the portal, tokens used as key ids in paths, mistyped
// tokens, passwords (right and wrong) and session cookies.
func TestLogsHoldNoSecret(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			logs := &logBuffer{}
			yes := true
			s := startServerLogging(t, logs, func(c *cmd.Config) { c.LogFormat = format; c.Signup = &yes })
			var sec secrets
			sec.add(s.pat)

			// Users, PATs and app keys over gRPC.
			bob := s.newUser(t, "bob")
			sec.add(bob)
			pat := s.newKey(t, bob, &pb.Key{Type: "personal_access_token", Scopes: []string{"All"}})
			s.newApp(t, bob, "photos", false)
			appKey := s.newKey(t, bob, &pb.Key{Type: "app_specific_key", Scopes: []string{"All"}, Apps: []*pb.App{{Id: "photos", UserId: "bob"}}})
			sec.add(pat, appKey)
			for _, tok := range []string{bob, pat, appKey} {
				if _, err := s.v2.MyScopesUser(as(tok), &pb.MyScopesUserRequest{UserAppId: me()}); err != nil {
					t.Fatal(err)
				}
				// A token where a key id goes, over both transports.
				if _, err := s.v2.GetKey(as(bob), &pb.GetKeyRequest{UserAppId: me(), KeyId: tok}); err != nil {
					t.Fatal(err)
				}
				rest(t, s, "GET", "/v2/users/me/keys/"+tok, bob, nil)
				rest(t, s, "GET", "/v2/users/me/apps", tok, nil)
			}
			// Over REST: a key created, then deleted by its token in the path.
			created := rest(t, s, "POST", "/v2/users/me/keys", pat, map[string]any{"keys": []map[string]any{{"description": "rest", "scopes": []string{"All"}, "type": "personal_access_token"}}})
			keys, _ := created.body["keys"].([]any)
			if len(keys) != 1 {
				t.Fatalf("PostKeys over REST: %s", created.raw)
			}
			restTok, _ := keys[0].(map[string]any)["id"].(string)
			sec.add(restTok)
			rest(t, s, "DELETE", "/v2/users/me/keys/"+restTok, pat, nil)
			// Mistyped and unknown tokens, over both transports.
			last := "a"
			if strings.HasSuffix(pat, "a") {
				last = "b"
			}
			typo := pat[:len(pat)-1] + last
			for _, bad := range []string{typo, pat[:len(pat)-3], strings.ToUpper(appKey), "Bearer " + pat} {
				s.v2.MyScopesUser(as(bad), &pb.MyScopesUserRequest{UserAppId: me()})
				req, _ := http.NewRequest("GET", "http://"+s.Addr()+"/v2/users/me/apps", nil)
				req.Header.Set("Authorization", "Key "+bad)
				if resp, err := http.DefaultClient.Do(req); err == nil {
					resp.Body.Close()
				}
			}
			// Passwords: set by an admin, changed by the user, right and wrong
			// log-ins in the portal, a sign-up.
			const pw, pw2, wrong = "correct horse battery 42", "second staple battery 43", "not-the-password-at-all"
			sec.add(pw, pw2, wrong)
			r, err := s.admin.SetPassword(as(s.pat), &adminv1.SetPasswordRequest{Id: "bob", Password: pw})
			wantCode(t, r, err, st.StatusCode_SUCCESS)
			c, err := accountv1.NewAccountClient(s.conn).ChangePassword(as(bob), &accountv1.ChangePasswordRequest{CurrentPassword: pw, NewPassword: pw2})
			wantCode(t, c, err, st.StatusCode_SUCCESS)
			b := newBrowserless(t, s)
			b.login("bob", wrong)
			b.login("bob", pw2)
			signup := newBrowserless(t, s)
			p := signup.signup("erin", "erin's own password 44")
			sec.add("erin's own password 44", secretOf(t, p))
			for _, jar := range []*browserless{b, signup} {
				u := mustURL(t, jar.base)
				for _, ck := range jar.c.Jar.Cookies(u) {
					if len(ck.Value) >= 16 {
						sec.add(ck.Value)
					}
				}
			}
			if len(sec) < 14 {
				t.Fatalf("the flow issued only %d secrets", len(sec))
			}
			log := logs.String()
			if !strings.Contains(log, "/v2/users/me/keys") {
				t.Fatalf("the log has no REST access lines:\n%s", log)
			}
			if len(sec.leaks("path=/v2/keys/"+pat[3:20])) != 1 || len(sec.leaks("clvp_…"+pat[len(pat)-4:])) != 0 {
				t.Fatal("the search misses a cut secret, or takes a hint for one")
			}
			if l := sec.leaks(log); len(l) > 0 {
				t.Fatalf("%d of %d secrets appear in the log (first: %s…):\n%s", len(l), len(sec), l[0][:8], log)
			}
		})
	}
}

func mustURL(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
