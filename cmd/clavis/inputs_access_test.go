package main_test

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"
)

// inputScopes are the scopes that reading inputs needs.
var inputScopes = []string{"Apps:Get", "Annotations:Get", "Concepts:Get", "Inputs:Get"}

// TestInputsCrossTenant checks that another tenant reaches no input of an
// app, knowing its id or not: an app key of another app and a PAT without a
// grant get the same answer for an input that exists as for one that does
// not; a collaborator may do what the grant allows and nothing more.
func TestInputsCrossTenant(t *testing.T) {
	onEngines(t, func(t *testing.T, s *testServer) {
		alice, bob, carol := s.newUser(t, "alice"), s.newUser(t, "bob"), s.newUser(t, "carol")
		s.newApp(t, alice, "a1", false)
		s.newApp(t, bob, "b1", false)
		a1 := appIDs("alice", "a1")
		r, err := s.v2.PostInputs(as(alice), &pb.PostInputsRequest{UserAppId: a1, Inputs: []*pb.Input{{Id: "secret", Data: &pb.Data{Image: &pb.Image{Base64: pngOf(t, 3)}}}}})
		wantCode(t, r, err, st.StatusCode_SUCCESS)
		hosted := r.GetInputs()[0].GetData().GetImage().GetHosted()
		bobKey := s.newKey(t, bob, &pb.Key{Type: "app_specific_key", Scopes: []string{"All"}, Apps: []*pb.App{{Id: "b1", UserId: "bob"}}})

		same := func(what string, call func(id string) (withStatus, error), want st.StatusCode) {
			t.Helper()
			var answers [2]*st.Status
			for i, id := range []string{"secret", "never-was"} {
				resp, err := call(id)
				wantCode(t, resp, err, want)
				answers[i] = resp.GetStatus()
			}
			if answers[0].GetDescription() != answers[1].GetDescription() ||
				strings.ReplaceAll(answers[0].GetDetails(), "secret", "X") != strings.ReplaceAll(answers[1].GetDetails(), "never-was", "X") {
				t.Errorf("%s: an existing input answers %v, a missing one %v", what, answers[0], answers[1])
			}
		}
		for _, c := range []struct {
			who   string
			token string
			ids   *pb.UserAppIDSet
			want  st.StatusCode
		}{
			{"bob's app key naming alice's app", bobKey, a1, st.StatusCode_CONN_KEY_INVALID},
			{"bob's app key on its own app", bobKey, nil, st.StatusCode_CONN_DOES_NOT_EXIST},
			{"bob's PAT without a grant", bob, a1, st.StatusCode_CONN_DOES_NOT_EXIST},
		} {
			same(c.who+": GetInput", func(id string) (withStatus, error) {
				return s.v2.GetInput(as(c.token), &pb.GetInputRequest{UserAppId: c.ids, InputId: id})
			}, c.want)
			same(c.who+": PatchInputs", func(id string) (withStatus, error) {
				return s.v2.PatchInputs(as(c.token), &pb.PatchInputsRequest{UserAppId: c.ids, Action: "merge", Inputs: []*pb.Input{{Id: id}}})
			}, c.want)
			same(c.who+": DeleteInput", func(id string) (withStatus, error) {
				return s.v2.DeleteInput(as(c.token), &pb.DeleteInputRequest{UserAppId: c.ids, InputId: id})
			}, c.want)
			same(c.who+": PostAnnotations", func(id string) (withStatus, error) {
				return s.v2.PostAnnotations(as(c.token), &pb.PostAnnotationsRequest{UserAppId: c.ids,
					Annotations: []*pb.Annotation{{InputId: id, Data: &pb.Data{Concepts: []*pb.Concept{{Id: "x", Value: 1}}}}}})
			}, c.want)
			if c.want == st.StatusCode_CONN_DOES_NOT_EXIST && c.ids == nil {
				// Deleting and listing in its own app succeed and touch
				// nothing of alice's.
				l, err := s.v2.ListInputs(as(c.token), &pb.ListInputsRequest{Ids: []string{"secret"}})
				wantCode(t, l, err, st.StatusCode_SUCCESS)
				if len(l.GetInputs()) != 0 {
					t.Fatalf("%s lists alice's input", c.who)
				}
				d, err := s.v2.DeleteInputs(as(c.token), &pb.DeleteInputsRequest{Ids: []string{"secret"}})
				wantCode(t, d, err, st.StatusCode_SUCCESS)
			}
		}
		g, err := s.v2.GetInput(as(alice), &pb.GetInputRequest{UserAppId: a1, InputId: "secret"})
		wantCode(t, g, err, st.StatusCode_SUCCESS)

		// The hosted image: bob's key gets the answer of a wrong app, as
		// for any input of alice's.
		for _, token := range []string{bobKey, bob} {
			for _, id := range []string{"secret", "never-was"} {
				req, _ := http.NewRequest("GET", hosted.GetPrefix()+"/orig/users/alice/apps/a1/inputs/"+id, nil)
				req.Header.Set("Authorization", "Key "+token)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if want := map[string]int{bobKey: 401, bob: 404}[token]; resp.StatusCode != want {
					t.Errorf("hosted %s with %s: HTTP %d, want %d", id, map[string]string{bobKey: "bob's key", bob: "bob's PAT"}[token], resp.StatusCode, want)
				}
			}
		}

		// A PAT reaches the inputs through a grant, within its scopes.
		pc, err := s.v2.PostCollaborators(as(alice), &pb.PostCollaboratorsRequest{UserAppId: a1,
			Collaborators: []*pb.Collaborator{{User: &pb.User{Id: "carol"}, Scopes: inputScopes}}})
		wantCode(t, pc, err, st.StatusCode_SUCCESS)
		l, err := s.v2.ListInputs(as(carol), &pb.ListInputsRequest{UserAppId: a1})
		wantCode(t, l, err, st.StatusCode_SUCCESS)
		if len(l.GetInputs()) != 1 || l.GetInputs()[0].GetId() != "secret" {
			t.Fatalf("the collaborator lists %v", l.GetInputs())
		}
		d, err := s.v2.DeleteInputs(as(carol), &pb.DeleteInputsRequest{UserAppId: a1, Ids: []string{"secret"}})
		wantCode(t, d, err, st.StatusCode_CONN_INSUFFICIENT_SCOPES)
		if !strings.Contains(d.GetStatus().GetDetails(), "Inputs:Delete") {
			t.Errorf("refusal does not name Inputs:Delete: %s", d.GetStatus().GetDetails())
		}
		p, err := s.v2.PostInputs(as(carol), &pb.PostInputsRequest{UserAppId: a1, Inputs: []*pb.Input{{Data: &pb.Data{Image: &pb.Image{Base64: pngOf(t, 4)}}}}})
		wantCode(t, p, err, st.StatusCode_CONN_INSUFFICIENT_SCOPES)
		g, err = s.v2.GetInput(as(alice), &pb.GetInputRequest{UserAppId: a1, InputId: "secret"})
		wantCode(t, g, err, st.StatusCode_SUCCESS)
	})
}

