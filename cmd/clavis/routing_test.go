package main_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	cmd "github.com/clavis-dev/clavis/cmd/clavis"
	"github.com/clavis-dev/clavis/internal/gateway/bindings"
)

// sameShape lists the paths that Clarifai's service.proto binds to two
// methods (with the variables' names dropped), and the method that takes
// them: the one named after the HTTP method. Any other such pair in a new
// version of the table fails TestRESTClarifaiBindings, to be looked at.
var sameShape = map[string]string{
	"GET /v2/pipelines": "ListPipelines", // PostPipelines binds it too
	"GET /v2/users/{}/compute_clusters/{}/nodepools/{}/runners/{}/{}/logs":     "ListLogEntries", // and StreamLogEntries
	"GET /v2/users/{}/compute_clusters/{}/{}/nodepools/{}/versions/{}/{}/logs": "ListLogEntries",
	"POST /v2/users/{}/compute_clusters/{}/nodepools/{}/runners":               "PostRunners", // and PatchRunners
}

// unserved lists the bindings of methods Clavis declares that api/gateway.yaml
// leaves out, which answer 501 naming the method: Clavis has no deployments.
var unserved = map[string]bool{
	"PostModelOutputs POST /v2/users/{runner_selector.deployment.user_id}/deployments/{runner_selector.deployment.id}/outputs": true,
}

var anyVar = regexp.MustCompile(`\{[^}]*\}`)

// TestRESTClarifaiBindings calls every HTTP binding of Clarifai's V2
// service, without credentials, and checks that the answer comes from the
// binding's own method: for one Clavis serves there, that method's refusal
// (401, 11102), which the request's one log line names; for any other, 501
// naming exactly that method. No path is taken by a neighbouring route.
func TestRESTClarifaiBindings(t *testing.T) {
	logs := &logBuffer{}
	s := startServerLogging(t, logs, func(c *cmd.Config) { c.LogFormat = "json" })
	served := map[string]bool{}
	for _, r := range gatewayRoutes(t) {
		if m, ok := strings.CutPrefix(r.selector, "clarifai.api.V2."); ok {
			served[m+" "+r.method+" "+r.path] = true
		}
	}
	rows := bindings.Clarifai()
	if len(rows) < 400 {
		t.Fatalf("only %d bindings in the table", len(rows))
	}

	// Which method takes each path of a shape bound twice.
	methods := map[string]map[string]bool{}
	for _, b := range rows {
		k := b.Verb + " " + anyVar.ReplaceAllString(b.Path, "{}")
		if methods[k] == nil {
			methods[k] = map[string]bool{}
		}
		methods[k][b.Method] = true
	}
	for k, ms := range methods {
		if w, known := sameShape[k]; len(ms) > 1 && (!known || !ms[w]) || len(ms) == 1 && known {
			t.Errorf("%s is bound to %v; sameShape says %q", k, ms, w)
		}
	}

	var missing []string
	for _, b := range rows {
		key := b.Method + " " + b.Verb + " " + b.Path
		if declared(b.Method) && !served[key] && !unserved[key] {
			missing = append(missing, key)
		}
		want := b.Method
		if w, ok := sameShape[b.Verb+" "+anyVar.ReplaceAllString(b.Path, "{}")]; ok {
			want = w
		}
		path := anyVar.ReplaceAllString(b.Path, "x1")
		var body any
		if b.Body != "" {
			body = "{}"
		}
		got := rest(t, s, b.Verb, path, "", body)
		id, _ := got.status()["req_id"].(string)
		if served[want+" "+b.Verb+" "+b.Path] {
			if got.code != http.StatusUnauthorized || got.statusCode() != 11102 {
				t.Errorf("%s: %s %s: HTTP %d, %s; want %s's 401 11102 refusal", b.Method, b.Verb, path, got.code, got.raw, want)
				continue
			}
			lines := withReqID(logs.records(t), id)
			if len(lines) != 1 || lines[0]["rpc"] != "/clarifai.api.V2/"+want {
				t.Errorf("%s: %s %s: log lines %v; want one naming rpc /clarifai.api.V2/%s", b.Method, b.Verb, path, lines, want)
			}
			continue
		}
		details, _ := got.status()["details"].(string)
		if got.code != http.StatusNotImplemented || got.statusCode() != 10040 || !strings.HasPrefix(details, want+" is not implemented") {
			t.Errorf("%s: %s %s: HTTP %d, %s; want 501 10040 naming %s", b.Method, b.Verb, path, got.code, got.raw, want)
		}
	}
	if len(missing) > 0 {
		t.Errorf("bindings of methods Clavis declares, missing from api/gateway.yaml (add them, or to unserved with the reason):\n%s", strings.Join(missing, "\n"))
	}
}

// TestRESTRoutePrecedence pins the cases that were taken by the wrong
// route: a literal segment wins over a variable; a path bound to nothing
// stays 404.
func TestRESTRoutePrecedence(t *testing.T) {
	s := startServer(t)
	for _, c := range []struct {
		method, path string
		code         int
		rpc          string // named in the details of a 501
	}{
		{"GET", "/v2/models/types", 501, "ListModelTypes"},
		{"GET", "/v2/users/me/apps/main/models/types", 501, "ListModelTypes"},
		{"POST", "/v2/users/me/apps/main/models/searches", 501, "PostModelsSearches"},
		{"POST", "/v2/models/searches", 501, "PostModelsSearches"},
		{"GET", "/v2/no/such/path", 404, ""},
		{"GET", "/v2/models/general-image-recognition", 401, ""},
	} {
		got := rest(t, s, c.method, c.path, "", nil)
		details, _ := got.status()["details"].(string)
		if got.code != c.code || c.rpc != "" && !strings.HasPrefix(details, c.rpc+" is not implemented") {
			t.Errorf("%s %s: HTTP %d, %s; want %d %s", c.method, c.path, got.code, got.raw, c.code, c.rpc)
		}
	}
}

// declared reports whether our protos declare the V2 method.
func declared(method string) bool {
	return pb.File_clarifai_api_service_proto.Services().ByName("V2").Methods().ByName(protoreflect.Name(method)) != nil
}
