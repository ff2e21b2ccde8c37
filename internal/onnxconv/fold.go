package onnxconv

import (
	"errors"
	"fmt"
	"math"

	"github.com/clavis-dev/clavis/internal/tfjs"
)

// folder evaluates an op on constant inputs at conversion time. Float math
// is done in float32, one operation at a time, as TF.js does it, so folded
// values equal the ones TF.js computes.
type folder func(n *tfjs.Node, args []*tfjs.Tensor) ([]*tfjs.Tensor, error)

// folders maps the ops that may be evaluated on constants. SparseToDense is
// only ever folded: it has no ONNX translation.
var folders = map[string]folder{
	"Identity":      foldIdentity,
	"Cast":          foldCast,
	"Add":           foldBinary(func(a, b float32) float32 { return a + b }, func(a, b int64) int64 { return a + b }),
	"AddV2":         foldBinary(func(a, b float32) float32 { return a + b }, func(a, b int64) int64 { return a + b }),
	"Sub":           foldBinary(func(a, b float32) float32 { return a - b }, func(a, b int64) int64 { return a - b }),
	"Mul":           foldBinary(func(a, b float32) float32 { return a * b }, func(a, b int64) int64 { return a * b }),
	"RealDiv":       foldBinary(func(a, b float32) float32 { return a / b }, nil),
	"Maximum":       foldBinary(func(a, b float32) float32 { return float32(math.Max(float64(a), float64(b))) }, func(a, b int64) int64 { return max(a, b) }),
	"Minimum":       foldBinary(func(a, b float32) float32 { return float32(math.Min(float64(a), float64(b))) }, func(a, b int64) int64 { return min(a, b) }),
	"SparseToDense": foldSparseToDense,
	"Reshape":       foldReshape,
	"ExpandDims":    foldExpandDims,
	"Squeeze":       foldSqueeze,
	"Pack":          foldPack,
	"ConcatV2":      foldConcat,
}

func foldIdentity(_ *tfjs.Node, args []*tfjs.Tensor) ([]*tfjs.Tensor, error) {
	return []*tfjs.Tensor{args[0]}, nil
}

func foldCast(n *tfjs.Node, args []*tfjs.Tensor) ([]*tfjs.Tensor, error) {
	dst, ok, err := n.AttrType("DstT")
	if err != nil || !ok {
		return nil, fmt.Errorf("DstT: %v", err)
	}
	x := args[0]
	out := &tfjs.Tensor{DType: normDType(dst), Shape: x.Shape}
	switch {
	case x.DType.IsInt() && out.DType.IsInt():
		out.I64 = append([]int64{}, x.I64...)
		if out.DType == tfjs.Bool {
			for i, v := range out.I64 {
				if v != 0 {
					out.I64[i] = 1
				}
			}
		}
	case x.DType.IsInt():
		out.F32 = make([]float32, len(x.I64))
		for i, v := range x.I64 {
			out.F32[i] = float32(v)
		}
	case out.DType.IsInt():
		out.I64 = make([]int64, len(x.F32))
		for i, v := range x.F32 {
			if out.DType == tfjs.Bool {
				if v != 0 {
					out.I64[i] = 1
				}
			} else {
				out.I64[i] = int64(v) // truncation, as TF casts
			}
		}
	default:
		out.F32 = x.F32
	}
	return []*tfjs.Tensor{out}, nil
}

// broadcastShape returns the numpy broadcast of two shapes.
func broadcastShape(a, b []int) ([]int, error) {
	r := max(len(a), len(b))
	out := make([]int, r)
	for i := 0; i < r; i++ {
		da, db := 1, 1
		if j := len(a) - r + i; j >= 0 {
			da = a[j]
		}
		if j := len(b) - r + i; j >= 0 {
			db = b[j]
		}
		switch {
		case da == db || db == 1:
			out[i] = da
		case da == 1:
			out[i] = db
		default:
			return nil, fmt.Errorf("shapes %v and %v do not broadcast", a, b)
		}
	}
	return out, nil
}

// broadcastIndex maps a flat index of the output shape to one of shape s.
func broadcastIndex(idx int, out, s []int) int {
	j, stride := 0, 1
	for i := len(out) - 1; i >= 0; i-- {
		coord := idx % out[i]
		idx /= out[i]
		if k := len(s) - len(out) + i; k >= 0 {
			if s[k] != 1 {
				j += coord * stride
			}
			stride *= s[k]
		}
	}
	return j
}

