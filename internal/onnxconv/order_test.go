package onnxconv_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/clavis-dev/clavis/internal/inference/onnx"
)

// TF.js's CPU kernels compute in float32 one operation at a time: a
// convolution adds each product to a float32 accumulator (the product and
// the sum taken in float64, then rounded), walking kernel row, kernel
// column, then input channel; the bias and any residual are added
// afterwards, each with its own rounding. Float sums depend on their
// order, so these tests check that converted graphs reproduce TF.js's
// floats exactly, on inputs whose wide range of magnitudes makes any
// other order give different floats.

// wideValues returns float32-exact values in ±[2^-8, 2^8).
func wideValues(r *rand.Rand, n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = float64(float32(math.Ldexp(2*r.Float64()-1, r.IntN(16)-8)))
	}
	return v
}

// addF32 is TF.js's a + b·c into a float32 accumulator: exact product and
// sum in float64, rounded to float64, then to float32. (The explicit
// conversions keep the compiler from fusing the multiply and the add.)
func addF32(a float32, b, c float64) float32 {
	return float32(float64(a) + float64(b*c))
}

// convF32 is a float32 convolution of x with HWIO weights w and per-axis
// dilations, summing kernel row, kernel column, input channel (TF.js's
// order) or, with channelFirst, input channel, kernel row, kernel column
// (ONNX Runtime's plain Conv order).
func convF32(x tensor3, w []float64, kh, kw, co, stride, dilH, dilW int, same, channelFirst bool) tensor3 {
	oh, pt := samePad(x.h, kh, stride, dilH, same)
	ow, pl := samePad(x.w, kw, stride, dilW, same)
	out := tensor3{oh, ow, co, make([]float64, oh*ow*co)}
	for y := 0; y < oh; y++ {
		for xx := 0; xx < ow; xx++ {
			for o := 0; o < co; o++ {
				var acc float32
				tap := func(i, j, c int) {
					if v, ok := x.at(y*stride+i*dilH-pt, xx*stride+j*dilW-pl, c); ok {
						acc = addF32(acc, v, w[((i*kw+j)*x.c+c)*co+o])
					}
				}
				if channelFirst {
					for c := 0; c < x.c; c++ {
						for i := 0; i < kh; i++ {
							for j := 0; j < kw; j++ {
								tap(i, j, c)
							}
						}
					}
				} else {
					for i := 0; i < kh; i++ {
						for j := 0; j < kw; j++ {
							for c := 0; c < x.c; c++ {
								tap(i, j, c)
							}
						}
					}
				}
				out.v[(y*ow+xx)*co+o] = float64(acc)
			}
		}
	}
	return out
}

// plusF32 adds b element-wise (per channel when b is shorter than x), with
// float32 rounding.
func plusF32(x tensor3, b []float64) tensor3 {
	out := tensor3{x.h, x.w, x.c, make([]float64, len(x.v))}
	for i, v := range x.v {
		out.v[i] = float64(float32(v + b[i%len(b)]))
	}
	return out
}

// expectExact requires got to hold want's floats exactly and reports how
// many of them other, a result of the same products in another order,
// gets wrong: if none, the case cannot tell the orders apart.
func expectExact(t *testing.T, name string, got onnx.Tensor, want, other tensor3) {
	t.Helper()
	if len(got.Data) != len(want.v) {
		t.Fatalf("%s: %d values, want %d", name, len(got.Data), len(want.v))
	}
	bad, differ := 0, 0
	for i, w := range want.v {
		if float64(got.Data[i]) != w {
			if bad < 3 {
				t.Errorf("%s[%d] = %g, TF.js's float32 sum is %g", name, i, got.Data[i], w)
			}
			bad++
		}
		if other.v[i] != w {
			differ++
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d of %d values differ from TF.js's", name, bad, len(want.v))
	}
	if differ == 0 {
		t.Errorf("%s: the other summation order gives the same floats; the case proves nothing", name)
	}
	t.Logf("%s: %d values exact; the other order changes %d", name, len(want.v), differ)
}

func TestConvSumsInTFJSOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	x := tensor3{9, 11, 3, wideValues(r, 9*11*3)}
	w5, w3, b3 := wideValues(r, 5*5*3*4), wideValues(r, 3*3*3*2), wideValues(r, 2)
	same, valid := str("SAME"), str("VALID")
	m := graph(
		placeholder("x", []int{1, 9, 11, 3}),
		constNode("w5", "DT_FLOAT", []int{5, 5, 3, 4}, w5),
		constNode("w3", "DT_FLOAT", []int{3, 3, 3, 2}, w3), constNode("b3", "DT_FLOAT", []int{2}, b3),
		node("same_s2", "Conv2D", []string{"x", "w5"}, `{"strides": `+ints(1, 2, 2, 1)+`, "padding": `+same+`}`),
		node("valid_bias", "_FusedConv2D", []string{"x", "w3", "b3"}, `{"strides": `+ints(1, 1, 1, 1)+`, "padding": `+valid+`, "num_args": {"i": "1"}, "fused_ops": `+strs("BiasAdd")+`}`),
		node("dilated_rows", "Conv2D", []string{"x", "w3"}, `{"strides": `+ints(1, 1, 1, 1)+`, "dilations": `+ints(1, 2, 1, 1)+`, "padding": `+same+`}`),
	)
	outs := run(t, m, shape4(x), x.v)
	if len(outs) != 3 {
		t.Fatalf("%d outputs, want 3", len(outs))
	}
	expectExact(t, "same_s2", outs[0],
		convF32(x, w5, 5, 5, 4, 2, 1, 1, true, false), convF32(x, w5, 5, 5, 4, 2, 1, 1, true, true))
	expectExact(t, "valid_bias", outs[1],
		plusF32(convF32(x, w3, 3, 3, 2, 1, 1, 1, false, false), b3), plusF32(convF32(x, w3, 3, 3, 2, 1, 1, 1, false, true), b3))
	expectExact(t, "dilated_rows", outs[2],
		convF32(x, w3, 3, 3, 2, 1, 2, 1, true, false), convF32(x, w3, 3, 3, 2, 1, 2, 1, true, true))
}

