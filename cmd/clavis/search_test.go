package main_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/types/known/structpb"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"

	cmd "github.com/clavis-dev/clavis/cmd/clavis"
)

// labelledInput is an input of a PNG with labels and metadata.
func labelledInput(t *testing.T, id string, n int, meta map[string]any, cs ...*pb.Concept) *pb.Input {
	m, err := structpb.NewStruct(meta)
	if err != nil {
		t.Fatal(err)
	}
	return &pb.Input{Id: id, Data: &pb.Data{Image: &pb.Image{Base64: pngOf(t, n)}, Metadata: m, Concepts: cs}}
}

// hitIDs returns the input ids of hits, in order, failing the test when a
// hit belongs to another app than app.
func hitIDs(t *testing.T, app *pb.UserAppIDSet, hits []*pb.Hit) []string {
	t.Helper()
	var out []string
	for _, h := range hits {
		if h.GetUserId() != app.UserId || h.GetAppId() != app.AppId || h.GetInput().GetId() == "" {
			t.Fatalf("hit %v is not an input of %v", h, app)
		}
		out = append(out, h.GetInput().GetId())
	}
	return out
}

func filterQuery(fs ...*pb.Filter) []*pb.Search {
	return []*pb.Search{{Query: &pb.Query{Filters: fs}}}
}

func labelFilter(id string, value float32) *pb.Filter {
	return &pb.Filter{Annotation: &pb.Annotation{Data: &pb.Data{Concepts: []*pb.Concept{{Id: id, Value: value}}}}}
}

func metaFilter(t *testing.T, m map[string]any) *pb.Filter {
	s, err := structpb.NewStruct(m)
	if err != nil {
		t.Fatal(err)
	}
	return &pb.Filter{Annotation: &pb.Annotation{Data: &pb.Data{Metadata: s}}}
}

