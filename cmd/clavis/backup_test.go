package main_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"

	cmd "github.com/clavis-dev/clavis/cmd/clavis"
)

// TestBackupRestore backs the embedded database up while a client keeps
// writing, restores the copy as docs/deploy.md says (server stopped, file
// copied to <data-dir>/clavis.db), and serves from it: everything written
// before the backup began is there, and the copy takes writes.
func TestBackupRestore(t *testing.T) {
	s := startServer(t)
	alice := s.newUser(t, "alice")
	for i := range 20 {
		s.newApp(t, alice, fmt.Sprintf("before-%02d", i), false)
	}
	key := s.newKey(t, alice, &pb.Key{Type: "app_specific_key", Scopes: []string{"All"}, Apps: []*pb.App{{Id: "before-00", UserId: "alice"}}})

	// A writer runs all through the backup.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var written atomic.Int64
	busy := make(chan struct{}) // closed once the writer has written a few, or failed
	ready := sync.OnceFunc(func() { close(busy) })
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer ready()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			r, err := s.v2.PostApps(as(alice), &pb.PostAppsRequest{UserAppId: me(), Apps: []*pb.App{{Id: fmt.Sprintf("during-%04d", i)}}})
			if err != nil || r.GetStatus().GetCode() != st.StatusCode_SUCCESS {
				t.Errorf("write during backup: %v %v", r.GetStatus(), err)
				return
			}
			if written.Add(1) == 5 {
				ready()
			}
		}
	}()
	<-busy
	backup := filepath.Join(t.TempDir(), "backup.db")
	c := newCLI(t, s)
	code, out, errOut := c.run("backup", "--data-dir", s.dir, "--to", backup)
	close(stop)
	wg.Wait()
	if code != 0 || out != "" || !strings.Contains(errOut, "Backed up") {
		t.Fatalf("backup: %d %q %q", code, out, errOut)
	}
	fi, err := os.Stat(backup)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("backup file: %v, mode %v; want 0600", err, fi.Mode())
	}
	if code, _, errOut := c.run("backup", "--data-dir", s.dir, "--to", backup); code == 0 || !strings.Contains(errOut, "exists") {
		t.Fatalf("backup over an existing file: %d %q", code, errOut)
	}
	if code, _, errOut := c.run("backup", "--db", "postgres://localhost/x", "--to", backup+"2"); code != 2 || !strings.Contains(errOut, "pg_dump") {
		t.Fatalf("backup of PostgreSQL: %d %q", code, errOut)
	}
	s.Close()

	// Restore: a fresh data dir holding the copy as clavis.db.
	dir := filepath.Join(t.TempDir(), "restored")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(backup)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "clavis.db"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	r := startServer(t, func(c *cmd.Config) { c.DataDir = dir })
	if r.pat != "" {
		t.Fatal("the restored database was bootstrapped again")
	}
	list, err := r.v2.ListApps(as(alice), &pb.ListAppsRequest{UserAppId: me(), PerPage: 1000})
	wantCode(t, list, err, st.StatusCode_SUCCESS)
	before, during := 0, 0
	for _, a := range list.GetApps() {
		switch {
		case strings.HasPrefix(a.GetId(), "before-"):
			before++
		case strings.HasPrefix(a.GetId(), "during-"):
			during++
		}
	}
	if before != 20 || during < 5 || int64(during) > written.Load() {
		t.Fatalf("restored apps: %d before, %d of %d written during the backup", before, during, written.Load())
	}
	g, err := r.v2.GetApp(as(key), &pb.GetAppRequest{})
	wantCode(t, g, err, st.StatusCode_SUCCESS)
	r.newApp(t, alice, "after-restore", false)
}
