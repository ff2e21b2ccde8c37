package storetest

import (
	"testing"
	"time"

	"github.com/clavis-dev/clavis/clavis"
)

func testCollaborators(t *testing.T, s clavis.Store) {
	user(t, s, "alice")
	user(t, s, "bob")
	user(t, s, "carol")
	app(t, s, "alice", "photos")
	app(t, s, "alice", "docs")
	photos := clavis.AppRef{OwnerID: "alice", AppID: "photos"}
	docs := clavis.AppRef{OwnerID: "alice", AppID: "docs"}
	put := func(id string, ref clavis.AppRef, userID string, scopes ...string) {
		t.Helper()
		ok(t, s.Collaborators().PutCollaborator(ctx, &clavis.Collaborator{ID: id, App: ref, UserID: userID, Scopes: clavis.MustScopes(scopes...), Endpoints: []string{"/clarifai.api.V2/GetApp"}, CreatedAt: now(), UpdatedAt: now()}))
	}
	put("c1", photos, "bob", "Apps:Get")
	put("c2", photos, "carol", "Apps:Get", "Predict")
	put("c3", docs, "bob", "All")
	c, err := s.Collaborators().GetCollaborator(ctx, photos, "bob")
	ok(t, err)
	if c.ID != "c1" || !c.Scopes.Has("Apps:Get") || c.Scopes.Has("Predict") || len(c.Endpoints) != 1 || !c.DeletedAt.IsZero() {
		t.Fatalf("GetCollaborator = %+v", c)
	}
	_, err = s.Collaborators().GetCollaborator(ctx, photos, "alice")
	mustCode(t, err, clavis.ENotFound)
	mustCode(t, s.Collaborators().PutCollaborator(ctx, &clavis.Collaborator{ID: "c9", App: photos, UserID: "ghost", Scopes: clavis.AllScopes(), CreatedAt: now(), UpdatedAt: now()}), clavis.ENotFound)
	mustCode(t, s.Collaborators().PutCollaborator(ctx, &clavis.Collaborator{ID: "c9", App: clavis.AppRef{OwnerID: "alice", AppID: "none"}, UserID: "bob", Scopes: clavis.AllScopes(), CreatedAt: now(), UpdatedAt: now()}), clavis.ENotFound)

	list, err := s.Collaborators().ListCollaborators(ctx, photos, false, clavis.Page{})
	ok(t, err)
	if len(list) != 2 || list[0].UserID != "bob" || list[1].UserID != "carol" {
		t.Fatalf("ListCollaborators = %d", len(list))
	}
	mine, err := s.Collaborators().ListCollaborations(ctx, "bob", clavis.Page{})
	ok(t, err)
	if len(mine) != 2 || mine[0].App != docs || mine[1].App != photos {
		t.Fatalf("ListCollaborations = %d", len(mine))
	}

	// Replacing a grant changes its scopes.
	put("c1", photos, "bob", "Apps:Get", "Predict")
	c, _ = s.Collaborators().GetCollaborator(ctx, photos, "bob")
	if !c.Scopes.Has("Predict") {
		t.Fatal("PutCollaborator did not replace the grant")
	}
	// Removal is soft: the grant stops counting but can be listed.
	at := now()
	ok(t, s.Collaborators().RemoveCollaborator(ctx, photos, "bob", at))
	mustCode(t, s.Collaborators().RemoveCollaborator(ctx, photos, "bob", at), clavis.ENotFound)
	_, err = s.Collaborators().GetCollaborator(ctx, photos, "bob")
	mustCode(t, err, clavis.ENotFound)
	active, _ := s.Collaborators().ListCollaborators(ctx, photos, false, clavis.Page{})
	all, _ := s.Collaborators().ListCollaborators(ctx, photos, true, clavis.Page{})
	if len(active) != 1 || len(all) != 2 || !all[0].DeletedAt.Equal(at) {
		t.Fatalf("after removal: %d active, %d in all", len(active), len(all))
	}
	mine, _ = s.Collaborators().ListCollaborations(ctx, "bob", clavis.Page{})
	if len(mine) != 1 || mine[0].App != docs {
		t.Fatalf("removed grant still listed in collaborations")
	}
	// Adding again revives it.
	put("c4", photos, "bob", "Apps:Get")
	if _, err := s.Collaborators().GetCollaborator(ctx, photos, "bob"); err != nil {
		t.Fatalf("re-added collaborator: %v", err)
	}
	// Grants go with their app and their user.
	ok(t, s.Apps().DeleteApp(ctx, docs))
	mine, _ = s.Collaborators().ListCollaborations(ctx, "bob", clavis.Page{})
	if len(mine) != 1 {
		t.Fatalf("grant on a deleted app survived")
	}
	ok(t, s.Users().DeleteUser(ctx, "carol"))
	active, _ = s.Collaborators().ListCollaborators(ctx, photos, true, clavis.Page{})
	if len(active) != 1 {
		t.Fatalf("grant of a deleted user survived: %d", len(active))
	}
}

