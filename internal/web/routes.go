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
	tokens  = "/clavis.tokens.v1.Tokens/"
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
	// upload marks a POST whose form is multipart with one image, up to
	// the API's image size limit.
	upload bool
	serve  func(*request) error
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
		{pattern: "GET /settings/security/pats/{key}/rotate", method: v2 + "GetKey", serve: h.rotatePATPage},
		{pattern: "POST /settings/security/pats/{key}/rotate", method: tokens + "RotateKey", serve: h.rotatePAT},

		// The audit log: what concerns the user; everything, for admins.
		{pattern: "GET /settings/audit", method: tokens + "SearchAudit", serve: h.auditPage},

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
		{pattern: "GET /apps/{owner}/{app}/keys/{key}/rotate", method: v2 + "ListAppKeys", serve: h.rotateAppKeyPage},
		{pattern: "POST /apps/{owner}/{app}/keys/{key}/rotate", method: tokens + "RotateKey", serve: h.rotateAppKey},

		// An app's collaborators.
		{pattern: "GET /apps/{owner}/{app}/collaborators/new", method: v2 + "PostCollaborators", serve: h.newCollaboratorPage},
		{pattern: "POST /apps/{owner}/{app}/collaborators", method: v2 + "PostCollaborators", serve: h.addCollaborator},
		{pattern: "GET /apps/{owner}/{app}/collaborators/{user}/edit", method: v2 + "PatchCollaborators", serve: h.editCollaboratorPage},
		{pattern: "POST /apps/{owner}/{app}/collaborators/{user}", method: v2 + "PatchCollaborators", serve: h.patchCollaborator},
		{pattern: "GET /apps/{owner}/{app}/collaborators/{user}/remove", method: v2 + "DeleteCollaborators", serve: h.removeCollaboratorPage},
		{pattern: "POST /apps/{owner}/{app}/collaborators/{user}/remove", method: v2 + "DeleteCollaborators", serve: h.removeCollaborator},

		// An app's models, and the playground that predicts with one.
		{pattern: "GET /apps/{owner}/{app}/models", method: v2 + "ListModels", serve: h.modelsPage},
		{pattern: "GET /apps/{owner}/{app}/models/{model}", method: v2 + "GetModel", serve: h.modelPage},
		{pattern: "POST /apps/{owner}/{app}/models/{model}/outputs", method: v2 + "PostModelOutputs", upload: true, serve: h.predict},

		// An app's inputs: the grid, uploads, an input's page, deletion.
		{pattern: "GET /apps/{owner}/{app}/inputs", method: v2 + "ListInputs", serve: h.inputsPage},
		{pattern: "POST /apps/{owner}/{app}/inputs", method: v2 + "PostInputs", upload: true, serve: h.uploadInputs},
		{pattern: "POST /apps/{owner}/{app}/inputs/delete", method: v2 + "DeleteInputs", serve: h.deleteInputs},
		{pattern: "GET /apps/{owner}/{app}/inputs/searches", method: v2 + "PostInputsSearches", serve: h.searchPage},
		{pattern: "POST /apps/{owner}/{app}/inputs/searches", method: v2 + "PostInputsSearches", upload: true, serve: h.searchImagePage},
		{pattern: "GET /apps/{owner}/{app}/inputs/{input}", method: v2 + "GetInput", serve: h.inputPage},
		{pattern: "GET /apps/{owner}/{app}/inputs/{input}/delete", method: v2 + "DeleteInput", serve: h.deleteInputPage},
		{pattern: "POST /apps/{owner}/{app}/inputs/{input}/delete", method: v2 + "DeleteInput", serve: h.deleteInput},

		// Organizations, their members and teams.
		{pattern: "GET /orgs", method: orgs + "ListOrgs", serve: h.orgsPage},
		{pattern: "POST /orgs", method: orgs + "CreateOrg", serve: h.createOrg},
		{pattern: "GET /orgs/{org}", method: orgs + "GetOrg", serve: h.orgPage},
		{pattern: "GET /orgs/{org}/delete", method: orgs + "DeleteOrg", serve: h.deleteOrgPage},
		{pattern: "POST /orgs/{org}/delete", method: orgs + "DeleteOrg", serve: h.deleteOrg},
		{pattern: "GET /orgs/{org}/new-member", method: orgs + "PutMember", serve: h.newMemberPage},
		{pattern: "POST /orgs/{org}/members", method: orgs + "PutMember", serve: h.addMember},
		{pattern: "GET /orgs/{org}/members/{user}/edit", method: orgs + "PutMember", serve: h.editMemberPage},
		{pattern: "POST /orgs/{org}/members/{user}", method: orgs + "PutMember", serve: h.patchMember},
		{pattern: "GET /orgs/{org}/members/{user}/remove", method: orgs + "RemoveMember", serve: h.removeMemberPage},
		{pattern: "POST /orgs/{org}/members/{user}/remove", method: orgs + "RemoveMember", serve: h.removeMember},
		{pattern: "GET /orgs/{org}/new-team", method: orgs + "PutTeam", serve: h.newTeamPage},
		{pattern: "POST /orgs/{org}/teams", method: orgs + "PutTeam", serve: h.createTeam},
		{pattern: "GET /orgs/{org}/teams/{team}", method: orgs + "GetTeam", serve: h.teamPage},
		{pattern: "POST /orgs/{org}/teams/{team}", method: orgs + "PutTeam", serve: h.patchTeam},
		{pattern: "GET /orgs/{org}/teams/{team}/delete", method: orgs + "DeleteTeam", serve: h.deleteTeamPage},
		{pattern: "POST /orgs/{org}/teams/{team}/delete", method: orgs + "DeleteTeam", serve: h.deleteTeam},

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
			if rq.wantsJSON() {
				// The portal's script cannot follow a redirect to a form.
				h.fail(rq, clavis.Errorf(clavis.EUnauthenticated, "your session has ended: log in again, then retry"))
				return
			}
			next := r.URL.Path
			if r.Method != http.MethodGet {
				next = ""
			}
			rq.redirect(loginURL(next))
			return
		}
		if r.Method == http.MethodPost {
			if err := parseForm(w, r, rt.upload); err != nil {
				h.fail(rq, err)
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

// parseForm reads a POST's form within its size limit: a small one, or a
// multipart one with an image (upload), whose files stay on disk until the
// request ends.
func parseForm(w http.ResponseWriter, r *http.Request, upload bool) error {
	if !upload {
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		if err := r.ParseForm(); err != nil {
			return clavis.Errorf(clavis.EInvalid, "the form could not be read: %v", err)
		}
		return nil
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxUploadBytes)
	if err := r.ParseMultipartForm(maxUploadMemory); err != nil {
		return uploadError(err)
	}
	return nil
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
