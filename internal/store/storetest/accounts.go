package storetest

import (
	"bytes"
	"sync"
	"testing"
	"time"

	"github.com/clavis-dev/clavis/clavis"
)

func testPasswords(t *testing.T, s clavis.Store) {
	user(t, s, "alice")
	_, err := s.Passwords().GetPassword(ctx, "alice")
	mustCode(t, err, clavis.ENotFound)
	p := &clavis.Password{UserID: "alice", Hash: "$argon2id$first", MustChange: true, UpdatedAt: now()}
	ok(t, s.Passwords().SetPassword(ctx, p))
	got, err := s.Passwords().GetPassword(ctx, "alice")
	ok(t, err)
	if got.Hash != p.Hash || !got.MustChange || !got.UpdatedAt.Equal(p.UpdatedAt) {
		t.Fatalf("GetPassword = %+v, want %+v", got, p)
	}
	p2 := &clavis.Password{UserID: "alice", Hash: "$argon2id$second", UpdatedAt: now()}
	ok(t, s.Passwords().SetPassword(ctx, p2))
	got, err = s.Passwords().GetPassword(ctx, "alice")
	ok(t, err)
	if got.Hash != p2.Hash || got.MustChange {
		t.Fatalf("SetPassword did not replace: %+v", got)
	}
	mustCode(t, s.Passwords().SetPassword(ctx, &clavis.Password{UserID: "ghost", Hash: "x", UpdatedAt: now()}), clavis.ENotFound)
	ok(t, s.Orgs().CreateOrg(ctx, &clavis.Org{ID: "acme", CreatedAt: now(), UpdatedAt: now()}))
	mustCode(t, s.Passwords().SetPassword(ctx, &clavis.Password{UserID: "acme", Hash: "x", UpdatedAt: now()}), clavis.ENotFound)
	ok(t, s.Users().DeleteUser(ctx, "alice"))
	_, err = s.Passwords().GetPassword(ctx, "alice")
	mustCode(t, err, clavis.ENotFound)
}

func session(t *testing.T, s clavis.Store, userID, digest string, created time.Time) *clavis.Session {
	t.Helper()
	se := &clavis.Session{Digest: []byte(digest), UserID: userID, CreatedAt: created, LastSeenAt: created, ExpiresAt: created.Add(time.Hour)}
	ok(t, s.Sessions().CreateSession(ctx, se))
	return se
}

