package main_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"syscall"
	"testing"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"
	cmd "github.com/clavis-dev/clavis/cmd/clavis"
)

// TestFileModes starts a server with the common umask 022 (and with none
// at all), writes to it, and checks every file and directory it created
// under its data dir: the database with its WAL and shared memory, the
// bootstrap PAT and the TLS key and certificate are 0600, directories 0700.
func TestFileModes(t *testing.T) {
	for _, umask := range []int{0o022, 0} {
		old := syscall.Umask(umask)
		s := startServer(t, func(c *cmd.Config) { c.TLSAddr = "127.0.0.1:0"; c.TLSSelfSigned = true })
		syscall.Umask(old)
		r, err := s.v2.PostApps(as(s.pat), &pb.PostAppsRequest{UserAppId: me(), Apps: []*pb.App{{Id: "photos"}}})
		wantCode(t, r, err, st.StatusCode_SUCCESS)

		var seen []string
		err = filepath.WalkDir(s.dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			fi, err := d.Info()
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(s.dir, path)
			seen = append(seen, rel)
			want := os.FileMode(0o600)
			if d.IsDir() {
				want = 0o700
			}
			if fi.Mode().Perm() != want {
				t.Errorf("umask %03o: %s has mode %v, want %v", umask, rel, fi.Mode().Perm(), want)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		sort.Strings(seen)
		for _, want := range []string{".", "bootstrap.pat", "clavis.db", "clavis.db-shm", "clavis.db-wal", "tls", "tls/cert.pem", "tls/key.pem"} {
			if i := sort.SearchStrings(seen, want); i == len(seen) || seen[i] != want {
				t.Errorf("umask %03o: %s was not created (the data dir holds %v)", umask, want, seen)
			}
		}
		s.Close()
	}
}
