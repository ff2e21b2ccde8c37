package main_test

import (
	"bytes"
	"html"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	cmd "github.com/clavis-dev/clavis/cmd/clavis"
)

// predictForm posts the playground's multipart form: a file when data is
// set, the URL otherwise, with the page's anti-forgery token unless csrf
// is "none".
func (b *browserless) predictForm(model, file string, data []byte, imageURL, csrf string) page {
	b.t.Helper()
	path := "/apps/clarifai/main/models/" + model
	if csrf == "" {
		csrf = b.csrf(path)
	}
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	if csrf != "none" {
		w.WriteField("csrf", csrf)
	}
	w.WriteField("url", imageURL)
	fw, err := w.CreateFormFile("image", file)
	if err != nil {
		b.t.Fatal(err)
	}
	fw.Write(data)
	w.Close()
	resp, err := b.c.Post(b.base+path+"/outputs", w.FormDataContentType(), &body)
	if err != nil {
		b.t.Fatal(err)
	}
	return read(b.t, resp)
}

var codeBlock = regexp.MustCompile(`(?s)<code id="snippet-(\w+)-code">(.*?)</code>`)

// snippetsOf returns a model page's code snippets by language.
func snippetsOf(p page) map[string]string {
	out := map[string]string{}
	for _, m := range codeBlock.FindAllStringSubmatch(p.body, -1) {
		out[m[1]] = html.UnescapeString(m[2])
	}
	return out
}

