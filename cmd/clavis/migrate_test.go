package main_test

import (
	"context"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"
	orgsv1 "github.com/clavis-dev/clavis/api/gen/clavis/orgs/v1"

	"github.com/clavis-dev/clavis/clavis"
	cmd "github.com/clavis-dev/clavis/cmd/clavis"
	"github.com/clavis-dev/clavis/internal/store/postgres"
	"github.com/clavis-dev/clavis/internal/store/postgres/pgtest"
	"github.com/clavis-dev/clavis/internal/store/sqlite"
)

// TestMigrate fills a SQLite installation with every aggregate, migrates it
// into PostgreSQL, and checks that both stores hold the same data and that a
// server on PostgreSQL honours the old credentials and grants.
func TestMigrate(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	s := startServer(t)
	alice := s.newUser(t, "alice")
	bob := s.newUser(t, "bob")
	s.newUser(t, "cole")
	s.newApp(t, alice, "photos", false)
	s.newApp(t, alice, "public", true)
	appKey := s.newKey(t, alice, &pb.Key{Type: "app_specific_key", Scopes: []string{"All"}, Apps: []*pb.App{{Id: "photos", UserId: "alice"}}})
	photos := &pb.UserAppIDSet{UserId: "alice", AppId: "photos"}
	for _, u := range []string{"bob", "cole"} {
		p, err := s.v2.PostCollaborators(as(alice), &pb.PostCollaboratorsRequest{UserAppId: photos,
			Collaborators: []*pb.Collaborator{{User: &pb.User{Id: u}, Scopes: []string{"Apps:Get", "Workflows:Get"}}}})
		wantCode(t, p, err, st.StatusCode_SUCCESS)
	}
	d, err := s.v2.DeleteCollaborators(as(alice), &pb.DeleteCollaboratorsRequest{UserAppId: photos, CollaboratorIds: []string{"cole"}})
	wantCode(t, d, err, st.StatusCode_SUCCESS)
	orgs := orgsv1.NewOrgsClient(s.conn)
	o, err := orgs.CreateOrg(as(alice), &orgsv1.CreateOrgRequest{Id: "acme"})
	wantCode(t, o, err, st.StatusCode_SUCCESS)
	m, err := orgs.PutMember(as(alice), &orgsv1.PutMemberRequest{OrgId: "acme", Member: &orgsv1.Member{UserId: "bob", Role: orgsv1.Role_TEAM_CONTRIBUTOR}})
	wantCode(t, m, err, st.StatusCode_SUCCESS)
	a, err := s.v2.PostApps(as(alice), &pb.PostAppsRequest{UserAppId: &pb.UserAppIDSet{UserId: "acme"}, Apps: []*pb.App{{Id: "vision"}}})
	wantCode(t, a, err, st.StatusCode_SUCCESS)
	tm, err := orgs.PutTeam(as(alice), &orgsv1.PutTeamRequest{OrgId: "acme", Team: &orgsv1.Team{Id: "t1", Scopes: []string{"Apps:Get", "Workflows:Get"}, MemberIds: []string{"bob"}, AppIds: []string{"vision"}}})
	wantCode(t, tm, err, st.StatusCode_SUCCESS)
	s.Close()

	c := newCLI(t, s)
	code, out, errOut := c.run("migrate", "--from", s.dir, "--to", dsn)
	if code != 0 || !strings.Contains(out, "Copied") {
		t.Fatalf("migrate: %d %q %q", code, out, errOut)
	}

	ctx := context.Background()
	src, err := sqlite.Open(ctx, filepath.Join(s.dir, "clavis.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	want, got := dump(t, src), dump(t, dst)
	if len(want) < 20 {
		t.Fatalf("the source dump has only %d entries", len(want))
	}
	for k, v := range want {
		if !reflect.DeepEqual(got[k], v) {
			t.Errorf("%s: PostgreSQL has %+v, SQLite %+v", k, got[k], v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("PostgreSQL dump has %d entries, SQLite %d", len(got), len(want))
	}

	// A second migration into the now non-empty database is refused.
	if code, _, errOut := c.run("migrate", "--from", s.dir, "--to", dsn); code != 1 || !strings.Contains(errOut, "not empty") {
		t.Fatalf("second migrate: %d %q", code, errOut)
	}

	// A server on PostgreSQL honours the migrated tokens and grants.
	p := startServer(t, func(c *cmd.Config) { c.DB = dsn })
	if p.pat != "" {
		t.Fatal("the server bootstrapped a migrated database")
	}
	u, err := p.v2.GetUser(as(s.pat), &pb.GetUserRequest{UserAppId: me()})
	wantCode(t, u, err, st.StatusCode_SUCCESS)
	g, err := p.v2.GetApp(as(appKey), &pb.GetAppRequest{UserAppId: photos})
	wantCode(t, g, err, st.StatusCode_SUCCESS)
	g, err = p.v2.GetApp(as(bob), &pb.GetAppRequest{UserAppId: photos})
	wantCode(t, g, err, st.StatusCode_SUCCESS)
	g, err = p.v2.GetApp(as(bob), &pb.GetAppRequest{UserAppId: &pb.UserAppIDSet{UserId: "acme", AppId: "vision"}})
	wantCode(t, g, err, st.StatusCode_SUCCESS)
}

// dump reads everything in s through the store interfaces, keyed by what
// each value is.
func dump(t *testing.T, s clavis.Store) map[string]any {
	t.Helper()
	ctx := context.Background()
	all := clavis.Page{Size: clavis.MaxPageSize}
	out := map[string]any{}
	must := func(v any, err error) any {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	users, err := s.Users().ListUsers(ctx, all)
	if err != nil {
		t.Fatal(err)
	}
	owners := []string{clavis.SystemUserID}
	out["user "+clavis.SystemUserID] = must(s.Users().GetUser(ctx, clavis.SystemUserID))
	for _, u := range users {
		out["user "+u.ID] = u
		owners = append(owners, u.ID)
		orgs, err := s.Orgs().ListOrgs(ctx, u.ID, all)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range orgs {
			if _, seen := out["org "+o.ID]; seen {
				continue
			}
			out["org "+o.ID] = o
			owners = append(owners, o.ID)
			out["members "+o.ID] = must(s.Orgs().ListMembers(ctx, o.ID, all))
			out["teams "+o.ID] = must(s.Orgs().ListTeams(ctx, o.ID, all))
		}
	}
	for _, owner := range owners {
		apps, err := s.Apps().ListApps(ctx, owner, all)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range apps {
			out["app "+owner+"/"+a.ID] = a
			out["collaborators "+owner+"/"+a.ID] = must(s.Collaborators().ListCollaborators(ctx, a.Ref(), true, all))
		}
	}
	keys, err := s.Keys().ListKeys(ctx, clavis.KeyFilter{}, all)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		out["key "+k.ID] = k
	}
	return out
}
