package main_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
	"google.golang.org/grpc/credentials/insecure"
	refpb "google.golang.org/grpc/reflection/grpc_reflection_v1"

	"google.golang.org/grpc"

	cmd "github.com/clavis-dev/clavis/cmd/clavis"
)

// restRoute is one REST binding of api/gateway.yaml.
type restRoute struct {
	selector, method, path string
	body                   bool
}

// gatewayRoutes reads every binding from api/gateway.yaml.
func gatewayRoutes(t *testing.T) []restRoute {
	t.Helper()
	raw, err := os.ReadFile("../../api/gateway.yaml")
	if err != nil {
		t.Fatal(err)
	}
	type binding struct {
		Get, Post, Put, Patch, Delete string
		Body                          string
		Additional                    []binding `yaml:"additional_bindings"`
	}
	var cfg struct {
		HTTP struct {
			Rules []struct {
				Selector string
				binding  `yaml:",inline"`
			}
		}
	}
	if err := yaml.Unmarshal(raw, &cfg); err != nil {
		t.Fatal(err)
	}
	var routes []restRoute
	add := func(sel string, b binding) {
		for m, p := range map[string]string{"GET": b.Get, "POST": b.Post, "PUT": b.Put, "PATCH": b.Patch, "DELETE": b.Delete} {
			if p != "" {
				routes = append(routes, restRoute{sel, m, p, b.Body != ""})
			}
		}
	}
	for _, r := range cfg.HTTP.Rules {
		add(r.Selector, r.binding)
		for _, b := range r.Additional {
			add(r.Selector, b)
		}
	}
	if len(routes) < 60 {
		t.Fatalf("only %d routes in api/gateway.yaml", len(routes))
	}
	return routes
}

// restResp is an HTTP response with its JSON body.
type restResp struct {
	code int
	hdr  http.Header
	raw  []byte
	body map[string]any
}

// statusCode returns body.status.code.
func (r restResp) statusCode() int {
	s, _ := r.body["status"].(map[string]any)
	c, _ := s["code"].(float64)
	return int(c)
}

func (r restResp) status() map[string]any { s, _ := r.body["status"].(map[string]any); return s }

// rest sends one request the way the Python REST client does: JSON body
// (also on DELETE), Content-Type application/json, Authorization: Key.
func rest(t *testing.T, s *testServer, method, path, token string, body any) restResp {
	t.Helper()
	return doREST(t, restRequest(t, s, method, path, token, body))
}

// restRequest is the request rest sends.
func restRequest(t *testing.T, s *testServer, method, path, token string, body any) *http.Request {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, "http://"+s.Addr()+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Clarifai-gRPC-Client", "python:11.11.0")
	if token != "" {
		req.Header.Set("Authorization", "Key "+token)
	}
	return req
}

func doREST(t *testing.T, req *http.Request) restResp {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	out := restResp{code: resp.StatusCode, hdr: resp.Header, raw: raw}
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("%s %s: Content-Type %q, body %s", req.Method, req.URL.Path, resp.Header.Get("Content-Type"), raw)
	}
	if err := json.Unmarshal(raw, &out.body); err != nil {
		t.Fatalf("%s %s: body is not JSON: %v: %s", req.Method, req.URL.Path, err, raw)
	}
	return out
}

// want fails unless the response has the HTTP status and in-band code.
func (r restResp) want(t *testing.T, httpCode, code int) restResp {
	t.Helper()
	if r.code != httpCode || r.statusCode() != code {
		t.Fatalf("HTTP %d, status %d; want HTTP %d, status %d; body %s", r.code, r.statusCode(), httpCode, code, r.raw)
	}
	if id, _ := r.status()["req_id"].(string); id == "" {
		t.Fatalf("no req_id in %s", r.raw)
	}
	return r
}

var pathVar = regexp.MustCompile(`\{[^}]+\}`)

