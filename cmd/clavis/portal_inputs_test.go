package main_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"
)

// upload posts images to an app's inputs as the portal's uploader does:
// multipart, the anti-forgery token csrf, JSON asked for when asJSON.
func (b *browserless) upload(path, csrf string, asJSON bool, files map[string][]byte) page {
	b.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if csrf != "" {
		mw.WriteField("csrf", csrf)
	}
	for name, data := range files {
		w, err := mw.CreateFormFile("image", name)
		if err != nil {
			b.t.Fatal(err)
		}
		w.Write(data)
	}
	mw.Close()
	req, err := http.NewRequest(http.MethodPost, b.base+path, &body)
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if asJSON {
		req.Header.Set("Accept", "application/json")
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	return read(b.t, resp)
}

type uploaded struct {
	Inputs []struct{ File, ID, Path, Status, Error string }
	Error  string
}

func uploadAnswer(t *testing.T, p page) uploaded {
	t.Helper()
	var u uploaded
	if err := json.Unmarshal([]byte(p.body), &u); err != nil || !strings.HasPrefix(p.hdr.Get("Content-Type"), "application/json") {
		t.Fatalf("the upload's answer is not JSON (%d, %s): %.300s", p.code, p.hdr.Get("Content-Type"), p.body)
	}
	return u
}

// inputIDs lists the ids of the inputs an app holds, over the API.
func (s *testServer) inputIDs(t *testing.T, pat string, ids *pb.UserAppIDSet) []string {
	t.Helper()
	r, err := s.v2.ListInputs(as(pat), &pb.ListInputsRequest{UserAppId: ids})
	wantCode(t, r, err, st.StatusCode_SUCCESS)
	var out []string
	for _, in := range r.GetInputs() {
		out = append(out, in.GetId())
	}
	return out
}

// errorText finds what an error page says.
var errorText = regexp.MustCompile(`(?s)<p class="eyebrow">Error.*?<p>.*?</p>`)

// TestPortalInputs uploads images through the portal's endpoint (as its
// script does, and as a form without it does), lists them in the grid,
// shows an input's page, and deletes one and then a selection, each
// change checked over the API.
func TestPortalInputs(t *testing.T) {
	s := startServer(t)
	pat := s.newUser(t, "alice")
	s.setPassword(t, "alice", "alice's password", false)
	s.newApp(t, pat, "photos", false)
	ids := appIDs("alice", "photos")
	b := newBrowserless(t, s)
	wantStatus(t, "log-in", b.login("alice", "alice's password"), http.StatusSeeOther)

	grid := b.get("/apps/alice/photos/inputs")
	wantStatus(t, "empty grid", grid, http.StatusOK)
	if !strings.Contains(grid.body, "No inputs yet") || !strings.Contains(grid.body, `data-uploader`) {
		t.Fatal("the empty grid offers no upload")
	}
	token := b.csrf("/apps/alice/photos/inputs")

	// The script's way: one file a request, JSON back.
	u := uploadAnswer(t, b.upload("/apps/alice/photos/inputs", token, true, map[string][]byte{"one.png": pngOf(t, 1)}))
	if len(u.Inputs) != 1 || u.Inputs[0].Error != "" || u.Inputs[0].ID == "" || u.Inputs[0].File != "one.png" {
		t.Fatalf("upload answered %+v", u)
	}
	first := u.Inputs[0].ID
	// A form without the script: two files in one request, then the grid.
	p := b.upload("/apps/alice/photos/inputs", token, false, map[string][]byte{"two.png": pngOf(t, 2), "three.png": pngOf(t, 3)})
	wantStatus(t, "form upload", p, http.StatusSeeOther)
	if loc := p.hdr.Get("Location"); loc != "/apps/alice/photos/inputs?done=inputs-added" {
		t.Fatalf("the form upload goes to %q", loc)
	}
	// A file that is no image is refused alone, with the API's reason.
	p = b.upload("/apps/alice/photos/inputs", token, true, map[string][]byte{"notes.txt": []byte("not an image at all")})
	wantStatus(t, "junk upload", p, http.StatusBadRequest)
	if u = uploadAnswer(t, p); len(u.Inputs) != 1 || u.Inputs[0].Error == "" {
		t.Fatalf("a text file was not refused: %+v", u)
	}
	inputs := s.inputIDs(t, pat, ids)
	if len(inputs) != 3 {
		t.Fatalf("the API lists %d inputs, want 3", len(inputs))
	}

	grid = b.get("/apps/alice/photos/inputs")
	for _, id := range inputs {
		if !strings.Contains(grid.body, `data-input="`+id+`"`) {
			t.Fatalf("the grid lacks input %s", id)
		}
		if !strings.Contains(grid.body, `src="/v2/hosted/orig/users/alice/apps/photos/inputs/`+id+`"`) {
			t.Fatalf("the grid has no thumbnail of %s", id)
		}
	}
	if !strings.Contains(grid.body, `All <span class="count">3</span>`) {
		t.Fatal("the grid does not count 3 inputs")
	}
	// None failed: the grid of failed inputs is empty.
	if failed := b.get("/apps/alice/photos/inputs?status=30002"); strings.Contains(failed.body, `data-input="`) || !strings.Contains(failed.body, `aria-current="page">Failed`) {
		t.Fatal("the grid of failed inputs is not empty, or not marked")
	}
	// The thumbnails load with the session's cookie alone.
	img := b.get("/v2/hosted/orig/users/alice/apps/photos/inputs/" + first)
	if img.code != http.StatusOK || img.hdr.Get("Content-Type") != "image/png" || img.body != string(pngOf(t, 1)) {
		t.Fatalf("the thumbnail answers %d %s", img.code, img.hdr.Get("Content-Type"))
	}
	in := b.get("/apps/alice/photos/inputs/" + first)
	wantStatus(t, "input page", in, http.StatusOK)
	if !strings.Contains(in.body, first) || !strings.Contains(in.body, "8 × 6 pixels") {
		t.Fatal("the input's page does not show it")
	}

	// Delete one, after its confirmation.
	conf := b.get("/apps/alice/photos/inputs/" + first + "/delete")
	wantStatus(t, "delete page", conf, http.StatusOK)
	p = b.post("/apps/alice/photos/inputs/"+first+"/delete", url.Values{}, "/apps/alice/photos/inputs/"+first+"/delete")
	wantStatus(t, "delete", p, http.StatusSeeOther)
	if got := s.inputIDs(t, pat, ids); len(got) != 2 || strings.Contains(strings.Join(got, " "), first) {
		t.Fatalf("after deleting %s the API lists %v", first, got)
	}
	wantStatus(t, "deleted input", b.get("/apps/alice/photos/inputs/"+first), http.StatusNotFound)

	// Delete a selection: a confirmation naming them, then gone.
	rest := s.inputIDs(t, pat, ids)
	conf = b.post("/apps/alice/photos/inputs/delete", url.Values{"id": rest}, "/apps/alice/photos/inputs")
	wantStatus(t, "confirm selection", conf, http.StatusOK)
	if !strings.Contains(conf.body, "Delete 2 inputs?") || !strings.Contains(conf.body, `name="confirmed" value="1"`) {
		t.Fatalf("no confirmation of the selection: %.400s", conf.body)
	}
	if len(s.inputIDs(t, pat, ids)) != 2 {
		t.Fatal("the selection was deleted before it was confirmed")
	}
	p = b.post("/apps/alice/photos/inputs/delete", url.Values{"id": rest, "confirmed": {"1"}}, "/apps/alice/photos/inputs")
	wantStatus(t, "delete selection", p, http.StatusSeeOther)
	if got := s.inputIDs(t, pat, ids); len(got) != 0 {
		t.Fatalf("after deleting the selection the API lists %v", got)
	}
}

// TestPortalInputsPages: the grid shows 24 inputs a page, newest first,
// with links to the older and newer pages.
func TestPortalInputsPages(t *testing.T) {
	s := startServer(t)
	pat := s.newUser(t, "alice")
	s.setPassword(t, "alice", "alice's password", false)
	s.newApp(t, pat, "photos", false)
	ids := appIDs("alice", "photos")
	var ins []*pb.Input
	for i := range 25 {
		ins = append(ins, &pb.Input{Id: fmt.Sprintf("in-%02d", i), Data: &pb.Data{Image: &pb.Image{Base64: pngOf(t, 100+i)}}})
	}
	r, err := s.v2.PostInputs(as(pat), &pb.PostInputsRequest{UserAppId: ids, Inputs: ins})
	wantCode(t, r, err, st.StatusCode_SUCCESS)
	b := newBrowserless(t, s)
	b.login("alice", "alice's password")
	cards := regexp.MustCompile(`data-input="([^"]+)"`)
	first := b.get("/apps/alice/photos/inputs")
	if n := len(cards.FindAllString(first.body, -1)); n != 24 || !strings.Contains(first.body, `href="/apps/alice/photos/inputs?page=2" rel="next"`) || strings.Contains(first.body, `rel="prev"`) {
		t.Fatalf("the first page shows %d inputs, or lacks the link to the next", n)
	}
	second := b.get("/apps/alice/photos/inputs?page=2")
	got := cards.FindAllStringSubmatch(second.body, -1)
	if len(got) != 1 || strings.Contains(second.body, `rel="next"`) || !strings.Contains(second.body, `href="/apps/alice/photos/inputs?page=1" rel="prev"`) {
		t.Fatalf("the second page shows %v, or its links are wrong", got)
	}
	if strings.Contains(first.body, `data-input="`+got[0][1]+`"`) {
		t.Fatalf("input %s is on both pages", got[0][1])
	}
}

// TestPortalInputsRefusals: an upload over the API's image limit is
// refused before it is stored; every inputs route refuses a POST without
// the session's anti-forgery token, and changes nothing.
func TestPortalInputsRefusals(t *testing.T) {
	s := startServer(t)
	pat := s.newUser(t, "alice")
	s.setPassword(t, "alice", "alice's password", false)
	s.newUser(t, "mallory")
	s.setPassword(t, "mallory", "mallory's password", false)
	s.newApp(t, pat, "photos", false)
	ids := appIDs("alice", "photos")
	alice := newBrowserless(t, s)
	alice.login("alice", "alice's password")
	mallory := newBrowserless(t, s)
	mallory.login("mallory", "mallory's password")
	stolen := mallory.csrf("/apps")
	token := alice.csrf("/apps/alice/photos/inputs")
	u := uploadAnswer(t, alice.upload("/apps/alice/photos/inputs", token, true, map[string][]byte{"keep.png": pngOf(t, 9)}))
	kept := u.Inputs[0].ID

	big := make([]byte, 21<<20)
	copy(big, pngOf(t, 1))
	p := alice.upload("/apps/alice/photos/inputs", token, true, map[string][]byte{"big.png": big})
	wantStatus(t, "upload over the limit", p, http.StatusRequestEntityTooLarge)
	if !strings.Contains(uploadAnswer(t, p).Error, "20 MB") {
		t.Fatalf("the refusal does not name the limit: %s", p.body)
	}

	// The uploader's request after the session ended: a JSON refusal, not
	// the log-in form.
	visitor := newBrowserless(t, s)
	p = visitor.upload("/apps/alice/photos/inputs", token, true, map[string][]byte{"late.png": pngOf(t, 3)})
	wantStatus(t, "upload without a session", p, http.StatusUnauthorized)
	if !strings.Contains(uploadAnswer(t, p).Error, "log in again") {
		t.Fatalf("the refusal: %s", p.body)
	}
	for _, c := range []struct{ name, csrf string }{{"NoToken", ""}, {"WrongToken", "AAAA"}, {"OtherSessionsToken", stolen}} {
		t.Run(c.name, func(t *testing.T) {
			p := alice.upload("/apps/alice/photos/inputs", c.csrf, true, map[string][]byte{"forged.png": pngOf(t, 5)})
			wantStatus(t, "forged upload", p, http.StatusForbidden)
			form := url.Values{"id": {kept}, "confirmed": {"1"}}
			if c.csrf != "" {
				form.Set("csrf", c.csrf)
			}
			wantStatus(t, "forged delete", alice.post("/apps/alice/photos/inputs/delete", form, ""), http.StatusForbidden)
			form.Del("id")
			wantStatus(t, "forged delete", alice.post("/apps/alice/photos/inputs/"+kept+"/delete", form, ""), http.StatusForbidden)
			p = alice.upload("/apps/alice/photos/inputs/searches", c.csrf, false, map[string][]byte{"query.png": pngOf(t, 9)})
			wantStatus(t, "forged image search", p, http.StatusForbidden)
		})
	}
	if got := s.inputIDs(t, pat, ids); len(got) != 1 || got[0] != kept {
		t.Fatalf("after forged requests the API lists %v, want only %s", got, kept)
	}
}

// TestPortalInputsCrossTenant: another user cannot see, add to or delete
// an app's inputs by naming it or its inputs' ids: every page answers as
// for an app or input that does not exist. A collaborator whose grant
// lacks the inputs' scopes is refused as the API refuses them.
func TestPortalInputsCrossTenant(t *testing.T) {
	s := startServer(t)
	alicePAT := s.newUser(t, "alice")
	s.setPassword(t, "alice", "alice's password", false)
	bobPAT := s.newUser(t, "bob")
	s.setPassword(t, "bob", "bob's password", false)
	s.newApp(t, alicePAT, "photos", false)
	s.newApp(t, bobPAT, "mine", false)
	ids := appIDs("alice", "photos")
	alice := newBrowserless(t, s)
	alice.login("alice", "alice's password")
	u := uploadAnswer(t, alice.upload("/apps/alice/photos/inputs", alice.csrf("/apps/alice/photos/inputs"), true, map[string][]byte{"secret.png": pngOf(t, 4)}))
	secret := u.Inputs[0].ID

	bob := newBrowserless(t, s)
	bob.login("bob", "bob's password")
	missing := bob.get("/apps/alice/nosuchapp/inputs")
	wantStatus(t, "a missing app", missing, http.StatusNotFound)
	if errorText.FindString(missing.body) == "" {
		t.Fatalf("no error on the page of a missing app: %.300s", missing.body)
	}
	for _, path := range []string{
		"/apps/alice/photos/inputs",
		"/apps/alice/photos/inputs/" + secret,
		"/apps/alice/photos/inputs/" + secret + "/delete",
		"/apps/bob/mine/inputs/" + secret, // alice's input through bob's own app
		"/apps/bob/mine/inputs/" + secret + "/delete",
		"/v2/hosted/orig/users/alice/apps/photos/inputs/" + secret,
		"/v2/hosted/orig/users/bob/apps/mine/inputs/" + secret,
	} {
		p := bob.get(path)
		if p.code != http.StatusNotFound || strings.Contains(p.body, "secret.png") {
			t.Errorf("bob GET %s: HTTP %d, want 404", path, p.code)
		}
		if strings.HasPrefix(path, "/apps/alice/photos/") {
			if got, want := errorText.FindString(p.body), errorText.FindString(missing.body); strings.ReplaceAll(want, "nosuchapp", "photos") != got {
				t.Errorf("bob GET %s says %q; for a missing app the portal says %q", path, got, want)
			}
		}
	}
	// The search box: alice finds her input by its metadata; bob finds
	// nothing of hers, by her app or through his own.
	found := alice.get("/apps/alice/photos/inputs/searches?by=metadata&q=filename%3Dsecret.png")
	wantStatus(t, "alice's metadata search", found, http.StatusOK)
	if !strings.Contains(found.body, `data-input="`+secret+`"`) {
		t.Fatal("alice's metadata search does not find her input")
	}
	if bad := alice.get("/apps/alice/photos/inputs/searches?by=metadata&q=nonsense"); bad.code != http.StatusBadRequest || !strings.Contains(bad.body, "key=value") {
		t.Fatalf("a malformed metadata search: HTTP %d", bad.code)
	}
	for _, path := range []string{
		"/apps/alice/photos/inputs/searches?by=metadata&q=filename%3Dsecret.png",
		"/apps/alice/photos/inputs/searches?similar=" + secret,
		"/apps/bob/mine/inputs/searches?similar=" + secret,
	} {
		if p := bob.get(path); p.code != http.StatusNotFound || strings.Contains(p.body, `data-input="`+secret+`"`) {
			t.Errorf("bob GET %s: HTTP %d, want 404", path, p.code)
		}
	}
	if p := bob.get("/apps/bob/mine/inputs/searches?by=metadata&q=filename%3Dsecret.png"); p.code != http.StatusOK || strings.Contains(p.body, secret) {
		t.Errorf("bob's own metadata search: HTTP %d, or it shows alice's input", p.code)
	}
	token := bob.csrf("/apps/bob/mine/inputs")
	for _, c := range []struct {
		path string
		form url.Values
	}{
		{"/apps/alice/photos/inputs/delete", url.Values{"id": {secret}, "confirmed": {"1"}}},
		{"/apps/alice/photos/inputs/" + secret + "/delete", url.Values{}},
		{"/apps/bob/mine/inputs/" + secret + "/delete", url.Values{}},
	} {
		c.form.Set("csrf", token)
		if p := bob.post(c.path, c.form, ""); p.code != http.StatusNotFound {
			t.Errorf("bob POST %s: HTTP %d, want 404", c.path, p.code)
		}
	}
	// Through his own app, alice's id deletes nothing, as DeleteInputs
	// ignores ids the app does not have.
	p := bob.post("/apps/bob/mine/inputs/delete", url.Values{"id": {secret}, "confirmed": {"1"}, "csrf": {token}}, "")
	wantStatus(t, "bob deletes in his app", p, http.StatusSeeOther)
	if p := bob.upload("/apps/alice/photos/inputs", token, true, map[string][]byte{"planted.png": pngOf(t, 6)}); p.code != http.StatusNotFound {
		t.Errorf("bob uploads to alice's app: HTTP %d, want 404", p.code)
	}
	if got := s.inputIDs(t, alicePAT, ids); len(got) != 1 || got[0] != secret {
		t.Fatalf("after bob's attempts alice's app holds %v", got)
	}

	// A collaborator who may see the app but not its inputs: the portal
	// refuses as the API does.
	pc, err := s.v2.PostCollaborators(as(alicePAT), &pb.PostCollaboratorsRequest{UserAppId: ids,
		Collaborators: []*pb.Collaborator{{User: &pb.User{Id: "bob"}, Scopes: []string{"Apps:Get"}}}})
	wantCode(t, pc, err, st.StatusCode_SUCCESS)
	l, err := s.v2.ListInputs(as(bobPAT), &pb.ListInputsRequest{UserAppId: ids})
	wantCode(t, l, err, st.StatusCode_CONN_INSUFFICIENT_SCOPES)
	p = bob.get("/apps/alice/photos/inputs")
	wantStatus(t, "collaborator without Inputs:Get", p, http.StatusForbidden)
	if !strings.Contains(p.body, "missing scopes") || strings.Contains(p.body, secret) {
		t.Fatalf("the collaborator's refusal: %.300s", errorText.FindString(p.body))
	}
	wantStatus(t, "collaborator without Inputs:Get", bob.get("/apps/alice/photos/inputs/"+secret), http.StatusForbidden)
}
