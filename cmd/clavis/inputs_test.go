package main_test

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/structpb"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"

	cmd "github.com/clavis-dev/clavis/cmd/clavis"
	"github.com/clavis-dev/clavis/internal/store/postgres/pgtest"
)

// onEngines runs test on a server on SQLite and on one on PostgreSQL, each
// configured by mods.
func onEngines(t *testing.T, test func(t *testing.T, s *testServer), mods ...func(*cmd.Config)) {
	t.Run("SQLite", func(t *testing.T) { test(t, startServer(t, mods...)) })
	t.Run("Postgres", func(t *testing.T) {
		test(t, startServer(t, append([]func(*cmd.Config){onPostgres(pgtest.NewDatabase(t))}, mods...)...))
	})
}

// pngOf returns a small PNG of one color, distinct for each n.
func pngOf(t testing.TB, n int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 8, 6))
	c := color.RGBA{uint8(n), uint8(n >> 8), uint8(n >> 16), 255}
	for y := range 6 {
		for x := range 8 {
			img.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func appIDs(owner, app string) *pb.UserAppIDSet { return &pb.UserAppIDSet{UserId: owner, AppId: app} }

// imageServer serves the PNG pngOf(1) at /ok.png and 404 elsewhere.
func imageServer(t *testing.T) (*httptest.Server, func(*cmd.Config)) {
	img := pngOf(t, 1)
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/ok.png" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "image/png")
		w.Write(img)
	}))
	t.Cleanup(web.Close)
	return web, func(c *cmd.Config) { c.FetchAllow = []string{strings.TrimPrefix(web.URL, "http://")} }
}

