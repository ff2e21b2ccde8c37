package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/clavis-dev/clavis/clavis"
)

func auditIDs(es []*clavis.AuditEntry) []string {
	return idsOf(es, func(e *clavis.AuditEntry) string { return e.ID })
}

// testAudit checks that entries are stored whole, listed by filter in time
// order, kept when what they name is deleted, and purged by age. That the
// database refuses updates is each engine's own test.
func testAudit(t *testing.T, s clavis.Store) {
	a := s.Audit()
	t0 := now()
	app := &clavis.AppRef{OwnerID: "alice", AppID: "main"}
	entries := []*clavis.AuditEntry{
		{ID: "e1", At: t0, Event: clavis.AuditKeyCreate, Success: true, ActorID: "alice", ActorKeyID: "k0", SubjectID: "alice", KeyID: "k1", App: app, Details: "scopes All", SourceIP: "192.0.2.1", ReqID: "r1"},
		{ID: "e2", At: t0.Add(time.Second), Event: clavis.AuditMemberRemove, Success: true, ActorID: "admin", SubjectID: "bob", OrgID: "acme", SourceIP: "2001:db8::1"},
		{ID: "e3", At: t0.Add(2 * time.Second), Event: clavis.AuditAuthFailures, Success: false, SubjectID: "alice", KeyID: "k1", SourceIP: "192.0.2.9", Count: 7, Until: t0.Add(time.Minute)},
		{ID: "e4", At: t0.Add(3 * time.Second), Event: clavis.AuditLogin, Success: false, SourceIP: "192.0.2.9", Details: "unknown account"},
	}
	ok(t, a.AppendAudit(ctx, entries...))
	mustCode(t, a.AppendAudit(ctx, &clavis.AuditEntry{ID: "e1", At: t0, Event: clavis.AuditLogin}), clavis.EConflict)

	all, err := a.ListAudit(ctx, clavis.AuditFilter{}, clavis.Page{})
	ok(t, err)
	if got := auditIDs(all); fmt.Sprint(got) != "[e4 e3 e2 e1]" {
		t.Fatalf("ListAudit = %v, want newest first", got)
	}
	if got := all[3]; got.Event != clavis.AuditKeyCreate || !got.Success || got.ActorID != "alice" || got.ActorKeyID != "k0" ||
		got.SubjectID != "alice" || got.KeyID != "k1" || got.App == nil || *got.App != *app || got.Details != "scopes All" ||
		got.SourceIP != "192.0.2.1" || got.ReqID != "r1" || got.Count != 1 || !got.At.Equal(t0) || !got.Until.IsZero() {
		t.Errorf("stored entry = %+v", got)
	}
	if got := all[1]; got.Count != 7 || !got.Until.Equal(t0.Add(time.Minute)) || got.App != nil {
		t.Errorf("aggregated entry = %+v", got)
	}
	no := false
	for _, c := range []struct {
		name string
		f    clavis.AuditFilter
		want string
	}{
		{"Concerns", clavis.AuditFilter{Concerns: "alice"}, "[e3 e1]"},
		{"ConcernsSubject", clavis.AuditFilter{Concerns: "bob"}, "[e2]"},
		{"ConcernsActor", clavis.AuditFilter{Concerns: "admin"}, "[e2]"},
		{"Since", clavis.AuditFilter{Since: t0.Add(time.Second)}, "[e4 e3 e2]"},
		{"Until", clavis.AuditFilter{Until: t0.Add(time.Second)}, "[e1]"},
		{"Events", clavis.AuditFilter{Events: []clavis.AuditEvent{clavis.AuditLogin, clavis.AuditKeyCreate}}, "[e4 e1]"},
		{"Failed", clavis.AuditFilter{Success: &no}, "[e4 e3]"},
		{"SourceIPs", clavis.AuditFilter{SourceIPs: []string{"192.0.2.9"}}, "[e4 e3]"},
		{"Key", clavis.AuditFilter{KeyID: "k0"}, "[e1]"},
		{"Actors", clavis.AuditFilter{ActorIDs: []string{"admin", "nobody"}}, "[e2]"},
		{"Org", clavis.AuditFilter{OrgID: "acme"}, "[e2]"},
		{"Ascending", clavis.AuditFilter{Concerns: "alice", Ascending: true}, "[e1 e3]"},
	} {
		got, err := a.ListAudit(ctx, c.f, clavis.Page{})
		ok(t, err)
		if fmt.Sprint(auditIDs(got)) != c.want {
			t.Errorf("%s: ListAudit = %v, want %s", c.name, auditIDs(got), c.want)
		}
	}
	page2, err := a.ListAudit(ctx, clavis.AuditFilter{}, clavis.Page{Number: 2, Size: 3})
	ok(t, err)
	if fmt.Sprint(auditIDs(page2)) != "[e1]" {
		t.Errorf("page 2 = %v", auditIDs(page2))
	}

	// An entry outlives what it names.
	user(t, s, "carol")
	ok(t, a.AppendAudit(ctx, &clavis.AuditEntry{ID: "e5", At: t0.Add(4 * time.Second), Event: clavis.AuditUserCreate, ActorID: "admin", SubjectID: "carol", Success: true}))
	ok(t, s.Users().DeleteUser(ctx, "carol"))
	if got, err := a.ListAudit(ctx, clavis.AuditFilter{Concerns: "carol"}, clavis.Page{}); err != nil || len(got) != 1 {
		t.Errorf("entries of a deleted user = %v %v", auditIDs(got), err)
	}

	// Retention: entries older than the cut go, oldest first, in batches.
	n, err := a.PurgeAudit(ctx, t0.Add(2500*time.Millisecond), 2)
	ok(t, err)
	if n != 2 {
		t.Fatalf("PurgeAudit = %d, want 2 (the limit)", n)
	}
	n, err = a.PurgeAudit(ctx, t0.Add(2500*time.Millisecond), 10)
	ok(t, err)
	if n != 1 {
		t.Fatalf("second PurgeAudit = %d, want 1", n)
	}
	rest, err := a.ListAudit(ctx, clavis.AuditFilter{}, clavis.Page{})
	ok(t, err)
	if fmt.Sprint(auditIDs(rest)) != "[e5 e4]" {
		t.Errorf("after purge = %v", auditIDs(rest))
	}
}
