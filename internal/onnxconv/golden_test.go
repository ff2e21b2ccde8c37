package onnxconv_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"image"
	"image/color"
	_ "image/png"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/clavis-dev/clavis/internal/inference/manifest"
	"github.com/clavis-dev/clavis/internal/inference/modeltest"
	"github.com/clavis-dev/clavis/internal/inference/onnx"
	"github.com/clavis-dev/clavis/internal/onnxconv"
)

// tolerance is the exactness bound: no output element of a
// converted model may differ from TF.js's by more than this.
const tolerance = 1e-4

// golden is the layout of testdata/golden/<id>.json, written by
// scripts/tfjs-golden/golden.mjs.
type golden struct {
	Model     string `json:"model"`
	TFJS      string `json:"tfjs"`
	InputName string `json:"inputName"`
	Cases     []struct {
		Input struct {
			Kind   string  `json:"kind"` // "random" or "image"
			Seed   uint32  `json:"seed"`
			Lo     float64 `json:"lo"`
			Hi     float64 `json:"hi"`
			File   string  `json:"file"`
			Scale  float64 `json:"scale"`
			Offset float64 `json:"offset"`
			Shape  []int64 `json:"shape"`
			Layout string  `json:"layout"`
		} `json:"input"`
		Outputs map[string]goldenOutput `json:"outputs"`
	} `json:"cases"`
}

type goldenOutput struct {
	Shape      []int64 `json:"shape"`
	Size       int     `json:"size"`
	Data       string  `json:"data"`    // all values, when small
	Stride     int     `json:"stride"`  // else every stride-th value
	Samples    string  `json:"samples"` // …
	TopIndices []int   `json:"topIndices"`
	TopValues  string  `json:"topValues"`
}

