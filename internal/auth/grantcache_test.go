package auth_test

import (
	"context"
	"testing"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/auth"
)

// grantFixture is a store with users alice (the fixture's), bob, carl,
// dave and eve; app alice/photos (private, bob a collaborator),
// alice/gallery (public), eve/notes (bob a collaborator); organization
// acme with carl a contributor and dave a team contributor through team
// t, which holds acme/vision.
type grantFixture struct {
	*fixture
	z *auth.Authorizer
}

func newGrantFixture(t *testing.T) *grantFixture {
	t.Helper()
	ctx := context.Background()
	f := &grantFixture{fixture: newFixture(t)}
	f.z = auth.NewCachedAuthorizer(f.db, f.authn.Grants())
	now := f.now
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range []string{"bob", "carl", "dave", "eve"} {
		must(f.db.Users().CreateUser(ctx, &clavis.User{ID: id, CreatedAt: now, UpdatedAt: now}))
	}
	must(f.db.Orgs().CreateOrg(ctx, &clavis.Org{ID: "acme", CreatedAt: now, UpdatedAt: now}))
	for _, a := range []clavis.App{{OwnerID: "alice", ID: "photos"}, {OwnerID: "alice", ID: "gallery", Visibility: clavis.VisibilityPublic},
		{OwnerID: "eve", ID: "notes"}, {OwnerID: "acme", ID: "vision"}} {
		if a.Visibility == 0 {
			a.Visibility = clavis.VisibilityPrivate
		}
		a.CreatedAt, a.UpdatedAt = now, now
		must(f.db.Apps().CreateApp(ctx, &a))
	}
	for _, ref := range []clavis.AppRef{{OwnerID: "alice", AppID: "photos"}, {OwnerID: "eve", AppID: "notes"}} {
		must(f.db.Collaborators().PutCollaborator(ctx, &clavis.Collaborator{ID: "c-" + ref.AppID, App: ref, UserID: "bob",
			Scopes: clavis.MustScopes("Apps:Get"), CreatedAt: now, UpdatedAt: now}))
	}
	must(f.db.Orgs().PutMember(ctx, &clavis.OrgMember{OrgID: "acme", UserID: "carl", Role: clavis.RoleContributor, Scopes: clavis.AllScopes(), CreatedAt: now}))
	must(f.db.Orgs().PutMember(ctx, &clavis.OrgMember{OrgID: "acme", UserID: "dave", Role: clavis.RoleTeamContributor, CreatedAt: now}))
	must(f.db.Orgs().PutTeam(ctx, &clavis.Team{OrgID: "acme", ID: "t", Scopes: clavis.MustScopes("Apps:Get"), Members: []string{"dave"}, Apps: []string{"vision"}, CreatedAt: now}))
	return f
}

func pat(user string) *clavis.Principal {
	return &clavis.Principal{UserID: user, KeyType: clavis.KeyTypePAT, Scopes: clavis.AllScopes()}
}

// grant returns the error code of p's grant on ref ("" when granted).
func (f *grantFixture) grant(t *testing.T, p *clavis.Principal, owner, app string) clavis.Code {
	t.Helper()
	a, _, _, err := f.z.AppGrant(context.Background(), p, clavis.AppRef{OwnerID: owner, AppID: app})
	if err == nil && (a.OwnerID != owner || a.ID != app) {
		t.Fatalf("AppGrant on %s/%s returned app %s/%s", owner, app, a.OwnerID, a.ID)
	}
	if err != nil && clavis.ErrorCode(err) != clavis.ENotFound {
		t.Fatalf("AppGrant on %s/%s: %v", owner, app, err)
	}
	return clavis.ErrorCode(err)
}

