package gateway

import (
	"bytes"
	"testing"

	"google.golang.org/protobuf/proto"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
)

// fuzzRequests are the request types whose REST bodies FuzzRESTJSON
// decodes, chosen by the fuzzer's first argument.
var fuzzRequests = []func() proto.Message{
	func() proto.Message { return &pb.PostModelOutputsRequest{} },
	func() proto.Message { return &pb.PostInputsRequest{} },
	func() proto.Message { return &pb.PatchInputsRequest{} },
	func() proto.Message { return &pb.PostAppsRequest{} },
	func() proto.Message { return &pb.PatchAppsRequest{} },
	func() proto.Message { return &pb.PostKeysRequest{} },
	func() proto.Message { return &pb.PostConceptsRequest{} },
	func() proto.Message { return &pb.PostAnnotationsRequest{} },
	func() proto.Message { return &pb.PostCollaboratorsRequest{} },
	func() proto.Message { return &pb.DeleteInputsRequest{} },
}

// FuzzRESTJSON decodes REST bodies into the main request types with the
// gateway's own marshaler (concept values included): it must never panic,
// and what it accepts must encode and decode again to the same message.
func FuzzRESTJSON(f *testing.F) {
	m := conceptsJSON{marshaler}
	f.Fuzz(func(t *testing.T, kind uint8, body []byte) {
		req := fuzzRequests[int(kind)%len(fuzzRequests)]()
		if err := m.Unmarshal(body, req); err != nil {
			return
		}
		once, err := m.Marshal(req)
		if err != nil {
			t.Fatalf("Marshal of a decoded %T: %v", req, err)
		}
		again := fuzzRequests[int(kind)%len(fuzzRequests)]()
		if err := m.Unmarshal(once, again); err != nil {
			t.Fatalf("%T: its own JSON %s does not decode: %v", req, once, err)
		}
		twice, err := m.Marshal(again)
		if err != nil || !bytes.Equal(once, twice) {
			t.Fatalf("%T: JSON %s decodes and encodes to %s (%v)", req, once, twice, err)
		}
	})
}
