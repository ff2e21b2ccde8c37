package main_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"
	orgsv1 "github.com/clavis-dev/clavis/api/gen/clavis/orgs/v1"

	cmd "github.com/clavis-dev/clavis/cmd/clavis"
)

var auditRow = regexp.MustCompile(`<tr data-event="`)

// TestPortalTokensRefusals: the lifecycle's forms refuse what the policy
// and the API refuse, with the reason on the form; rotation needs the
// session's anti-forgery token and the caller's own key; the audit page
// shows users only what concerns them, admins everything, by pages; on
// both engines.
func TestPortalTokensRefusals(t *testing.T) {
	engines(t, func(t *testing.T, mod ...func(*cmd.Config)) {
		portalTokensRefusals(t, startServer(t, append(mod, func(c *cmd.Config) { c.PATMaxLifetime = 30 * 24 * time.Hour })...))
	})
}

func portalTokensRefusals(t *testing.T, s *testServer) {
	s.setPassword(t, "admin", "admin password 1", false)
	erin := s.newUser(t, "erin")
	s.setPassword(t, "erin", "erin's password", false)
	bobPAT := s.newUser(t, "bob")
	s.setPassword(t, "bob", "bob's password", false)
	target := s.newKey(t, erin, &pb.Key{Type: "personal_access_token", Scopes: []string{"Predict"}, Description: "target",
		ExpiresAt: timestamppb.New(time.Now().Add(10 * 24 * time.Hour))})
	targetID := s.keyID(t, erin, target)

	e := newBrowserless(t, s)
	wantStatus(t, "erin logs in", e.login("erin", "erin's password"), http.StatusSeeOther)
	const form = "/settings/security/pats/new"
	for _, c := range []struct {
		name string
		form url.Values
		want string
	}{
		{"NoExpiry", url.Values{"expires": {"never"}}, "requires Personal Access Tokens to expire"},
		{"PastTheMaximum", url.Values{"expires": {"custom"}, "expires_date": {time.Now().UTC().Add(40 * 24 * time.Hour).Format(time.DateOnly)}}, "maximum lifetime of 30 days"},
		{"PresetPastTheMaximum", url.Values{"expires": {"60"}}, "maximum lifetime of 30 days"},
		{"NoDate", url.Values{"expires": {"custom"}}, "choose the date"},
		{"NotADate", url.Values{"expires": {"custom"}, "expires_date": {"tomorrow"}}, "is not a date"},
		{"PastDate", url.Values{"expires": {"custom"}, "expires_date": {"2020-01-01"}}, "not in the future"},
		{"UnknownPreset", url.Values{"expires": {"365"}}, "not one of the choices"},
		{"BadCIDR", url.Values{"expires": {"7"}, "allowed_cidrs": {"10.0.0.0/33"}}, "is not an IPv4 or IPv6 address"},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.form.Set("description", "refused "+c.name)
			c.form.Set("scope", "Predict")
			p := e.post("/settings/security/pats", c.form, form)
			wantStatus(t, "create", p, http.StatusBadRequest)
			if !strings.Contains(p.body, c.want) || !strings.Contains(p.body, `id="form-error"`) {
				t.Fatalf("the form does not say %q: %s", c.want, errorText.FindString(p.body))
			}
		})
	}
	if strings.Contains(e.get("/settings/security").body, "refused ") {
		t.Fatal("a refused form created a key")
	}

	// Rotation: a bad grace is refused on the form; without the token, or
	// by another user, nothing is rotated.
	rotate := "/settings/security/pats/" + targetID + "/rotate"
	wantStatus(t, "rotate page", e.get(rotate), http.StatusOK)
	p := e.post(rotate, url.Values{"grace": {"8760h"}}, rotate)
	wantStatus(t, "rotate with a year's grace", p, http.StatusBadRequest)
	p = e.post(rotate, url.Values{"grace": {"1h"}, "csrf": {"forged"}}, "")
	wantStatus(t, "rotate without the token", p, http.StatusForbidden)
	bob := newBrowserless(t, s)
	wantStatus(t, "bob logs in", bob.login("bob", "bob's password"), http.StatusSeeOther)
	wantStatus(t, "bob's rotate page for erin's key", bob.get(rotate), http.StatusNotFound)
	p = bob.post(rotate, url.Values{"grace": {"0s"}}, "/settings/security")
	wantStatus(t, "bob rotates erin's key", p, http.StatusNotFound)
	p = bob.post("/apps/erin/photos/keys/"+targetID+"/rotate", url.Values{"grace": {"0s"}}, "/settings/security")
	wantStatus(t, "bob rotates erin's key as an app key", p, http.StatusNotFound)
	if k := s.getKey(t, erin, targetID); k.GetReplacedBy() != "" {
		t.Fatalf("the key was rotated: replaced by %s", k.GetReplacedBy())
	}
	if _, code := s.myScopesUser(t, target); code != st.StatusCode_SUCCESS {
		t.Fatalf("the key answers %v", code)
	}
	// Erin's own rotation, then the rotated-out key cannot be rotated again.
	p = e.post(rotate, url.Values{"grace": {"0s"}}, rotate)
	wantStatus(t, "rotate", p, http.StatusOK)
	if secretOf(t, p) == target {
		t.Fatal("the rotation shows the old secret")
	}
	wantStatus(t, "rotate page of a rotated-out key", e.get(rotate), http.StatusBadRequest)

	// 60 patches make two pages of erin's audit log.
	for i := range 60 {
		r, err := s.v2.PatchKeys(as(erin), &pb.PatchKeysRequest{UserAppId: me(), Action: "overwrite",
			Keys: []*pb.Key{{Id: s.keyID(t, erin, erin), Description: "default " + string(rune('a'+i%26)), Scopes: []string{"All"}}}})
		wantCode(t, r, err, st.StatusCode_SUCCESS)
	}
	first := e.get("/settings/audit?event=key.patch")
	wantStatus(t, "erin's audit page", first, http.StatusOK)
	if n := len(auditRow.FindAllString(first.body, -1)); n != 50 {
		t.Fatalf("the first page has %d entries, want 50", n)
	}
	next := regexp.MustCompile(`href="(/settings/audit\?[^"]+)" rel="next"`).FindStringSubmatch(first.body)
	if next == nil {
		t.Fatal("the first page has no link to the next")
	}
	second := e.get(strings.ReplaceAll(next[1], "&amp;", "&"))
	if n := len(auditRow.FindAllString(second.body, -1)); n != 10 || !strings.Contains(second.body, `rel="prev"`) || strings.Contains(second.body, `rel="next"`) {
		t.Fatalf("the second page has %d entries (want 10) and links prev %v next %v", n, strings.Contains(second.body, `rel="prev"`), strings.Contains(second.body, `rel="next"`))
	}
	for _, secret := range []string{erin, target, bobPAT} {
		if strings.Contains(first.body, secret) || strings.Contains(second.body, secret) {
			t.Fatal("the audit page shows a secret")
		}
	}

	// Bob sees none of erin's entries, and may not name her.
	bp := bob.get("/settings/audit")
	wantStatus(t, "bob's audit page", bp, http.StatusOK)
	if strings.Contains(bp.body, targetID) || strings.Contains(bp.body, `data-event="key.patch"`) || !strings.Contains(bp.body, `data-event="user.create"`) {
		t.Fatal("bob's audit page shows erin's entries, or not his own")
	}
	wantStatus(t, "bob names erin", bob.get("/settings/audit?user=erin"), http.StatusNotFound)
	wantStatus(t, "a bad date", bob.get("/settings/audit?since=yesterday"), http.StatusBadRequest)
	wantStatus(t, "an unknown event", bob.get("/settings/audit?event=key.steal"), http.StatusBadRequest)

	// The admin sees everyone's entries, or one user's.
	a := newBrowserless(t, s)
	wantStatus(t, "admin logs in", a.login("admin", "admin password 1"), http.StatusSeeOther)
	ap := a.get("/settings/audit?event=key.rotate")
	wantStatus(t, "the admin's audit page", ap, http.StatusOK)
	if !strings.Contains(ap.body, targetID) {
		t.Fatal("the admin does not see erin's rotation")
	}
	ab := a.get("/settings/audit?user=bob")
	if !strings.Contains(ab.body, `data-event="user.create"`) || strings.Contains(ab.body, targetID) {
		t.Fatal("the admin's view of bob's entries is wrong")
	}
}

