package service_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/auth"
	"github.com/clavis-dev/clavis/internal/inference"
	"github.com/clavis-dev/clavis/internal/service"
	"github.com/clavis-dev/clavis/internal/store/sqlite"
)

// many is more than a page holds: every path below must read past the first
// page of what it reads.
const many = clavis.MaxPageSize + 5

var ctx = context.Background()

// fixture is a service over a fresh SQLite store, with the authenticator
// whose cache the service invalidates.
type fixture struct {
	t     *testing.T
	store *sqlite.DB
	authn *auth.Authenticator
	authz *auth.Authorizer
	svc   *service.Service
	hash  auth.Hasher
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "clavis.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	f := &fixture{t: t, store: db, hash: auth.NewHasher(nil)}
	f.authn = auth.NewAuthenticator(db, auth.AuthnConfig{Hasher: f.hash, CacheTTL: time.Hour})
	f.authz = auth.NewAuthorizer(db)
	f.svc = service.New(service.Config{Store: db, Hasher: f.hash, Invalidator: f.authn, Authorizer: f.authz})
	return f
}

func (f *fixture) must(err error) {
	f.t.Helper()
	if err != nil {
		f.t.Fatal(err)
	}
}

// user creates a user and returns its default PAT.
func (f *fixture) user(id string) string {
	f.t.Helper()
	_, tok, err := f.svc.CreateUser(ctx, service.NewUser{ID: id})
	f.must(err)
	return tok
}

// access authorizes tok for method on the target req names.
func (f *fixture) access(tok, method string, req auth.Request) *auth.Access {
	f.t.Helper()
	p, err := f.authn.Verify(ctx, tok)
	f.must(err)
	acc, err := f.authz.Authorize(ctx, method, p, req)
	f.must(err)
	return acc
}

// app names an app as a request's user_app_id does.
func app(owner, id string) auth.Request { return auth.Request{UserID: owner, AppID: id} }

// bulk runs fn in one transaction of the store.
func (f *fixture) bulk(fn func(tx clavis.Tx) error) { f.t.Helper(); f.must(f.store.WithTx(ctx, fn)) }

func now() time.Time { return time.Now().UTC() }

const (
	v2   = "/clarifai.api.V2/"
	orgs = "/clavis.orgs.v1.Orgs/"
)

// TestDeleteOrgInvalidatesEveryAppKey deletes an org with more apps than a
// page: the cached app key of the last one stops working at once.
func TestDeleteOrgInvalidatesEveryAppKey(t *testing.T) {
	f := newFixture(t)
	ann := f.user("ann")
	_, err := f.svc.CreateOrg(ctx, f.access(ann, orgs+"CreateOrg", auth.Request{}), "acme", "")
	f.must(err)
	tok, err := auth.NewToken(clavis.KeyTypeApp)
	f.must(err)
	last := clavis.AppRef{OwnerID: "acme", AppID: fmt.Sprintf("app-%05d", many-1)}
	f.bulk(func(tx clavis.Tx) error {
		for i := range many {
			if err := tx.Apps().CreateApp(ctx, &clavis.App{OwnerID: "acme", ID: fmt.Sprintf("app-%05d", i), Visibility: clavis.VisibilityPrivate, CreatedAt: now(), UpdatedAt: now()}); err != nil {
				return err
			}
		}
		return tx.Keys().CreateKey(ctx, &clavis.Key{ID: "last-key", UserID: "ann", Type: clavis.KeyTypeApp, App: &last, Digest: f.hash.Digest(tok), Scopes: clavis.AllScopes(), CreatedAt: now()})
	})
	if _, err := f.authn.Verify(ctx, tok); err != nil { // now cached
		t.Fatal(err)
	}
	f.must(f.svc.DeleteOrg(ctx, f.access(ann, orgs+"DeleteOrg", auth.Request{OrgID: "acme"})))
	if _, err := f.authn.Verify(ctx, tok); clavis.ErrorCode(err) != clavis.EUnauthenticated {
		t.Fatalf("the key of the org's last app after DeleteOrg: %v, want EUnauthenticated", err)
	}
}