func foldBinary(ff func(a, b float32) float32, fi func(a, b int64) int64) folder {
	return func(_ *tfjs.Node, args []*tfjs.Tensor) ([]*tfjs.Tensor, error) {
		a, b := args[0], args[1]
		if a.DType.IsInt() != b.DType.IsInt() {
			return nil, fmt.Errorf("mixed types %s and %s", a, b)
		}
		shape, err := broadcastShape(a.Shape, b.Shape)
		if err != nil {
			return nil, err
		}
		size := tfjs.ShapeSize(shape)
		out := &tfjs.Tensor{DType: a.DType, Shape: shape}
		if a.DType.IsInt() {
			if fi == nil {
				return nil, errors.New("integer operands are not supported")
			}
			out.I64 = make([]int64, size)
			for i := range out.I64 {
				out.I64[i] = fi(a.I64[broadcastIndex(i, shape, a.Shape)], b.I64[broadcastIndex(i, shape, b.Shape)])
			}
		} else {
			out.F32 = make([]float32, size)
			for i := range out.F32 {
				out.F32[i] = ff(a.F32[broadcastIndex(i, shape, a.Shape)], b.F32[broadcastIndex(i, shape, b.Shape)])
			}
		}
		return []*tfjs.Tensor{out}, nil
	}
}

// foldSparseToDense evaluates SparseToDense(indices, output_shape, values,
// default_value).
func foldSparseToDense(_ *tfjs.Node, args []*tfjs.Tensor) ([]*tfjs.Tensor, error) {
	if len(args) != 4 {
		return nil, fmt.Errorf("has %d inputs, want 4", len(args))
	}
	idx, shapeT, vals, def := args[0], args[1], args[2], args[3]
	if !idx.DType.IsInt() || !shapeT.DType.IsInt() {
		return nil, errors.New("indices and output_shape must be integers")
	}
	if def.Len() != 1 {
		return nil, fmt.Errorf("default_value %s is not a scalar", def)
	}
	shape := make([]int, len(shapeT.I64))
	for i, d := range shapeT.I64 {
		if d < 0 {
			return nil, fmt.Errorf("output_shape %v is negative", shapeT.I64)
		}
		shape[i] = int(d)
	}
	size := tfjs.ShapeSize(shape)
	out := &tfjs.Tensor{DType: vals.DType, Shape: shape}
	if out.DType.IsInt() {
		out.I64 = make([]int64, size)
		for i := range out.I64 {
			out.I64[i] = def.I64[0]
		}
	} else {
		out.F32 = make([]float32, size)
		for i := range out.F32 {
			out.F32[i] = def.F32[0]
		}
	}
	// indices is a scalar, a vector (rank-1 output) or [n, rank].
	rank := len(shape)
	n := idx.Len()
	if len(idx.Shape) == 2 {
		n = idx.Shape[0]
		if idx.Shape[1] != rank {
			return nil, fmt.Errorf("indices %s do not match output rank %d", idx, rank)
		}
	} else if rank != 1 {
		return nil, fmt.Errorf("indices %s need a rank-1 output, have %v", idx, shape)
	}
	if vals.Len() != 1 && vals.Len() != n {
		return nil, fmt.Errorf("%d values for %d indices", vals.Len(), n)
	}
	for k := 0; k < n; k++ {
		flat := 0
		for d := 0; d < rank; d++ {
			var v int64
			if len(idx.Shape) == 2 {
				v = idx.I64[k*rank+d]
			} else {
				v = idx.I64[k]
			}
			if v < 0 || int(v) >= shape[d] {
				return nil, fmt.Errorf("index %d out of range for %v", v, shape)
			}
			flat = flat*shape[d] + int(v)
		}
		src := k
		if vals.Len() == 1 {
			src = 0
		}
		if out.DType.IsInt() {
			out.I64[flat] = vals.I64[src]
		} else {
			out.F32[flat] = vals.F32[src]
		}
	}
	return []*tfjs.Tensor{out}, nil
}

func withShape(t *tfjs.Tensor, shape []int) *tfjs.Tensor {
	u := *t
	u.Shape = shape
	return &u
}

func foldReshape(_ *tfjs.Node, args []*tfjs.Tensor) ([]*tfjs.Tensor, error) {
	x, s := args[0], args[1]
	if !s.DType.IsInt() {
		return nil, errors.New("shape must be integers")
	}
	shape := make([]int, len(s.I64))
	infer, known := -1, 1
	for i, d := range s.I64 {
		switch {
		case d == -1 && infer < 0:
			infer = i
		case d < 0:
			return nil, fmt.Errorf("bad shape %v", s.I64)
		default:
			shape[i] = int(d)
			known *= int(d)
		}
	}
	if infer >= 0 {
		if known == 0 || x.Len()%known != 0 {
			return nil, fmt.Errorf("cannot reshape %s to %v", x, s.I64)
		}
		shape[infer] = x.Len() / known
	}
	if tfjs.ShapeSize(shape) != x.Len() {
		return nil, fmt.Errorf("cannot reshape %s to %v", x, s.I64)
	}
	return []*tfjs.Tensor{withShape(x, shape)}, nil
}

