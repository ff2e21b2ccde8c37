package onnxconv_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/clavis-dev/clavis/internal/inference/modeltest"
	"github.com/clavis-dev/clavis/internal/inference/onnx"
	"github.com/clavis-dev/clavis/internal/onnxconv"
)

// These tests convert small hand-written graphs, run them in ONNX Runtime
// and compare with reference implementations of TF's semantics, covering
// op configurations the zoo models do not (odd sizes with SAME padding,
// depthwise multipliers, every resize coordinate mode, slicing masks, …).

func node(name, op string, inputs []string, attrs string) string {
	in := `"` + strings.Join(inputs, `", "`) + `"`
	if len(inputs) == 0 {
		in = ""
	}
	if attrs == "" {
		attrs = "{}"
	}
	return fmt.Sprintf(`{"name": %q, "op": %q, "input": [%s], "attr": %s}`, name, op, in, attrs)
}

func constNode(name, dtype string, shape []int, vals []float64) string {
	dims := make([]string, len(shape))
	for i, d := range shape {
		dims[i] = fmt.Sprintf(`{"size": "%d"}`, d)
	}
	field := "floatVal"
	if dtype != "DT_FLOAT" {
		field = "intVal"
	}
	v := make([]string, len(vals))
	for i, x := range vals {
		v[i] = fmt.Sprint(x)
	}
	return fmt.Sprintf(`{"name": %q, "op": "Const", "attr": {"dtype": {"type": %q}, "value": {"tensor": {"dtype": %q, "tensorShape": {"dim": [%s]}, %q: [%s]}}}}`,
		name, dtype, dtype, strings.Join(dims, ","), field, strings.Join(v, ","))
}

func placeholder(name string, shape []int) string {
	dims := make([]string, len(shape))
	for i, d := range shape {
		dims[i] = fmt.Sprintf(`{"size": "%d"}`, d)
	}
	return fmt.Sprintf(`{"name": %q, "op": "Placeholder", "attr": {"dtype": {"type": "DT_FLOAT"}, "shape": {"shape": {"dim": [%s]}}}}`, name, strings.Join(dims, ","))
}

func ints(v ...int) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = fmt.Sprintf(`"%d"`, x)
	}
	return `{"list": {"i": [` + strings.Join(s, ",") + `]}}`
}

func str(s string) string {
	return fmt.Sprintf(`{"s": %q}`, base64.StdEncoding.EncodeToString([]byte(s)))
}

func strs(v ...string) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = fmt.Sprintf("%q", base64.StdEncoding.EncodeToString([]byte(x)))
	}
	return `{"list": {"s": [` + strings.Join(s, ",") + `]}}`
}

func randValues(r *rand.Rand, n int, lo, hi float64) []float64 {
	v := make([]float64, n)
	for i := range v {
		// Values exact in float32, so the graph and the reference agree.
		v[i] = float64(float32(lo + (hi-lo)*r.Float64()))
	}
	return v
}

