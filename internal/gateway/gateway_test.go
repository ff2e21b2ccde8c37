package gateway

import (
	"testing"

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