// TestNewConceptsNeedConceptsAdd labels inputs with a key that lacks
// Concepts:Add: known concepts pass, a new one is refused for its input
// alone.
func TestNewConceptsNeedConceptsAdd(t *testing.T) {
	s := startServer(t)
	s.newApp(t, s.pat, "photos", false)
	ids := appIDs("admin", "photos")
	pc, err := s.v2.PostConcepts(as(s.pat), &pb.PostConceptsRequest{UserAppId: ids, Concepts: []*pb.Concept{{Id: "cat"}}})
	wantCode(t, pc, err, st.StatusCode_SUCCESS)
	key := s.newKey(t, s.pat, &pb.Key{Type: "app_specific_key", Apps: []*pb.App{{Id: "photos", UserId: "admin"}},
		Scopes: []string{"Apps:Get", "Annotations:Add", "Annotations:Get", "Concepts:Get", "Inputs:Add", "Inputs:Get", "Models:Get", "Predict", "Workflows:Get"}})
	r, err := s.v2.PostInputs(as(key), &pb.PostInputsRequest{Inputs: []*pb.Input{
		{Id: "known", Data: &pb.Data{Image: &pb.Image{Base64: pngOf(t, 1)}, Concepts: []*pb.Concept{{Id: "cat", Value: 1}}}},
		{Id: "new", Data: &pb.Data{Image: &pb.Image{Base64: pngOf(t, 2)}, Concepts: []*pb.Concept{{Id: "zebra", Value: 1}}}},
	}})
	wantCode(t, r, err, st.StatusCode_MIXED_STATUS)
	if c := r.GetInputs()[1].GetStatus(); c.GetCode() != st.StatusCode_CONN_INSUFFICIENT_SCOPES || !strings.Contains(c.GetDetails(), "Concepts:Add") {
		t.Fatalf("an input with a new concept: %v", c)
	}
	if c := r.GetInputs()[0].GetStatus().GetCode(); c != st.StatusCode_INPUT_DOWNLOAD_PENDING {
		t.Fatalf("an input with a known concept: %v", c)
	}
}