// TestRESTEveryRouteRefusesWithoutToken: every route but revocation by
// value refuses a request without credentials.
func TestRESTEveryRouteRefusesWithoutToken(t *testing.T) {
	s := startServer(t)
	for _, r := range gatewayRoutes(t) {
		path := pathVar.ReplaceAllString(r.path, "x1")
		var body any
		if r.method != "GET" {
			body = "{}"
		}
		got := rest(t, s, r.method, path, "", body)
		if r.selector == "clavis.tokens.v1.Tokens.RevokeCredentials" {
			// Open to anyone holding a leaked token (TestRevokeByValue).
			if got.code != http.StatusAccepted {
				t.Errorf("%s without a token: HTTP %d %s, want 202", r.selector, got.code, got.raw)
			}
			continue
		}
		if got.code != http.StatusUnauthorized || got.statusCode() != 11102 || got.hdr.Get("WWW-Authenticate") == "" {
			t.Errorf("%s %s %s without a token: HTTP %d, body %s; want a 11102 refusal", r.selector, r.method, path, got.code, got.raw)
		}
	}
}

func TestRESTPythonClientFlow(t *testing.T) {
	s := startServer(t)
	me := map[string]any{"user_id": "me"}

	// PostApps: user_app_id in path and body; enum given by name; an
	// unknown field is ignored.
	apps := rest(t, s, "POST", "/v2/users/me/apps", s.pat, map[string]any{
		"user_app_id":   me,
		"apps":          []any{map[string]any{"id": "rest-app", "visibility": map[string]any{"gettable": "PUBLIC"}}},
		"no_such_field": 42,
	}).want(t, 200, 10000)
	app := apps.body["apps"].([]any)[0].(map[string]any)
	if app["id"] != "rest-app" || app["visibility"].(map[string]any)["gettable"] != float64(50) {
		t.Fatalf("app %v: want id rest-app and visibility.gettable 50 (a number)", app)
	}
	if _, ok := app["created_at"]; !ok {
		t.Fatalf("app %v lacks snake_case created_at", app)
	}

	// PostKeys: an app key for the new app.
	keys := rest(t, s, "POST", "/v2/users/me/keys", s.pat, map[string]any{
		"user_app_id": me,
		"keys": []any{map[string]any{"description": "rest key", "scopes": []string{"All"},
			"apps": []any{map[string]any{"id": "rest-app", "user_id": "me"}}}},
	}).want(t, 200, 10000)
	appKey := keys.body["keys"].([]any)[0].(map[string]any)["id"].(string)
	if !strings.HasPrefix(appKey, "clvk_") {
		t.Fatalf("PostKeys returned key id %q, want the token", appKey)
	}

	// ListKeys with Python's booleans and user_app_id also in the query.
	for _, q := range []string{"not_expired=True", "not_expired=False&user_app_id.user_id=me", "not_expired=tRuE&per_page=5"} {
		list := rest(t, s, "GET", "/v2/users/me/keys?"+q, s.pat, nil).want(t, 200, 10000)
		if n := len(list.body["keys"].([]any)); n < 2 {
			t.Fatalf("ListKeys?%s: %d keys, want the default PAT and the app key", q, n)
		}
	}
	rest(t, s, "GET", "/v2/users/me/keys?not_expired=maybe", s.pat, nil).want(t, 400, 11100)

	// A new user's empty lists are written, not left out.
	bob := s.newUser(t, "bob")
	empty := rest(t, s, "GET", "/v2/users/me/apps", bob, nil).want(t, 200, 10000)
	if l, ok := empty.body["apps"].([]any); !ok || len(l) != 0 {
		t.Fatalf("ListApps for a user without apps: %s, want \"apps\":[]", empty.raw)
	}

	// PostModelOutputs on clarifai/main with the image as base64.
	photo, err := os.ReadFile("../../../shared/testdata/images/fruits.jpg")
	if err != nil {
		t.Fatal(err)
	}
	predict := map[string]any{
		"user_app_id": map[string]any{"user_id": "clarifai", "app_id": "main"},
		"inputs":      []any{map[string]any{"data": map[string]any{"image": map[string]any{"base64": base64.StdEncoding.EncodeToString(photo)}}}},
	}
	out := rest(t, s, "POST", "/v2/users/clarifai/apps/main/models/color-recognition/outputs", bob, predict).want(t, 200, 10000)
	outputs, ok := out.body["outputs"].([]any)
	if !ok || len(outputs) != 1 {
		t.Fatalf("outputs: %s", out.raw)
	}
	o := outputs[0].(map[string]any)
	colors := o["data"].(map[string]any)["colors"].([]any)
	if len(colors) == 0 {
		t.Fatalf("no colors: %s", out.raw)
	}
	c0 := colors[0].(map[string]any)
	if hex, _ := c0["raw_hex"].(string); len(hex) != 7 || hex[0] != '#' {
		t.Fatalf("color %v: want raw_hex #rrggbb", c0)
	}
	if _, ok := c0["value"].(float64); !ok {
		t.Fatalf("color %v: want a numeric value", c0)
	}
	model := o["model"].(map[string]any)
	if model["id"] != "color-recognition" || model["app_id"] != "main" {
		t.Fatalf("model %v", model)
	}
	if _, ok := model["visibility"].(map[string]any)["gettable"].(float64); !ok {
		t.Fatalf("model visibility %v: want gettable as a number", model["visibility"])
	}
	if _, ok := o["status"].(map[string]any)["code"].(float64); !ok {
		t.Fatalf("output status %v", o["status"])
	}
	for _, camel := range []string{"rawHex", "userAppId", "createdAt", "appId"} {
		if bytes.Contains(out.raw, []byte(`"`+camel+`"`)) {
			t.Fatalf("response has camelCase %q: %s", camel, out.raw)
		}
	}

	// The short app-key forms.
	got := rest(t, s, "GET", "/v2/app", appKey, nil).want(t, 200, 10000)
	if got.body["app"].(map[string]any)["id"] != "rest-app" {
		t.Fatalf("GET /v2/app: %s", got.raw)
	}
	for _, p := range []string{"/v2/myscopes", "/v2/my_scopes"} {
		sc := rest(t, s, "GET", p, appKey, nil).want(t, 200, 10000)
		if _, ok := sc.body["scopes"].([]any); !ok {
			t.Fatalf("GET %s: %s", p, sc.raw)
		}
	}
	rest(t, s, "GET", "/v2/users/me/apps/rest-app/myscopes?user_app_id.app_id=rest-app", s.pat, nil).want(t, 200, 10000)

	// DeleteKey with a JSON body, as the Python client sends it; then the key
	// is refused with Clarifai's exact description.
	rest(t, s, "DELETE", "/v2/users/me/keys/"+appKey, s.pat, map[string]any{"user_app_id": me}).want(t, 200, 10000)
	gone := rest(t, s, "GET", "/v2/app", appKey, nil).want(t, 401, 11008)
	if d := gone.status()["description"]; d != "Invalid API key or Invalid API key/application pair" {
		t.Fatalf("description %q", d)
	}

	// Refusals and errors and their HTTP statuses.
	rest(t, s, "GET", "/v2/users/me/keys", "clvp_bogus", nil).want(t, 401, 11008)
	rest(t, s, "GET", "/v2/users/clarifai/apps/main/models/no-such-model", bob, nil).want(t, 404, 21200)
	rest(t, s, "GET", "/v2/users/me/apps/no-such-app", bob, nil).want(t, 404, 11101)
	rest(t, s, "POST", "/v2/users/me/apps", bob, map[string]any{"apps": []any{map[string]any{"id": "rest-app"}}}).want(t, 200, 10000)
	rest(t, s, "POST", "/v2/users/me/apps", bob, map[string]any{"apps": []any{map[string]any{"id": "rest-app"}}}).want(t, 409, 40010)
	rest(t, s, "GET", "/v2/users/me/inputs", bob, nil).want(t, 404, 11101) // no such route: inputs live in apps
	rest(t, s, "GET", "/v2/users/me/apps/rest-app/inputs", bob, nil).want(t, 200, 10000)
}

