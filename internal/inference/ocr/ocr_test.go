package ocr_test

import (
	"context"
	"errors"
	"image"
	"image/color"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/inference"
	"github.com/clavis-dev/clavis/internal/inference/manifest"
	"github.com/clavis-dev/clavis/internal/inference/modeltest"
	"github.com/clavis-dev/clavis/internal/inference/ocr"
)

var _ inference.Runner = (*ocr.Model)(nil)

// load returns the model, closed when the test ends.
func load(t testing.TB) *ocr.Model {
	t.Helper()
	dir := modeltest.Init(t, manifest.PaddleOCR.Name)
	m, err := ocr.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func predict(t testing.TB, m *ocr.Model, img image.Image) []clavis.Region {
	t.Helper()
	pred, err := m.Predict(context.Background(), img)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range pred.Regions {
		b := r.Box
		if !(0 <= b.Top && b.Top < b.Bottom && b.Bottom <= 1 && 0 <= b.Left && b.Left < b.Right && b.Right <= 1) {
			t.Errorf("region %q: box %+v is not a normalized box", r.Text, b)
		}
		if r.Value < 0.5 || r.Value > 1 {
			t.Errorf("region %q: value %v outside [0.5, 1]", r.Text, r.Value)
		}
		if r.Text == "" || r.Text != strings.TrimSpace(r.Text) {
			t.Errorf("region text %q is empty or untrimmed", r.Text)
		}
		if r.ID == "" || len(r.Concepts) != 0 {
			t.Errorf("region %q: id %q, concepts %v; want an id and no concepts", r.Text, r.ID, r.Concepts)
		}
	}
	return pred.Regions
}

func TestNewMissingFiles(t *testing.T) {
	dir := t.TempDir()
	_, err := ocr.New(dir)
	if err == nil {
		t.Fatal("New on an empty models dir succeeded")
	}
	for _, w := range []string{manifest.OCR.ID, dir, "clavis setup --models-dir"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not contain %q", err, w)
		}
	}
}

// texts returns the texts of regions, in order.
func texts(regions []clavis.Region) []string {
	var out []string
	for _, r := range regions {
		out = append(out, r.Text)
	}
	return out
}

func TestSceneText(t *testing.T) {
	m := load(t)
	regions := predict(t, m, modeltest.Image(t, "scenetext01.jpg"))
	// The sign, in reading order, each line its own region.
	want := []string{"NOTICE", "DOUBLE", "PARKING", "PROHIBITED", "AT ALL TIMES"}
	got := texts(regions)
	next := 0
	for _, r := range regions {
		if next < len(want) && r.Text == want[next] {
			// The sign stands at x ≈ 0.32–0.55, y ≈ 0.03–0.45 of the photo.
			if b := r.Box; b.Left < 0.3 || b.Right > 0.56 || b.Top < 0.03 || b.Bottom > 0.45 {
				t.Errorf("%q at %+v, outside the sign", r.Text, b)
			}
			next++
		}
	}
	if next != len(want) {
		t.Errorf("regions %q do not hold %q in order", got, want)
	}
}

// documentLines are the lines of imageTextN.png.
var documentLines = []string{
	"technical details are too complex to cover in the book itself.",
	"In teaching our courses, we have found it useful for the students to attempt a number of",
	"small implementation projects, which often build on one another, in order to get them used to",
	"working with real-world images and the challenges that these present. The students are then",
	"asked to choose an individual topic for each of their small-group, final projects. (Sometimes",
	"these projects even turn into conference papers!) The exercises at the end of each chapter",
	"contain numerous suggestions for smaller mid-term projects, as well as more open-ended",
	"problems whose solutions are still active research topics. Wherever possible, I encourage",
	"students to try their algorithms on their own personal photographs, since this better motivates",
	"them, often leads to creative variants on the problems, and better acquaints them with the",
	"variety and complexity of real-world imagery.",
	"In formulating and solving computer vision problems, I have often found it useful to draw",
	"inspiration from three high-level approaches:",
}

var wordRE = regexp.MustCompile(`[A-Za-z0-9]+(?:[-'][A-Za-z0-9]+)*`)

// wordRecall returns the fraction of the words of want found in got, each
// found word used once.
func wordRecall(want, got []string) float64 {
	have := map[string]int{}
	for _, w := range wordRE.FindAllString(strings.Join(got, " "), -1) {
		have[strings.ToLower(w)]++
	}
	words := wordRE.FindAllString(strings.Join(want, " "), -1)
	found := 0
	for _, w := range words {
		if w = strings.ToLower(w); have[w] > 0 {
			have[w]--
			found++
		}
	}
	return float64(found) / float64(len(words))
}