// TestPortalPlayground predicts in the portal without a browser: the
// snippets the page shows make the same call when run as written (curl
// and Node.js, with the user's PAT in $CLAVIS_PAT), URL inputs go
// through the API's safe fetcher, and the limits and refusals are the
// API's.
func TestPortalPlayground(t *testing.T) {
	s := startServer(t)
	pat := s.newUser(t, "dave")
	s.setPassword(t, "dave", "dave's password", false)
	b := newBrowserless(t, s)
	wantStatus(t, "log-in", b.login("dave", "dave's password"), http.StatusSeeOther)
	img := twoColors(t)

	p := b.predictForm("color-recognition", "two colors.png", img, "", "")
	wantStatus(t, "predict", p, http.StatusOK)
	if !strings.Contains(p.body, `class="swatches"`) || !strings.Contains(p.body, "#ff0000") || !strings.Contains(p.body, "Red") {
		t.Fatalf("the prediction shows no red swatch: %.500s", p.body)
	}
	if strings.Contains(p.body, pat) || strings.Contains(p.body, "clvp_") {
		t.Fatal("the page holds a token")
	}

	// The snippets, run as written beside the file they name.
	snips := snippetsOf(p)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "two colors.png"), img, 0o644); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "CLAVIS_PAT="+pat)
	for _, run := range []struct {
		lang string
		cmd  []string
		file string
	}{
		{"curl", []string{"bash", "snippet.sh"}, "snippet.sh"},
		{"node", []string{"node", "predict.mjs"}, "predict.mjs"},
	} {
		t.Run(run.lang, func(t *testing.T) {
			if _, err := exec.LookPath(run.cmd[0]); err != nil {
				t.Skipf("no %s: %v", run.cmd[0], err)
			}
			code, ok := snips[run.lang]
			if !ok {
				t.Fatalf("no %s snippet among %v", run.lang, snips)
			}
			if err := os.WriteFile(filepath.Join(dir, run.file), []byte(code), 0o644); err != nil {
				t.Fatal(err)
			}
			c := exec.Command(run.cmd[0], run.cmd[1:]...)
			c.Dir, c.Env = dir, env
			out, err := c.CombinedOutput()
			if err != nil || !strings.Contains(string(out), "#ff0000") || !strings.Contains(string(out), "Red") {
				t.Fatalf("%s snippet: %v\n%s\n--- snippet:\n%s", run.lang, err, out, code)
			}
		})
	}
	if py := snips["python"]; !strings.Contains(py, `user_id="clarifai", app_id="main"`) || !strings.Contains(py, `model_id="color-recognition"`) ||
		!strings.Contains(py, `open("two colors.png", "rb")`) || !strings.Contains(py, `os.environ["CLAVIS_PAT"]`) {
		t.Fatalf("the Python snippet does not make the call:\n%s", py)
	}

	// A URL input: fetched by the API's fetcher, which refuses loopback
	// addresses unless allowed.
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(img) }))
	defer site.Close()
	p = b.predictForm("color-recognition", "", nil, site.URL+"/two.png", "")
	wantStatus(t, "a loopback URL", p, http.StatusBadRequest)
	if !strings.Contains(p.body, "That did not work") || strings.Contains(p.body, `class="swatches"`) {
		t.Fatalf("a loopback URL was fetched: %.400s", p.body)
	}

	for _, c := range []struct {
		name     string
		model    string
		data     []byte
		url      string
		csrf     string
		want     int
		wantText string
	}{
		{"NoCSRF", "color-recognition", img, "", "none", http.StatusForbidden, "did not come from this site"},
		{"NoImage", "color-recognition", nil, "", "", http.StatusBadRequest, "choose an image file"},
		{"NotAnImage", "color-recognition", []byte("not an image at all"), "", "", http.StatusBadRequest, "not a JPEG, PNG"},
		{"OverLimit", "color-recognition", bytes.Repeat([]byte{0xff}, 21<<20), "", "", http.StatusRequestEntityTooLarge, "at most 20 MB"},
		{"UnknownModel", "no-such-model", img, "", "", http.StatusNotFound, "does not exist"},
	} {
		t.Run(c.name, func(t *testing.T) {
			csrf := c.csrf
			if csrf == "" {
				csrf = b.csrf("/apps/clarifai/main/models/color-recognition")
			}
			p := b.predictForm(c.model, "x.png", c.data, c.url, csrf)
			if p.code != c.want || !strings.Contains(p.body, c.wantText) {
				t.Fatalf("HTTP %d, want %d saying %q: %.600s", p.code, c.want, c.wantText, p.body)
			}
		})
	}

	// A visitor's upload is sent to the log-in page unread.
	visitor := newBrowserless(t, s)
	resp, err := visitor.c.Post(visitor.base+"/apps/clarifai/main/models/color-recognition/outputs", "multipart/form-data; boundary=x", strings.NewReader("--x--"))
	if err != nil {
		t.Fatal(err)
	}
	if p := read(t, resp); p.code != http.StatusSeeOther || !strings.HasPrefix(p.hdr.Get("Location"), "/login") {
		t.Fatalf("a visitor's upload: %d %q", p.code, p.hdr.Get("Location"))
	}
}

// TestPortalModelNotInstalled: a model whose files are missing is shown as
// not installed with the fix, and predicting with it answers so.
func TestPortalModelNotInstalled(t *testing.T) {
	s := startServer(t, func(c *cmd.Config) { c.ModelsDir = filepath.Join(t.TempDir(), "none") })
	s.newUser(t, "erin")
	s.setPassword(t, "erin", "erin's password", false)
	b := newBrowserless(t, s)
	wantStatus(t, "log-in", b.login("erin", "erin's password"), http.StatusSeeOther)
	list := b.get("/apps/clarifai/main/models")
	wantStatus(t, "models", list, http.StatusOK)
	if !strings.Contains(list.body, "Not installed") {
		t.Fatal("the models page does not mark missing models")
	}
	p := b.get("/apps/clarifai/main/models/general-image-detection")
	wantStatus(t, "model", p, http.StatusOK)
	if !strings.Contains(p.body, "21353 MODEL_NOT_DEPLOYED") || !strings.Contains(p.body, "clavis setup") {
		t.Fatalf("the model page does not say how to install it: %.600s", p.body)
	}
	p = b.predictForm("general-image-detection", "x.png", twoColors(t), "", "")
	if p.code != http.StatusServiceUnavailable || !strings.Contains(p.body, "clavis setup") {
		t.Fatalf("predicting with a missing model: HTTP %d: %.400s", p.code, p.body)
	}
}