func TestRESTBadRequests(t *testing.T) {
	s := startServer(t)
	malformed := rest(t, s, "POST", "/v2/users/me/apps", s.pat, `{"apps":[{"id":`).want(t, 400, 11100)
	if d, _ := malformed.status()["description"].(string); d == "" {
		t.Fatalf("no description: %s", malformed.raw)
	}
	rest(t, s, "POST", "/v2/users/me/apps", s.pat, `{"apps":"not a list"}`).want(t, 400, 11100)
	// Bytes fields are base64 in JSON; text that is not is undecodable input.
	b64 := rest(t, s, "POST", "/v2/models/color-recognition/outputs", s.pat,
		`{"user_app_id":{"user_id":"clarifai","app_id":"main"},"inputs":[{"data":{"image":{"base64":"!!! not base64 !!!"}}}]}`).want(t, 400, 30300)
	if d, _ := b64.status()["details"].(string); !strings.Contains(d, "base64") {
		t.Fatalf("details %q should say base64", d)
	}
	rest(t, s, "PUT", "/v2/users/me/apps", s.pat, "{}").want(t, 405, 11103)
	rest(t, s, "PUT", "/v2/models", s.pat, "{}").want(t, 405, 11103)
	nf := rest(t, s, "GET", "/v2/nowhere/clvp_secretsecret", s.pat, nil).want(t, 404, 11101)
	if bytes.Contains(nf.raw, []byte("secretsecret")) {
		t.Fatalf("404 echoes a token: %s", nf.raw)
	}
	rest(t, s, "GET", "/v2/favicon.ico", "", nil).want(t, 404, 11101) // paths outside /v2 are the portal's

	// user_app_id in the path and body/query must agree.
	body := map[string]any{"user_app_id": map[string]any{"user_id": "clarifai", "app_id": "other"}, "inputs": []any{}}
	dis := rest(t, s, "POST", "/v2/users/clarifai/apps/main/models/color-recognition/outputs", s.pat, body).want(t, 400, 11102)
	if d, _ := dis.status()["details"].(string); !strings.Contains(d, "user_app_id.app_id") {
		t.Fatalf("details %q should name the field", d)
	}
	rest(t, s, "GET", "/v2/users/me/apps/main?user_app_id.user_id=someone", s.pat, nil).want(t, 400, 11102)
	rest(t, s, "POST", "/v2/users/me/apps", s.pat, map[string]any{"userAppId": map[string]any{"userId": "bob"}, "apps": []any{}}).want(t, 400, 11102)

	// Content types.
	req, _ := http.NewRequest("POST", "http://"+s.Addr()+"/v2/users/me/apps", strings.NewReader("<apps/>"))
	req.Header.Set("Content-Type", "text/xml")
	req.Header.Set("Authorization", "Key "+s.pat)
	doREST(t, req).want(t, 415, 11100)

	// Over 128 MB, announced by Content-Length.
	req, _ = http.NewRequest("POST", "http://"+s.Addr()+"/v2/inputs", io.LimitReader(zeros{}, 129<<20))
	req.ContentLength = 129 << 20
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err == nil {
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 413 || jsonCode(raw) != 40033 {
			t.Fatalf("huge body: HTTP %d %s", resp.StatusCode, raw)
		}
	} else {
		t.Logf("huge body: the server closed the connection while the client still sent: %v", err)
	}

	// Over 128 MB, streamed without a length.
	big := io.MultiReader(strings.NewReader(`{"inputs":[],"x":"`), io.LimitReader(letters{}, 129<<20), strings.NewReader(`"}`))
	req, _ = http.NewRequest("POST", "http://"+s.Addr()+"/v2/inputs", big)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Key "+s.pat)
	resp, err = http.DefaultClient.Do(req)
	if err == nil {
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 413 || jsonCode(raw) != 40033 {
			t.Fatalf("huge streamed body: HTTP %d %s", resp.StatusCode, raw)
		}
	} else {
		t.Logf("huge streamed body: the server closed the connection while the client still sent: %v", err)
	}
}

