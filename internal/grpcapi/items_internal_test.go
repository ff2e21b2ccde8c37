package grpcapi

import (
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
)

// TestHoldsLists checks the walk's shortcut: a type holds lists when any
// field at any depth is one, through singular messages and cycles alike.
func TestHoldsLists(t *testing.T) {
	for _, c := range []struct {
		m    proto.Message
		want bool
	}{
		{&pb.MyScopesUserRequest{}, false},
		{&pb.GetAppRequest{}, true},     // additional_fields
		{&pb.PostInputsRequest{}, true}, // inputs
		{&pb.UserAppIDSet{}, false},
		// Only through Model.output_info.output_config.select_concepts and the like.
		{&pb.PostModelOutputsRequest{}, true},
		{&structpb.Value{}, true}, // a cycle: Value → Struct → Value
	} {
		if got := holdsLists(c.m.ProtoReflect().Descriptor()); got != c.want {
			t.Errorf("holdsLists(%s) = %v, want %v", proto.MessageName(c.m), got, c.want)
		}
	}
}
