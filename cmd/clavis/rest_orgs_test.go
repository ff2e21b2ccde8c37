package main_test

import "testing"

// TestRESTOrganizations manages an organization over REST under /v2/orgs
// and uses an org app through the V2 paths with the org id as user_id.
func TestRESTOrganizations(t *testing.T) {
	s := startServer(t)
	bob := s.newUser(t, "bob")
	rest(t, s, "POST", "/v2/orgs", s.pat, map[string]any{"id": "acme", "name": "Acme"}).want(t, 200, 10000)
	rest(t, s, "POST", "/v2/orgs", s.pat, map[string]any{"id": "bob"}).want(t, 409, 40010)
	rest(t, s, "PUT", "/v2/orgs/acme/members/bob", s.pat, map[string]any{"member": map[string]any{"role": "TEAM_CONTRIBUTOR"}}).want(t, 200, 10000)
	members := rest(t, s, "GET", "/v2/orgs/acme/members", s.pat, nil).want(t, 200, 10000)
	if list, _ := members.body["members"].([]any); len(list) != 2 {
		t.Fatalf("members: %s", members.raw)
	}
	rest(t, s, "POST", "/v2/users/acme/apps", s.pat, map[string]any{"apps": []any{map[string]any{"id": "vision"}, map[string]any{"id": "audio"}}}).want(t, 200, 10000)
	rest(t, s, "PUT", "/v2/orgs/acme/teams/ml", s.pat, map[string]any{"team": map[string]any{
		"scopes": []string{"Apps:Get", "Models:Get", "Concepts:Get", "Predict", "Workflows:Get"}, "member_ids": []string{"bob"}, "app_ids": []string{"vision"},
	}}).want(t, 200, 10000)

	// bob reaches the team's app and nothing else of the org.
	rest(t, s, "GET", "/v2/users/acme/apps/vision", bob, nil).want(t, 200, 10000)
	rest(t, s, "GET", "/v2/users/acme/apps/audio", bob, nil).want(t, 404, 11101)
	listed := rest(t, s, "GET", "/v2/users/acme/apps", bob, nil).want(t, 200, 10000)
	if apps, _ := listed.body["apps"].([]any); len(apps) != 1 {
		t.Fatalf("team contributor lists %s", listed.raw)
	}
	// Only admins change the org; removal holds on the next request.
	rest(t, s, "DELETE", "/v2/orgs/acme/teams/ml", bob, map[string]any{}).want(t, 403, 11007)
	rest(t, s, "DELETE", "/v2/orgs/acme/members/bob", s.pat, map[string]any{}).want(t, 200, 10000)
	rest(t, s, "GET", "/v2/users/acme/apps/vision", bob, nil).want(t, 404, 11101)
	rest(t, s, "GET", "/v2/orgs/acme", bob, nil).want(t, 404, 11101)
	rest(t, s, "DELETE", "/v2/orgs/acme", s.pat, map[string]any{}).want(t, 200, 10000)
}
