package bindings_test

import (
	"bytes"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/clavis-dev/clavis/internal/gateway/bindings"
)

const tableFile = "clarifai-http-bindings.tsv"

const sample = `syntax = "proto3";
package clarifai.api;

service Other {
  rpc Nope (A) returns (B) { option (google.api.http) = { get: "/v2/nope" }; }
}

// A comment with get: "/v2/not/a/binding" in it.
service V2 {
  /* rpc Hidden (A) returns (B); */
  rpc ListThings (A) returns (B) {
    option (google.api.http) = {
      // The primary binding.
      get: "/v2/users/{user_app_id.user_id}/apps/{user_app_id.app_id}/things"
      additional_bindings {
        get: "/v2/things"
      }
    };
    option (clarifai.auth.util.cl_auth_type) = KeyAuth;
  }
  rpc NoHTTP (A) returns (B);
  rpc PostThings (A) returns (stream B) {
    option (google.api.http) = {
      post: "/v2/things"
      body: "*"
      additional_bindings { patch: "/v2/things/{thing.id=*}" body: "thing" }
    };
  }
}
`

func TestExtract(t *testing.T) {
	got, err := bindings.Extract(sample, "V2")
	if err != nil {
		t.Fatal(err)
	}
	want := []bindings.Binding{
		{Method: "ListThings", Verb: "GET", Path: "/v2/users/{user_app_id.user_id}/apps/{user_app_id.app_id}/things"},
		{Method: "ListThings", Verb: "GET", Path: "/v2/things"},
		{Method: "PostThings", Verb: "POST", Path: "/v2/things", Body: "*"},
		{Method: "PostThings", Verb: "PATCH", Path: "/v2/things/{thing.id=*}", Body: "thing"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Extract:\n got %v\nwant %v", got, want)
	}
}

func TestExtractRefuses(t *testing.T) {
	for name, src := range map[string]string{
		"NoService":     `service Other {}`,
		"Custom":        `service V2 { rpc A (B) returns (C) { option (google.api.http) = { custom { kind: "HEAD" path: "/v2/a" } }; } }`,
		"TwoVerbs":      `service V2 { rpc A (B) returns (C) { option (google.api.http) = { get: "/v2/a" post: "/v2/a" }; } }`,
		"NoPath":        `service V2 { rpc A (B) returns (C) { option (google.api.http) = { body: "*" }; } }`,
		"Wildcard":      `service V2 { rpc A (B) returns (C) { option (google.api.http) = { get: "/v2/{name=**}" }; } }`,
		"Unclosed":      `service V2 { rpc A (B) returns (C) { option (google.api.http) = { get: "/v2/a"`,
		"OpenString":    `service V2 { rpc A (B) returns (C) { option (google.api.http) = { get: "/v2/a }; } }`,
		"OpenComment":   `service V2 { /* rpc A (B) returns (C); }`,
		"NotAString":    `service V2 { rpc A (B) returns (C) { option (google.api.http) = { get: v2 }; } }`,
		"OutsideAnRPC":  `service V2 { option (google.api.http) = { get: "/v2/a" }; }`,
		"CustomVerb":    `service V2 { rpc A (B) returns (C) { option (google.api.http) = { get: "/v2/a:search" }; } }`,
		"RelativePath":  `service V2 { rpc A (B) returns (C) { option (google.api.http) = { get: "v2/a" }; } }`,
		"EmptySegment":  `service V2 { rpc A (B) returns (C) { option (google.api.http) = { get: "/v2//a" }; } }`,
		"EmptyVariable": `service V2 { rpc A (B) returns (C) { option (google.api.http) = { get: "/v2/{}" }; } }`,
	} {
		if bs, err := bindings.Extract(src, "V2"); err == nil {
			t.Errorf("%s: Extract = %v, want an error", name, bs)
		}
	}
}

// TestTable checks that the committed table reads back to itself.
func TestTable(t *testing.T) {
	raw, err := os.ReadFile(tableFile)
	if err != nil {
		t.Fatal(err)
	}
	bs := bindings.Clarifai()
	if len(bs) < 400 {
		t.Fatalf("%d bindings in the table", len(bs))
	}
	var buf bytes.Buffer
	if err := bindings.WriteTable(&buf, bs); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), raw) {
		t.Errorf("the table does not read back to itself")
	}
	for _, bad := range []string{"", "method\n", bindings.TableHeader + "\nA\tGET\t/v2/a\n", bindings.TableHeader + "\nA\tHEAD\t/v2/a\t\n", bindings.TableHeader + "\nA\tGET\tv2\t\n"} {
		if _, err := bindings.ReadTable(strings.NewReader(bad)); err == nil && bad != "" {
			t.Errorf("ReadTable(%q) succeeded", bad)
		}
	}
}

// TestTableIsExtracted checks that the committed table is what the
// extractor makes of Clarifai's service.proto, when CLARIFAI_SERVICE_PROTO
// names that file: `make check-bindings` fetches it and runs this test.
func TestTableIsExtracted(t *testing.T) {
	path := os.Getenv("CLARIFAI_SERVICE_PROTO")
	if path == "" {
		t.Skip("CLARIFAI_SERVICE_PROTO is not set: run `make check-bindings`")
	}
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	bs, err := bindings.Extract(string(src), "V2")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := bindings.WriteTable(&buf, bs); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(tableFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), raw) {
		t.Errorf("%s differs from what the extractor makes of %s: run `make bindings` and commit the result", tableFile, path)
	}
}

func TestTemplate(t *testing.T) {
	mustParse := func(s string) bindings.Template {
		tm, err := bindings.ParseTemplate(s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	model := mustParse("/v2/models/{model_id}")
	types := mustParse("/v2/models/types")
	for _, c := range []struct {
		t    bindings.Template
		path string
		want bool
	}{
		{model, "/v2/models/m1", true},
		{model, "/v2/models/types", true},
		{model, "/v2/models/m%2F1", true},
		{model, "/v2/models/", false},
		{model, "/v2/models", false},
		{model, "/v2/models/m1/versions", false},
		{model, "v2/models/m1", false},
		{types, "/v2/models/types", true},
		{types, "/v2/models/typesx", false},
	} {
		if got := c.t.Match(c.path); got != c.want {
			t.Errorf("%s.Match(%q) = %v", c.t, c.path, got)
		}
	}
	if !types.MoreSpecific(model) || model.MoreSpecific(types) || model.MoreSpecific(mustParse("/v2/models/{id}")) {
		t.Errorf("MoreSpecific: a literal must win over a variable, and neither of one shape")
	}
	user := mustParse("/v2/users/{user_id}/apps/searches")
	app := mustParse("/v2/users/{user_id}/apps/{app_id}")
	if !user.MoreSpecific(app) || app.MoreSpecific(user) {
		t.Errorf("MoreSpecific: the first differing segment decides")
	}
	if !user.Overlaps(app) || types.Overlaps(mustParse("/v2/models/searches")) || model.Overlaps(app) {
		t.Errorf("Overlaps: same length and equal literals where both have one")
	}
	if got := app.Expand(func(n string) string { return n + "!" }); got != "/v2/users/user_id!/apps/app_id!" {
		t.Errorf("Expand = %q", got)
	}
}
