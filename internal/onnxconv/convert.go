package onnxconv

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"

	"github.com/clavis-dev/clavis/internal/tfjs"
)

// Opset is the ONNX operator set version of the models this package writes.
const Opset = 18

// irVersion is the ONNX IR version matching Opset.
const irVersion = 8

// Producer is the producer_name written into converted models.
const Producer = "clavis-onnxconv"

// ProducerVersion is bumped whenever a change alters converted models' bytes.
const ProducerVersion = "2"

// Convert reads the TF.js graph model whose model.json is at modelJSONPath
// (with its weight shards beside it) and writes the equivalent ONNX model to
// w. See ConvertModel for what the ONNX model looks like and for outputs.
func Convert(modelJSONPath string, w io.Writer, outputs ...string) error {
	m, err := tfjs.Load(modelJSONPath)
	if err != nil {
		return err
	}
	b, err := ConvertModel(m, outputs...)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// ConvertModel translates a parsed graph model into an ONNX ModelProto
// (opset Opset) and returns its encoding. The ONNX graph has the model's
// signature: inputs named after their Placeholder nodes ("input_1" for
// "input_1:0"), outputs named after the nodes producing them, both in
// signature order and in TF.js's own layout (NHWC images stay NHWC; convolutions
// and pools are wrapped in transposes that ONNX Runtime folds away).
//
// Outputs, when given, replace the signature's outputs: each is a tensor
// reference ("node" or "node:1") to any tensor of the graph, such as the
// pooled features a classifier's head reads, and the ONNX graph outputs
// those tensors, in that order, named like the references (without ":0"),
// and holds only the nodes they depend on.
// Constant subgraphs are evaluated at conversion time. The result depends only
// on the model: converting the same model twice yields the same bytes.
//
// ConvertModel returns an error naming the node and op for an op it does not
// translate, and for an op whose parameters it requires to be constant but
// are not.
func ConvertModel(m *tfjs.Model, outputs ...string) ([]byte, error) {
	c := &converter{
		m:       m,
		outputs: outputs,
		byName:  make(map[string]*tfjs.Node, len(m.Nodes)),
		consts:  make(map[string]*tfjs.Tensor),
		values:  make(map[string]string),
		dtypes:  make(map[string]tfjs.DType),
		inits:   make(map[string]*onnxTensor),
		names:   make(map[string]bool),
	}
	for _, n := range m.Nodes {
		c.byName[n.Name] = n
	}
	c.consumers = make(map[string][]*tfjs.Node)
	for _, n := range m.Nodes {
		for _, r := range dataInputs(n) {
			name := tfjs.NodeName(r)
			c.consumers[name] = append(c.consumers[name], n)
		}
	}
	if err := c.run(); err != nil {
		return nil, err
	}
	return c.out.marshal(), nil
}

// converter holds the state of one conversion.
type converter struct {
	m       *tfjs.Model
	outputs []string // the tensors to output instead of the signature's, if any
	byName  map[string]*tfjs.Node
	// consumers lists, by node name, the nodes reading its outputs.
	consumers map[string][]*tfjs.Node
	consts    map[string]*tfjs.Tensor // tensor ref → value, for constant tensors
	values    map[string]string       // tensor ref → ONNX value name, for computed tensors
	dtypes    map[string]tfjs.DType   // ONNX value name → element type
	inits     map[string]*onnxTensor  // initializers by name
	names     map[string]bool         // ONNX value names in use
	out       onnxModel
}

// refKey normalises a tensor reference: "n:0" and "n" are the same tensor.
func refKey(name string, idx int) string {
	if idx == 0 {
		return name
	}
	return fmt.Sprintf("%s:%d", name, idx)
}

func normRef(ref string) string { return refKey(tfjs.SplitRef(ref)) }

// dataInputs returns a node's inputs without control dependencies.
func dataInputs(n *tfjs.Node) []string {
	var in []string
	for _, r := range n.Inputs {
		if !strings.HasPrefix(r, "^") {
			in = append(in, r)
		}
	}
	return in
}

func (c *converter) run() error {
	outRefs, err := c.outputRefs()
	if err != nil {
		return err
	}
	order, err := c.topoOrder(outRefs)
	if err != nil {
		return err
	}
	var placeholders []*tfjs.Node
	for _, n := range order {
		switch n.Op {
		case "Const":
			t, err := c.m.ConstValue(n)
			if err != nil {
				return err
			}
			c.consts[n.Name] = normalizeInts(t)
		case "Placeholder", "PlaceholderWithDefault":
			if n.Op == "PlaceholderWithDefault" {
				return fmt.Errorf("onnxconv: node %q: op PlaceholderWithDefault is not supported", n.Name)
			}
			placeholders = append(placeholders, n)
			dt, _, err := n.AttrType("dtype")
			if err != nil {
				return fmt.Errorf("onnxconv: node %q: %w", n.Name, err)
			}
			c.setValue(n, 0, n.Name, normDType(dt))
		default:
			if err := c.node(n); err != nil {
				return err
			}
		}
	}
	if err := c.graphInputs(placeholders); err != nil {
		return err
	}
	if err := c.graphOutputs(outRefs); err != nil {
		return err
	}
	c.out.irVersion = irVersion
	c.out.opset = Opset
	c.out.producerName = Producer
	c.out.producerVersion = ProducerVersion
	c.out.graphName = "tfjs-graph-model"
	c.out.docString = fmt.Sprintf("Converted from a TF.js graph model (generatedBy %q, convertedBy %q).", c.m.GeneratedBy, c.m.ConvertedBy)
	return nil
}

// node converts one non-Const, non-Placeholder node: folded when all its
// inputs are constant and the op can be evaluated, translated otherwise.
func (c *converter) node(n *tfjs.Node) error {
	ins := dataInputs(n)
	allConst := true
	for _, r := range ins {
		if _, ok := c.consts[normRef(r)]; !ok {
			allConst = false
			break
		}
	}
	if f, ok := folders[n.Op]; ok && allConst && len(ins) > 0 {
		args := make([]*tfjs.Tensor, len(ins))
		for i, r := range ins {
			args[i] = c.consts[normRef(r)]
		}
		outs, err := f(n, args)
		if err != nil {
			return fmt.Errorf("onnxconv: node %q (%s): folding: %w", n.Name, n.Op, err)
		}
		for i, t := range outs {
			c.consts[refKey(n.Name, i)] = normalizeInts(t)
		}
		return nil
	}
	h, ok := handlers[n.Op]
	if !ok {
		if _, foldOnly := folders[n.Op]; foldOnly {
			return fmt.Errorf("onnxconv: node %q: op %s is supported only with constant inputs", n.Name, n.Op)
		}
		return fmt.Errorf("onnxconv: node %q: unsupported op %s", n.Name, n.Op)
	}
	if err := h(c, n); err != nil {
		return fmt.Errorf("onnxconv: node %q (%s): %w", n.Name, n.Op, err)
	}
	return nil
}

// outputRefs returns the tensors the ONNX graph outputs: those the caller
// named, else the signature's outputs, else every node output nobody
// consumes, in file order.
func (c *converter) outputRefs() ([]string, error) {
	if len(c.outputs) > 0 {
		refs := make([]string, len(c.outputs))
		seen := make(map[string]bool, len(c.outputs))
		for i, o := range c.outputs {
			refs[i] = normRef(o)
			if _, ok := c.byName[tfjs.NodeName(o)]; !ok || strings.HasPrefix(o, "^") {
				return nil, fmt.Errorf("onnxconv: output %q names no node of the graph", o)
			}
			if seen[refs[i]] {
				return nil, fmt.Errorf("onnxconv: output %q is named twice", o)
			}
			seen[refs[i]] = true
		}
		return refs, nil
	}
	if len(c.m.Outputs) > 0 {
		refs := make([]string, len(c.m.Outputs))
		for i, o := range c.m.Outputs {
			refs[i] = normRef(o.Name)
			if _, ok := c.byName[tfjs.NodeName(o.Name)]; !ok {
				return nil, fmt.Errorf("onnxconv: signature output %q names no node", o.Name)
			}
		}
		return refs, nil
	}
	consumed := make(map[string]bool)
	for _, n := range c.m.Nodes {
		for _, r := range n.Inputs {
			consumed[tfjs.NodeName(r)] = true
		}
	}
	var refs []string
	for _, n := range c.m.Nodes {
		if !consumed[n.Name] && n.Op != "Const" && n.Op != "NoOp" {
			refs = append(refs, n.Name)
		}
	}
	if len(refs) == 0 {
		return nil, errors.New("onnxconv: the graph has no outputs")
	}
	return refs, nil
}

// topoOrder lists the nodes the outputs depend on, each after its inputs,
// in a deterministic depth-first order.
func (c *converter) topoOrder(outRefs []string) ([]*tfjs.Node, error) {
	const (
		visiting = 1
		done     = 2
	)
	state := make(map[string]int)
	var order []*tfjs.Node
	var visit func(name string, from string) error
	visit = func(name, from string) error {
		switch state[name] {
		case done:
			return nil
		case visiting:
			return fmt.Errorf("onnxconv: the graph has a cycle through node %q", name)
		}
		n, ok := c.byName[name]
		if !ok {
			return fmt.Errorf("onnxconv: node %q reads from missing node %q", from, name)
		}
		state[name] = visiting
		for _, r := range dataInputs(n) {
			if err := visit(tfjs.NodeName(r), name); err != nil {
				return err
			}
		}
		state[name] = done
		order = append(order, n)
		return nil
	}
	for _, r := range outRefs {
		if err := visit(tfjs.NodeName(r), "(output)"); err != nil {
			return nil, err
		}
	}
	return order, nil
}

func (c *converter) graphInputs(placeholders []*tfjs.Node) error {
	sigShape := make(map[string][]int)
	rank := make(map[string]int)
	for i, in := range c.m.Inputs {
		sigShape[tfjs.NodeName(in.Name)] = in.Shape
		rank[tfjs.NodeName(in.Name)] = i
	}
	// Signature order first, then file order for any other placeholder.
	sort.SliceStable(placeholders, func(i, j int) bool {
		ri, oki := rank[placeholders[i].Name]
		rj, okj := rank[placeholders[j].Name]
		if oki != okj {
			return oki
		}
		return oki && ri < rj
	})
	for _, n := range placeholders {
		shape, ok := sigShape[n.Name]
		if !ok || shape == nil {
			shape, _ = n.AttrShape("shape")
		}
		vi := valueInfo{name: n.Name, elemType: onnxType(c.dtypes[n.Name])}
		if shape != nil {
			vi.dims, vi.dimParams = dimsOf(n.Name, shape)
		}
		c.out.inputs = append(c.out.inputs, vi)
	}
	return nil
}

// dimsOf turns a TF shape into ONNX dims, naming unknown dimensions.
func dimsOf(name string, shape []int) ([]int64, []string) {
	dims := make([]int64, len(shape))
	params := make([]string, len(shape))
	for i, d := range shape {
		dims[i] = int64(d)
		if d < 0 {
			dims[i] = -1
			if i == 0 {
				params[i] = "batch"
			} else {
				params[i] = fmt.Sprintf("%s_dim%d", name, i)
			}
		}
	}
	return dims, params
}

func (c *converter) graphOutputs(outRefs []string) error {
	sig := make(map[string]tfjs.TensorInfo)
	for _, o := range c.m.Outputs {
		sig[normRef(o.Name)] = o
	}
	for _, ref := range outRefs {
		name := ref // the node name for output 0, "node:i" otherwise
		v, ok := c.values[ref]
		var dt tfjs.DType
		if !ok {
			t, isConst := c.consts[ref]
			if !isConst {
				return fmt.Errorf("onnxconv: output %q was not produced", ref)
			}
			init := c.initializer(ref+"/onnx/value", t)
			c.emit("Identity", name, []string{init}, []string{name})
			dt = t.DType
		} else {
			dt = c.dtypes[v]
			if v != name {
				c.emit("Identity", name, []string{v}, []string{name})
			}
		}
		vi := valueInfo{name: name, elemType: onnxType(dt)}
		if o, ok := sig[ref]; ok && o.Shape != nil {
			vi.dims, vi.dimParams = dimsOf(name, o.Shape)
		}
		c.out.outputs = append(c.out.outputs, vi)
	}
	return nil
}

// normDType maps TF types to the types the ONNX graph uses: TF.js computes
// every integer type in int32, so int64 tensors become int32 too.
func normDType(d tfjs.DType) tfjs.DType {
	if d == tfjs.Int64 || d == "" {
		if d == "" {
			return tfjs.Float32
		}
		return tfjs.Int32
	}
	return d
}

func normalizeInts(t *tfjs.Tensor) *tfjs.Tensor {
	if t.DType == tfjs.Int64 {
		u := *t
		u.DType = tfjs.Int32
		return &u
	}
	return t
}

func onnxType(d tfjs.DType) int {
	switch d {
	case tfjs.Int32:
		return onnxInt32
	case tfjs.Int64:
		return onnxInt64
	case tfjs.Bool:
		return onnxBool
	}
	return onnxFloat
}

// setValue records that TF tensor node:idx is ONNX value v of type dt.
func (c *converter) setValue(n *tfjs.Node, idx int, v string, dt tfjs.DType) {
	c.values[refKey(n.Name, idx)] = v
	c.dtypes[v] = dt
	c.names[v] = true
}

// outName is the ONNX value name of TF output idx of n.
func outName(n *tfjs.Node, idx int) string { return refKey(n.Name, idx) }

// tmp returns a fresh ONNX value name for an intermediate of node n.
func (c *converter) tmp(n *tfjs.Node, suffix string) string {
	base := n.Name + "/onnx/" + suffix
	name := base
	for i := 1; c.names[name] || c.inits[name] != nil; i++ {
		name = fmt.Sprintf("%s_%d", base, i)
	}
	c.names[name] = true
	return name
}

// emit appends an ONNX node.
func (c *converter) emit(op, name string, inputs, outputs []string, attrs ...onnxAttr) {
	c.out.nodes = append(c.out.nodes, onnxNode{name: name, opType: op, inputs: inputs, outputs: outputs, attrs: attrs})
}

// input returns the ONNX value for data input i of n, adding an initializer
// if the input is a constant.
func (c *converter) input(n *tfjs.Node, i int) (string, tfjs.DType, error) {
	ins := dataInputs(n)
	if i >= len(ins) {
		return "", "", fmt.Errorf("has %d inputs, needs at least %d", len(ins), i+1)
	}
	ref := normRef(ins[i])
	if v, ok := c.values[ref]; ok {
		return v, c.dtypes[v], nil
	}
	if t, ok := c.consts[ref]; ok {
		return c.initializer(ref, t), t.DType, nil
	}
	return "", "", fmt.Errorf("input %q was not produced", ins[i])
}

// constInput returns data input i of n, which must be constant.
func (c *converter) constInput(n *tfjs.Node, i int) (*tfjs.Tensor, error) {
	ins := dataInputs(n)
	if i >= len(ins) {
		return nil, fmt.Errorf("has %d inputs, needs at least %d", len(ins), i+1)
	}
	t, ok := c.consts[normRef(ins[i])]
	if !ok {
		return nil, fmt.Errorf("input %d (%q) must be a constant", i, ins[i])
	}
	return t, nil
}

// initializer adds (once) an initializer named name holding t and returns
// the name.
func (c *converter) initializer(name string, t *tfjs.Tensor) string {
	if _, ok := c.inits[name]; ok {
		return name
	}
	ot := tensorProto(name, t)
	c.inits[name] = ot
	c.names[name] = true
	c.out.initializers = append(c.out.initializers, ot)
	return name
}

// int64Init adds an int64 initializer of the given shape (nil for 1-D).
func (c *converter) int64Init(name string, vals []int64) string {
	if _, ok := c.inits[name]; ok {
		return name
	}
	raw := make([]byte, 0, 8*len(vals))
	for _, v := range vals {
		raw = binary.LittleEndian.AppendUint64(raw, uint64(v))
	}
	ot := &onnxTensor{name: name, dataType: onnxInt64, dims: []int64{int64(len(vals))}, raw: raw}
	c.inits[name] = ot
	c.names[name] = true
	c.out.initializers = append(c.out.initializers, ot)
	return name
}

// scalarF32 returns a shared scalar float initializer of value v.
func (c *converter) scalarF32(v float32) string {
	name := fmt.Sprintf("onnxconv/f32/%08x", math.Float32bits(v))
	return c.initializer(name, &tfjs.Tensor{DType: tfjs.Float32, Shape: []int{}, F32: []float32{v}})
}

// tensorProto encodes t as a TensorProto with raw little-endian data.
func tensorProto(name string, t *tfjs.Tensor) *onnxTensor {
	dims := make([]int64, len(t.Shape))
	for i, d := range t.Shape {
		dims[i] = int64(d)
	}
	ot := &onnxTensor{name: name, dims: dims, dataType: onnxType(t.DType)}
	switch t.DType {
	case tfjs.Float32:
		ot.raw = make([]byte, 0, 4*len(t.F32))
		for _, v := range t.F32 {
			ot.raw = binary.LittleEndian.AppendUint32(ot.raw, math.Float32bits(v))
		}
	case tfjs.Int32:
		ot.raw = make([]byte, 0, 4*len(t.I64))
		for _, v := range t.I64 {
			ot.raw = binary.LittleEndian.AppendUint32(ot.raw, uint32(int32(v)))
		}
	case tfjs.Int64:
		ot.raw = make([]byte, 0, 8*len(t.I64))
		for _, v := range t.I64 {
			ot.raw = binary.LittleEndian.AppendUint64(ot.raw, uint64(v))
		}
	case tfjs.Bool:
		ot.raw = make([]byte, len(t.I64))
		for i, v := range t.I64 {
			if v != 0 {
				ot.raw[i] = 1
			}
		}
	}
	return ot
}

// Attribute constructors.

func attrI(name string, v int64) onnxAttr { return onnxAttr{name: name, typ: atInt, i: v} }
func attrF(name string, v float32) onnxAttr {
	return onnxAttr{name: name, typ: atFloat, f: v}
}
func attrS(name, v string) onnxAttr { return onnxAttr{name: name, typ: atString, s: v} }
func attrInts(name string, v []int64) onnxAttr {
	return onnxAttr{name: name, typ: atInts, ints: v}
}
