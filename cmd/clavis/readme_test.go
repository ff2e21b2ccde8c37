package main_test

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	cmd "github.com/clavis-dev/clavis/cmd/clavis"
	"github.com/clavis-dev/clavis/internal/inference/modeltest"
)

// quickstartMarker is in the HTML comment before the README's CLI block.
const quickstartMarker = "TestReadmeQuickstart"

// quickstartWant says what each command of the README's quickstart prints,
// by the start of its line: a pattern for stdout and one for stderr (empty
// means nothing may be printed there). A command of the block missing here
// fails the test.
var quickstartWant = []struct{ prefix, stdout, stderr string }{
	{"export PATH=", ``, ``},
	{"clavis login ", `^Logged in to \S+ as admin \(saved in .*config\.json\)\n$`, ``},
	{"clavis whoami", `(?m)^user:\s+admin$[\s\S]*^scopes:\s+All$`, ``},
	{"clavis models list", `(?m)^general-image-recognition\s+visual-classifier\s`, ``},
	{"clavis predict --model general-image-recognition ", `^CONCEPT\s+VALUE\nperson\s+0\.\d+\n(\S.*\n){9}$`, ``},
	{"clavis predict --model face-detection ", `(?m)^REGION.*\n.*\sface$`, ``},
	{"clavis app create photos", `^Created app admin/photos\n$`, ``},
	{"clavis inputs add ", `^Added 1 of 1 inputs to photos \(add job cli-\w+\); 0 failed\n$`, ``},
	{"clavis inputs list", `(?m)^ID\s+STATUS[\s\S]*\ssuccess\s.*\sastronaut\s`, ``},
	{"clavis inputs search", `(?m)^SCORE\s+ID\s+CONCEPTS\s+SOURCE\n1\.0000\s+\w+\s+astronaut\s`, ``},
	{"clavis key create ", `^clvk_\w+\n$`, `not shown again`},
	{"clavis pat create ", `^clvp_\w+\n$`, `not shown again`},
	{"clavis pat list", `(?m)^ID\s+HINT[\s\S]*\sci\s`, ``},
	{"clavis users create ", `\nclvp_\w+\n$`, ``},
	{"clavis collab add ", `^Added bob to photos`, ``},
	{"clavis app visibility public photos", `^App admin/photos is now public\n$`, ``},
	{"clavis org create acme && clavis app create acme/vision", `Created app acme/vision\n$`, ``},
}

// readmeQuickstart returns the commands of the fenced block after the
// marker comment in README.md, one per line, comments kept (bash drops
// them).
func readmeQuickstart(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	var cmds []string
	state := 0 // 0: before the marker, 1: before the block, 2: in it
	for sc.Scan() {
		line := sc.Text()
		switch {
		case state == 0 && strings.HasPrefix(line, "<!--") && strings.Contains(line, quickstartMarker):
			state = 1
		case state == 1 && strings.HasPrefix(line, "```"):
			state = 2
		case state == 2 && strings.HasPrefix(line, "```"):
			return cmds
		case state == 2 && strings.TrimSpace(line) != "":
			if strings.HasSuffix(line, `\`) {
				t.Fatalf("README quickstart: keep each command on one line: %q", line)
			}
			cmds = append(cmds, line)
		}
	}
	t.Fatalf("README.md has no fenced block after a <!-- … %s … --> comment", quickstartMarker)
	return nil
}

// TestReadmeQuickstart runs the README's CLI quickstart as written, in
// bash, from the root of the clone, against a fresh server with the models,
// and fails on any non-zero exit or unexpected output. It substitutes only
// what must be: the server's address (127.0.0.1:18080), its data dir
// (clavis-data/) and the directory of the clavis binary ($PWD/.bin).
func TestReadmeQuickstart(t *testing.T) {
	cmds := readmeQuickstart(t)
	models := modeltest.Dir(t)
	s := startServer(t, func(c *cmd.Config) { c.ModelsDir = models })
	bin := clavisBinary(t)
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}

	subst := []struct{ old, new string }{
		{"127.0.0.1:18080", s.Addr()},
		{"clavis-data/", s.dir + "/"},
		{"$PWD/.bin", filepath.Dir(bin)},
	}
	var script strings.Builder
	script.WriteString("set -euo pipefail\n")
	want := make([]int, len(cmds)) // index into quickstartWant
	for i, c := range cmds {
		want[i] = -1
		for j, w := range quickstartWant {
			if strings.HasPrefix(c, w.prefix) {
				want[i] = j
			}
		}
		if want[i] < 0 {
			t.Fatalf("README quickstart command %q has no entry in quickstartWant: add what it prints", c)
		}
		for _, r := range subst {
			c = strings.ReplaceAll(c, r.old, r.new)
		}
		// A marker on both streams before each command splits the output.
		fmt.Fprintf(&script, "printf '\\n@@%d@@\\n'; printf '\\n@@%d@@\\n' >&2\n%s\n", i, i, c)
	}
	for _, r := range subst {
		if !strings.Contains(strings.Join(cmds, "\n"), r.old) {
			t.Fatalf("the README quickstart no longer contains %q: update the substitutions of TestReadmeQuickstart", r.old)
		}
	}

	home := t.TempDir()
	sh := exec.Command("bash", "--noprofile", "--norc", "-c", script.String())
	sh.Dir = root
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CLAVIS_") && !strings.HasPrefix(kv, "HOME=") && !strings.HasPrefix(kv, "XDG_") {
			sh.Env = append(sh.Env, kv)
		}
	}
	sh.Env = append(sh.Env, "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"))
	var stdout, stderr bytes.Buffer
	sh.Stdout, sh.Stderr = &stdout, &stderr
	runErr := sh.Run()

	outs, errs := splitMarked(stdout.String()), splitMarked(stderr.String())
	last := len(outs) - 1
	if last < 0 || len(errs) != len(outs) {
		t.Fatalf("README quickstart: bash ran nothing (%v)\nstdout:\n%s\nstderr:\n%s", runErr, stdout.String(), stderr.String())
	}
	if runErr != nil {
		t.Fatalf("README quickstart: %q failed (%v)\nstdout:\n%s\nstderr:\n%s", cmds[last], runErr, outs[last], errs[last])
	}
	if last != len(cmds)-1 {
		t.Fatalf("ran %d of %d commands", last+1, len(cmds))
	}
	for i, c := range cmds {
		w := quickstartWant[want[i]]
		if !regexp.MustCompile(w.stdout).MatchString(outs[i]) || w.stdout == "" && outs[i] != "" {
			t.Errorf("%q printed on stdout:\n%s\nwant it to match %s", c, outs[i], w.stdout)
		}
		if !regexp.MustCompile(w.stderr).MatchString(errs[i]) || w.stderr == "" && errs[i] != "" {
			t.Errorf("%q printed on stderr:\n%s\nwant it to match %q", c, errs[i], w.stderr)
		}
	}
}

var marker = regexp.MustCompile(`\n@@\d+@@\n`)

// splitMarked cuts a stream at the markers of TestReadmeQuickstart's
// script: element i is what command i printed.
func splitMarked(s string) []string {
	locs := marker.FindAllStringIndex(s, -1)
	parts := make([]string, len(locs))
	for k, loc := range locs {
		end := len(s)
		if k+1 < len(locs) {
			end = locs[k+1][0]
		}
		parts[k] = s[loc[1]:end]
	}
	return parts
}
