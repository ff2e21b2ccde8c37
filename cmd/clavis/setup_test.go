package main_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clavis-dev/clavis/internal/inference/manifest"
	"github.com/clavis-dev/clavis/internal/inference/modeltest"
)

// TestSetupSecondRun runs `clavis setup` over an installed models dir: it
// must say that nothing changed, with no npm call and no conversion (no
// file is rewritten). The models dir is a tree of symbolic links to the real
// one, so that a faulty run could not damage it.
func TestSetupSecondRun(t *testing.T) {
	real := modeltest.Dir(t)
	dir := t.TempDir()
	for _, a := range manifest.Assets() {
		for _, p := range a.Paths() {
			link := manifest.Path(dir, p)
			if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(manifest.Path(real, p), link); err != nil {
				t.Fatal(err)
			}
		}
	}
	// An npm on PATH that records any call; node too, which conversions run.
	bin, calls := t.TempDir(), filepath.Join(t.TempDir(), "calls")
	for _, tool := range []string{"npm", "node"} {
		script := "#!/bin/sh\necho " + tool + " \"$@\" >> " + calls + "\nexit 1\n"
		if err := os.WriteFile(filepath.Join(bin, tool), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("PATH", bin)

	c := &cli{t: t, env: map[string]string{"CLAVIS_CACHE_DIR": filepath.Join(t.TempDir(), "cache")}}
	code, out, errOut := c.run("setup", "--models-dir", dir)
	if code != 0 || !strings.HasPrefix(out, "Nothing changed: all ") || !strings.Contains(out, "nothing fetched, nothing converted") {
		t.Fatalf("setup: exit %d\nstdout %q\nstderr %q", code, out, errOut)
	}
	if b, err := os.ReadFile(calls); err == nil {
		t.Errorf("setup called external tools:\n%s", b)
	}
	for _, a := range manifest.Assets() {
		for _, p := range a.Paths() {
			if fi, err := os.Lstat(manifest.Path(dir, p)); err != nil || fi.Mode()&os.ModeSymlink == 0 {
				t.Errorf("%s was rewritten", p)
			}
		}
	}
}
