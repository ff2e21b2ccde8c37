package tfjs

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Model is a parsed TF.js graph model: its nodes in file order, its
// signature, and its weights by Const node name.
type Model struct {
	Format      string // "graph-model"
	GeneratedBy string
	ConvertedBy string
	Nodes       []*Node
	// Inputs and Outputs come from the model's signature, in the order the
	// file lists them; both are nil when the file has no signature.
	Inputs  []TensorInfo
	Outputs []TensorInfo
	// Weights holds the decoded, dequantized value of every weight in the
	// manifest, by name (the name of the Const node it belongs to).
	Weights map[string]*Tensor
}

// TensorInfo describes one input or output of a model's signature.
type TensorInfo struct {
	Name  string // a tensor reference such as "input_1:0"
	DType DType
	Shape []int // -1 for an unknown dimension; nil if the rank is unknown
}

// Node is one operation of the graph.
type Node struct {
	Name   string
	Op     string
	Inputs []string // tensor references: "node", "node:1"; control inputs start with '^'
	Attrs  map[string]*AttrValue
}

// AttrValue is the JSON form of a TensorFlow AttrValue. Exactly one of its
// fields is set.
type AttrValue struct {
	S      *string      `json:"s,omitempty"` // base64 in JSON; decoded by Node.AttrString
	I      *jsonInt     `json:"i,omitempty"`
	F      *jsonFloat   `json:"f,omitempty"`
	B      *bool        `json:"b,omitempty"`
	Type   *string      `json:"type,omitempty"`
	Shape  *ShapeProto  `json:"shape,omitempty"`
	Tensor *TensorProto `json:"tensor,omitempty"`
	List   *AttrList    `json:"list,omitempty"`
}

// AttrList is the list form of an AttrValue.
type AttrList struct {
	S     []string     `json:"s,omitempty"`
	I     []jsonInt    `json:"i,omitempty"`
	F     []jsonFloat  `json:"f,omitempty"`
	B     []bool       `json:"b,omitempty"`
	Type  []string     `json:"type,omitempty"`
	Shape []ShapeProto `json:"shape,omitempty"`
}

// ShapeProto is the JSON form of a TensorShapeProto.
type ShapeProto struct {
	Dim []struct {
		Size jsonInt `json:"size"`
	} `json:"dim,omitempty"`
	UnknownRank bool `json:"unknownRank,omitempty"`
}

// Dims returns the shape's dimensions, or nil if its rank is unknown.
func (s *ShapeProto) Dims() []int {
	if s == nil || s.UnknownRank {
		return nil
	}
	d := make([]int, len(s.Dim))
	for i, x := range s.Dim {
		d[i] = int(x.Size)
	}
	return d
}

// TensorProto is the JSON form of a TensorProto, as found in Const nodes.
// Graph models normally keep Const values in the weights; inline values are
// read from the *Val fields.
type TensorProto struct {
	DType       string      `json:"dtype"`
	TensorShape *ShapeProto `json:"tensorShape,omitempty"`
	FloatVal    []jsonFloat `json:"floatVal,omitempty"`
	IntVal      []jsonInt   `json:"intVal,omitempty"`
	Int64Val    []jsonInt   `json:"int64Val,omitempty"`
	BoolVal     []bool      `json:"boolVal,omitempty"`
}

// jsonInt is an int64 that proto3 JSON writes as a string or a number.
type jsonInt int64

func (v *jsonInt) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("bad integer %s", b)
	}
	*v = jsonInt(n)
	return nil
}

// jsonFloat is a float that proto3 JSON writes as a number, or as one of
// the strings "NaN", "Infinity" and "-Infinity".
type jsonFloat float64

func (v *jsonFloat) UnmarshalJSON(b []byte) error {
	switch s := strings.Trim(string(b), `"`); s {
	case "NaN":
		*v = jsonFloat(math.NaN())
	case "Infinity":
		*v = jsonFloat(math.Inf(1))
	case "-Infinity":
		*v = jsonFloat(math.Inf(-1))
	default:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return fmt.Errorf("bad float %s", b)
		}
		*v = jsonFloat(f)
	}
	return nil
}

