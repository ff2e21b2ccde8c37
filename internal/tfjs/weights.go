package tfjs

import (
	"encoding/binary"
	"fmt"
	"math"
)

// ManifestGroup is one entry of model.json's weightsManifest: the shard
// files whose concatenation holds the group's weights, in order.
type ManifestGroup struct {
	Paths   []string     `json:"paths"`
	Weights []WeightSpec `json:"weights"`
}

// WeightSpec describes one weight of a manifest group.
type WeightSpec struct {
	Name         string        `json:"name"`
	Shape        []int         `json:"shape"`
	DType        string        `json:"dtype"` // the dtype after dequantization
	Quantization *Quantization `json:"quantization,omitempty"`
}

// Quantization says how a weight is stored when it is quantized.
type Quantization struct {
	DType         string   `json:"dtype"` // "uint8", "uint16" or "float16"
	Scale         *float64 `json:"scale,omitempty"`
	Min           *float64 `json:"min,omitempty"`
	OriginalDType string   `json:"original_dtype,omitempty"`
}

// readWeights decodes every weight of the manifest.
func readWeights(groups []ManifestGroup, readShard func(string) ([]byte, error)) (map[string]*Tensor, error) {
	out := make(map[string]*Tensor)
	for gi, g := range groups {
		var buf []byte
		for _, p := range g.Paths {
			b, err := readShard(p)
			if err != nil {
				return nil, fmt.Errorf("tfjs: weight shard %q: %w", p, err)
			}
			buf = append(buf, b...)
		}
		off := 0
		for _, w := range g.Weights {
			t, n, err := decodeWeight(w, buf[off:])
			if err != nil {
				return nil, fmt.Errorf("tfjs: weights group %d: weight %q: %w", gi, w.Name, err)
			}
			off += n
			if _, dup := out[w.Name]; dup {
				return nil, fmt.Errorf("tfjs: weight %q appears twice in the manifest", w.Name)
			}
			out[w.Name] = t
		}
	}
	return out, nil
}

// decodeWeight decodes one weight from the start of b and reports how many
// bytes it used. Dequantization follows TF.js: value*scale + min computed in
// double precision and stored as float32 (rounded for int32 weights), and
// float16 widened to float32 exactly.
func decodeWeight(w WeightSpec, b []byte) (*Tensor, int, error) {
	for _, d := range w.Shape {
		if d < 0 {
			return nil, 0, fmt.Errorf("negative dimension in shape %v", w.Shape)
		}
	}
	n := ShapeSize(w.Shape)
	shape := append([]int{}, w.Shape...)
	var dt DType
	switch w.DType {
	case "float32":
		dt = Float32
	case "int32":
		dt = Int32
	case "bool":
		dt = Bool
	default:
		return nil, 0, fmt.Errorf("unsupported weight dtype %q", w.DType)
	}
	t := &Tensor{DType: dt, Shape: shape}
	if q := w.Quantization; q != nil {
		if dt == Bool {
			return nil, 0, fmt.Errorf("quantized bool weights are not supported")
		}
		var width int
		switch q.DType {
		case "uint8":
			width = 1
		case "uint16", "float16":
			width = 2
		default:
			return nil, 0, fmt.Errorf("unsupported quantization dtype %q", q.DType)
		}
		size := n * width
		if len(b) < size {
			return nil, 0, fmt.Errorf("needs %d bytes, shard has %d left", size, len(b))
		}
		raw := func(i int) uint16 {
			if width == 1 {
				return uint16(b[i])
			}
			return binary.LittleEndian.Uint16(b[2*i:])
		}
		if q.DType == "float16" {
			if dt != Float32 {
				return nil, 0, fmt.Errorf("float16 quantization of %s weights is not supported", dt)
			}
			t.F32 = make([]float32, n)
			for i := range t.F32 {
				t.F32[i] = Float16ToFloat32(raw(i))
			}
			return t, size, nil
		}
		if q.Scale == nil || q.Min == nil {
			return nil, 0, fmt.Errorf("%s quantization without scale and min", q.DType)
		}
		scale, minv := *q.Scale, *q.Min
		if dt == Float32 {
			t.F32 = make([]float32, n)
			for i := range t.F32 {
				t.F32[i] = float32(float64(raw(i))*scale + minv)
			}
		} else {
			t.I64 = make([]int64, n)
			for i := range t.I64 {
				t.I64[i] = int64(math.RoundToEven(float64(raw(i))*scale + minv))
			}
		}
		return t, size, nil
	}
	width := 4
	if dt == Bool {
		width = 1
	}
	size := n * width
	if len(b) < size {
		return nil, 0, fmt.Errorf("needs %d bytes, shard has %d left", size, len(b))
	}
	switch dt {
	case Float32:
		t.F32 = make([]float32, n)
		for i := range t.F32 {
			t.F32[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		}
	case Int32:
		t.I64 = make([]int64, n)
		for i := range t.I64 {
			t.I64[i] = int64(int32(binary.LittleEndian.Uint32(b[4*i:])))
		}
	case Bool:
		t.I64 = make([]int64, n)
		for i := range t.I64 {
			if b[i] != 0 {
				t.I64[i] = 1
			}
		}
	}
	return t, size, nil
}

// Float16ToFloat32 widens an IEEE 754 half-precision value to float32; every
// half value, subnormals, infinities and NaNs included, is represented exactly.
func Float16ToFloat32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	frac := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // infinity or NaN
		return math.Float32frombits(sign | 0x7f800000 | frac<<13)
	case exp != 0: // normal
		return math.Float32frombits(sign | (exp+127-15)<<23 | frac<<13)
	case frac == 0: // signed zero
		return math.Float32frombits(sign)
	}
	// Subnormal half: value = frac * 2^-24, exact in float32.
	v := float32(frac) * (1.0 / (1 << 24))
	if sign != 0 {
		v = -v
	}
	return v
}

