package grpcapi_test

import (
	"fmt"
	"strings"
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/clavis-dev/clavis/internal/grpcapi"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"
)

// TestItemLimitsCoverEveryField walks every request type of the services
// and checks that each repeated or map field it can reach, at any depth,
// has its own entry in the item limits, and that no entry is stale.
func TestItemLimitsCoverEveryField(t *testing.T) {
	limits := grpcapi.ItemLimits()
	reached := map[string]bool{}
	seen := map[protoreflect.FullName]bool{}
	var walk func(md protoreflect.MessageDescriptor)
	walk = func(md protoreflect.MessageDescriptor) {
		if seen[md.FullName()] {
			return
		}
		seen[md.FullName()] = true
		for i := 0; i < md.Fields().Len(); i++ {
			f := md.Fields().Get(i)
			if f.IsList() || f.IsMap() {
				reached[string(f.FullName())] = true
			}
			switch {
			case f.IsMap():
				if f.MapValue().Message() != nil {
					walk(f.MapValue().Message())
				}
			case f.Message() != nil:
				walk(f.Message())
			}
		}
	}
	for _, sd := range grpcapi.ServiceDescriptors() {
		for i := 0; i < sd.Methods().Len(); i++ {
			walk(sd.Methods().Get(i).Input())
		}
	}
	for f := range reached {
		if limits[f] <= 0 {
			t.Errorf("repeated field %s has no item limit", f)
		}
	}
	for f := range limits {
		if !reached[f] {
			t.Errorf("item limit for %s, which no request reaches", f)
		}
	}
}

// TestItemLimits checks that a request over a limit is refused in-band,
// naming the field and the limit, before the handler writes anything.
func TestItemLimits(t *testing.T) {
	e := newEnv(t)
	me := &pb.UserAppIDSet{UserId: "me"}
	apps := func(n int) []*pb.App {
		out := make([]*pb.App, n)
		for i := range out {
			out[i] = &pb.App{Id: fmt.Sprintf("a%04d", i)}
		}
		return out
	}
	inputs := func(n, concepts int) []*pb.Input {
		out := make([]*pb.Input, n)
		for i := range out {
			d := &pb.Data{}
			for j := 0; j < concepts; j++ {
				d.Concepts = append(d.Concepts, &pb.Concept{Id: fmt.Sprintf("c%d", j), Value: 1})
			}
			out[i] = &pb.Input{Id: fmt.Sprintf("in%d", i), Data: d}
		}
		return out
	}
	wide := map[string]any{}
	for i := 0; i < 1001; i++ {
		wide[fmt.Sprintf("k%d", i)] = i
	}
	meta, err := structpb.NewStruct(wide)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		call func() (*st.Status, error)
		want string
	}{
		{"PostApps", func() (*st.Status, error) {
			r, err := e.v2.PostApps(as(e.alice), &pb.PostAppsRequest{UserAppId: me, Apps: apps(129)})
			return r.GetStatus(), err
		}, "PostAppsRequest.apps carries 129 items; the limit is 128 per request"},
		{"PatchApps", func() (*st.Status, error) {
			r, err := e.v2.PatchApps(as(e.alice), &pb.PatchAppsRequest{UserAppId: me, Action: "overwrite", Apps: apps(1000)})
			return r.GetStatus(), err
		}, "PatchAppsRequest.apps carries 1000 items; the limit is 128"},
		{"PostKeys", func() (*st.Status, error) {
			ks := make([]*pb.Key, 200)
			for i := range ks {
				ks[i] = &pb.Key{Scopes: []string{"All"}}
			}
			r, err := e.v2.PostKeys(as(e.alice), &pb.PostKeysRequest{UserAppId: me, Keys: ks})
			return r.GetStatus(), err
		}, "PostKeysRequest.keys carries 200 items; the limit is 128"},
		{"NestedConcepts", func() (*st.Status, error) {
			r, err := e.v2.PostInputs(as(e.alice), &pb.PostInputsRequest{UserAppId: me, Inputs: inputs(1, 129)})
			return r.GetStatus(), err
		}, "Data.concepts carries 129 items; the limit is 128"},
		{"AllLevels", func() (*st.Status, error) {
			r, err := e.v2.PostInputs(as(e.alice), &pb.PostInputsRequest{UserAppId: me, Inputs: inputs(128, 40)})
			return r.GetStatus(), err
		}, "the limit is 1024 per request"},
		{"SelectConcepts", func() (*st.Status, error) {
			sel := make([]*pb.Concept, 1001)
			for i := range sel {
				sel[i] = &pb.Concept{Id: fmt.Sprint(i)}
			}
			r, err := e.v2.PostModelOutputs(as(e.alice), &pb.PostModelOutputsRequest{ModelId: "x", Inputs: inputs(1, 0),
				Model: &pb.Model{OutputInfo: &pb.OutputInfo{OutputConfig: &pb.OutputConfig{SelectConcepts: sel}}}})
			return r.GetStatus(), err
		}, "OutputConfig.select_concepts carries 1001 items; the limit is 1000"},
		{"Metadata", func() (*st.Status, error) {
			r, err := e.v2.PostInputs(as(e.alice), &pb.PostInputsRequest{UserAppId: me, Inputs: []*pb.Input{{Data: &pb.Data{Metadata: meta}}}})
			return r.GetStatus(), err
		}, "Struct.fields carries 1001 items; the limit is 1000"},
		{"SelectConceptsUncounted", func() (*st.Status, error) {
			sel := make([]*pb.Concept, 1000)
			for i := range sel {
				sel[i] = &pb.Concept{Id: fmt.Sprint(i)}
			}
			r, err := e.v2.PostModelOutputs(as(e.alice), &pb.PostModelOutputsRequest{ModelId: "x", Inputs: inputs(128, 0),
				Model: &pb.Model{OutputInfo: &pb.OutputInfo{OutputConfig: &pb.OutputConfig{SelectConcepts: sel}}}})
			return r.GetStatus(), err
		}, ""},
		{"DeleteInputs", func() (*st.Status, error) {
			r, err := e.v2.DeleteInputs(as(e.alice), &pb.DeleteInputsRequest{UserAppId: me, Ids: make([]string, 129)})
			return r.GetStatus(), err
		}, "DeleteInputsRequest.ids carries 129 items"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, err := c.call()
			if c.want == "" { // passes the limits, to be refused later for its model
				if err != nil || strings.Contains(s.GetDetails(), "limit") {
					t.Fatalf("status %v, %v; want no limit named", s, err)
				}
				return
			}
			if err != nil || s.GetCode() != st.StatusCode_CONN_INVALID_REQUEST || !strings.Contains(s.GetDetails(), c.want) {
				t.Fatalf("status %v, %v; want in-band CONN_INVALID_REQUEST with %q", s, err, c.want)
			}
		})
	}
	// Nothing was written, and the largest allowed batch passes.
	l, err := e.v2.ListApps(as(e.alice), &pb.ListAppsRequest{UserAppId: me})
	if err != nil || len(l.GetApps()) != 0 {
		t.Fatalf("ListApps after refusals = %d apps, %v", len(l.GetApps()), err)
	}
	r, err := e.v2.PostApps(as(e.alice), &pb.PostAppsRequest{UserAppId: me, Apps: apps(128)})
	if err != nil || r.GetStatus().GetCode() != st.StatusCode_SUCCESS || len(r.GetApps()) != 128 {
		t.Fatalf("PostApps of 128 = %v, %v", r.GetStatus(), err)
	}
}
