package main_test

import (
	"bytes"
	"context"
	"database/sql"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"

	cmd "github.com/clavis-dev/clavis/cmd/clavis"
	"github.com/clavis-dev/clavis/internal/store/postgres"
	"github.com/clavis-dev/clavis/internal/store/postgres/pgtest"
	"github.com/clavis-dev/clavis/internal/store/sqlite"
)

// TestMigrateForce migrates into a database a server already runs on:
// refused and left untouched without --force; replaced with it, and the
// running server stops trusting the tokens it had cached from the old
// contents.
func TestMigrateForce(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	src := startServer(t)
	alice := src.newUser(t, "alice")
	src.newApp(t, alice, "photos", false)
	img := pngOf(t, 77)
	in, err := src.v2.PostInputs(as(alice), &pb.PostInputsRequest{UserAppId: appIDs("alice", "photos"), InputsAddJobId: "j",
		Inputs: []*pb.Input{{Id: "kept", Data: &pb.Data{Image: &pb.Image{Base64: img}}}}})
	wantCode(t, in, err, st.StatusCode_SUCCESS)
	waitJob(t, src, alice, appIDs("alice", "photos"), "j")
	src.Close()

	pg := startServer(t, func(c *cmd.Config) { c.DB = dsn; c.AuthCacheTTL = time.Minute })
	zed := pg.newUser(t, "zed")
	u, err := pg.v2.GetUser(as(zed), &pb.GetUserRequest{UserAppId: me()}) // cached from now on
	wantCode(t, u, err, st.StatusCode_SUCCESS)

	c := newCLI(t, src)
	code, _, errOut := c.run("migrate", "--from", filepath.Join(src.dir, "clavis.db"), "--to", dsn)
	if code != 1 || !strings.Contains(errOut, "not empty") {
		t.Fatalf("migrate into a used database: exit %d, %q; want 1 and a refusal", code, errOut)
	}
	u, err = pg.v2.GetUser(as(zed), &pb.GetUserRequest{UserAppId: me()})
	wantCode(t, u, err, st.StatusCode_SUCCESS)

	code, out, errOut := c.run("migrate", "--from", src.dir, "--to", dsn, "--force")
	if code != 0 {
		t.Fatalf("migrate --force: exit %d, %q %q", code, out, errOut)
	}
	// zed is gone with everything else the target held; the server that
	// cached zed's PAT hears of the replacement and refuses the PAT itself
	// (until then it may answer that zed does not exist).
	deadline := time.Now().Add(propagationBound)
	for {
		u, err := pg.v2.GetUser(as(zed), &pb.GetUserRequest{UserAppId: me()})
		if err != nil {
			t.Fatal(err)
		}
		if u.GetStatus().GetCode() == st.StatusCode_CONN_KEY_INVALID {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("zed's cached PAT still accepted (%v) %v after migrate --force", u.GetStatus().GetCode(), propagationBound)
		}
		time.Sleep(time.Millisecond)
	}
	u, err = pg.v2.GetUser(as(alice), &pb.GetUserRequest{UserAppId: me()})
	wantCode(t, u, err, st.StatusCode_SUCCESS)
	g, err := pg.v2.GetApp(as(alice), &pb.GetAppRequest{UserAppId: &pb.UserAppIDSet{UserId: "alice", AppId: "photos"}})
	wantCode(t, g, err, st.StatusCode_SUCCESS)
	g, err = pg.v2.GetApp(as(src.pat), &pb.GetAppRequest{UserAppId: &pb.UserAppIDSet{UserId: "alice", AppId: "photos"}})
	wantCode(t, g, err, st.StatusCode_CONN_DOES_NOT_EXIST) // the admin is not alice's collaborator
	// The inputs came along, and their images from the files into the
	// database.
	gi, err := pg.v2.GetInput(as(alice), &pb.GetInputRequest{UserAppId: appIDs("alice", "photos"), InputId: "kept"})
	wantCode(t, gi, err, st.StatusCode_SUCCESS)
	if gi.GetInput().GetStatus().GetCode() != st.StatusCode_INPUT_DOWNLOAD_SUCCESS {
		t.Fatalf("migrated input: %v", gi.GetInput().GetStatus())
	}
	h := gi.GetInput().GetData().GetImage().GetHosted()
	req, _ := http.NewRequest("GET", h.GetPrefix()+"/orig/"+h.GetSuffix(), nil)
	req.Header.Set("Authorization", "Key "+alice)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Equal(body, img) {
		t.Fatalf("the migrated input's image: HTTP %d, %d bytes", resp.StatusCode, len(body))
	}
}

// TestMigrateCoversEveryTable keeps migrate complete: every table of the
// SQLite schema but the migrations record is one that migrate copies.
func TestMigrateCoversEveryTable(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "clavis.db")
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table'
		AND name NOT LIKE 'sqlite_%' AND name != 'schema_migrations' ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, name)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(tables) == 0 {
		t.Fatal("no tables in a fresh SQLite database")
	}
	copied := postgres.Tables()
	for _, name := range tables {
		if !slices.Contains(copied, name) {
			t.Errorf("SQLite table %s is not copied by clavis migrate (postgres.Tables: %v)", name, copied)
		}
	}
}