func TestDocumentLines(t *testing.T) {
	m := load(t)
	img := modeltest.Image(t, "imageTextN.png")
	tests := []struct {
		name      string
		img       image.Image
		exact     []string // lines that must be read exactly
		minRecall float64  // fraction of the page's words that must be read
		ordered   bool     // regions must come top to bottom
	}{
		{"Page", img, []string{documentLines[0], documentLines[5], documentLines[12]}, 0.97, true},
		// Text on a transparent background is read as if laid on white.
		{"TransparentBackground", transparentBackground(img), []string{documentLines[0]}, 0.9, true},
		// Lines running top to bottom are read rotated.
		{"RotatedClockwise", rotateClockwise(img), nil, 0.8, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			regions := predict(t, m, tt.img)
			got := texts(regions)
			t.Logf("read %q", got)
			for _, line := range tt.exact {
				if !contains(got, line) {
					t.Errorf("line %q not read; got %q", line, got)
				}
			}
			if r := wordRecall(documentLines, got); r < tt.minRecall {
				t.Errorf("word recall %.2f < %.2f; got %q", r, tt.minRecall, got)
			}
			for i := 1; tt.ordered && i < len(regions); i++ {
				if regions[i].Box.Top < regions[i-1].Box.Top {
					t.Errorf("region %q above the previous one %q", regions[i].Text, regions[i-1].Text)
				}
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// transparentBackground returns img with its light pixels made fully
// transparent black, and its dark (text) pixels opaque.
func transparentBackground(img image.Image) image.Image {
	b := img.Bounds()
	out := image.NewNRGBA(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			g := color.GrayModel.Convert(img.At(x, y)).(color.Gray)
			out.SetNRGBA(x, y, color.NRGBA{A: 255 - g.Y})
		}
	}
	return out
}

// rotateClockwise returns img turned a quarter clockwise.
func rotateClockwise(img image.Image) image.Image {
	b := img.Bounds()
	out := image.NewRGBA(image.Rect(0, 0, b.Dy(), b.Dx()))
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			out.Set(b.Max.Y-1-y, x-b.Min.X, img.At(x, y))
		}
	}
	return out
}

func TestNoText(t *testing.T) {
	m := load(t)
	tests := []struct {
		name string
		img  image.Image
	}{
		{"White", uniform(640, 480, color.White)},
		{"Black", uniform(300, 200, color.Black)},
		{"OnePixel", uniform(1, 1, color.White)},
		{"Offset", image.NewRGBA(image.Rect(100, 100, 164, 132))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if regions := predict(t, m, tt.img); len(regions) != 0 {
				t.Errorf("regions %q in an image without text", texts(regions))
			}
		})
	}
}

func uniform(w, h int, c color.Color) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, c)
		}
	}
	return img
}

// TestPhotoWithoutText reads next to nothing in a photo of a cat.
func TestPhotoWithoutText(t *testing.T) {
	m := load(t)
	if regions := predict(t, m, modeltest.Image(t, "chelsea.png")); len(regions) > 2 {
		t.Errorf("read %d text regions in a photo of a cat: %q", len(regions), texts(regions))
	}
}

func TestSubImage(t *testing.T) {
	m := load(t)
	// The sign's top half, as a sub-image whose bounds do not start at 0.
	scene := modeltest.Image(t, "scenetext01.jpg").(interface {
		SubImage(image.Rectangle) image.Image
	})
	got := texts(predict(t, m, scene.SubImage(image.Rect(250, 10, 450, 180))))
	if !contains(got, "NOTICE") || !contains(got, "DOUBLE") {
		t.Errorf("sub-image read as %q, want NOTICE and DOUBLE", got)
	}
}

func TestConcurrentPredict(t *testing.T) {
	m := load(t)
	img := modeltest.Image(t, "scenetext01.jpg")
	want := predict(t, m, img)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			pred, err := m.Predict(context.Background(), img)
			if err != nil {
				t.Error(err)
				return
			}
			if !reflect.DeepEqual(pred.Regions, want) {
				t.Errorf("concurrent Predict gave %q, want %q", texts(pred.Regions), texts(want))
			}
		})
	}
	wg.Wait()
}

func TestPredictCanceled(t *testing.T) {
	m := load(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := m.Predict(ctx, modeltest.Image(t, "scenetext01.jpg")); !errors.Is(err, context.Canceled) {
		t.Errorf("Predict with a canceled context: error = %v, want context.Canceled", err)
	}
}