// TestSearchFilters searches by labels, metadata, ids and status, alone and
// combined, over gRPC (the three methods) and REST, on both engines: hits
// are the app's own inputs, never another app's of the same owner with the
// same ids and data, never a deleted input.
func TestSearchFilters(t *testing.T) {
	onEngines(t, func(t *testing.T, s *testServer) {
		s.newApp(t, s.pat, "photos", false)
		s.newApp(t, s.pat, "other", false)
		ids, other := appIDs("admin", "photos"), appIDs("admin", "other")
		yes, no := func(id string) *pb.Concept { return &pb.Concept{Id: id, Value: 1} }, func(id string) *pb.Concept { return &pb.Concept{Id: id, Value: 0} }
		inputs := []*pb.Input{
			labelledInput(t, "a", 1, map[string]any{"customer": "acme", "n": 1, "vip": true, "deep": map[string]any{"city": "Paris"}}, yes("kitten"), no("puppy")),
			labelledInput(t, "b", 2, map[string]any{"customer": "acme", "n": 2, "vip": false}, yes("puppy")),
			labelledInput(t, "c", 3, map[string]any{"customer": "globex", "n": 1, "deep": map[string]any{"city": "Rome"}}, yes("kitten")),
			labelledInput(t, "d", 4, map[string]any{}),
		}
		for _, app := range []*pb.UserAppIDSet{ids, other} {
			r, err := s.v2.PostInputs(as(s.pat), &pb.PostInputsRequest{UserAppId: app, InputsAddJobId: "j", Inputs: inputs})
			wantCode(t, r, err, st.StatusCode_SUCCESS)
			waitJob(t, s, s.pat, app, "j")
		}

		inputsSearch := func(app *pb.UserAppIDSet, searches []*pb.Search, page, perPage uint32) []string {
			t.Helper()
			r, err := s.v2.PostInputsSearches(as(s.pat), &pb.PostInputsSearchesRequest{UserAppId: app, Searches: searches,
				Pagination: &pb.Pagination{Page: page, PerPage: perPage}})
			wantCode(t, r, err, st.StatusCode_SUCCESS)
			return hitIDs(t, app, r.GetHits())
		}
		for _, c := range []struct {
			name string
			q    []*pb.Search
			want []string
		}{
			{"Everything", filterQuery(), []string{"a", "b", "c", "d"}},
			{"LabelPositive", filterQuery(labelFilter("kitten", 1)), []string{"a", "c"}},
			{"LabelNegative", filterQuery(labelFilter("puppy", 0)), []string{"a"}},
			{"MetadataString", filterQuery(metaFilter(t, map[string]any{"customer": "acme"})), []string{"a", "b"}},
			{"MetadataNumber", filterQuery(metaFilter(t, map[string]any{"n": 1})), []string{"a", "c"}},
			{"MetadataBool", filterQuery(metaFilter(t, map[string]any{"vip": true})), []string{"a"}},
			{"MetadataNested", filterQuery(metaFilter(t, map[string]any{"deep": map[string]any{"city": "Rome"}})), []string{"c"}},
			{"Combined", filterQuery(labelFilter("kitten", 1), metaFilter(t, map[string]any{"customer": "acme"})), []string{"a"}},
			{"Negated", filterQuery(&pb.Filter{Negate: true, Annotation: labelFilter("kitten", 1).Annotation}), []string{"b", "d"}},
			{"InputIDAndStatus", filterQuery(&pb.Filter{Input: &pb.Input{Id: "c", Status: &st.Status{Code: st.StatusCode_INPUT_DOWNLOAD_SUCCESS}}}), []string{"c"}},
			{"OtherStatus", filterQuery(&pb.Filter{Input: &pb.Input{Status: &st.Status{Code: st.StatusCode_INPUT_DOWNLOAD_FAILED}}}), nil},
			{"OtherTypes", filterQuery(&pb.Filter{Input: &pb.Input{Data: &pb.Data{Video: &pb.Video{}}}}), nil},
			{"LabelRank", []*pb.Search{{Query: &pb.Query{Ranks: []*pb.Rank{{Annotation: labelFilter("kitten", 1).Annotation}}}}}, []string{"a", "c"}},
		} {
			t.Run(c.name, func(t *testing.T) {
				if got := inputsSearch(ids, c.q, 1, 0); !slices.Equal(got, c.want) {
					t.Fatalf("hits %v, want %v", got, c.want)
				}
			})
		}
		if got := inputsSearch(ids, filterQuery(), 2, 3); !slices.Equal(got, []string{"d"}) {
			t.Fatalf("page 2 of 3: %v", got)
		}

		// PostAnnotationsSearches and PostSearches (query.ands) find the same.
		an, err := s.v2.PostAnnotationsSearches(as(s.pat), &pb.PostAnnotationsSearchesRequest{UserAppId: ids,
			Searches: filterQuery(labelFilter("kitten", 1), metaFilter(t, map[string]any{"n": 1}))})
		wantCode(t, an, err, st.StatusCode_SUCCESS)
		if got := hitIDs(t, ids, an.GetHits()); !slices.Equal(got, []string{"a", "c"}) {
			t.Fatalf("PostAnnotationsSearches: %v", got)
		}
		meta, _ := structpb.NewStruct(map[string]any{"customer": "acme"})
		ps, err := s.v2.PostSearches(as(s.pat), &pb.PostSearchesRequest{UserAppId: ids, Query: &pb.Query{Ands: []*pb.And{
			{Input: &pb.Input{Data: &pb.Data{Concepts: []*pb.Concept{yes("kitten")}}}},
			{Input: &pb.Input{Data: &pb.Data{Metadata: meta}}},
		}}})
		wantCode(t, ps, err, st.StatusCode_SUCCESS)
		if got := hitIDs(t, ids, ps.GetHits()); !slices.Equal(got, []string{"a"}) || ps.GetHits()[0].GetScore() != 1 {
			t.Fatalf("PostSearches: %v", ps.GetHits())
		}

		// REST, both path forms; a concept without a value is present.
		for _, path := range []string{"/v2/users/admin/apps/photos/inputs/searches", "/v2/users/admin/apps/photos/annotations/searches", "/v2/users/admin/apps/photos/searches"} {
			body := map[string]any{"searches": []any{map[string]any{"query": map[string]any{"filters": []any{
				map[string]any{"annotation": map[string]any{"data": map[string]any{"concepts": []any{map[string]any{"id": "kitten"}}, "metadata": map[string]any{"customer": "globex"}}}},
			}}}}}
			r := rest(t, s, "POST", path, s.pat, body).want(t, 200, 10000)
			hits, _ := r.body["hits"].([]any)
			if len(hits) != 1 || fmt.Sprint(hits[0].(map[string]any)["input"].(map[string]any)["id"]) != "c" {
				t.Fatalf("REST %s: hits %v", path, hits)
			}
		}
		ands := map[string]any{"query": map[string]any{"ands": []any{map[string]any{"input": map[string]any{"data": map[string]any{"metadata": map[string]any{"vip": false}}}}}}}
		r := rest(t, s, "POST", "/v2/users/admin/apps/photos/searches", s.pat, ands).want(t, 200, 10000)
		if hits, _ := r.body["hits"].([]any); len(hits) != 1 {
			t.Fatalf("REST query.ands: %v", r.body)
		}

		// Bad searches are refused in-band.
		for name, req := range map[string]*pb.PostInputsSearchesRequest{
			"NoSearch":  {UserAppId: ids},
			"Two":       {UserAppId: ids, Searches: []*pb.Search{{}, {}}},
			"Algorithm": {UserAppId: ids, Searches: []*pb.Search{{Algorithm: "quantum"}}},
			"TooDeep":   {UserAppId: ids, Searches: filterQuery(), Pagination: &pb.Pagination{Page: 20, PerPage: 1000}},
			"MinValue":  {UserAppId: ids, Searches: []*pb.Search{{MinValue: 2}}},
			"NoConcept": {UserAppId: ids, Searches: filterQuery(labelFilter("", 1))},
		} {
			r, err := s.v2.PostInputsSearches(as(s.pat), req)
			if wantCode(t, r, err, st.StatusCode_CONN_INVALID_REQUEST); r.GetStatus().GetDetails() == "" {
				t.Errorf("%s: no details in %v", name, r.GetStatus())
			}
		}
		r2, err := s.v2.PostInputsSearches(as(s.pat), &pb.PostInputsSearchesRequest{UserAppId: ids, Searches: []*pb.Search{{Save: true}}})
		wantCode(t, r2, err, st.StatusCode_NOT_IMPLEMENTED)

		// A deleted input never appears; the other app keeps its own.
		del, err := s.v2.DeleteInputs(as(s.pat), &pb.DeleteInputsRequest{UserAppId: ids, Ids: []string{"a"}})
		wantCode(t, del, err, st.StatusCode_SUCCESS)
		if got := inputsSearch(ids, filterQuery(labelFilter("kitten", 1)), 1, 0); !slices.Equal(got, []string{"c"}) {
			t.Fatalf("after deleting a: %v", got)
		}
		if got := inputsSearch(other, filterQuery(labelFilter("kitten", 1)), 1, 0); !slices.Equal(got, []string{"a", "c"}) {
			t.Fatalf("the other app: %v", got)
		}
		// An app key of the other app cannot search this one.
		key := s.newKey(t, s.pat, &pb.Key{Description: "other", Scopes: []string{"All"}, Apps: []*pb.App{{Id: "other", UserId: "admin"}}})
		rk, err := s.v2.PostInputsSearches(as(key), &pb.PostInputsSearchesRequest{UserAppId: ids, Searches: filterQuery()})
		wantCode(t, rk, err, st.StatusCode_CONN_KEY_INVALID)
		rk, err = s.v2.PostInputsSearches(as(key), &pb.PostInputsSearchesRequest{Searches: filterQuery(labelFilter("puppy", 1))})
		wantCode(t, rk, err, st.StatusCode_SUCCESS)
		if got := hitIDs(t, other, rk.GetHits()); !slices.Equal(got, []string{"b"}) {
			t.Fatalf("the app key's own app: %v", got)
		}
	})
}

