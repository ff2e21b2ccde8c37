package onnxconv

import (
	"errors"
	"fmt"

	"github.com/clavis-dev/clavis/internal/tfjs"
)

var (
	toNCHW = []int64{0, 3, 1, 2}
	toNHWC = []int64{0, 2, 3, 1}
)

// layout2D holds the data_format, strides, dilations and padding attributes
// shared by TF's 2-D convolutions and pools: the H and W components and the
// ONNX padding attribute.
type layout2D struct {
	nhwc      bool
	strides   []int64
	dilations []int64
	pad       onnxAttr
	// same marks TF's SAME padding, whose amounts depend on the input
	// size; pads otherwise holds the explicit [top, left, bottom, right].
	same bool
	pads []int64
}

// readLayout2D reads a node's layout2D; kernel is the H and W kernel size
// of a convolution (nil for pools, which have no dilations).
func readLayout2D(n *tfjs.Node, kernel []int64) (layout2D, error) {
	var l layout2D
	format, ok := n.AttrString("data_format")
	switch {
	case !ok || format == "NHWC":
		l.nhwc = true
	case format == "NCHW":
	default:
		return l, fmt.Errorf("data_format %q is not supported", format)
	}
	hw := func(v []int64) []int64 {
		if l.nhwc {
			return []int64{v[1], v[2]}
		}
		return []int64{v[2], v[3]}
	}
	strides, ok := n.AttrInts("strides")
	if !ok || len(strides) != 4 {
		return l, fmt.Errorf("strides %v: want 4 values", strides)
	}
	l.strides = hw(strides)
	l.dilations = []int64{1, 1}
	if d, ok := n.AttrInts("dilations"); ok && len(d) == 4 {
		l.dilations = hw(d)
	}
	padding, _ := n.AttrString("padding")
	switch padding {
	case "VALID":
		l.pads = []int64{0, 0, 0, 0}
		l.pad = attrInts("pads", l.pads)
	case "SAME":
		l.same = true
		if kernel == nil || (l.dilations[0] == 1 && l.dilations[1] == 1) {
			// TF and ONNX SAME_UPPER both put the odd padding pixel at the end.
			l.pad = attrS("auto_pad", "SAME_UPPER")
			break
		}
		// ONNX Runtime refuses SAME_UPPER with dilations. TF allows
		// dilations only with stride 1, where SAME padding does not depend
		// on the input size: (k-1)*d in total, the odd pixel at the end.
		if l.strides[0] != 1 || l.strides[1] != 1 {
			return l, fmt.Errorf("dilations %v with strides %v are not supported", l.dilations, l.strides)
		}
		th, tw := (kernel[0]-1)*l.dilations[0], (kernel[1]-1)*l.dilations[1]
		l.pad = attrInts("pads", []int64{th / 2, tw / 2, th - th/2, tw - tw/2})
	case "EXPLICIT":
		e, _ := n.AttrInts("explicit_paddings")
		if len(e) != 8 {
			return l, fmt.Errorf("explicit_paddings %v: want 8 values", e)
		}
		h, w := 2, 4 // NHWC pairs: N, H, W, C
		if !l.nhwc {
			h, w = 4, 6
		}
		l.pads = []int64{e[h], e[w], e[h+1], e[w+1]}
		l.pad = attrInts("pads", l.pads)
	default:
		return l, fmt.Errorf("padding %q is not supported", padding)
	}
	return l, nil
}

// toNCHW returns x in NCHW layout for an NCHW ONNX op, transposing it when
// the TF node works in NHWC.
func (c *converter) toNCHW(n *tfjs.Node, x string, nhwc bool) string {
	if !nhwc {
		return x
	}
	v := c.tmp(n, "nchw_in")
	c.emit("Transpose", v, []string{x}, []string{v}, attrInts("perm", toNCHW))
	return v
}

// fromNCHW writes the NCHW result y to out in the TF node's layout.
func (c *converter) fromNCHW(n *tfjs.Node, y, out string, nhwc bool) {
	if !nhwc {
		c.emit("Identity", out, []string{y}, []string{out})
		return
	}
	c.emit("Transpose", out, []string{y}, []string{out}, attrInts("perm", toNHWC))
}

// fusion is a fused node's fused_ops split into an optional BiasAdd and an
// optional activation, with their extra inputs.
type fusion struct {
	bias       bool
	activation string // "" or a TF activation op name
	args       []string
}