// jsonCode returns status.code of a JSON body (protojson varies its
// spacing, so bodies are parsed, not compared as bytes).
func jsonCode(raw []byte) int {
	var b struct {
		Status struct {
			Code int `json:"code"`
		} `json:"status"`
	}
	json.Unmarshal(raw, &b)
	return b.Status.Code
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

type letters struct{}

func (letters) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'a'
	}
	return len(p), nil
}

func TestRESTOpenAPI(t *testing.T) {
	s := startServer(t)
	doc := rest(t, s, "GET", "/v2/openapi.json", "", nil)
	if doc.code != 200 || doc.body["swagger"] != "2.0" {
		t.Fatalf("openapi: HTTP %d %.200s", doc.code, doc.raw)
	}
	if info, _ := doc.body["info"].(map[string]any); info["title"] != "Clavis API" {
		t.Errorf("openapi info = %v, want the title Clavis API", doc.body["info"])
	}
	key, _ := doc.body["securityDefinitions"].(map[string]any)["Key"].(map[string]any)
	if key["type"] != "apiKey" || key["in"] != "header" || key["name"] != "Authorization" {
		t.Errorf("openapi securityDefinitions = %v, want the Key scheme in the Authorization header", doc.body["securityDefinitions"])
	}
	paths := doc.body["paths"].(map[string]any)
	for _, p := range []string{"/v2/models/{model_id}/outputs", "/v2/users/{user_app_id.user_id}/keys", "/v2/myscopes", "/v2/admin/users"} {
		if _, ok := paths[p]; !ok {
			t.Errorf("openapi.json lacks %s", p)
		}
	}
}