func testOrgs(t *testing.T, s clavis.Store) {
	user(t, s, "alice")
	user(t, s, "bob")
	user(t, s, "carol")
	ok(t, s.Orgs().CreateOrg(ctx, &clavis.Org{ID: "acme", Name: "Acme", CreatedAt: now(), UpdatedAt: now()}))
	mustCode(t, s.Orgs().CreateOrg(ctx, &clavis.Org{ID: "alice", CreatedAt: now(), UpdatedAt: now()}), clavis.EConflict)
	mustCode(t, s.Users().CreateUser(ctx, &clavis.User{ID: "acme", CreatedAt: now(), UpdatedAt: now()}), clavis.EConflict)
	o, err := s.Orgs().GetOrg(ctx, "acme")
	ok(t, err)
	if o.Name != "Acme" {
		t.Fatalf("GetOrg = %+v", o)
	}
	_, err = s.Orgs().GetOrg(ctx, "alice")
	mustCode(t, err, clavis.ENotFound)
	_, err = s.Users().GetUser(ctx, "acme")
	mustCode(t, err, clavis.ENotFound)
	users, _ := s.Users().ListUsers(ctx, clavis.Page{})
	if len(users) != 3 {
		t.Fatalf("ListUsers lists orgs: %d", len(users))
	}

	member := func(u string, r clavis.OrgRole, scopes ...string) {
		t.Helper()
		ok(t, s.Orgs().PutMember(ctx, &clavis.OrgMember{OrgID: "acme", UserID: u, Role: r, Scopes: clavis.MustScopes(scopes...), CreatedAt: now()}))
	}
	member("alice", clavis.RoleAdmin, "All")
	member("bob", clavis.RoleContributor, "Apps:Get", "Predict")
	member("carol", clavis.RoleTeamContributor)
	mustCode(t, s.Orgs().PutMember(ctx, &clavis.OrgMember{OrgID: "acme", UserID: "ghost", Role: clavis.RoleAdmin, CreatedAt: now()}), clavis.ENotFound)
	m, err := s.Orgs().GetMember(ctx, "acme", "bob")
	ok(t, err)
	if m.Role != clavis.RoleContributor || !m.Scopes.Has("Predict") {
		t.Fatalf("GetMember = %+v", m)
	}
	members, _ := s.Orgs().ListMembers(ctx, "acme", clavis.Page{})
	if len(members) != 3 {
		t.Fatalf("ListMembers = %d", len(members))
	}
	testKeyPolicies(t, s)
	orgsOfBob, _ := s.Orgs().ListOrgs(ctx, "bob", clavis.Page{})
	if len(orgsOfBob) != 1 || orgsOfBob[0].ID != "acme" {
		t.Fatalf("ListOrgs = %d", len(orgsOfBob))
	}

	app(t, s, "acme", "vision")
	app(t, s, "acme", "audio")
	team := &clavis.Team{OrgID: "acme", ID: "ml", Name: "ML", Scopes: clavis.MustScopes("Apps:Get", "Predict"), Members: []string{"carol"}, Apps: []string{"vision"}, CreatedAt: now()}
	ok(t, s.Orgs().PutTeam(ctx, team))
	bad := *team
	bad.ID, bad.Members = "bad", []string{"dave"}
	mustCode(t, s.Orgs().PutTeam(ctx, &bad), clavis.ENotFound)
	if _, err := s.Orgs().GetTeam(ctx, "acme", "bad"); clavis.ErrorCode(err) != clavis.ENotFound {
		t.Fatal("a failed PutTeam left a team behind")
	}
	got, err := s.Orgs().GetTeam(ctx, "acme", "ml")
	ok(t, err)
	if len(got.Members) != 1 || len(got.Apps) != 1 || !got.Scopes.Has("Predict") {
		t.Fatalf("GetTeam = %+v", got)
	}
	sc, found, err := s.Orgs().TeamScopes(ctx, "acme", "carol", "vision")
	ok(t, err)
	if !found || !sc.Has("Predict") {
		t.Fatalf("TeamScopes on a team app = %v %v", sc.Names(), found)
	}
	_, found, _ = s.Orgs().TeamScopes(ctx, "acme", "carol", "audio")
	if found {
		t.Fatal("TeamScopes found a non-team app")
	}
	// A second team adds its scopes.
	ok(t, s.Orgs().PutTeam(ctx, &clavis.Team{OrgID: "acme", ID: "ops", Scopes: clavis.MustScopes("Models:Get"), Members: []string{"carol", "bob"}, Apps: []string{"vision", "audio"}, CreatedAt: now()}))
	sc, _, _ = s.Orgs().TeamScopes(ctx, "acme", "carol", "vision")
	if !sc.Has("Predict") || !sc.Has("Models:Get") {
		t.Fatalf("union of team scopes = %v", sc.Names())
	}
	teams, _ := s.Orgs().ListTeams(ctx, "acme", clavis.Page{})
	if len(teams) != 2 {
		t.Fatalf("ListTeams = %d", len(teams))
	}
	// Removing a member removes them from the teams.
	ok(t, s.Orgs().RemoveMember(ctx, "acme", "carol"))
	_, found, _ = s.Orgs().TeamScopes(ctx, "acme", "carol", "vision")
	if found {
		t.Fatal("removed member still in a team")
	}
	mustCode(t, s.Orgs().RemoveMember(ctx, "acme", "carol"), clavis.ENotFound)
	ok(t, s.Orgs().DeleteTeam(ctx, "acme", "ops"))
	mustCode(t, s.Orgs().DeleteTeam(ctx, "acme", "ops"), clavis.ENotFound)
	// Deleting the org deletes its apps and memberships.
	ok(t, s.Orgs().DeleteOrg(ctx, "acme"))
	if _, err := s.Apps().GetApp(ctx, clavis.AppRef{OwnerID: "acme", AppID: "vision"}); clavis.ErrorCode(err) != clavis.ENotFound {
		t.Fatal("org app survived the org")
	}
	if o, _ := s.Orgs().ListOrgs(ctx, "bob", clavis.Page{}); len(o) != 0 {
		t.Fatal("membership survived the org")
	}
	mustCode(t, s.Orgs().DeleteOrg(ctx, "acme"), clavis.ENotFound)

}

