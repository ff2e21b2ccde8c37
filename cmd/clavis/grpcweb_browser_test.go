package main_test

import (
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	cmd "github.com/clavis-dev/clavis/cmd/clavis"
)

// webClient returns the browser bundle of Clarifai's gRPC-Web client that
// e2e/web/build.sh makes (installing its pinned npm packages first). It
// skips the test without npm, or fails it under CLAVIS_REQUIRE_BROWSER=1.
func webClient(t *testing.T) []byte {
	t.Helper()
	if _, err := exec.LookPath("npm"); err != nil {
		if os.Getenv("CLAVIS_REQUIRE_BROWSER") != "" {
			t.Fatalf("no npm to build the gRPC-Web client: %v", err)
		}
		t.Skipf("no npm to build the gRPC-Web client: %v", err)
	}
	out, err := exec.Command("../../e2e/web/build.sh").Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("e2e/web/build.sh: %v\n%s", err, stderr)
	}
	js, err := os.ReadFile(strings.TrimSpace(string(out)))
	if err != nil {
		t.Fatal(err)
	}
	return js
}

const webClientPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>A page elsewhere</title></head>
<body><main><h1>A page on another origin</h1><p id="status">loading</p></main><script src="/client.js"></script></body></html>`

// webOutcome is what the page's calls came to.
type webOutcome struct {
	AppsCode    int      `json:"appsCode"`
	Apps        []string `json:"apps"`
	OutputsCode int      `json:"outputsCode"`
	Colors      []string `json:"colors"`
	Error       *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// TestGRPCWebBrowser runs Clarifai's own browser client, clarifai-web-grpc
// from the npm registry bundled with esbuild, in Chromium, on a page served
// from another origin than the API: with that origin allowed it calls
// ListApps and PostModelOutputs, in the text and the binary format; a
// server that does not allow it is refused by the browser.
func TestGRPCWebBrowser(t *testing.T) {
	js := webClient(t)
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/client.js" {
			w.Header().Set("Content-Type", "text/javascript")
			w.Write(js)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(webClientPage))
	}))
	defer site.Close()
	allowing := startServer(t, func(c *cmd.Config) { c.CORSOrigins = []string{site.URL} })
	refusing := startServer(t)
	pat := allowing.newUser(t, "webdev")
	allowing.newApp(t, pat, "site", false)
	img := base64.StdEncoding.EncodeToString(twoColors(t))

	b := newTab(t, site.URL)
	call := func(api, format, token string) webOutcome {
		t.Helper()
		b.do(chromedp.Navigate(site.URL+"/?api=http://"+api+"&format="+format), chromedp.WaitVisible(chromedp.CSS("main h1")))
		if got := b.text("#status"); got != "ready" {
			t.Fatalf("the page's script did not start: %q", got)
		}
		return eval[webOutcome](b, `window.clavisWeb.call(`+jsString(token)+`, `+jsString(img)+`)`)
	}
	for _, format := range []string{"text", "binary"} {
		t.Run(format, func(t *testing.T) {
			o := call(allowing.Addr(), format, pat)
			if o.Error != nil || o.AppsCode != 10000 || !slices.Equal(o.Apps, []string{"site"}) || o.OutputsCode != 10000 || len(o.Colors) == 0 || o.Colors[0] != "Red" {
				t.Fatalf("from an allowed origin: %+v (error %+v)", o, o.Error)
			}
		})
	}
	refusedPAT := refusing.newUser(t, "webdev")
	o := call(refusing.Addr(), "text", refusedPAT)
	if o.Error == nil || len(o.Apps) != 0 {
		t.Fatalf("a server that does not allow the page's origin answered it: %+v", o)
	}
	t.Logf("refused as the browser reports it: code %d, %q", o.Error.Code, o.Error.Message)
}

// jsString quotes s for a script.
func jsString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s) + `"`
}
