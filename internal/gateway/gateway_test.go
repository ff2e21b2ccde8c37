package gateway

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"google.golang.org/grpc"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"
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