// TestLastAdminCountsEveryMember lets an admin leave an org whose other
// admin sorts after the first page of members.
func TestLastAdminCountsEveryMember(t *testing.T) {
	f := newFixture(t)
	aaa := f.user("aaa")
	zzz := f.user("zzz")
	_, err := f.svc.CreateOrg(ctx, f.access(aaa, orgs+"CreateOrg", auth.Request{}), "acme", "")
	f.must(err)
	f.bulk(func(tx clavis.Tx) error {
		for i := range many - 1 {
			id := fmt.Sprintf("m%05d", i)
			if err := tx.Users().CreateUser(ctx, &clavis.User{ID: id, CreatedAt: now(), UpdatedAt: now()}); err != nil {
				return err
			}
			if err := tx.Orgs().PutMember(ctx, &clavis.OrgMember{OrgID: "acme", UserID: id, Role: clavis.RoleTeamContributor, CreatedAt: now()}); err != nil {
				return err
			}
		}
		return tx.Orgs().PutMember(ctx, &clavis.OrgMember{OrgID: "acme", UserID: "zzz", Role: clavis.RoleAdmin, Scopes: clavis.AllScopes(), CreatedAt: now()})
	})
	leave := func(tok, id string) error {
		return f.svc.RemoveMember(ctx, f.access(tok, orgs+"RemoveMember", auth.Request{OrgID: "acme", MemberID: id}), id)
	}
	f.must(leave(aaa, "aaa"))
	// zzz is the last admin now.
	err = leave(zzz, "zzz")
	if clavis.ErrorCode(err) != clavis.EInvalid {
		t.Fatalf("removing the last admin: %v, want EInvalid", err)
	}
}

// TestRemoveCollaboratorPastFirstPage removes, by grant id and by user id,
// collaborators that sort after the first page of an app's grants.
func TestRemoveCollaboratorPastFirstPage(t *testing.T) {
	f := newFixture(t)
	alice := f.user("alice")
	photos := clavis.AppRef{OwnerID: "alice", AppID: "photos"}
	f.bulk(func(tx clavis.Tx) error {
		if err := tx.Apps().CreateApp(ctx, &clavis.App{OwnerID: "alice", ID: "photos", Visibility: clavis.VisibilityPrivate, CreatedAt: now(), UpdatedAt: now()}); err != nil {
			return err
		}
		for i := range many {
			id := fmt.Sprintf("u%05d", i)
			if err := tx.Users().CreateUser(ctx, &clavis.User{ID: id, CreatedAt: now(), UpdatedAt: now()}); err != nil {
				return err
			}
			if err := tx.Collaborators().PutCollaborator(ctx, &clavis.Collaborator{ID: "grant-" + id, App: photos, UserID: id, Scopes: clavis.MustScopes("Apps:Get"), CreatedAt: now(), UpdatedAt: now()}); err != nil {
				return err
			}
		}
		return nil
	})
	acc := f.access(alice, v2+"DeleteCollaborators", app("alice", "photos"))
	byGrant, byUser := fmt.Sprintf("u%05d", many-1), fmt.Sprintf("u%05d", many-2)
	f.must(f.svc.RemoveCollaborators(ctx, acc, []string{"grant-" + byGrant, byUser}, nil))
	for _, u := range []string{byGrant, byUser} {
		if _, err := f.store.Collaborators().GetCollaborator(ctx, photos, u); clavis.ErrorCode(err) != clavis.ENotFound {
			t.Errorf("collaborator %s after removal: %v", u, err)
		}
	}
	if err := f.svc.RemoveCollaborators(ctx, acc, []string{"nobody"}, nil); clavis.ErrorCode(err) != clavis.ENotFound {
		t.Errorf("removing a collaborator who is none: %v, want ENotFound", err)
	}
}

// TestTeamContributorListsAppsPastFirstPage lists an org's apps as a team
// contributor whose team app sorts after the first page.
func TestTeamContributorListsAppsPastFirstPage(t *testing.T) {
	f := newFixture(t)
	ann := f.user("ann")
	carol := f.user("carol")
	_, err := f.svc.CreateOrg(ctx, f.access(ann, orgs+"CreateOrg", auth.Request{}), "acme", "")
	f.must(err)
	last := fmt.Sprintf("app-%05d", many-1)
	f.bulk(func(tx clavis.Tx) error {
		for i := range many {
			if err := tx.Apps().CreateApp(ctx, &clavis.App{OwnerID: "acme", ID: fmt.Sprintf("app-%05d", i), Visibility: clavis.VisibilityPrivate, CreatedAt: now(), UpdatedAt: now()}); err != nil {
				return err
			}
		}
		if err := tx.Orgs().PutMember(ctx, &clavis.OrgMember{OrgID: "acme", UserID: "carol", Role: clavis.RoleTeamContributor, CreatedAt: now()}); err != nil {
			return err
		}
		return tx.Orgs().PutTeam(ctx, &clavis.Team{OrgID: "acme", ID: "t", Scopes: clavis.MustScopes("Apps:Get"), Members: []string{"carol"}, Apps: []string{last}, CreatedAt: now()})
	})
	apps, err := f.svc.ListApps(ctx, f.access(carol, v2+"ListApps", auth.Request{UserID: "acme"}), clavis.Page{})
	f.must(err)
	if len(apps) != 1 || apps[0].ID != last {
		t.Fatalf("team contributor's ListApps = %d apps, want only %s", len(apps), last)
	}
}

