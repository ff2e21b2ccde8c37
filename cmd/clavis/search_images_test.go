package main_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"image"
	"image/jpeg"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"golang.org/x/image/draw"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"

	"github.com/clavis-dev/clavis/clavis"
	cmd "github.com/clavis-dev/clavis/cmd/clavis"
	"github.com/clavis-dev/clavis/internal/inference/manifest"
	"github.com/clavis-dev/clavis/internal/inference/modeltest"
	"github.com/clavis-dev/clavis/internal/service"
	"github.com/clavis-dev/clavis/internal/store/postgres/pgtest"
	"github.com/clavis-dev/clavis/internal/vector"
)

// sharedImages are the test images of ../shared/testdata/images, by input id.
var sharedImages = map[string]string{
	"astronaut": "astronaut.png", "chelsea": "chelsea.png", "fruits": "fruits.jpg",
	"text": "imageTextN.png", "messi": "messi5.jpg", "scene": "scenetext01.jpg",
}

// addSharedImages adds the shared images to app and waits until every one
// is processed and embedded.
func addSharedImages(t *testing.T, s *testServer, app *pb.UserAppIDSet) {
	t.Helper()
	dir := modeltest.ImagesDir(t)
	var ins []*pb.Input
	var ids []string
	for id, name := range sharedImages {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		ins = append(ins, &pb.Input{Id: id, Data: &pb.Data{Image: &pb.Image{Base64: b}}})
		ids = append(ids, id)
	}
	r, err := s.v2.PostInputs(as(s.pat), &pb.PostInputsRequest{UserAppId: app, InputsAddJobId: "shared", Inputs: ins})
	wantCode(t, r, err, st.StatusCode_SUCCESS)
	waitJob(t, s, s.pat, app, "shared")
	waitEmbedded(t, s, app, ids...)
}

// similarTo is a search ranked by visual similarity.
func similarTo(a *pb.Annotation) []*pb.Search {
	return []*pb.Search{{Query: &pb.Query{Ranks: []*pb.Rank{{Annotation: a}}}}}
}

