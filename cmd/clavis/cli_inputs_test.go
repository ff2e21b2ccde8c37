package main_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"
)

// TestCLIInputs adds a directory of images and a URL that fails with the
// CLI, lists, shows and deletes them, and lists the app's concepts.
func TestCLIInputs(t *testing.T) {
	web, allow := imageServer(t)
	s := startServer(t, allow)
	s.newApp(t, s.pat, "photos", false)
	c := newCLI(t, s)
	dir := t.TempDir()
	for i, name := range []string{"a.png", "sub/b.PNG", "notes.txt"} {
		path := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(path), 0o700)
		if err := os.WriteFile(path, pngOf(t, 10+i), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	code, out, errOut := c.run("inputs", "add", "--app", "photos", "--label", "cat", "--metadata", `{"by": "cli"}`, dir, web.URL+"/ok.png", web.URL+"/missing.png")
	if code != 1 || !strings.Contains(out, "Added 3 of 4 inputs to photos") || !strings.Contains(out, "1 failed") {
		t.Fatalf("inputs add: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if !strings.Contains(errOut, "missing.png") || !strings.Contains(errOut, "30002") || strings.Contains(errOut, "notes.txt") {
		t.Fatalf("inputs add reports %q, want the failed URL only", errOut)
	}
	code, out, _ = c.run("inputs", "list", "--app", "photos", "--status", "success")
	if code != 0 || strings.Count(out, "success") != 3 || !strings.Contains(out, web.URL+"/ok.png") || !strings.Contains(out, "(bytes)") {
		t.Fatalf("inputs list: %d %q", code, out)
	}
	id := strings.Fields(strings.Split(out, "\n")[1])[0]
	code, out, _ = c.run("inputs", "get", "--app", "photos", id)
	if code != 0 || !strings.Contains(out, "concepts:  cat") || !strings.Contains(out, `{"by":"cli"}`) || !strings.Contains(out, "hosted:") {
		t.Fatalf("inputs get: %d %q", code, out)
	}
	code, out, _ = c.run("concepts", "list", "--app", "photos")
	if code != 0 || !strings.Contains(out, "cat") {
		t.Fatalf("concepts list: %d %q", code, out)
	}
	code, _, errOut = c.run("inputs", "list")
	if code != 2 || !strings.Contains(errOut, "--app is required") {
		t.Fatalf("inputs list without --app: %d %q", code, errOut)
	}

	// --all pages through more than one batch.
	var ins []*pb.Input
	for i := range 130 {
		ins = append(ins, &pb.Input{Id: fmt.Sprintf("x%03d", i), Data: &pb.Data{Image: &pb.Image{Base64: pngOf(t, 200+i)}}})
	}
	for i := 0; i < len(ins); i += 128 {
		r, err := s.v2.PostInputs(as(s.pat), &pb.PostInputsRequest{UserAppId: appIDs("admin", "photos"), Inputs: ins[i:min(i+128, len(ins))]})
		wantCode(t, r, err, st.StatusCode_SUCCESS)
	}
	code, out, errOut = c.run("inputs", "delete", "--app", "photos", "--all")
	if code != 0 || !strings.Contains(out, "Deleted 134 inputs of photos") {
		t.Fatalf("inputs delete --all: %d %q %q", code, out, errOut)
	}
	l, err := s.v2.ListInputs(as(s.pat), &pb.ListInputsRequest{UserAppId: appIDs("admin", "photos")})
	wantCode(t, l, err, st.StatusCode_SUCCESS)
	if len(l.GetInputs()) != 0 {
		t.Fatalf("%d inputs left after delete --all", len(l.GetInputs()))
	}
}