// ConstValue returns the value of a Const node: its weight if the manifest
// has one by the node's name, else the value written inline in its "value"
// attribute. The tensor's DType is the one the node declares.
func (m *Model) ConstValue(n *Node) (*Tensor, error) {
	if n.Op != "Const" {
		return nil, fmt.Errorf("tfjs: node %q is a %s, not a Const", n.Name, n.Op)
	}
	tp, _ := n.AttrTensor("value")
	var declared DType
	if d, ok, err := n.AttrType("dtype"); ok {
		if err != nil {
			return nil, fmt.Errorf("tfjs: Const %q: %w", n.Name, err)
		}
		declared = d
	} else if tp != nil {
		d, err := ParseTFDType(tp.DType)
		if err != nil {
			return nil, fmt.Errorf("tfjs: Const %q: %w", n.Name, err)
		}
		declared = d
	}
	if w, ok := m.Weights[n.Name]; ok {
		t := *w
		if declared != "" && declared != t.DType {
			if declared.IsInt() != t.DType.IsInt() {
				return nil, fmt.Errorf("tfjs: Const %q declares %s but its weight is %s", n.Name, declared, t.DType)
			}
			t.DType = declared
		}
		return &t, nil
	}
	if tp == nil {
		return nil, fmt.Errorf("tfjs: Const %q has neither a weight nor an inline value", n.Name)
	}
	shape := tp.TensorShape.Dims()
	if shape == nil {
		shape = []int{}
	}
	t := &Tensor{DType: declared, Shape: shape}
	size := ShapeSize(shape)
	var vals []float64
	switch {
	case len(tp.FloatVal) > 0:
		for _, v := range tp.FloatVal {
			vals = append(vals, float64(v))
		}
	case len(tp.IntVal) > 0:
		for _, v := range tp.IntVal {
			vals = append(vals, float64(v))
		}
	case len(tp.Int64Val) > 0:
		for _, v := range tp.Int64Val {
			vals = append(vals, float64(v))
		}
	case len(tp.BoolVal) > 0:
		for _, v := range tp.BoolVal {
			if v {
				vals = append(vals, 1)
			} else {
				vals = append(vals, 0)
			}
		}
	case size == 0:
	default:
		return nil, fmt.Errorf("tfjs: Const %q: inline value has no elements (tensorContent is not supported)", n.Name)
	}
	// TensorFlow repeats the last given value to fill the shape.
	if len(vals) > size || (len(vals) == 0 && size > 0) {
		return nil, fmt.Errorf("tfjs: Const %q: %d inline values for shape %v", n.Name, len(vals), shape)
	}
	get := func(i int) float64 {
		if i < len(vals) {
			return vals[i]
		}
		return vals[len(vals)-1]
	}
	if declared.IsInt() {
		t.I64 = make([]int64, size)
		for i := range t.I64 {
			t.I64[i] = int64(get(i))
		}
	} else {
		t.F32 = make([]float32, size)
		for i := range t.F32 {
			t.F32[i] = float32(get(i))
		}
	}
	return t, nil
}
