package main_test

import (
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	cmd "github.com/clavis-dev/clavis/cmd/clavis"
)

// oneJSON returns the one JSON object s holds, failing the test if s holds
// anything else: nothing, two documents, or prose around one.
func oneJSON(t *testing.T, what, s string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("%s: stdout is not a JSON object (%v):\n%s", what, err, s)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		t.Fatalf("%s: stdout holds more than one JSON document:\n%s", what, s)
	}
	return doc
}

// TestJSON runs every command that takes --json with it, in an order that
// makes each succeed, and checks that standard output holds exactly one
// JSON document and nothing else. A command with --json missing here fails
// the test.
func TestJSON(t *testing.T) {
	s := startServer(t)
	c := newCLI(t, s)
	img := filepath.Join(t.TempDir(), "two-colors.png")
	if err := os.WriteFile(img, twoColors(t), 0o600); err != nil {
		t.Fatal(err)
	}
	var pat, key string // tokens from create, for update and delete
	var input string    // the id inputs add gave
	steps := []struct {
		cmd  string // the command's path
		args func() []string
		// check, if set, looks further into the document.
		check func(doc map[string]any) bool
	}{
		{"login", func() []string { return []string{"--addr", s.Addr(), "--pat", s.pat} }, hasKey("user")},
		{"whoami", nil, func(d map[string]any) bool { return d["user"] != nil && d["scopes"] != nil }},
		{"scopes", nil, func(d map[string]any) bool { return d["scope_deps"] != nil && d["scopes"] != nil }},
		{"models list", nil, hasKey("models")},
		{"models get", func() []string { return []string{"color-recognition"} }, hasKey("model")},
		{"predict", func() []string { return []string{"--model", "color-recognition", img} }, hasKey("outputs")},
		{"pat create", func() []string { return []string{"--description", "ci", "--scopes", "Predict"} }, func(d map[string]any) bool {
			pat = firstKeyID(d)
			return strings.HasPrefix(pat, "clvp_")
		}},
		{"pat list", nil, hasKey("keys")},
		{"pat update", func() []string { return []string{pat, "--description", "renamed"} }, hasKey("keys")},
		{"pat rotate", func() []string { return []string{pat, "--grace", "1h"} }, func(d map[string]any) bool {
			old := pat
			pat = rotatedID(d)
			return strings.HasPrefix(pat, "clvp_") && pat != old
		}},
		{"pat delete", func() []string { return []string{pat} }, nil},
		{"app create", func() []string { return []string{"photos"} }, hasKey("apps")},
		{"app list", nil, hasKey("apps")},
		{"app visibility", func() []string { return []string{"public", "photos"} }, hasKey("app")},
		{"inputs add", func() []string { return []string{"--app", "photos", "--label", "red", img} }, func(d map[string]any) bool {
			ins, _ := d["inputs"].([]any)
			if len(ins) != 1 {
				return false
			}
			input, _ = ins[0].(map[string]any)["id"].(string)
			return input != ""
		}},
		{"inputs list", func() []string { return []string{"--app", "photos"} }, hasKey("inputs")},
		{"inputs get", func() []string { return []string{"--app", "photos", input} }, hasKey("input")},
		{"concepts list", func() []string { return []string{"--app", "photos"} }, hasKey("concepts")},
		{"inputs search", func() []string { return []string{"--app", "photos", "--concept", "red"} }, func(d map[string]any) bool {
			hits, _ := d["hits"].([]any)
			return len(hits) == 1
		}},
		{"inputs delete", func() []string { return []string{"--app", "photos", "--all"} }, nil},
		{"key create", func() []string { return []string{"--app", "photos", "--scopes", "Apps:Get"} }, func(d map[string]any) bool {
			key = firstKeyID(d)
			return strings.HasPrefix(key, "clvk_")
		}},
		{"key list", func() []string { return []string{"--app", "photos"} }, hasKey("keys")},
		{"key rotate", func() []string { return []string{key} }, func(d map[string]any) bool {
			old := key
			key = rotatedID(d)
			return strings.HasPrefix(key, "clvk_") && key != old
		}},
		{"users keys", nil, hasKey("keys")},
		{"key delete", func() []string { return []string{key} }, nil},
		{"users create", func() []string { return []string{"--id", "bob", "--email", "bob@example.com"} }, hasKey("default_pat")},
		{"users list", nil, hasKey("users")},
		{"users disable", func() []string { return []string{"bob"} }, nil},
		{"users enable", func() []string { return []string{"bob"} }, nil},
		{"users revoke-keys", func() []string { return []string{"--user", "bob"} }, func(d map[string]any) bool { return d["revoked"] == 1.0 }},
		// The password comes on standard input; later commands read none.
		{"users passwd", func() []string { c.stdin = "bob's new password\n"; return []string{"bob"} }, hasKey("user")},
		{"collab add", func() []string { return []string{"--app", "photos", "--scopes", "Apps:Get", "bob"} }, hasKey("collaborators")},
		{"collab list", func() []string { return []string{"--app", "photos"} }, hasKey("collaborators")},
		{"collab update", func() []string { return []string{"--app", "photos", "--scopes", "Apps:Get,Models:Get", "bob"} }, nil},
		{"collab remove", func() []string { return []string{"--app", "photos", "bob"} }, nil},
		{"org create", func() []string { return []string{"acme"} }, nil},
		{"org list", nil, hasKey("orgs")},
		{"org member add", func() []string { return []string{"acme", "bob", "--role", "admin"} }, hasKey("member")},
		{"org member list", func() []string { return []string{"acme"} }, hasKey("members")},
		{"org team put", func() []string { return []string{"acme", "vision", "--scopes", "Predict", "--members", "bob"} }, hasKey("team")},
		{"org team list", func() []string { return []string{"acme"} }, hasKey("teams")},
		{"org policy set", func() []string { return []string{"acme", "--pat-max-lifetime", "720h"} }, hasKey("policy")},
		{"org policy show", func() []string { return []string{"acme"} }, hasKey("policy")},
		{"org team delete", func() []string { return []string{"acme", "vision"} }, nil},
		{"org member remove", func() []string { return []string{"acme", "bob"} }, nil},
		{"org delete", func() []string { return []string{"acme"} }, nil},
		{"users delete", func() []string { return []string{"bob"} }, nil},
		{"app delete", func() []string { return []string{"photos"} }, nil},
		{"audit", nil, func(d map[string]any) bool { e, _ := d["entries"].([]any); return len(e) > 0 }},
		{"logout", nil, func(d map[string]any) bool { return d["removed"] == true }},
		{"version", nil, hasKey("commit")},
	}
	// bench prints its table, not a server's answer; TestBenchTable reads
	// its --json document.
	ran := map[string]bool{"bench": true}
	for _, step := range steps {
		ran[step.cmd] = true
		args := strings.Fields(step.cmd)
		if step.args != nil {
			args = append(args, step.args()...)
		}
		code, out, errOut := c.run(append(args, "--json")...)
		if code != 0 {
			t.Fatalf("%s --json: exit %d, stderr %q", step.cmd, code, errOut)
		}
		doc := oneJSON(t, step.cmd, out)
		if st, ok := doc["status"].(map[string]any); step.cmd != "logout" && step.cmd != "version" && (!ok || st["code"] != 10000.0) {
			t.Errorf("%s --json: status %v, want code 10000", step.cmd, doc["status"])
		}
		if step.check != nil && !step.check(doc) {
			t.Errorf("%s --json: unexpected document:\n%s", step.cmd, out)
		}
	}
	for _, path := range cmd.Commands() {
		if _, out, _ := runClean(t, append(strings.Fields(path), "--help")...); strings.Contains(out, "--json") && !ran[path] {
			t.Errorf("%s takes --json but TestJSON does not run it", path)
		}
	}
}

