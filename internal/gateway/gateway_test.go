package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"google.golang.org/grpc"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"
	"github.com/clavis-dev/clavis/internal/gateway/bindings"
)

func TestHTTPStatus(t *testing.T) {
	for code, want := range map[st.StatusCode]int{
		st.StatusCode_SUCCESS: 200, st.StatusCode_MIXED_STATUS: 200,
		st.StatusCode_CONN_INVALID_REQUEST: 400, st.StatusCode_CONN_BAD_REQUEST_FORMAT: 400,
		st.StatusCode_INPUT_INVALID_ARGUMENT: 400, st.StatusCode_INPUT_DOWNLOAD_FAILED: 400,
		st.StatusCode_CONN_KEY_INVALID: 401, st.StatusCode_CONN_INSUFFICIENT_SCOPES: 403,
		st.StatusCode_CONN_DOES_NOT_EXIST: 404, st.StatusCode_MODEL_DOES_NOT_EXIST: 404,
		st.StatusCode_DATABASE_DUPLICATE_KEY: 409, st.StatusCode_INPUT_OVER_LIMIT: 413,
		st.StatusCode_MODEL_BUSY_PLEASE_RETRY: 429, st.StatusCode_NOT_IMPLEMENTED: 501,
		st.StatusCode_INTERNAL_SERVER_ISSUE: 500, st.StatusCode_MODEL_PREDICTION_FAILED: 500,
		st.StatusCode_FAILURE: 400, st.StatusCode_CONN_KEY_NOT_FOUND: 401, st.StatusCode_CONN_THROTTLED: 429,
		st.StatusCode_INPUT_DUPLICATE: 400, st.StatusCode_ACCEPTED: 202, st.StatusCode_MODEL_LOADING: 503,
	} {
		if got := HTTPStatus(code); got != want {
			t.Errorf("HTTPStatus(%v) = %d, want %d", code, got, want)
		}
	}
}

func TestRedact(t *testing.T) {
	if got := RedactPath("/v2/users/me/keys/clvp_abc123_x/x"); got != "/v2/users/me/keys/REDACTED/x" {
		t.Errorf("RedactPath = %q", got)
	}
	if got := RedactPath("/v2/users/me/keys/kid-1"); got != "/v2/users/me/keys/kid-1" {
		t.Errorf("RedactPath = %q", got)
	}
	if got := redactText(`bad value "clvk_SeCrEt-1_z" here`); got != `bad value "REDACTED" here` {
		t.Errorf("redactText = %q", got)
	}
}

func TestIsBoolField(t *testing.T) {
	md := (&pb.ListKeysRequest{}).ProtoReflect().Descriptor()
	for path, want := range map[string]bool{"not_expired": true, "notExpired": true, "type": false, "user_app_id.user_id": false, "nope": false} {
		if got := isBoolField(md, path); got != want {
			t.Errorf("isBoolField(%q) = %v", path, got)
		}
	}
}

func TestPathIDs(t *testing.T) {
	for p, want := range map[string][2]string{
		"/v2/users/me/apps/a%20b/models": {"me", "a b"},
		"/v2/users/me/keys/k":            {"me", ""},
		"/v2/users/me":                   {"me", ""},
		"/v2/models/m/outputs":           {"", ""},
	} {
		if u, a := pathIDs(p); u != want[0] || a != want[1] {
			t.Errorf("pathIDs(%q) = %q, %q", p, u, a)
		}
	}
}

func TestUndeclaredMethodsAnswer501(t *testing.T) {
	g := grpc.NewServer()
	h, closer, err := New(context.Background(), g, Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer closer.Close()
	defer g.Stop()
	for _, c := range []struct {
		method, path string
		want         int
	}{
		{"POST", "/v2/users/me/apps/searches", http.StatusNotImplemented},
		{"POST", "/v2/inputs/searches", http.StatusNotImplemented},
		{"GET", "/v2/myscopesroot", http.StatusNotImplemented},
		{"GET", "/v2/no/such/thing", http.StatusNotFound},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(c.method, c.path, strings.NewReader("{}")))
		if rec.Code != c.want || !strings.Contains(rec.Body.String(), `"code"`) {
			t.Errorf("%s %s: %d %s, want %d with a status body", c.method, c.path, rec.Code, rec.Body, c.want)
		}
	}
}

// TestShowIfEmpty checks the JSON form keeps Clarifai's show-if-empty
// fields: a concept's value of 0 (which the Python client would otherwise
// read as 1.0), empty lists, zero box edges, without writing absent
// messages as null.
func TestShowIfEmpty(t *testing.T) {
	resp := &pb.MultiOutputResponse{Outputs: []*pb.Output{{Data: &pb.Data{
		Concepts: []*pb.Concept{{Id: "cat", Value: 0}},
		Regions:  []*pb.Region{{RegionInfo: &pb.RegionInfo{BoundingBox: &pb.BoundingBox{}}}},
	}}}}
	b, err := marshaler.Marshal(resp)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Outputs []struct {
			Model *json.RawMessage
			Data  struct {
				Concepts []map[string]any
				Regions  []struct {
					RegionInfo struct {
						BoundingBox map[string]any `json:"bounding_box"`
					} `json:"region_info"`
				}
			}
		}
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	o := got.Outputs[0]
	if v, ok := o.Data.Concepts[0]["value"]; !ok || v != 0.0 {
		t.Errorf("concept value: %s", b)
	}
	if _, ok := o.Data.Regions[0].RegionInfo.BoundingBox["top_row"]; !ok {
		t.Errorf("bounding box edges missing: %s", b)
	}
	if strings.Contains(string(b), "null") {
		t.Errorf("absent messages written as null: %s", b)
	}
	empty, _ := marshaler.Marshal(&pb.MultiAppResponse{})
	if !strings.Contains(string(empty), `"apps":[]`) {
		t.Errorf("empty list not written: %s", empty)
	}
}

