package main_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/wrapperspb"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"

	cmd "github.com/clavis-dev/clavis/cmd/clavis"
)

// choose picks a value of a select as a person would, firing its change
// event for the page's script.
func (b *tab) choose(sel, value string) {
	b.t.Helper()
	if !eval[bool](b, `(s => { s.value = "`+value+`"; s.dispatchEvent(new Event("change")); return s.value === "`+value+`" })(document.querySelector('`+sel+`'))`) {
		b.t.Fatalf("%s has no option %q", sel, value)
	}
}

// getKey returns one of the user's keys by id over the API.
func (s *testServer) getKey(t *testing.T, pat, id string) *pb.Key {
	t.Helper()
	r, err := s.v2.GetKey(as(pat), &pb.GetKeyRequest{UserAppId: me(), KeyId: id})
	wantCode(t, r, err, st.StatusCode_SUCCESS)
	return r.GetKey()
}

// TestPortalBrowserTokens walks the token lifecycle in Chromium under an
// expiry policy that came after some keys: the banner and flags on the keys
// that break it, the create form offering only what the policy allows (the
// presets, a custom date within the maximum, no "never"), the allowlist set
// and cleared on a key's page, rotation with a grace period for a PAT and
// at once for an app key, last use and the never-used filter, and the
// audit log page — each step checked over the API.
func TestPortalBrowserTokens(t *testing.T) {
	clock := newClock()
	before := startServer(t, withClock(clock))
	erin := before.newUser(t, "erin")
	before.setPassword(t, "erin", "erin's password", false)
	forever := before.newKey(t, erin, &pb.Key{Type: "personal_access_token", Scopes: []string{"Predict"}, Description: "forever",
		RateLimit: wrapperspb.UInt32(600)})
	before.newApp(t, erin, "photos", false)
	appKey := before.newKey(t, erin, &pb.Key{Type: "app_specific_key", Scopes: []string{"All"}, Description: "uploader",
		Apps: []*pb.App{{Id: "photos", UserId: "erin"}}})
	before.Close()

	const maxDays = 60
	s := startServer(t, withClock(clock), func(c *cmd.Config) {
		c.DataDir = before.dir
		c.PATMaxLifetime = maxDays * 24 * time.Hour
	})
	foreverID, appKeyID := s.keyID(t, erin, forever), s.keyID(t, erin, appKey)
	b := newTab(t, "http://"+s.Addr())
	b.login("erin", "erin's password")

	// The dashboard's banner: the two PATs made before the policy (the
	// default one and "forever") never expire; the app key complies.
	b.open("/apps")
	banner := b.text("#policy-banner")
	if !strings.Contains(banner, "2 of your keys break") || !strings.Contains(banner, "forever") || !strings.Contains(banner, "never expires") || strings.Contains(banner, "uploader") {
		t.Fatalf("the dashboard's banner says %q", banner)
	}
	b.shot("tokens-dashboard-banner")
	b.open("/settings/security")
	if !b.hasText("2 of your keys break") {
		t.Fatal("the security page has no policy banner")
	}
	flagged := eval[[]string](b, `Array.from(document.querySelectorAll("tr.row-warn .cell-title"), (e) => e.textContent)`)
	if slices.Sort(flagged); !slices.Equal(flagged, []string{"default", "forever"}) {
		t.Fatalf("the rows flagged as breaking the policy are %v", flagged)
	}
	if got := b.text(`tr[data-key="` + foreverID + `"] .key-rate`); got != "At most 600 requests a minute" {
		t.Fatalf("the rate limit reads %q", got)
	}
	b.shot("tokens-security-banner")
	b.follow(`a[aria-label="Edit forever"]`)
	if w := b.text("#key-warning"); !strings.Contains(w, "within 60 days") {
		t.Fatalf("the key's page warns %q", w)
	}
	b.open("/settings/security")

	// The create form offers the presets within 60 days and a date, not
	// "no expiry", and says why; the date field shows only for a date.
	b.follow(`a[href="/settings/security/pats/new"]`)
	opts := eval[[]string](b, `Array.from(document.querySelectorAll("#expires option"), (o) => o.value)`)
	if !slices.Equal(opts, []string{"7", "30", "60", "custom"}) {
		t.Fatalf("the expiry choices under a 60-day policy are %v", opts)
	}
	if p := b.text("#expiry-policy"); !strings.Contains(p, "within 60 days") {
		t.Fatalf("the policy is explained as %q", p)
	}
	dateShown := func() bool { return eval[bool](b, `!document.querySelector("[data-expiry-date]").hidden`) }
	if dateShown() {
		t.Fatal("the date field shows before Custom date is chosen")
	}
	b.fill("#description", "nightly")
	b.checkScope("Predict", true)
	b.choose("#expires", "custom")
	if !dateShown() {
		t.Fatal("Custom date does not show the date field")
	}
	// A date past the maximum is refused by the browser, before sending.
	maxDate := clock.Now().UTC().Add(maxDays * 24 * time.Hour).Format(time.DateOnly)
	if got := eval[string](b, `document.querySelector("#expires_date").max`); got != maxDate {
		t.Fatalf("the date field's max is %q, want %s", got, maxDate)
	}
	late := clock.Now().UTC().Add((maxDays + 2) * 24 * time.Hour).Format(time.DateOnly)
	eval[bool](b, `(e => { e.value = "`+late+`"; return true })(document.querySelector("#expires_date"))`)
	if !eval[bool](b, `document.querySelector("#expires_date").validity.rangeOverflow`) {
		t.Fatal("a date past the policy's maximum is not out of range")
	}
	date := clock.Now().UTC().Add(45 * 24 * time.Hour).Format(time.DateOnly)
	eval[bool](b, `(e => { e.value = "`+date+`"; return true })(document.querySelector("#expires_date"))`)
	b.shot("tokens-create-expiry")
	b.follow(`form[action="/settings/security/pats"] button[type="submit"]`)
	nightly := b.copySecret()
	nightlyID := s.keyID(t, erin, nightly)
	k := s.getKey(t, erin, nightlyID)
	if want, _ := time.Parse(time.DateOnly, date); !k.GetExpiresAt().AsTime().Equal(want) {
		t.Fatalf("the custom date gave expires_at %v, want %v", k.GetExpiresAt().AsTime(), want)
	}

	// A 30-day preset with an allowlist that leaves this client out.
	b.open("/settings/security/pats/new")
	b.fill("#description", "fenced")
	b.checkScope("Predict", true)
	b.choose("#expires", "30")
	b.fill("#allowed_cidrs", "192.0.2.0/24\n2001:db8::/32")
	b.follow(`form[action="/settings/security/pats"] button[type="submit"]`)
	fenced := b.copySecret()
	fencedID := s.keyID(t, erin, fenced)
	k = s.getKey(t, erin, fencedID)
	if got, want := k.GetExpiresAt().AsTime(), clock.Now().Add(30*24*time.Hour); got.Sub(want).Abs() > time.Millisecond {
		t.Errorf("the 30-day preset gave expires_at %v, want %v", got, want)
	}
	if !slices.Equal(k.GetAllowedCidrs(), []string{"192.0.2.0/24", "2001:db8::/32"}) {
		t.Fatalf("allowed_cidrs = %v", k.GetAllowedCidrs())
	}
	if _, code := s.myScopesUser(t, fenced); code != st.StatusCode_CONN_KEY_INVALID {
		t.Fatalf("the fenced PAT from 127.0.0.1 answers %v, want CONN_KEY_INVALID", code)
	}
	// Its page: the allowlist is there to change; 127.0.0.1 lets it in,
	// and clearing the field removes the allowlist.
	b.open("/settings/security")
	b.follow(`a[aria-label="Edit fenced"]`)
	if got := b.value("#allowed_cidrs"); got != "192.0.2.0/24\n2001:db8::/32" {
		t.Fatalf("the edit form shows the allowlist as %q", got)
	}
	b.fill("#allowed_cidrs", "127.0.0.1")
	b.shot("tokens-edit-allowlist")
	b.follow(`form[data-scopes] button[type="submit"]`)
	got, code := s.myScopesUser(t, fenced)
	wantScopes(t, got, code, "Predict")
	if c := s.getKey(t, erin, fencedID).GetAllowedCidrs(); !slices.Equal(c, []string{"127.0.0.1/32"}) {
		t.Fatalf("allowed_cidrs after the edit = %v", c)
	}
	b.follow(`a[aria-label="Edit fenced"]`)
	b.fill("#allowed_cidrs", "")
	b.follow(`form[data-scopes] button[type="submit"]`)
	if c := s.getKey(t, erin, fencedID).GetAllowedCidrs(); len(c) != 0 {
		t.Fatalf("allowed_cidrs after clearing the field = %v", c)
	}

	// Rotate "forever" with an hour's grace: the new secret shown once,
	// the old one working until then and listed as rotating.
	b.follow(`a[aria-label="Rotate forever"]`)
	b.click(`input[name="grace"][value="1h"]`)
	b.shot("tokens-rotate")
	b.follow(`main form button[type="submit"]`)
	if old := b.text("#old-secret"); !strings.Contains(old, "keeps working until") {
		t.Fatalf("after the rotation the page says %q of the old secret", old)
	}
	b.shot("tokens-rotated-secret")
	rotated := b.copySecret()
	got, code = s.myScopesUser(t, rotated)
	wantScopes(t, got, code, "Predict")
	if _, code := s.myScopesUser(t, forever); code != st.StatusCode_SUCCESS {
		t.Fatalf("the old secret in its grace period answers %v", code)
	}
	old := s.getKey(t, erin, foreverID)
	b.open("/settings/security")
	row := `tr[data-key="` + foreverID + `"]`
	if got := b.text(row + " .key-expiry"); !strings.Contains(strings.ToLower(got), "rotating") || !strings.Contains(got, "valid until "+old.GetExpiresAt().AsTime().UTC().Format("2006-01-02 15:04 UTC")) {
		t.Fatalf("the rotated-out key's expiry reads %q", got)
	}
	if n := eval[int](b, `document.querySelectorAll('`+row+` a[aria-label^="Rotate"], `+row+` a[aria-label^="Edit"]').length`); n != 0 {
		t.Fatal("the rotated-out key can still be rotated or edited")
	}
	// The new key complies: only the default PAT is left in the banner.
	if banner := b.text("#policy-banner"); !strings.Contains(banner, "1 of your keys breaks") || !strings.Contains(banner, "default") {
		t.Fatalf("after the rotation the banner says %q", banner)
	}

	// Last use: the rotated key, used above, shows its time and address;
	// "Never used" leaves it out.
	if err := s.FlushKeyUse(context.Background()); err != nil {
		t.Fatal(err)
	}
	b.open("/settings/security")
	newRow := `tr[data-key="` + s.keyID(t, erin, rotated) + `"]`
	if got := b.text(newRow + " .last-used"); !strings.Contains(got, "from 127.0.0.1") {
		t.Fatalf("the used key's last use reads %q", got)
	}
	if got := b.text(`tr[data-key="` + nightlyID + `"] .last-used`); !strings.Contains(got, "Never used") {
		t.Fatalf("the unused key's last use reads %q", got)
	}
	b.shot("tokens-security-rotating")
	b.follow(`nav.filters a[href="?unused=never"]`)
	listed := eval[[]string](b, `Array.from(document.querySelectorAll("tr[data-key]"), (r) => r.dataset.key)`)
	if slices.Contains(listed, s.keyID(t, erin, rotated)) || !slices.Contains(listed, nightlyID) {
		t.Fatalf("the never-used filter lists %v", listed)
	}

	// The app key, rotated from its app's page with no grace: the old one
	// stops at once.
	b.open("/apps/erin/photos")
	b.follow(`a[aria-label="Rotate uploader"]`)
	b.click(`input[name="grace"][value="0s"]`)
	b.follow(`main form button[type="submit"]`)
	if old := b.text("#old-secret"); !strings.Contains(old, "stopped working at once") {
		t.Fatalf("after the rotation the page says %q of the old key", old)
	}
	newAppKey := b.copySecret()
	myScopes := func(tok string) st.StatusCode {
		r, err := s.v2.MyScopes(as(tok), &pb.MyScopesRequest{})
		if err != nil {
			t.Fatal(err)
		}
		return r.GetStatus().GetCode()
	}
	if c := myScopes(appKey); c != st.StatusCode_CONN_KEY_INVALID {
		t.Fatalf("the app key rotated with no grace answers %v", c)
	}
	if c := myScopes(newAppKey); c != st.StatusCode_SUCCESS {
		t.Fatalf("the new app key answers %v", c)
	}

	// The audit log: erin's rotations by key id, no secret anywhere;
	// filtered to one event.
	b.open("/settings/audit")
	page := b.text("main")
	for _, secret := range []string{forever, rotated, appKey, newAppKey, nightly, fenced, erin} {
		if strings.Contains(page, secret) {
			t.Fatal("the audit page shows a secret")
		}
	}
	if !strings.Contains(page, foreverID) || !strings.Contains(page, appKeyID) {
		t.Fatal("the audit page does not name the rotated keys by id")
	}
	b.shotTop("tokens-audit")
	b.choose("#event", "key.rotate")
	b.follow(`form.audit-filter button[type="submit"]`)
	events := eval[[]string](b, `Array.from(document.querySelectorAll("tr[data-event]"), (r) => r.dataset.event)`)
	if len(events) != 2 || events[0] != "key.rotate" || events[1] != "key.rotate" {
		t.Fatalf("filtered to key.rotate the page lists %v", events)
	}

	// Past the grace period the old PAT is refused.
	clock.Advance(time.Hour + time.Second)
	if _, code := s.myScopesUser(t, forever); code != st.StatusCode_CONN_KEY_INVALID {
		t.Fatalf("the old secret after its grace period answers %v", code)
	}
}