// run converts the graph and runs it on x, returning its outputs in order.
func run(t *testing.T, modelJSON string, shape []int64, x []float64) []onnx.Tensor {
	t.Helper()
	modeltest.Init(t)
	b, err := onnxconv.ConvertModel(parse(t, modelJSON))
	if err != nil {
		t.Fatal(err)
	}
	s, err := onnx.NewSessionFromBytes(t.Name(), b, onnx.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	in := make([]float32, len(x))
	for i, v := range x {
		in[i] = float32(v)
	}
	outs, err := s.Run(context.Background(), onnx.Tensor{Shape: shape, Data: in})
	if err != nil {
		t.Fatal(err)
	}
	return outs
}

func expect(t *testing.T, name string, got onnx.Tensor, shape []int64, want []float64, tol float64) {
	t.Helper()
	if fmt.Sprint(got.Shape) != fmt.Sprint(shape) {
		t.Errorf("%s: shape %v, want %v", name, got.Shape, shape)
		return
	}
	for i, w := range want {
		if d := math.Abs(float64(got.Data[i]) - w); !(d <= tol) {
			t.Errorf("%s[%d] = %g, want %g", name, i, got.Data[i], w)
			return
		}
	}
}

// tensor3 is an HWC image for the reference implementations (batch 1).
type tensor3 struct {
	h, w, c int
	v       []float64
}

func (x tensor3) at(y, xx, c int) (float64, bool) {
	if y < 0 || y >= x.h || xx < 0 || xx >= x.w {
		return 0, false
	}
	return x.v[(y*x.w+xx)*x.c+c], true
}

// samePad returns TF's output size and leading padding.
func samePad(in, k, s, d int, same bool) (out, pad int) {
	ek := (k-1)*d + 1
	if !same {
		return (in-ek)/s + 1, 0
	}
	out = (in + s - 1) / s
	total := max((out-1)*s+ek-in, 0)
	return out, total / 2
}

func refConv(x tensor3, w []float64, kh, kw, co, stride, dil int, same, depthwise bool) tensor3 {
	oh, pt := samePad(x.h, kh, stride, dil, same)
	ow, pl := samePad(x.w, kw, stride, dil, same)
	outC := co
	if depthwise {
		outC = x.c * co
	}
	out := tensor3{oh, ow, outC, make([]float64, oh*ow*outC)}
	for y := 0; y < oh; y++ {
		for xx := 0; xx < ow; xx++ {
			for o := 0; o < outC; o++ {
				var sum float64
				for i := 0; i < kh; i++ {
					for j := 0; j < kw; j++ {
						for c := 0; c < x.c; c++ {
							if depthwise && c != o/co {
								continue
							}
							v, ok := x.at(y*stride+i*dil-pt, xx*stride+j*dil-pl, c)
							if !ok {
								continue
							}
							if depthwise {
								sum += v * w[((i*kw+j)*x.c+c)*co+o%co]
							} else {
								sum += v * w[((i*kw+j)*x.c+c)*co+o]
							}
						}
					}
				}
				out.v[(y*ow+xx)*outC+o] = sum
			}
		}
	}
	return out
}

func refPool(x tensor3, k, stride int, same, isMax bool) tensor3 {
	oh, pt := samePad(x.h, k, stride, 1, same)
	ow, pl := samePad(x.w, k, stride, 1, same)
	out := tensor3{oh, ow, x.c, make([]float64, oh*ow*x.c)}
	for y := 0; y < oh; y++ {
		for xx := 0; xx < ow; xx++ {
			for c := 0; c < x.c; c++ {
				acc, n := math.Inf(-1), 0
				if !isMax {
					acc = 0
				}
				for i := 0; i < k; i++ {
					for j := 0; j < k; j++ {
						v, ok := x.at(y*stride+i-pt, xx*stride+j-pl, c)
						if !ok {
							continue // TF leaves padding out of max and mean
						}
						if isMax {
							acc = math.Max(acc, v)
						} else {
							acc += v
						}
						n++
					}
				}
				if !isMax {
					acc /= float64(n)
				}
				out.v[(y*ow+xx)*x.c+c] = acc
			}
		}
	}
	return out
}

func refResize(x tensor3, oh, ow int, align, half bool) tensor3 {
	src := func(o, in, out int) (lo, hi int, frac float64) {
		scale := float64(in) / float64(out)
		if align && out > 1 {
			scale = float64(in-1) / float64(out-1)
		}
		f := float64(o) * scale
		if half {
			f = (float64(o)+0.5)*scale - 0.5
		}
		lo = max(0, int(math.Floor(f)))
		hi = min(in-1, int(math.Ceil(f)))
		return lo, hi, f - float64(lo)
	}
	out := tensor3{oh, ow, x.c, make([]float64, oh*ow*x.c)}
	for y := 0; y < oh; y++ {
		y0, y1, fy := src(y, x.h, oh)
		for xx := 0; xx < ow; xx++ {
			x0, x1, fx := src(xx, x.w, ow)
			for c := 0; c < x.c; c++ {
				tl, _ := x.at(y0, x0, c)
				tr, _ := x.at(y0, x1, c)
				bl, _ := x.at(y1, x0, c)
				br, _ := x.at(y1, x1, c)
				top := tl + (tr-tl)*fx
				bot := bl + (br-bl)*fx
				out.v[(y*ow+xx)*x.c+c] = top + (bot-top)*fy
			}
		}
	}
	return out
}

func shape4(x tensor3) []int64 { return []int64{1, int64(x.h), int64(x.w), int64(x.c)} }

func TestNNOps(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	x := tensor3{5, 7, 3, randValues(r, 5*7*3, -1, 1)}
	w1, b1 := randValues(r, 3*3*3*4, -1, 1), randValues(r, 4, -1, 1)
	dw, db := randValues(r, 3*3*3*2, -1, 1), randValues(r, 6, -1, 1)
	w2, b2, alpha := randValues(r, 2*2*3*2, -1, 1), randValues(r, 2, -1, 1), []float64{0.25, -0.5}
	same, valid := str("SAME"), str("VALID")
	m := graph(
		placeholder("x", []int{1, 5, 7, 3}),
		constNode("w1", "DT_FLOAT", []int{3, 3, 3, 4}, w1), constNode("b1", "DT_FLOAT", []int{4}, b1),
		constNode("dw", "DT_FLOAT", []int{3, 3, 3, 2}, dw), constNode("db", "DT_FLOAT", []int{6}, db),
		constNode("w2", "DT_FLOAT", []int{2, 2, 3, 2}, w2), constNode("b2", "DT_FLOAT", []int{2}, b2),
		constNode("alpha", "DT_FLOAT", []int{2}, alpha),
		constNode("size", "DT_INT32", []int{2}, []float64{8, 11}),
		node("conv_same_s2_relu6", "_FusedConv2D", []string{"x", "w1", "b1"}, `{"strides": `+ints(1, 2, 2, 1)+`, "padding": `+same+`, "num_args": {"i": "1"}, "fused_ops": `+strs("BiasAdd", "Relu6")+`}`),
		node("dw_same_leaky", "FusedDepthwiseConv2dNative", []string{"x", "dw", "db"}, `{"strides": `+ints(1, 1, 1, 1)+`, "padding": `+same+`, "num_args": {"i": "1"}, "fused_ops": `+strs("BiasAdd", "LeakyRelu")+`, "leakyrelu_alpha": {"f": 0.3}}`),
		node("dw_dilated", "DepthwiseConv2dNative", []string{"x", "dw"}, `{"strides": `+ints(1, 1, 1, 1)+`, "dilations": `+ints(1, 2, 2, 1)+`, "padding": `+same+`}`),
		node("conv_valid_prelu", "_FusedConv2D", []string{"x", "w2", "b2", "alpha"}, `{"strides": `+ints(1, 1, 1, 1)+`, "padding": `+valid+`, "num_args": {"i": "2"}, "fused_ops": `+strs("BiasAdd", "Prelu")+`}`),
		node("maxpool", "MaxPool", []string{"x"}, `{"ksize": `+ints(1, 3, 3, 1)+`, "strides": `+ints(1, 2, 2, 1)+`, "padding": `+same+`}`),
		node("avgpool", "AvgPool", []string{"x"}, `{"ksize": `+ints(1, 2, 2, 1)+`, "strides": `+ints(1, 2, 2, 1)+`, "padding": `+same+`}`),
		node("resize_half", "ResizeBilinear", []string{"x", "size"}, `{"half_pixel_centers": {"b": true}}`),
		node("resize_align", "ResizeBilinear", []string{"x", "size"}, `{"align_corners": {"b": true}}`),
		node("resize_plain", "ResizeBilinear", []string{"x", "size"}, ``),
	)
	outs := run(t, m, shape4(x), x.v)
	if len(outs) != 9 {
		t.Fatalf("%d outputs, want 9", len(outs))
	}
	const tol = 1e-5
	act := func(v tensor3, f func(i int, v float64) float64) tensor3 {
		for i := range v.v {
			v.v[i] = f(i, v.v[i])
		}
		return v
	}
	c1 := act(refConv(x, w1, 3, 3, 4, 2, 1, true, false), func(i int, v float64) float64 { return math.Min(math.Max(v+b1[i%4], 0), 6) })
	expect(t, "conv_same_s2_relu6", outs[0], shape4(c1), c1.v, tol)
	d1 := act(refConv(x, dw, 3, 3, 2, 1, 1, true, true), func(i int, v float64) float64 {
		v += db[i%6]
		if v < 0 {
			v *= float64(float32(0.3))
		}
		return v
	})
	expect(t, "dw_same_leaky", outs[1], shape4(d1), d1.v, tol)
	d2 := refConv(x, dw, 3, 3, 2, 1, 2, true, true)
	expect(t, "dw_dilated", outs[2], shape4(d2), d2.v, tol)
	c2 := act(refConv(x, w2, 2, 2, 2, 1, 1, false, false), func(i int, v float64) float64 {
		v += b2[i%2]
		if v < 0 {
			v *= alpha[i%2]
		}
		return v
	})
	expect(t, "conv_valid_prelu", outs[3], shape4(c2), c2.v, tol)
	p1 := refPool(x, 3, 2, true, true)
	expect(t, "maxpool", outs[4], shape4(p1), p1.v, tol)
	p2 := refPool(x, 2, 2, true, false)
	expect(t, "avgpool", outs[5], shape4(p2), p2.v, tol)
	for i, mode := range []struct{ align, half bool }{{false, true}, {true, false}, {false, false}} {
		rs := refResize(x, 8, 11, mode.align, mode.half)
		expect(t, fmt.Sprintf("resize(align=%v, half=%v)", mode.align, mode.half), outs[6+i], shape4(rs), rs.v, tol)
	}
}

func TestArrayOps(t *testing.T) {
	// x[i][j][k] = 10*i + j + 0.1*k - 1.75, shape [2, 3, 4].
	x := make([]float64, 24)
	at := func(i, j, k int) float64 { return x[(i*3+j)*4+k] }
	for i := 0; i < 2; i++ {
		for j := 0; j < 3; j++ {
			for k := 0; k < 4; k++ {
				x[(i*3+j)*4+k] = float64(float32(float64(10*i+j) + 0.1*float64(k) - 1.75))
			}
		}
	}
	m := graph(
		placeholder("x", []int{2, 3, 4}),
		// x[1, 0:3:2, :] with axis 0 shrunk → [2, 4].
		constNode("b1", "DT_INT32", []int{3}, []float64{1, 0, 0}),
		constNode("e1", "DT_INT32", []int{3}, []float64{2, 3, 4}),
		constNode("s1", "DT_INT32", []int{3}, []float64{1, 2, 1}),
		node("slice", "StridedSlice", []string{"x", "b1", "e1", "s1"}, `{"shrink_axis_mask": {"i": "1"}}`),
		// x[:, :, ::-1] through begin and end masks.
		constNode("b2", "DT_INT32", []int{3}, []float64{0, 0, 0}),
		constNode("e2", "DT_INT32", []int{3}, []float64{0, 0, 0}),
		constNode("s2", "DT_INT32", []int{3}, []float64{1, 1, -1}),
		node("reverse", "StridedSlice", []string{"x", "b2", "e2", "s2"}, `{"begin_mask": {"i": "7"}, "end_mask": {"i": "7"}}`),
		node("pack", "Pack", []string{"slice", "slice"}, `{"axis": {"i": "1"}, "N": {"i": "2"}}`),
		constNode("minus1", "DT_INT32", []int{}, []float64{-1}),
		node("expand", "ExpandDims", []string{"x", "minus1"}, ``),
		node("squeeze", "Squeeze", []string{"expand"}, `{"squeeze_dims": {"list": {}}}`),
		constNode("axis1", "DT_INT32", []int{1}, []float64{1}),
		node("mean", "Mean", []string{"x", "axis1"}, `{"keep_dims": {"b": true}}`),
		constNode("sizes", "DT_INT32", []int{2}, []float64{1, -1}),
		constNode("axis2", "DT_INT32", []int{}, []float64{2}),
		node("split", "SplitV", []string{"x", "sizes", "axis2"}, `{"num_split": {"i": "2"}}`),
		node("split_rest", "Identity", []string{"split:1"}, ``),
		node("to_int", "Cast", []string{"x"}, `{"DstT": {"type": "DT_INT32"}}`),
		node("truncated", "Cast", []string{"to_int"}, `{"DstT": {"type": "DT_FLOAT"}}`),
		node("shape", "Shape", []string{"x"}, ``),
		node("shape_f", "Cast", []string{"shape"}, `{"DstT": {"type": "DT_FLOAT"}}`),
		// A shape computed from constants only, folded at conversion:
		// SparseToDense([[2]], [3], [4], 0) + [2, 3, 0] = [2, 3, 4].
		constNode("idx", "DT_INT64", []int{1, 1}, []float64{2}),
		constNode("dense_shape", "DT_INT64", []int{1}, []float64{3}),
		constNode("vals", "DT_INT64", []int{1}, []float64{4}),
		constNode("zero", "DT_INT64", []int{}, []float64{0}),
		node("sparse", "SparseToDense", []string{"idx", "dense_shape", "vals", "zero"}, ``),
		constNode("base", "DT_INT64", []int{3}, []float64{2, 3, 0}),
		node("folded_shape", "AddV2", []string{"base", "sparse"}, ``),
		node("reshaped", "Reshape", []string{"reverse", "folded_shape"}, ``),
		constNode("perm", "DT_INT32", []int{3}, []float64{2, 0, 1}),
		node("transpose", "Transpose", []string{"x", "perm"}, ``),
		node("concat", "ConcatV2", []string{"x", "x", "minus1"}, `{"N": {"i": "2"}}`),
	)
	outs := run(t, m, []int64{2, 3, 4}, x)
	names := []string{"pack", "squeeze", "mean", "split_rest", "truncated", "shape_f", "reshaped", "transpose", "concat"}
	if len(outs) != len(names) {
		t.Fatalf("%d outputs, want %d", len(outs), len(names))
	}
	var pack, mean, rest, trunc, reversed, transposed, concat []float64
	for j := 0; j < 2; j++ {
		for n := 0; n < 2; n++ {
			for k := 0; k < 4; k++ {
				pack = append(pack, at(1, 2*j, k)) // pack[j][n] = slice[j]
			}
		}
	}
	for i := 0; i < 2; i++ {
		for k := 0; k < 4; k++ {
			mean = append(mean, (at(i, 0, k)+at(i, 1, k)+at(i, 2, k))/3)
		}
		for j := 0; j < 3; j++ {
			for k := 0; k < 4; k++ {
				reversed = append(reversed, at(i, j, 3-k))
				if k > 0 {
					rest = append(rest, at(i, j, k))
				}
			}
			for c := 0; c < 2; c++ {
				for k := 0; k < 4; k++ {
					concat = append(concat, at(i, j, k))
				}
			}
		}
	}
	for _, v := range x {
		trunc = append(trunc, math.Trunc(v))
	}
	for k := 0; k < 4; k++ {
		for i := 0; i < 2; i++ {
			for j := 0; j < 3; j++ {
				transposed = append(transposed, at(i, j, k))
			}
		}
	}
	const tol = 1e-6
	expect(t, "pack", outs[0], []int64{2, 2, 4}, pack[:16], tol)
	expect(t, "squeeze", outs[1], []int64{2, 3, 4}, x, tol)
	expect(t, "mean", outs[2], []int64{2, 1, 4}, mean, tol)
	expect(t, "split_rest", outs[3], []int64{2, 3, 3}, rest, tol)
	expect(t, "truncated", outs[4], []int64{2, 3, 4}, trunc, 0)
	expect(t, "shape_f", outs[5], []int64{3}, []float64{2, 3, 4}, 0)
	expect(t, "reshaped", outs[6], []int64{2, 3, 4}, reversed, tol)
	expect(t, "transpose", outs[7], []int64{4, 2, 3}, transposed, tol)
	expect(t, "concat", outs[8], []int64{2, 3, 8}, concat, tol)
}
