package main_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"
	orgsv1 "github.com/clavis-dev/clavis/api/gen/clavis/orgs/v1"
)

// TestPortalOrgApps: the apps page lists an organization's apps to its
// members as ListApps shows them, and to nobody else.
func TestPortalOrgApps(t *testing.T) {
	s := startServer(t)
	orgs := orgsv1.NewOrgsClient(s.conn)
	r, err := orgs.CreateOrg(as(s.pat), &orgsv1.CreateOrgRequest{Id: "acme", Name: "Acme Corp"})
	wantCode(t, r, err, st.StatusCode_SUCCESS)
	a, err := s.v2.PostApps(as(s.pat), &pb.PostAppsRequest{UserAppId: &pb.UserAppIDSet{UserId: "acme"}, Apps: []*pb.App{{Id: "vision"}}})
	wantCode(t, a, err, st.StatusCode_SUCCESS)
	s.newUser(t, "bob")
	m, err := orgs.PutMember(as(s.pat), &orgsv1.PutMemberRequest{OrgId: "acme", Member: &orgsv1.Member{UserId: "bob", Role: orgsv1.Role_ORG_CONTRIBUTOR, Scopes: []string{"Apps:Get", "Workflows:Get"}}})
	wantCode(t, m, err, st.StatusCode_SUCCESS)
	s.newUser(t, "carol")
	for _, u := range []string{"bob", "carol"} {
		s.setPassword(t, u, u+"'s password", false)
	}

	bob := newBrowserless(t, s)
	wantStatus(t, "log-in", bob.login("bob", "bob's password"), http.StatusSeeOther)
	apps := bob.get("/apps")
	wantStatus(t, "bob's apps", apps, http.StatusOK)
	if !strings.Contains(apps.body, "Acme Corp") || !strings.Contains(apps.body, "acme/vision") || !strings.Contains(apps.body, "Organization contributor") {
		t.Fatal("a member's apps page lacks the organization's app")
	}
	wantStatus(t, "the org's app", bob.get("/apps/acme/vision"), http.StatusOK)

	carol := newBrowserless(t, s)
	wantStatus(t, "log-in", carol.login("carol", "carol's password"), http.StatusSeeOther)
	if strings.Contains(carol.get("/apps").body, "acme/vision") {
		t.Fatal("a non-member sees the organization's app")
	}
	wantStatus(t, "the org's app", carol.get("/apps/acme/vision"), http.StatusNotFound)
}

// TestPortalOrgRefusals: the organization pages' actions follow the Orgs
// service's rules when posted: a member who is not an admin is refused
// (403) and changes nothing, a non-member is told the organization does not
// exist (404), and a member may leave.
func TestPortalOrgRefusals(t *testing.T) {
	s := startServer(t)
	orgs := orgsv1.NewOrgsClient(s.conn)
	r, err := orgs.CreateOrg(as(s.pat), &orgsv1.CreateOrgRequest{Id: "acme", Name: "Acme Corp"})
	wantCode(t, r, err, st.StatusCode_SUCCESS)
	tabs := map[string]*browserless{}
	for _, u := range []string{"bob", "carol"} {
		s.newUser(t, u)
		s.setPassword(t, u, u+"'s password", false)
		tabs[u] = newBrowserless(t, s)
		wantStatus(t, "log-in", tabs[u].login(u, u+"'s password"), http.StatusSeeOther)
	}
	m, err := orgs.PutMember(as(s.pat), &orgsv1.PutMemberRequest{OrgId: "acme", Member: &orgsv1.Member{UserId: "bob", Role: orgsv1.Role_TEAM_CONTRIBUTOR}})
	wantCode(t, m, err, st.StatusCode_SUCCESS)

	csrf := map[string]string{"bob": tabs["bob"].csrf("/orgs"), "carol": tabs["carol"].csrf("/orgs")}
	for _, c := range []struct {
		user, path string
		form       url.Values
		want       int
	}{
		{"bob", "/orgs/acme/members", url.Values{"user": {"carol"}, "role": {"admin"}}, http.StatusForbidden},
		{"bob", "/orgs/acme/members/bob", url.Values{"role": {"admin"}}, http.StatusForbidden},
		{"bob", "/orgs/acme/members/admin/remove", nil, http.StatusForbidden},
		{"bob", "/orgs/acme/teams", url.Values{"id": {"t"}, "scope": {"Apps:Get"}}, http.StatusForbidden},
		{"bob", "/orgs/acme/delete", url.Values{"confirm": {"acme"}}, http.StatusForbidden},
		{"carol", "/orgs/acme/members", url.Values{"user": {"carol"}, "role": {"admin"}}, http.StatusNotFound},
		{"carol", "/orgs/acme/delete", url.Values{"confirm": {"acme"}}, http.StatusNotFound},
	} {
		form := url.Values{"csrf": {csrf[c.user]}}
		for k, v := range c.form {
			form[k] = v
		}
		wantStatus(t, c.user+" POST "+c.path, tabs[c.user].post(c.path, form, ""), c.want)
	}
	ms, err := orgs.ListMembers(as(s.pat), &orgsv1.ListMembersRequest{OrgId: "acme"})
	wantCode(t, ms, err, st.StatusCode_SUCCESS)
	if n := len(ms.GetMembers()); n != 2 || ms.GetMembers()[1].GetRole() != orgsv1.Role_TEAM_CONTRIBUTOR {
		t.Fatalf("members after the refusals: %v", ms.GetMembers())
	}

	// bob leaves.
	p := tabs["bob"].post("/orgs/acme/members/bob/remove", url.Values{"csrf": {csrf["bob"]}}, "")
	if p.code != http.StatusSeeOther || p.hdr.Get("Location") != "/orgs?done=org-left" {
		t.Fatalf("bob leaving: %d %q", p.code, p.hdr.Get("Location"))
	}
	wantStatus(t, "the org after leaving", tabs["bob"].get("/orgs/acme"), http.StatusNotFound)
}
