package onnx_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/clavis-dev/clavis/internal/inference/modeltest"
	"github.com/clavis-dev/clavis/internal/inference/onnx"
)

func TestInitErrors(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "libgarbage.so")
	if err := os.WriteFile(garbage, []byte("not a shared library"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		path string
		want []string // substrings of the error
	}{
		{"Missing", filepath.Join(dir, "absent", "libonnxruntime.so.1"), []string{"absent/libonnxruntime.so.1", "missing", "clavis setup"}},
		{"Directory", dir, []string{dir, "not a regular file", "clavis setup"}},
		// Either the library fails to load or, when another test of this
		// process loaded the real one, a second library is refused.
		{"NotALibrary", garbage, []string{garbage}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := onnx.Init(tt.path)
			if err == nil {
				t.Fatalf("Init(%s) succeeded", tt.path)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Init error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestInitIdempotent(t *testing.T) {
	dir := modeltest.Init(t)
	if !onnx.Initialized() || onnx.Version() == "" {
		t.Fatalf("Initialized() = %v, Version() = %q after Init", onnx.Initialized(), onnx.Version())
	}
	lib := filepath.Join(dir, "onnxruntime", "libonnxruntime.so.1")
	if err := onnx.Init(lib); err != nil {
		t.Errorf("second Init with the same library: %v", err)
	}
	other := filepath.Join(t.TempDir(), "libonnxruntime.so.1")
	if err := os.Link(lib, other); err != nil {
		t.Skip("cannot link the library:", err)
	}
	if err := onnx.Init(other); err == nil || !strings.Contains(err.Error(), "already loaded") {
		t.Errorf("Init with another library: error = %v, want one saying a runtime is already loaded", err)
	}
}

func TestSession(t *testing.T) {
	modeltest.Init(t)
	s, err := onnx.NewSessionFromBytes("double", doubleModel(), onnx.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	if in := s.Inputs(); len(in) != 1 || in[0].Name != "x" || len(in[0].Shape) != 2 || in[0].Shape[0] != -1 || in[0].Shape[1] != -1 {
		t.Errorf("Inputs() = %+v, want one input x with two dynamic dimensions", in)
	}
	if out := s.Outputs(); len(out) != 1 || out[0].Name != "y" {
		t.Errorf("Outputs() = %+v, want one output y", out)
	}

	// Different shapes on one session, from many goroutines at once.
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			rows, cols := int64(1+g%3), int64(2+g)
			x := onnx.Tensor{Shape: []int64{rows, cols}, Data: make([]float32, rows*cols)}
			for i := range x.Data {
				x.Data[i] = float32(i*g) - 3
			}
			for range 20 {
				out, err := s.Run(context.Background(), x)
				if err != nil {
					t.Error(err)
					return
				}
				y := out[0]
				if len(y.Shape) != 2 || y.Shape[0] != rows || y.Shape[1] != cols {
					t.Errorf("output shape %v, want [%d %d]", y.Shape, rows, cols)
					return
				}
				for i, v := range y.Data {
					if v != 2*x.Data[i] {
						t.Errorf("y[%d] = %v, want %v", i, v, 2*x.Data[i])
						return
					}
				}
			}
		})
	}
	wg.Wait()
}

func TestSessionErrors(t *testing.T) {
	modeltest.Init(t)
	double, err := onnx.NewSessionFromBytes("double", doubleModel(), onnx.Options{IntraOpThreads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer double.Close()
	shape, err := onnx.NewSessionFromBytes("shape", shapeModel(), onnx.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer shape.Close()
	x := onnx.Tensor{Shape: []int64{1, 2}, Data: []float32{1, 2}}
	canceled, cancel := context.WithCancel(context.Background())
	cancel()

	tests := []struct {
		name string
		run  func() error
		want string
	}{
		{"NoInputs", func() error { _, err := double.Run(context.Background()); return err }, "0 inputs given, model takes 1"},
		{"ShortData", func() error {
			_, err := double.Run(context.Background(), onnx.Tensor{Shape: []int64{2, 2}, Data: []float32{1}})
			return err
		}, "input x"},
		{"NotFloatOutput", func() error { _, err := shape.Run(context.Background(), x); return err }, "not float32"},
		{"Canceled", func() error { _, err := double.Run(canceled, x); return err }, context.Canceled.Error()},
		{"BadModel", func() error { _, err := onnx.NewSessionFromBytes("junk", []byte("junk"), onnx.Options{}); return err }, "junk"},
		{"MissingFile", func() error {
			_, err := onnx.NewSession(filepath.Join(t.TempDir(), "absent.onnx"), onnx.Options{})
			return err
		}, "absent.onnx"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.run()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want one containing %q", err, tt.want)
			}
		})
	}
	if _, err := double.Run(canceled, x); !errors.Is(err, context.Canceled) {
		t.Errorf("Run with a canceled context: error = %v, want context.Canceled", err)
	}
}

func TestNewSessionFromFile(t *testing.T) {
	modeltest.Init(t)
	path := filepath.Join(t.TempDir(), "double.onnx")
	if err := os.WriteFile(path, doubleModel(), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := onnx.NewSession(path, onnx.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	out, err := s.Run(context.Background(), onnx.Tensor{Shape: []int64{1, 3}, Data: []float32{1, -2, 0.5}})
	if err != nil {
		t.Fatal(err)
	}
	if got := out[0].Data; len(got) != 3 || got[0] != 2 || got[1] != -4 || got[2] != 1 {
		t.Errorf("output = %v, want [2 -4 1]", got)
	}
}

// doubleModel is an ONNX model computing y = x + x for a float32 x of any
// two-dimensional shape.
func doubleModel() []byte {
	return model(node("Add", []string{"x", "x"}, "y"), valueInfo("y", 1))
}

// shapeModel is an ONNX model returning the int64 shape of its input.
func shapeModel() []byte {
	return model(node("Shape", []string{"x"}, "y"), valueInfo("y", 7))
}

// model encodes a ModelProto (IR 8, opset 13) with one node, input x (a
// float32 matrix of dynamic shape) and the given output.
func model(node, output []byte) []byte {
	var g []byte
	g = protowire.AppendTag(g, 1, protowire.BytesType) // node
	g = protowire.AppendBytes(g, node)
	g = protowire.AppendTag(g, 2, protowire.BytesType) // name
	g = protowire.AppendString(g, "test")
	g = protowire.AppendTag(g, 11, protowire.BytesType) // input
	g = protowire.AppendBytes(g, valueInfo("x", 1, "rows", "cols"))
	g = protowire.AppendTag(g, 12, protowire.BytesType) // output
	g = protowire.AppendBytes(g, output)

	var opset []byte
	opset = protowire.AppendTag(opset, 2, protowire.VarintType) // version
	opset = protowire.AppendVarint(opset, 13)

	var m []byte
	m = protowire.AppendTag(m, 1, protowire.VarintType) // ir_version
	m = protowire.AppendVarint(m, 8)
	m = protowire.AppendTag(m, 7, protowire.BytesType) // graph
	m = protowire.AppendBytes(m, g)
	m = protowire.AppendTag(m, 8, protowire.BytesType) // opset_import
	m = protowire.AppendBytes(m, opset)
	return m
}

func node(op string, inputs []string, output string) []byte {
	var n []byte
	for _, in := range inputs {
		n = protowire.AppendTag(n, 1, protowire.BytesType)
		n = protowire.AppendString(n, in)
	}
	n = protowire.AppendTag(n, 2, protowire.BytesType)
	n = protowire.AppendString(n, output)
	n = protowire.AppendTag(n, 4, protowire.BytesType)
	n = protowire.AppendString(n, op)
	return n
}

// valueInfo encodes a ValueInfoProto for a tensor of element type elemType
// (1 float32, 7 int64) whose dimensions are the named dynamic ones.
func valueInfo(name string, elemType uint64, dims ...string) []byte {
	var shape []byte
	for _, d := range dims {
		var dim []byte
		dim = protowire.AppendTag(dim, 2, protowire.BytesType) // dim_param
		dim = protowire.AppendString(dim, d)
		shape = protowire.AppendTag(shape, 1, protowire.BytesType)
		shape = protowire.AppendBytes(shape, dim)
	}
	var tensor []byte
	tensor = protowire.AppendTag(tensor, 1, protowire.VarintType) // elem_type
	tensor = protowire.AppendVarint(tensor, elemType)
	if dims != nil {
		tensor = protowire.AppendTag(tensor, 2, protowire.BytesType) // shape
		tensor = protowire.AppendBytes(tensor, shape)
	}
	var typ []byte
	typ = protowire.AppendTag(typ, 1, protowire.BytesType) // tensor_type
	typ = protowire.AppendBytes(typ, tensor)
	var vi []byte
	vi = protowire.AppendTag(vi, 1, protowire.BytesType)
	vi = protowire.AppendString(vi, name)
	vi = protowire.AppendTag(vi, 2, protowire.BytesType)
	vi = protowire.AppendBytes(vi, typ)
	return vi
}