func readFusion(n *tfjs.Node) (fusion, error) {
	var f fusion
	ops, _ := n.AttrStrings("fused_ops")
	numArgs, _ := n.AttrInt("num_args")
	ins := dataInputs(n)
	if len(ins) < 2+int(numArgs) {
		return f, fmt.Errorf("has %d inputs, num_args says %d extra", len(ins), numArgs)
	}
	f.args = ins[2 : 2+numArgs]
	for i, op := range ops {
		switch {
		case op == "BiasAdd" && i == 0:
			f.bias = true
		case i == len(ops)-1 && f.activation == "" && isFusedActivation(op):
			f.activation = op
		default:
			return f, fmt.Errorf("fused op sequence %v is not supported", ops)
		}
	}
	if f.bias && len(f.args) < 1 {
		return f, errors.New("BiasAdd fused without a bias input")
	}
	if f.activation == "Prelu" && len(f.args) < 2 {
		return f, errors.New("Prelu fused without an alpha input")
	}
	return f, nil
}

func isFusedActivation(op string) bool {
	switch op {
	case "Relu", "Relu6", "Elu", "LeakyRelu", "Sigmoid", "Tanh", "Prelu":
		return true
	}
	return false
}

// activation emits a fused activation from x to out. Prelu needs its alpha,
// in the layout of x.
func (c *converter) activation(n *tfjs.Node, f fusion, x, out string) error {
	switch f.activation {
	case "Relu", "Elu", "Sigmoid", "Tanh":
		c.emit(f.activation, out, []string{x}, []string{out})
	case "Relu6":
		c.emit("Clip", out, []string{x, c.scalarF32(0), c.scalarF32(6)}, []string{out})
	case "LeakyRelu":
		alpha, ok := n.AttrFloat("leakyrelu_alpha")
		if !ok {
			alpha = 0.2
		}
		c.emit("LeakyRelu", out, []string{x}, []string{out}, attrF("alpha", float32(alpha)))
	case "Prelu":
		a, err := c.valueOf(f.args[1])
		if err != nil {
			return err
		}
		c.emit("PRelu", out, []string{x, a}, []string{out})
	default:
		return fmt.Errorf("activation %q is not supported", f.activation)
	}
	return nil
}

// valueOf returns the ONNX value of a tensor reference, materializing a
// constant as an initializer.
func (c *converter) valueOf(ref string) (string, error) {
	key := normRef(ref)
	if v, ok := c.values[key]; ok {
		return v, nil
	}
	if t, ok := c.consts[key]; ok {
		return c.initializer(key, t), nil
	}
	return "", fmt.Errorf("input %q was not produced", ref)
}

// poolHandler translates MaxPool and AvgPool. ONNX's AveragePool leaves
// padding out of the count by default, as TF does for SAME.
func poolHandler(op string) handler {
	return func(c *converter, n *tfjs.Node) error {
		x, _, err := c.input(n, 0)
		if err != nil {
			return err
		}
		ksize, ok := n.AttrInts("ksize")
		if !ok || len(ksize) != 4 {
			return fmt.Errorf("ksize %v: want 4 values", ksize)
		}
		l, err := readLayout2D(n, nil)
		if err != nil {
			return err
		}
		k := []int64{ksize[1], ksize[2]}
		if !l.nhwc {
			k = []int64{ksize[2], ksize[3]}
		}
		if (l.nhwc && (ksize[0] != 1 || ksize[3] != 1)) || (!l.nhwc && (ksize[0] != 1 || ksize[1] != 1)) {
			return fmt.Errorf("pooling over batch or channels (ksize %v) is not supported", ksize)
		}
		y := c.tmp(n, "pool")
		c.emit(op, y, []string{c.toNCHW(n, x, l.nhwc)}, []string{y},
			attrInts("kernel_shape", k), l.pad, attrInts("strides", l.strides))
		out := outName(n, 0)
		c.fromNCHW(n, y, out, l.nhwc)
		c.setValue(n, 0, out, tfjs.Float32)
		return nil
	}
}

// padHandler translates Pad and PadV2 (constant mode).
func padHandler(c *converter, n *tfjs.Node) error {
	x, dt, err := c.input(n, 0)
	if err != nil {
		return err
	}
	p, err := c.constInput(n, 1)
	if err != nil {
		return err
	}
	if len(p.Shape) != 2 || p.Shape[1] != 2 || !p.DType.IsInt() {
		return fmt.Errorf("paddings %s: want an integer [rank, 2] constant", p)
	}
	r := p.Shape[0]
	pads := make([]int64, 2*r)
	for i := 0; i < r; i++ {
		pads[i], pads[r+i] = p.I64[2*i], p.I64[2*i+1]
	}
	inputs := []string{x, c.int64Init(n.Name+"/onnx/pads", pads)}
	if n.Op == "PadV2" {
		v, err := c.constInput(n, 2)
		if err != nil {
			return err
		}
		if v.Len() != 1 {
			return fmt.Errorf("constant_values %s: want a scalar", v)
		}
		s := *v
		s.Shape = []int{}
		if s.DType != dt {
			return fmt.Errorf("constant_values %s does not match input type %s", v, dt)
		}
		inputs = append(inputs, c.initializer(n.Name+"/onnx/pad_value", &s))
	}
	out := outName(n, 0)
	c.emit("Pad", out, inputs, []string{out}, attrS("mode", "constant"))
	c.setValue(n, 0, out, dt)
	return nil
}

