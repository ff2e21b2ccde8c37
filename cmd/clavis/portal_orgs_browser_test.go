package main_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"
)

// status loads a path of the server and returns its HTTP status.
func (b *tab) status(path string) int64 {
	b.t.Helper()
	resp, err := chromedp.RunResponse(b.ctx, chromedp.Navigate(b.base+path))
	if err != nil {
		b.t.Fatalf("open %s: %v", path, err)
	}
	b.do(chromedp.WaitVisible(chromedp.CSS("main h1")))
	return resp.Status
}

// TestPortalBrowserOrgs walks organizations in Chromium: an admin creates
// one, an app in it, adds a member and a team; the member then sees the
// organization's app, with the API agreeing, sees the organization read
// only, and cannot reach its admin pages.
func TestPortalBrowserOrgs(t *testing.T) {
	s := startServer(t)
	pats := map[string]string{}
	for _, u := range []string{"alice", "bob", "carl"} {
		pats[u] = s.newUser(t, u)
		s.setPassword(t, u, u+"'s password", false)
	}
	alice := newTab(t, "http://"+s.Addr())
	alice.login("alice", "alice's password")

	// Create the organization.
	alice.follow(`nav.nav a[href="/orgs"]`)
	if !alice.hasText("No organizations yet") {
		t.Fatal("the organizations page does not say there are none")
	}
	alice.shot("orgs-empty")
	alice.fill("#org-id", "acme")
	alice.fill("#org-name", "Acme Corp")
	alice.follow(`form[action="/orgs"] button[type="submit"]`)
	if !alice.hasText("You are its admin") {
		t.Fatal("no confirmation of the organization")
	}

	// An app of the organization.
	alice.follow(`a[href="/apps/new?owner=acme"]`)
	if got := alice.value("#owner"); got != "acme" {
		t.Fatalf("the owner chosen is %q, want acme", got)
	}
	alice.fill("#id", "vision")
	alice.follow(`form[action="/apps"] button[type="submit"]`)
	if !alice.hasText("acme") || !alice.hasText("vision") {
		t.Fatal("the organization's app was not created")
	}

	// Add bob as an organization contributor who may read apps.
	alice.open("/orgs/acme")
	alice.follow(`a[href="/orgs/acme/new-member"]`)
	alice.fill("#user", "bob@example.com")
	alice.click(`#role-org_contributor`)
	alice.checkScope("Apps:Get", true)
	alice.checkScope("Workflows:Get", true) // ListApps needs both, as Clarifai's
	alice.checkScope("Predict", true)
	alice.shot("org-member-add")
	alice.follow(`form[action="/orgs/acme/members"] button[type="submit"]`)
	if !alice.hasText("The member was added") || !alice.hasText("bob") {
		t.Fatal("bob is not listed as a member")
	}

	// A team with bob and the app.
	alice.follow(`a[href="/orgs/acme/new-team"]`)
	alice.fill("#team-id", "labelers")
	alice.fill("#team-name", "Labelers")
	alice.click(`input[name="member"][value="bob"]`)
	alice.click(`input[name="app"][value="vision"]`)
	alice.checkScope("Apps:Get", true)
	alice.shot("org-team-create")
	alice.follow(`form[action="/orgs/acme/teams"] button[type="submit"]`)
	if !alice.hasText("The team was created") || !alice.hasText("Labelers") {
		t.Fatal("the team is not listed")
	}
	alice.shot("org-admin")

	// bob sees the organization's app, and so does the API with his PAT.
	bob := newTab(t, "http://"+s.Addr())
	bob.login("bob", "bob's password")
	if !bob.hasText("acme/vision") || !bob.hasText("Acme Corp") {
		t.Fatalf("bob's apps page lacks the organization's app: %s", bob.text("main"))
	}
	bob.shot("apps-with-org")
	r, err := s.v2.GetApp(as(pats["bob"]), &pb.GetAppRequest{UserAppId: &pb.UserAppIDSet{UserId: "acme", AppId: "vision"}})
	wantCode(t, r, err, st.StatusCode_SUCCESS)

	// bob sees the organization read only, and its admin pages refuse him.
	bob.open("/orgs/acme")
	if !bob.hasText("only its admins change") || eval[bool](bob, `!!document.querySelector('a[href="/orgs/acme/new-member"]')`) {
		t.Fatal("a contributor is offered the admin's actions")
	}
	bob.shot("org-member-view")
	for _, path := range []string{"/orgs/acme/new-member", "/orgs/acme/new-team", "/orgs/acme/members/alice/edit", "/orgs/acme/delete"} {
		if code := bob.status(path); code != 403 {
			t.Fatalf("bob opens %s: HTTP %d, want 403", path, code)
		}
	}
	if !bob.hasText("only admins of organization") {
		t.Fatalf("the refusal does not say why: %s", bob.text("main"))
	}
	bob.shot("org-admin-refused")
	bob.open("/orgs/acme/teams/labelers")
	if !bob.hasText("Only the organization's admins change teams") {
		t.Fatal("a member is offered to edit a team")
	}

	// Someone outside does not learn the organization exists.
	carl := newTab(t, "http://"+s.Addr())
	carl.login("carl", "carl's password")
	if code := carl.status("/orgs/acme"); code != 404 {
		t.Fatalf("a non-member opens the organization: HTTP %d, want 404", code)
	}
	if strings.Contains(carl.text("main"), "vision") {
		t.Fatal("a non-member sees the organization's app")
	}
}