// TestResidualAddAfterBias checks a residual block, a convolution with a
// bias but no activation whose result is added to another computed tensor:
// TF.js rounds conv+bias, then adds the residual. (ONNX Runtime would fuse
// the addition into its blocked convolution, which adds the residual
// before the bias.)
func TestResidualAddAfterBias(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	x := tensor3{6, 7, 3, wideValues(r, 6*7*3)}
	wa, wb, bb := wideValues(r, 3*16), wideValues(r, 16*16), wideValues(r, 16)
	m := graph(
		placeholder("x", []int{1, 6, 7, 3}),
		constNode("wa", "DT_FLOAT", []int{1, 1, 3, 16}, wa),
		constNode("wb", "DT_FLOAT", []int{1, 1, 16, 16}, wb), constNode("bb", "DT_FLOAT", []int{16}, bb),
		node("a", "Conv2D", []string{"x", "wa"}, `{"strides": `+ints(1, 1, 1, 1)+`, "padding": `+str("VALID")+`}`),
		node("b", "_FusedConv2D", []string{"a", "wb", "bb"}, `{"strides": `+ints(1, 1, 1, 1)+`, "padding": `+str("VALID")+`, "num_args": {"i": "1"}, "fused_ops": `+strs("BiasAdd")+`}`),
		node("sum", "AddV2", []string{"b", "a"}, ``),
	)
	outs := run(t, m, shape4(x), x.v)
	if len(outs) != 1 {
		t.Fatalf("%d outputs, want 1", len(outs))
	}
	a := convF32(x, wa, 1, 1, 16, 1, 1, 1, false, false)
	conv := convF32(a, wb, 1, 1, 16, 1, 1, 1, false, false)
	want := plusF32(plusF32(conv, bb), a.v)
	residualFirst := plusF32(plusF32(conv, a.v), bb)
	expectExact(t, "conv+bias+residual", outs[0], want, residualFirst)
}

// TestConvPaths covers the convolutions that keep ONNX Runtime's own Conv
// (horizontal dilation, eight or more input channels) and a folded one in
// NCHW layout, against TF.js's float32 arithmetic within float tolerance.
func TestConvPaths(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	x := tensor3{7, 9, 3, randValues(r, 7*9*3, -1, 1)}
	w3, w8, wWide := randValues(r, 3*3*3*2, -1, 1), randValues(r, 3*8, -1, 1), randValues(r, 3*3*8*2, -1, 1)
	same := str("SAME")
	m := graph(
		placeholder("x", []int{1, 7, 9, 3}),
		constNode("w3", "DT_FLOAT", []int{3, 3, 3, 2}, w3),
		constNode("w8", "DT_FLOAT", []int{1, 1, 3, 8}, w8),
		constNode("w_wide", "DT_FLOAT", []int{3, 3, 8, 2}, wWide),
		constNode("to_nchw", "DT_INT32", []int{4}, []float64{0, 3, 1, 2}),
		constNode("to_nhwc", "DT_INT32", []int{4}, []float64{0, 2, 3, 1}),
		node("dilated_cols", "Conv2D", []string{"x", "w3"}, `{"strides": `+ints(1, 1, 1, 1)+`, "dilations": `+ints(1, 1, 2, 1)+`, "padding": `+same+`}`),
		node("eight", "Conv2D", []string{"x", "w8"}, `{"strides": `+ints(1, 1, 1, 1)+`, "padding": `+same+`}`),
		node("wide", "Conv2D", []string{"eight", "w_wide"}, `{"strides": `+ints(1, 2, 2, 1)+`, "padding": `+same+`}`),
		node("x_nchw", "Transpose", []string{"x", "to_nchw"}, ``),
		node("conv_nchw", "Conv2D", []string{"x_nchw", "w3"}, `{"strides": `+ints(1, 1, 2, 2)+`, "padding": `+same+`, "data_format": `+str("NCHW")+`}`),
		node("nchw", "Transpose", []string{"conv_nchw", "to_nhwc"}, ``),
	)
	outs := run(t, m, shape4(x), x.v)
	if len(outs) != 3 {
		t.Fatalf("%d outputs, want 3", len(outs))
	}
	const tol = 1e-5
	d := convF32(x, w3, 3, 3, 2, 1, 1, 2, true, false)
	expect(t, "dilated_cols", outs[0], shape4(d), d.v, tol)
	w := convF32(convF32(x, w8, 1, 1, 8, 1, 1, 1, true, false), wWide, 3, 3, 2, 2, 1, 1, true, false)
	expect(t, "wide", outs[1], shape4(w), w.v, tol)
	n := convF32(x, w3, 3, 3, 2, 2, 1, 1, true, false)
	expect(t, "nchw", outs[2], shape4(n), n.v, tol)
}
