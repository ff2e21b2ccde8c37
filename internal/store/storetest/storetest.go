// Package storetest is the conformance suite every Clavis store engine must
// pass. An engine's tests call Run with a function opening an empty store.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/clavis-dev/clavis/clavis"
)

// Opener returns a new, empty store; it registers its own cleanup.
type Opener func(t *testing.T) clavis.Store

// Run runs the whole suite.
func Run(t *testing.T, open Opener) {
	t.Run("Users", func(t *testing.T) { testUsers(t, open(t)) })
	t.Run("Apps", func(t *testing.T) { testApps(t, open(t)) })
	t.Run("Keys", func(t *testing.T) { testKeys(t, open(t)) })
	t.Run("Counts", func(t *testing.T) { testCounts(t, open(t)) })
	t.Run("Cascade", func(t *testing.T) { testCascade(t, open(t)) })
	t.Run("TxRollback", func(t *testing.T) { testTxRollback(t, open(t)) })
	t.Run("ConcurrentWriters", func(t *testing.T) { testConcurrent(t, open(t)) })
	t.Run("CrossTenant", func(t *testing.T) { testCrossTenant(t, open(t)) })
	t.Run("Collaborators", func(t *testing.T) { testCollaborators(t, open(t)) })
	t.Run("Orgs", func(t *testing.T) { testOrgs(t, open(t)) })
	t.Run("Queries", func(t *testing.T) { testQueries(t, open(t)) })
	t.Run("TouchKeysBatch", func(t *testing.T) { testTouchKeys(t, open(t)) })
	t.Run("Inputs", func(t *testing.T) { testInputs(t, open(t)) })
	t.Run("BlobRefs", func(t *testing.T) { testBlobRefs(t, open(t)) })
	t.Run("AddJobs", func(t *testing.T) { testAddJobs(t, open(t)) })
	t.Run("Purge", func(t *testing.T) { testPurge(t, open(t)) })
	t.Run("InputsCrossTenant", func(t *testing.T) { testInputsCrossTenant(t, open(t)) })
	t.Run("Annotations", func(t *testing.T) { testAnnotations(t, open(t)) })
	t.Run("Concepts", func(t *testing.T) { testConcepts(t, open(t)) })
	t.Run("Jobs", func(t *testing.T) { testJobs(t, open(t)) })
	t.Run("Embeddings", func(t *testing.T) { testEmbeddings(t, open(t)) })
	t.Run("SearchInputs", func(t *testing.T) { testSearchInputs(t, open(t)) })
	t.Run("QueueMissingEmbeddings", func(t *testing.T) { testQueueMissingEmbeddings(t, open(t)) })
	t.Run("ConcurrentClaims", func(t *testing.T) { testConcurrentClaims(t, open(t)) })
	t.Run("Failures", func(t *testing.T) { testFailures(t, open(t)) })
	t.Run("Passwords", func(t *testing.T) { testPasswords(t, open(t)) })
	t.Run("Sessions", func(t *testing.T) { testSessions(t, open(t)) })
	t.Run("LoginThrottle", func(t *testing.T) { testLoginThrottle(t, open(t)) })
	t.Run("Audit", func(t *testing.T) { testAudit(t, open(t)) })
	t.Run("KeyInventory", func(t *testing.T) { testKeyInventory(t, open(t)) })
}

// testFailures checks that Ping answers, and that every failure of the
// database is reported with its aggregate, here with the store closed
// under the calls.
func testFailures(t *testing.T, s clavis.Store) {
	ok(t, s.Ping(ctx))
	fs, reports := s.(interface{ ObserveFailures(func(string)) })
	if !reports {
		t.Fatal("the store does not report its failures: it has no ObserveFailures")
	}
	var mu sync.Mutex
	var got []string
	fs.ObserveFailures(func(aggregate string) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, aggregate)
	})
	user(t, s, "alice")
	ok(t, s.Close())
	if err := s.Ping(ctx); err == nil {
		t.Error("Ping on a closed store succeeded")
	}
	_, err := s.Users().GetUser(ctx, "alice")
	mustCode(t, err, clavis.EInternal)
	_, err = s.Keys().ListKeys(ctx, clavis.KeyFilter{UserID: "alice"}, clavis.Page{})
	mustCode(t, err, clavis.EInternal)
	mustCode(t, s.Orgs().DeleteOrg(ctx, "acme"), clavis.EInternal)
	mustCode(t, s.WithTx(ctx, func(tx clavis.Tx) error { return nil }), clavis.EInternal)
	mu.Lock()
	defer mu.Unlock()
	if want := []string{"users", "keys", "orgs", "tx"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("failures reported for %v, want %v", got, want)
	}
}

