package main_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"
	adminv1 "github.com/clavis-dev/clavis/api/gen/clavis/admin/v1"
)

// setPassword sets a user's portal password through the admin API.
func (s *testServer) setPassword(t testing.TB, id, pw string, mustChange bool) {
	t.Helper()
	r, err := s.admin.SetPassword(as(s.pat), &adminv1.SetPasswordRequest{Id: id, Password: pw, MustChange: mustChange})
	wantCode(t, r, err, st.StatusCode_SUCCESS)
}

// browserless is an HTTP client of the portal with its own cookies, as a
// browser would keep them, that does not follow redirects.
type browserless struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newBrowserless(t *testing.T, s *testServer) *browserless {
	jar, _ := cookiejar.New(nil)
	return &browserless{t: t, base: "http://" + s.Addr(), c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type page struct {
	code int
	body string
	hdr  http.Header
}

func (b *browserless) get(path string) page {
	b.t.Helper()
	resp, err := b.c.Get(b.base + path)
	if err != nil {
		b.t.Fatal(err)
	}
	return read(b.t, resp)
}

func read(t *testing.T, resp *http.Response) page {
	t.Helper()
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return page{code: resp.StatusCode, body: string(body), hdr: resp.Header}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf returns the anti-forgery token of the forms of a page.
func (b *browserless) csrf(path string) string {
	b.t.Helper()
	p := b.get(path)
	m := csrfField.FindStringSubmatch(p.body)
	if m == nil {
		b.t.Fatalf("GET %s (%d): no csrf token", path, p.code)
	}
	return m[1]
}

// post submits a form, with the token of the page at from unless the form
// has one.
func (b *browserless) post(path string, form url.Values, from string) page {
	b.t.Helper()
	if from != "" && form.Get("csrf") == "" {
		form.Set("csrf", b.csrf(from))
	}
	resp, err := b.c.PostForm(b.base+path, form)
	if err != nil {
		b.t.Fatal(err)
	}
	return read(b.t, resp)
}

func (b *browserless) login(id, pw string) page {
	b.t.Helper()
	return b.post("/login", url.Values{"login": {id}, "password": {pw}}, "/login")
}

func (b *browserless) signup(id, pw string) page {
	b.t.Helper()
	return b.post("/signup", url.Values{"id": {id}, "email": {id + "@example.com"}, "password": {pw}, "confirm": {pw}}, "/signup")
}

var secretField = regexp.MustCompile(`id="secret" value="([^"]+)"`)

func secretOf(t *testing.T, p page) string {
	t.Helper()
	m := secretField.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no secret on the page (%d)", p.code)
	}
	return m[1]
}

func wantStatus(t *testing.T, what string, p page, code int) {
	t.Helper()
	if p.code != code {
		t.Fatalf("%s: HTTP %d, want %d: %.300s", what, p.code, code, p.body)
	}
}

// TestPortalServedBesideAPI checks the dispatch: the portal at /, the
// API's JSON 404s under /v2, the security headers on every portal answer.
func TestPortalServedBesideAPI(t *testing.T) {
	s := startServer(t)
	b := newBrowserless(t, s)
	p := b.get("/")
	wantStatus(t, "GET /", p, http.StatusOK)
	if !strings.Contains(p.hdr.Get("Content-Type"), "text/html") || !strings.Contains(p.body, "Clavis") {
		t.Fatalf("GET / is not the portal: %s", p.hdr.Get("Content-Type"))
	}
	for h, want := range map[string]string{
		"Content-Security-Policy": "default-src 'self'", "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin",
		"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store",
	} {
		if !strings.Contains(p.hdr.Get(h), want) {
			t.Errorf("%s = %q, want %q", h, p.hdr.Get(h), want)
		}
	}
	if csp := p.hdr.Get("Content-Security-Policy"); strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("CSP %q", csp)
	}
	if strings.Contains(p.body, "<script>") || strings.Contains(p.body, "style=\"") || strings.Contains(p.body, "onclick") {
		t.Error("the landing page has inline script or style")
	}
	api := b.get("/v2/no-such-thing")
	wantStatus(t, "GET /v2/no-such-thing", api, http.StatusNotFound)
	if !strings.HasPrefix(api.hdr.Get("Content-Type"), "application/json") || !strings.Contains(api.body, `"code":11101`) {
		t.Fatalf("the API's 404 changed: %s %s", api.hdr.Get("Content-Type"), api.body)
	}
	nf := b.get("/no-such-page")
	wantStatus(t, "GET /no-such-page", nf, http.StatusNotFound)
	if !strings.Contains(nf.hdr.Get("Content-Type"), "text/html") {
		t.Fatal("the portal's 404 is not a page")
	}
	css := b.get("/static/app.css")
	wantStatus(t, "GET /static/app.css", css, http.StatusOK)
	if !strings.Contains(b.get("/docs/api").body, "PostKeys") {
		t.Fatal("the API reference lacks PostKeys")
	}
}

// TestPortalCSRF refuses every state change without the session's
// anti-forgery token, and with another session's.
func TestPortalCSRF(t *testing.T) {
	s := startServer(t, signupOpen)
	alice := newBrowserless(t, s)
	wantStatus(t, "sign-up", alice.signup("alice", "alice password"), http.StatusOK)
	mallory := newBrowserless(t, s)
	wantStatus(t, "sign-up", mallory.signup("mallory", "mallory password"), http.StatusOK)
	stolen := mallory.csrf("/settings/security")

	for _, c := range []struct {
		name string
		form url.Values
	}{
		{"NoToken", url.Values{}},
		{"WrongToken", url.Values{"csrf": {"AAAA"}}},
		{"OtherSessionsToken", url.Values{"csrf": {stolen}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			form := c.form
			form.Set("description", "forged")
			form.Set("scope", "All")
			p := alice.post("/settings/security/pats", form, "")
			wantStatus(t, "forged POST", p, http.StatusForbidden)
			p = alice.post("/apps", url.Values{"csrf": form["csrf"], "id": {"forged"}}, "")
			wantStatus(t, "forged POST", p, http.StatusForbidden)
		})
	}
	if strings.Contains(alice.get("/settings/security").body, "forged") {
		t.Fatal("a forged POST created a PAT")
	}
	// A log-in form posted without the visitor's token is refused too.
	visitor := newBrowserless(t, s)
	wantStatus(t, "login without token", visitor.post("/login", url.Values{"login": {"alice"}, "password": {"alice password"}}, ""), http.StatusForbidden)
}

// TestPortalCrossTenant: a second user's session cannot see or change the
// first user's PATs, apps or keys by changing ids in URLs or forms.
func TestPortalCrossTenant(t *testing.T) {
	s := startServer(t, signupOpen)
	alice := newBrowserless(t, s)
	wantStatus(t, "sign-up", alice.signup("alice", "alice password"), http.StatusOK)
	wantStatus(t, "create app", alice.post("/apps", url.Values{"id": {"photos"}}, "/apps/new"), http.StatusSeeOther)
	p := alice.post("/apps/alice/photos/keys", url.Values{"description": {"alice key"}, "scope": {"All"}}, "/apps/alice/photos/keys/new")
	wantStatus(t, "create app key", p, http.StatusOK)
	appKeyID := regexp.MustCompile(`/apps/alice/photos/keys/([0-9a-f]{32})/edit`).FindStringSubmatch(alice.get("/apps/alice/photos").body)
	sec := alice.get("/settings/security").body
	patID := regexp.MustCompile(`/settings/security/pats/([0-9a-f]{32})/edit`).FindStringSubmatch(sec)
	if appKeyID == nil || patID == nil {
		t.Fatal("no key ids on alice's pages")
	}

	bob := newBrowserless(t, s)
	wantStatus(t, "sign-up", bob.signup("bob", "bob password!"), http.StatusOK)
	for _, path := range []string{
		"/settings/security/pats/" + patID[1] + "/edit",
		"/settings/security/pats/" + patID[1] + "/delete",
		"/settings/security/pats/" + appKeyID[1] + "/edit",
		"/apps/alice/photos",
		"/apps/alice/photos/delete",
		"/apps/alice/photos/keys/new",
		"/apps/alice/photos/keys/" + appKeyID[1] + "/edit",
		"/apps/alice/photos/collaborators/new",
		"/apps/bob/photos/keys/" + appKeyID[1] + "/edit",
	} {
		p := bob.get(path)
		if p.code != http.StatusNotFound {
			t.Errorf("bob GET %s: HTTP %d, want 404", path, p.code)
		}
		if strings.Contains(p.body, "alice key") || strings.Contains(p.body, "default") {
			t.Errorf("bob GET %s shows alice's keys", path)
		}
	}
	if b := bob.get("/admin/users"); b.code != http.StatusForbidden {
		t.Errorf("bob GET /admin/users: HTTP %d, want 403", b.code)
	}
	token := bob.csrf("/settings/security")
	for _, c := range []struct {
		path string
		form url.Values
	}{
		{"/settings/security/pats/" + patID[1], url.Values{"description": {"taken"}, "scope": {"All"}}},
		{"/settings/security/pats/" + patID[1] + "/delete", url.Values{}},
		{"/apps/alice/photos/delete", url.Values{"confirm": {"photos"}}},
		{"/apps/alice/photos/settings", url.Values{"visibility": {"public"}}},
		{"/apps/alice/photos/keys", url.Values{"description": {"mine now"}, "scope": {"All"}}},
		{"/apps/alice/photos/keys/" + appKeyID[1], url.Values{"description": {"taken"}, "scope": {"All"}}},
		{"/apps/alice/photos/keys/" + appKeyID[1] + "/delete", url.Values{}},
		{"/apps/alice/photos/collaborators", url.Values{"user": {"bob"}, "scope": {"All"}}},
		{"/admin/users/alice/disable", url.Values{}},
		{"/admin/users/alice/password", url.Values{"password": {"bob owns you now"}}},
	} {
		c.form.Set("csrf", token)
		p := bob.post(c.path, c.form, "")
		if p.code != http.StatusNotFound && p.code != http.StatusForbidden {
			t.Errorf("bob POST %s: HTTP %d, want 404 or 403", c.path, p.code)
		}
	}
	// Alice's things are as they were.
	after := alice.get("/apps/alice/photos")
	wantStatus(t, "alice's app", after, http.StatusOK)
	if !strings.Contains(after.body, "alice key") || strings.Contains(after.body, "mine now") || strings.Contains(after.body, "badge public") {
		t.Fatal("bob changed alice's app")
	}
	if sec2 := alice.get("/settings/security").body; !strings.Contains(sec2, patID[1]) || strings.Contains(sec2, "taken") {
		t.Fatal("bob changed alice's PATs")
	}
	if strings.Contains(alice.get("/apps/alice/photos").body, "collaborators/bob/edit") {
		t.Fatal("bob made himself a collaborator")
	}
}