// modelFile is the layout of model.json.
type modelFile struct {
	Format        string `json:"format"`
	GeneratedBy   string `json:"generatedBy"`
	ConvertedBy   string `json:"convertedBy"`
	ModelTopology *struct {
		Node []struct {
			Name  string                `json:"name"`
			Op    string                `json:"op"`
			Input []string              `json:"input"`
			Attr  map[string]*AttrValue `json:"attr"`
		} `json:"node"`
		Library json.RawMessage `json:"library"`
	} `json:"modelTopology"`
	WeightsManifest     []ManifestGroup `json:"weightsManifest"`
	Signature           json.RawMessage `json:"signature"`
	UserDefinedMetadata *struct {
		Signature json.RawMessage `json:"signature"`
	} `json:"userDefinedMetadata"`
}

// Load reads a graph model from model.json at path, with its weight shards
// from the same directory.
func Load(path string) (*Model, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("tfjs: %w", err)
	}
	dir := filepath.Dir(path)
	return Parse(data, func(name string) ([]byte, error) {
		if filepath.IsAbs(name) || strings.Contains(filepath.ToSlash(name), "..") {
			return nil, fmt.Errorf("weight shard path %q leaves the model directory", name)
		}
		return os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
	})
}

// Parse decodes a graph model from the contents of model.json; readShard
// returns the bytes of a weight shard named by a path in the manifest.
// Parse returns an error if the file is not a graph model, if a shard is
// missing or shorter than its manifest says, or if a weight has a data type
// or quantization this package does not handle.
func Parse(modelJSON []byte, readShard func(path string) ([]byte, error)) (*Model, error) {
	var f modelFile
	if err := json.Unmarshal(modelJSON, &f); err != nil {
		return nil, fmt.Errorf("tfjs: model.json: %w", err)
	}
	if f.Format != "" && f.Format != "graph-model" {
		return nil, fmt.Errorf("tfjs: model.json: format %q is not a graph model", f.Format)
	}
	if f.ModelTopology == nil || len(f.ModelTopology.Node) == 0 {
		return nil, errors.New("tfjs: model.json: no modelTopology.node list (is this a layers model?)")
	}
	if lib := bytes.TrimSpace(f.ModelTopology.Library); len(lib) > 0 && !bytes.Equal(lib, []byte("{}")) && !bytes.Equal(lib, []byte("null")) {
		return nil, errors.New("tfjs: model.json: graphs with function libraries (control flow) are not supported")
	}
	m := &Model{Format: "graph-model", GeneratedBy: f.GeneratedBy, ConvertedBy: f.ConvertedBy}
	seen := make(map[string]bool, len(f.ModelTopology.Node))
	for _, n := range f.ModelTopology.Node {
		if n.Name == "" || n.Op == "" {
			return nil, fmt.Errorf("tfjs: model.json: node %q has no name or op", n.Name)
		}
		if seen[n.Name] {
			return nil, fmt.Errorf("tfjs: model.json: duplicate node name %q", n.Name)
		}
		seen[n.Name] = true
		attrs := n.Attr
		if attrs == nil {
			attrs = map[string]*AttrValue{}
		}
		m.Nodes = append(m.Nodes, &Node{Name: n.Name, Op: n.Op, Inputs: n.Input, Attrs: attrs})
	}
	sig := f.Signature
	if f.UserDefinedMetadata != nil && len(f.UserDefinedMetadata.Signature) > 0 {
		// TF.js prefers the signature in userDefinedMetadata when both exist.
		sig = f.UserDefinedMetadata.Signature
	}
	if len(bytes.TrimSpace(sig)) > 0 && !bytes.Equal(bytes.TrimSpace(sig), []byte("null")) {
		var err error
		if m.Inputs, m.Outputs, err = parseSignature(sig); err != nil {
			return nil, fmt.Errorf("tfjs: model.json: signature: %w", err)
		}
	}
	w, err := readWeights(f.WeightsManifest, readShard)
	if err != nil {
		return nil, err
	}
	m.Weights = w
	return m, nil
}

// parseSignature reads the inputs and outputs maps of a signature, keeping
// the order of their keys, which is the order TF.js reports them in.
func parseSignature(raw json.RawMessage) (inputs, outputs []TensorInfo, err error) {
	var parts struct {
		Inputs  json.RawMessage `json:"inputs"`
		Outputs json.RawMessage `json:"outputs"`
	}
	if err := json.Unmarshal(raw, &parts); err != nil {
		return nil, nil, err
	}
	if inputs, err = orderedTensorInfos(parts.Inputs); err != nil {
		return nil, nil, fmt.Errorf("inputs: %w", err)
	}
	if outputs, err = orderedTensorInfos(parts.Outputs); err != nil {
		return nil, nil, fmt.Errorf("outputs: %w", err)
	}
	return inputs, outputs, nil
}

