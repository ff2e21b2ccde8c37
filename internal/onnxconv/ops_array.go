package onnxconv

import (
	"errors"
	"fmt"
	"math"

	"github.com/clavis-dev/clavis/internal/tfjs"
)

// int64Value returns input i of n as an int64 ONNX value: an initializer if
// it is constant, a Cast otherwise.
func (c *converter) int64Value(n *tfjs.Node, i int, what string) (string, error) {
	if t, err := c.constInput(n, i); err == nil {
		v, err := ints64(t, what, -1)
		if err != nil {
			return "", err
		}
		return c.int64Init(n.Name+"/onnx/"+what, v), nil
	}
	x, _, err := c.input(n, i)
	if err != nil {
		return "", err
	}
	v := c.tmp(n, what+"_i64")
	c.emit("Cast", v, []string{x}, []string{v}, attrI("to", onnxInt64))
	return v, nil
}

func reshapeHandler(c *converter, n *tfjs.Node) error {
	x, dt, err := c.input(n, 0)
	if err != nil {
		return err
	}
	shape, err := c.int64Value(n, 1, "shape")
	if err != nil {
		return err
	}
	var attrs []onnxAttr
	if t, err := c.constInput(n, 1); err == nil {
		for _, d := range t.I64 {
			if d == 0 {
				// TF's 0 is a zero-sized dimension, ONNX's copies the input's.
				attrs = append(attrs, attrI("allowzero", 1))
				break
			}
		}
	}
	out := outName(n, 0)
	c.emit("Reshape", out, []string{x, shape}, []string{out}, attrs...)
	c.setValue(n, 0, out, dt)
	return nil
}

func transposeHandler(c *converter, n *tfjs.Node) error {
	x, dt, err := c.input(n, 0)
	if err != nil {
		return err
	}
	p, err := c.constInput(n, 1)
	if err != nil {
		return err
	}
	perm, err := ints64(p, "perm", -1)
	if err != nil {
		return err
	}
	out := outName(n, 0)
	c.emit("Transpose", out, []string{x}, []string{out}, attrInts("perm", perm))
	c.setValue(n, 0, out, dt)
	return nil
}

func concatHandler(c *converter, n *tfjs.Node) error {
	ins := dataInputs(n)
	if len(ins) < 2 {
		return errors.New("needs at least one tensor and the axis")
	}
	at, err := c.constInput(n, len(ins)-1)
	if err != nil {
		return err
	}
	axis, err := scalarInt(at, "axis")
	if err != nil {
		return err
	}
	var inputs []string
	var dt tfjs.DType
	for i := 0; i < len(ins)-1; i++ {
		v, d, err := c.input(n, i)
		if err != nil {
			return err
		}
		inputs, dt = append(inputs, v), d
	}
	out := outName(n, 0)
	c.emit("Concat", out, inputs, []string{out}, attrI("axis", axis))
	c.setValue(n, 0, out, dt)
	return nil
}

// splitVHandler translates SplitV. Known sizes become one Split; a -1 size
// (the remainder) is expressed with Slices measured from both ends, so the
// input's shape need not be known.
func splitVHandler(c *converter, n *tfjs.Node) error {
	x, dt, err := c.input(n, 0)
	if err != nil {
		return err
	}
	st, err := c.constInput(n, 1)
	if err != nil {
		return err
	}
	sizes, err := ints64(st, "size_splits", -1)
	if err != nil {
		return err
	}
	at, err := c.constInput(n, 2)
	if err != nil {
		return err
	}
	axis, err := scalarInt(at, "axis")
	if err != nil {
		return err
	}
	if num, ok := n.AttrInt("num_split"); ok && int(num) != len(sizes) {
		return fmt.Errorf("num_split %d does not match %d sizes", num, len(sizes))
	}
	outs := make([]string, len(sizes))
	for i := range sizes {
		outs[i] = outName(n, i)
	}
	rest := -1
	for i, s := range sizes {
		if s < 0 {
			if rest >= 0 {
				return fmt.Errorf("size_splits %v has more than one -1", sizes)
			}
			rest = i
		}
	}
	if rest < 0 {
		c.emit("Split", n.Name, []string{x, c.int64Init(n.Name+"/onnx/split", sizes)}, outs, attrI("axis", axis))
	} else {
		axes := c.int64Init(n.Name+"/onnx/axis", []int64{axis})
		for i := range sizes {
			var start, end int64
			if i <= rest {
				for _, s := range sizes[:i] {
					start += s
				}
				end = start + sizes[i]
			}
			if i >= rest {
				var after int64
				for _, s := range sizes[i+1:] {
					after += s
				}
				end = -after
				if after == 0 {
					end = math.MaxInt64
				}
				if i > rest {
					start = -after - sizes[i]
				}
			}
			c.emit("Slice", outs[i], []string{x,
				c.int64Init(fmt.Sprintf("%s/onnx/start%d", n.Name, i), []int64{start}),
				c.int64Init(fmt.Sprintf("%s/onnx/end%d", n.Name, i), []int64{end}),
				axes}, []string{outs[i]})
		}
	}
	for i := range sizes {
		c.setValue(n, i, outs[i], dt)
	}
	return nil
}

// splitHandler translates Split (axis first, then the tensor) into equal parts.
func splitHandler(c *converter, n *tfjs.Node) error {
	at, err := c.constInput(n, 0)
	if err != nil {
		return err
	}
	axis, err := scalarInt(at, "axis")
	if err != nil {
		return err
	}
	x, dt, err := c.input(n, 1)
	if err != nil {
		return err
	}
	num, ok := n.AttrInt("num_split")
	if !ok || num < 1 {
		return errors.New("no num_split attribute")
	}
	outs := make([]string, num)
	for i := range outs {
		outs[i] = outName(n, i)
	}
	c.emit("Split", n.Name, []string{x}, outs, attrI("axis", axis), attrI("num_outputs", num))
	for i := range outs {
		c.setValue(n, i, outs[i], dt)
	}
	return nil
}

