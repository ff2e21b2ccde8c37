package main_test

import (
	"slices"
	"strings"
	"testing"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"

	cmd "github.com/clavis-dev/clavis/cmd/clavis"
)

func signupOpen(c *cmd.Config) { yes := true; c.Signup = &yes }

// myScopesUser returns the scopes the API reports for a PAT, or its
// refusal's code.
func (s *testServer) myScopesUser(t *testing.T, pat string) ([]string, st.StatusCode) {
	t.Helper()
	r, err := s.v2.MyScopesUser(as(pat), &pb.MyScopesUserRequest{UserAppId: me()})
	if err != nil {
		t.Fatal(err)
	}
	return r.GetScopes(), r.GetStatus().GetCode()
}

func wantScopes(t *testing.T, got []string, code st.StatusCode, want ...string) {
	t.Helper()
	if code != st.StatusCode_SUCCESS || !slices.Equal(got, want) {
		t.Fatalf("the API reports scopes %v (%v), want exactly %v", got, code, want)
	}
}

// TestPortalBrowser walks Clarifai's documented Security-settings flow,
// and the same for an app key and a collaborator, in a real Chromium,
// checking each step against the API; it writes a screenshot of every
// main page at desktop and phone width.
func TestPortalBrowser(t *testing.T) {
	s := startServer(t, signupOpen)
	b := newTab(t, "http://"+s.Addr())

	// A visitor: the landing page, the API reference, sign-up.
	b.open("/")
	b.shot("landing")
	b.open("/docs/api")
	if !b.hasText("Authorization") || !b.hasText("PostKeys") {
		t.Fatal("the API reference lacks the authentication note or PostKeys")
	}
	b.shotTop("api-reference")
	b.open("/login")
	b.shot("login")
	b.follow(`a[href="/signup"]`)
	b.fill("#id", "alice")
	b.fill("#email", "alice@example.com")
	b.fill("#password", "correct horse battery")
	b.fill("#confirm", "correct horse battery")
	b.shot("signup")
	b.follow(`form[action="/signup"] button[type="submit"]`)

	// The default PAT, shown once, copied, and working over gRPC.
	if !b.hasText("will not be shown again") {
		t.Fatal("the default PAT's page has no warning")
	}
	b.shot("signup-default-pat")
	defaultPAT := b.copySecret()
	got, code := s.myScopesUser(t, defaultPAT)
	wantScopes(t, got, code, "All")

	// Profile icon, upper right → Security settings.
	b.click("details.menu summary")
	b.follow(`.menu-panel a[href="/settings/security"]`)
	if !b.hasText("Personal Access Tokens") || !b.hasText("default") {
		t.Fatal("Security settings do not list the default PAT")
	}
	if strings.Contains(b.text("main"), defaultPAT) {
		t.Fatal("Security settings show a secret")
	}
	b.shot("security-settings")

	// Create Personal Access Token → description and two scopes → Confirm.
	b.follow(`a[href="/settings/security/pats/new"]`)
	b.fill("#description", "photo tagger")
	b.checkScope("Predict", true)
	b.checkScope("Search", true)
	b.shot("pat-create")
	b.follow(`form[action="/settings/security/pats"] button[type="submit"]`)
	b.shot("pat-secret")
	pat := b.copySecret()
	got, code = s.myScopesUser(t, pat)
	wantScopes(t, got, code, "Predict", "Search")

	// Listed in Personal Access Tokens; edit its scopes: the API follows.
	b.follow(`a[href="/settings/security"]`)
	if !b.hasText("photo tagger") {
		t.Fatal("the new PAT is not listed")
	}
	b.follow(`a[aria-label="Edit photo tagger"]`)
	b.checkScope("Search", false)
	b.checkScope("Apps:Get", true)
	b.shot("pat-edit")
	b.follow(`form[data-scopes] button[type="submit"]`)
	got, code = s.myScopesUser(t, pat)
	wantScopes(t, got, code, "Predict", "Apps:Get")

	// Delete it, with confirmation: the API refuses it.
	b.follow(`a[aria-label="Delete photo tagger"]`)
	b.shot("pat-delete")
	b.follow(`main form button.btn-danger`)
	if !b.hasText("was deleted") {
		t.Fatal("no confirmation of the deletion")
	}
	_, code = s.myScopesUser(t, pat)
	if code != st.StatusCode_CONN_KEY_INVALID {
		t.Fatalf("the deleted PAT answers %v, want CONN_KEY_INVALID", code)
	}

	// An app, its settings page, and an app key through the same steps.
	b.open("/apps")
	b.shot("apps-empty")
	b.follow(`a[href="/apps/new"]`)
	b.fill("#id", "photos")
	b.fill("#description", "Holiday photos")
	b.shot("app-create")
	b.follow(`form[action="/apps"] button[type="submit"]`)
	b.follow(`a[href="/apps/alice/photos/keys/new"]`)
	b.fill("#description", "uploader")
	b.checkScope("Inputs:Add", true) // checks Inputs:Get with it
	b.shot("app-key-create")
	b.follow(`main form button[type="submit"]`)
	appKey := b.copySecret()
	myScopes := func() ([]string, st.StatusCode) {
		r, err := s.v2.MyScopes(as(appKey), &pb.MyScopesRequest{})
		if err != nil {
			t.Fatal(err)
		}
		return r.GetScopes(), r.GetStatus().GetCode()
	}
	got, code = myScopes()
	wantScopes(t, got, code, "Inputs:Get", "Inputs:Add")
	b.follow(`a[href="/apps/alice/photos"]`)
	b.follow(`a[aria-label="Edit uploader"]`)
	b.checkScope("Inputs:Add", false)
	b.checkScope("Predict", true)
	b.follow(`form[data-scopes] button[type="submit"]`)
	got, code = myScopes()
	wantScopes(t, got, code, "Predict", "Inputs:Get")

	// A collaborator added in the portal: bob's own PAT reads the app.
	bob := s.newUser(t, "bob")
	getApp := func() st.StatusCode {
		r, err := s.v2.GetApp(as(bob), &pb.GetAppRequest{UserAppId: &pb.UserAppIDSet{UserId: "alice", AppId: "photos"}})
		if err != nil {
			t.Fatal(err)
		}
		return r.GetStatus().GetCode()
	}
	if c := getApp(); c != st.StatusCode_CONN_DOES_NOT_EXIST {
		t.Fatalf("bob reads alice's app before being added: %v", c)
	}
	b.follow(`a[href="/apps/alice/photos/collaborators/new"]`)
	b.fill("#user", "bob@example.com")
	b.checkScope("Apps:Get", true)
	b.checkScope("Workflows:Get", true)
	b.shot("collaborator-add")
	b.follow(`main form button[type="submit"]`)
	if c := getApp(); c != st.StatusCode_SUCCESS {
		t.Fatalf("bob, a collaborator now, reads alice's app: %v", c)
	}
	b.shot("app-settings")

	// The app key deleted from the app's page: the API refuses it.
	b.follow(`a[aria-label="Delete uploader"]`)
	b.follow(`main form button.btn-danger`)
	if _, code = myScopes(); code != st.StatusCode_CONN_KEY_INVALID {
		t.Fatalf("the deleted app key answers %v, want CONN_KEY_INVALID", code)
	}
	b.follow(`a[href="/apps/alice/photos/delete"]`)
	b.shot("app-delete")

	b.open("/apps")
	b.shot("apps")
	b.open("/settings/account")
	b.shot("account-settings")
	b.open("/apps/alice/nothing-here")
	b.shot("not-found")

	// Log out from the profile menu.
	b.click("details.menu summary")
	b.shot("profile-menu")
	b.follow(`.menu-panel form[action="/logout"] button`)
	if !b.hasText("You have logged out") {
		t.Fatal("no confirmation of the log-out")
	}
}

// TestPortalBrowserAdmin sets the bootstrap admin's password over the API,
// logs in, and uses the admin page: create a user, reset a password.
func TestPortalBrowserAdmin(t *testing.T) {
	s := startServer(t)
	s.setPassword(t, "admin", "admin password 1", false)
	s.newUser(t, "carol")
	b := newTab(t, "http://"+s.Addr())
	b.open("/login")
	b.fill("#login", "admin")
	b.fill("#password", "admin password 1")
	b.follow(`form[action="/login"] button[type="submit"]`)
	b.open("/admin/users")
	if !b.hasText("carol") {
		t.Fatal("the users page does not list carol")
	}
	b.shot("admin-users")
	b.follow(`a[href="/admin/users/carol/password"]`)
	b.fill("#password", "temporary password")
	b.shot("admin-reset-password")
	b.follow(`main form button[type="submit"]`)
	if !b.hasText("must choose a new one") {
		t.Fatal("no confirmation of the reset")
	}
}
