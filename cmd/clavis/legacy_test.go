package main_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"
	adminv1 "github.com/clavis-dev/clavis/api/gen/clavis/admin/v1"

	cmd "github.com/clavis-dev/clavis/cmd/clavis"
	"github.com/clavis-dev/clavis/internal/store/postgres/pgtest"
)

// legacy is the release whose data the current code must open and serve:
// testdata/legacy/<legacy> holds what its binary wrote (see
// scripts/legacy-fixture.sh).
const legacy = "../../testdata/legacy/v0-3b55b1d"

// legacyTokens reads the tokens the release issued to the fixture's users.
func legacyTokens(t *testing.T, name string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(legacy, name))
	if err != nil {
		t.Fatal(err)
	}
	var toks map[string]string
	if err := json.Unmarshal(b, &toks); err != nil {
		t.Fatal(err)
	}
	return toks
}

// TestLegacyDataDir starts a server on a copy of a data dir written by the
// previous release and checks that it serves what that release stored.
func TestLegacyDataDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	db, err := os.ReadFile(filepath.Join(legacy, "sqlite", "clavis.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "clavis.db"), db, 0o600); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, func(c *cmd.Config) { c.DataDir = dir })
	checkLegacy(t, s, legacyTokens(t, "tokens.json"))
}

// TestPostgresLegacyDatabase restores a PostgreSQL database written by the
// previous release (its pg_dump) and checks that a server serves it.
func TestPostgresLegacyDatabase(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	dump, err := os.ReadFile(filepath.Join(legacy, "postgres.sql"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	// The dump is plain SQL: the simple protocol runs it as one script.
	if _, err := conn.PgConn().Exec(ctx, string(dump)).ReadAll(); err != nil {
		t.Fatalf("restore the legacy dump: %v", err)
	}
	conn.Close(ctx)
	s := startServer(t, onPostgres(dsn))
	checkLegacy(t, s, legacyTokens(t, "tokens-postgres.json"))
}

// checkLegacy checks every kind of thing the fixture holds: users, PATs,
// an expiring PAT, an app key, a collaborator, a public app, an org with a
// team, a disabled user; and that the server writes to it.
func checkLegacy(t *testing.T, s *testServer, tok map[string]string) {
	t.Helper()
	if s.pat != "" {
		t.Fatal("the server bootstrapped a database that has users")
	}
	for _, c := range []struct {
		who, owner, app string
		want            st.StatusCode
	}{
		{"admin", "admin", "photos", st.StatusCode_SUCCESS},
		{"admin_ci", "admin", "photos", st.StatusCode_SUCCESS},          // expiring PAT
		{"bob", "admin", "photos", st.StatusCode_SUCCESS},               // collaborator
		{"bob", "admin", "gallery", st.StatusCode_SUCCESS},              // public app
		{"carol", "acme", "vision", st.StatusCode_SUCCESS},              // team contributor
		{"carol", "admin", "photos", st.StatusCode_CONN_DOES_NOT_EXIST}, // no grant
		{"photos_key", "", "", st.StatusCode_SUCCESS},                   // app key, ids implied
		{"photos_key", "admin", "gallery", st.StatusCode_CONN_KEY_INVALID},
		{"bob", "bob", "bobs-app", st.StatusCode_SUCCESS},
	} {
		// MyScopes needs no scope: it shows how each credential reaches the app.
		r, err := s.v2.MyScopes(as(tok[c.who]), &pb.MyScopesRequest{UserAppId: &pb.UserAppIDSet{UserId: c.owner, AppId: c.app}})
		if err != nil || r.GetStatus().GetCode() != c.want {
			t.Errorf("%s: MyScopes on %s/%s = %v %v, want %v", c.who, c.owner, c.app, r.GetStatus(), err, c.want)
		}
	}
	users, err := s.admin.ListUsers(as(tok["admin"]), &adminv1.ListUsersRequest{})
	if err != nil || users.GetStatus().GetCode() != st.StatusCode_SUCCESS {
		t.Fatalf("ListUsers: %v %v", users.GetStatus(), err)
	}
	var listed []string
	for _, u := range users.GetUsers() {
		listed = append(listed, u.GetId())
		if u.GetId() == "dave" && !u.GetDisabled() {
			t.Error("dave was disabled by the previous release and is not now")
		}
	}
	if strings.Join(listed, ",") != "admin,bob,carol,dave" {
		t.Errorf("users = %v", listed)
	}
	keys, err := s.v2.ListKeys(as(tok["admin"]), &pb.ListKeysRequest{UserAppId: me()})
	if err != nil || len(keys.GetKeys()) != 3 {
		t.Errorf("admin's keys = %d %v, want default, ci and the photos key", len(keys.GetKeys()), err)
	}
	// The tables of inputs, added to the release's data, take inputs,
	// labels and annotations, and the background work runs on them.
	checkLegacyInputs(t, s, tok["admin"])
	// The data dir takes new writes, of each kind.
	bob := tok["bob"]
	s.newApp(t, bob, "new-app", false)
	s.newKey(t, bob, &pb.Key{Type: "app_specific_key", Scopes: []string{"Apps:Get"}, Apps: []*pb.App{{Id: "new-app", UserId: "bob"}}})
	d, err := s.v2.DeleteApp(as(tok["admin"]), &pb.DeleteAppRequest{UserAppId: &pb.UserAppIDSet{UserId: "admin", AppId: "photos"}})
	wantCode(t, d, err, st.StatusCode_SUCCESS)
	r, err := s.v2.MyScopes(as(tok["photos_key"]), &pb.MyScopesRequest{})
	wantCode(t, r, err, st.StatusCode_CONN_KEY_INVALID)

	// The portal's tables came with the upgrade: a legacy user gets a
	// password, logs in (a session and failed log-ins are stored), and
	// sees their apps.
	pw, err := s.admin.SetPassword(as(tok["admin"]), &adminv1.SetPasswordRequest{Id: "bob", Password: "bob's new password"})
	wantCode(t, pw, err, st.StatusCode_SUCCESS)
	b := newBrowserless(t, s)
	wantStatus(t, "wrong password", b.login("bob", "not bob's password"), http.StatusUnauthorized)
	wantStatus(t, "log-in", b.login("bob", "bob's new password"), http.StatusSeeOther)
	apps := b.get("/apps")
	wantStatus(t, "bob's apps", apps, http.StatusOK)
	if !strings.Contains(apps.body, "bob/bobs-app") {
		t.Errorf("bob's apps page lacks bob/bobs-app")
	}
}

// checkLegacyInputs stores inputs in an app the previous release made.
func checkLegacyInputs(t *testing.T, s *testServer, admin string) {
	t.Helper()
	photos := appIDs("admin", "photos")
	r, err := s.v2.PostInputs(as(admin), &pb.PostInputsRequest{UserAppId: photos, InputsAddJobId: "legacy", Inputs: []*pb.Input{
		{Id: "old-app-new-input", Data: &pb.Data{Image: &pb.Image{Base64: pngOf(t, 42)}, Concepts: []*pb.Concept{{Id: "cat", Value: 1}}}}}})
	wantCode(t, r, err, st.StatusCode_SUCCESS)
	if job := waitJob(t, s, admin, photos, "legacy"); job.GetProgress().GetSuccessCount() != 1 {
		t.Fatalf("add job in the legacy data: %v", job)
	}
	a, err := s.v2.PostAnnotations(as(admin), &pb.PostAnnotationsRequest{UserAppId: photos, Annotations: []*pb.Annotation{{InputId: "old-app-new-input",
		Data: &pb.Data{Regions: []*pb.Region{{RegionInfo: &pb.RegionInfo{BoundingBox: &pb.BoundingBox{BottomRow: 1, RightCol: 1}}}}}}}})
	wantCode(t, a, err, st.StatusCode_SUCCESS)
	c, err := s.v2.ListConcepts(as(admin), &pb.ListConceptsRequest{UserAppId: photos})
	wantCode(t, c, err, st.StatusCode_SUCCESS)
	if len(c.GetConcepts()) != 1 || c.GetConcepts()[0].GetId() != "cat" {
		t.Fatalf("concepts in the legacy data: %v", c.GetConcepts())
	}
}
