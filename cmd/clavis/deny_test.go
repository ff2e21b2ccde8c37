package main_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/clavis-dev/clavis/internal/auth"
	"github.com/clavis-dev/clavis/internal/grpcapi"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"
)

// oracle is the written rule of each method, taken from the reference
// (scopes "checked up-front") and DESIGN.md, independent of internal/auth.
var oracle = map[string][]string{
	"PostModelOutputs":        {"Apps:Get", "Concepts:Get", "Models:Get", "Predict"},
	"GetModel":                {"Apps:Get", "Concepts:Get", "Models:Get"},
	"GetModelOutputInfo":      {"Apps:Get", "Concepts:Get", "Models:Get"},
	"ListModels":              {"Apps:Get", "Concepts:Get", "Models:Get"},
	"GetModelVersion":         {"Apps:Get", "Concepts:Get", "Models:Get"},
	"ListModelVersions":       {"Apps:Get", "Concepts:Get", "Models:Get"},
	"PostApps":                {"Apps:Add", "Apps:Get", "Models:Get", "Workflows:Get", "Workflows:Add"},
	"GetApp":                  {"Apps:Get", "Workflows:Get"},
	"ListApps":                {"Apps:Get", "Workflows:Get"},
	"PatchApps":               {"Apps:Add", "Apps:Get"},
	"PatchApp":                {"Apps:Add", "Apps:Get"},
	"DeleteApp":               {"Apps:Add", "Apps:Delete", "Apps:Get", "Workflows:Get"},
	"PostKeys":                {"Apps:Get", "Keys:Add", "Keys:Get"},
	"GetKey":                  {"Keys:Get"},
	"ListKeys":                {"Keys:Get"},
	"ListAppKeys":             {"Apps:Get", "Keys:Get"},
	"PatchKeys":               {"Keys:Add", "Keys:Get"},
	"DeleteKey":               {"Keys:Add", "Keys:Delete", "Keys:Get"},
	"MyScopes":                {},
	"MyScopesUser":            {},
	"ListScopes":              {},
	"GetUser":                 {},
	"ListCollaborators":       {"Apps:Get", "Collaborators:Get"},
	"PostCollaborators":       {"Apps:Get", "Collaborators:Add", "Collaborators:Get"},
	"PatchCollaborators":      {"Apps:Get", "Collaborators:Add", "Collaborators:Get", "Collaborators:Delete"},
	"DeleteCollaborators":     {"Apps:Get", "Collaborators:Add", "Collaborators:Get", "Collaborators:Delete"},
	"ListCollaborations":      {"Apps:Get", "Collaborators:Get"},
	"PostInputs":              {"Apps:Get", "Annotations:Add", "Annotations:Get", "Concepts:Get", "Inputs:Add", "Inputs:Get", "Models:Get", "Predict", "Workflows:Get"},
	"ListInputs":              {"Apps:Get", "Annotations:Get", "Concepts:Get", "Inputs:Get"},
	"GetInput":                {"Apps:Get", "Annotations:Get", "Concepts:Get", "Inputs:Get"},
	"DeleteInput":             {"Apps:Get", "Annotations:Add", "Annotations:Delete", "Annotations:Get", "Inputs:Add", "Inputs:Delete", "Inputs:Get", "Models:Get", "Workflows:Get"},
	"DeleteInputs":            {"Apps:Get", "Annotations:Add", "Annotations:Delete", "Annotations:Get", "Inputs:Add", "Inputs:Delete", "Inputs:Get", "Models:Get", "Workflows:Get"},
	"PatchInputs":             {"Apps:Get", "Annotations:Add", "Annotations:Get", "Concepts:Get", "Inputs:Add", "Inputs:Get", "Models:Get"},
	"GetInputCount":           {"Apps:Get", "Annotations:Get", "Concepts:Get", "Inputs:Get"},
	"GetInputsAddJob":         {"Apps:Get", "Inputs:Get"},
	"ListInputsAddJobs":       {"Apps:Get", "Inputs:Get"},
	"CancelInputsAddJob":      {"Apps:Get", "Inputs:Add", "Inputs:Get"},
	"PostInputsSearches":      {"Apps:Get", "Annotations:Get", "Concepts:Get", "Inputs:Get", "SavedSearch:Get"},
	"PostAnnotationsSearches": {"Apps:Get", "Annotations:Get", "Concepts:Get", "Inputs:Get", "Models:Get", "Search", "Workflows:Get"},
	"PostSearches":            {"Apps:Get", "Annotations:Get", "Concepts:Get", "Inputs:Get", "Models:Get", "Search", "Workflows:Get"},
	"PostAnnotations":         {"Apps:Get", "Inputs:Get", "Annotations:Add", "Annotations:Get", "Concepts:Get", "Models:Get", "Workflows:Get"},
	"ListAnnotations":         {"Apps:Get", "Inputs:Get", "Annotations:Get", "Concepts:Get", "Models:Get"},
	"PatchAnnotations":        {"Apps:Get", "Inputs:Get", "Annotations:Add", "Annotations:Get", "Concepts:Get", "Workflows:Get", "Models:Get"},
	"DeleteAnnotation":        {"Apps:Get", "Inputs:Get", "Annotations:Add", "Annotations:Delete", "Annotations:Get", "Workflows:Get", "Models:Get"},
	"DeleteAnnotations":       {"Apps:Get", "Inputs:Get", "Annotations:Add", "Annotations:Delete", "Annotations:Get", "Workflows:Get", "Models:Get"},
	"ListConcepts":            {"Apps:Get", "Concepts:Get"},
	"GetConcept":              {"Apps:Get", "Concepts:Get"},
	"PostConcepts":            {"Apps:Get", "Concepts:Add", "Concepts:Get"},
	"PatchConcepts":           {"Apps:Get", "Concepts:Add", "Concepts:Get"},
	// Organization changes need a PAT holding All; reads any PAT.
	"CreateOrg":    {"All"},
	"GetOrg":       {},
	"ListOrgs":     {},
	"DeleteOrg":    {"All"},
	"PutMember":    {"All"},
	"ListMembers":  {},
	"RemoveMember": {},
	"PutTeam":      {"All"},
	"GetTeam":      {},
	"ListTeams":    {},
	"DeleteTeam":   {"All"},
	"GetKeyPolicy": {},
	"SetKeyPolicy": {"All"},
	// The admin service needs an admin's PAT holding All.
	"CreateUser":  {"All"},
	"ListUsers":   {"All"},
	"DisableUser": {"All"},
	"EnableUser":  {"All"},
	"DeleteUser":  {"All"},
	"SetPassword": {"All"},
	"ListAllKeys": {"All"},
	"RevokeKeys":  {"All"},
	// A user's own account: a PAT holding All (or a portal session).
	"ChangePassword": {"All"},
	// The audit log: Clarifai's search and ours.
	"PostAuditLogSearches": {"AuditLogs:Get"},
	"SearchAudit":          {"AuditLogs:Get"},
	// Rotation, as the other key changes.
	"RotateKey": {"Keys:Add", "Keys:Get"},
	// Revocation by value needs no credentials at all.
	"RevokeCredentials": {},
}