func floats(t *testing.T, b64 string) []float32 {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(b)%4 != 0 {
		t.Fatalf("bad base64 float32 data: %v", err)
	}
	out := make([]float32, len(b)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out
}

// converted returns the assets of the manifest that are converted from
// TF.js.
func converted() []*manifest.Asset {
	var out []*manifest.Asset
	for _, a := range manifest.Assets() {
		if a.Convert != nil {
			out = append(out, a)
		}
	}
	return out
}

// zooDir returns a models dir holding the ONNX Runtime library and the
// converted models with their TF.js sources, with the runtime loaded.
func zooDir(t *testing.T) string {
	t.Helper()
	var names []string
	for _, a := range converted() {
		names = append(names, a.Name)
	}
	return modeltest.Init(t, names...)
}

// randomInput mirrors golden.mjs: xorshift32 values mapped to [lo, hi),
// computed in float64 and rounded once to float32.
func randomInput(size int, seed uint32, lo, hi float64) []float32 {
	out := make([]float32, size)
	x := seed
	for i := range out {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		// Explicit conversions keep the compiler from fusing operations.
		out[i] = float32(lo + float64((hi-lo)*(float64(x>>8)/16777216)))
	}
	return out
}

// imageInput mirrors golden.mjs: nearest-pixel resize with integer math,
// then v*scale+offset per channel in float64, rounded once to float32.
func imageInput(t *testing.T, file string, shape []int64, layout string, scale, offset float64) []float32 {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	h, w := int(shape[1]), int(shape[2])
	if layout == "NCHW" {
		h, w = int(shape[2]), int(shape[3])
	}
	b := img.Bounds()
	out := make([]float32, h*w*3)
	for y := 0; y < h; y++ {
		sy := y * b.Dy() / h
		for x := 0; x < w; x++ {
			sx := x * b.Dx() / w
			c := color.NRGBAModel.Convert(img.At(b.Min.X+sx, b.Min.Y+sy)).(color.NRGBA)
			for ch, v := range [3]uint8{c.R, c.G, c.B} {
				i := (y*w+x)*3 + ch
				if layout == "NCHW" {
					i = (ch*h+y)*w + x
				}
				out[i] = float32(float64(float64(v)*scale) + offset)
			}
		}
	}
	return out
}

func readGolden(t *testing.T, id string) *golden {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "golden", id+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var g golden
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	if g.Model != id || len(g.Cases) == 0 {
		t.Fatalf("golden file of %q names model %q and has %d cases", id, g.Model, len(g.Cases))
	}
	return &g
}

// TestZooMatchesTFJS converts each zoo model twice (the bytes must be equal
// and have the pinned digest), runs it in ONNX Runtime on the golden inputs
// and compares every output with what TF.js computed.
func TestZooMatchesTFJS(t *testing.T) {
	dir := zooDir(t)
	images := modeltest.ImagesDir(t)
	for _, a := range converted() {
		z := a.Convert
		t.Run(a.Name, func(t *testing.T) {
			ctx := context.Background()
			model, err := onnxconv.Build(ctx, dir, *z)
			if err != nil {
				t.Fatal(err)
			}
			again, err := onnxconv.Build(ctx, dir, *z)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(model, again) {
				t.Fatal("two conversions of the same model differ")
			}
			sum := sha256.Sum256(model)
			if got := hex.EncodeToString(sum[:]); got != z.SHA256 {
				t.Errorf("SHA-256 of the converted model = %s, pinned %s", got, z.SHA256)
			}

			g := readGolden(t, a.Name)
			s, err := onnx.NewSessionFromBytes(a.Name, model, onnx.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if in := s.Inputs(); len(in) != 1 || in[0].Name != g.InputName {
				t.Fatalf("inputs = %+v, want one named %q", in, g.InputName)
			}
			for _, c := range g.Cases {
				in := c.Input
				size := 1
				for _, d := range in.Shape {
					size *= int(d)
				}
				var data []float32
				name := in.Kind
				switch in.Kind {
				case "random":
					data = randomInput(size, in.Seed, in.Lo, in.Hi)
				case "image":
					data = imageInput(t, filepath.Join(images, in.File), in.Shape, in.Layout, in.Scale, in.Offset)
					name = in.File
				default:
					t.Fatalf("unknown input kind %q", in.Kind)
				}
				outs, err := s.Run(ctx, onnx.Tensor{Shape: in.Shape, Data: data})
				if err != nil {
					t.Fatal(err)
				}
				if len(outs) != len(c.Outputs) {
					t.Fatalf("%s: %d outputs, TF.js has %d", name, len(outs), len(c.Outputs))
				}
				for i, info := range s.Outputs() {
					want, ok := c.Outputs[info.Name]
					if !ok {
						t.Fatalf("%s: output %q is not in the golden file", name, info.Name)
					}
					compare(t, name+"/"+info.Name, outs[i], want)
				}
			}
		})
	}
}

// compare checks one output against its golden values and logs the largest
// absolute difference.
func compare(t *testing.T, name string, got onnx.Tensor, want goldenOutput) {
	t.Helper()
	if !equalShape(got.Shape, want.Shape) || len(got.Data) != want.Size {
		t.Errorf("%s: shape %v, TF.js %v", name, got.Shape, want.Shape)
		return
	}
	var maxDiff float64
	bad := 0
	check := func(i int, ref float32) {
		d := math.Abs(float64(got.Data[i]) - float64(ref))
		if math.IsNaN(d) {
			d = math.Inf(1)
		}
		maxDiff = max(maxDiff, d)
		if d > tolerance {
			if bad < 3 {
				t.Errorf("%s[%d] = %g, TF.js %g (diff %.3g)", name, i, got.Data[i], ref, d)
			}
			bad++
		}
	}
	n := 0
	if want.Data != "" {
		for i, v := range floats(t, want.Data) {
			check(i, v)
			n++
		}
	} else {
		for k, v := range floats(t, want.Samples) {
			check(k*want.Stride, v)
			n++
		}
		for k, v := range floats(t, want.TopValues) {
			check(want.TopIndices[k], v)
			n++
		}
	}
	if n == 0 {
		t.Errorf("%s: golden file holds no values", name)
	}
	if bad > 0 {
		t.Errorf("%s: %d of %d compared values out of bounds", name, bad, n)
	}
	t.Logf("%s: max |diff| %.3g over %d values", name, maxDiff, n)
}

func equalShape(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
