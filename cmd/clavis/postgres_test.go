package main_test

import (
	"strings"
	"testing"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"
	adminv1 "github.com/clavis-dev/clavis/api/gen/clavis/admin/v1"

	cmd "github.com/clavis-dev/clavis/cmd/clavis"
	"github.com/clavis-dev/clavis/internal/store/postgres/pgtest"
)

// onPostgres points a server at dsn.
func onPostgres(dsn string) func(*cmd.Config) {
	return func(c *cmd.Config) { c.DB = dsn }
}

// TestPostgresServer runs a short API flow on a server whose store is
// PostgreSQL, restarts it, and recovers admin access offline with --db.
func TestPostgresServer(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	s := startServer(t, onPostgres(dsn))
	if !strings.HasPrefix(s.pat, "clvp_") {
		t.Fatalf("bootstrap PAT %q", s.pat)
	}
	alice := s.newUser(t, "alice")
	s.newApp(t, alice, "photos", false)
	appKey := s.newKey(t, alice, &pb.Key{Type: "app_specific_key", Scopes: []string{"All"}, Apps: []*pb.App{{Id: "photos", UserId: "alice"}}})
	g, err := s.v2.GetApp(as(appKey), &pb.GetAppRequest{UserAppId: &pb.UserAppIDSet{UserId: "alice", AppId: "photos"}})
	wantCode(t, g, err, st.StatusCode_SUCCESS)
	dup, err := s.v2.PostApps(as(alice), &pb.PostAppsRequest{UserAppId: me(), Apps: []*pb.App{{Id: "photos"}}})
	wantCode(t, dup, err, st.StatusCode_DATABASE_DUPLICATE_KEY)
	d, err := s.v2.DeleteApp(as(alice), &pb.DeleteAppRequest{UserAppId: &pb.UserAppIDSet{UserId: "alice", AppId: "photos"}})
	wantCode(t, d, err, st.StatusCode_SUCCESS)
	g, err = s.v2.GetApp(as(appKey), &pb.GetAppRequest{UserAppId: &pb.UserAppIDSet{UserId: "alice", AppId: "photos"}})
	wantCode(t, g, err, st.StatusCode_CONN_KEY_INVALID)
	s.Close()

	// A second start on the same database, with another data dir, keeps
	// everything and bootstraps nothing.
	s2 := startServer(t, onPostgres(dsn))
	if s2.pat != "" {
		t.Fatal("second start on the same database created another bootstrap PAT")
	}
	u, err := s2.v2.GetUser(as(alice), &pb.GetUserRequest{UserAppId: me()})
	wantCode(t, u, err, st.StatusCode_SUCCESS)

	c := newCLI(t, s2)
	code, out, errOut := c.run("admin", "create-pat", "--db", dsn)
	tok := lastLine(out)
	if code != 0 || !strings.HasPrefix(tok, "clvp_") {
		t.Fatalf("admin create-pat --db: %d %q %q", code, out, errOut)
	}
	l, err := s2.admin.ListUsers(as(tok), &adminv1.ListUsersRequest{})
	if err != nil || len(l.GetUsers()) < 2 {
		t.Fatalf("recovered PAT: %v %v", l.GetUsers(), err)
	}
}
