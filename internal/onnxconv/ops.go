package onnxconv

import (
	"fmt"

	"github.com/clavis-dev/clavis/internal/tfjs"
)

// handler translates one TF node into ONNX nodes whose final outputs are
// named outName(n, i) and recorded with setValue.
type handler func(c *converter, n *tfjs.Node) error

// handlers maps each translated TF op to its handler. Ops that appear only
// on constant inputs are in folders; an op in neither is an error.
var handlers map[string]handler

func init() {
	handlers = map[string]handler{
		// Neural-network ops (ops_nn.go).
		"Conv2D":                     convHandler(false, false),
		"_FusedConv2D":               convHandler(false, true),
		"DepthwiseConv2dNative":      convHandler(true, false),
		"FusedDepthwiseConv2dNative": convHandler(true, true),
		"MaxPool":                    poolHandler("MaxPool"),
		"AvgPool":                    poolHandler("AveragePool"),
		"Pad":                        padHandler,
		"PadV2":                      padHandler,
		"ResizeBilinear":             resizeBilinearHandler,
		"MatMul":                     matMulHandler(false),
		"_FusedMatMul":               matMulHandler(true),
		"Softmax":                    softmaxHandler,
		"BiasAdd":                    biasAddHandler,

		// Element-wise math (ops_math.go).
		"Add":               binaryHandler("Add"),
		"AddV2":             binaryHandler("Add"),
		"Sub":               binaryHandler("Sub"),
		"Mul":               binaryHandler("Mul"),
		"RealDiv":           binaryHandler("Div"),
		"Maximum":           binaryHandler("Max"),
		"Minimum":           binaryHandler("Min"),
		"Pow":               binaryHandler("Pow"),
		"SquaredDifference": squaredDifferenceHandler,
		"Sigmoid":           unaryHandler("Sigmoid"),
		"Relu":              unaryHandler("Relu"),
		"Tanh":              unaryHandler("Tanh"),
		"Exp":               unaryHandler("Exp"),
		"Log":               unaryHandler("Log"),
		"Sqrt":              unaryHandler("Sqrt"),
		"Abs":               unaryHandler("Abs"),
		"Neg":               unaryHandler("Neg"),
		"Elu":               unaryHandler("Elu"),
		"Relu6":             relu6Handler,
		"LeakyRelu":         leakyReluHandler,
		"Identity":          unaryHandler("Identity"),
		"StopGradient":      unaryHandler("Identity"),
		"Snapshot":          unaryHandler("Identity"),
		"Mean":              reduceHandler("ReduceMean"),
		"Sum":               reduceHandler("ReduceSum"),
		"Max":               reduceHandler("ReduceMax"),
		"Min":               reduceHandler("ReduceMin"),
		"Cast":              castHandler,

		// Shape and layout ops (ops_array.go).
		"Reshape":      reshapeHandler,
		"Transpose":    transposeHandler,
		"ConcatV2":     concatHandler,
		"SplitV":       splitVHandler,
		"Split":        splitHandler,
		"Squeeze":      squeezeHandler,
		"ExpandDims":   expandDimsHandler,
		"StridedSlice": stridedSliceHandler,
		"Shape":        shapeHandler,
		"Pack":         packHandler,
	}
}

// ints64 converts an integer tensor to int64 values, checking its rank.
func ints64(t *tfjs.Tensor, what string, wantLen int) ([]int64, error) {
	if !t.DType.IsInt() {
		return nil, fmt.Errorf("%s must be integers, is %s", what, t)
	}
	if wantLen >= 0 && len(t.I64) != wantLen {
		return nil, fmt.Errorf("%s must have %d values, has %d", what, wantLen, len(t.I64))
	}
	return t.I64, nil
}

// scalarInt returns the single integer of a constant tensor.
func scalarInt(t *tfjs.Tensor, what string) (int64, error) {
	v, err := ints64(t, what, 1)
	if err != nil {
		return 0, err
	}
	return v[0], nil
}
