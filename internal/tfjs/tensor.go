package tfjs

import (
	"fmt"
	"strings"
)

// DType is the element type of a tensor, named as TensorFlow names it
// without the "DT_" prefix and in lower case ("float32", "int32", ...).
type DType string

// The element types a graph model's tensors may have.
const (
	Float32 DType = "float32"
	Int32   DType = "int32"
	Int64   DType = "int64"
	Bool    DType = "bool"
)

// ParseTFDType maps a TensorFlow DataType name such as "DT_FLOAT" to a DType.
// It returns an error for types this package does not handle (strings,
// complex numbers, half and double precision floats, unsigned integers).
func ParseTFDType(s string) (DType, error) {
	switch s {
	case "DT_FLOAT":
		return Float32, nil
	case "DT_INT32", "DT_INT16", "DT_INT8", "DT_UINT8", "DT_UINT16":
		// TF.js holds every integer type in an int32 array.
		return Int32, nil
	case "DT_INT64":
		return Int64, nil
	case "DT_BOOL":
		return Bool, nil
	}
	return "", fmt.Errorf("tfjs: unsupported data type %q", s)
}

// IsInt reports whether d is an integer or boolean type, whose values a
// Tensor keeps in I64.
func (d DType) IsInt() bool { return d == Int32 || d == Int64 || d == Bool }

// Tensor is a dense tensor in row-major order. Float32 values are in F32;
// integer and boolean values (booleans as 0 and 1) are in I64. Exactly one of
// the two is used, as DType says.
type Tensor struct {
	DType DType
	Shape []int
	F32   []float32
	I64   []int64
}

// Size returns the number of elements the shape holds.
func (t *Tensor) Size() int { return ShapeSize(t.Shape) }

// Len returns the number of values the tensor holds.
func (t *Tensor) Len() int {
	if t.DType.IsInt() {
		return len(t.I64)
	}
	return len(t.F32)
}

// Ints returns the tensor's values as int64, converting floats by truncation.
func (t *Tensor) Ints() []int64 {
	if t.DType.IsInt() {
		return t.I64
	}
	out := make([]int64, len(t.F32))
	for i, v := range t.F32 {
		out[i] = int64(v)
	}
	return out
}

// Scalar reports the tensor's single value as a float64, and whether it has
// exactly one element.
func (t *Tensor) Scalar() (float64, bool) {
	if t.Len() != 1 {
		return 0, false
	}
	if t.DType.IsInt() {
		return float64(t.I64[0]), true
	}
	return float64(t.F32[0]), true
}

// String describes the tensor's type and shape, for error messages.
func (t *Tensor) String() string {
	dims := make([]string, len(t.Shape))
	for i, d := range t.Shape {
		dims[i] = fmt.Sprint(d)
	}
	return fmt.Sprintf("%s[%s]", t.DType, strings.Join(dims, ","))
}

// ShapeSize returns the product of the dimensions, 1 for a scalar.
func ShapeSize(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}