func normAxis(axis int64, rank int) (int, error) {
	if axis < 0 {
		axis += int64(rank)
	}
	if axis < 0 || int(axis) >= rank {
		return 0, fmt.Errorf("axis %d out of range for rank %d", axis, rank)
	}
	return int(axis), nil
}

func foldExpandDims(_ *tfjs.Node, args []*tfjs.Tensor) ([]*tfjs.Tensor, error) {
	x := args[0]
	axis, err := scalarInt(args[1], "axis")
	if err != nil {
		return nil, err
	}
	a, err := normAxis(axis, len(x.Shape)+1)
	if err != nil {
		return nil, err
	}
	shape := append(append(append([]int{}, x.Shape[:a]...), 1), x.Shape[a:]...)
	return []*tfjs.Tensor{withShape(x, shape)}, nil
}

func foldSqueeze(n *tfjs.Node, args []*tfjs.Tensor) ([]*tfjs.Tensor, error) {
	x := args[0]
	axes, ok := n.AttrInts("squeeze_dims")
	if !ok {
		axes, _ = n.AttrInts("axis")
	}
	drop := make(map[int]bool)
	for _, ax := range axes {
		a, err := normAxis(ax, len(x.Shape))
		if err != nil {
			return nil, err
		}
		if x.Shape[a] != 1 {
			return nil, fmt.Errorf("cannot squeeze dimension %d of %s", a, x)
		}
		drop[a] = true
	}
	var shape []int
	for i, d := range x.Shape {
		if drop[i] || (len(axes) == 0 && d == 1) {
			continue
		}
		shape = append(shape, d)
	}
	if shape == nil {
		shape = []int{}
	}
	return []*tfjs.Tensor{withShape(x, shape)}, nil
}

// concatTensors joins tensors of equal shapes but for dimension axis.
func concatTensors(ts []*tfjs.Tensor, axis int) (*tfjs.Tensor, error) {
	first := ts[0]
	shape := append([]int{}, first.Shape...)
	shape[axis] = 0
	for _, t := range ts {
		if len(t.Shape) != len(shape) || t.DType.IsInt() != first.DType.IsInt() {
			return nil, fmt.Errorf("cannot concatenate %s and %s", first, t)
		}
		for i := range shape {
			if i != axis && t.Shape[i] != first.Shape[i] {
				return nil, fmt.Errorf("cannot concatenate %s and %s", first, t)
			}
		}
		shape[axis] += t.Shape[axis]
	}
	outer := tfjs.ShapeSize(shape[:axis])
	out := &tfjs.Tensor{DType: first.DType, Shape: shape}
	for o := 0; o < outer; o++ {
		for _, t := range ts {
			chunk := tfjs.ShapeSize(t.Shape[axis:])
			if t.DType.IsInt() {
				out.I64 = append(out.I64, t.I64[o*chunk:(o+1)*chunk]...)
			} else {
				out.F32 = append(out.F32, t.F32[o*chunk:(o+1)*chunk]...)
			}
		}
	}
	return out, nil
}

func foldPack(n *tfjs.Node, args []*tfjs.Tensor) ([]*tfjs.Tensor, error) {
	axis, _ := n.AttrInt("axis")
	a, err := normAxis(axis, len(args[0].Shape)+1)
	if err != nil {
		return nil, err
	}
	parts := make([]*tfjs.Tensor, len(args))
	for i, t := range args {
		shape := append(append(append([]int{}, t.Shape[:min(a, len(t.Shape))]...), 1), t.Shape[min(a, len(t.Shape)):]...)
		parts[i] = withShape(t, shape)
	}
	t, err := concatTensors(parts, a)
	if err != nil {
		return nil, err
	}
	return []*tfjs.Tensor{t}, nil
}

func foldConcat(_ *tfjs.Node, args []*tfjs.Tensor) ([]*tfjs.Tensor, error) {
	if len(args) < 2 {
		return nil, errors.New("needs at least one tensor and the axis")
	}
	axis, err := scalarInt(args[len(args)-1], "axis")
	if err != nil {
		return nil, err
	}
	ts := args[:len(args)-1]
	a, err := normAxis(axis, len(ts[0].Shape))
	if err != nil {
		return nil, err
	}
	t, err := concatTensors(ts, a)
	if err != nil {
		return nil, err
	}
	return []*tfjs.Tensor{t}, nil
}
