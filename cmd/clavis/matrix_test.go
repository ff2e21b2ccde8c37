package main_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"
	orgsv1 "github.com/clavis-dev/clavis/api/gen/clavis/orgs/v1"
)

// The written rules of the sharing matrix, independent of internal/auth.

// patOnly lists the V2 methods that refuse app keys.
var patOnly = []string{"PostApps", "ListApps", "PatchApps", "PatchApp", "DeleteApp", "PostKeys", "GetKey", "ListKeys",
	"ListAppKeys", "PatchKeys", "DeleteKey", "MyScopesUser", "ListScopes", "GetUser", "ListCollaborations", "PostAuditLogSearches"}

// userLevel lists the V2 methods that act on the caller's own account.
var userLevel = []string{"PostApps", "ListApps", "PatchApps", "PostKeys", "GetKey", "ListKeys", "PatchKeys", "DeleteKey",
	"MyScopesUser", "ListScopes", "GetUser", "ListCollaborations", "PostAuditLogSearches"}

// manages lists the methods that change an app itself or its keys: only its
// owner and the admins and contributors of the org owning it may call them.
var manages = []string{"PatchApp", "DeleteApp", "ListAppKeys"}

// publicRead is what any PAT may do on a public app.
var publicRead = []string{"Apps:Get", "Models:Get", "Concepts:Get", "Workflows:Get", "Predict"}

type outcome string

const (
	allowed      outcome = "allowed"
	noCreds      outcome = "11102 no credentials"
	keyInvalid   outcome = "11008 key invalid"
	insufficient outcome = "11007 insufficient scopes"
	notFound     outcome = "11101 does not exist"
)

// caller is one row of the matrix: a credential, the app it targets, and
// the facts the written rules need.
type caller struct {
	name      string
	token     string
	target    *pb.UserAppIDSet
	broken    outcome  // noCreds or keyInvalid for bad credentials
	appKeyFor string   // "owner/app" for app keys
	scopes    []string // the token's scopes ("All" for everything)
	grant     []string // the caller's grant on the target; nil = no grant
	manager   bool     // owner, org admin or org contributor of the target
}

func has(set []string, s string) bool { return slices.Contains(set, "All") || slices.Contains(set, s) }

// expect applies the written rules.
func (c caller) expect(method string) outcome {
	if c.broken != "" {
		return c.broken
	}
	required := oracle[method]
	if c.appKeyFor != "" {
		if slices.Contains(patOnly, method) {
			return insufficient
		}
		if c.appKeyFor != c.target.UserId+"/"+c.target.AppId {
			return keyInvalid
		}
	}
	if slices.Contains(userLevel, method) {
		for _, r := range required {
			if !has(c.scopes, r) {
				return insufficient
			}
		}
		return allowed
	}
	if c.grant == nil {
		return notFound
	}
	for _, r := range required {
		if !has(c.scopes, r) || !has(c.grant, r) {
			return insufficient
		}
	}
	if slices.Contains(manages, method) && !c.manager {
		return insufficient
	}
	return allowed
}

// classify reads an outcome from a status.
func classify(s *st.Status) outcome {
	switch s.GetCode() {
	case st.StatusCode_CONN_KEY_INVALID:
		return keyInvalid
	case st.StatusCode_CONN_INSUFFICIENT_SCOPES:
		return insufficient
	case st.StatusCode_CONN_DOES_NOT_EXIST:
		// Only the target app or account being invisible is a refusal; a
		// missing key or collaborator named in the call comes after
		// authorization.
		if strings.HasPrefix(s.GetDetails(), "app ") || strings.HasPrefix(s.GetDetails(), "user ") {
			return notFound
		}
	case st.StatusCode_CONN_INVALID_REQUEST:
		if strings.Contains(s.GetDetails(), "authorization") {
			return noCreds
		}
	}
	return allowed
}

