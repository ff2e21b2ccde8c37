package main_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"

	cmd "github.com/clavis-dev/clavis/cmd/clavis"
)

// TestPredictURL fetches an image from a local server: refused by default
// (loopback), allowed when --fetch-allow names its host:port.
func TestPredictURL(t *testing.T) {
	img := twoColors(t)
	var auth []string
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth = append(auth, r.Header.Get("Authorization"))
		w.Header().Set("Content-Type", "image/png")
		w.Write(img)
	}))
	defer web.Close()
	hostport := strings.TrimPrefix(web.URL, "http://")
	input := []*pb.Input{{Data: &pb.Data{Image: &pb.Image{Url: web.URL + "/red.png"}}}}

	closed := startServer(t)
	r, err := closed.v2.PostModelOutputs(as(closed.pat), &pb.PostModelOutputsRequest{UserAppId: mainApp, ModelId: "color-recognition", Inputs: input})
	if err != nil {
		t.Fatal(err)
	}
	if c := r.GetOutputs()[0].GetStatus().GetCode(); c != st.StatusCode_INPUT_DOWNLOAD_FAILED && c != st.StatusCode_INPUT_INVALID_URL {
		t.Fatalf("loopback URL without --fetch-allow: %v", r.GetOutputs()[0].GetStatus())
	}
	if len(auth) != 0 {
		t.Fatal("a refused URL was fetched")
	}

	open := startServer(t, func(c *cmd.Config) { c.FetchAllow = []string{hostport} })
	r, err = open.v2.PostModelOutputs(as(open.pat), &pb.PostModelOutputsRequest{UserAppId: mainApp, ModelId: "color-recognition", Inputs: input})
	wantCode(t, r, err, st.StatusCode_SUCCESS)
	if got := r.GetOutputs()[0].GetData().GetColors()[0].GetRawHex(); got != "#ff0000" {
		t.Fatalf("dominant color %s", got)
	}
	if r.GetOutputs()[0].GetInput().GetData().GetImage().GetUrl() != web.URL+"/red.png" {
		t.Fatal("output does not echo the input URL")
	}
	if len(auth) != 1 || auth[0] != "" {
		t.Fatalf("the fetch forwarded credentials: %q", auth)
	}
}
