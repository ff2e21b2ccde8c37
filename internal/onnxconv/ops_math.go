package onnxconv

import (
	"fmt"

	"github.com/clavis-dev/clavis/internal/tfjs"
)

// binaryHandler translates a broadcasting element-wise op; TF and ONNX
// broadcast alike (numpy rules).
func binaryHandler(op string) handler {
	return func(c *converter, n *tfjs.Node) error {
		a, dt, err := c.input(n, 0)
		if err != nil {
			return err
		}
		b, _, err := c.input(n, 1)
		if err != nil {
			return err
		}
		out := outName(n, 0)
		c.emit(op, out, []string{a, b}, []string{out})
		c.setValue(n, 0, out, dt)
		return nil
	}
}

func squaredDifferenceHandler(c *converter, n *tfjs.Node) error {
	a, dt, err := c.input(n, 0)
	if err != nil {
		return err
	}
	b, _, err := c.input(n, 1)
	if err != nil {
		return err
	}
	d := c.tmp(n, "diff")
	c.emit("Sub", d, []string{a, b}, []string{d})
	out := outName(n, 0)
	c.emit("Mul", out, []string{d, d}, []string{out})
	c.setValue(n, 0, out, dt)
	return nil
}

// unaryHandler translates an element-wise op of one input and no attributes.
func unaryHandler(op string) handler {
	return func(c *converter, n *tfjs.Node) error {
		x, dt, err := c.input(n, 0)
		if err != nil {
			return err
		}
		out := outName(n, 0)
		c.emit(op, out, []string{x}, []string{out})
		c.setValue(n, 0, out, dt)
		return nil
	}
}

func relu6Handler(c *converter, n *tfjs.Node) error {
	x, dt, err := c.input(n, 0)
	if err != nil {
		return err
	}
	if dt != tfjs.Float32 {
		return fmt.Errorf("Relu6 on %s is not supported", dt)
	}
	out := outName(n, 0)
	c.emit("Clip", out, []string{x, c.scalarF32(0), c.scalarF32(6)}, []string{out})
	c.setValue(n, 0, out, dt)
	return nil
}

func leakyReluHandler(c *converter, n *tfjs.Node) error {
	x, dt, err := c.input(n, 0)
	if err != nil {
		return err
	}
	alpha, ok := n.AttrFloat("alpha")
	if !ok {
		alpha = 0.2
	}
	out := outName(n, 0)
	c.emit("LeakyRelu", out, []string{x}, []string{out}, attrF("alpha", float32(alpha)))
	c.setValue(n, 0, out, dt)
	return nil
}

// reduceHandler translates Mean, Sum, Max and Min over constant axes.
func reduceHandler(op string) handler {
	return func(c *converter, n *tfjs.Node) error {
		x, dt, err := c.input(n, 0)
		if err != nil {
			return err
		}
		axesT, err := c.constInput(n, 1)
		if err != nil {
			return err
		}
		axes, err := ints64(axesT, "axes", -1)
		if err != nil {
			return err
		}
		keep, _ := n.AttrBool("keep_dims")
		k := int64(0)
		if keep {
			k = 1
		}
		out := outName(n, 0)
		if len(axes) == 0 {
			// TF reduces over nothing: the input unchanged.
			c.emit("Identity", out, []string{x}, []string{out})
		} else {
			c.emit(op, out, []string{x, c.int64Init(n.Name+"/onnx/axes", axes)}, []string{out}, attrI("keepdims", k))
		}
		c.setValue(n, 0, out, dt)
		return nil
	}
}

func castHandler(c *converter, n *tfjs.Node) error {
	x, _, err := c.input(n, 0)
	if err != nil {
		return err
	}
	dst, ok, err := n.AttrType("DstT")
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("no DstT attribute")
	}
	dst = normDType(dst)
	out := outName(n, 0)
	c.emit("Cast", out, []string{x}, []string{out}, attrI("to", int64(onnxType(dst))))
	c.setValue(n, 0, out, dst)
	return nil
}