// waitEmbedded polls until a visual search of app finds every one of ids:
// their embedding jobs have run.
func waitEmbedded(t *testing.T, s *testServer, app *pb.UserAppIDSet, ids ...string) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		r, err := s.v2.PostInputsSearches(as(s.pat), &pb.PostInputsSearchesRequest{UserAppId: app,
			Searches: similarTo(&pb.Annotation{InputId: ids[0]}), Pagination: &pb.Pagination{PerPage: 1000}})
		if err != nil {
			t.Fatal(err)
		}
		got := hitIDs(t, app, r.GetHits())
		missing := false
		for _, id := range ids {
			missing = missing || !slices.Contains(got, id)
		}
		if !missing {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("inputs %v not all embedded after 2 minutes: %v, %v", ids, r.GetStatus(), got)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// resizedCopy returns a PNG of img scaled by 0.6.
func resizedCopy(t *testing.T, img image.Image) []byte {
	b := img.Bounds()
	small := image.NewRGBA(image.Rect(0, 0, b.Dx()*6/10, b.Dy()*6/10))
	draw.BiLinear.Scale(small, small.Bounds(), img, b, draw.Src, nil)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, small, &jpeg.Options{Quality: 85}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func searchIDs(t *testing.T, s *testServer, app *pb.UserAppIDSet, search *pb.Search) ([]string, []*pb.Hit) {
	t.Helper()
	r, err := s.v2.PostInputsSearches(as(s.pat), &pb.PostInputsSearchesRequest{UserAppId: app, Searches: []*pb.Search{search}})
	wantCode(t, r, err, st.StatusCode_SUCCESS)
	return hitIDs(t, app, r.GetHits()), r.GetHits()
}

// TestSearchImages adds the shared test images to one app, on both
// engines: a concept rank by cat puts the cat first and one by person puts
// the people above the fruit; similarity to a resized or cropped copy of an
// image ranks the original first, by URL-less bytes over gRPC and REST,
// with both metrics and both algorithms; similarity to a stored input
// ranks itself first; a deleted input never appears.
func TestSearchImages(t *testing.T) {
	models := modeltest.Init(t, manifest.NanoDet.Name, manifest.MobileNetFeatures.Name)
	onEngines(t, func(t *testing.T, s *testServer) {
		s.newApp(t, s.pat, "photos", false)
		s.newApp(t, s.pat, "other", false)
		app := appIDs("admin", "photos")
		addSharedImages(t, s, app)

		byConcept := func(name string) []string {
			ids, hits := searchIDs(t, s, app, &pb.Search{Query: &pb.Query{Ranks: []*pb.Rank{{Annotation: &pb.Annotation{Data: &pb.Data{Concepts: []*pb.Concept{{Name: name, Value: 1}}}}}}}})
			for i := 1; i < len(hits); i++ {
				if hits[i].GetScore() > hits[i-1].GetScore() {
					t.Fatalf("hits of %s out of order: %v", name, hits)
				}
			}
			return ids
		}
		if got := byConcept("cat"); len(got) == 0 || got[0] != "chelsea" {
			t.Errorf("rank by cat: %v, want chelsea first", got)
		}
		people := byConcept("person")
		pos := func(id string) int {
			if i := slices.Index(people, id); i >= 0 {
				return i
			}
			return len(people)
		}
		if pos("astronaut") > pos("fruits") || pos("messi") > pos("fruits") || pos("astronaut") == len(people) || pos("messi") == len(people) {
			t.Errorf("rank by person: %v, want astronaut and messi above fruits", people)
		}

		for _, name := range []string{"chelsea", "fruits", "messi"} {
			img := modeltest.Image(t, sharedImages[name])
			for copyName, b := range map[string][]byte{"resized": resizedCopy(t, img), "cropped": croppedCopy(t, img)} {
				for _, search := range []*pb.Search{
					{Query: similarTo(&pb.Annotation{Data: &pb.Data{Image: &pb.Image{Base64: b}}})[0].Query},
					{Query: similarTo(&pb.Annotation{Data: &pb.Data{Image: &pb.Image{Base64: b}}})[0].Query, Metric: pb.Search_COSINE_DISTANCE},
					{Query: similarTo(&pb.Annotation{Data: &pb.Data{Image: &pb.Image{Base64: b}}})[0].Query, Algorithm: "brute_force"},
				} {
					ids, hits := searchIDs(t, s, app, search)
					if len(ids) != len(sharedImages) || ids[0] != name || hits[0].GetScore() <= hits[1].GetScore() || hits[0].GetScore() > 1 || hits[len(hits)-1].GetScore() < 0 {
						t.Errorf("similar to a %s %s (%v %q): %v", copyName, name, search.GetMetric(), search.GetAlgorithm(), hits)
					}
				}
			}
		}
		// Over REST, with base64, and the deprecated query.ands form.
		b64 := base64.StdEncoding.EncodeToString(croppedCopy(t, modeltest.Image(t, "chelsea.png")))
		for path, body := range map[string]any{
			"/v2/users/admin/apps/photos/inputs/searches": map[string]any{"searches": []any{map[string]any{"query": map[string]any{"ranks": []any{
				map[string]any{"annotation": map[string]any{"data": map[string]any{"image": map[string]any{"base64": b64}}}}}}}}},
			"/v2/users/admin/apps/photos/searches": map[string]any{"query": map[string]any{"ands": []any{
				map[string]any{"output": map[string]any{"input": map[string]any{"data": map[string]any{"image": map[string]any{"base64": b64}}}}}}}},
		} {
			r := rest(t, s, "POST", path, s.pat, body).want(t, 200, 10000)
			hits, _ := r.body["hits"].([]any)
			if len(hits) == 0 || hits[0].(map[string]any)["input"].(map[string]any)["id"] != "chelsea" {
				t.Errorf("REST %s: %v", path, hits)
			}
		}
		// Similar to a stored input: itself first, scoring 1.
		ids, hits := searchIDs(t, s, app, similarTo(&pb.Annotation{InputId: "messi"})[0])
		if ids[0] != "messi" || hits[0].GetScore() < 0.999 {
			t.Errorf("similar to messi: %v", hits)
		}
		// Filters and a visual rank together.
		filtered := similarTo(&pb.Annotation{InputId: "messi"})[0]
		filtered.Query.Filters = []*pb.Filter{{Input: &pb.Input{Id: "fruits"}}}
		if ids, _ := searchIDs(t, s, app, filtered); !slices.Equal(ids, []string{"fruits"}) {
			t.Errorf("similar to messi among fruits: %v", ids)
		}
		// A deleted input never appears, approximately or exactly; another
		// app has no hits.
		del, err := s.v2.DeleteInputs(as(s.pat), &pb.DeleteInputsRequest{UserAppId: app, Ids: []string{"chelsea"}})
		wantCode(t, del, err, st.StatusCode_SUCCESS)
		for _, alg := range []string{"nearest_neighbor", "brute_force"} {
			search := similarTo(&pb.Annotation{Data: &pb.Data{Image: &pb.Image{Base64: croppedCopy(t, modeltest.Image(t, "chelsea.png"))}}})[0]
			search.Algorithm = alg
			if ids, _ := searchIDs(t, s, app, search); slices.Contains(ids, "chelsea") || len(ids) != len(sharedImages)-1 {
				t.Errorf("%s after deleting chelsea: %v", alg, ids)
			}
		}
		if ids, _ := searchIDs(t, s, appIDs("admin", "other"), similarTo(&pb.Annotation{Data: &pb.Data{Image: &pb.Image{Base64: croppedCopy(t, modeltest.Image(t, "fruits.jpg"))}}})[0]); len(ids) != 0 {
			t.Errorf("another app of the same owner: %v", ids)
		}
	}, func(c *cmd.Config) { c.ModelsDir = models })
}

// TestSearchBackfill stores inputs with a server that has no models, then
// starts one that has: the inputs stored before are embedded and found.
func TestSearchBackfill(t *testing.T) {
	models := modeltest.Init(t, manifest.NanoDet.Name, manifest.MobileNetFeatures.Name)
	dsn := pgtest.NewDatabase(t)
	cfg := cmd.DefaultConfig()
	cfg.Addr, cfg.DataDir, cfg.DB, cfg.ModelsDir = "127.0.0.1:0", t.TempDir(), dsn, t.TempDir()
	srv, err := cmd.NewServer(context.Background(), cfg, io.Discard, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	conn, err := grpc.NewClient(srv.Addr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	old := &testServer{Server: srv, conn: conn, v2: pb.NewV2Client(conn), pat: srv.BootstrapPAT}
	old.newApp(t, old.pat, "photos", false)
	app := appIDs("admin", "photos")
	r, err := old.v2.PostInputs(as(old.pat), &pb.PostInputsRequest{UserAppId: app, InputsAddJobId: "j", Inputs: []*pb.Input{
		{Id: "cat", Data: &pb.Data{Image: &pb.Image{Base64: mustRead(t, filepath.Join(modeltest.ImagesDir(t), "chelsea.png"))}}},
		{Id: "fruit", Data: &pb.Data{Image: &pb.Image{Base64: mustRead(t, filepath.Join(modeltest.ImagesDir(t), "fruits.jpg"))}}},
	}})
	wantCode(t, r, err, st.StatusCode_SUCCESS)
	waitJob(t, old, old.pat, app, "j")
	conn.Close()
	srv.Close()

	s := startServer(t, onPostgres(dsn), func(c *cmd.Config) { c.ModelsDir = models })
	s.pat = old.pat
	waitEmbedded(t, s, app, "cat", "fruit")
	ids, _ := searchIDs(t, s, app, similarTo(&pb.Annotation{Data: &pb.Data{Image: &pb.Image{Base64: croppedCopy(t, modeltest.Image(t, "chelsea.png"))}}})[0])
	if !slices.Equal(ids, []string{"cat", "fruit"}) {
		t.Fatalf("after the backfill: %v", ids)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSearchReplicas adds an input on one replica: the other's index,
// ready beforehand, finds it by an approximate search within 2 s of the
// first replica storing its embedding, and stops finding it as soon after
// it is deleted.
func TestSearchReplicas(t *testing.T) {
	models := modeltest.Init(t, manifest.NanoDet.Name, manifest.MobileNetFeatures.Name)
	dsn := pgtest.NewDatabase(t)
	a := startServer(t, onPostgres(dsn), func(c *cmd.Config) { c.ModelsDir = models })
	b := startServer(t, onPostgres(dsn), func(c *cmd.Config) { c.ModelsDir = models })
	b.pat = a.pat
	a.newApp(t, a.pat, "photos", false)
	app := appIDs("admin", "photos")
	add := func(id, file string) {
		r, err := a.v2.PostInputs(as(a.pat), &pb.PostInputsRequest{UserAppId: app, InputsAddJobId: id,
			Inputs: []*pb.Input{{Id: id, Data: &pb.Data{Image: &pb.Image{Base64: mustRead(t, filepath.Join(modeltest.ImagesDir(t), file))}}}}})
		wantCode(t, r, err, st.StatusCode_SUCCESS)
	}
	add("fruit", "fruits.jpg")
	waitEmbedded(t, a, app, "fruit")
	// b's index of the app is built and ready.
	sp := vector.Space{App: clavisApp("admin", "photos"), Version: service.EmbedderVersion}
	waitEmbedded(t, b, app, "fruit")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := b.SearchIndex().Wait(ctx, sp); err != nil || !b.SearchIndex().Stats(sp).Ready {
		t.Fatalf("b's index is not ready: %v %+v", err, b.SearchIndex().Stats(sp))
	}

	add("cat", "chelsea.png")
	waitEmbedded(t, a, app, "cat")
	stored := time.Now()
	query := similarTo(&pb.Annotation{Data: &pb.Data{Image: &pb.Image{Base64: croppedCopy(t, modeltest.Image(t, "chelsea.png"))}}})[0]
	for {
		ids, _ := searchIDs(t, b, app, query)
		if len(ids) > 0 && ids[0] == "cat" {
			break
		}
		if time.Since(stored) > 2*time.Second {
			t.Fatalf("b does not find the input added on a 2 s after a stored it: %v (%+v)", ids, b.SearchIndex().Stats(sp))
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Logf("found on the other replica %v after the first stored its embedding", time.Since(stored))
	if st := b.SearchIndex().Stats(sp); !st.Ready || st.Vectors != 2 {
		t.Fatalf("b's index: %+v, want ready with 2 vectors", st)
	}

	del, err := a.v2.DeleteInputs(as(a.pat), &pb.DeleteInputsRequest{UserAppId: app, Ids: []string{"cat"}})
	wantCode(t, del, err, st.StatusCode_SUCCESS)
	deleted := time.Now()
	for b.SearchIndex().Stats(sp).Vectors != 1 {
		if time.Since(deleted) > 2*time.Second {
			t.Fatalf("b's index still holds the deleted input: %+v", b.SearchIndex().Stats(sp))
		}
		time.Sleep(5 * time.Millisecond)
	}
	if ids, _ := searchIDs(t, b, app, query); slices.Contains(ids, "cat") {
		t.Fatalf("b finds the deleted input: %v", ids)
	}
}

func clavisApp(owner, app string) clavis.AppRef { return clavis.AppRef{OwnerID: owner, AppID: app} }
