package main_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/timestamppb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"
	adminv1 "github.com/clavis-dev/clavis/api/gen/clavis/admin/v1"
	tokensv1 "github.com/clavis-dev/clavis/api/gen/clavis/tokens/v1"

	cmd "github.com/clavis-dev/clavis/cmd/clavis"
	"github.com/clavis-dev/clavis/internal/store/postgres/pgtest"
)

// engines runs f on a server of each store engine.
func engines(t *testing.T, f func(t *testing.T, mod ...func(*cmd.Config))) {
	t.Run("SQLite", func(t *testing.T) { f(t) })
	t.Run("PostgreSQL", func(t *testing.T) { f(t, onPostgres(pgtest.NewDatabase(t))) })
}

func (s *testServer) audit(t testing.TB, tok string, req *tokensv1.SearchAuditRequest) []*tokensv1.AuditEntry {
	t.Helper()
	resp, err := tokensv1.NewTokensClient(s.conn).SearchAudit(as(tok), req)
	wantCode(t, resp, err, st.StatusCode_SUCCESS)
	return resp.GetEntries()
}

func events(es []*tokensv1.AuditEntry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.GetEvent()
	}
	return out
}

// find returns the newest entry of event about key (any key when "").
func find(es []*tokensv1.AuditEntry, event, key string) *tokensv1.AuditEntry {
	for _, e := range es {
		if e.GetEvent() == event && (key == "" || e.GetKeyId() == key) {
			return e
		}
	}
	return nil
}

// noSecrets fails when any entry holds a token or a long piece of one.
func noSecrets(t *testing.T, es []*tokensv1.AuditEntry, tokens ...string) {
	t.Helper()
	for _, e := range es {
		j := protojson.Format(e)
		for _, tok := range tokens {
			body := strings.TrimPrefix(strings.TrimPrefix(tok, "clvp_"), "clvk_")
			for i := 0; i+8 <= len(body); i += 4 {
				if strings.Contains(j, body[i:i+8]) {
					t.Fatalf("audit entry holds a piece of a secret: %s", j)
				}
			}
		}
	}
}

// mistyped returns tok with its last character changed, to one it is not,
// so that its checksum fails.
func mistyped(tok string) string {
	last := "x"
	if strings.HasSuffix(tok, last) {
		last = "y"
	}
	return tok[:len(tok)-1] + last
}