// TestGrantCacheInvalidation checks, for every kind of change to who may
// use an app, that the cache keeps answering from what it loaded (so it
// saves the store its reads) until the change's invalidation, and that
// the answer after it is the store's: access removed is refused on the
// very next call, access granted is given.
func TestGrantCacheInvalidation(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name       string
		who        string
		owner, app string
		before     clavis.Code // the answer cached
		change     func(f *grantFixture) error
		invalidate func(a *auth.Authenticator)
	}{
		{"CollaboratorRemoved", "bob", "alice", "photos", "",
			func(f *grantFixture) error {
				return f.db.Collaborators().RemoveCollaborator(ctx, clavis.AppRef{OwnerID: "alice", AppID: "photos"}, "bob", f.now)
			},
			func(a *auth.Authenticator) { a.InvalidateGrants("alice", "photos") }},
		{"OrgMemberRemoved", "carl", "acme", "vision", "",
			func(f *grantFixture) error { return f.db.Orgs().RemoveMember(ctx, "acme", "carl") },
			func(a *auth.Authenticator) { a.InvalidateGrants("acme", "") }},
		{"TeamMemberRemoved", "dave", "acme", "vision", "",
			func(f *grantFixture) error {
				return f.db.Orgs().PutTeam(ctx, &clavis.Team{OrgID: "acme", ID: "t", Scopes: clavis.MustScopes("Apps:Get"), Apps: []string{"vision"}, CreatedAt: f.now})
			},
			func(a *auth.Authenticator) { a.InvalidateGrants("acme", "") }},
		{"MadePrivate", "bob", "alice", "gallery", "",
			func(f *grantFixture) error {
				return f.db.Apps().UpdateApp(ctx, &clavis.App{OwnerID: "alice", ID: "gallery", Visibility: clavis.VisibilityPrivate, UpdatedAt: f.now})
			},
			func(a *auth.Authenticator) { a.InvalidateGrants("alice", "gallery") }},
		{"AppDeleted", "alice", "alice", "photos", "",
			func(f *grantFixture) error {
				return f.db.Apps().DeleteApp(ctx, clavis.AppRef{OwnerID: "alice", AppID: "photos"})
			},
			func(a *auth.Authenticator) { a.InvalidateApp(clavis.AppRef{OwnerID: "alice", AppID: "photos"}) }},
		{"OrgDeleted", "carl", "acme", "vision", "",
			func(f *grantFixture) error { return f.db.Orgs().DeleteOrg(ctx, "acme") },
			func(a *auth.Authenticator) { a.InvalidateOwner("acme") }},
		{"OwnerDeleted", "bob", "eve", "notes", "",
			func(f *grantFixture) error { return f.db.Users().DeleteUser(ctx, "eve") },
			func(a *auth.Authenticator) { a.InvalidateUser("eve") }},
		{"CallerDeleted", "bob", "alice", "photos", "",
			func(f *grantFixture) error { return f.db.Users().DeleteUser(ctx, "bob") },
			func(a *auth.Authenticator) { a.InvalidateUser("bob") }},
		{"Everything", "bob", "alice", "photos", "",
			func(f *grantFixture) error {
				return f.db.Collaborators().RemoveCollaborator(ctx, clavis.AppRef{OwnerID: "alice", AppID: "photos"}, "bob", f.now)
			},
			func(a *auth.Authenticator) { a.InvalidateAll() }},
		// Refusals are cached too, and go when access is granted.
		{"AppCreated", "bob", "alice", "later", clavis.ENotFound,
			func(f *grantFixture) error {
				return f.db.Apps().CreateApp(ctx, &clavis.App{OwnerID: "alice", ID: "later", Visibility: clavis.VisibilityPublic, CreatedAt: f.now, UpdatedAt: f.now})
			},
			func(a *auth.Authenticator) { a.InvalidateGrants("alice", "later") }},
		{"CollaboratorAdded", "carl", "alice", "photos", clavis.ENotFound,
			func(f *grantFixture) error {
				return f.db.Collaborators().PutCollaborator(ctx, &clavis.Collaborator{ID: "c-carl", App: clavis.AppRef{OwnerID: "alice", AppID: "photos"}, UserID: "carl",
					Scopes: clavis.MustScopes("Apps:Get"), CreatedAt: f.now, UpdatedAt: f.now})
			},
			func(a *auth.Authenticator) { a.InvalidateGrants("alice", "photos") }},
		{"OrgMemberAdded", "bob", "acme", "vision", clavis.ENotFound,
			func(f *grantFixture) error {
				return f.db.Orgs().PutMember(ctx, &clavis.OrgMember{OrgID: "acme", UserID: "bob", Role: clavis.RoleContributor, Scopes: clavis.AllScopes(), CreatedAt: f.now})
			},
			func(a *auth.Authenticator) { a.InvalidateGrants("acme", "") }},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newGrantFixture(t)
			after := clavis.Code(clavis.ENotFound)
			if c.before != "" {
				after = ""
			}
			if got := f.grant(t, pat(c.who), c.owner, c.app); got != c.before {
				t.Fatalf("before the change: %q, want %q", got, c.before)
			}
			if err := c.change(f); err != nil {
				t.Fatal(err)
			}
			if got := f.grant(t, pat(c.who), c.owner, c.app); got != c.before {
				t.Fatalf("after the change, before its invalidation: %q, want the cached %q", got, c.before)
			}
			c.invalidate(f.authn)
			if got := f.grant(t, pat(c.who), c.owner, c.app); got != after {
				t.Fatalf("after the invalidation: %q, want %q", got, after)
			}
		})
	}
}