// TestListKeysFiltersPastFirstPage filters keys by scope and endpoint when
// the one that matches is older than a page of others.
func TestListKeysFiltersPastFirstPage(t *testing.T) {
	f := newFixture(t)
	alice := f.user("alice")
	f.bulk(func(tx clavis.Tx) error {
		for i := range many {
			k := &clavis.Key{ID: fmt.Sprintf("k%05d", i), UserID: "alice", Type: clavis.KeyTypePAT, Digest: []byte(fmt.Sprint("d", i)),
				Scopes: clavis.MustScopes("Apps:Get"), CreatedAt: now().Add(time.Duration(i) * time.Second)}
			if i == 0 { // the oldest: listed last
				k.Scopes, k.Endpoints = clavis.MustScopes("Apps:Get", "Search"), []string{v2 + "GetApp"}
			}
			if err := tx.Keys().CreateKey(ctx, k); err != nil {
				return err
			}
		}
		return nil
	})
	acc := f.access(alice, v2+"ListKeys", auth.Request{})
	for _, c := range []struct {
		scopes, endpoints []string
		want              int // k00000, and the default PAT (All) when no endpoint is asked
	}{{[]string{"Search"}, nil, 2}, {nil, []string{v2 + "GetApp"}, 1}, {[]string{"Apps:Get", "Search"}, []string{v2 + "GetApp"}, 1}} {
		keys, err := f.svc.ListKeys(ctx, acc, service.KeyQuery{Scopes: c.scopes, Endpoints: c.endpoints}, clavis.Page{})
		f.must(err)
		if len(keys) != c.want || keys[0].ID != "k00000" {
			t.Errorf("ListKeys(scopes %v, endpoints %v) = %d keys, want %d, k00000 first", c.scopes, c.endpoints, len(keys), c.want)
		}
	}
	all, err := f.svc.ListKeys(ctx, acc, service.KeyQuery{Scopes: []string{"Apps:Get"}}, clavis.Page{Number: 2, Size: clavis.MaxPageSize})
	f.must(err)
	if want := many + 1 - clavis.MaxPageSize; len(all) != want { // + the default PAT (All)
		t.Errorf("page 2 of keys with Apps:Get = %d, want %d", len(all), want)
	}
}

// TestListModelsFiltersBeforePaging asks for one model of a type per page:
// the filter applies to the whole list, then the page is cut.
func TestListModelsFiltersBeforePaging(t *testing.T) {
	engine := inference.NewEngine(inference.Config{})
	for _, m := range []struct{ id, typ string }{{"a-classifier", clavis.ModelTypeClassifier}, {"b-classifier", clavis.ModelTypeClassifier}, {"c-detector", clavis.ModelTypeDetector}, {"d-detector", clavis.ModelTypeDetector}} {
		engine.Register(clavis.Model{ID: m.id, OwnerID: "clarifai", AppID: "main", TypeID: m.typ, Versions: []clavis.ModelVersion{{ID: "v1"}}}, nil)
	}
	svc := service.New(service.Config{Engine: engine})
	acc := &auth.Access{App: &clavis.App{OwnerID: "clarifai", ID: "main"}}
	for _, c := range []struct {
		typ  string
		page clavis.Page
		want []string
	}{
		{clavis.ModelTypeDetector, clavis.Page{Number: 1, Size: 1}, []string{"c-detector"}},
		{clavis.ModelTypeDetector, clavis.Page{Number: 2, Size: 1}, []string{"d-detector"}},
		{clavis.ModelTypeDetector, clavis.Page{Number: 3, Size: 1}, nil},
		{"", clavis.Page{Number: 2, Size: 3}, []string{"d-detector"}},
		{"no-such-type", clavis.Page{}, nil},
	} {
		var got []string
		for _, m := range svc.ListModels(ctx, acc, c.typ, c.page) {
			got = append(got, m.ID)
		}
		if fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("ListModels(%q, page %d of %d) = %v, want %v", c.typ, c.page.Number, c.page.Size, got, c.want)
		}
	}
}