// TestPortalOrgKeyPolicy: an organization's policy, stricter than the
// server's, governs its members' PAT form, and its stop date is the date
// the banner gives for the keys it stops.
func TestPortalOrgKeyPolicy(t *testing.T) {
	s := startServer(t)
	bob := s.newUser(t, "bob")
	s.setPassword(t, "bob", "bob's password", false)
	oc := orgsv1.NewOrgsClient(s.conn)
	o, err := oc.CreateOrg(as(bob), &orgsv1.CreateOrgRequest{Id: "acme"})
	wantCode(t, o, err, st.StatusCode_SUCCESS)
	// Past the maximum lifetime, so that the stopped keys still break it.
	stop := time.Now().Add(10 * 24 * time.Hour).UTC().Truncate(time.Second)
	p, err := oc.SetKeyPolicy(as(bob), &orgsv1.SetKeyPolicyRequest{OrgId: "acme", Policy: &orgsv1.KeyPolicy{
		PatMaxLifetime: durationpb.New(7 * 24 * time.Hour), StopAt: timestamppb.New(stop)}})
	wantCode(t, p, err, st.StatusCode_SUCCESS)

	b := newBrowserless(t, s)
	wantStatus(t, "bob logs in", b.login("bob", "bob's password"), http.StatusSeeOther)
	apps := b.get("/apps")
	wantStatus(t, "the dashboard", apps, http.StatusOK)
	if !strings.Contains(apps.body, `id="policy-banner"`) || !strings.Contains(apps.body, "stops working on "+stop.Format("2006-01-02 15:04 UTC")) {
		t.Fatalf("the banner does not give the stop date %v: %s", stop, regexp.MustCompile(`(?s)id="policy-banner".*?</ul>`).FindString(apps.body))
	}
	form := b.get("/settings/security/pats/new")
	if got := regexp.MustCompile(`<option value="([^"]+)"`).FindAllStringSubmatch(form.body, -1); len(got) != 2 || got[0][1] != "7" || got[1][1] != "custom" {
		t.Fatalf("the expiry choices under acme's 7-day policy are %v", got)
	}
	if !strings.Contains(form.body, "organization acme") || !strings.Contains(form.body, "within 7 days") {
		t.Fatal("the form does not explain acme's policy")
	}
	refused := b.post("/settings/security/pats", url.Values{"description": {"long"}, "scope": {"Predict"}, "expires": {"30"}}, "/settings/security/pats/new")
	wantStatus(t, "a 30-day PAT under acme's policy", refused, http.StatusBadRequest)
}