// resizeBilinearHandler translates ResizeBilinear on NHWC images with ONNX
// Resize over axes 1 and 2 (H, W), mapping TF's coordinate flags.
func resizeBilinearHandler(c *converter, n *tfjs.Node) error {
	x, _, err := c.input(n, 0)
	if err != nil {
		return err
	}
	size, err := c.constInput(n, 1)
	if err != nil {
		return err
	}
	hw, err := ints64(size, "size", 2)
	if err != nil {
		return err
	}
	alignCorners, _ := n.AttrBool("align_corners")
	halfPixel, _ := n.AttrBool("half_pixel_centers")
	mode := "asymmetric"
	switch {
	case alignCorners && halfPixel:
		return errors.New("align_corners and half_pixel_centers together are not supported")
	case alignCorners:
		mode = "align_corners"
	case halfPixel:
		mode = "half_pixel"
	}
	// sizes = [N, h, w, C], with N and C read from the input at run time
	// (ONNX Runtime folds this when shapes are static). Resize's axes
	// attribute would avoid it, but ONNX Runtime's layout optimizer
	// mishandles it.
	shape := c.tmp(n, "in_shape")
	c.emit("Shape", shape, []string{x}, []string{shape})
	nDim, cDim := c.tmp(n, "n"), c.tmp(n, "c")
	c.emit("Slice", nDim, []string{shape, c.int64Init("onnxconv/i64/0", []int64{0}), c.int64Init("onnxconv/i64/1", []int64{1})}, []string{nDim})
	c.emit("Slice", cDim, []string{shape, c.int64Init("onnxconv/i64/3", []int64{3}), c.int64Init("onnxconv/i64/4", []int64{4})}, []string{cDim})
	sizes := c.tmp(n, "sizes")
	c.emit("Concat", sizes, []string{nDim, c.int64Init(n.Name+"/onnx/hw", hw), cDim}, []string{sizes}, attrI("axis", 0))
	out := outName(n, 0)
	c.emit("Resize", out, []string{x, "", "", sizes}, []string{out},
		attrS("coordinate_transformation_mode", mode),
		attrS("mode", "linear"))
	c.setValue(n, 0, out, tfjs.Float32)
	return nil
}

// matMulHandler translates MatMul and _FusedMatMul (2-D) into Gemm.
func matMulHandler(fused bool) handler {
	return func(c *converter, n *tfjs.Node) error {
		a, _, err := c.input(n, 0)
		if err != nil {
			return err
		}
		b, _, err := c.input(n, 1)
		if err != nil {
			return err
		}
		ta, _ := n.AttrBool("transpose_a")
		tb, _ := n.AttrBool("transpose_b")
		var f fusion
		if fused {
			if f, err = readFusion(n); err != nil {
				return err
			}
		}
		inputs := []string{a, b}
		if f.bias {
			bias, err := c.valueOf(f.args[0])
			if err != nil {
				return err
			}
			inputs = append(inputs, bias)
		}
		out := outName(n, 0)
		gemm := out
		if f.activation != "" {
			gemm = c.tmp(n, "gemm")
		}
		attrs := []onnxAttr{}
		if ta {
			attrs = append(attrs, attrI("transA", 1))
		}
		if tb {
			attrs = append(attrs, attrI("transB", 1))
		}
		c.emit("Gemm", gemm, inputs, []string{gemm}, attrs...)
		if f.activation != "" {
			if err := c.activation(n, f, gemm, out); err != nil {
				return err
			}
		}
		c.setValue(n, 0, out, tfjs.Float32)
		return nil
	}
}

func softmaxHandler(c *converter, n *tfjs.Node) error {
	x, dt, err := c.input(n, 0)
	if err != nil {
		return err
	}
	out := outName(n, 0)
	c.emit("Softmax", out, []string{x}, []string{out}, attrI("axis", -1))
	c.setValue(n, 0, out, dt)
	return nil
}

// biasAddHandler translates BiasAdd in NHWC, where the bias broadcasts on
// the last axis as ONNX Add does.
func biasAddHandler(c *converter, n *tfjs.Node) error {
	if f, ok := n.AttrString("data_format"); ok && f != "NHWC" {
		return fmt.Errorf("data_format %q is not supported", f)
	}
	return binaryHandler("Add")(c, n)
}
