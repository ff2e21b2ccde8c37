package main_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"
	accountv1 "github.com/clavis-dev/clavis/api/gen/clavis/account/v1"
	adminv1 "github.com/clavis-dev/clavis/api/gen/clavis/admin/v1"

	cmd "github.com/clavis-dev/clavis/cmd/clavis"
	"github.com/clavis-dev/clavis/internal/service"
)

// TestSignupPolicy: open by default on loopback addresses only, and as
// --signup says; closed sign-up refuses the page and the form, while
// admins still create users.
func TestSignupPolicy(t *testing.T) {
	yes, no := true, false
	for _, c := range []struct {
		addr, tlsAddr string
		flag          *bool
		open          bool
	}{
		{"127.0.0.1:18080", "", nil, true},
		{"localhost:18080", "", nil, true},
		{"[::1]:18080", "", nil, true},
		{":18080", "", nil, false},
		{"0.0.0.0:18080", "", nil, false},
		{"192.0.2.10:18080", "", nil, false},
		{"127.0.0.1:18080", "0.0.0.0:18443", nil, false},
		{"0.0.0.0:18080", "", &yes, true},
		{"127.0.0.1:18080", "", &no, false},
	} {
		cfg := cmd.Config{Addr: c.addr, TLSAddr: c.tlsAddr, Signup: c.flag}
		if got := cfg.SignupOpen(); got != c.open {
			t.Errorf("addr %q tls %q signup %v: open = %v, want %v", c.addr, c.tlsAddr, c.flag, got, c.open)
		}
	}

	s := startServer(t, func(c *cmd.Config) { c.Signup = &no })
	b := newBrowserless(t, s)
	wantStatus(t, "GET /signup", b.get("/signup"), http.StatusForbidden)
	p := b.post("/signup", url.Values{"id": {"eve"}, "email": {"eve@example.com"}, "password": {"eve's password"}, "confirm": {"eve's password"}}, "/login")
	wantStatus(t, "POST /signup", p, http.StatusForbidden)
	if _, err := s.v2.GetUser(as(s.pat), &pb.GetUserRequest{UserAppId: &pb.UserAppIDSet{UserId: "eve"}}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.get("/").body, `href="/signup"`) {
		t.Error("the landing page offers a closed sign-up")
	}
	s.newUser(t, "eve") // admins always can
}

// TestBootstrapAdminPassword: `clavis users passwd` gives the bootstrap
// admin a password, read from standard input, and the admin logs in.
func TestBootstrapAdminPassword(t *testing.T) {
	s := startServer(t)
	b := newBrowserless(t, s)
	wantStatus(t, "log-in before a password", b.login("admin", "admin password"), http.StatusUnauthorized)
	c := newCLI(t, s)
	c.stdin = "admin password\n"
	if code, out, errOut := c.run("users", "passwd", "admin"); code != 0 {
		t.Fatalf("users passwd: %d %s %s", code, out, errOut)
	}
	c.stdin = ""
	if code, _, errOut := c.run("users", "passwd", "admin"); code != 2 || !strings.Contains(errOut, "standard input") {
		t.Fatalf("users passwd without a password: %d %s", code, errOut)
	}
	p := b.login("admin", "admin password")
	wantStatus(t, "log-in", p, http.StatusSeeOther)
	if p.hdr.Get("Location") != "/apps" {
		t.Fatalf("after log-in: Location %q", p.hdr.Get("Location"))
	}
	wantStatus(t, "admin page", b.get("/admin/users"), http.StatusOK)
	// Too short a password is refused with the reason.
	r, err := s.admin.SetPassword(as(s.pat), &adminv1.SetPasswordRequest{Id: "admin", Password: "short"})
	wantCode(t, r, err, st.StatusCode_CONN_INVALID_REQUEST)
	if !strings.Contains(r.GetStatus().GetDetails(), "too short") {
		t.Fatalf("details %q", r.GetStatus().GetDetails())
	}
}

