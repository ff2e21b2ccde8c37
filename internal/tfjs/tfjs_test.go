package tfjs_test

import (
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/clavis-dev/clavis/internal/tfjs"
)

func TestFloat16ToFloat32(t *testing.T) {
	tests := []struct {
		h    uint16
		want float32
	}{
		{0x3c00, 1},
		{0xc000, -2},
		{0x3555, 0.333251953125},
		{0x7bff, 65504},                 // largest normal
		{0x0400, 1.0 / (1 << 14)},       // smallest normal
		{0x0001, 1.0 / (1 << 24)},       // smallest subnormal
		{0x83ff, -1023.0 / (1 << 24)},   // negative subnormal
		{0x7c00, float32(math.Inf(1))},  // +Inf
		{0xfc00, float32(math.Inf(-1))}, // -Inf
		{0x0000, 0},
	}
	for _, tt := range tests {
		if got := tfjs.Float16ToFloat32(tt.h); got != tt.want {
			t.Errorf("Float16ToFloat32(%#04x) = %g, want %g", tt.h, got, tt.want)
		}
	}
	if got := tfjs.Float16ToFloat32(0x8000); got != 0 || !math.Signbit(float64(got)) {
		t.Errorf("Float16ToFloat32(0x8000) = %g, want -0", got)
	}
	if got := tfjs.Float16ToFloat32(0x7e00); !math.IsNaN(float64(got)) {
		t.Errorf("Float16ToFloat32(0x7e00) = %g, want NaN", got)
	}
}

// quantModel is a graph model whose weights use every storage form: plain
// float32 and int32, uint8 and uint16 with scale/min, float16, and a
// uint8-quantized int32. The signature lists outputs out of name order.
const quantModel = `{
 "format": "graph-model",
 "generatedBy": "test",
 "convertedBy": "hand",
 "signature": {
  "inputs": {"x:0": {"name": "x:0", "dtype": "DT_FLOAT", "tensorShape": {"dim": [{"size": "-1"}, {"size": "2"}]}}},
  "outputs": {"b:0": {"name": "b:0", "dtype": "DT_FLOAT"}, "a:0": {"name": "a:0", "dtype": "DT_FLOAT"}}
 },
 "modelTopology": {"node": [
  {"name": "x", "op": "Placeholder", "attr": {"dtype": {"type": "DT_FLOAT"}, "shape": {"shape": {"dim": [{"size": "-1"}, {"size": "2"}]}}}},
  {"name": "f32", "op": "Const", "attr": {"dtype": {"type": "DT_FLOAT"}}},
  {"name": "i32", "op": "Const", "attr": {"dtype": {"type": "DT_INT64"}}},
  {"name": "u8", "op": "Const", "attr": {"dtype": {"type": "DT_FLOAT"}}},
  {"name": "u16", "op": "Const", "attr": {"dtype": {"type": "DT_FLOAT"}}},
  {"name": "f16", "op": "Const", "attr": {"dtype": {"type": "DT_FLOAT"}}},
  {"name": "qi", "op": "Const", "attr": {"dtype": {"type": "DT_INT32"}}},
  {"name": "empty", "op": "Const", "attr": {"dtype": {"type": "DT_INT32"}}},
  {"name": "inline", "op": "Const", "attr": {"dtype": {"type": "DT_FLOAT"}, "value": {"tensor": {"dtype": "DT_FLOAT", "tensorShape": {"dim": [{"size": "3"}]}, "floatVal": [0.5]}}}},
  {"name": "a", "op": "AddV2", "input": ["x", "f32"], "attr": {"T": {"type": "DT_FLOAT"}}},
  {"name": "b", "op": "Split", "input": ["^a", "u8:1"], "attr": {"num_split": {"i": "2"}, "padding": {"s": "U0FNRQ=="}, "alpha": {"f": "NaN"}}}
 ]},
 "weightsManifest": [
  {"paths": ["group1-shard1of2.bin", "group1-shard2of2.bin"], "weights": [
   {"name": "f32", "shape": [2], "dtype": "float32"},
   {"name": "i32", "shape": [2], "dtype": "int32"},
   {"name": "u8", "shape": [3], "dtype": "float32", "quantization": {"dtype": "uint8", "scale": 0.1, "min": -1}}
  ]},
  {"paths": ["group2-shard1of1.bin"], "weights": [
   {"name": "u16", "shape": [1], "dtype": "float32", "quantization": {"dtype": "uint16", "scale": 0.5, "min": 2}},
   {"name": "f16", "shape": [2, 1], "dtype": "float32", "quantization": {"dtype": "float16", "original_dtype": "float32"}},
   {"name": "qi", "shape": [2], "dtype": "int32", "quantization": {"dtype": "uint8", "scale": 0.5, "min": -3}},
   {"name": "empty", "shape": [0, 1], "dtype": "int32"}
  ]}
 ]
}`

func writeModel(t *testing.T, modelJSON string, shards map[string][]byte) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "model.json"), []byte(modelJSON), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, b := range shards {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "model.json")
}

func quantShards() map[string][]byte {
	var g1 []byte
	g1 = binary.LittleEndian.AppendUint32(g1, math.Float32bits(1.5))
	g1 = binary.LittleEndian.AppendUint32(g1, math.Float32bits(-2))
	g1 = binary.LittleEndian.AppendUint32(g1, 7)
	g1 = binary.LittleEndian.AppendUint32(g1, 0xffffffff) // int32 -1
	g1 = append(g1, 0, 10, 255)                           // uint8
	var g2 []byte
	g2 = binary.LittleEndian.AppendUint16(g2, 3) // uint16
	g2 = binary.LittleEndian.AppendUint16(g2, 0x3c00)
	g2 = binary.LittleEndian.AppendUint16(g2, 0xc000)
	g2 = append(g2, 1, 4) // uint8 → int32 round(v*0.5-3)
	// The first group is split across two shards mid-weight.
	return map[string][]byte{
		"group1-shard1of2.bin": g1[:6],
		"group1-shard2of2.bin": g1[6:],
		"group2-shard1of1.bin": g2,
	}
}

