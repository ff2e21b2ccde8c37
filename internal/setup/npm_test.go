package setup_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/clavis-dev/clavis/internal/inference/manifest"
	"github.com/clavis-dev/clavis/internal/setup"
)

// fakeNpm puts on PATH an npm that records its arguments in the returned
// file and prints out.
func fakeNpm(t *testing.T, out string) (argsFile string) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("shell script fake npm")
	}
	bin := t.TempDir()
	argsFile = filepath.Join(t.TempDir(), "args")
	script := "#!/bin/sh\nprintf '%s\\n' \"$@\" > " + argsFile + "\necho '" + out + "'\n"
	must(t, os.WriteFile(filepath.Join(bin, "npm"), []byte(script), 0o755))
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	return argsFile
}

// TestNpmFetch runs NpmFetch against a fake npm on PATH and a local HTTP
// server, to pin the npm command line (no registry named, JSON output
// parsed) and the download.
func TestNpmFetch(t *testing.T) {
	body := "tarball bytes"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/@fake/models/-/models-1.0.0.tgz" {
			http.NotFound(w, r)
			return
		}
		io.WriteString(w, body)
	}))
	defer srv.Close()
	argsFile := fakeNpm(t, `"`+srv.URL+`/@fake/models/-/models-1.0.0.tgz"`)

	rc, size, err := setup.NpmFetch(context.Background(), manifest.Package{Name: "@fake/models", Version: "1.0.0"})
	must(t, err)
	got, err := io.ReadAll(rc)
	rc.Close()
	must(t, err)
	if string(got) != body || size != int64(len(body)) {
		t.Errorf("NpmFetch = %q (size %d), want %q", got, size, body)
	}
	args, err := os.ReadFile(argsFile)
	must(t, err)
	if want := "view\n@fake/models@1.0.0\ndist.tarball\n--json\n"; string(args) != want {
		t.Errorf("npm args = %q, want %q", args, want)
	}
}

func TestNpmFetchErrors(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	for _, tt := range []struct{ name, npmOut, want string }{
		{"NotJSON", "npm WARN something", "unexpected output"},
		{"NotHTTP", `"file:///etc/passwd"`, "is not an HTTP URL"},
		{"NotFound", `"` + srv.URL + `/x.tgz"`, "404 Not Found"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fakeNpm(t, tt.npmOut)
			_, _, err := setup.NpmFetch(context.Background(), manifest.Package{Name: "x", Version: "1.0.0"})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("NpmFetch error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}
