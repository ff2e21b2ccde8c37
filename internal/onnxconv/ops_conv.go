package onnxconv

import (
	"fmt"

	"github.com/clavis-dev/clavis/internal/tfjs"
)

// convHandler translates Conv2D and DepthwiseConv2dNative, plain or fused.
// The HWIO (or HWC·M depthwise) filter becomes an OIHW initializer.
func convHandler(depthwise, fused bool) handler {
	return func(c *converter, n *tfjs.Node) error {
		x, _, err := c.input(n, 0)
		if err != nil {
			return err
		}
		filter, err := c.constInput(n, 1)
		if err != nil {
			return err
		}
		if filter.DType != tfjs.Float32 || len(filter.Shape) != 4 {
			return fmt.Errorf("filter %s: want a float32 4-D constant", filter)
		}
		kh, kw, ci, co := filter.Shape[0], filter.Shape[1], filter.Shape[2], filter.Shape[3]
		l, err := readLayout2D(n, []int64{int64(kh), int64(kw)})
		if err != nil {
			return err
		}
		var f fusion
		if fused {
			if f, err = readFusion(n); err != nil {
				return err
			}
		}
		var in string
		var w []float32
		var shape []int   // OIHW
		var layout string // names the weights' layout, as a filter may feed several
		attrs := []onnxAttr{attrInts("dilations", l.dilations), l.pad, attrInts("strides", l.strides)}
		switch {
		case depthwise:
			// TF output channel i*mult+o reads input channel i.
			w, shape = make([]float32, len(filter.F32)), []int{ci * co, 1, kh, kw}
			for t := 0; t < kh*kw; t++ {
				for i := 0; i < ci*co; i++ {
					w[i*kh*kw+t] = filter.F32[t*ci*co+i]
				}
			}
			in, layout = c.toNCHW(n, x, l.nhwc), "depthwise"
			attrs = append(attrs, attrI("group", int64(ci)), attrInts("kernel_shape", []int64{int64(kh), int64(kw)}))
		case 1 < ci && ci < foldChannels && l.dilations[1] == 1:
			// One input channel, the channels folded into the width (see
			// channelsIntoWidth): kernel column j·ci+i is HWIO's (j, i).
			in, attrs = c.channelsIntoWidth(n, x, ci, kh, kw, l)
			layout = "folded"
			w, shape = make([]float32, len(filter.F32)), []int{co, 1, kh, kw * ci}
			for k := 0; k < kh*kw*ci; k++ {
				for o := 0; o < co; o++ {
					w[o*kh*kw*ci+k] = filter.F32[k*co+o]
				}
			}
		default:
			// One input channel (ONNX Runtime's order is then TF.js's),
			// foldChannels or more (see there), or dilated columns, which
			// cannot be folded.
			w, shape = make([]float32, len(filter.F32)), []int{co, ci, kh, kw}
			for t := 0; t < kh*kw; t++ {
				for i := 0; i < ci; i++ {
					for o := 0; o < co; o++ {
						w[(o*ci+i)*kh*kw+t] = filter.F32[(t*ci+i)*co+o]
					}
				}
			}
			in, layout = c.toNCHW(n, x, l.nhwc), "conv"
			attrs = append(attrs, attrInts("kernel_shape", []int64{int64(kh), int64(kw)}))
		}
		weights := c.initializer(normRef(dataInputs(n)[1])+"/onnx/oihw_"+layout, &tfjs.Tensor{DType: tfjs.Float32, Shape: shape, F32: w})
		inputs := []string{in, weights}
		if f.bias {
			b, err := c.valueOf(f.args[0])
			if err != nil {
				return err
			}
			inputs = append(inputs, b)
		}
		conv := c.tmp(n, "conv")
		c.emit("Conv", conv, inputs, []string{conv}, attrs...)
		out := outName(n, 0)
		switch {
		case f.activation == "" && c.feedsAddition(n):
			// A LeakyRelu of slope 1 is the identity (x·1 is exact, NaN
			// stays NaN), and ONNX Runtime fuses it into the Conv. It is
			// there so that ONNX Runtime's NCHWc optimizer cannot fuse the
			// following addition into the Conv, whose kernel would then
			// add the addend before the bias: TF.js adds the bias first,
			// and the two roundings differ.
			act := c.tmp(n, "unfused")
			c.emit("LeakyRelu", act, []string{conv}, []string{act}, attrF("alpha", 1))
			c.fromNCHW(n, act, out, l.nhwc)
		case f.activation == "":
			c.fromNCHW(n, conv, out, l.nhwc)
		case f.activation == "Prelu":
			// Prelu's alpha broadcasts in TF's layout: apply it there.
			y := c.tmp(n, "pre_act")
			c.fromNCHW(n, conv, y, l.nhwc)
			if err := c.activation(n, f, y, out); err != nil {
				return err
			}
		default:
			// Element-wise activations commute with the transpose; applying
			// them next to the Conv lets ONNX Runtime fuse the two.
			act := c.tmp(n, "act")
			if err := c.activation(n, f, conv, act); err != nil {
				return err
			}
			c.fromNCHW(n, act, out, l.nhwc)
		}
		c.setValue(n, 0, out, tfjs.Float32)
		return nil
	}
}

// feedsAddition reports whether n's output is added to another computed
// tensor (not to a constant, which ONNX Runtime folds into the bias).
func (c *converter) feedsAddition(n *tfjs.Node) bool {
	for _, u := range c.consumers[n.Name] {
		if u.Op != "Add" && u.Op != "AddV2" && u.Op != "AddN" {
			continue
		}
		for _, r := range dataInputs(u) {
			if name := tfjs.NodeName(r); name != n.Name && (c.byName[name] == nil || c.byName[name].Op != "Const") {
				return true
			}
		}
	}
	return false
}

