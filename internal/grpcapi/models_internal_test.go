package grpcapi

import (
	"testing"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"
)

func TestBatchStatus(t *testing.T) {
	bad := &st.Status{Code: st.StatusCode_INPUT_INVALID_ARGUMENT, Description: "Invalid input argument"}
	other := &st.Status{Code: st.StatusCode_INPUT_DOWNLOAD_FAILED}
	for _, c := range []struct {
		n      int
		failed []*st.Status
		want   st.StatusCode
	}{
		{3, nil, st.StatusCode_SUCCESS},
		{3, []*st.Status{bad}, st.StatusCode_MIXED_STATUS},
		{2, []*st.Status{bad, bad}, st.StatusCode_INPUT_INVALID_ARGUMENT},
		{2, []*st.Status{bad, other}, st.StatusCode_FAILURE},
	} {
		if got := batchStatus(c.n, c.failed).GetCode(); got != c.want {
			t.Errorf("batchStatus(%d, %d failed) = %v, want %v", c.n, len(c.failed), got, c.want)
		}
	}
}

func TestInputFromPB(t *testing.T) {
	for _, c := range []struct {
		in    *pb.Input
		other string
		url   string
	}{
		{&pb.Input{Data: &pb.Data{Image: &pb.Image{Url: "https://x/y.jpg"}}}, "", "https://x/y.jpg"},
		{&pb.Input{Data: &pb.Data{Video: &pb.Video{}}}, "video", ""},
		{&pb.Input{Data: &pb.Data{Audio: &pb.Audio{}}}, "audio", ""},
		{&pb.Input{Data: &pb.Data{Text: &pb.Text{Raw: "hi"}}}, "text", ""},
		{&pb.Input{}, "", ""},
	} {
		got := inputFromPB(c.in)
		if got.Other != c.other || got.ImageURL != c.url || got.ID == "" {
			t.Errorf("inputFromPB(%v) = %+v", c.in, got)
		}
	}
	if got := inputFromPB(&pb.Input{Id: "mine"}); got.ID != "mine" {
		t.Errorf("an input's own id became %q", got.ID)
	}
}
