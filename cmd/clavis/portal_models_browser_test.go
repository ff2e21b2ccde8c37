package main_test

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/clavis-dev/clavis/internal/inference/modeltest"

	cmd "github.com/clavis-dev/clavis/cmd/clavis"
)

// login logs the tab in through the log-in form.
func (b *tab) login(id, pw string) {
	b.t.Helper()
	b.open("/login")
	b.fill("#login", id)
	b.fill("#password", pw)
	b.follow(`form[action="/login"] button[type="submit"]`)
}

// predictFile submits the open model page's playground with a file.
func (b *tab) predictFile(path string) {
	b.t.Helper()
	b.do(chromedp.SetUploadFiles(chromedp.CSS(`#image`), []string{path}))
	b.follow(`form[data-playground] button[type="submit"]`)
	if b.hasText("That did not work") {
		b.t.Fatalf("the prediction failed: %s", b.text("#form-error"))
	}
}

// TestPortalBrowserModels walks the model playground in Chromium: the
// built-in models listed, the top concept of a classifier on a shared test
// image, regions drawn over the image for a detector (the image dropped
// on the form), OCR text over its boxes, colors as swatches, and the
// snippets naming the user's ids without a secret.
func TestPortalBrowserModels(t *testing.T) {
	models := modeltest.Dir(t)
	images := modeltest.ImagesDir(t)
	s := startServer(t, func(c *cmd.Config) { c.ModelsDir = models })
	s.newUser(t, "carol")
	s.setPassword(t, "carol", "carol's password", false)
	b := newTab(t, "http://"+s.Addr())
	b.login("carol", "carol's password")

	b.follow(`nav.nav a[href="/apps/clarifai/main/models"]`)
	for _, id := range []string{"general-image-recognition", "general-image-detection", "ocr-scene-english-paddleocr", "color-recognition"} {
		if !b.hasText(id) {
			t.Fatalf("the built-in models page does not list %s", id)
		}
	}
	b.shot("models")

	// A classifier: the expected top concept, as a bar.
	b.follow(`a[href="/apps/clarifai/main/models/general-image-recognition"]`)
	b.shot("model")
	b.predictFile(filepath.Join(images, "messi5.jpg"))
	if top := b.text(".bars li:first-child .bar-name"); top != "person" {
		t.Fatalf("top concept of messi5.jpg = %q, want person", top)
	}
	if w := eval[string](b, `document.querySelector(".bars li:first-child .bar-fill").getAttribute("width")`); w == "" || w == "0.0" {
		t.Fatalf("the top concept's bar has width %q", w)
	}
	b.shot("model-concepts")

	// A detector, the image dropped on the form: boxes over the image,
	// labelled with concepts the model finds in it.
	b.open("/apps/clarifai/main/models/general-image-detection")
	dropFile(b, filepath.Join(images, "fruits.jpg"))
	if name := b.text("#image-status"); !strings.HasPrefix(name, "fruits.jpg") {
		t.Fatalf("after the drop the form says %q", name)
	}
	b.follow(`form[data-playground] button[type="submit"]`)
	boxes := eval[int](b, `document.querySelectorAll("svg.overlay rect.box").length`)
	if boxes == 0 {
		t.Fatal("no region is drawn for general-image-detection on fruits.jpg")
	}
	labels := eval[[]string](b, `Array.from(document.querySelectorAll("svg.overlay text"), (e) => e.textContent.split(" ")[1])`)
	if !slices.ContainsFunc(labels, func(l string) bool { return l == "apple" || l == "orange" || l == "banana" }) {
		t.Fatalf("the regions are labelled %v, want a fruit", labels)
	}
	// The overlay covers the image exactly, so boxes sit where they belong.
	if d := eval[float64](b, `(() => { const i = document.querySelector(".stage img").getBoundingClientRect(), o = document.querySelector("svg.overlay").getBoundingClientRect();
		return Math.abs(i.left - o.left) + Math.abs(i.top - o.top) + Math.abs(i.width - o.width) + Math.abs(i.height - o.height) })()`); d > 1 {
		t.Fatalf("the overlay is %v px off the image", d)
	}
	snippet := eval[string](b, `document.getElementById("snippet-curl-code").textContent`)
	if !strings.Contains(snippet, "/v2/users/clarifai/apps/main/models/general-image-detection/outputs") ||
		!strings.Contains(snippet, "base64 -w0 'fruits.jpg'") || !strings.Contains(snippet, "$CLAVIS_PAT") {
		t.Fatalf("the curl snippet does not make the same call:\n%s", snippet)
	}
	if strings.Contains(b.text("main"), "clvp_") {
		t.Fatal("the model page shows a token")
	}
	b.shot("model-regions")
	b.click(`#snippet-python-tab`)
	if !eval[bool](b, `!document.getElementById("snippet-python").hidden && document.getElementById("snippet-curl").hidden`) {
		t.Fatal("the Python tab does not show the Python snippet alone")
	}

	// OCR: the text over its boxes; colors: swatches.
	b.open("/apps/clarifai/main/models/ocr-scene-english-paddleocr")
	b.predictFile(filepath.Join(images, "scenetext01.jpg"))
	if n := eval[int](b, `document.querySelectorAll("svg.overlay.ocr text").length`); n == 0 {
		t.Fatal("no OCR text is drawn over the image")
	}
	b.shot("model-ocr")
	b.open("/apps/clarifai/main/models/color-recognition")
	b.predictFile(filepath.Join(images, "fruits.jpg"))
	if n := eval[int](b, `document.querySelectorAll(".swatches li").length`); n == 0 {
		t.Fatal("no color swatch")
	}
	b.shot("model-colors")

	// An app of the user's own lists the built-in models beside its own.
	b.open("/apps/new")
	b.fill("#id", "pets")
	b.follow(`form[action="/apps"] button[type="submit"]`)
	b.follow(`nav.tabs a[href="/apps/carol/pets/models"]`)
	if !b.hasText("No models of its own") || !b.hasText("general-image-recognition") {
		t.Fatal("an app's models tab lacks the built-in models")
	}
	b.shot("app-models")
}

// dropFile drops the file at path on the playground's drop zone, as a
// person dragging it from their desktop would.
func dropFile(b *tab, path string) {
	b.t.Helper()
	// The page cannot read the disk: the file input, filled by the
	// browser, hands its File to a synthetic drop.
	b.do(chromedp.SetUploadFiles(chromedp.CSS(`#image`), []string{path}))
	eval[bool](b, `(() => {
		const input = document.getElementById("image"), zone = document.querySelector(".dropzone");
		const dt = new DataTransfer();
		dt.items.add(input.files[0]);
		input.value = "";
		zone.dispatchEvent(new DragEvent("dragover", { dataTransfer: dt, bubbles: true, cancelable: true }));
		zone.dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
		return input.files.length === 1;
	})()`)
}
