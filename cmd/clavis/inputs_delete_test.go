package main_test

import (
	"database/sql"
	"fmt"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"

	cmd "github.com/clavis-dev/clavis/cmd/clavis"
	"github.com/clavis-dev/clavis/internal/store/postgres/pgtest"
)

// rawDB opens the database of a test server directly, beside it.
type rawDB struct {
	db       *sql.DB
	postgres bool
}

func openRaw(t testing.TB, s *testServer, dsn string) *rawDB {
	t.Helper()
	var db *sql.DB
	var err error
	if dsn != "" {
		db, err = sql.Open("pgx", dsn)
	} else {
		db, err = sql.Open("sqlite", "file:"+filepath.Join(s.dir, "clavis.db")+"?mode=ro&_pragma=busy_timeout(10000)")
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return &rawDB{db: db, postgres: dsn != ""}
}

func (r *rawDB) q(query string) string {
	if !r.postgres {
		return query
	}
	n := 0
	var b strings.Builder
	for _, c := range query {
		if c == '?' {
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

func (r *rawDB) count(t testing.TB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := r.db.QueryRow(r.q(query), args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// columns returns every table of the database with its columns.
func (r *rawDB) columns(t *testing.T) map[string][]string {
	t.Helper()
	query := `SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table'`
	if r.postgres {
		query = `SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public'`
	}
	rows, err := r.db.Query(query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var table, col string
		if err := rows.Scan(&table, &col); err != nil {
			t.Fatal(err)
		}
		out[table] = append(out[table], col)
	}
	return out
}

// leftOf counts, in every table, the rows of an app: those of its storage
// space, and those that name the app itself.
func (r *rawDB) leftOf(t *testing.T, owner, app, space string) map[string]int {
	t.Helper()
	left := map[string]int{}
	for table, cols := range r.columns(t) {
		has := func(c string) bool { return strings.Contains(" "+strings.Join(cols, " ")+" ", " "+c+" ") }
		var n int
		switch {
		case table == "audit_log":
			// The audit log is append-only and keeps its record of the
			// app, its deletion included, for its retention: who did
			// what, never the app's data. TestAuditLog covers it.
			continue
		case has("space_id"):
			n = r.count(t, `SELECT count(*) FROM `+table+` WHERE space_id = ?`, space)
		case table == "app_spaces":
			n = r.count(t, `SELECT count(*) FROM app_spaces WHERE id = ? OR (app_owner_id = ? AND app_id = ?)`, space, owner, app)
		case has("app_owner_id") && has("app_id"):
			n = r.count(t, `SELECT count(*) FROM `+table+` WHERE app_owner_id = ? AND app_id = ?`, owner, app)
		case table == "apps":
			n = r.count(t, `SELECT count(*) FROM apps WHERE owner_id = ? AND id = ?`, owner, app)
		}
		if n > 0 {
			left[table] = n
		}
	}
	return left
}

// blobFiles lists the files under the data dir's blob directory.
func blobFiles(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	filepath.WalkDir(filepath.Join(dir, "blobs"), func(path string, e fs.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			rel, _ := filepath.Rel(dir, path)
			files = append(files, rel)
		}
		return nil
	})
	sort.Strings(files)
	return files
}

// waitPurged waits until the storage space of a deleted app is gone.
func waitPurged(t *testing.T, r *rawDB, space string) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for r.count(t, `SELECT count(*) FROM app_spaces WHERE id = ?`, space) > 0 {
		if time.Now().After(deadline) {
			t.Fatal("the deleted app's data was not purged within 2 minutes")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestDeleteAppLeavesNothing deletes an app holding data of every kind: no
// row of it remains in any table, nor a file of its images, while another
// app's equal image stays.
func TestDeleteAppLeavesNothing(t *testing.T) {
	for _, engine := range []string{"SQLite", "Postgres"} {
		t.Run(engine, func(t *testing.T) {
			var dsn string
			var mods []func(*cmd.Config)
			if engine == "Postgres" {
				dsn = pgtest.NewDatabase(t)
				mods = append(mods, onPostgres(dsn))
			}
			s := startServer(t, mods...)
			raw := openRaw(t, s, dsn)
			s.newApp(t, s.pat, "doomed", false)
			s.newApp(t, s.pat, "kept", false)
			doomed, kept := appIDs("admin", "doomed"), appIDs("admin", "kept")
			img := pngOf(t, 9)
			var ins []*pb.Input
			for i := range 5 {
				ins = append(ins, &pb.Input{Id: fmt.Sprintf("in%d", i), Data: &pb.Data{Image: &pb.Image{Base64: pngOf(t, 100+i)},
					Concepts: []*pb.Concept{{Id: "cat", Value: 1}}}})
			}
			ins = append(ins, &pb.Input{Id: "shared", Data: &pb.Data{Image: &pb.Image{Base64: img}}})
			r, err := s.v2.PostInputs(as(s.pat), &pb.PostInputsRequest{UserAppId: doomed, InputsAddJobId: "job", Inputs: ins})
			wantCode(t, r, err, st.StatusCode_SUCCESS)
			k, err := s.v2.PostInputs(as(s.pat), &pb.PostInputsRequest{UserAppId: kept, Inputs: []*pb.Input{{Id: "shared", Data: &pb.Data{Image: &pb.Image{Base64: img}}}}})
			wantCode(t, k, err, st.StatusCode_SUCCESS)
			waitJob(t, s, s.pat, doomed, "job")
			a, err := s.v2.PostAnnotations(as(s.pat), &pb.PostAnnotationsRequest{UserAppId: doomed, Annotations: []*pb.Annotation{{InputId: "in1",
				Data: &pb.Data{Regions: []*pb.Region{{RegionInfo: &pb.RegionInfo{BoundingBox: &pb.BoundingBox{TopRow: 0, LeftCol: 0, BottomRow: 1, RightCol: 1}}}}}}}})
			wantCode(t, a, err, st.StatusCode_SUCCESS)
			s.newKey(t, s.pat, &pb.Key{Type: "app_specific_key", Scopes: []string{"All"}, Apps: []*pb.App{{Id: "doomed", UserId: "admin"}}})
			var space string
			if err := raw.db.QueryRow(raw.q(`SELECT id FROM app_spaces WHERE app_owner_id = ? AND app_id = ?`), "admin", "doomed").Scan(&space); err != nil {
				t.Fatal(err)
			}
			if left := raw.leftOf(t, "admin", "doomed", space); left["inputs"] != 6 || left["annotations"] < 2 || left["concepts"] != 1 {
				t.Fatalf("before the delete: %v", left)
			}
			keptFiles := 0
			if engine == "SQLite" {
				if n := len(blobFiles(t, s.dir)); n != 7 {
					t.Fatalf("%d blob files before the delete, want 7", n)
				}
				keptFiles = 1
			}

			d, err := s.v2.DeleteApp(as(s.pat), &pb.DeleteAppRequest{UserAppId: doomed})
			wantCode(t, d, err, st.StatusCode_SUCCESS)
			waitPurged(t, raw, space)
			if left := raw.leftOf(t, "admin", "doomed", space); len(left) > 0 {
				t.Fatalf("rows of the deleted app remain: %v", left)
			}
			if files := blobFiles(t, s.dir); len(files) != keptFiles {
				t.Fatalf("blob files left: %v, want the kept app's only", files)
			}
			g, err := s.v2.GetInput(as(s.pat), &pb.GetInputRequest{UserAppId: kept, InputId: "shared"})
			wantCode(t, g, err, st.StatusCode_SUCCESS)
			if engine == "Postgres" && raw.count(t, `SELECT count(*) FROM blob_data`) != 1 {
				t.Fatal("the kept app's image is not the one left in blob_data")
			}
		})
	}
}

// TestDeleteBigApp deletes an app of 10,000 inputs while another user writes:
// the app is gone at once, its data goes in batches, and the other user's
// writes go on between the batches rather than waiting for the whole purge.
func TestDeleteBigApp(t *testing.T) {
	if testing.Short() {
		t.Skip("adds 10,000 inputs")
	}
	s := startServer(t)
	raw := openRaw(t, s, "")
	s.newApp(t, s.pat, "big", false)
	big := appIDs("admin", "big")
	const total = 10_000
	var wg sync.WaitGroup
	for c := range 4 {
		wg.Go(func() {
			for b := c; b*128 < total; b += 4 {
				var ins []*pb.Input
				for i := b * 128; i < min((b+1)*128, total); i++ {
					// A hundred distinct images, each shared by a hundred inputs.
					ins = append(ins, &pb.Input{Id: fmt.Sprintf("in%05d", i), Data: &pb.Data{Image: &pb.Image{Base64: pngOf(t, i%100)},
						Concepts: []*pb.Concept{{Id: "cat", Value: 1}}}})
				}
				r, err := s.v2.PostInputs(as(s.pat), &pb.PostInputsRequest{UserAppId: big, Inputs: ins})
				if err != nil || r.GetStatus().GetCode() != st.StatusCode_SUCCESS {
					t.Errorf("PostInputs: %v %v", r.GetStatus(), err)
					return
				}
			}
		})
	}
	wg.Wait()
	var space string
	if err := raw.db.QueryRow(`SELECT id FROM app_spaces WHERE app_id = 'big'`).Scan(&space); err != nil {
		t.Fatal(err)
	}
	if n := raw.count(t, `SELECT count(*) FROM inputs WHERE space_id = ?`, space); n != total {
		t.Fatalf("%d inputs stored, want %d", n, total)
	}
	bob := s.newUser(t, "bob")
	s.newApp(t, bob, "small", false)

	start := time.Now()
	d, err := s.v2.DeleteApp(as(s.pat), &pb.DeleteAppRequest{UserAppId: big})
	wantCode(t, d, err, st.StatusCode_SUCCESS)
	deleteTook := time.Since(start)
	g, err := s.v2.GetInput(as(s.pat), &pb.GetInputRequest{UserAppId: big, InputId: "in00001"})
	wantCode(t, g, err, st.StatusCode_CONN_DOES_NOT_EXIST)

	// Bob writes while the purge runs; writes that finish while rows of the
	// deleted app remain show that the purge does not hold the database.
	var during, writes atomic.Int32
	var slowest atomic.Int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			if raw.count(t, `SELECT count(*) FROM app_spaces WHERE id = ?`, space) == 0 {
				return
			}
			t0 := time.Now()
			r, err := s.v2.PostInputs(as(bob), &pb.PostInputsRequest{UserAppId: appIDs("bob", "small"),
				Inputs: []*pb.Input{{Id: fmt.Sprintf("b%d", i), Data: &pb.Data{Image: &pb.Image{Base64: pngOf(t, 5000+i)}}}}})
			took := time.Since(t0)
			if err != nil || r.GetStatus().GetCode() != st.StatusCode_SUCCESS {
				t.Errorf("bob's PostInputs during the purge: %v %v", r.GetStatus(), err)
				return
			}
			writes.Add(1)
			if raw.count(t, `SELECT count(*) FROM inputs WHERE space_id = ?`, space) > 0 {
				during.Add(1)
			}
			if int64(took) > slowest.Load() {
				slowest.Store(int64(took))
			}
		}
	}()
	waitPurged(t, raw, space)
	<-done
	t.Logf("DeleteApp answered in %v; bob made %d writes during the purge (%d while inputs remained), the slowest in %v",
		deleteTook, writes.Load(), during.Load(), time.Duration(slowest.Load()))
	if during.Load() < 2 {
		t.Fatalf("only %d of bob's writes finished while the purge ran: it holds the database", during.Load())
	}
	if left := raw.leftOf(t, "admin", "big", space); len(left) > 0 {
		t.Fatalf("rows left: %v", left)
	}
	if files := blobFiles(t, s.dir); len(files) != int(writes.Load()) {
		t.Fatalf("%d blob files, want bob's %d", len(files), writes.Load())
	}
}
