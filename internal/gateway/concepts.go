package gateway

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// conceptsJSON is marshaler with Clarifai's reading of concepts in request
// bodies: a concept's value written as a JSON boolean, as older clients
// send it, is 1 or 0, and a concept without a value is present (1), the
// default Clarifai's protos declare for it (cl_default_float). Concepts are
// the fields of type clarifai.api.Concept of the request, found through its
// descriptor, so that metadata that happens to hold "concepts" keeps its
// own values.
type conceptsJSON struct{ *runtime.JSONPb }

// conceptType is the message whose JSON values are rewritten.
const conceptType protoreflect.FullName = "clarifai.api.Concept"

// NewDecoder reads a whole body and decodes it with Unmarshal.
func (m conceptsJSON) NewDecoder(r io.Reader) runtime.Decoder {
	return runtime.DecoderFunc(func(v any) error {
		body, err := io.ReadAll(r)
		if err != nil {
			return err
		}
		return m.Unmarshal(body, v)
	})
}

// Unmarshal decodes data after giving its concepts their values.
func (m conceptsJSON) Unmarshal(data []byte, v any) error {
	if msg, ok := v.(proto.Message); ok {
		data = conceptValues(data, msg.ProtoReflect().Descriptor())
	}
	return m.JSONPb.Unmarshal(data, v)
}

// conceptValues rewrites the values of the concepts in a JSON document of a
// message md, or returns it as it is when it has none or is not JSON (for
// the decoder to refuse).
func conceptValues(data []byte, md protoreflect.MessageDescriptor) []byte {
	if !bytes.Contains(data, []byte(`"concepts"`)) {
		return data
	}
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var doc any
	if err := d.Decode(&doc); err != nil || !fixConcepts(doc, md) {
		return data
	}
	out, err := json.Marshal(doc)
	if err != nil {
		return data
	}
	return out
}

// fixConcepts gives the concepts in v, the JSON of a message md, their
// values, and reports whether it changed any.
func fixConcepts(v any, md protoreflect.MessageDescriptor) bool {
	obj, ok := v.(map[string]any)
	if !ok {
		return false
	}
	if md.FullName() == conceptType {
		return conceptValue(obj)
	}
	changed := false
	for k, sub := range obj {
		fd := md.Fields().ByJSONName(k)
		if fd == nil {
			fd = md.Fields().ByName(protoreflect.Name(k))
		}
		if fd == nil || fd.Message() == nil || fd.IsMap() || strings.HasPrefix(string(fd.Message().FullName()), "google.protobuf.") {
			continue
		}
		if list, ok := sub.([]any); ok && fd.IsList() {
			for _, e := range list {
				changed = fixConcepts(e, fd.Message()) || changed
			}
			continue
		}
		changed = fixConcepts(sub, fd.Message()) || changed
	}
	return changed
}

func conceptValue(c map[string]any) bool {
	switch v := c["value"].(type) {
	case nil:
		c["value"] = json.Number("1")
	case bool:
		c["value"] = json.Number("0")
		if v {
			c["value"] = json.Number("1")
		}
	default:
		return false
	}
	return true
}