func orderedTensorInfos(raw json.RawMessage) ([]TensorInfo, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, errors.New("not an object")
	}
	var out []TensorInfo
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return nil, err
		}
		var v struct {
			Name        string      `json:"name"`
			DType       string      `json:"dtype"`
			TensorShape *ShapeProto `json:"tensorShape"`
		}
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		ti := TensorInfo{Name: v.Name}
		if ti.Name == "" {
			ti.Name = key.(string)
		}
		if v.DType != "" {
			if ti.DType, err = ParseTFDType(v.DType); err != nil {
				return nil, fmt.Errorf("%s: %w", ti.Name, err)
			}
		}
		ti.Shape = v.TensorShape.Dims()
		out = append(out, ti)
	}
	return out, nil
}

// NodeName returns the node part of a tensor reference ("a/b:1" → "a/b"),
// without a leading '^' of a control input.
func NodeName(ref string) string {
	name, _ := SplitRef(ref)
	return name
}

// SplitRef splits a tensor reference into its node name and output index.
func SplitRef(ref string) (string, int) {
	ref = strings.TrimPrefix(ref, "^")
	if i := strings.LastIndexByte(ref, ':'); i >= 0 {
		if n, err := strconv.Atoi(ref[i+1:]); err == nil {
			return ref[:i], n
		}
	}
	return ref, 0
}

// Attr helpers. Each returns ok == false when the attribute is absent or of
// another kind.

// AttrString returns a string attribute, base64-decoded.
func (n *Node) AttrString(name string) (string, bool) {
	a := n.Attrs[name]
	if a == nil || a.S == nil {
		return "", false
	}
	b, err := base64.StdEncoding.DecodeString(*a.S)
	if err != nil {
		return "", false
	}
	return string(b), true
}

// AttrInt returns an integer attribute.
func (n *Node) AttrInt(name string) (int64, bool) {
	a := n.Attrs[name]
	if a == nil || a.I == nil {
		return 0, false
	}
	return int64(*a.I), true
}

// AttrFloat returns a float attribute.
func (n *Node) AttrFloat(name string) (float64, bool) {
	a := n.Attrs[name]
	if a == nil || a.F == nil {
		return 0, false
	}
	return float64(*a.F), true
}

// AttrBool returns a boolean attribute.
func (n *Node) AttrBool(name string) (bool, bool) {
	a := n.Attrs[name]
	if a == nil || a.B == nil {
		return false, false
	}
	return *a.B, true
}

// AttrType returns a data type attribute.
func (n *Node) AttrType(name string) (DType, bool, error) {
	a := n.Attrs[name]
	if a == nil || a.Type == nil {
		return "", false, nil
	}
	d, err := ParseTFDType(*a.Type)
	return d, true, err
}

// AttrInts returns a list-of-integers attribute; an empty list is present.
func (n *Node) AttrInts(name string) ([]int64, bool) {
	a := n.Attrs[name]
	if a == nil || a.List == nil {
		return nil, false
	}
	out := make([]int64, len(a.List.I))
	for i, v := range a.List.I {
		out[i] = int64(v)
	}
	return out, true
}

// AttrStrings returns a list-of-strings attribute, base64-decoded.
func (n *Node) AttrStrings(name string) ([]string, bool) {
	a := n.Attrs[name]
	if a == nil || a.List == nil {
		return nil, false
	}
	out := make([]string, len(a.List.S))
	for i, v := range a.List.S {
		b, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			return nil, false
		}
		out[i] = string(b)
	}
	return out, true
}

// AttrShape returns a shape attribute's dimensions (nil for unknown rank).
func (n *Node) AttrShape(name string) ([]int, bool) {
	a := n.Attrs[name]
	if a == nil || a.Shape == nil {
		return nil, false
	}
	return a.Shape.Dims(), true
}

// AttrTensor returns a tensor attribute.
func (n *Node) AttrTensor(name string) (*TensorProto, bool) {
	a := n.Attrs[name]
	if a == nil || a.Tensor == nil {
		return nil, false
	}
	return a.Tensor, true
}
