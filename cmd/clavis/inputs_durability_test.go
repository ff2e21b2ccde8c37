package main_test

import (
	"database/sql"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"

	"github.com/clavis-dev/clavis/internal/store/postgres/pgtest"
)

// TestInputsDurability kills the server with SIGKILL while several clients
// add inputs 128 a call, restarts it, and checks that every acknowledged
// input is there, that the jobs left pending run to the end, and that no
// image is left without an input to use it.
func TestInputsDurability(t *testing.T) {
	t.Run("SQLite", func(t *testing.T) { testInputsDurability(t, "") })
	t.Run("Postgres", func(t *testing.T) { testInputsDurability(t, pgtest.NewDatabase(t)) })
}

func testInputsDurability(t *testing.T, dsn string) {
	bin := clavisBinary(t)
	dir := t.TempDir()
	args := []string{"--data-dir", dir}
	if dsn != "" {
		args = append(args, "--db", dsn)
	}
	p := startProc(t, bin, args...)
	b, err := os.ReadFile(filepath.Join(dir, "bootstrap.pat"))
	if err != nil {
		t.Fatal(err)
	}
	admin := strings.TrimSpace(string(b))
	a, err := p.v2.PostApps(as(admin), &pb.PostAppsRequest{UserAppId: me(), Apps: []*pb.App{{Id: "bulk"}}})
	wantCode(t, a, err, st.StatusCode_SUCCESS)
	bulk := appIDs("admin", "bulk")

	const clients, killAfter = 4, 6 // batches acknowledged before the kill
	var mu sync.Mutex
	var acked []string
	batches := 0
	enough := make(chan struct{})
	var once sync.Once
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			for n := 0; ; n++ {
				ins := make([]*pb.Input, 128)
				for i := range ins {
					ins[i] = &pb.Input{Id: fmt.Sprintf("c%d-%d-%d", c, n, i), Data: &pb.Data{Image: &pb.Image{Base64: pngOf(t, (c*1000+n)*128+i)}}}
				}
				r, err := p.v2.PostInputs(as(admin), &pb.PostInputsRequest{UserAppId: bulk, Inputs: ins})
				if err != nil || r.GetStatus().GetCode() != st.StatusCode_SUCCESS {
					select {
					case <-enough:
					default:
						t.Errorf("client %d, batch %d, before the kill: %v %v; server: %q", c, n, r.GetStatus(), err, p.log.with(r.GetStatus().GetReqId()))
					}
					return // the server is gone
				}
				mu.Lock()
				for _, in := range ins {
					acked = append(acked, in.GetId())
				}
				if batches++; batches >= killAfter {
					once.Do(func() { close(enough) })
				}
				mu.Unlock()
			}
		})
	}
	select {
	case <-enough:
	case <-time.After(2 * time.Minute):
		t.Fatal("the clients did not get enough batches acknowledged")
	}
	if err := p.cmd.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	wg.Wait()
	p.cmd.Wait()
	t.Logf("killed after %d acknowledged inputs", len(acked))

	q := startProc(t, bin, args...)
	for i := 0; i < len(acked); i += 1000 {
		ids := acked[i:min(i+1000, len(acked))]
		l, err := q.v2.ListInputs(as(admin), &pb.ListInputsRequest{UserAppId: bulk, Ids: ids, PerPage: 1000})
		wantCode(t, l, err, st.StatusCode_SUCCESS)
		if len(l.GetInputs()) != len(ids) {
			t.Fatalf("%d of %d acknowledged inputs are there after the restart", len(l.GetInputs()), len(ids))
		}
	}
	// The jobs the dead server left, queued or leased to it, run to the end.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		c, err := q.v2.GetInputCount(as(admin), &pb.GetInputCountRequest{UserAppId: bulk})
		wantCode(t, c, err, st.StatusCode_SUCCESS)
		n := c.GetCounts()
		if n.GetToProcess()+n.GetProcessing() == 0 {
			if n.GetErrors() != 0 || int(n.GetProcessed()) < len(acked) {
				t.Fatalf("after the restart: %v, want %d or more processed and no errors", n, len(acked))
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("inputs still waiting 2 minutes after the restart: %v", n)
		}
		time.Sleep(50 * time.Millisecond)
	}
	checkNoOrphanBlobs(t, dir, dsn)
}

// checkNoOrphanBlobs checks that every stored image is one an input uses:
// on the embedded store, every file of the blob dir (and no temporary one);
// on PostgreSQL, every row of blob_data, but those whose writer's
// reservation has yet to end.
func checkNoOrphanBlobs(t *testing.T, dir, dsn string) {
	t.Helper()
	const used = `EXISTS (SELECT 1 FROM inputs i WHERE i.space_id = b.space_id AND i.blob_sha256 = b.sha256)`
	if dsn != "" {
		db, err := sql.Open("pgx", dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var orphans int
		if err := db.QueryRow(`SELECT count(*) FROM blob_data b JOIN blobs r USING (space_id, sha256)
			WHERE NOT ` + used + ` AND r.reserved_until = 0`).Scan(&orphans); err != nil {
			t.Fatal(err)
		}
		if orphans > 0 {
			t.Fatalf("%d images in blob_data that no input uses nor any writer holds", orphans)
		}
		return
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "clavis.db")+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	used2 := map[string]bool{}
	rows, err := db.Query(`SELECT b.space_id, b.sha256 FROM blobs b WHERE ` + used)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var space, sha string
		rows.Scan(&space, &sha)
		used2[filepath.Join(space, sha[:2], sha)] = true
	}
	rows.Close()
	var unused int
	db.QueryRow(`SELECT count(*) FROM blobs b WHERE NOT ` + used).Scan(&unused)
	if unused > 0 {
		t.Errorf("%d blob references that no input uses survived the restart", unused)
	}
	root := filepath.Join(dir, "blobs")
	files := 0
	filepath.WalkDir(root, func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return nil
		}
		files++
		rel, _ := filepath.Rel(root, path)
		if !used2[rel] {
			t.Errorf("orphan file %s", rel)
		}
		return nil
	})
	if files != len(used2) {
		t.Errorf("%d blob files for %d images in use", files, len(used2))
	}
}