var ctx = context.Background()

// now is truncated to microseconds, the precision every engine keeps.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

func mustCode(t *testing.T, err error, want clavis.Code) {
	t.Helper()
	if got := clavis.ErrorCode(err); got != want {
		t.Fatalf("error code = %q (%v), want %q", got, err, want)
	}
}

func ok(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func user(t *testing.T, s clavis.Store, id string) *clavis.User {
	t.Helper()
	u := &clavis.User{ID: id, Email: id + "@example.com", CreatedAt: now(), UpdatedAt: now()}
	ok(t, s.Users().CreateUser(ctx, u))
	return u
}

func app(t *testing.T, s clavis.Store, owner, id string) *clavis.App {
	t.Helper()
	a := &clavis.App{OwnerID: owner, ID: id, Name: id, Visibility: clavis.VisibilityPrivate, CreatedAt: now(), UpdatedAt: now()}
	ok(t, s.Apps().CreateApp(ctx, a))
	return a
}

var keySeq int

func key(t *testing.T, s clavis.Store, userID string, ref *clavis.AppRef) *clavis.Key {
	t.Helper()
	keySeq++
	typ := clavis.KeyTypePAT
	if ref != nil {
		typ = clavis.KeyTypeApp
	}
	k := &clavis.Key{
		ID: fmt.Sprintf("key%04d", keySeq), UserID: userID, Type: typ, App: ref,
		Digest: []byte(fmt.Sprintf("digest-%04d-%s", keySeq, userID)), Hint: "clvp_…abcd",
		Description: "test", Scopes: clavis.MustScopes("Apps:Get", "Predict"), CreatedAt: now().Add(time.Duration(keySeq) * time.Millisecond),
	}
	ok(t, s.Keys().CreateKey(ctx, k))
	return k
}

func testUsers(t *testing.T, s clavis.Store) {
	u := user(t, s, "alice")
	got, err := s.Users().GetUser(ctx, "alice")
	ok(t, err)
	if got.Email != u.Email || !got.CreatedAt.Equal(u.CreatedAt) || got.Admin || got.Disabled {
		t.Fatalf("GetUser = %+v, want %+v", got, u)
	}
	mustCode(t, s.Users().CreateUser(ctx, &clavis.User{ID: "alice", CreatedAt: now(), UpdatedAt: now()}), clavis.EConflict)
	mustCode(t, s.Users().CreateUser(ctx, &clavis.User{ID: "alice2", Email: "ALICE@example.com", CreatedAt: now(), UpdatedAt: now()}), clavis.EConflict)
	byEmail, err := s.Users().GetUserByEmail(ctx, "Alice@Example.com")
	ok(t, err)
	if byEmail.ID != "alice" {
		t.Fatalf("GetUserByEmail = %q", byEmail.ID)
	}
	_, err = s.Users().GetUser(ctx, "nobody")
	mustCode(t, err, clavis.ENotFound)

	got.Admin, got.Disabled, got.UpdatedAt = true, true, now()
	ok(t, s.Users().UpdateUser(ctx, got))
	again, err := s.Users().GetUser(ctx, "alice")
	ok(t, err)
	if !again.Admin || !again.Disabled {
		t.Fatalf("UpdateUser not saved: %+v", again)
	}
	mustCode(t, s.Users().UpdateUser(ctx, &clavis.User{ID: "nobody"}), clavis.ENotFound)

	user(t, s, "bob")
	ok(t, s.Users().CreateUser(ctx, &clavis.User{ID: "sys", System: true, CreatedAt: now(), UpdatedAt: now()}))
	list, err := s.Users().ListUsers(ctx, clavis.Page{})
	ok(t, err)
	if len(list) != 2 || list[0].ID != "alice" || list[1].ID != "bob" {
		t.Fatalf("ListUsers = %v, want alice, bob (system accounts hidden)", ids(list))
	}
	page2, err := s.Users().ListUsers(ctx, clavis.Page{Number: 2, Size: 1})
	ok(t, err)
	if len(page2) != 1 || page2[0].ID != "bob" {
		t.Fatalf("ListUsers page 2 = %v", ids(page2))
	}
	ok(t, s.Users().DeleteUser(ctx, "bob"))
	mustCode(t, s.Users().DeleteUser(ctx, "bob"), clavis.ENotFound)
}

func ids(us []*clavis.User) []string {
	var out []string
	for _, u := range us {
		out = append(out, u.ID)
	}
	return out
}

func testApps(t *testing.T, s clavis.Store) {
	user(t, s, "alice")
	a := app(t, s, "alice", "photos")
	mustCode(t, s.Apps().CreateApp(ctx, &clavis.App{OwnerID: "alice", ID: "photos", Visibility: clavis.VisibilityPrivate, CreatedAt: now(), UpdatedAt: now()}), clavis.EConflict)
	mustCode(t, s.Apps().CreateApp(ctx, &clavis.App{OwnerID: "ghost", ID: "x", Visibility: clavis.VisibilityPrivate, CreatedAt: now(), UpdatedAt: now()}), clavis.EInternal)
	got, err := s.Apps().GetApp(ctx, a.Ref())
	ok(t, err)
	if got.Name != "photos" || got.Visibility != clavis.VisibilityPrivate || !got.CreatedAt.Equal(a.CreatedAt) {
		t.Fatalf("GetApp = %+v", got)
	}
	got.Description, got.Visibility, got.UpdatedAt = "mine", clavis.VisibilityPublic, now()
	ok(t, s.Apps().UpdateApp(ctx, got))
	again, err := s.Apps().GetApp(ctx, a.Ref())
	ok(t, err)
	if again.Description != "mine" || again.Visibility != clavis.VisibilityPublic {
		t.Fatalf("UpdateApp not saved: %+v", again)
	}
	app(t, s, "alice", "a-first")
	list, err := s.Apps().ListApps(ctx, "alice", clavis.Page{})
	ok(t, err)
	if len(list) != 2 || list[0].ID != "a-first" || list[1].ID != "photos" {
		t.Fatalf("ListApps = %d apps", len(list))
	}
	ok(t, s.Apps().DeleteApp(ctx, a.Ref()))
	_, err = s.Apps().GetApp(ctx, a.Ref())
	mustCode(t, err, clavis.ENotFound)
	mustCode(t, s.Apps().DeleteApp(ctx, a.Ref()), clavis.ENotFound)
	mustCode(t, s.Apps().UpdateApp(ctx, a), clavis.ENotFound)
}

func testKeys(t *testing.T, s clavis.Store) {
	user(t, s, "alice")
	app(t, s, "alice", "photos")
	ref := clavis.AppRef{OwnerID: "alice", AppID: "photos"}
	pat := key(t, s, "alice", nil)
	ak := key(t, s, "alice", &ref)

	got, err := s.Keys().GetKey(ctx, pat.ID)
	ok(t, err)
	if got.Type != clavis.KeyTypePAT || got.App != nil || got.Scopes != pat.Scopes || string(got.Digest) != string(pat.Digest) || got.Hint != pat.Hint {
		t.Fatalf("GetKey = %+v", got)
	}
	mine, err := s.Keys().GetUserKey(ctx, "alice", pat.ID)
	ok(t, err)
	if mine.ID != pat.ID || string(mine.Digest) != string(pat.Digest) {
		t.Fatalf("GetUserKey = %+v", mine)
	}
	_, err = s.Keys().GetUserKey(ctx, "bob", pat.ID)
	mustCode(t, err, clavis.ENotFound)
	_, err = s.Keys().GetUserKey(ctx, "alice", "nope")
	mustCode(t, err, clavis.ENotFound)
	if k, err := s.Keys().GetUserKeyByDigest(ctx, "alice", pat.Digest); err != nil || k.ID != pat.ID {
		t.Fatalf("GetUserKeyByDigest = %+v, %v", k, err)
	}
	_, err = s.Keys().GetUserKeyByDigest(ctx, "bob", pat.Digest)
	mustCode(t, err, clavis.ENotFound)
	byDigest, err := s.Keys().GetKeyByDigest(ctx, ak.Digest)
	ok(t, err)
	if byDigest.ID != ak.ID || byDigest.App == nil || *byDigest.App != ref {
		t.Fatalf("GetKeyByDigest = %+v", byDigest)
	}
	_, err = s.Keys().GetKeyByDigest(ctx, []byte("nope"))
	mustCode(t, err, clavis.ENotFound)
	dup := *pat
	dup.ID = "other"
	mustCode(t, s.Keys().CreateKey(ctx, &dup), clavis.EConflict) // same digest
	ghost := &clavis.Key{ID: "ghost", UserID: "alice", Type: clavis.KeyTypeApp, App: &clavis.AppRef{OwnerID: "alice", AppID: "none"}, Digest: []byte("g"), Scopes: clavis.AllScopes(), CreatedAt: now()}
	mustCode(t, s.Keys().CreateKey(ctx, ghost), clavis.ENotFound)

	all, err := s.Keys().ListKeys(ctx, clavis.KeyFilter{UserID: "alice"}, clavis.Page{})
	ok(t, err)
	if len(all) != 2 || all[0].ID != ak.ID {
		t.Fatalf("ListKeys = %d keys, want 2 newest first", len(all))
	}
	apps, err := s.Keys().ListKeys(ctx, clavis.KeyFilter{App: &ref}, clavis.Page{})
	ok(t, err)
	if len(apps) != 1 || apps[0].ID != ak.ID {
		t.Fatalf("ListKeys by app = %d", len(apps))
	}
	pats, err := s.Keys().ListKeys(ctx, clavis.KeyFilter{UserID: "alice", Type: clavis.KeyTypePAT}, clavis.Page{})
	ok(t, err)
	if len(pats) != 1 || pats[0].ID != pat.ID {
		t.Fatalf("ListKeys by type = %d", len(pats))
	}

	got.Description, got.Scopes, got.Endpoints, got.ExpiresAt = "changed", clavis.AllScopes(), []string{"/clarifai.api.V2/GetApp"}, now().Add(-time.Hour)
	got.ReplacedBy, got.RotatedAt, got.AllowCIDRs, got.RateLimit = ak.ID, now(), []string{"192.0.2.0/24", "2001:db8::/32"}, 120
	ok(t, s.Keys().UpdateKey(ctx, got))
	again, err := s.Keys().GetKey(ctx, pat.ID)
	ok(t, err)
	if again.Description != "changed" || !again.Scopes.IsAll() || len(again.Endpoints) != 1 || !again.ExpiresAt.Equal(got.ExpiresAt) ||
		again.ReplacedBy != ak.ID || !again.RotatedAt.Equal(got.RotatedAt) || len(again.AllowCIDRs) != 2 || again.RateLimit != 120 {
		t.Fatalf("UpdateKey not saved: %+v", again)
	}
	live, err := s.Keys().ListKeys(ctx, clavis.KeyFilter{UserID: "alice", NotExpiredAt: now()}, clavis.Page{})
	ok(t, err)
	if len(live) != 1 || live[0].ID != ak.ID {
		t.Fatalf("ListKeys not expired = %d, want only the app key", len(live))
	}

	used := now()
	ok(t, s.Keys().TouchKeys(ctx, map[string]clavis.KeyUse{ak.ID: {At: used, Addr: "2001:db8::7"}, "missing": {At: used}}))
	ok(t, s.Keys().TouchKeys(ctx, map[string]clavis.KeyUse{ak.ID: {At: used.Add(-time.Hour), Addr: "192.0.2.1"}})) // never goes back
	touched, err := s.Keys().GetKey(ctx, ak.ID)
	ok(t, err)
	if !touched.LastUsedAt.Equal(used) || touched.LastUsedAddr != "2001:db8::7" {
		t.Fatalf("last use = %v from %q, want %v from 2001:db8::7", touched.LastUsedAt, touched.LastUsedAddr, used)
	}
	ok(t, s.Keys().DeleteKey(ctx, pat.ID))
	_, err = s.Keys().GetKey(ctx, pat.ID)
	mustCode(t, err, clavis.ENotFound)
	mustCode(t, s.Keys().DeleteKey(ctx, pat.ID), clavis.ENotFound)
}

// testTouchKeys records the last use of many keys in one call.
func testTouchKeys(t *testing.T, s clavis.Store) {
	user(t, s, "alice")
	used := map[string]clavis.KeyUse{}
	var created []*clavis.Key
	for range 50 {
		k := key(t, s, "alice", nil)
		created = append(created, k)
		used[k.ID] = clavis.KeyUse{At: now().Add(time.Duration(len(used)) * time.Second), Addr: fmt.Sprintf("192.0.2.%d", len(used))}
	}
	ok(t, s.Keys().TouchKeys(ctx, used))
	ok(t, s.Keys().TouchKeys(ctx, nil))
	for _, k := range created {
		got, err := s.Keys().GetKey(ctx, k.ID)
		ok(t, err)
		if !got.LastUsedAt.Equal(used[k.ID].At) || got.LastUsedAddr != used[k.ID].Addr {
			t.Fatalf("key %s: last use %v from %q, want %v", k.ID, got.LastUsedAt, got.LastUsedAddr, used[k.ID])
		}
	}
	// The list filters: used before a time, never used.
	fresh := key(t, s, "alice", nil)
	cut := used[created[10].ID].At
	before, err := s.Keys().ListKeys(ctx, clavis.KeyFilter{UserID: "alice", LastUsedBefore: cut}, clavis.Page{})
	ok(t, err)
	if len(before) != 10 {
		t.Errorf("ListKeys last used before the 11th use = %d keys, want 10", len(before))
	}
	never, err := s.Keys().ListKeys(ctx, clavis.KeyFilter{UserID: "alice", NeverUsed: true}, clavis.Page{})
	ok(t, err)
	if len(never) != 1 || never[0].ID != fresh.ID {
		t.Errorf("ListKeys never used = %v, want only %s", keyIDs(never), fresh.ID)
	}
}

func testCascade(t *testing.T, s clavis.Store) {
	user(t, s, "alice")
	app(t, s, "alice", "one")
	app(t, s, "alice", "two")
	one, two := clavis.AppRef{OwnerID: "alice", AppID: "one"}, clavis.AppRef{OwnerID: "alice", AppID: "two"}
	k1 := key(t, s, "alice", &one)
	k2 := key(t, s, "alice", &two)
	pat := key(t, s, "alice", nil)
	ok(t, s.Apps().DeleteApp(ctx, one))
	_, err := s.Keys().GetKey(ctx, k1.ID)
	mustCode(t, err, clavis.ENotFound)
	if _, err := s.Keys().GetKey(ctx, k2.ID); err != nil {
		t.Fatalf("deleting app one removed the key of app two: %v", err)
	}
	ok(t, s.Users().DeleteUser(ctx, "alice"))
	for _, id := range []string{k2.ID, pat.ID} {
		_, err := s.Keys().GetKey(ctx, id)
		mustCode(t, err, clavis.ENotFound)
	}
	_, err = s.Apps().GetApp(ctx, two)
	mustCode(t, err, clavis.ENotFound)
}

func testTxRollback(t *testing.T, s clavis.Store) {
	boom := errors.New("boom")
	err := s.WithTx(ctx, func(tx clavis.Tx) error {
		ok(t, tx.Users().CreateUser(ctx, &clavis.User{ID: "carol", CreatedAt: now(), UpdatedAt: now()}))
		ok(t, tx.Apps().CreateApp(ctx, &clavis.App{OwnerID: "carol", ID: "x", Visibility: clavis.VisibilityPrivate, CreatedAt: now(), UpdatedAt: now()}))
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("WithTx = %v, want boom", err)
	}
	_, err = s.Users().GetUser(ctx, "carol")
	mustCode(t, err, clavis.ENotFound)

	ok(t, s.WithTx(ctx, func(tx clavis.Tx) error {
		if err := tx.Users().CreateUser(ctx, &clavis.User{ID: "carol", CreatedAt: now(), UpdatedAt: now()}); err != nil {
			return err
		}
		return tx.Apps().CreateApp(ctx, &clavis.App{OwnerID: "carol", ID: "x", Visibility: clavis.VisibilityPrivate, CreatedAt: now(), UpdatedAt: now()})
	}))
	if _, err := s.Apps().GetApp(ctx, clavis.AppRef{OwnerID: "carol", AppID: "x"}); err != nil {
		t.Fatalf("committed app missing: %v", err)
	}
}

func testConcurrent(t *testing.T, s clavis.Store) {
	user(t, s, "dave")
	const writers, each = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				err := s.WithTx(ctx, func(tx clavis.Tx) error {
					id := fmt.Sprintf("app-%d-%d", w, i)
					if err := tx.Apps().CreateApp(ctx, &clavis.App{OwnerID: "dave", ID: id, Visibility: clavis.VisibilityPrivate, CreatedAt: now(), UpdatedAt: now()}); err != nil {
						return err
					}
					ref := clavis.AppRef{OwnerID: "dave", AppID: id}
					return tx.Keys().CreateKey(ctx, &clavis.Key{ID: "k-" + id, UserID: "dave", Type: clavis.KeyTypeApp, App: &ref, Digest: []byte("d-" + id), Scopes: clavis.AllScopes(), CreatedAt: now()})
				})
				if err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent write failed: %v", err)
	}
	apps, err := s.Apps().ListApps(ctx, "dave", clavis.Page{Size: clavis.MaxPageSize})
	ok(t, err)
	keys, err := s.Keys().ListKeys(ctx, clavis.KeyFilter{UserID: "dave"}, clavis.Page{Size: clavis.MaxPageSize})
	ok(t, err)
	if len(apps) != writers*each || len(keys) != writers*each {
		t.Fatalf("after concurrent writes: %d apps, %d keys; want %d each", len(apps), len(keys), writers*each)
	}
}

func testCrossTenant(t *testing.T, s clavis.Store) {
	user(t, s, "alice")
	user(t, s, "bob")
	app(t, s, "alice", "same")
	app(t, s, "bob", "same") // app ids are per owner
	key(t, s, "alice", nil)
	bobKey := key(t, s, "bob", nil)
	apps, err := s.Apps().ListApps(ctx, "bob", clavis.Page{})
	ok(t, err)
	if len(apps) != 1 || apps[0].OwnerID != "bob" {
		t.Fatalf("bob's ListApps saw %d apps", len(apps))
	}
	keys, err := s.Keys().ListKeys(ctx, clavis.KeyFilter{UserID: "bob"}, clavis.Page{})
	ok(t, err)
	if len(keys) != 1 || keys[0].ID != bobKey.ID {
		t.Fatalf("bob's ListKeys saw %d keys", len(keys))
	}
	ok(t, s.Apps().DeleteApp(ctx, clavis.AppRef{OwnerID: "bob", AppID: "same"}))
	if _, err := s.Apps().GetApp(ctx, clavis.AppRef{OwnerID: "alice", AppID: "same"}); err != nil {
		t.Fatalf("deleting bob/same touched alice/same: %v", err)
	}
}

// testCounts checks CountApps and CountKeys, in and out of a transaction.
func testCounts(t *testing.T, s clavis.Store) {
	user(t, s, "alice")
	user(t, s, "bob")
	for _, id := range []string{"a1", "a2", "a3"} {
		app(t, s, "alice", id)
	}
	app(t, s, "bob", "b1")
	ref := clavis.AppRef{OwnerID: "alice", AppID: "a1"}
	key(t, s, "alice", nil)
	key(t, s, "alice", &ref)
	key(t, s, "bob", nil)
	n, err := s.Apps().CountApps(ctx, "alice")
	ok(t, err)
	if n != 3 {
		t.Fatalf("CountApps(alice) = %d, want 3", n)
	}
	if n, err = s.Apps().CountApps(ctx, "nobody"); err != nil || n != 0 {
		t.Fatalf("CountApps(nobody) = %d, %v", n, err)
	}
	ok(t, s.WithTx(ctx, func(tx clavis.Tx) error {
		ok(t, tx.Apps().CreateApp(ctx, &clavis.App{OwnerID: "alice", ID: "a4", Visibility: clavis.VisibilityPrivate, CreatedAt: now(), UpdatedAt: now()}))
		n, err := tx.Apps().CountApps(ctx, "alice")
		ok(t, err)
		if n != 4 {
			t.Fatalf("CountApps(alice) in the tx that created a4 = %d, want 4", n)
		}
		k, err := tx.Keys().CountKeys(ctx, "alice")
		ok(t, err)
		if k != 2 {
			t.Fatalf("CountKeys(alice) = %d, want 2", k)
		}
		return nil
	}))
	if n, err = s.Keys().CountKeys(ctx, "bob"); err != nil || n != 1 {
		t.Fatalf("CountKeys(bob) = %d, %v", n, err)
	}
}