// TestRESTInputs goes through the REST paths, with JSON as older clients
// write it: concept values as booleans or left out; and checks that the
// words after .../inputs/ reach their own methods, not GetInput or
// DeleteInput with that id.
func TestRESTInputs(t *testing.T) {
	onEngines(t, func(t *testing.T, s *testServer) {
		s.newApp(t, s.pat, "photos", false)
		base := "/v2/users/admin/apps/photos"
		img := base64.StdEncoding.EncodeToString(pngOf(t, 5))
		r := rest(t, s, "POST", base+"/inputs", s.pat, map[string]any{"inputs_add_job_id": "rest-job", "inputs": []any{
			map[string]any{"id": "one", "data": map[string]any{"image": map[string]any{"base64": img},
				"concepts": []any{map[string]any{"id": "yes", "value": true}, map[string]any{"id": "no", "value": false}, map[string]any{"id": "bare"}},
				"metadata": map[string]any{"k": "v"}}},
		}}).want(t, 200, 10000)
		if inputs := r.body["inputs"].([]any); len(inputs) != 1 {
			t.Fatalf("inputs = %v", r.body["inputs"])
		}
		counts := rest(t, s, "GET", base+"/inputs/status", s.pat, nil).want(t, 200, 10000)
		if _, ok := counts.body["counts"]; !ok {
			t.Fatalf("GET .../inputs/status did not reach GetInputCount: %s", counts.raw)
		}
		job := rest(t, s, "GET", base+"/inputs/jobs/add/rest-job", s.pat, nil).want(t, 200, 10000)
		if j, _ := job.body["inputs_add_job"].(map[string]any); j["id"] != "rest-job" {
			t.Fatalf("GetInputsAddJob = %s", job.raw)
		}
		jobs := rest(t, s, "GET", base+"/inputs/jobs/add", s.pat, nil).want(t, 200, 10000)
		if js, _ := jobs.body["inputs_add_jobs"].([]any); len(js) != 1 {
			t.Fatalf("ListInputsAddJobs = %s", jobs.raw)
		}
		got := rest(t, s, "GET", base+"/inputs/one", s.pat, nil).want(t, 200, 10000)
		data := got.body["input"].(map[string]any)["data"].(map[string]any)
		if prefix := data["image"].(map[string]any)["hosted"].(map[string]any)["prefix"]; prefix != "http://"+s.Addr()+"/v2/hosted" {
			t.Fatalf("hosted prefix over REST = %v, want the host the request named", prefix)
		}
		values := map[string]float64{}
		for _, c := range data["concepts"].([]any) {
			c := c.(map[string]any)
			values[c["id"].(string)] = c["value"].(float64)
		}
		if values["yes"] != 1 || values["no"] != 0 || values["bare"] != 1 {
			t.Fatalf("concept values %v: want yes 1, no 0, bare 1", values)
		}

		// The app-key short forms.
		key := s.newKey(t, s.pat, &pb.Key{Type: "app_specific_key", Scopes: []string{"All"}, Apps: []*pb.App{{Id: "photos", UserId: "admin"}}})
		rest(t, s, "GET", "/v2/inputs/one", key, nil).want(t, 200, 10000)
		rest(t, s, "PATCH", "/v2/inputs", key, map[string]any{"action": "merge",
			"inputs": []any{map[string]any{"id": "one", "data": map[string]any{"metadata": map[string]any{"k2": "v2"}}}}}).want(t, 200, 10000)
		rest(t, s, "GET", "/v2/inputs/status", key, nil).want(t, 200, 10000)
		rest(t, s, "GET", "/v2/concepts", key, nil).want(t, 200, 10000)
		rest(t, s, "POST", "/v2/annotations", key, map[string]any{"annotations": []any{map[string]any{"input_id": "one",
			"data": map[string]any{"regions": []any{map[string]any{"region_info": map[string]any{"bounding_box": map[string]any{
				"top_row": 0.1, "left_col": 0.1, "bottom_row": 0.9, "right_col": 0.9}}}}}}}}).want(t, 200, 10000)
		// DELETE .../inputs/annotations is DeleteAnnotations, not
		// DeleteInput of an input "annotations" (which would be 11101).
		rest(t, s, "DELETE", base+"/inputs/annotations", s.pat, map[string]any{"input_ids": []any{"one"}}).want(t, 200, 10000)
		anns := rest(t, s, "GET", base+"/annotations", s.pat, nil).want(t, 200, 10000)
		if as, _ := anns.body["annotations"].([]any); len(as) != 0 {
			t.Fatalf("annotations left after DeleteAnnotations: %s", anns.raw)
		}
		rest(t, s, "DELETE", "/v2/inputs", key, map[string]any{"ids": []any{"one"}}).want(t, 200, 10000)
		rest(t, s, "GET", "/v2/inputs/one", key, nil).want(t, 404, 11101)
	})
}

// TestHostedImageForPortalSession: a portal session reaches the hosted image
// of an input of its user's app, as the portal's pages show it, and not one
// of another user's app.
func TestHostedImageForPortalSession(t *testing.T) {
	s := startServer(t)
	s.newApp(t, s.pat, "photos", false)
	img := pngOf(t, 8)
	r, err := s.v2.PostInputs(as(s.pat), &pb.PostInputsRequest{UserAppId: appIDs("admin", "photos"), Inputs: []*pb.Input{{Id: "a", Data: &pb.Data{Image: &pb.Image{Base64: img}}}}})
	wantCode(t, r, err, st.StatusCode_SUCCESS)
	h := r.GetInputs()[0].GetData().GetImage().GetHosted()
	url := h.GetPrefix() + "/orig/" + h.GetSuffix()

	s.newUser(t, "bob")
	for _, c := range []struct {
		user string
		want int
	}{{"admin", http.StatusOK}, {"bob", http.StatusNotFound}} {
		s.setPassword(t, c.user, c.user+"'s password", false)
		b := newBrowserless(t, s)
		wantStatus(t, c.user+" logs in", b.login(c.user, c.user+"'s password"), http.StatusSeeOther)
		resp, err := b.c.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("%s's session: HTTP %d, want %d", c.user, resp.StatusCode, c.want)
		}
	}
}
