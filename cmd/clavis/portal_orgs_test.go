package main_test

import (
	"net/http"
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