func TestRouter(t *testing.T) {
	r := newRouter([]bindings.Binding{
		{Method: "GetModel", Verb: "GET", Path: "/v2/models/{model_id}"},
		{Method: "ListModelTypes", Verb: "GET", Path: "/v2/models/types"},
		{Method: "PostPipelines", Verb: "GET", Path: "/v2/pipelines"},
		{Method: "ListPipelines", Verb: "GET", Path: "/v2/pipelines"},
		{Method: "PostRunners", Verb: "POST", Path: "/v2/runners/{id}", Body: "*"},
		{Method: "PatchRunners", Verb: "POST", Path: "/v2/runners/{runner_id}", Body: "*"},
		{Method: "GetThing", Verb: "GET", Path: "/v2/{kind}/things"},
		{Method: "ListApps", Verb: "GET", Path: "/v2/apps/{user}"},
	}, func(b bindings.Binding) bool { return b.Method == "GetModel" })
	for _, c := range []struct {
		verb, path, method string
		served             bool
	}{
		{"GET", "/v2/models/m1", "GetModel", true},
		{"GET", "/v2/models/types", "ListModelTypes", false},
		{"GET", "/v2/pipelines", "ListPipelines", false},
		{"POST", "/v2/runners/r1", "PostRunners", false},
		{"GET", "/v2/apps/things", "ListApps", false}, // the literal first wins
		{"GET", "/v2/models/m1/versions", "", false},
		{"POST", "/v2/models/m1", "", false},
		{"HEAD", "/v2/models/m1", "", false},
	} {
		rt, ok := r.lookup(c.verb, c.path)
		if ok != (c.method != "") || rt.method != c.method || rt.served != c.served {
			t.Errorf("lookup(%s %s) = %q served %v, found %v; want %q served %v", c.verb, c.path, rt.method, rt.served, ok, c.method, c.served)
		}
	}
}

// TestServedRoutesInOrder checks that grpc-gateway's mux, which tries the
// routes registered last first, takes the more specific of two served
// bindings that match one path: the generated code registers the methods
// in the order of api/proto/clarifai/api/service.proto, so the method with
// the more specific binding (GetInputCount's .../inputs/status over
// GetInput's .../inputs/{input_id}) must come later there.
func TestServedRoutesInOrder(t *testing.T) {
	served, err := servedV2()
	if err != nil {
		t.Fatal(err)
	}
	order := map[string]int{}
	methods := pb.File_clarifai_api_service_proto.Services().ByName("V2").Methods()
	for i := range methods.Len() {
		order[string(methods.Get(i).Name())] = i
	}
	var rows []bindings.Binding
	for _, b := range bindings.Clarifai() {
		if served(b) {
			rows = append(rows, b)
		}
	}
	for _, p := range shadowed(rows, order) {
		t.Error(p)
	}
	// The check itself, on a pair in the wrong order.
	pair := []bindings.Binding{
		{Method: "GetInputCount", Verb: "GET", Path: "/v2/inputs/status"},
		{Method: "GetInput", Verb: "GET", Path: "/v2/inputs/{input_id}"},
	}
	if got := shadowed(pair, map[string]int{"GetInputCount": 0, "GetInput": 1}); len(got) != 1 {
		t.Errorf("shadowed = %q, want one problem", got)
	}
	if got := shadowed(pair, map[string]int{"GetInputCount": 1, "GetInput": 0}); len(got) != 0 {
		t.Errorf("shadowed = %q, want none", got)
	}
}

// shadowed returns, for each pair of bindings that match one path, the
// more specific one registered before the other (order gives each
// method's place in service.proto), which the mux would not reach.
func shadowed(rows []bindings.Binding, order map[string]int) []string {
	var out []string
	for _, a := range rows {
		for _, b := range rows {
			ta, _ := bindings.ParseTemplate(a.Path)
			tb, _ := bindings.ParseTemplate(b.Path)
			if a.Method != b.Method && a.Verb == b.Verb && ta.MoreSpecific(tb) && ta.Overlaps(tb) && order[a.Method] < order[b.Method] {
				out = append(out, fmt.Sprintf("%s %s (%s) is taken by %s's %s: move %s after %s in service.proto", a.Verb, a.Path, a.Method, b.Method, b.Path, a.Method, b.Method))
			}
		}
	}
	return out
}
