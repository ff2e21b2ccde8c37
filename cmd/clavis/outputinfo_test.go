package main_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"google.golang.org/protobuf/proto"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"
)

// TestModelOutputInfo checks that GetModel and GetModelOutputInfo fill the
// deprecated model.output_info (field 5), which older clients read, with
// what model.model_version.output_info holds, over gRPC and REST.
func TestModelOutputInfo(t *testing.T) {
	s := startServer(t)
	req := &pb.GetModelRequest{UserAppId: mainApp, ModelId: "color-recognition"}
	for name, call := range map[string]func() (*pb.SingleModelResponse, error){
		"GetModel":           func() (*pb.SingleModelResponse, error) { return s.v2.GetModel(as(s.pat), req) },
		"GetModelOutputInfo": func() (*pb.SingleModelResponse, error) { return s.v2.GetModelOutputInfo(as(s.pat), req) },
	} {
		r, err := call()
		wantCode(t, r, err, st.StatusCode_SUCCESS)
		got, want := r.GetModel().GetOutputInfo(), r.GetModel().GetModelVersion().GetOutputInfo()
		if got == nil || want == nil || !proto.Equal(got, want) {
			t.Errorf("%s: model.output_info %v, model_version.output_info %v", name, got, want)
		}
	}
	for _, path := range []string{"/v2/users/clarifai/apps/main/models/color-recognition", "/v2/users/clarifai/apps/main/models/color-recognition/output_info"} {
		var body struct {
			Model struct {
				OutputInfo   json.RawMessage `json:"output_info"`
				ModelVersion struct {
					OutputInfo json.RawMessage `json:"output_info"`
				} `json:"model_version"`
			}
		}
		r := rest(t, s, "GET", path, s.pat, nil).want(t, 200, 10000)
		if err := json.Unmarshal(r.raw, &body); err != nil {
			t.Fatal(err)
		}
		var got, want any
		json.Unmarshal(body.Model.OutputInfo, &got)
		json.Unmarshal(body.Model.ModelVersion.OutputInfo, &want)
		if got == nil || !reflect.DeepEqual(got, want) {
			t.Errorf("GET %s: model.output_info %s, model_version.output_info %s", path, body.Model.OutputInfo, body.Model.ModelVersion.OutputInfo)
		}
	}
}