// waitJob polls an add job until none of its inputs waits or is being
// processed, and returns it.
func waitJob(t *testing.T, s *testServer, token string, ids *pb.UserAppIDSet, job string) *pb.InputsAddJob {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		r, err := s.v2.GetInputsAddJob(as(token), &pb.GetInputsAddJobRequest{UserAppId: ids, Id: job})
		wantCode(t, r, err, st.StatusCode_SUCCESS)
		p := r.GetInputsAddJob().GetProgress()
		if p.GetPendingCount()+p.GetInProgressCount() == 0 {
			return r.GetInputsAddJob()
		}
		if time.Now().After(deadline) {
			t.Fatalf("add job %s still running after 60s: %v", job, p)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func conceptValues(cs []*pb.Concept) map[string]float32 {
	out := map[string]float32{}
	for _, c := range cs {
		out[c.GetId()] = c.GetValue()
	}
	return out
}

func TestInputsFlow(t *testing.T) {
	web, allow := imageServer(t)
	onEngines(t, func(t *testing.T, s *testServer) {
		s.newApp(t, s.pat, "photos", false)
		ids := appIDs("admin", "photos")
		meta, _ := structpb.NewStruct(map[string]any{"customer": "acme", "n": 1})
		img := pngOf(t, 7)
		r, err := s.v2.PostInputs(as(s.pat), &pb.PostInputsRequest{UserAppId: ids, InputsAddJobId: "job-1", Inputs: []*pb.Input{
			{Id: "bytes", Data: &pb.Data{Image: &pb.Image{Base64: img}, Metadata: meta,
				Concepts: []*pb.Concept{{Id: "cat", Name: "Cat", Value: 1}, {Id: "dog", Value: 0}}}},
			{Id: "url", Data: &pb.Data{Image: &pb.Image{Url: web.URL + "/ok.png"}}},
			{Id: "missing", Data: &pb.Data{Image: &pb.Image{Url: web.URL + "/gone.png"}}},
			{Id: "text", Data: &pb.Data{Text: &pb.Text{Raw: "hello"}}},
			{Id: "junk", Data: &pb.Data{Image: &pb.Image{Base64: []byte("not an image")}}},
		}})
		wantCode(t, r, err, st.StatusCode_MIXED_STATUS)
		codes := map[string]st.StatusCode{}
		for _, in := range r.GetInputs() {
			codes[in.GetId()] = in.GetStatus().GetCode()
		}
		want := map[string]st.StatusCode{"bytes": st.StatusCode_INPUT_DOWNLOAD_PENDING, "url": st.StatusCode_INPUT_DOWNLOAD_PENDING,
			"missing": st.StatusCode_INPUT_DOWNLOAD_PENDING, "text": st.StatusCode_INPUT_UNSUPPORTED_FORMAT, "junk": st.StatusCode_ALL_INPUT_INVALID_BYTES}
		for id, c := range want {
			if codes[id] != c {
				t.Errorf("input %s: status %v, want %v", id, codes[id], c)
			}
		}
		if r.GetInputsAddJob().GetId() != "job-1" {
			t.Fatalf("no add job in the response: %v", r.GetInputsAddJob())
		}

		job := waitJob(t, s, s.pat, ids, "job-1")
		if p := job.GetProgress(); p.GetSuccessCount() != 2 || p.GetFailedCount() != 3 || job.GetStatus().GetCode() != st.StatusCode_JOB_COMPLETED {
			t.Fatalf("add job = %v", job)
		}
		g, err := s.v2.GetInput(as(s.pat), &pb.GetInputRequest{UserAppId: ids, InputId: "bytes"})
		wantCode(t, g, err, st.StatusCode_SUCCESS)
		in := g.GetInput()
		if in.GetStatus().GetCode() != st.StatusCode_INPUT_DOWNLOAD_SUCCESS || in.GetData().GetMetadata().AsMap()["customer"] != "acme" {
			t.Fatalf("GetInput = %v", in)
		}
		if cv := conceptValues(in.GetData().GetConcepts()); len(cv) != 2 || cv["cat"] != 1 || cv["dog"] != 0 {
			t.Fatalf("concepts = %v", cv)
		}
		info := in.GetData().GetImage().GetImageInfo()
		if info.GetWidth() != 8 || info.GetHeight() != 6 || info.GetFormat() != "PNG" {
			t.Fatalf("image info = %v", info)
		}
		failed, err := s.v2.GetInput(as(s.pat), &pb.GetInputRequest{UserAppId: ids, InputId: "missing"})
		wantCode(t, failed, err, st.StatusCode_SUCCESS)
		if fs := failed.GetInput().GetStatus(); fs.GetCode() != st.StatusCode_INPUT_DOWNLOAD_FAILED || fs.GetDetails() == "" {
			t.Fatalf("the input of a missing URL: %v", fs)
		}

		// The hosted image needs a credential for the app.
		hosted := in.GetData().GetImage().GetHosted()
		u := hosted.GetPrefix() + "/" + hosted.GetSizes()[0] + "/" + hosted.GetSuffix()
		for _, c := range []struct {
			token string
			code  int
		}{{s.pat, 200}, {"", 401}, {s.newUser(t, "eve"), 404}} {
			req, _ := http.NewRequest("GET", u, nil)
			if c.token != "" {
				req.Header.Set("Authorization", "Key "+c.token)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != c.code || c.code == 200 && (!bytes.Equal(body, img) || resp.Header.Get("Content-Type") != "image/png") {
				t.Fatalf("GET %s as %q: %d %s, want %d", u, c.token, resp.StatusCode, resp.Header.Get("Content-Type"), c.code)
			}
		}

		l, err := s.v2.ListInputs(as(s.pat), &pb.ListInputsRequest{UserAppId: ids, Status: &st.Status{Code: st.StatusCode_INPUT_DOWNLOAD_SUCCESS}})
		wantCode(t, l, err, st.StatusCode_SUCCESS)
		var listed []string
		for _, in := range l.GetInputs() {
			listed = append(listed, in.GetId())
		}
		slices.Sort(listed)
		if !slices.Equal(listed, []string{"bytes", "url"}) {
			t.Fatalf("ListInputs(30000) = %v", listed)
		}
		c, err := s.v2.GetInputCount(as(s.pat), &pb.GetInputCountRequest{UserAppId: ids})
		wantCode(t, c, err, st.StatusCode_SUCCESS)
		if c.GetCounts().GetProcessed() != 2 || c.GetCounts().GetErrors() != 1 {
			t.Fatalf("counts = %v", c.GetCounts())
		}

		// Patches: metadata merged, then keys removed; labels merged.
		patch, _ := structpb.NewStruct(map[string]any{"stage": "review"})
		p, err := s.v2.PatchInputs(as(s.pat), &pb.PatchInputsRequest{UserAppId: ids, Action: "merge", Inputs: []*pb.Input{
			{Id: "bytes", Data: &pb.Data{Metadata: patch, Concepts: []*pb.Concept{{Id: "bird", Value: 1}, {Id: "dog", Value: 1}}}}}})
		wantCode(t, p, err, st.StatusCode_SUCCESS)
		got := p.GetInputs()[0].GetData()
		if m := got.GetMetadata().AsMap(); m["stage"] != "review" || m["customer"] != "acme" {
			t.Fatalf("merged metadata = %v", m)
		}
		if cv := conceptValues(got.GetConcepts()); len(cv) != 3 || cv["dog"] != 1 || cv["bird"] != 1 {
			t.Fatalf("merged concepts = %v", cv)
		}
		rm, _ := structpb.NewStruct(map[string]any{"customer": nil})
		p, err = s.v2.PatchInputs(as(s.pat), &pb.PatchInputsRequest{UserAppId: ids, Action: "remove", Inputs: []*pb.Input{
			{Id: "bytes", Data: &pb.Data{Metadata: rm, Concepts: []*pb.Concept{{Id: "cat"}}}}}})
		wantCode(t, p, err, st.StatusCode_SUCCESS)
		got = p.GetInputs()[0].GetData()
		if m := got.GetMetadata().AsMap(); len(m) != 2 || m["customer"] != nil {
			t.Fatalf("metadata after remove = %v", m)
		}
		if cv := conceptValues(got.GetConcepts()); len(cv) != 2 || cv["bird"] != 1 || cv["dog"] != 1 {
			t.Fatalf("concepts after remove = %v", cv)
		}
		p, err = s.v2.PatchInputs(as(s.pat), &pb.PatchInputsRequest{UserAppId: ids, Action: "merge", Inputs: []*pb.Input{{Id: "nope"}}})
		wantCode(t, p, err, st.StatusCode_CONN_DOES_NOT_EXIST)

		// The app's concepts are its labels.
		lc, err := s.v2.ListConcepts(as(s.pat), &pb.ListConceptsRequest{UserAppId: ids})
		wantCode(t, lc, err, st.StatusCode_SUCCESS)
		var concepts []string
		for _, c := range lc.GetConcepts() {
			concepts = append(concepts, c.GetId())
		}
		if !slices.Equal(concepts, []string{"bird", "cat", "dog"}) {
			t.Fatalf("ListConcepts = %v", concepts)
		}

		// An existing id is refused, alone.
		dup, err := s.v2.PostInputs(as(s.pat), &pb.PostInputsRequest{UserAppId: ids, Inputs: []*pb.Input{
			{Id: "bytes", Data: &pb.Data{Image: &pb.Image{Base64: img}}}}})
		wantCode(t, dup, err, st.StatusCode_INPUT_DUPLICATE)

		d, err := s.v2.DeleteInputs(as(s.pat), &pb.DeleteInputsRequest{UserAppId: ids, Ids: []string{"bytes", "url", "missing"}})
		wantCode(t, d, err, st.StatusCode_SUCCESS)
		g, err = s.v2.GetInput(as(s.pat), &pb.GetInputRequest{UserAppId: ids, InputId: "bytes"})
		wantCode(t, g, err, st.StatusCode_CONN_DOES_NOT_EXIST)
		l, err = s.v2.ListInputs(as(s.pat), &pb.ListInputsRequest{UserAppId: ids})
		wantCode(t, l, err, st.StatusCode_SUCCESS)
		if len(l.GetInputs()) != 0 {
			t.Fatalf("%d inputs left", len(l.GetInputs()))
		}
	}, allow)
}

// TestAnnotations adds, lists, patches and deletes annotations of regions.
func TestAnnotations(t *testing.T) {
	onEngines(t, func(t *testing.T, s *testServer) {
		s.newApp(t, s.pat, "photos", false)
		ids := appIDs("admin", "photos")
		r, err := s.v2.PostInputs(as(s.pat), &pb.PostInputsRequest{UserAppId: ids, Inputs: []*pb.Input{
			{Id: "a", Data: &pb.Data{Image: &pb.Image{Base64: pngOf(t, 1)}}}}})
		wantCode(t, r, err, st.StatusCode_SUCCESS)
		box := &pb.Region{RegionInfo: &pb.RegionInfo{BoundingBox: &pb.BoundingBox{TopRow: 0.1, LeftCol: 0.2, BottomRow: 0.5, RightCol: 0.7}},
			Data: &pb.Data{Concepts: []*pb.Concept{{Id: "id-cat", Name: "cat", Value: 1}}}}
		poly := &pb.Region{RegionInfo: &pb.RegionInfo{Polygon: &pb.Polygon{Points: []*pb.Point{{Row: 0.1, Col: 0.1}, {Row: 0.2, Col: 0.4}, {Row: 0.5, Col: 0.2}}}},
			Data: &pb.Data{Concepts: []*pb.Concept{{Id: "id-dog", Name: "dog", Value: 1}}}}
		pa, err := s.v2.PostAnnotations(as(s.pat), &pb.PostAnnotationsRequest{UserAppId: ids, Annotations: []*pb.Annotation{
			{InputId: "a", Data: &pb.Data{Regions: []*pb.Region{box, poly}}}}})
		wantCode(t, pa, err, st.StatusCode_SUCCESS)
		ann := pa.GetAnnotations()[0]
		if ann.GetId() == "" || ann.GetInputLevel() || len(ann.GetData().GetRegions()) != 2 || ann.GetWorker().GetUser().GetId() != "admin" {
			t.Fatalf("PostAnnotations = %v", ann)
		}
		bad, err := s.v2.PostAnnotations(as(s.pat), &pb.PostAnnotationsRequest{UserAppId: ids, Annotations: []*pb.Annotation{
			{InputId: "a", Data: &pb.Data{Regions: []*pb.Region{{RegionInfo: &pb.RegionInfo{BoundingBox: &pb.BoundingBox{TopRow: 0.6, BottomRow: 0.2, RightCol: 1}}}}}}}})
		wantCode(t, bad, err, st.StatusCode_CONN_INVALID_REQUEST)
		missing, err := s.v2.PostAnnotations(as(s.pat), &pb.PostAnnotationsRequest{UserAppId: ids, Annotations: []*pb.Annotation{
			{InputId: "nope", Data: &pb.Data{Concepts: []*pb.Concept{{Id: "x", Value: 1}}}}}})
		wantCode(t, missing, err, st.StatusCode_CONN_DOES_NOT_EXIST)

		la, err := s.v2.ListAnnotations(as(s.pat), &pb.ListAnnotationsRequest{UserAppId: ids, InputIds: []string{"a"}})
		wantCode(t, la, err, st.StatusCode_SUCCESS)
		if len(la.GetAnnotations()) != 1 || la.GetAnnotations()[0].GetId() != ann.GetId() {
			t.Fatalf("ListAnnotations = %v", la.GetAnnotations())
		}
		pt, err := s.v2.PatchAnnotations(as(s.pat), &pb.PatchAnnotationsRequest{UserAppId: ids, Action: "remove", Annotations: []*pb.Annotation{
			{Id: ann.GetId(), Data: &pb.Data{Regions: []*pb.Region{{Id: ann.GetData().GetRegions()[1].GetId(), RegionInfo: poly.GetRegionInfo()}}}}}})
		wantCode(t, pt, err, st.StatusCode_SUCCESS)
		if n := len(pt.GetAnnotations()[0].GetData().GetRegions()); n != 1 {
			t.Fatalf("%d regions after removing one of two", n)
		}
		lc, err := s.v2.ListConcepts(as(s.pat), &pb.ListConceptsRequest{UserAppId: ids, Id: "cat"})
		wantCode(t, lc, err, st.StatusCode_SUCCESS)
		if len(lc.GetConcepts()) != 1 || lc.GetConcepts()[0].GetName() != "cat" {
			t.Fatalf("ListConcepts(cat) = %v", lc.GetConcepts())
		}
		da, err := s.v2.DeleteAnnotation(as(s.pat), &pb.DeleteAnnotationRequest{UserAppId: ids, InputId: "a", AnnotationId: ann.GetId()})
		wantCode(t, da, err, st.StatusCode_SUCCESS)
		da, err = s.v2.DeleteAnnotation(as(s.pat), &pb.DeleteAnnotationRequest{UserAppId: ids, InputId: "a", AnnotationId: ann.GetId()})
		wantCode(t, da, err, st.StatusCode_CONN_DOES_NOT_EXIST)
	})
}

// TestInputLimits fills an app to the operator's limits: the inputs past
// them are refused alone with CONN_EXCEEDS_LIMITS.
func TestInputLimits(t *testing.T) {
	s := startServer(t, func(c *cmd.Config) { c.Inputs.MaxInputsPerApp = 3 })
	s.newApp(t, s.pat, "small", false)
	var ins []*pb.Input
	for i := range 5 {
		ins = append(ins, &pb.Input{Id: fmt.Sprintf("i%d", i), Data: &pb.Data{Image: &pb.Image{Base64: pngOf(t, i)}}})
	}
	r, err := s.v2.PostInputs(as(s.pat), &pb.PostInputsRequest{UserAppId: appIDs("admin", "small"), Inputs: ins})
	wantCode(t, r, err, st.StatusCode_MIXED_STATUS)
	for i, in := range r.GetInputs() {
		want := st.StatusCode_INPUT_DOWNLOAD_PENDING
		if i >= 3 {
			want = st.StatusCode_CONN_EXCEEDS_LIMITS
		}
		if in.GetStatus().GetCode() != want || want == st.StatusCode_CONN_EXCEEDS_LIMITS && !strings.Contains(in.GetStatus().GetDetails(), "limit") {
			t.Errorf("input %d: %v, want %v", i, in.GetStatus(), want)
		}
	}

	b := startServer(t, func(c *cmd.Config) { c.Inputs.MaxBytesPerApp = int64(len(pngOf(t, 0))) + 10 })
	b.newApp(t, b.pat, "small", false)
	r, err = b.v2.PostInputs(as(b.pat), &pb.PostInputsRequest{UserAppId: appIDs("admin", "small"), Inputs: ins[:2]})
	wantCode(t, r, err, st.StatusCode_MIXED_STATUS)
	if r.GetInputs()[1].GetStatus().GetCode() != st.StatusCode_CONN_EXCEEDS_LIMITS {
		t.Fatalf("the second image past the byte limit: %v", r.GetInputs()[1].GetStatus())
	}
}