// TestGrantCacheScope checks that an invalidation drops only what it
// names, that entries expire with the authenticator's TTL, and that app
// keys and PATs of one user are cached apart.
func TestGrantCacheScope(t *testing.T) {
	ctx := context.Background()
	f := newGrantFixture(t)
	bob := pat("bob")
	f.grant(t, bob, "alice", "photos")
	f.grant(t, bob, "alice", "gallery")
	f.grant(t, bob, "eve", "notes")
	if n := f.authn.Grants().Len(); n != 3 {
		t.Fatalf("Len = %d, want 3", n)
	}
	f.authn.InvalidateGrants("alice", "photos")
	if n := f.authn.Grants().Len(); n != 2 {
		t.Fatalf("after dropping one app: Len = %d, want 2", n)
	}
	f.authn.InvalidateGrants("alice", "")
	if n := f.authn.Grants().Len(); n != 1 {
		t.Fatalf("after dropping an owner: Len = %d, want 1", n)
	}
	f.authn.InvalidateKeys("whatever") // tokens only
	if n := f.authn.Grants().Len(); n != 1 {
		t.Fatalf("after dropping a key: Len = %d, want 1", n)
	}

	// The TTL: a change nobody announced is seen once it has passed.
	if err := f.db.Collaborators().RemoveCollaborator(ctx, clavis.AppRef{OwnerID: "eve", AppID: "notes"}, "bob", f.now); err != nil {
		t.Fatal(err)
	}
	if got := f.grant(t, bob, "eve", "notes"); got != "" {
		t.Fatalf("within the TTL: %q, want the cached grant", got)
	}
	f.now = f.now.Add(auth.DefaultCacheTTL)
	if got := f.grant(t, bob, "eve", "notes"); got != clavis.ENotFound {
		t.Fatalf("after the TTL: %q, want ENotFound", got)
	}

	// A public app: a PAT reaches it, an app key of its user does not.
	appKey := &clavis.Principal{UserID: "bob", KeyType: clavis.KeyTypeApp, Scopes: clavis.AllScopes(), App: &clavis.AppRef{OwnerID: "bob", AppID: "mine"}}
	if got := f.grant(t, bob, "alice", "gallery"); got != "" {
		t.Fatalf("PAT on a public app: %q", got)
	}
	if got := f.grant(t, appKey, "alice", "gallery"); got != clavis.ENotFound {
		t.Fatalf("app key on another user's public app: %q, want ENotFound", got)
	}
	if got := f.grant(t, bob, "alice", "gallery"); got != "" {
		t.Fatalf("PAT on a public app after the app key's refusal: %q", got)
	}
}

// TestGrantCacheCopies checks that the app AppGrant returns is the
// caller's: changing it changes no later answer.
func TestGrantCacheCopies(t *testing.T) {
	f := newGrantFixture(t)
	ref := clavis.AppRef{OwnerID: "alice", AppID: "photos"}
	a, _, _, err := f.z.AppGrant(context.Background(), pat("alice"), ref)
	if err != nil {
		t.Fatal(err)
	}
	a.Visibility, a.Description = clavis.VisibilityPublic, "changed"
	b, _, _, err := f.z.AppGrant(context.Background(), pat("alice"), ref)
	if err != nil || b.Visibility != clavis.VisibilityPrivate || b.Description != "" {
		t.Fatalf("second AppGrant = %+v, %v: the first caller's changes leaked", b, err)
	}
}

// racingTx is a store whose GetApp runs hook after reading, as if a
// change and its invalidation came while the authorizer loaded.
type racingTx struct {
	clavis.Tx
	hook  func()
	reads int
}

func (r *racingTx) Apps() clavis.AppStore { return racingApps{r.Tx.Apps(), r} }

type racingApps struct {
	clavis.AppStore
	r *racingTx
}

func (a racingApps) GetApp(ctx context.Context, ref clavis.AppRef) (*clavis.App, error) {
	a.r.reads++
	app, err := a.AppStore.GetApp(ctx, ref)
	if a.r.hook != nil {
		a.r.hook()
	}
	return app, err
}

// TestGrantCacheRace checks that a load an invalidation raced with is not
// kept: it may have read the state from before the change.
func TestGrantCacheRace(t *testing.T) {
	f := newGrantFixture(t)
	tx := &racingTx{Tx: f.db}
	z := auth.NewCachedAuthorizer(tx, f.authn.Grants())
	tx.hook = func() { f.authn.InvalidateGrants("alice", "photos") }
	ref := clavis.AppRef{OwnerID: "alice", AppID: "photos"}
	for range 2 {
		if _, _, _, err := z.AppGrant(context.Background(), pat("alice"), ref); err != nil {
			t.Fatal(err)
		}
	}
	if tx.reads != 2 || f.authn.Grants().Len() != 0 {
		t.Fatalf("%d reads, %d entries; want 2 reads and nothing cached", tx.reads, f.authn.Grants().Len())
	}
	tx.hook = nil
	for range 2 {
		if _, _, _, err := z.AppGrant(context.Background(), pat("alice"), ref); err != nil {
			t.Fatal(err)
		}
	}
	if tx.reads != 3 || f.authn.Grants().Len() != 1 {
		t.Fatalf("%d reads, %d entries; want 3 reads and one entry", tx.reads, f.authn.Grants().Len())
	}
	// Without a cache, every decision reads.
	plain := auth.NewAuthorizer(tx)
	for range 2 {
		if _, _, _, err := plain.AppGrant(context.Background(), pat("alice"), ref); err != nil {
			t.Fatal(err)
		}
	}
	if tx.reads != 5 {
		t.Fatalf("NewAuthorizer: %d reads in all, want 5", tx.reads)
	}
}