// testKeyPolicies runs on the org "acme" with members alice, bob and carol.
func testKeyPolicies(t *testing.T, s clavis.Store) {
	_, err := s.Orgs().GetKeyPolicy(ctx, "acme")
	mustCode(t, err, clavis.ENotFound)
	p := &clavis.OrgKeyPolicy{OrgID: "acme", PATMaxLifetime: 720 * time.Hour, AppKeyExpiryRequired: true, StopAt: now().Add(time.Hour), UpdatedAt: now()}
	ok(t, s.Orgs().PutKeyPolicy(ctx, p))
	got, err := s.Orgs().GetKeyPolicy(ctx, "acme")
	ok(t, err)
	if got.PATMaxLifetime != 720*time.Hour || got.PATExpiryRequired || !got.AppKeyExpiryRequired || got.AppKeyMaxLifetime != 0 || !got.StopAt.Equal(p.StopAt) {
		t.Fatalf("GetKeyPolicy = %+v", got)
	}
	p.StopAt, p.PATExpiryRequired = time.Time{}, true
	ok(t, s.Orgs().PutKeyPolicy(ctx, p))
	got, err = s.Orgs().GetKeyPolicy(ctx, "acme")
	ok(t, err)
	if !got.StopAt.IsZero() || !got.PATExpiryRequired {
		t.Fatalf("PutKeyPolicy did not replace: %+v", got)
	}
	mustCode(t, s.Orgs().PutKeyPolicy(ctx, &clavis.OrgKeyPolicy{OrgID: "alice", UpdatedAt: now()}), clavis.ENotFound)
	ps, err := s.Orgs().ListKeyPolicies(ctx, "bob")
	ok(t, err)
	if len(ps) != 1 || ps[0].OrgID != "acme" {
		t.Fatalf("ListKeyPolicies(bob) = %v", ps)
	}
	ps, err = s.Orgs().ListKeyPolicies(ctx, "ghost")
	ok(t, err)
	if len(ps) != 0 {
		t.Fatalf("ListKeyPolicies(ghost) = %v", ps)
	}
}
