package onnxconv_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/clavis-dev/clavis/internal/inference/modeltest"
	"github.com/clavis-dev/clavis/internal/inference/onnx"
	"github.com/clavis-dev/clavis/internal/onnxconv"
	"github.com/clavis-dev/clavis/internal/tfjs"
)

// parse builds a graph model from model.json text whose Const values are
// inline, so no weight shards are needed.
func parse(t *testing.T, modelJSON string) *tfjs.Model {
	t.Helper()
	m, err := tfjs.Parse([]byte(modelJSON), func(p string) ([]byte, error) {
		t.Fatalf("unexpected shard read %q", p)
		return nil, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// graph wraps node JSON objects into a model.json with no signature.
func graph(nodes ...string) string {
	return `{"format": "graph-model", "modelTopology": {"node": [` + strings.Join(nodes, ",") + `]}, "weightsManifest": []}`
}

const placeholderX = `{"name": "x", "op": "Placeholder", "attr": {"dtype": {"type": "DT_FLOAT"}, "shape": {"shape": {"dim": [{"size": "1"}, {"size": "4"}, {"size": "4"}, {"size": "1"}]}}}}`

func TestConvertErrors(t *testing.T) {
	tests := []struct {
		name  string
		model string
		want  []string // substrings of the error
	}{
		{"UnknownOp", graph(placeholderX,
			`{"name": "weird/node", "op": "FancyOp", "input": ["x"]}`),
			[]string{`node "weird/node"`, "unsupported op FancyOp"}},
		{"FilterNotConstant", graph(placeholderX,
			`{"name": "conv", "op": "Conv2D", "input": ["x", "x"], "attr": {"strides": {"list": {"i": ["1", "1", "1", "1"]}}, "padding": {"s": "VkFMSUQ="}}}`),
			[]string{`node "conv" (Conv2D)`, "must be a constant"}},
		{"FoldOnlyOp", graph(placeholderX,
			`{"name": "s2d", "op": "SparseToDense", "input": ["x", "x", "x", "x"]}`),
			[]string{`node "s2d"`, "only with constant inputs"}},
		{"UnsupportedFusion", graph(placeholderX,
			`{"name": "w", "op": "Const", "attr": {"dtype": {"type": "DT_FLOAT"}, "value": {"tensor": {"dtype": "DT_FLOAT", "tensorShape": {"dim": [{"size": "1"}, {"size": "1"}, {"size": "1"}, {"size": "1"}]}, "floatVal": [1]}}}}`,
			`{"name": "conv", "op": "_FusedConv2D", "input": ["x", "w", "w", "w"], "attr": {"num_args": {"i": "2"}, "fused_ops": {"list": {"s": ["RnVzZWRCYXRjaE5vcm0="]}}, "strides": {"list": {"i": ["1", "1", "1", "1"]}}, "padding": {"s": "VkFMSUQ="}}}`),
			[]string{`node "conv"`, "FusedBatchNorm"}},
		{"MissingInput", graph(placeholderX,
			`{"name": "r", "op": "Relu", "input": ["nowhere"]}`),
			[]string{`"nowhere"`}},
		{"Cycle", graph(
			`{"name": "a", "op": "Relu", "input": ["b"]}`,
			`{"name": "b", "op": "Relu", "input": ["a"]}`,
			`{"name": "c", "op": "Relu", "input": ["a"]}`),
			[]string{"cycle"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := onnxconv.ConvertModel(parse(t, tt.model))
			if err == nil {
				t.Fatal("ConvertModel succeeded")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestConvertDeterministic(t *testing.T) {
	m := graph(placeholderX,
		`{"name": "k", "op": "Const", "attr": {"dtype": {"type": "DT_FLOAT"}, "value": {"tensor": {"dtype": "DT_FLOAT", "tensorShape": {"dim": [{"size": "2"}, {"size": "2"}, {"size": "1"}, {"size": "3"}]}, "floatVal": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]}}}}`,
		`{"name": "conv", "op": "Conv2D", "input": ["x", "k"], "attr": {"strides": {"list": {"i": ["1", "1", "1", "1"]}}, "padding": {"s": "U0FNRQ=="}}}`,
		`{"name": "r6", "op": "Relu6", "input": ["conv"]}`,
		`{"name": "sig", "op": "Sigmoid", "input": ["conv"]}`)
	a, err := onnxconv.ConvertModel(parse(t, m))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		b, err := onnxconv.ConvertModel(parse(t, m))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Fatal("conversions of the same model differ")
		}
	}
	// The encoding names the producer and the opset import's version.
	if !bytes.Contains(a, []byte(onnxconv.Producer)) {
		t.Error("model does not name its producer")
	}
}

// TestConvertOutputs converts a graph to output an intermediate tensor: the
// model outputs it under its node's name, and holds nothing past it.
func TestConvertOutputs(t *testing.T) {
	m := graph(placeholderX,
		`{"name": "feat/relu", "op": "Relu", "input": ["x"]}`,
		`{"name": "head", "op": "Sigmoid", "input": ["feat/relu"]}`)
	modeltest.Init(t)
	b, err := onnxconv.ConvertModel(parse(t, m), "feat/relu:0")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, []byte("head")) {
		t.Error("the model holds the node past its output")
	}
	s, err := onnx.NewSessionFromBytes(t.Name(), b, onnx.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if out := s.Outputs(); len(out) != 1 || out[0].Name != "feat/relu" {
		t.Fatalf("outputs %+v, want one named feat/relu", out)
	}
	x := []float32{-2, -1, 0, 1, 2, 3, -4, 5, 6, -7, 8, 9, -10, 11, 12, -13}
	outs, err := s.Run(context.Background(), onnx.Tensor{Shape: []int64{1, 4, 4, 1}, Data: x})
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range x {
		if want := max(v, 0); outs[0].Data[i] != want {
			t.Fatalf("output[%d] = %g, want relu(%g) = %g", i, outs[0].Data[i], v, want)
		}
	}

	for _, tt := range []struct {
		name    string
		outputs []string
		want    string
	}{
		{"NoSuchNode", []string{"feat/nowhere"}, `output "feat/nowhere" names no node`},
		{"Twice", []string{"feat/relu", "feat/relu:0"}, `output "feat/relu:0" is named twice`},
		{"ControlInput", []string{"^feat/relu"}, `output "^feat/relu" names no node`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := onnxconv.ConvertModel(parse(t, m), tt.outputs...); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ConvertModel(%q) error %v, want one containing %q", tt.outputs, err, tt.want)
			}
		})
	}
}
