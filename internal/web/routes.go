package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/clavis-dev/clavis/clavis"
)

// Method name prefixes of the services whose rules portal routes use.
const (
	v2      = "/clarifai.api.V2/"
	admin   = "/clavis.admin.v1.Admin/"
	account = "/clavis.account.v1.Account/"
	orgs    = "/clavis.orgs.v1.Orgs/"
)

// route is one portal route. A route with a method needs a session, and is
// authorized with that method's rule (auth.Rules) before it is served, on
// the app its path names ({owner}/{app}) or on the caller's own account;
// the handler then calls the service with the resulting access. A route
// without one is open to visitors.
type route struct {
	pattern string
	method  string
	// duringPasswordChange lets a session that must change its password
	// reach the route; every other route sends it to the account page.
	duringPasswordChange bool
	serve                func(*request) error
}

// Route describes a portal route: its pattern (as net/http.ServeMux reads
// it) and the full name of the API method whose authorization rule it
// applies, "" for pages open to visitors.
type Route struct {
	Pattern string
	Method  string
}

// Routes lists every portal route with the method whose rule it uses.
func Routes() []Route {
	var out []Route
	for _, rt := range (&Handler{}).routes() {
		out = append(out, Route{Pattern: rt.pattern, Method: rt.method})
	}
	return out
}

func (h *Handler) routes() []route {
	return []route{
		// Visitors.
		{pattern: "GET /{$}", serve: h.landing},
		{pattern: "GET /docs/api", serve: h.apiReferencePage},
		{pattern: "GET /login", serve: h.loginPage},
		{pattern: "POST /login", serve: h.login},
		{pattern: "GET /signup", serve: h.signupPage},
		{pattern: "POST /signup", serve: h.signupSubmit},
		{pattern: "POST /logout", serve: h.logout},

		// Account settings.
		{pattern: "GET /settings/account", method: account + "ChangePassword", duringPasswordChange: true, serve: h.accountPage},
		{pattern: "POST /settings/account/password", method: account + "ChangePassword", duringPasswordChange: true, serve: h.changePassword},

		// Security settings: Personal Access Tokens.
		{pattern: "GET /settings/security", method: v2 + "ListKeys", serve: h.securityPage},
		{pattern: "GET /settings/security/pats/new", method: v2 + "ListScopes", serve: h.newPATPage},
		{pattern: "POST /settings/security/pats", method: v2 + "PostKeys", serve: h.createPAT},
		{pattern: "GET /settings/security/pats/{key}/edit", method: v2 + "GetKey", serve: h.editPATPage},
		{pattern: "POST /settings/security/pats/{key}", method: v2 + "PatchKeys", serve: h.patchPAT},
		{pattern: "GET /settings/security/pats/{key}/delete", method: v2 + "GetKey", serve: h.deletePATPage},
		{pattern: "POST /settings/security/pats/{key}/delete", method: v2 + "DeleteKey", serve: h.deletePAT},

		// Apps.
		{pattern: "GET /apps", method: v2 + "ListApps", serve: h.appsPage},
		{pattern: "GET /apps/new", method: v2 + "PostApps", serve: h.newAppPage},
		{pattern: "POST /apps", method: v2 + "PostApps", serve: h.createApp},
		{pattern: "GET /apps/{owner}/{app}", method: v2 + "GetApp", serve: h.appPage},
		{pattern: "POST /apps/{owner}/{app}/settings", method: v2 + "PatchApp", serve: h.patchApp},
		{pattern: "GET /apps/{owner}/{app}/delete", method: v2 + "DeleteApp", serve: h.deleteAppPage},
		{pattern: "POST /apps/{owner}/{app}/delete", method: v2 + "DeleteApp", serve: h.deleteApp},

		// An app's API keys.
		{pattern: "GET /apps/{owner}/{app}/keys/new", method: v2 + "ListAppKeys", serve: h.newAppKeyPage},
		{pattern: "POST /apps/{owner}/{app}/keys", method: v2 + "PostKeys", serve: h.createAppKey},
		{pattern: "GET /apps/{owner}/{app}/keys/{key}/edit", method: v2 + "ListAppKeys", serve: h.editAppKeyPage},
		{pattern: "POST /apps/{owner}/{app}/keys/{key}", method: v2 + "PatchKeys", serve: h.patchAppKey},
		{pattern: "GET /apps/{owner}/{app}/keys/{key}/delete", method: v2 + "ListAppKeys", serve: h.deleteAppKeyPage},
		{pattern: "POST /apps/{owner}/{app}/keys/{key}/delete", method: v2 + "DeleteKey", serve: h.deleteAppKey},

		// An app's collaborators.
		{pattern: "GET /apps/{owner}/{app}/collaborators/new", method: v2 + "PostCollaborators", serve: h.newCollaboratorPage},
		{pattern: "POST /apps/{owner}/{app}/collaborators", method: v2 + "PostCollaborators", serve: h.addCollaborator},
		{pattern: "GET /apps/{owner}/{app}/collaborators/{user}/edit", method: v2 + "PatchCollaborators", serve: h.editCollaboratorPage},
		{pattern: "POST /apps/{owner}/{app}/collaborators/{user}", method: v2 + "PatchCollaborators", serve: h.patchCollaborator},
		{pattern: "GET /apps/{owner}/{app}/collaborators/{user}/remove", method: v2 + "DeleteCollaborators", serve: h.removeCollaboratorPage},
		{pattern: "POST /apps/{owner}/{app}/collaborators/{user}/remove", method: v2 + "DeleteCollaborators", serve: h.removeCollaborator},

		// Administration.
		{pattern: "GET /admin/users", method: admin + "ListUsers", serve: h.usersPage},
		{pattern: "POST /admin/users", method: admin + "CreateUser", serve: h.createUser},
		{pattern: "POST /admin/users/{user}/disable", method: admin + "DisableUser", serve: h.disableUser},
		{pattern: "POST /admin/users/{user}/enable", method: admin + "EnableUser", serve: h.enableUser},
		{pattern: "GET /admin/users/{user}/password", method: admin + "SetPassword", serve: h.resetPasswordPage},
		{pattern: "POST /admin/users/{user}/password", method: admin + "SetPassword", serve: h.resetPassword},
	}
}