func TestSharingMatrix(t *testing.T) {
	clock := newClock()
	s := startServer(t, withClock(clock))
	alice := s.newUser(t, "alice")
	sam := s.newUser(t, "sam")
	cole := s.newUser(t, "cole")
	olga := s.newUser(t, "olga")
	carl := s.newUser(t, "carl")
	tina := s.newUser(t, "tina")
	remy := s.newUser(t, "remy")

	priv := &pb.UserAppIDSet{UserId: "alice", AppId: "priv"}
	pub := &pb.UserAppIDSet{UserId: "alice", AppId: "pub"}
	vision := &pb.UserAppIDSet{UserId: "acme", AppId: "vision"}
	audio := &pb.UserAppIDSet{UserId: "acme", AppId: "audio"}
	coleGrant := []string{"Apps:Get", "Models:Get", "Concepts:Get", "Predict", "Collaborators:Get", "Collaborators:Add"}
	carlScopes := []string{"Apps:Get", "Models:Get", "Concepts:Get", "Predict", "Keys:Get", "Collaborators:Get", "Workflows:Get"}
	teamScopes := []string{"Apps:Get", "Models:Get", "Concepts:Get", "Predict", "Workflows:Get"}
	orgs := orgsv1.NewOrgsClient(s.conn)

	// reset (re)creates the apps and every grant on them.
	reset := func() {
		for _, id := range []string{"priv", "pub", "other"} {
			s.v2.PostApps(as(alice), &pb.PostAppsRequest{UserAppId: me(), Apps: []*pb.App{{Id: id}}})
		}
		p, err := s.v2.PatchApps(as(alice), &pb.PatchAppsRequest{UserAppId: me(), Apps: []*pb.App{{Id: "pub", Visibility: &pb.Visibility{Gettable: pb.Visibility_PUBLIC}}}})
		wantCode(t, p, err, st.StatusCode_SUCCESS)
		s.v2.PostCollaborators(as(alice), &pb.PostCollaboratorsRequest{UserAppId: priv, Collaborators: []*pb.Collaborator{{User: &pb.User{Id: "cole"}, Scopes: coleGrant}}})
		for _, id := range []string{"vision", "audio"} {
			s.v2.PostApps(as(olga), &pb.PostAppsRequest{UserAppId: &pb.UserAppIDSet{UserId: "acme"}, Apps: []*pb.App{{Id: id}}})
		}
		r, err := orgs.PutTeam(as(olga), &orgsv1.PutTeamRequest{OrgId: "acme", Team: &orgsv1.Team{Id: "t1", Scopes: teamScopes, MemberIds: []string{"tina"}, AppIds: []string{"vision"}}})
		wantCode(t, r, err, st.StatusCode_SUCCESS)
	}
	o, err := orgs.CreateOrg(as(olga), &orgsv1.CreateOrgRequest{Id: "acme"})
	wantCode(t, o, err, st.StatusCode_SUCCESS)
	for user, m := range map[string]*orgsv1.Member{
		"carl": {Role: orgsv1.Role_ORG_CONTRIBUTOR, Scopes: carlScopes},
		"tina": {Role: orgsv1.Role_TEAM_CONTRIBUTOR},
		"remy": {Role: orgsv1.Role_ORG_CONTRIBUTOR, Scopes: carlScopes},
	} {
		m.UserId = user
		r, err := orgs.PutMember(as(olga), &orgsv1.PutMemberRequest{OrgId: "acme", Member: m})
		wantCode(t, r, err, st.StatusCode_SUCCESS)
	}
	reset()
	rm, err := orgs.RemoveMember(as(olga), &orgsv1.RemoveMemberRequest{OrgId: "acme", UserId: "remy"})
	wantCode(t, rm, err, st.StatusCode_SUCCESS)

	pat := func(owner string, scopes ...string) string {
		return s.newKey(t, owner, &pb.Key{Type: "personal_access_token", Scopes: scopes})
	}
	appKey := func(owner, app string) string {
		return s.newKey(t, owner, &pb.Key{Scopes: []string{"All"}, Apps: []*pb.App{{Id: app}}})
	}
	deleted := pat(alice, "All")
	d, err := s.v2.DeleteKey(as(alice), &pb.DeleteKeyRequest{UserAppId: me(), KeyId: deleted})
	wantCode(t, d, err, st.StatusCode_SUCCESS)
	expired := s.newKey(t, alice, &pb.Key{Type: "personal_access_token", Scopes: []string{"All"}, ExpiresAt: timestamppb.New(clock.Now().Add(time.Second))})
	narrowCole := pat(cole, "Apps:Get")
	all := []string{"All"}

	callers := []caller{
		{name: "OwnerPAT", token: alice, target: priv, scopes: all, grant: all, manager: true},
		{name: "OwnerAppKey", token: appKey(alice, "priv"), target: priv, appKeyFor: "alice/priv", scopes: all, grant: all, manager: true},
		{name: "OtherAppKey", token: appKey(alice, "other"), target: priv, appKeyFor: "alice/other", scopes: all, grant: all, manager: true},
		{name: "StrangerPAT", token: sam, target: priv, scopes: all},
		{name: "CollaboratorPAT", token: cole, target: priv, scopes: all, grant: coleGrant},
		{name: "CollaboratorNarrowPAT", token: narrowCole, target: priv, scopes: []string{"Apps:Get"}, grant: coleGrant},
		{name: "OrgAdmin", token: olga, target: vision, scopes: all, grant: all, manager: true},
		{name: "OrgContributor", token: carl, target: audio, scopes: all, grant: carlScopes, manager: true},
		{name: "TeamContributorOnTeamApp", token: tina, target: vision, scopes: all, grant: teamScopes},
		{name: "TeamContributorOnOtherOrgApp", token: tina, target: audio, scopes: all},
		{name: "RemovedMember", token: remy, target: vision, scopes: all},
		{name: "PATOnPublicApp", token: sam, target: pub, scopes: all, grant: publicRead},
		{name: "DeletedKey", token: deleted, target: priv, broken: keyInvalid},
		{name: "ExpiredKey", token: expired, target: priv, broken: keyInvalid},
		{name: "MalformedToken", token: "clvp_not-a-token", target: priv, broken: keyInvalid},
		{name: "NoToken", token: "", target: priv, broken: noCreds},
	}
	// The owner's PAT lacking each method's first scope joins per method.
	clock.Advance(1100 * time.Millisecond) // the expiring key expires on the server's clock

	routes := map[string]restRoute{} // the binding with the most path variables
	for _, r := range gatewayRoutes(t) {
		name := strings.TrimPrefix(r.selector, "clarifai.api.V2.")
		if old, ok := routes[name]; !ok || strings.Count(r.path, "{") > strings.Count(old.path, "{") {
			routes[name] = r
		}
	}

	// DeleteApp goes last, and the owner's own deletion last of all, since an
	// allowed deletion takes the app's keys with it.
	ms := methods()
	slices.SortStableFunc(ms, func(a, b method) int {
		return cmpBool(a.name == "DeleteApp", b.name == "DeleteApp")
	})
	slices.SortStableFunc(callers, func(a, b caller) int { return cmpBool(a.name == "OwnerPAT", b.name == "OwnerPAT") })
	mismatches := 0
	for _, m := range ms {
		if !strings.HasPrefix(m.full, "/clarifai.api.V2/") {
			continue
		}
		rows := callers
		if req := oracle[m.name]; len(req) > 0 {
			lacking := slices.DeleteFunc(slices.Clone(everyScopeAndMore), func(x string) bool { return x == req[0] })
			rows = append(slices.Clone(rows), caller{name: "OwnerPATLacking" + req[0], token: pat(alice, lacking...), target: priv, scopes: lacking, grant: all, manager: true})
		}
		for _, c := range rows {
			want := c.expect(m.name)
			target := c.target
			if slices.Contains(userLevel, m.name) {
				target = &pb.UserAppIDSet{UserId: "me"}
			}
			for _, transport := range []string{"gRPC", "REST"} {
				var got outcome
				if transport == "gRPC" {
					got = classify(s.callAs(t, m, c.token, target))
				} else {
					got = classify(s.restAs(t, routes[m.name], c.token, target))
				}
				if got != want {
					mismatches++
					t.Errorf("%s × %s over %s: got %s, want %s", m.name, c.name, transport, got, want)
				}
				if got == allowed && (m.name == "DeleteApp" || m.name == "DeleteCollaborators") {
					reset()
				}
			}
		}
	}
	t.Logf("matrix: %d mismatches", mismatches)
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// restAs calls a method's REST binding with token (none when empty),
// filling the path's user_app_id from target and other variables with
// placeholders, with an empty JSON body where the binding takes one.
func (s *testServer) restAs(t *testing.T, r restRoute, token string, target *pb.UserAppIDSet) *st.Status {
	t.Helper()
	if r.path == "" {
		t.Fatal("method without a REST binding")
	}
	path := strings.NewReplacer("{user_app_id.user_id}", target.UserId, "{user_app_id.app_id}", target.AppId).Replace(r.path)
	path = pathVar.ReplaceAllString(path, "x1")
	var body any
	if r.body {
		body = map[string]any{}
	}
	resp := rest(t, s, r.method, path, token, body)
	st := &st.Status{Code: st.StatusCode(resp.statusCode())}
	st.Details, _ = resp.status()["details"].(string)
	return st
}

// everyScopeAndMore is every scope the oracle names plus a few, for PATs
// that lack exactly one.
var everyScopeAndMore = append(slices.Clone(everyScope), "Models:Add", "Concepts:Add")

// callAs invokes a method with token (none when empty) and target.
func (s *testServer) callAs(t *testing.T, m method, token string, target *pb.UserAppIDSet) *st.Status {
	t.Helper()
	return s.invoke(t, m, token, func(uai map[string]string) {
		uai["user_id"], uai["app_id"] = target.UserId, target.AppId
	})
}
