package main_test

import (
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"
	"github.com/clavis-dev/clavis/internal/inference/modeltest"

	cmd "github.com/clavis-dev/clavis/cmd/clavis"
)

// waitFor waits until the script is true in the page, re-checking on every
// change of the page's DOM (the grid swaps itself in as it polls), at
// most for timeout.
func (b *tab) waitFor(what, script string, timeout time.Duration) {
	b.t.Helper()
	if _, err := chromedp.Run(b.ctx, chromedp.Poll[bool](script, chromedp.WithPollingMutation(), chromedp.WithPollingTimeout(timeout))); err != nil {
		b.t.Fatalf("waiting for %s: %v; the page shows: %s", what, err, b.text("main"))
	}
}

// inputByFile returns the id of the input of an app uploaded from the
// named file, by the file name the portal keeps in its metadata.
func (s *testServer) inputByFile(t *testing.T, pat string, ids *pb.UserAppIDSet, file string) string {
	t.Helper()
	r, err := s.v2.ListInputs(as(pat), &pb.ListInputsRequest{UserAppId: ids})
	wantCode(t, r, err, st.StatusCode_SUCCESS)
	for _, in := range r.GetInputs() {
		if in.GetData().GetMetadata().GetFields()["filename"].GetStringValue() == file {
			return in.GetId()
		}
	}
	t.Fatalf("no input of %s", file)
	return ""
}