// everyScope lists every individual scope, for building "All but one".
var everyScope = []string{"Predict", "Search", "Apps:Get", "Apps:Add", "Apps:Delete", "Keys:Get", "Keys:Add", "Keys:Delete",
	"Models:Get", "Concepts:Get", "Concepts:Add", "Workflows:Get", "Workflows:Add", "Inputs:Get", "Inputs:Add", "Inputs:Delete",
	"Annotations:Get", "Annotations:Add", "Annotations:Delete", "Collaborators:Get", "Collaborators:Add", "Collaborators:Delete"}

type method struct {
	full string
	name string
	desc protoreflect.MethodDescriptor
}

// methods lists every method of the services the server implements, from
// the generated descriptors.
func methods() []method {
	var out []method
	for _, sd := range grpcapi.ServiceDescriptors() {
		for i := 0; i < sd.Methods().Len(); i++ {
			md := sd.Methods().Get(i)
			out = append(out, method{full: fmt.Sprintf("/%s/%s", sd.FullName(), md.Name()), name: string(md.Name()), desc: md})
		}
	}
	return out
}

// TestEveryMethodHasARule fails when a method of the descriptors has no
// authorization rule (it would be refused) or no written rule here.
func TestEveryMethodHasARule(t *testing.T) {
	for _, m := range methods() {
		if _, ok := auth.Rules[m.full]; !ok {
			t.Errorf("%s has no rule in internal/auth and is refused to everyone", m.full)
		}
		if _, ok := oracle[m.name]; !ok {
			t.Errorf("%s has no written rule in this test", m.full)
		}
	}
}