// TestSearchWithoutModels: on a server without the models, filters work,
// a visual rank by an image answers 21353 saying how to install the model,
// and one by a stored input without an embedding 11101.
func TestSearchWithoutModels(t *testing.T) {
	s := startServer(t, func(c *cmd.Config) { c.ModelsDir = t.TempDir() })
	s.newApp(t, s.pat, "photos", false)
	ids := appIDs("admin", "photos")
	r, err := s.v2.PostInputs(as(s.pat), &pb.PostInputsRequest{UserAppId: ids, InputsAddJobId: "j", Inputs: []*pb.Input{labelledInput(t, "a", 1, map[string]any{"k": "v"})}})
	wantCode(t, r, err, st.StatusCode_SUCCESS)
	waitJob(t, s, s.pat, ids, "j")
	f, err := s.v2.PostInputsSearches(as(s.pat), &pb.PostInputsSearchesRequest{UserAppId: ids, Searches: filterQuery(metaFilter(t, map[string]any{"k": "v"}))})
	wantCode(t, f, err, st.StatusCode_SUCCESS)
	if got := hitIDs(t, ids, f.GetHits()); !slices.Equal(got, []string{"a"}) {
		t.Fatalf("metadata filter: %v", got)
	}
	img, err := s.v2.PostInputsSearches(as(s.pat), &pb.PostInputsSearchesRequest{UserAppId: ids,
		Searches: []*pb.Search{{Query: &pb.Query{Ranks: []*pb.Rank{{Annotation: &pb.Annotation{Data: &pb.Data{Image: &pb.Image{Base64: pngOf(t, 2)}}}}}}}}})
	wantCode(t, img, err, st.StatusCode_MODEL_NOT_DEPLOYED)
	if !strings.Contains(img.GetStatus().GetDescription()+img.GetStatus().GetDetails(), "clavis setup") {
		t.Errorf("no hint to install the model: %v", img.GetStatus())
	}
	in, err := s.v2.PostInputsSearches(as(s.pat), &pb.PostInputsSearchesRequest{UserAppId: ids,
		Searches: []*pb.Search{{Query: &pb.Query{Ranks: []*pb.Rank{{Annotation: &pb.Annotation{InputId: "a"}}}}}}})
	wantCode(t, in, err, st.StatusCode_CONN_DOES_NOT_EXIST)
	if !strings.Contains(in.GetStatus().GetDetails(), "no embedding") {
		t.Errorf("details %q", in.GetStatus().GetDetails())
	}
}