// TestJSONFailure checks that a command that fails with --json still
// prints exactly one document, the server's answer, and says why on
// stderr in one line.
func TestJSONFailure(t *testing.T) {
	s := startServer(t)
	c := newCLI(t, s)
	notImage := filepath.Join(t.TempDir(), "not-an-image.txt")
	if err := os.WriteFile(notImage, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args       []string
		code       float64 // the status code in the document
		stderrLine string
	}{
		{[]string{"app", "get-me", "--json"}, 0, ""}, // a usage error: nothing on stdout
		{[]string{"predict", "--model", "nope", notImage, "--json"}, 21200, "Model does not exist (21200 MODEL_DOES_NOT_EXIST)"},
		{[]string{"predict", "--model", "color-recognition", notImage, "--json"}, 30300, notImage + ": Invalid image bytes (30300"},
		{[]string{"models", "get", "nope", "--json"}, 21200, "Model does not exist"},
		{[]string{"app", "list", "--owner", "clarifai", "--json"}, 11101, "(11101 CONN_DOES_NOT_EXIST)"},
	} {
		code, out, errOut := c.run(tc.args...)
		if tc.code == 0 {
			if code != 2 || out != "" {
				t.Errorf("%q: exit %d, stdout %q", tc.args, code, out)
			}
			continue
		}
		if code != 1 || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, tc.stderrLine) {
			t.Errorf("%q: exit %d, stderr %q; want exit 1 and one line with %q", tc.args, code, errOut, tc.stderrLine)
		}
		doc := oneJSON(t, strings.Join(tc.args, " "), out)
		if got := doc["status"].(map[string]any)["code"]; got != tc.code {
			t.Errorf("%q: status code %v, want %v", tc.args, got, tc.code)
		}
	}
}

func hasKey(k string) func(map[string]any) bool {
	return func(d map[string]any) bool { return d[k] != nil }
}

// firstKeyID returns keys[0].id of a MultiKeyResponse document: the token,
// in PostKeys's answer.
func firstKeyID(d map[string]any) string {
	keys, _ := d["keys"].([]any)
	if len(keys) == 0 {
		return ""
	}
	id, _ := keys[0].(map[string]any)["id"].(string)
	return id
}

// rotatedID is the new key's id in a rotation's document.
func rotatedID(d map[string]any) string {
	k, _ := d["key"].(map[string]any)
	id, _ := k["id"].(string)
	return id
}