// call invokes a method with a request naming the admin's app "photos",
// and returns the in-band status.
func (s *testServer) call(t *testing.T, m method, token string) *st.Status {
	t.Helper()
	return s.invoke(t, m, token, func(uai map[string]string) { uai["user_id"], uai["app_id"] = "admin", "photos" })
}

// invoke calls a method with an otherwise empty request whose user_app_id
// is filled by set, authenticating with token (none when empty).
func (s *testServer) invoke(t *testing.T, m method, token string, set func(map[string]string)) *st.Status {
	t.Helper()
	req := dynamicpb.NewMessage(m.desc.Input())
	if f := req.Descriptor().Fields().ByName("user_app_id"); f != nil {
		vals := map[string]string{}
		set(vals)
		uai := dynamicpb.NewMessage(f.Message())
		for k, v := range vals {
			uai.Set(uai.Descriptor().Fields().ByName(protoreflect.Name(k)), protoreflect.ValueOfString(v))
		}
		req.Set(f, protoreflect.ValueOfMessage(uai))
	}
	resp := dynamicpb.NewMessage(m.desc.Output())
	ctx := context.Background()
	if token != "" {
		ctx = as(token)
	}
	if err := s.conn.Invoke(ctx, m.full, req, resp); err != nil {
		t.Fatalf("%s: transport error %v (every declared method must answer in-band)", m.full, err)
	}
	sf := resp.Descriptor().Fields().ByName("status")
	var status st.Status
	b, _ := protoMarshal(resp.Get(sf).Message().Interface())
	if err := protoUnmarshal(b, &status); err != nil {
		t.Fatal(err)
	}
	if status.GetReqId() == "" {
		t.Fatalf("%s: no req_id", m.full)
	}
	return &status
}

// TestDenyByDefault calls every method with a PAT missing each required
// scope in turn and expects CONN_INSUFFICIENT_SCOPES naming it; with the
// required scopes it expects no scope refusal.
func TestDenyByDefault(t *testing.T) {
	s := startServer(t)
	s.newApp(t, s.pat, "photos", false)
	pats := map[string]string{}
	patWith := func(scopes []string) string {
		key := strings.Join(scopes, ",")
		if tok, ok := pats[key]; ok {
			return tok
		}
		tok := s.newKey(t, s.pat, &pb.Key{Type: "personal_access_token", Scopes: scopes})
		pats[key] = tok
		return tok
	}
	for _, m := range methods() {
		required := oracle[m.name]
		t.Run(m.name, func(t *testing.T) {
			// A filler scope keeps every test PAT non-empty.
			filler := "Search"
			if slices.Contains(required, filler) {
				filler = "Inputs:Get"
			}
			holding := append(slices.Clone(required), filler)
			if slices.Contains(required, "All") {
				holding = []string{"All"}
			}
			for _, r := range required {
				var lacking []string
				if r == "All" {
					lacking = everyScope // every scope we name, but not All
				} else {
					for _, h := range holding {
						if h != r {
							lacking = append(lacking, h)
						}
					}
				}
				got := s.call(t, m, patWith(lacking))
				if got.GetCode() != st.StatusCode_CONN_INSUFFICIENT_SCOPES {
					t.Fatalf("without %s: %v %s, want CONN_INSUFFICIENT_SCOPES", r, got.GetCode(), got.GetDetails())
				}
				if r != "All" && !strings.Contains(got.GetDetails(), r) {
					t.Fatalf("without %s: details %q do not name it", r, got.GetDetails())
				}
			}
			got := s.call(t, m, patWith(holding))
			if got.GetCode() == st.StatusCode_CONN_INSUFFICIENT_SCOPES || got.GetCode() == st.StatusCode_CONN_KEY_INVALID {
				t.Fatalf("with the required scopes %v: refused %v: %s", holding, got.GetCode(), got.GetDetails())
			}
			// The positive call may have deleted the app; put it back.
			s.v2.PostApps(as(s.pat), &pb.PostAppsRequest{UserAppId: me(), Apps: []*pb.App{{Id: "photos"}}})
		})
	}
}
