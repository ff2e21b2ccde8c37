package main_test

import (
	"context"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"
	cmd "github.com/clavis-dev/clavis/cmd/clavis"
)

// TestOneLogLinePerRequest makes requests of every kind against a server
// logging JSON, and checks that each one is logged in exactly one line
// with its fields: gRPC calls, REST requests (declared, undeclared, with no
// route), calls of undeclared gRPC methods, the operations endpoints, and
// requests refused before any handler.
func TestOneLogLinePerRequest(t *testing.T) {
	logs := &logBuffer{}
	s := startServerLogging(t, logs, func(c *cmd.Config) { c.LogFormat = "json" })

	g, err := s.v2.MyScopesUser(as(s.pat), &pb.MyScopesUserRequest{UserAppId: me()})
	wantCode(t, g, err, st.StatusCode_SUCCESS)
	restIDs := map[string]map[string]any{}
	for _, c := range []struct {
		method, path, token string
		want                map[string]any
	}{
		{"GET", "/v2/users/me/myscopes", s.pat, map[string]any{"route": "/v2/users/{user_app_id.user_id}/myscopes", "status": 200.0, "rpc": "/clarifai.api.V2/MyScopesUser", "code": 10000.0, "user": "admin"}},
		{"GET", "/v2/users/me/apps/a1", "", map[string]any{"route": "/v2/users/{user_app_id.user_id}/apps/{user_app_id.app_id}", "status": 401.0, "rpc": "/clarifai.api.V2/GetApp", "code": 11102.0}},
		{"GET", "/v2/models/types", "", map[string]any{"route": "/v2/models/types", "status": 501.0, "code": 10040.0}},
		{"GET", "/v2/no/such/path", "", map[string]any{"status": 404.0, "code": 11101.0}},
	} {
		r := rest(t, s, c.method, c.path, c.token, nil)
		id, _ := r.status()["req_id"].(string)
		c.want["method"], c.want["path"] = c.method, c.path
		restIDs[id] = c.want
	}
	if err := s.conn.Invoke(context.Background(), "/clarifai.api.V2/PostWorkflows", &pb.GetAppRequest{}, &pb.SingleAppResponse{}); err == nil {
		t.Fatal("PostWorkflows answered")
	}
	if code, _ := get(t, http.DefaultClient, "http://"+s.Addr()+"/healthz"); code != 200 {
		t.Fatalf("/healthz: %d", code)
	}
	wantRefusal(t, func() (net.Conn, error) { return net.Dial("tcp", s.Addr()) }, "GET /v2/users/%ZZ HTTP/1.1\r\nHost: x\r\n\r\n", 400, "malformed request")

	recs := logs.records(t) // fails on a line that is not one JSON object
	if lines := withReqID(recs, g.GetStatus().GetReqId()); len(lines) != 1 || lines[0]["msg"] != "rpc" || lines[0]["method"] != "/clarifai.api.V2/MyScopesUser" || lines[0]["user"] != "admin" || lines[0]["code"] != 10000.0 {
		t.Errorf("gRPC call: lines %v", lines)
	}
	for id, want := range restIDs {
		lines := withReqID(recs, id)
		if len(lines) != 1 || lines[0]["msg"] != "http" || lines[0]["took"] == nil {
			t.Errorf("%s %s: lines %v; want one http line", want["method"], want["path"], lines)
			continue
		}
		for k, v := range want {
			if lines[0][k] != v {
				t.Errorf("%s %s: %s = %v, want %v (line %v)", want["method"], want["path"], k, lines[0][k], v, lines[0])
			}
		}
		if _, ok := want["user"]; !ok && lines[0]["user"] != nil {
			t.Errorf("%s: a user for an unauthenticated request: %v", want["path"], lines[0])
		}
	}
	count := func(match func(map[string]any) bool) int {
		n := 0
		for _, r := range recs {
			if match(r) {
				n++
			}
		}
		return n
	}
	if n := count(func(r map[string]any) bool {
		return r["msg"] == "rpc" && r["method"] == "/clarifai.api.V2/PostWorkflows" && r["grpc_code"] == "Unimplemented"
	}); n != 1 {
		t.Errorf("%d lines for the call of an undeclared gRPC method, want 1", n)
	}
	if n := count(func(r map[string]any) bool {
		return r["msg"] == "http" && r["route"] == "/healthz" && r["status"] == 200.0
	}); n != 1 {
		t.Errorf("%d lines for GET /healthz, want 1", n)
	}
	if n := count(func(r map[string]any) bool {
		return r["msg"] == "requests refused before any handler" && r["status"] == 400.0 && strings.Contains(r["reason"].(string), "malformed")
	}); n != 1 {
		t.Errorf("%d lines for the refused request, want 1", n)
	}
	// REST requests reach the gRPC service in-process: no rpc line of their own.
	if n := count(func(r map[string]any) bool { return r["msg"] == "rpc" && r["method"] == "/clarifai.api.V2/GetApp" }); n != 0 {
		t.Errorf("%d rpc lines for a REST request, want none", n)
	}
}

// TestOneLogLinePerRequestText checks the text format: one line per REST
// request, with the same fields.
func TestOneLogLinePerRequestText(t *testing.T) {
	logs := &logBuffer{}
	s := startServerLogging(t, logs)
	r := rest(t, s, "GET", "/v2/users/me/myscopes", s.pat, nil).want(t, 200, 10000)
	id := r.status()["req_id"].(string)
	for name := range r.hdr {
		if strings.Contains(strings.ToLower(name), "clavis") {
			t.Errorf("the gRPC call's header %s reached the REST client", name)
		}
	}
	var lines []string
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, id) {
			lines = append(lines, l)
		}
	}
	want := regexp.MustCompile(`^time=\S+ level=INFO msg=http method=GET path=/v2/users/me/myscopes route=/v2/users/\{user_app_id.user_id\}/myscopes status=200 rpc=/clarifai.api.V2/MyScopesUser code=10000 req_id=` + id + ` user=admin took=\S+$`)
	if len(lines) != 1 || !want.MatchString(lines[0]) {
		t.Errorf("lines with the req_id:\n%s\nwant one matching %s", strings.Join(lines, "\n"), want)
	}
}