// waitPortalSimilar polls a search of the inputs like one until it answers:
// its embedding is computed in the background after it is processed.
func waitPortalSimilar(t *testing.T, s *testServer, user, pw, path string) {
	t.Helper()
	b := newBrowserless(t, s)
	b.login(user, pw)
	deadline := time.Now().Add(60 * time.Second)
	for {
		p := b.get(path)
		if p.code == http.StatusOK {
			return
		}
		if p.code != http.StatusNotFound || time.Now().After(deadline) {
			t.Fatalf("GET %s: HTTP %d: %s", path, p.code, errorText.FindString(p.body))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestPortalBrowserInputs walks an app's inputs in Chromium: three images
// uploaded at once with the progress shown, the grid updating itself until
// the base model has processed them all, the predicted concept on the
// expected image, an input's page drawing its annotations' regions over
// the image, and deletion of a selection and of one input, each checked
// over the API.
func TestPortalBrowserInputs(t *testing.T) {
	models := modeltest.Dir(t, "nanodet")
	images := modeltest.ImagesDir(t)
	s := startServer(t, func(c *cmd.Config) { c.ModelsDir = models })
	pat := s.newUser(t, "dana")
	s.setPassword(t, "dana", "dana's password", false)
	s.newApp(t, pat, "pets", false)
	ids := appIDs("dana", "pets")
	b := newTab(t, "http://"+s.Addr())
	b.login("dana", "dana's password")

	b.open("/apps/dana/pets")
	b.follow(`nav.tabs a[href="/apps/dana/pets/inputs"]`)
	if !b.hasText("No inputs yet") {
		t.Fatal("the empty app's grid does not say so")
	}
	b.shot("inputs-empty")

	// Three images at once: each its own request, the bar to the end.
	files := []string{"messi5.jpg", "fruits.jpg", "chelsea.png"}
	var paths []string
	for _, f := range files {
		paths = append(paths, filepath.Join(images, f))
	}
	b.do(chromedp.SetUploadFiles(chromedp.CSS(`#images`), paths))
	if got := b.text("#upload-status"); !strings.HasPrefix(got, "3 images chosen") {
		t.Fatalf("after choosing the files the form says %q", got)
	}
	b.click(`form[data-uploader] button[type="submit"]`)
	b.waitFor("the uploads", `document.getElementById("upload-status").textContent === "3 of 3 images uploaded."`, 60*time.Second)
	if v := eval[float64](b, `document.getElementById("upload-bar").value`); v != 100 {
		t.Fatalf("the progress bar ends at %v%%", v)
	}
	if ok := eval[int](b, `document.querySelectorAll(".upload-list .ok").length`); ok != 3 {
		t.Fatalf("%d files are said to be uploaded: %s", ok, b.text(".upload-list"))
	}

	// The grid polls until the base model has processed all three.
	b.waitFor("three processed inputs", `document.querySelectorAll('.input-card[data-status="30000"]').length === 3`, 90*time.Second)
	if got := len(s.inputIDs(t, pat, ids)); got != 3 {
		t.Fatalf("the API lists %d inputs, want 3", got)
	}
	// The base model's concept on the photo of a person.
	chips := eval[[]string](b, `Array.from(document.querySelectorAll(".input-card"))
		.filter((c) => c.querySelector(".input-metadata") && c.querySelector(".input-metadata").textContent.includes("messi5.jpg"))
		.flatMap((c) => Array.from(c.querySelectorAll(".chip"), (e) => e.textContent))`)
	if !slices.Contains(chips, "person") {
		t.Fatalf("the card of messi5.jpg shows %v, want person", chips)
	}
	if n := eval[int](b, `Array.from(document.querySelectorAll(".thumb img")).filter((i) => i.complete && i.naturalWidth > 0).length`); n != 3 {
		t.Fatalf("%d thumbnails loaded, want 3", n)
	}
	b.shot("inputs-grid")

	// The search box: a concept, best first; metadata; and images that
	// look like an input, then like an uploaded image.
	b.fill("#search-q", "person")
	b.follow(`form[role="search"] button[type="submit"]`)
	if got := b.text(".input-card .input-metadata"); !strings.Contains(got, "messi5.jpg") {
		t.Fatalf("the first input with the concept person is %s, want messi5.jpg", got)
	}
	b.shot("inputs-search")
	b.open("/apps/dana/pets/inputs")
	b.do(chromedp.SetValue(chromedp.CSS("#search-by"), "metadata"))
	b.fill("#search-q", "filename=fruits.jpg")
	b.follow(`form[role="search"] button[type="submit"]`)
	if got := eval[[]string](b, `Array.from(document.querySelectorAll(".input-card .input-metadata"), (e) => e.textContent)`); !slices.Equal(got, []string{`{"filename":"fruits.jpg"}`}) {
		t.Fatalf("the metadata search finds %v", got)
	}
	messi := s.inputByFile(t, pat, ids, "messi5.jpg")
	waitPortalSimilar(t, s, "dana", "dana's password", "/apps/dana/pets/inputs/searches?similar="+messi)
	b.open("/apps/dana/pets/inputs/" + messi)
	b.follow(`a[href="/apps/dana/pets/inputs/searches?similar=` + messi + `"]`)
	if got := eval[string](b, `document.querySelector(".input-card").dataset.input`); got != messi {
		t.Fatalf("the input most like messi5.jpg is %s, not itself", got)
	}
	if n := eval[int](b, `document.querySelectorAll(".input-card").length`); n != 3 {
		t.Fatalf("find similar shows %d inputs, want all 3", n)
	}
	b.open("/apps/dana/pets/inputs")
	b.do(chromedp.SetUploadFiles(chromedp.CSS(`#similar-image`), []string{filepath.Join(images, "chelsea.png")}))
	b.follow(`form[enctype="multipart/form-data"][action="/apps/dana/pets/inputs/searches"] button[type="submit"]`)
	if got := b.text(".input-card .input-metadata"); !strings.Contains(got, "chelsea.png") {
		t.Fatalf("the input most like chelsea.png is %s", got)
	}
	b.shot("inputs-similar")

	// Regions labelled over the API: a box and a polygon.
	fruits := s.inputByFile(t, pat, ids, "fruits.jpg")
	ar, err := s.v2.PostAnnotations(as(pat), &pb.PostAnnotationsRequest{UserAppId: ids, Annotations: []*pb.Annotation{{InputId: fruits, Data: &pb.Data{Regions: []*pb.Region{
		{RegionInfo: &pb.RegionInfo{BoundingBox: &pb.BoundingBox{TopRow: 0.1, LeftCol: 0.05, BottomRow: 0.6, RightCol: 0.45}},
			Data: &pb.Data{Concepts: []*pb.Concept{{Id: "apple", Name: "apple", Value: 1}}}},
		{RegionInfo: &pb.RegionInfo{Polygon: &pb.Polygon{Points: []*pb.Point{{Row: 0.5, Col: 0.55}, {Row: 0.9, Col: 0.6}, {Row: 0.7, Col: 0.95}}}},
			Data: &pb.Data{Concepts: []*pb.Concept{{Id: "banana", Name: "banana", Value: 1}}}},
	}}}}})
	wantCode(t, ar, err, st.StatusCode_SUCCESS)

	b.open("/apps/dana/pets/inputs")
	b.follow(`.input-card[data-input="` + fruits + `"] a.thumb`)
	if n := eval[int](b, `document.querySelectorAll("svg.overlay rect.box, svg.overlay polygon.box").length`); n != 2 {
		t.Fatalf("%d regions drawn, want 2", n)
	}
	labels := eval[[]string](b, `Array.from(document.querySelectorAll("svg.overlay text"), (e) => e.textContent)`)
	if !slices.Equal(labels, []string{"1 apple", "2 banana"}) {
		t.Fatalf("the regions are labelled %v", labels)
	}
	// The overlay covers the image exactly, so regions sit where they belong.
	b.waitFor("the image", `document.querySelector(".stage img").complete`, 10*time.Second)
	if d := eval[float64](b, `(() => { const i = document.querySelector(".stage img").getBoundingClientRect(), o = document.querySelector("svg.overlay").getBoundingClientRect();
		return Math.abs(i.left - o.left) + Math.abs(i.top - o.top) + Math.abs(i.width - o.width) + Math.abs(i.height - o.height) })()`); d > 1 {
		t.Fatalf("the overlay is %v px off the image", d)
	}
	if !b.hasText("By model general-image-recognition") || !b.hasText("By user dana") || !b.hasText(`"filename": "fruits.jpg"`) {
		t.Fatalf("the input's page lacks its annotations or metadata: %s", b.text("main"))
	}
	b.shot("input")

	// Delete a selection of one, after its confirmation.
	chelsea := s.inputByFile(t, pat, ids, "chelsea.png")
	b.open("/apps/dana/pets/inputs")
	if !eval[bool](b, `document.querySelector("[data-delete-selected]").disabled`) {
		t.Fatal("Delete selected is enabled with nothing selected")
	}
	b.click(`.input-select[value="` + chelsea + `"]`)
	b.follow(`[data-delete-selected]`)
	if !b.hasText("Delete 1 input?") || !b.hasText(chelsea) {
		t.Fatalf("the confirmation does not name the input: %s", b.text("main"))
	}
	b.follow(`main form button.btn-danger`)
	if !b.hasText("The selected inputs were deleted") {
		t.Fatal("no confirmation of the deletion")
	}
	if got := s.inputIDs(t, pat, ids); len(got) != 2 || slices.Contains(got, chelsea) {
		t.Fatalf("after deleting %s the API lists %v", chelsea, got)
	}

	// Delete one from its page.
	b.open("/apps/dana/pets/inputs/" + fruits)
	b.follow(`a[href="/apps/dana/pets/inputs/` + fruits + `/delete"]`)
	b.follow(`main form button.btn-danger`)
	if !b.hasText("The input was deleted") || eval[int](b, `document.querySelectorAll(".input-card").length`) != 1 {
		t.Fatal("the grid does not show the deletion")
	}
	if got := s.inputIDs(t, pat, ids); len(got) != 1 || slices.Contains(got, fruits) {
		t.Fatalf("after deleting %s the API lists %v", fruits, got)
	}
}