// TestPortalSessions: sessions end on log-out, when the password changes,
// when the user is disabled (and stay ended when enabled again), and a
// temporary password must be changed before anything else.
func TestPortalSessions(t *testing.T) {
	s := startServer(t)
	s.newUser(t, "bob")
	s.setPassword(t, "bob", "temporary one", true)

	b := newBrowserless(t, s)
	p := b.login("bob", "temporary one")
	wantStatus(t, "log-in", p, http.StatusSeeOther)
	if p.hdr.Get("Location") != "/settings/account" {
		t.Fatalf("a temporary password logs in to %q, want the account page", p.hdr.Get("Location"))
	}
	if got := b.get("/apps"); got.code != http.StatusSeeOther || got.hdr.Get("Location") != "/settings/account" {
		t.Fatalf("with a temporary password, /apps answers %d %q", got.code, got.hdr.Get("Location"))
	}
	other := newBrowserless(t, s)
	wantStatus(t, "second session", other.login("bob", "temporary one"), http.StatusSeeOther)

	wrong := b.post("/settings/account/password", url.Values{"current": {"not it at all"}, "new": {"bob's own secret"}, "confirm": {"bob's own secret"}}, "/settings/account")
	wantStatus(t, "wrong current password", wrong, http.StatusBadRequest)
	p = b.post("/settings/account/password", url.Values{"current": {"temporary one"}, "new": {"bob's own secret"}, "confirm": {"bob's own secret"}}, "/settings/account")
	wantStatus(t, "change password", p, http.StatusSeeOther)
	wantStatus(t, "this session goes on", b.get("/apps"), http.StatusOK)
	if got := other.get("/apps"); got.code != http.StatusSeeOther || !strings.HasPrefix(got.hdr.Get("Location"), "/login") {
		t.Fatalf("the other session after a password change: %d %q", got.code, got.hdr.Get("Location"))
	}
	wantStatus(t, "old password", other.login("bob", "temporary one"), http.StatusUnauthorized)

	// Disabled: the session ends at once, and does not come back.
	for _, disable := range []bool{true, false} {
		var resp interface{ GetStatus() *st.Status }
		var err error
		if disable {
			resp, err = s.admin.DisableUser(as(s.pat), &adminv1.UserRequest{Id: "bob"})
		} else {
			resp, err = s.admin.EnableUser(as(s.pat), &adminv1.UserRequest{Id: "bob"})
		}
		wantCode(t, resp, err, st.StatusCode_SUCCESS)
		if got := b.get("/apps"); got.code != http.StatusSeeOther {
			t.Fatalf("disable %v: the session answers %d", disable, got.code)
		}
	}
	wantStatus(t, "log-in again", b.login("bob", "bob's own secret"), http.StatusSeeOther)

	// Log-out ends the session on the server: its cookie is worth nothing.
	u, _ := url.Parse(b.base)
	cookies := b.c.Jar.Cookies(u)
	wantStatus(t, "log-out", b.post("/logout", url.Values{}, "/apps"), http.StatusSeeOther)
	replay := newBrowserless(t, s)
	replay.c.Jar.SetCookies(u, cookies)
	if got := replay.get("/apps"); got.code != http.StatusSeeOther {
		t.Fatalf("a logged-out session's cookie still works: %d", got.code)
	}

	// ChangePassword over the API, with a PAT of scope All.
	adminPAT := s.newKey(t, s.pat, &pb.Key{Type: "personal_access_token", Scopes: []string{"All"}})
	r, err := accountv1.NewAccountClient(s.conn).ChangePassword(as(adminPAT), &accountv1.ChangePasswordRequest{CurrentPassword: "wrong", NewPassword: "admin's new one"})
	wantCode(t, r, err, st.StatusCode_SUCCESS) // the admin had no password yet
}

// TestLoginThrottle: an account's failures stop its log-ins, even with
// the right password, until the window ends; an address's failures stop
// every log-in from it.
func TestLoginThrottle(t *testing.T) {
	s := startServer(t)
	s.newUser(t, "carol")
	s.setPassword(t, "carol", "carol's password", false)
	b := newBrowserless(t, s)
	for i := 0; i < service.MaxAccountFailures; i++ {
		wantStatus(t, "wrong password", b.login("carol", "guess number "+string(rune('a'+i))), http.StatusUnauthorized)
	}
	p := b.login("carol@example.com", "carol's password")
	wantStatus(t, "right password over the limit", p, http.StatusTooManyRequests)
	if !strings.Contains(p.body, "too many failed log-ins") {
		t.Fatal("the refusal does not say why")
	}
	// The unknown account and the wrong password read alike.
	unknown := b.login("nobody-at-all", "whatever it is")
	wantStatus(t, "unknown account", unknown, http.StatusUnauthorized)
	if !strings.Contains(unknown.body, "the password, is wrong") {
		t.Fatal("an unknown account is answered differently")
	}
	// Per address: every account from here is refused once it has failed
	// MaxAddressFailures times.
	s.newUser(t, "dave")
	s.setPassword(t, "dave", "dave's password", false)
	for i := service.MaxAccountFailures + 1; i < service.MaxAddressFailures; i++ {
		b.login("someone-"+string(rune('a'+i%26))+string(rune('a'+i/26)), "wrong")
	}
	wantStatus(t, "another account from the same address", b.login("dave", "dave's password"), http.StatusTooManyRequests)
}

