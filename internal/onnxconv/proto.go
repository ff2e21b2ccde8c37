package onnxconv

import (
	"encoding/binary"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// This file holds a minimal writer for the parts of onnx.proto the converter
// emits. Field numbers are those of onnx.proto (ONNX IR version 8). Fields
// are written in a fixed order, so equal models encode to equal bytes.

// ONNX TensorProto.DataType values.
const (
	onnxFloat = 1
	onnxUint8 = 2
	onnxInt32 = 6
	onnxInt64 = 7
	onnxBool  = 9
)

// ONNX AttributeProto.AttributeType values.
const (
	atFloat   = 1
	atInt     = 2
	atString  = 3
	atTensor  = 4
	atFloats  = 6
	atInts    = 7
	atStrings = 8
)

// onnxTensor is a TensorProto with its data as little-endian raw bytes.
type onnxTensor struct {
	name     string
	dataType int
	dims     []int64
	raw      []byte
}

// onnxAttr is one AttributeProto.
type onnxAttr struct {
	name   string
	typ    int
	f      float32
	i      int64
	s      string
	ints   []int64
	floats []float32
	t      *onnxTensor
}

// onnxNode is one NodeProto.
type onnxNode struct {
	name    string
	opType  string
	inputs  []string
	outputs []string
	attrs   []onnxAttr
}

// valueInfo is a ValueInfoProto of a tensor type; a dim of -1 is written
// as the symbolic dimension named in dimParams (or left unnamed).
type valueInfo struct {
	name      string
	elemType  int
	dims      []int64 // nil: shape unknown
	dimParams []string
}

// onnxModel is a ModelProto holding one graph.
type onnxModel struct {
	irVersion       int64
	opset           int64
	producerName    string
	producerVersion string
	docString       string
	graphName       string
	nodes           []onnxNode
	initializers    []*onnxTensor
	inputs          []valueInfo
	outputs         []valueInfo
	metadata        [][2]string
}

func appendString(b []byte, num protowire.Number, s string) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, s)
}

func appendBytes(b []byte, num protowire.Number, v []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}

func appendVarint(b []byte, num protowire.Number, v uint64) []byte {
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

func appendMessage(b []byte, num protowire.Number, msg []byte) []byte {
	return appendBytes(b, num, msg)
}

func (t *onnxTensor) marshal() []byte {
	var b []byte
	if len(t.dims) > 0 {
		// dims: repeated int64, packed.
		var packed []byte
		for _, d := range t.dims {
			packed = protowire.AppendVarint(packed, uint64(d))
		}
		b = appendBytes(b, 1, packed)
	}
	b = appendVarint(b, 2, uint64(t.dataType))
	b = appendString(b, 8, t.name)
	b = appendBytes(b, 9, t.raw)
	return b
}

func (a *onnxAttr) marshal() []byte {
	var b []byte
	b = appendString(b, 1, a.name)
	switch a.typ {
	case atFloat:
		b = protowire.AppendTag(b, 2, protowire.Fixed32Type)
		b = protowire.AppendFixed32(b, math.Float32bits(a.f))
	case atInt:
		b = appendVarint(b, 3, uint64(a.i))
	case atString:
		b = appendString(b, 4, a.s)
	case atTensor:
		b = appendMessage(b, 5, a.t.marshal())
	case atFloats:
		var packed []byte
		for _, f := range a.floats {
			packed = binary.LittleEndian.AppendUint32(packed, math.Float32bits(f))
		}
		b = appendBytes(b, 7, packed)
	case atInts:
		var packed []byte
		for _, v := range a.ints {
			packed = protowire.AppendVarint(packed, uint64(v))
		}
		b = appendBytes(b, 8, packed)
	}
	b = appendVarint(b, 20, uint64(a.typ))
	return b
}

func (n *onnxNode) marshal() []byte {
	var b []byte
	for _, in := range n.inputs {
		b = appendString(b, 1, in)
	}
	for _, out := range n.outputs {
		b = appendString(b, 2, out)
	}
	b = appendString(b, 3, n.name)
	b = appendString(b, 4, n.opType)
	for i := range n.attrs {
		b = appendMessage(b, 5, n.attrs[i].marshal())
	}
	return b
}

func (v *valueInfo) marshal() []byte {
	// TypeProto.Tensor { elem_type = 1; shape = 2 }
	var tt []byte
	tt = appendVarint(tt, 1, uint64(v.elemType))
	if v.dims != nil {
		var shape []byte
		for i, d := range v.dims {
			var dim []byte
			if d >= 0 {
				dim = appendVarint(dim, 1, uint64(d))
			} else if i < len(v.dimParams) && v.dimParams[i] != "" {
				dim = appendString(dim, 2, v.dimParams[i])
			}
			shape = appendMessage(shape, 1, dim)
		}
		tt = appendMessage(tt, 2, shape)
	}
	var typ []byte
	typ = appendMessage(typ, 1, tt) // TypeProto.tensor_type
	var b []byte
	b = appendString(b, 1, v.name)
	b = appendMessage(b, 2, typ)
	return b
}

func (m *onnxModel) marshal() []byte {
	var g []byte
	for i := range m.nodes {
		g = appendMessage(g, 1, m.nodes[i].marshal())
	}
	g = appendString(g, 2, m.graphName)
	for _, t := range m.initializers {
		g = appendMessage(g, 5, t.marshal())
	}
	for i := range m.inputs {
		g = appendMessage(g, 11, m.inputs[i].marshal())
	}
	for i := range m.outputs {
		g = appendMessage(g, 12, m.outputs[i].marshal())
	}

	var b []byte
	b = appendVarint(b, 1, uint64(m.irVersion))
	b = appendString(b, 2, m.producerName)
	b = appendString(b, 3, m.producerVersion)
	if m.docString != "" {
		b = appendString(b, 6, m.docString)
	}
	b = appendMessage(b, 7, g)
	var opset []byte
	opset = appendString(opset, 1, "")
	opset = appendVarint(opset, 2, uint64(m.opset))
	b = appendMessage(b, 8, opset)
	for _, kv := range m.metadata {
		var e []byte
		e = appendString(e, 1, kv[0])
		e = appendString(e, 2, kv[1])
		b = appendMessage(b, 14, e)
	}
	return b
}