func squeezeHandler(c *converter, n *tfjs.Node) error {
	x, dt, err := c.input(n, 0)
	if err != nil {
		return err
	}
	axes, ok := n.AttrInts("squeeze_dims")
	if !ok {
		axes, _ = n.AttrInts("axis")
	}
	inputs := []string{x}
	if len(axes) > 0 {
		inputs = append(inputs, c.int64Init(n.Name+"/onnx/axes", axes))
	}
	out := outName(n, 0)
	c.emit("Squeeze", out, inputs, []string{out})
	c.setValue(n, 0, out, dt)
	return nil
}

func expandDimsHandler(c *converter, n *tfjs.Node) error {
	x, dt, err := c.input(n, 0)
	if err != nil {
		return err
	}
	at, err := c.constInput(n, 1)
	if err != nil {
		return err
	}
	axis, err := scalarInt(at, "axis")
	if err != nil {
		return err
	}
	out := outName(n, 0)
	c.emit("Unsqueeze", out, []string{x, c.int64Init(n.Name+"/onnx/axes", []int64{axis})}, []string{out})
	c.setValue(n, 0, out, dt)
	return nil
}

// stridedSliceHandler translates StridedSlice with constant begin, end and
// strides, honouring begin_mask, end_mask and shrink_axis_mask. Ellipsis and
// new-axis masks are refused.
func stridedSliceHandler(c *converter, n *tfjs.Node) error {
	x, dt, err := c.input(n, 0)
	if err != nil {
		return err
	}
	var spec [3][]int64
	for i, what := range []string{"begin", "end", "strides"} {
		t, err := c.constInput(n, i+1)
		if err != nil {
			return err
		}
		if spec[i], err = ints64(t, what, -1); err != nil {
			return err
		}
	}
	begin, end, strides := spec[0], spec[1], spec[2]
	if len(end) != len(begin) || len(strides) != len(begin) {
		return fmt.Errorf("begin %v, end %v and strides %v differ in length", begin, end, strides)
	}
	mask := func(name string) int64 { v, _ := n.AttrInt(name); return v }
	if mask("ellipsis_mask") != 0 || mask("new_axis_mask") != 0 {
		return errors.New("ellipsis_mask and new_axis_mask are not supported")
	}
	bm, em, sm := mask("begin_mask"), mask("end_mask"), mask("shrink_axis_mask")
	var starts, ends, axes, steps, squeeze []int64
	for i := range begin {
		b, e, s := begin[i], end[i], strides[i]
		if s == 0 {
			return errors.New("stride 0")
		}
		bit := int64(1) << i
		switch {
		case sm&bit != 0:
			e, s = b+1, 1
			if b == -1 {
				e = math.MaxInt64
			}
			squeeze = append(squeeze, int64(i))
		default:
			if bm&bit != 0 {
				b = 0
				if s < 0 {
					b = math.MaxInt64
				}
			}
			if em&bit != 0 {
				e = math.MaxInt64
				if s < 0 {
					e = math.MinInt64
				}
			}
		}
		starts, ends, axes, steps = append(starts, b), append(ends, e), append(axes, int64(i)), append(steps, s)
	}
	sliced := outName(n, 0)
	if len(squeeze) > 0 {
		sliced = c.tmp(n, "slice")
	}
	c.emit("Slice", sliced, []string{x,
		c.int64Init(n.Name+"/onnx/starts", starts),
		c.int64Init(n.Name+"/onnx/ends", ends),
		c.int64Init(n.Name+"/onnx/axes", axes),
		c.int64Init(n.Name+"/onnx/steps", steps)}, []string{sliced})
	if len(squeeze) > 0 {
		out := outName(n, 0)
		c.emit("Squeeze", out, []string{sliced, c.int64Init(n.Name+"/onnx/squeeze_axes", squeeze)}, []string{out})
	}
	c.setValue(n, 0, outName(n, 0), dt)
	return nil
}

// shapeHandler translates Shape; TF.js's shapes are int32.
func shapeHandler(c *converter, n *tfjs.Node) error {
	x, _, err := c.input(n, 0)
	if err != nil {
		return err
	}
	s := c.tmp(n, "shape")
	c.emit("Shape", s, []string{x}, []string{s})
	out := outName(n, 0)
	c.emit("Cast", out, []string{s}, []string{out}, attrI("to", onnxInt32))
	c.setValue(n, 0, out, tfjs.Int32)
	return nil
}

// packHandler translates Pack as Unsqueeze of every input and a Concat.
func packHandler(c *converter, n *tfjs.Node) error {
	axis, _ := n.AttrInt("axis")
	axes := c.int64Init(n.Name+"/onnx/axes", []int64{axis})
	var parts []string
	var dt tfjs.DType
	for i := range dataInputs(n) {
		x, d, err := c.input(n, i)
		if err != nil {
			return err
		}
		u := c.tmp(n, fmt.Sprintf("unsqueeze%d", i))
		c.emit("Unsqueeze", u, []string{x, axes}, []string{u})
		parts, dt = append(parts, u), d
	}
	out := outName(n, 0)
	c.emit("Concat", out, parts, []string{out}, attrI("axis", axis))
	c.setValue(n, 0, out, dt)
	return nil
}