func TestLoad(t *testing.T) {
	m, err := tfjs.Load(writeModel(t, quantModel, quantShards()))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]*tfjs.Tensor{
		"f32":   {DType: tfjs.Float32, Shape: []int{2}, F32: []float32{1.5, -2}},
		"i32":   {DType: tfjs.Int32, Shape: []int{2}, I64: []int64{7, -1}},
		"u8":    {DType: tfjs.Float32, Shape: []int{3}, F32: []float32{-1, float32(10*0.1 - 1), float32(255*0.1 - 1)}},
		"u16":   {DType: tfjs.Float32, Shape: []int{1}, F32: []float32{3.5}},
		"f16":   {DType: tfjs.Float32, Shape: []int{2, 1}, F32: []float32{1, -2}},
		"qi":    {DType: tfjs.Int32, Shape: []int{2}, I64: []int64{-2, -1}}, // round(-2.5) is -2 (ties to even), round(-1) = -1
		"empty": {DType: tfjs.Int32, Shape: []int{0, 1}, I64: []int64{}},
	}
	if !reflect.DeepEqual(m.Weights, want) {
		for k, w := range want {
			if !reflect.DeepEqual(m.Weights[k], w) {
				t.Errorf("weight %s = %+v, want %+v", k, m.Weights[k], w)
			}
		}
		t.FailNow()
	}
	if got := []string{m.Outputs[0].Name, m.Outputs[1].Name}; !reflect.DeepEqual(got, []string{"b:0", "a:0"}) {
		t.Errorf("outputs = %v, want the signature's order [b:0 a:0]", got)
	}
	if len(m.Inputs) != 1 || !reflect.DeepEqual(m.Inputs[0].Shape, []int{-1, 2}) || m.Inputs[0].DType != tfjs.Float32 {
		t.Errorf("inputs = %+v", m.Inputs)
	}

	nodes := map[string]*tfjs.Node{}
	for _, n := range m.Nodes {
		nodes[n.Name] = n
	}
	// A Const declared int64 keeps its declared type over the weight's int32.
	if v, err := m.ConstValue(nodes["i32"]); err != nil || v.DType != tfjs.Int64 || !reflect.DeepEqual(v.I64, []int64{7, -1}) {
		t.Errorf("ConstValue(i32) = %+v, %v", v, err)
	}
	// Inline values repeat the last one to fill the shape, as TensorFlow does.
	if v, err := m.ConstValue(nodes["inline"]); err != nil || !reflect.DeepEqual(v.F32, []float32{0.5, 0.5, 0.5}) {
		t.Errorf("ConstValue(inline) = %+v, %v", v, err)
	}
	b := nodes["b"]
	if s, ok := b.AttrString("padding"); !ok || s != "SAME" {
		t.Errorf("AttrString(padding) = %q, %v", s, ok)
	}
	if n, ok := b.AttrInt("num_split"); !ok || n != 2 {
		t.Errorf("AttrInt(num_split) = %d, %v", n, ok)
	}
	if f, ok := b.AttrFloat("alpha"); !ok || !math.IsNaN(f) {
		t.Errorf("AttrFloat(alpha) = %g, %v", f, ok)
	}
	if name, idx := tfjs.SplitRef(b.Inputs[1]); name != "u8" || idx != 1 {
		t.Errorf("SplitRef(%q) = %q, %d", b.Inputs[1], name, idx)
	}
	if got := tfjs.NodeName(b.Inputs[0]); got != "a" {
		t.Errorf("NodeName(%q) = %q, want a", b.Inputs[0], got)
	}
}

func TestLoadErrors(t *testing.T) {
	short := quantShards()
	short["group2-shard1of1.bin"] = short["group2-shard1of1.bin"][:5]
	missing := quantShards()
	delete(missing, "group1-shard2of2.bin")
	tests := []struct {
		name   string
		model  string
		shards map[string][]byte
		want   string
	}{
		{"ShortShard", quantModel, short, `weight "f16": needs 4 bytes`},
		{"MissingShard", quantModel, missing, "group1-shard2of2.bin"},
		{"LayersModel", `{"format": "layers-model", "modelTopology": {"node": []}}`, nil, "not a graph model"},
		{"NoNodes", `{"format": "graph-model", "modelTopology": {}}`, nil, "no modelTopology.node"},
		{"EscapingShard", `{"modelTopology": {"node": [{"name": "c", "op": "Const"}]}, "weightsManifest": [{"paths": ["../x.bin"], "weights": []}]}`, nil, "leaves the model directory"},
		{"BadQuantization", strings.Replace(quantModel, `"dtype": "uint16"`, `"dtype": "int4"`, 1), quantShards(), `unsupported quantization dtype "int4"`},
		{"DuplicateNode", `{"modelTopology": {"node": [{"name": "c", "op": "Const"}, {"name": "c", "op": "Const"}]}}`, nil, `duplicate node name "c"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tfjs.Load(writeModel(t, tt.model, tt.shards))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Load error = %v, want one containing %q", err, tt.want)
			}
		})
	}
	if _, err := tfjs.Load(filepath.Join(t.TempDir(), "none.json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load(missing file) error = %v, want ErrNotExist", err)
	}
}