func testSessions(t *testing.T, s clavis.Store) {
	user(t, s, "alice")
	user(t, s, "bob")
	t0 := now()
	a := session(t, s, "alice", "digest-a1", t0)
	a.MustChangePassword = true
	a.Digest = []byte("digest-a2")
	ok(t, s.Sessions().CreateSession(ctx, a))
	session(t, s, "bob", "digest-b1", t0)
	mustCode(t, s.Sessions().CreateSession(ctx, a), clavis.EConflict)
	mustCode(t, s.Sessions().CreateSession(ctx, &clavis.Session{Digest: []byte("g"), UserID: "ghost", CreatedAt: t0, LastSeenAt: t0, ExpiresAt: t0}), clavis.ENotFound)

	got, err := s.Sessions().GetSession(ctx, []byte("digest-a2"))
	ok(t, err)
	if !bytes.Equal(got.Digest, a.Digest) || got.UserID != "alice" || !got.MustChangePassword || !got.CreatedAt.Equal(t0) || !got.ExpiresAt.Equal(t0.Add(time.Hour)) {
		t.Fatalf("GetSession = %+v, want %+v", got, a)
	}
	_, err = s.Sessions().GetSession(ctx, []byte("nope"))
	mustCode(t, err, clavis.ENotFound)

	later := t0.Add(time.Minute)
	ok(t, s.Sessions().TouchSession(ctx, []byte("digest-a1"), later))
	got, err = s.Sessions().GetSession(ctx, []byte("digest-a1"))
	ok(t, err)
	if !got.LastSeenAt.Equal(later) {
		t.Fatalf("TouchSession: LastSeenAt = %v, want %v", got.LastSeenAt, later)
	}
	mustCode(t, s.Sessions().TouchSession(ctx, []byte("nope"), later), clavis.ENotFound)

	ok(t, s.Sessions().DeleteSession(ctx, []byte("digest-a1")))
	mustCode(t, s.Sessions().DeleteSession(ctx, []byte("digest-a1")), clavis.ENotFound)
	ok(t, s.Sessions().DeleteUserSessions(ctx, "alice"))
	ok(t, s.Sessions().DeleteUserSessions(ctx, "alice"))
	_, err = s.Sessions().GetSession(ctx, []byte("digest-a2"))
	mustCode(t, err, clavis.ENotFound)
	if _, err := s.Sessions().GetSession(ctx, []byte("digest-b1")); err != nil {
		t.Fatalf("deleting alice's sessions removed bob's: %v", err)
	}

	// Expiry: absolute end reached, idle too long, and still fresh.
	session(t, s, "alice", "ended", t0.Add(-2*time.Hour))
	idle := session(t, s, "alice", "idle", t0)
	ok(t, s.Sessions().TouchSession(ctx, idle.Digest, t0.Add(-30*time.Minute)))
	fresh := session(t, s, "alice", "fresh", t0)
	ok(t, s.Sessions().DeleteExpiredSessions(ctx, t0, t0.Add(-10*time.Minute)))
	for d, want := range map[string]clavis.Code{"ended": clavis.ENotFound, "idle": clavis.ENotFound, "fresh": "", "digest-b1": ""} {
		_, err := s.Sessions().GetSession(ctx, []byte(d))
		mustCode(t, err, want)
	}
	ok(t, s.Users().DeleteUser(ctx, "alice"))
	_, err = s.Sessions().GetSession(ctx, fresh.Digest)
	mustCode(t, err, clavis.ENotFound)
}

func testLoginThrottle(t *testing.T, s clavis.Store) {
	th := s.LoginThrottle()
	t0 := now()
	since := t0.Add(-time.Hour)
	n, err := th.LoginFailures(ctx, "user:alice", since)
	ok(t, err)
	if n != 0 {
		t.Fatalf("LoginFailures of a new subject = %d", n)
	}
	for i := 1; i <= 3; i++ {
		n, err := th.AddLoginFailure(ctx, "user:alice", t0.Add(time.Duration(i)*time.Second), since)
		ok(t, err)
		if n != i {
			t.Fatalf("AddLoginFailure #%d = %d", i, n)
		}
	}
	if n, err := th.LoginFailures(ctx, "user:alice", since); err != nil || n != 3 {
		t.Fatalf("LoginFailures = %d %v, want 3", n, err)
	}
	if n, err := th.LoginFailures(ctx, "addr:192.0.2.1", since); err != nil || n != 0 {
		t.Fatalf("another subject has %d failures (%v)", n, err)
	}
	// A window that started before since is over: it counts nothing, and
	// the next failure opens a new one.
	after := t0.Add(30 * time.Second)
	if n, err := th.LoginFailures(ctx, "user:alice", after); err != nil || n != 0 {
		t.Fatalf("LoginFailures after the window = %d %v, want 0", n, err)
	}
	n, err = th.AddLoginFailure(ctx, "user:alice", after.Add(time.Second), after)
	ok(t, err)
	if n != 1 {
		t.Fatalf("AddLoginFailure in a new window = %d, want 1", n)
	}
	ok(t, th.ClearLoginFailures(ctx, "user:alice"))
	ok(t, th.ClearLoginFailures(ctx, "user:alice"))
	if n, err := th.LoginFailures(ctx, "user:alice", since); err != nil || n != 0 {
		t.Fatalf("LoginFailures after Clear = %d %v", n, err)
	}

	// Concurrent failures all count.
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := th.AddLoginFailure(ctx, "addr:198.51.100.7", now(), since)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		ok(t, err)
	}
	if n, err := th.LoginFailures(ctx, "addr:198.51.100.7", since); err != nil || n != 20 {
		t.Fatalf("concurrent failures counted %d %v, want 20", n, err)
	}
}
