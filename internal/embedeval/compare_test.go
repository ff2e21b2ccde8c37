package embedeval_test

import (
	"context"
	"fmt"
	"image"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/clavis-dev/clavis/internal/embedeval"
	"github.com/clavis-dev/clavis/internal/inference/manifest"
	"github.com/clavis-dev/clavis/internal/inference/modeltest"
	"github.com/clavis-dev/clavis/internal/inference/onnx"
	"github.com/clavis-dev/clavis/internal/inference/vision"
	"github.com/clavis-dev/clavis/internal/onnxconv"
)

// originals returns the images the labelled set is made from: the shared
// test images, and the clone's astronaut.jpg, a JPEG of astronaut.png and
// so of its group.
func originals(t *testing.T) []embedeval.Original {
	var out []embedeval.Original
	for _, name := range []string{"astronaut.png", "chelsea.png", "fruits.jpg", "imageTextN.png", "messi5.jpg", "scenetext01.jpg"} {
		out = append(out, embedeval.Original{Group: strings.TrimSuffix(name, filepath.Ext(name)), Name: name, Image: modeltest.Image(t, name)})
	}
	return append(out, embedeval.Original{Group: "astronaut", Name: "astronaut.jpg", Image: modeltest.ImageFile(t, filepath.Join("..", "..", "testdata", "images", "astronaut.jpg"))})
}

// TestCompare embeds the labelled set with the tiny-image baseline and
// every candidate, in one run, and prints the table docs/search.md
// reports. The chosen embedder must beat the baseline on recall@1.
func TestCompare(t *testing.T) {
	var assets []string
	for _, a := range manifest.Assets() {
		if a.Convert != nil {
			assets = append(assets, a.Name)
		}
	}
	dir := modeltest.Init(t, assets...)
	items, err := embedeval.Build(originals(t), embedeval.Recipe)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		name     string
		dim      int
		perImage time.Duration
		s        embedeval.Scores
	}
	embed := func(name string, f func(image.Image) ([]float32, error)) row {
		var vecs [][]float32
		start := time.Now()
		for _, it := range items {
			v, err := f(it.Image)
			if err != nil {
				t.Fatalf("%s: %s: %v", name, it.Name, err)
			}
			vecs = append(vecs, v)
		}
		return row{name, len(vecs[0]), time.Since(start) / time.Duration(len(items)), embedeval.Evaluate(items, vecs)}
	}
	rows := []row{embed("thumbnail-8x8 (baseline)", func(img image.Image) ([]float32, error) { return embedeval.Thumbnail(img), nil })}
	for _, c := range embedeval.Candidates {
		model, err := onnxconv.Build(context.Background(), dir, c.Conversion)
		if err != nil {
			t.Fatal(err)
		}
		s, err := onnx.NewSessionFromBytes(c.Name, model, onnx.Options{})
		if err != nil {
			t.Fatal(err)
		}
		e, err := vision.NewEmbedder(s, c.Preprocess)
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, embed(c.Name, func(img image.Image) ([]float32, error) { return e.Embed(context.Background(), img) }))
		e.Close()
	}

	groups := map[string]bool{}
	for _, it := range items {
		groups[it.Group] = true
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d items (%d originals in %d groups, %d transforms each), %s/%s, %d CPUs\n",
		len(items), len(items)/(len(embedeval.Recipe)+1), len(groups), len(embedeval.Recipe), runtime.GOOS, runtime.GOARCH, runtime.NumCPU())
	b.WriteString("| embedder | dims | recall@1 | recall@5 | mAP | copy → own original first | ms/image |\n|---|---|---|---|---|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %d | %.3f | %.3f | %.3f | %.3f | %.1f |\n", r.name, r.dim, r.s.RecallAt1, r.s.RecallAt5, r.s.MAP, r.s.OriginalAt1, float64(r.perImage.Microseconds())/1000)
	}
	t.Log("\n" + b.String())
	base, chosen := rows[0].s, rows[1].s
	if chosen.RecallAt1 <= base.RecallAt1 {
		t.Errorf("%s: recall@1 %.3f does not beat the baseline's %.3f", rows[1].name, chosen.RecallAt1, base.RecallAt1)
	}
	if chosen.Queries != len(items) {
		t.Errorf("%d queries, want one per item (%d)", chosen.Queries, len(items))
	}
}