func TestGRPCReflection(t *testing.T) {
	s := startServer(t)
	conn, err := grpc.NewClient(s.Addr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	stream, err := refpb.NewServerReflectionClient(conn).ServerReflectionInfo(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(&refpb.ServerReflectionRequest{MessageRequest: &refpb.ServerReflectionRequest_ListServices{}}); err != nil {
		t.Fatal(err)
	}
	resp, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, sv := range resp.GetListServicesResponse().GetService() {
		names = append(names, sv.GetName())
	}
	for _, want := range []string{"clarifai.api.V2", "grpc.health.v1.Health", "clavis.admin.v1.Admin"} {
		if !strings.Contains(" "+strings.Join(names, " ")+" ", " "+want+" ") {
			t.Errorf("reflection lists %v, want %s", names, want)
		}
	}
	// The descriptor of V2 resolves too (grpcurl describe).
	if err := stream.Send(&refpb.ServerReflectionRequest{MessageRequest: &refpb.ServerReflectionRequest_FileContainingSymbol{FileContainingSymbol: "clarifai.api.V2"}}); err != nil {
		t.Fatal(err)
	}
	fr, err := stream.Recv()
	if err != nil || len(fr.GetFileDescriptorResponse().GetFileDescriptorProto()) == 0 {
		t.Fatalf("file containing clarifai.api.V2: %v %v", fr, err)
	}
}

// TestRESTOverTLS calls REST over the TLS listener, on HTTP/2 and HTTP/1.1.
func TestRESTOverTLS(t *testing.T) {
	s := startServer(t, func(c *cmd.Config) { c.TLSAddr = "127.0.0.1:0"; c.TLSSelfSigned = true })
	pemBytes, err := os.ReadFile(s.TLSCertFile)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pemBytes)
	port := s.TLSAddr()[strings.LastIndexByte(s.TLSAddr(), ':'):]
	for _, h2 := range []bool{true, false} {
		tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}, ForceAttemptHTTP2: h2}
		if !h2 {
			tr.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
		}
		req, _ := http.NewRequest("GET", "https://localhost"+port+"/v2/users/me/apps", nil)
		req.Header.Set("Authorization", "Key "+s.pat)
		resp, err := (&http.Client{Transport: tr}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || (resp.ProtoMajor == 2) != h2 || jsonCode(raw) != 10000 {
			t.Fatalf("REST over TLS (HTTP/2 %v): %s %d %s", h2, resp.Proto, resp.StatusCode, raw)
		}
		tr.CloseIdleConnections()
	}
}
