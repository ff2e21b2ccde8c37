package main_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	cmd "github.com/clavis-dev/clavis/cmd/clavis"
	"github.com/clavis-dev/clavis/internal/inference/modeltest"
)

// cli runs the clavis command line in-process with its own config dir and
// environment, and returns exit code, stdout and stderr.
type cli struct {
	t     *testing.T
	env   map[string]string
	stdin string
}

func newCLI(t *testing.T, s *testServer) *cli {
	return &cli{t: t, env: map[string]string{"XDG_CONFIG_HOME": t.TempDir(), "CLAVIS_ADDR": s.Addr(), "CLAVIS_PAT": s.pat}}
}

func (c *cli) run(args ...string) (int, string, string) {
	c.t.Helper()
	for k, v := range c.env {
		c.t.Setenv(k, v)
	}
	var out, errOut bytes.Buffer
	code := cmd.Run(context.Background(), args, strings.NewReader(c.stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

func TestCLI(t *testing.T) {
	s := startServer(t)
	c := newCLI(t, s)

	code, out, _ := c.run("whoami")
	if code != 0 || !strings.Contains(out, "admin") || !strings.Contains(out, "All") {
		t.Fatalf("whoami: %d %q", code, out)
	}
	code, out, errOut := c.run("users", "create", "--id", "bob", "--email", "bob@example.com")
	bobPAT := lastLine(out)
	if code != 0 || !strings.HasPrefix(bobPAT, "clvp_") {
		t.Fatalf("users create: %d %q %q", code, out, errOut)
	}

	// bob logs in; with CLAVIS_PAT unset, the saved login is used from then
	// on (the environment would win over it).
	c.env["CLAVIS_PAT"] = ""
	code, out, errOut = c.run("login", "--addr", s.Addr(), "--pat", bobPAT)
	if code != 0 || !strings.Contains(out, "as bob") {
		t.Fatalf("login: %d %q %q", code, out, errOut)
	}
	cfg, err := os.Stat(filepath.Join(c.env["XDG_CONFIG_HOME"], "clavis", "config.json"))
	if err != nil || cfg.Mode().Perm() != 0o600 {
		t.Fatalf("saved login: %v %v", err, cfg.Mode())
	}
	if code, out, _ = c.run("whoami"); code != 0 || !strings.Contains(out, "bob") {
		t.Fatalf("whoami after login: %q", out)
	}
	if code, out, errOut = c.run("app", "create", "photos", "--description", "mine"); code != 0 {
		t.Fatalf("app create: %d %q", code, errOut)
	}
	code, key, errOut := c.run("key", "create", "--app", "photos", "--scopes", "Apps:Get")
	if code != 0 || !strings.HasPrefix(strings.TrimSpace(key), "clvk_") || !strings.Contains(errOut, "not shown again") {
		t.Fatalf("key create: %d %q %q", code, key, errOut)
	}
	code, out, _ = c.run("key", "list")
	if code != 0 || !strings.Contains(out, "bob/photos") || strings.Contains(out, strings.TrimSpace(key)) {
		t.Fatalf("key list: %q", out)
	}
	code, pat, _ := c.run("pat", "create", "--scopes", "Predict,Apps:Get,Models:Get,Concepts:Get", "--description", "ci", "--expires", "24h")
	if code != 0 || !strings.HasPrefix(strings.TrimSpace(pat), "clvp_") {
		t.Fatalf("pat create: %d %q", code, pat)
	}
	code, out, _ = c.run("pat", "list", "--json")
	var listed struct {
		Status struct{ Code int }
		Keys   []struct {
			Description string
			ExpiresAt   string `json:"expires_at"`
		}
	}
	if err := json.Unmarshal([]byte(out), &listed); code != 0 || err != nil || listed.Status.Code != 10000 || len(listed.Keys) != 2 || listed.Keys[0].Description != "ci" || listed.Keys[0].ExpiresAt == "" {
		t.Fatalf("pat list --json: %v %q", err, out)
	}
	code, out, _ = c.run("predict", "--model", "color-recognition", "../../../shared/testdata/images/fruits.jpg")
	if code != 0 || !strings.Contains(out, "W3C NAME") {
		t.Fatalf("predict: %d %q", code, out)
	}
	// Errors are one clear line and a non-zero exit.
	code, _, errOut = c.run("predict", "--model", "nope", "../../../shared/testdata/images/fruits.jpg")
	if code != 1 || strings.Count(strings.TrimSpace(errOut), "\n") != 0 || !strings.Contains(errOut, "Model does not exist") {
		t.Fatalf("predict unknown model: %d %q", code, errOut)
	}
	code, _, errOut = c.run("app", "create", "photos")
	if code != 1 || !strings.Contains(errOut, "already") {
		t.Fatalf("duplicate app: %d %q", code, errOut)
	}
	code, _, errOut = c.run("users", "list")
	if code != 1 || !strings.Contains(errOut, "administrators") {
		t.Fatalf("users list by non-admin: %d %q", code, errOut)
	}
	if code, _, _ = c.run("bogus"); code != 2 {
		t.Fatalf("unknown command exit %d", code)
	}
	if code, _, _ = c.run("app", "create"); code != 2 {
		t.Fatalf("missing argument exit %d", code)
	}
}

func TestCLIEnvWithoutLogin(t *testing.T) {
	s := startServer(t)
	c := newCLI(t, s)
	code, out, _ := c.run("app", "list")
	if code != 0 || !strings.Contains(out, "ID") {
		t.Fatalf("app list with CLAVIS_PAT: %d %q", code, out)
	}
	c.env["CLAVIS_PAT"] = "clvp_wrong"
	code, _, errOut := c.run("app", "list")
	if code != 1 || !strings.Contains(errOut, "Invalid API key") {
		t.Fatalf("wrong PAT: %d %q", code, errOut)
	}
}

func TestAdminCreatePATOffline(t *testing.T) {
	s := startServer(t)
	s.Close()
	c := newCLI(t, s)
	code, out, errOut := c.run("admin", "create-pat", "--data-dir", s.dir)
	tok := lastLine(out)
	if code != 0 || !strings.HasPrefix(tok, "clvp_") {
		t.Fatalf("admin create-pat: %d %q %q", code, out, errOut)
	}
	s2 := startServer(t, func(cfg *cmd.Config) { cfg.DataDir = s.dir })
	c2 := newCLI(t, s2)
	c2.env["CLAVIS_PAT"] = tok
	if code, out, _ := c2.run("users", "list"); code != 0 || !strings.Contains(out, "admin") {
		t.Fatalf("recovered PAT: %d %q", code, out)
	}
	if code, _, _ := c.run("admin", "create-pat", "--data-dir", t.TempDir()); code != 1 {
		t.Fatal("create-pat on an empty dir must fail")
	}
}

// TestCLIPredict checks how predict reports each input: tables for those
// that succeed, one line per failed input on stderr with its status, and
// exit 1 when any failed.
func TestCLIPredict(t *testing.T) {
	s := startServer(t)
	c := newCLI(t, s)
	dir := t.TempDir()
	good, bad := filepath.Join(dir, "two-colors.png"), filepath.Join(dir, "not-an-image.txt")
	if err := os.WriteFile(good, twoColors(t), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := c.run("predict", "--model", "color-recognition", bad)
	if code != 1 || out != "" || errOut != "clavis predict: "+bad+": Invalid image bytes (30300 ALL_INPUT_INVALID_BYTES): the bytes are not a JPEG, PNG, GIF, WebP or BMP image\n" {
		t.Fatalf("one bad input: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	code, out, errOut = c.run("predict", "--model", "color-recognition", good, bad)
	if code != 1 || !strings.HasPrefix(out, "== "+good+"\nCOLOR") || strings.Contains(out, bad) ||
		strings.Count(errOut, "\n") != 1 || !strings.HasPrefix(errOut, "clavis predict: "+bad+": Invalid image bytes (30300") {
		t.Fatalf("good and bad input: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if code, _, errOut = c.run("predict", "--model", "color-recognition", filepath.Join(dir, "missing.jpg")); code != 1 || !strings.Contains(errOut, "no such file") {
		t.Fatalf("missing file: exit %d, %q", code, errOut)
	}
}

// TestCLIPredictConcepts checks that predict shows the top 10 concepts
// unless --max-concepts says otherwise.
func TestCLIPredictConcepts(t *testing.T) {
	models := modeltest.Dir(t)
	s := startServer(t, func(cfg *cmd.Config) { cfg.ModelsDir = models })
	c := newCLI(t, s)
	const photo = "../../testdata/images/astronaut.jpg"
	for _, tc := range []struct {
		args []string
		rows int
	}{
		{nil, 10},
		{[]string{"--max-concepts", "3"}, 3},
		{[]string{"--max-concepts", "0"}, 80}, // all of the COCO classes
	} {
		code, out, errOut := c.run(append([]string{"predict", "--model", "general-image-recognition", photo}, tc.args...)...)
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if code != 0 || !strings.HasPrefix(lines[0], "CONCEPT ") || len(lines)-1 != tc.rows {
			t.Errorf("predict %q: exit %d, %d rows, want %d; stderr %q\n%s", tc.args, code, len(lines)-1, tc.rows, errOut, out)
		}
	}
}