// TestPortalCookiesAndSecrets: cookies are HttpOnly, SameSite and, under
// TLS, Secure with the __Host- prefix; the one-time page is not stored; no
// secret or password reaches the log.
func TestPortalCookiesAndSecrets(t *testing.T) {
	var logs bytes.Buffer
	cfg := cmd.DefaultConfig()
	cfg.Addr, cfg.DataDir, cfg.TLSAddr, cfg.TLSSelfSigned = "127.0.0.1:0", filepath.Join(t.TempDir(), "data"), "127.0.0.1:0", true
	yes := true
	cfg.Signup = &yes
	srv, err := cmd.NewServer(context.Background(), cfg, &bytes.Buffer{}, &logs)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	s := &testServer{Server: srv}

	b := newBrowserless(t, s)
	p := b.signup("erin", "erin's password")
	wantStatus(t, "sign-up", p, http.StatusOK)
	secret := secretOf(t, p)
	if p.hdr.Get("Cache-Control") != "no-store" {
		t.Fatalf("the one-time page has Cache-Control %q", p.hdr.Get("Cache-Control"))
	}
	var session *http.Cookie
	for _, c := range (&http.Response{Header: p.hdr}).Cookies() {
		if c.Name == "clavis-session" {
			session = c
		}
	}
	if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteLaxMode || session.Path != "/" || session.Secure {
		t.Fatalf("session cookie over HTTP: %+v", session)
	}

	pem, err := os.ReadFile(srv.TLSCertFile)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pem)
	tb := newBrowserless(t, s)
	tb.base = "https://localhost" + srv.TLSAddr()[strings.LastIndexByte(srv.TLSAddr(), ':'):]
	tb.c.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}
	p = tb.login("erin", "erin's password")
	wantStatus(t, "log-in over TLS", p, http.StatusSeeOther)
	var tlsSession *http.Cookie
	for _, c := range (&http.Response{Header: p.hdr}).Cookies() {
		if strings.HasSuffix(c.Name, "clavis-session") {
			tlsSession = c
		}
	}
	if tlsSession == nil || tlsSession.Name != "__Host-clavis-session" || !tlsSession.Secure || !tlsSession.HttpOnly {
		t.Fatalf("session cookie over TLS: %+v", tlsSession)
	}
	wantStatus(t, "apps over TLS", tb.get("/apps"), http.StatusOK)
	srv.Close()
	for _, leak := range []string{secret, "erin's password", session.Value, tlsSession.Value} {
		if strings.Contains(logs.String(), leak) {
			t.Fatalf("the log holds a secret: %q", leak)
		}
	}
	if !strings.Contains(logs.String(), `route="POST /signup"`) {
		t.Fatalf("the portal logs no request lines:\n%s", logs.String())
	}
}

// TestSessionExpiry: a session ends after SessionIdleTimeout without use,
// and SessionLifetime after log-in however busy; the log-in window ends
// and lets a throttled account in again.
func TestSessionExpiry(t *testing.T) {
	clock := newClock()
	s := startServer(t, withClock(clock))
	s.setPassword(t, "admin", "admin password", false)
	b := newBrowserless(t, s)
	signedIn := func() bool { return b.get("/apps").code == http.StatusOK }

	wantStatus(t, "log-in", b.login("admin", "admin password"), http.StatusSeeOther)
	clock.Advance(service.SessionIdleTimeout - time.Minute)
	if !signedIn() {
		t.Fatal("the session ended before its idle timeout")
	}
	clock.Advance(service.SessionIdleTimeout)
	if signedIn() {
		t.Fatal("the session outlived its idle timeout")
	}

	wantStatus(t, "log-in", b.login("admin", "admin password"), http.StatusSeeOther)
	step := service.SessionIdleTimeout - time.Hour
	for elapsed := step; elapsed < service.SessionLifetime; elapsed += step {
		clock.Advance(step)
		if !signedIn() {
			t.Fatalf("a busy session ended %v after log-in", elapsed)
		}
	}
	clock.Advance(step)
	if signedIn() {
		t.Fatal("a busy session outlived its lifetime")
	}

	for i := 0; i < service.MaxAccountFailures; i++ {
		b.login("admin", "wrong password")
	}
	wantStatus(t, "throttled", b.login("admin", "admin password"), http.StatusTooManyRequests)
	clock.Advance(service.LoginWindow)
	wantStatus(t, "after the window", b.login("admin", "admin password"), http.StatusSeeOther)
}