// maxFormBytes bounds a form body: descriptions, scopes and passwords fit
// many times over.
const maxFormBytes = 64 << 10

// handle serves one route: it loads the session, checks the anti-forgery
// token of every POST, sends visitors of session routes to the log-in page,
// authorizes the route's method, and renders any error.
func (h *Handler) handle(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rq := h.request(w, r)
		if rt.method != "" && rq.user == nil {
			next := r.URL.Path
			if r.Method != http.MethodGet {
				next = ""
			}
			rq.redirect(loginURL(next))
			return
		}
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
			if err := r.ParseForm(); err != nil {
				h.fail(rq, clavis.Errorf(clavis.EInvalid, "the form could not be read: %v", err))
				return
			}
			if !rq.csrfOK() {
				h.fail(rq, clavis.Errorf(clavis.EForbidden, "this form has expired or did not come from this site: reload the page and try again"))
				return
			}
		}
		if rt.method != "" {
			if rq.session.MustChangePassword && !rt.duringPasswordChange {
				rq.redirect("/settings/account")
				return
			}
			acc, err := rq.authorize(rt.method)
			if err != nil {
				h.fail(rq, err)
				return
			}
			rq.acc = acc
		}
		if err := rt.serve(rq); err != nil {
			h.fail(rq, err)
		}
	})
}

func loginURL(next string) string {
	if next == "" || next == "/" {
		return "/login"
	}
	return "/login?" + url.Values{"next": {next}}.Encode()
}

// localPath returns p when it is a path on this site, else "": a log-in
// never sends anyone to another site.
func localPath(p string) string {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") || strings.ContainsAny(p, "\r\n") {
		return ""
	}
	return p
}

// redirect answers a POST or GET with 303 See Other.
func (rq *request) redirect(to string) {
	http.Redirect(rq.w, rq.r, to, http.StatusSeeOther)
}

// form returns a trimmed form value.
func (rq *request) form(name string) string { return strings.TrimSpace(rq.r.PostForm.Get(name)) }