// TestAuditLog records each kind of event over gRPC and REST, on both
// engines, and reads it back as admins and users may: who, what, when, from
// where, with keys by id and no secret, failures aggregated, old entries
// purged.
func TestAuditLog(t *testing.T) {
	engines(t, func(t *testing.T, mod ...func(*cmd.Config)) {
		clock := newClock()
		s := startServer(t, append(mod, withClock(clock), func(c *cmd.Config) { c.AuditRetention = 30 * 24 * time.Hour })...)
		start := clock.Now().Truncate(time.Microsecond)
		alice := s.newUser(t, "alice")
		s.newUser(t, "bob")

		// Key events over gRPC: create, patch, delete.
		created, err := s.v2.PostKeys(as(alice), &pb.PostKeysRequest{UserAppId: me(), Keys: []*pb.Key{{Type: "personal_access_token", Description: "ci", Scopes: []string{"Predict"}}}})
		wantCode(t, created, err, st.StatusCode_SUCCESS)
		ci := created.GetKeys()[0].GetId()
		list, err := s.v2.ListKeys(as(alice), &pb.ListKeysRequest{UserAppId: me(), Type: "personal_access_token"})
		wantCode(t, list, err, st.StatusCode_SUCCESS)
		var ciID string
		for _, k := range list.GetKeys() {
			if k.GetDescription() == "ci" {
				ciID = k.GetId()
			}
		}
		patched, err := s.v2.PatchKeys(as(alice), &pb.PatchKeysRequest{UserAppId: me(), Action: "overwrite", Keys: []*pb.Key{{Id: ciID, Description: "ci2", Scopes: []string{"Predict", "Models:Get"}}}})
		wantCode(t, patched, err, st.StatusCode_SUCCESS)
		// A delete over REST.
		rest(t, s, http.MethodDelete, "/v2/users/me/keys/"+ciID, alice, nil).want(t, 200, 10000)

		// Sharing and an admin action.
		s.newApp(t, alice, "photos", false)
		rest(t, s, http.MethodPost, "/v2/users/alice/apps/photos/collaborators", alice,
			map[string]any{"collaborators": []any{map[string]any{"user": map[string]any{"id": "bob"}, "scopes": []string{"Predict"}}}}).want(t, 200, 10000)
		dis, err := s.admin.DisableUser(as(s.pat), &adminv1.UserRequest{Id: "bob"})
		wantCode(t, dis, err, st.StatusCode_SUCCESS)

		// Failed credential checks: an expired key twice, a mistyped token once.
		short := s.newKey(t, alice, &pb.Key{Type: "personal_access_token", Scopes: []string{"All"}, ExpiresAt: timestamppb.New(clock.Now().Add(time.Minute))})
		clock.Advance(2 * time.Minute)
		for range 2 {
			r, err := s.v2.GetUser(as(short), &pb.GetUserRequest{UserAppId: me()})
			wantCode(t, r, err, st.StatusCode_CONN_KEY_INVALID)
		}
		bad, err := s.v2.GetUser(as(mistyped(short)), &pb.GetUserRequest{UserAppId: me()})
		wantCode(t, bad, err, st.StatusCode_CONN_KEY_INVALID)
		// A failed portal log-in.
		newBrowserless(t, s).login("alice", "not her password")
		if err := s.FlushAudit(context.Background()); err != nil {
			t.Fatal(err)
		}

		all := s.audit(t, s.pat, &tokensv1.SearchAuditRequest{})
		noSecrets(t, all, s.pat, alice, ci, short)
		c := find(all, "key.create", ciID)
		if c == nil || c.GetActorId() != "alice" || c.GetSubjectId() != "alice" || c.GetSourceIp() != "127.0.0.1" || c.GetReqId() != created.GetStatus().GetReqId() ||
			!c.GetSuccess() || c.GetAt().AsTime().Before(start) || !strings.Contains(c.GetDetails(), "scopes Predict") {
			t.Errorf("key.create = %v", c)
		}
		if p := find(all, "key.patch", ciID); p == nil || !strings.Contains(p.GetDetails(), "Models:Get") {
			t.Errorf("key.patch = %v", p)
		}
		if d := find(all, "key.delete", ciID); d == nil || d.GetSourceIp() != "127.0.0.1" || d.GetActorKeyId() == "" {
			t.Errorf("key.delete (REST) = %v", d)
		}
		if u := find(all, "user.disable", ""); u == nil || u.GetActorId() != "admin" || u.GetSubjectId() != "bob" {
			t.Errorf("user.disable = %v", u)
		}
		if cl := find(all, "collaborator.add", ""); cl == nil || cl.GetSubjectId() != "bob" || cl.GetAppId() != "photos" || cl.GetSourceIp() != "127.0.0.1" {
			t.Errorf("collaborator.add (REST) = %v", cl)
		}
		var shortID string
		for _, e := range all {
			if e.GetEvent() == "key.create" && strings.Contains(e.GetDetails(), "expires") {
				shortID = e.GetKeyId()
			}
		}
		if f := find(all, "auth.failures", shortID); f == nil || f.GetCount() != 2 || f.GetSubjectId() != "alice" || f.GetSourceIp() != "127.0.0.1" ||
			!strings.Contains(f.GetDetails(), "expired") || f.GetUntil() == nil {
			t.Errorf("aggregated failures of the expired key = %v", f)
		}
		if f := find(all, "auth.failures", ""); f == nil {
			t.Error("no entry for the mistyped token")
		}
		if l := find(all, "login", ""); l == nil || l.GetSuccess() || l.GetSubjectId() != "alice" || l.GetSourceIp() != "127.0.0.1" {
			t.Errorf("failed log-in = %v", l)
		}
		if u := find(all, "user.create", ""); u == nil || u.GetActorId() != "admin" {
			t.Errorf("user.create = %v", u)
		}

		// Users read what concerns them; admins choose.
		mine := s.audit(t, alice, &tokensv1.SearchAuditRequest{})
		for _, e := range mine {
			if e.GetActorId() != "alice" && e.GetSubjectId() != "alice" {
				t.Errorf("alice reads an entry of others: %v", e)
			}
		}
		if find(mine, "key.create", ciID) == nil || find(mine, "user.disable", "") != nil {
			t.Errorf("alice's entries: %v", events(mine))
		}
		other, err := tokensv1.NewTokensClient(s.conn).SearchAudit(as(alice), &tokensv1.SearchAuditRequest{UserId: "bob"})
		wantCode(t, other, err, st.StatusCode_CONN_DOES_NOT_EXIST)
		bobs := s.audit(t, s.pat, &tokensv1.SearchAuditRequest{UserId: "bob"})
		if find(bobs, "user.disable", "") == nil || find(bobs, "key.create", ciID) != nil {
			t.Errorf("admin's view of bob: %v", events(bobs))
		}
		failed := s.audit(t, s.pat, &tokensv1.SearchAuditRequest{Success: wrapperspb.Bool(false)})
		for _, e := range failed {
			if e.GetSuccess() {
				t.Errorf("success=false selected %v", e)
			}
		}
		byEvent := s.audit(t, s.pat, &tokensv1.SearchAuditRequest{Events: []string{"key.patch"}})
		if len(byEvent) != 1 {
			t.Errorf("events=[key.patch]: %v", events(byEvent))
		}
		unknown, err := tokensv1.NewTokensClient(s.conn).SearchAudit(as(alice), &tokensv1.SearchAuditRequest{Events: []string{"key.explode"}})
		wantCode(t, unknown, err, st.StatusCode_CONN_INVALID_REQUEST)
		// An app key may not read the audit log, nor a PAT without AuditLogs:Get.
		predictOnly := s.newKey(t, alice, &pb.Key{Type: "personal_access_token", Scopes: []string{"Predict"}})
		denied, err := tokensv1.NewTokensClient(s.conn).SearchAudit(as(predictOnly), &tokensv1.SearchAuditRequest{})
		wantCode(t, denied, err, st.StatusCode_CONN_INSUFFICIENT_SCOPES)

		// The extension over REST.
		r := rest(t, s, http.MethodPost, "/v2/audit/searches", alice, map[string]any{"events": []string{"key.delete"}}).want(t, 200, 10000)
		if es, _ := r.body["entries"].([]any); len(es) != 1 {
			t.Errorf("REST search: %s", r.raw)
		}

		// Clarifai's PostAuditLogSearches, over gRPC and REST: only the
		// events EventType names.
		cr, err := s.v2.PostAuditLogSearches(as(alice), &pb.PostAuditLogSearchesRequest{UserAppId: me()})
		wantCode(t, cr, err, st.StatusCode_SUCCESS)
		ops := map[pb.EventType]bool{}
		for _, e := range cr.GetEntries() {
			ops[e.GetOperation()] = true
			if e.GetOperation() == pb.EventType_EVENT_TYPE_NOT_SET {
				t.Errorf("Clarifai's search returned an event it does not name: %v", e)
			}
		}
		if !ops[pb.EventType_COLLABORATOR_ADD] || !ops[pb.EventType_APPLICATION_CREATE] {
			t.Errorf("operations %v", ops)
		}
		rr := rest(t, s, http.MethodPost, "/v2/users/me/audit_log/searches", alice,
			map[string]any{"query": map[string]any{"operations": []int{700}}}).want(t, 200, 10000)
		es, _ := rr.body["entries"].([]any)
		if len(es) != 1 || !strings.Contains(string(rr.raw), `"source_ip":"127.0.0.1"`) || !strings.Contains(string(rr.raw), `"id":"bob"`) {
			t.Errorf("REST PostAuditLogSearches: %s", rr.raw)
		}

		// Retention: entries older than 30 days go at the next flush.
		clock.Advance(31 * 24 * time.Hour)
		s.newKey(t, alice, &pb.Key{Type: "personal_access_token", Scopes: []string{"Predict"}, Description: "late"})
		if err := s.FlushAudit(context.Background()); err != nil {
			t.Fatal(err)
		}
		left := s.audit(t, s.pat, &tokensv1.SearchAuditRequest{})
		if len(left) != 1 || left[0].GetEvent() != "key.create" || !strings.Contains(left[0].GetDetails(), "Predict") {
			t.Errorf("after the retention period: %v", events(left))
		}
	})
}

// TestAuditOff: with --audit=false a change and a failed credential check
// write no entry, and the entries written before stay searchable.
func TestAuditOff(t *testing.T) {
	s := startServer(t, func(c *cmd.Config) { c.Audit = false })
	before := len(s.audit(t, s.pat, &tokensv1.SearchAuditRequest{}))
	alice := s.newUser(t, "alice")
	k := s.newKey(t, alice, &pb.Key{Type: "personal_access_token", Scopes: []string{"Predict"}})
	r, err := s.v2.GetUser(as(mistyped(k)), &pb.GetUserRequest{UserAppId: me()})
	wantCode(t, r, err, st.StatusCode_CONN_KEY_INVALID)
	if err := s.FlushAudit(context.Background()); err != nil {
		t.Fatal(err)
	}
	if all := s.audit(t, s.pat, &tokensv1.SearchAuditRequest{}); len(all) != before {
		t.Errorf("with the audit log off, %d entries were written: %v", len(all)-before, events(all))
	}
}
