package auth_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/auth"
)

const (
	v2   = "/clarifai.api.V2/"
	orgs = "/clavis.orgs.v1.Orgs/"
)

// TestOrgRules checks that the rules of the Orgs service are decided by the
// authorizer: members read, admins change, a member may act on their own
// membership, non-members get the answer a missing org gets.
func TestOrgRules(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	now := time.Now()
	for _, id := range []string{"ann", "bob", "sam"} {
		if err := f.db.Users().CreateUser(ctx, &clavis.User{ID: id, CreatedAt: now, UpdatedAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.db.Orgs().CreateOrg(ctx, &clavis.Org{ID: "acme", CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	for id, role := range map[string]clavis.OrgRole{"ann": clavis.RoleAdmin, "bob": clavis.RoleTeamContributor} {
		if err := f.db.Orgs().PutMember(ctx, &clavis.OrgMember{OrgID: "acme", UserID: id, Role: role, Scopes: clavis.AllScopes(), CreatedAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	z := auth.NewAuthorizer(f.db)
	pat := func(user string, scopes ...string) *clavis.Principal {
		return &clavis.Principal{UserID: user, KeyType: clavis.KeyTypePAT, Scopes: clavis.MustScopes(scopes...)}
	}
	for _, c := range []struct {
		name   string
		method string
		p      *clavis.Principal
		req    auth.Request
		want   clavis.Code
		detail string // a part of the message of a refusal
	}{
		{"MemberReads", orgs + "ListMembers", pat("bob", "Apps:Get"), auth.Request{OrgID: "acme"}, "", ""},
		{"AdminChanges", orgs + "PutTeam", pat("ann", "All"), auth.Request{OrgID: "acme"}, "", ""},
		{"MemberCannotChange", orgs + "PutTeam", pat("bob", "All"), auth.Request{OrgID: "acme"}, clavis.EForbidden, "only admins of organization \"acme\""},
		{"AdminNeedsAll", orgs + "DeleteOrg", pat("ann", "Apps:Get"), auth.Request{OrgID: "acme"}, clavis.EForbidden, "missing scopes All"},
		{"StrangerSeesNoOrg", orgs + "GetOrg", pat("sam", "All"), auth.Request{OrgID: "acme"}, clavis.ENotFound, "does not exist or is not visible"},
		{"MissingOrg", orgs + "GetOrg", pat("ann", "All"), auth.Request{OrgID: "nope"}, clavis.ENotFound, "does not exist or is not visible"},
		{"NoOrgID", orgs + "GetOrg", pat("ann", "All"), auth.Request{}, clavis.EInvalid, "org_id is required"},
		{"MemberLeaves", orgs + "RemoveMember", pat("bob", "Apps:Get"), auth.Request{OrgID: "acme", MemberID: "bob"}, "", ""},
		{"MemberCannotRemoveOthers", orgs + "RemoveMember", pat("bob", "All"), auth.Request{OrgID: "acme", MemberID: "ann"}, clavis.EForbidden, "only admins of organization \"acme\" can act on other members"},
		{"AdminRemovesOthers", orgs + "RemoveMember", pat("ann", "All"), auth.Request{OrgID: "acme", MemberID: "bob"}, "", ""},
		{"AdminRemovesOthersOnlyWithAll", orgs + "RemoveMember", pat("ann", "Apps:Get"), auth.Request{OrgID: "acme", MemberID: "bob"}, clavis.EForbidden, "missing scopes All"},
	} {
		t.Run(c.name, func(t *testing.T) {
			acc, err := z.Authorize(ctx, c.method, c.p, c.req)
			if got := clavis.ErrorCode(err); got != c.want {
				t.Fatalf("Authorize = %v, want code %q", err, c.want)
			}
			if err != nil && !strings.Contains(clavis.ErrorMessage(err), c.detail) {
				t.Fatalf("message %q lacks %q", clavis.ErrorMessage(err), c.detail)
			}
			if err == nil && (acc.Org == nil || acc.Org.OrgID != "acme" || acc.Org.UserID != c.p.UserID) {
				t.Fatalf("Access.Org = %+v", acc.Org)
			}
		})
	}
}

// TestManageRules checks that only those who manage an app may change it,
// delete it or make and list its keys, whatever their scopes, and that the
// refusal says who may.
func TestManageRules(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	now := time.Now()
	for _, id := range []string{"cole", "olga", "carl"} {
		if err := f.db.Users().CreateUser(ctx, &clavis.User{ID: id, CreatedAt: now, UpdatedAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.db.Orgs().CreateOrg(ctx, &clavis.Org{ID: "acme", CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	for _, a := range []clavis.App{{OwnerID: "alice", ID: "photos"}, {OwnerID: "acme", ID: "vision"}} {
		a.Visibility, a.CreatedAt, a.UpdatedAt = clavis.VisibilityPrivate, now, now
		if err := f.db.Apps().CreateApp(ctx, &a); err != nil {
			t.Fatal(err)
		}
		if err := f.db.Collaborators().PutCollaborator(ctx, &clavis.Collaborator{ID: "c-" + a.ID, App: a.Ref(), UserID: "cole", Scopes: clavis.AllScopes(), CreatedAt: now, UpdatedAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.db.Orgs().PutMember(ctx, &clavis.OrgMember{OrgID: "acme", UserID: "carl", Role: clavis.RoleContributor, Scopes: clavis.AllScopes(), CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	z := auth.NewAuthorizer(f.db)
	pat := func(user string) *clavis.Principal {
		return &clavis.Principal{UserID: user, KeyType: clavis.KeyTypePAT, Scopes: clavis.AllScopes()}
	}
	for _, method := range []string{"PatchApp", "DeleteApp", "ListAppKeys"} {
		for _, c := range []struct {
			who, owner, app string
			want            clavis.Code
			detail          string
		}{
			{"alice", "alice", "photos", "", ""},
			{"cole", "alice", "photos", clavis.EForbidden, "only the owner of app alice/photos can call " + method + " on it"},
			{"carl", "acme", "vision", "", ""},
			{"cole", "acme", "vision", clavis.EForbidden, "only admins and contributors of organization \"acme\" can call " + method + " on app acme/vision"},
			{"olga", "acme", "vision", clavis.ENotFound, "does not exist or is not visible"},
		} {
			_, err := z.Authorize(ctx, v2+method, pat(c.who), auth.Request{UserID: c.owner, AppID: c.app})
			if got := clavis.ErrorCode(err); got != c.want || err != nil && !strings.Contains(clavis.ErrorMessage(err), c.detail) {
				t.Errorf("%s by %s on %s/%s: %v, want %q with %q", method, c.who, c.owner, c.app, err, c.want, c.detail)
			}
		}
	}
	// Reading stays open to collaborators.
	if _, err := z.Authorize(ctx, v2+"GetApp", pat("cole"), auth.Request{UserID: "alice", AppID: "photos"}); err != nil {
		t.Errorf("a collaborator's GetApp: %v", err)
	}
	// Keys: ManagedApp answers for the app of a new app key.
	if _, _, err := z.ManagedApp(ctx, pat("cole"), clavis.AppRef{OwnerID: "alice", AppID: "photos"}, "create keys for"); clavis.ErrorCode(err) != clavis.EForbidden ||
		!strings.Contains(clavis.ErrorMessage(err), "only the owner of app alice/photos can create keys for it") {
		t.Errorf("ManagedApp by a collaborator: %v", err)
	}
	if _, grant, err := z.ManagedApp(ctx, pat("carl"), clavis.AppRef{OwnerID: "acme", AppID: "vision"}, "create keys for"); err != nil || !grant.IsAll() {
		t.Errorf("ManagedApp by an org contributor: %v %v", grant.Names(), err)
	}
}

// TestCheckKeyGrant checks that no key grants more than its creator holds.
func TestCheckKeyGrant(t *testing.T) {
	exp := time.Now().Add(time.Hour)
	limited := &clavis.Principal{Scopes: clavis.MustScopes("Apps:Get", "Predict"), Endpoints: []string{v2 + "GetApp"}, ExpiresAt: exp}
	for _, c := range []struct {
		name      string
		scopes    []string
		endpoints []string
		expires   time.Time
		detail    string // "" = allowed
	}{
		{"Within", []string{"Predict"}, []string{v2 + "GetApp"}, exp, ""},
		{"MoreScopes", []string{"Apps:Add"}, []string{v2 + "GetApp"}, exp, "Apps:Add"},
		{"NoEndpoints", []string{"Predict"}, nil, exp, "must list endpoints"},
		{"OtherEndpoint", []string{"Predict"}, []string{v2 + "ListApps"}, exp, "cannot grant endpoint"},
		{"NeverExpires", []string{"Predict"}, []string{v2 + "GetApp"}, time.Time{}, "expires at"},
		{"Outlives", []string{"Predict"}, []string{v2 + "GetApp"}, exp.Add(time.Minute), "expires at"},
	} {
		err := auth.CheckKeyGrant(limited, limited.Scopes, clavis.MustScopes(c.scopes...), c.endpoints, c.expires)
		switch {
		case c.detail == "" && err != nil:
			t.Errorf("%s: %v, want allowed", c.name, err)
		case c.detail != "" && (clavis.ErrorCode(err) != clavis.EForbidden || !strings.Contains(clavis.ErrorMessage(err), c.detail)):
			t.Errorf("%s: %v, want EForbidden naming %q", c.name, err, c.detail)
		}
	}
}
