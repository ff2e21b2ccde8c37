package postgres_test

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/store/postgres"
	"github.com/clavis-dev/clavis/internal/store/postgres/pgtest"
)

// recorder is a Cache that records the invalidations applied to it.
type recorder struct {
	mu      sync.Mutex
	events  []string
	changed chan struct{} // closed, and replaced, on every event
}

func (r *recorder) add(e string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
	if r.changed != nil {
		close(r.changed)
	}
	r.changed = make(chan struct{})
}

// next returns a channel closed at the next event.
func (r *recorder) next() <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.changed == nil {
		r.changed = make(chan struct{})
	}
	return r.changed
}

func (r *recorder) InvalidateKeys(ids ...string) {
	for _, id := range ids {
		r.add("key:" + id)
	}
}
func (r *recorder) InvalidateUser(id string)        { r.add("user:" + id) }
func (r *recorder) InvalidateApp(ref clavis.AppRef) { r.add("app:" + ref.OwnerID + "/" + ref.AppID) }
func (r *recorder) InvalidateOwner(id string)       { r.add("owner:" + id) }
func (r *recorder) InvalidateAll()                  { r.add("all") }

func (r *recorder) count(e string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, got := range r.events {
		if got == e {
			n++
		}
	}
	return n
}

func (r *recorder) all() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.events...)
}

// waitFor waits until r has seen e at least n times, or fails after 5 s.
func (r *recorder) waitFor(t *testing.T, e string, n int) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		next := r.next() // before counting: an event between the two wakes us
		if r.count(e) >= n {
			return
		}
		select {
		case <-next:
		case <-deadline:
			t.Fatalf("no %q after 5s; saw %v", e, r.all())
		}
	}
}

func notifier(t *testing.T, dsn string) (*postgres.Notifier, *recorder) {
	t.Helper()
	db := open(t, dsn)
	rec := &recorder{}
	n := db.NewNotifier(rec, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err := n.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	return n, rec
}

func TestPostgresNotifier(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	one, rec1 := notifier(t, dsn)
	_, rec2 := notifier(t, dsn)
	_, rec3 := notifier(t, dsn)

	ids := make([]string, 150) // more than one notification's worth
	for i := range ids {
		ids[i] = "k" + time.Duration(i).String()
	}
	one.InvalidateKeys(ids...)
	one.InvalidateUser("bob")
	one.InvalidateApp(clavis.AppRef{OwnerID: "alice", AppID: "photos"})
	one.InvalidateOwner("acme")
	one.InvalidateAll()
	for _, rec := range []*recorder{rec2, rec3} {
		for _, id := range ids {
			rec.waitFor(t, "key:"+id, 1)
		}
		rec.waitFor(t, "user:bob", 1)
		rec.waitFor(t, "app:alice/photos", 1)
		rec.waitFor(t, "owner:acme", 1)
		rec.waitFor(t, "all", 1)
	}
	// The publisher applies its own events once, locally, not again when
	// they come back (they arrived at the others, so they came back too).
	if n := rec1.count("user:bob"); n != 1 {
		t.Errorf("publisher applied its own user event %d times, want 1", n)
	}
}

// TestPostgresNotifierReconnect kills the listeners' connections: each
// reconnects, empties its cache, and receives later events.
func TestPostgresNotifierReconnect(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	one, _ := notifier(t, dsn)
	_, rec := notifier(t, dsn)
	ctx := context.Background()
	before := rec.count("all")
	kill, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer kill.Close()
	if err := postgres.TerminateListeners(ctx, kill); err != nil {
		t.Fatal(err)
	}
	// The listener empties the cache once it listens again: from then on,
	// events flow.
	rec.waitFor(t, "all", before+1)
	one.InvalidateUser("carol")
	rec.waitFor(t, "user:carol", 1)
}

// grantRecorder is a recorder that also caches grants.
type grantRecorder struct{ recorder }

func (r *grantRecorder) InvalidateGrants(owner, app string) { r.add("grant:" + owner + "/" + app) }

// TestPostgresGrantEvents changes grants through the store and checks that
// the database publishes each change as a grant event, which replicas
// caching grants receive and replicas caching none ignore.
func TestPostgresGrantEvents(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	db := open(t, dsn)
	grants := &grantRecorder{}
	gn := db.NewNotifier(grants, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err := gn.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	pub, plain := notifier(t, dsn)

	ctx := context.Background()
	now := time.Now()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range []string{"alice", "bob"} {
		must(db.Users().CreateUser(ctx, &clavis.User{ID: id, CreatedAt: now, UpdatedAt: now}))
	}
	must(db.Orgs().CreateOrg(ctx, &clavis.Org{ID: "acme", CreatedAt: now, UpdatedAt: now}))
	app := &clavis.App{OwnerID: "alice", ID: "photos", Visibility: clavis.VisibilityPrivate, CreatedAt: now, UpdatedAt: now}
	must(db.Apps().CreateApp(ctx, app))
	photos := app.Ref()

	must(db.Collaborators().PutCollaborator(ctx, &clavis.Collaborator{ID: "c1", App: photos, UserID: "bob", Scopes: clavis.MustScopes("Apps:Get"), CreatedAt: now, UpdatedAt: now}))
	app.Name = "Photos" // not a grant change
	must(db.Apps().UpdateApp(ctx, app))
	app.Visibility = clavis.VisibilityPublic
	must(db.Apps().UpdateApp(ctx, app))
	must(db.Collaborators().RemoveCollaborator(ctx, photos, "bob", now))
	must(db.Orgs().PutMember(ctx, &clavis.OrgMember{OrgID: "acme", UserID: "bob", Role: clavis.RoleContributor, Scopes: clavis.MustScopes("Apps:Get"), CreatedAt: now}))
	must(db.Orgs().RemoveMember(ctx, "acme", "bob"))
	// Notifications arrive in commit order: once the barrier is in, every
	// grant event is.
	// Each publisher's barrier reaches the other's listener.
	pub.InvalidateUser("barrier")
	gn.InvalidateUser("barrier")
	grants.waitFor(t, "user:barrier", 2)
	plain.waitFor(t, "user:barrier", 2)

	if n := grants.count("grant:alice/photos"); n != 3 {
		t.Errorf("grant events for alice/photos: %d, want 3 (collaborator added, app made public, collaborator removed): %v", n, grants.all())
	}
	if n := grants.count("grant:acme/"); n != 2 {
		t.Errorf("grant events for org acme: %d, want 2 (member added, member removed): %v", n, grants.all())
	}
	// A replica that caches no grants is not made to empty its cache.
	if n := plain.count("all"); n != 0 {
		t.Errorf("a cache without grants was emptied %d times by grant events", n)
	}
}
