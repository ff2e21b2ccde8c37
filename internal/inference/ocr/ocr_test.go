package ocr_test

import (
	"context"
	"strings"
	"testing"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/inference/modeltest"
	"github.com/clavis-dev/clavis/internal/inference/ocr"
	"github.com/clavis-dev/clavis/internal/setup"
)

func model(t testing.TB) *ocr.Model {
	dir := modeltest.Init(t, setup.ModelOCR)
	m, err := ocr.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func texts(p *clavis.Prediction) []string {
	var out []string
	for _, r := range p.Regions {
		out = append(out, r.Text)
	}
	return out
}

func checkBoxes(t *testing.T, p *clavis.Prediction) {
	t.Helper()
	for _, r := range p.Regions {
		b := r.Box
		if !(0 <= b.Top && b.Top < b.Bottom && b.Bottom <= 1 && 0 <= b.Left && b.Left < b.Right && b.Right <= 1) {
			t.Errorf("region %q has box %+v outside [0,1] or inverted", r.Text, b)
		}
		if r.Value <= 0 || r.Value > 1 {
			t.Errorf("region %q has confidence %v", r.Text, r.Value)
		}
	}
}

// TestSceneText reads the sign in scenetext01.jpg.
func TestSceneText(t *testing.T) {
	m := model(t)
	p, err := m.Predict(context.Background(), modeltest.Image(t, "scenetext01.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	checkBoxes(t, p)
	got := texts(p)
	joined := strings.ToUpper(strings.Join(got, " "))
	for _, word := range []string{"NOTICE", "DOUBLE", "PARKING", "PROHIBITED", "AT ALL TIMES"} {
		if !strings.Contains(joined, word) {
			t.Errorf("%q not read; got %q", word, got)
		}
	}
	// The sign's lines come in reading order.
	if i, j := strings.Index(joined, "NOTICE"), strings.Index(joined, "PROHIBITED"); i < 0 || j < i {
		t.Errorf("lines out of order: %q", got)
	}
}

// TestTextPage reads the lines of imageTextN.png, a page of a book.
func TestTextPage(t *testing.T) {
	m := model(t)
	p, err := m.Predict(context.Background(), modeltest.Image(t, "imageTextN.png"))
	if err != nil {
		t.Fatal(err)
	}
	checkBoxes(t, p)
	got := texts(p)
	want := []string{
		"technical details are too complex to cover in the book itself.",
		"In teaching our courses, we have found it useful for the students to attempt a number of",
		"variety and complexity of real-world imagery.",
		"inspiration from three high-level approaches:",
	}
	for _, w := range want {
		found := false
		for _, g := range got {
			found = found || g == w
		}
		if !found {
			t.Errorf("line %q not read exactly; got %q", w, got)
		}
	}
	// Nearly every word of the page is read right.
	page := strings.Fields(strings.Join(got, " "))
	words := strings.Fields(`technical details are too complex to cover in the book itself. In teaching our courses, we have
		found it useful for the students to attempt a number of small implementation projects, which often build on one
		another, in order to get them used to working with real-world images and the challenges that these present. The
		students are then asked to choose an individual topic for each of their small-group, final projects. (Sometimes
		these projects even turn into conference papers!) The exercises at the end of each chapter contain numerous
		suggestions for smaller mid-term projects, as well as more open-ended problems whose solutions are still active
		research topics. Wherever possible, I encourage students to try their algorithms on their own personal
		photographs, since this better motivates them, often leads to creative variants on the problems, and better
		acquaints them with the variety and complexity of real-world imagery. In formulating and solving computer vision
		problems, I have often found it useful to draw inspiration from three high-level approaches:`)
	seen := map[string]int{}
	for _, w := range page {
		seen[w]++
	}
	hits := 0
	for _, w := range words {
		if seen[w] > 0 {
			seen[w]--
			hits++
		}
	}
	if frac := float64(hits) / float64(len(words)); frac < 0.97 {
		t.Errorf("read %.1f%% of the page's %d words; want at least 97%%", 100*frac, len(words))
	}
	for i := 1; i < len(p.Regions); i++ {
		if p.Regions[i].Box.Top+0.01 < p.Regions[i-1].Box.Top {
			t.Errorf("lines not top to bottom at %d: %q after %q", i, got[i], got[i-1])
		}
	}
}

// TestBlankImage finds next to no text in a photo of a cat.
func TestBlankImage(t *testing.T) {
	m := model(t)
	p, err := m.Predict(context.Background(), modeltest.Image(t, "chelsea.png"))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Regions) > 2 {
		t.Errorf("read %d text regions in a photo of a cat: %q", len(p.Regions), texts(p))
	}
}
