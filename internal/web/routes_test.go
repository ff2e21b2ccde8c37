package web_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/clavis-dev/clavis/api/gen/openapi"
	"github.com/clavis-dev/clavis/internal/auth"
	"github.com/clavis-dev/clavis/internal/web"
)

// visitorRoutes are the only routes open without a session.
var visitorRoutes = map[string]bool{
	"GET /{$}": true, "GET /docs/api": true, "GET /login": true, "POST /login": true,
	"GET /signup": true, "POST /signup": true, "POST /logout": true,
}

// TestRoutesNameRules walks every route: each one that needs a session
// names an API method with a rule in auth.Rules, a method acting on an app
// reads the app from the route's path, admin methods are under /admin, and
// nothing else is open to visitors.
func TestRoutesNameRules(t *testing.T) {
	routes := web.Routes()
	if len(routes) < 30 {
		t.Fatalf("only %d routes", len(routes))
	}
	for _, rt := range routes {
		if rt.Method == "" {
			if !visitorRoutes[rt.Pattern] {
				t.Errorf("%s is open to visitors", rt.Pattern)
			}
			continue
		}
		r, ok := auth.Rules[rt.Method]
		if !ok {
			t.Errorf("%s names %s, which has no rule", rt.Pattern, rt.Method)
			continue
		}
		if r.Target == auth.TargetApp && !strings.Contains(rt.Pattern, "/{owner}/{app}") {
			t.Errorf("%s names the app method %s but its path names no app", rt.Pattern, rt.Method)
		}
		if r.Target == auth.TargetOrg && !strings.Contains(rt.Pattern, "/orgs/{org}") {
			t.Errorf("%s names the organization method %s but its path names no organization", rt.Pattern, rt.Method)
		}
		if (r.Auth == auth.AdminAuth) != strings.HasPrefix(rt.Pattern[strings.IndexByte(rt.Pattern, ' ')+1:], "/admin/") {
			t.Errorf("%s and its method %s disagree on being for admins", rt.Pattern, rt.Method)
		}
	}
}

func newHandler(t *testing.T) http.Handler {
	t.Helper()
	h, err := web.New(web.Config{OpenAPI: openapi.JSON})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// pathOf fills a route pattern's wildcards.
func pathOf(pattern string) (method, path string) {
	method, path, _ = strings.Cut(pattern, " ")
	r := strings.NewReplacer("{owner}", "alice", "{app}", "photos", "{key}", "0123456789abcdef0123456789abcdef", "{user}", "bob", "{model}", "general-image-recognition", "{org}", "acme", "{team}", "vision", "{input}", "in1", "{$}", "")
	return method, r.Replace(path)
}

// TestVisitorsGoToLogIn: without a session, every session route sends the
// browser to the log-in page, and does nothing.
func TestVisitorsGoToLogIn(t *testing.T) {
	h := newHandler(t)
	for _, rt := range web.Routes() {
		if rt.Method == "" {
			continue
		}
		method, path := pathOf(rt.Pattern)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(method, path, strings.NewReader("")))
		if w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "/login") {
			t.Errorf("%s %s without a session: %d %q, want 303 to /login", method, path, w.Code, w.Header().Get("Location"))
		}
	}
}

// TestSecurityHeaders: every answer, page or error or file, carries them.
func TestSecurityHeaders(t *testing.T) {
	h := newHandler(t)
	for _, path := range []string{"/", "/login", "/docs/api", "/no/such/page", "/static/app.css", "/apps"} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", path, nil))
		for name, want := range map[string]string{
			"Content-Security-Policy": "script-src 'self'", "X-Frame-Options": "DENY",
			"Referrer-Policy": "same-origin", "X-Content-Type-Options": "nosniff",
		} {
			if !strings.Contains(w.Header().Get(name), want) {
				t.Errorf("GET %s: %s = %q", path, name, w.Header().Get(name))
			}
		}
	}
}

// TestLogInRedirectStaysHere: the page a log-in returns to is a path on
// this site, never another site.
func TestLogInRedirectStaysHere(t *testing.T) {
	h := newHandler(t)
	for _, next := range []string{"//evil.example/x", "https://evil.example/", "/\\evil.example"} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", "/login?next="+next, nil))
		if strings.Contains(w.Body.String(), "evil.example") {
			t.Errorf("the log-in form keeps next=%q", next)
		}
	}
}