// foldChannels bounds the input channels of the convolutions that
// channelsIntoWidth rewrites. Below it, ONNX Runtime reads a Conv's input in
// plain NCHW anyway, so the rewrite costs little (a Pad of the input for
// SAME padding: 0.6 ms on BlazeFace's 256² RGB input). From it on, ONNX
// Runtime's channel-blocked (NCHWc) kernels are much faster than a folded
// convolution (NanoDet ran 60% slower with all of its 3×3 convolutions
// folded); they sum by blocks of channels, which the float32 tolerance
// absorbs there, and 1×1 ones over up to 128 channels sum in TF.js's order.
const foldChannels = 8

// channelsIntoWidth rewrites a kh×kw convolution of the TF node n over x
// (ci channels, in n's layout) as one over a single channel: each image row
// of W pixels becomes a row of W·ci values, pixel by pixel, and the kernel
// grows to kh×(kw·ci) with a horizontal stride of ci times the original. It
// returns the NCHW [N, 1, H, W·ci] input and the Conv attributes; the
// kernel's column j·ci+i holds the filter's column j, input channel i.
// Horizontal dilation must be 1.
//
// It exists to add up a convolution's products in TF.js's order. TF.js's
// CPU kernel accumulates each output in float32, one product at a time,
// walking kernel row, kernel column, then input channel. ONNX Runtime's
// kernels accumulate with fused multiply-adds too, but over fewer than
// foldChannels channels they take one input channel at a time, rounding
// the sum of each (and a k×k kernel over more channels walks input channel
// first). Float sums depend on their order and deep networks amplify the
// difference: with a plain Conv first, BlazeFace's face logits moved by
// 5e-4. Over one channel, ONNX Runtime walks kernel row, then kernel
// column, which is now (column, channel): TF.js's order.
//
// TF's SAME padding is applied in pixels before the folding, its amounts
// computed from the input size at run time (ONNX Runtime folds them for
// static shapes): the total is max(k - 1 - (size-1) mod stride, 0) with the
// odd pixel after, where k is the dilated kernel size.
func (c *converter) channelsIntoWidth(n *tfjs.Node, x string, ci, kh, kw int, l layout2D) (string, []onnxAttr) {
	if !l.nhwc {
		t := c.tmp(n, "nhwc_in")
		c.emit("Transpose", t, []string{x}, []string{t}, attrInts("perm", toNHWC))
		x = t
	}
	pads := []int64{0, 0, 0, 0}
	if !l.same {
		pads = []int64{l.pads[0], l.pads[1] * int64(ci), l.pads[2], l.pads[3] * int64(ci)}
	} else {
		strides := c.int64Init(fmt.Sprintf("onnxconv/i64/%d,%d", l.strides[0], l.strides[1]), l.strides)
		spanMinus1 := []int64{(int64(kh) - 1) * l.dilations[0], (int64(kw) - 1) * l.dilations[1]}
		shape, hw, hw1, rem, short, total, before, after, all := c.tmp(n, "shape"), c.tmp(n, "hw"), c.tmp(n, "hw_minus_1"),
			c.tmp(n, "rem"), c.tmp(n, "short"), c.tmp(n, "pad_total"), c.tmp(n, "pad_before"), c.tmp(n, "pad_after"), c.tmp(n, "pads")
		zero, one := c.int64Init("onnxconv/i64/0", []int64{0}), c.int64Init("onnxconv/i64/1", []int64{1})
		c.emit("Shape", shape, []string{x}, []string{shape})
		c.emit("Slice", hw, []string{shape, one, c.int64Init("onnxconv/i64/3", []int64{3})}, []string{hw})
		c.emit("Sub", hw1, []string{hw, one}, []string{hw1})
		c.emit("Mod", rem, []string{hw1, strides}, []string{rem})
		c.emit("Sub", short, []string{c.int64Init(fmt.Sprintf("onnxconv/i64/%d,%d", spanMinus1[0], spanMinus1[1]), spanMinus1), rem}, []string{short})
		c.emit("Max", total, []string{short, zero}, []string{total})
		c.emit("Div", before, []string{total, c.int64Init("onnxconv/i64/2", []int64{2})}, []string{before})
		c.emit("Sub", after, []string{total, before}, []string{after})
		// Pad's pads: the N, H, W, C starts, then the ends.
		c.emit("Concat", all, []string{zero, before, zero, zero, after, zero}, []string{all}, attrI("axis", 0))
		padded := c.tmp(n, "padded")
		c.emit("Pad", padded, []string{x, all}, []string{padded}, attrS("mode", "constant"))
		x = padded
	}
	rows, flat := c.tmp(n, "rows"), c.tmp(n, "one_channel")
	c.emit("Reshape", rows, []string{x, c.int64Init("onnxconv/i64/0,0,-1", []int64{0, 0, -1})}, []string{rows})
	c.emit("Unsqueeze", flat, []string{rows, c.int64Init("onnxconv/i64/1", []int64{1})}, []string{flat})
	return flat, []onnxAttr{
		attrInts("dilations", []int64{l.dilations[0], 1}),
		attrInts("kernel_shape", []int64{int64(kh), int64(kw * ci)}),
		attrInts("pads", pads),
		attrInts("strides", []int64{l.strides[0], l.strides[1] * int64(ci)}),
	}
}
