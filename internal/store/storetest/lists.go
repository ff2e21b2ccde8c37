package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/clavis-dev/clavis/clavis"
)

// many is more than a page can hold, so that whatever reads a whole list
// must read past the first page.
const many = clavis.MaxPageSize + 5

// testQueries checks the store queries that stand in for reading whole
// lists: counts and filters answered by the database.
func testQueries(t *testing.T, s clavis.Store) {
	user(t, s, "alice")
	ok(t, s.Orgs().CreateOrg(ctx, &clavis.Org{ID: "acme", CreatedAt: now(), UpdatedAt: now()}))

	t.Run("CountMembers", func(t *testing.T) {
		ok(t, s.WithTx(ctx, func(tx clavis.Tx) error {
			for i := range many {
				id := fmt.Sprintf("m%05d", i)
				if err := tx.Users().CreateUser(ctx, &clavis.User{ID: id, CreatedAt: now(), UpdatedAt: now()}); err != nil {
					return err
				}
				role := clavis.RoleTeamContributor
				if i == 0 || i == many-1 { // one admin on each side of the first page
					role = clavis.RoleAdmin
				}
				if err := tx.Orgs().PutMember(ctx, &clavis.OrgMember{OrgID: "acme", UserID: id, Role: role, CreatedAt: now()}); err != nil {
					return err
				}
			}
			return nil
		}))
		for role, want := range map[clavis.OrgRole]int{clavis.RoleAdmin: 2, clavis.RoleTeamContributor: many - 2, clavis.RoleContributor: 0, "": many} {
			n, err := s.Orgs().CountMembers(ctx, "acme", role)
			ok(t, err)
			if n != want {
				t.Errorf("CountMembers(%q) = %d, want %d", role, n, want)
			}
		}
		if n, err := s.Orgs().CountMembers(ctx, "nobody", ""); err != nil || n != 0 {
			t.Errorf("CountMembers of a missing org = %d, %v", n, err)
		}
	})

	t.Run("GetCollaboratorByID", func(t *testing.T) {
		app(t, s, "alice", "photos")
		app(t, s, "alice", "docs")
		photos := clavis.AppRef{OwnerID: "alice", AppID: "photos"}
		docs := clavis.AppRef{OwnerID: "alice", AppID: "docs"}
		ok(t, s.Collaborators().PutCollaborator(ctx, &clavis.Collaborator{ID: "grant-1", App: photos, UserID: "m00001", Scopes: clavis.MustScopes("Apps:Get"), CreatedAt: now(), UpdatedAt: now()}))
		c, err := s.Collaborators().GetCollaboratorByID(ctx, photos, "grant-1")
		ok(t, err)
		if c.UserID != "m00001" || c.App != photos {
			t.Fatalf("GetCollaboratorByID = %+v", c)
		}
		_, err = s.Collaborators().GetCollaboratorByID(ctx, docs, "grant-1") // another app's grant
		mustCode(t, err, clavis.ENotFound)
		_, err = s.Collaborators().GetCollaboratorByID(ctx, photos, "m00001") // a user id is not a grant id
		mustCode(t, err, clavis.ENotFound)
		ok(t, s.Collaborators().RemoveCollaborator(ctx, photos, "m00001", now()))
		_, err = s.Collaborators().GetCollaboratorByID(ctx, photos, "grant-1") // removed
		mustCode(t, err, clavis.ENotFound)
	})

	t.Run("KeyFilter", func(t *testing.T) {
		mk := func(id string, scopes []string, endpoints ...string) {
			t.Helper()
			ok(t, s.Keys().CreateKey(ctx, &clavis.Key{ID: id, UserID: "alice", Type: clavis.KeyTypePAT, Digest: []byte("d-" + id),
				Scopes: clavis.MustScopes(scopes...), Endpoints: endpoints, CreatedAt: now()}))
		}
		mk("all", []string{"All"})
		mk("predict", []string{"Predict", "Models:Get"})
		mk("apps", []string{"Apps:Get"}, "/clarifai.api.V2/GetApp", "/clarifai.api.V2/ListApps")
		mk("apps-get-only", []string{"Apps:Get", "Predict"}, "/clarifai.api.V2/GetApp")
		cases := []struct {
			scopes    []string
			endpoints []string
			want      []string // ids, in any order
		}{
			{[]string{"Predict"}, nil, []string{"all", "predict", "apps-get-only"}},
			{[]string{"Predict", "Models:Get"}, nil, []string{"all", "predict"}},
			{[]string{"All"}, nil, []string{"all"}},
			{nil, []string{"/clarifai.api.V2/GetApp"}, []string{"apps", "apps-get-only"}},
			{nil, []string{"/clarifai.api.V2/GetApp", "/clarifai.api.V2/ListApps"}, []string{"apps"}},
			{nil, []string{"/clarifai.api.v2/getapp"}, nil}, // names match with case
			{nil, []string{"GetApp"}, nil},                  // whole names only
			{[]string{"Apps:Get"}, []string{"/clarifai.api.V2/ListApps"}, []string{"apps"}},
		}
		for _, c := range cases {
			got, err := s.Keys().ListKeys(ctx, clavis.KeyFilter{UserID: "alice", Scopes: clavis.MustScopes(c.scopes...), Endpoints: c.endpoints}, clavis.Page{})
			ok(t, err)
			if !sameIDs(keyIDs(got), c.want) {
				t.Errorf("ListKeys(scopes %v, endpoints %v) = %v, want %v", c.scopes, c.endpoints, keyIDs(got), c.want)
			}
		}
	})

	t.Run("PastTheFirstPage", func(t *testing.T) {
		// Every list pages past MaxPageSize, and All reads them whole.
		ok(t, s.WithTx(ctx, func(tx clavis.Tx) error {
			for i := range many {
				id := fmt.Sprintf("k%05d", i)
				if err := tx.Keys().CreateKey(ctx, &clavis.Key{ID: id, UserID: "m00002", Type: clavis.KeyTypePAT, Digest: []byte("many-" + id), Scopes: clavis.MustScopes("Predict"), CreatedAt: now()}); err != nil {
					return err
				}
			}
			return nil
		}))
		keys, err := clavis.All(func(p clavis.Page) ([]*clavis.Key, error) {
			return s.Keys().ListKeys(ctx, clavis.KeyFilter{UserID: "m00002", Scopes: clavis.MustScopes("Predict")}, p)
		})
		ok(t, err)
		if len(keys) != many {
			t.Fatalf("All(ListKeys) = %d keys, want %d", len(keys), many)
		}
		members, err := clavis.All(func(p clavis.Page) ([]*clavis.OrgMember, error) { return s.Orgs().ListMembers(ctx, "acme", p) })
		ok(t, err)
		if len(members) != many || members[many-1].UserID != fmt.Sprintf("m%05d", many-1) {
			t.Fatalf("All(ListMembers) = %d members", len(members))
		}
		second, err := s.Orgs().ListMembers(ctx, "acme", clavis.Page{Number: 2, Size: clavis.MaxPageSize})
		ok(t, err)
		if len(second) != many-clavis.MaxPageSize {
			t.Fatalf("ListMembers page 2 = %d, want %d", len(second), many-clavis.MaxPageSize)
		}
	})
}

func keyIDs(ks []*clavis.Key) []string {
	var out []string
	for _, k := range ks {
		out = append(out, k.ID)
	}
	return out
}

func sameIDs(got, want []string) bool {
	if len(got) != len(want) {
		return false
	}
	seen := map[string]bool{}
	for _, g := range got {
		seen[g] = true
	}
	for _, w := range want {
		if !seen[w] {
			return false
		}
	}
	return true
}

// testKeyInventory checks the admin's filters over every user's keys and
// the deletion of all keys of a user, an app or an owner's apps at once.
func testKeyInventory(t *testing.T, s clavis.Store) {
	user(t, s, "alice")
	user(t, s, "bob")
	app(t, s, "alice", "one")
	app(t, s, "alice", "two")
	one, two := clavis.AppRef{OwnerID: "alice", AppID: "one"}, clavis.AppRef{OwnerID: "alice", AppID: "two"}
	pa := key(t, s, "alice", nil)
	k1 := key(t, s, "alice", &one)
	k2 := key(t, s, "alice", &two)
	pb := key(t, s, "bob", nil)
	t0 := now()
	// bob's PAT expired and is old; alice's app key one was used.
	pb.ExpiresAt = t0.Add(-time.Minute)
	ok(t, s.Keys().UpdateKey(ctx, pb))
	ok(t, s.Keys().TouchKeys(ctx, map[string]clavis.KeyUse{k1.ID: {At: t0}}))
	for _, c := range []struct {
		name string
		f    clavis.KeyFilter
		want []string
	}{
		{"All", clavis.KeyFilter{}, []string{pa.ID, k1.ID, k2.ID, pb.ID}},
		{"Owner", clavis.KeyFilter{AppOwnerID: "alice"}, []string{k1.ID, k2.ID}},
		{"Expired", clavis.KeyFilter{ExpiredAt: t0}, []string{pb.ID}},
		{"UnusedSince", clavis.KeyFilter{UnusedSince: t0}, []string{pa.ID, k2.ID, pb.ID}},
		{"CreatedBefore", clavis.KeyFilter{CreatedBefore: t0.Add(time.Hour)}, []string{pa.ID, k1.ID, k2.ID, pb.ID}},
		{"CreatedBeforeNone", clavis.KeyFilter{CreatedBefore: t0.Add(-time.Hour)}, nil},
	} {
		got, err := s.Keys().ListKeys(ctx, c.f, clavis.Page{})
		ok(t, err)
		if !sameIDs(keyIDs(got), c.want) {
			t.Errorf("%s: %v, want %v", c.name, keyIDs(got), c.want)
		}
	}
	_, err := s.Keys().DeleteKeys(ctx, clavis.KeyFilter{Type: clavis.KeyTypePAT})
	mustCode(t, err, clavis.EInvalid)
	gone, err := s.Keys().DeleteKeys(ctx, clavis.KeyFilter{App: &one})
	ok(t, err)
	if !sameIDs(keyIDs(gone), []string{k1.ID}) {
		t.Fatalf("DeleteKeys of app one = %v", keyIDs(gone))
	}
	gone, err = s.Keys().DeleteKeys(ctx, clavis.KeyFilter{UserID: "alice"})
	ok(t, err)
	if !sameIDs(keyIDs(gone), []string{pa.ID, k2.ID}) {
		t.Fatalf("DeleteKeys of alice = %v", keyIDs(gone))
	}
	left, err := s.Keys().ListKeys(ctx, clavis.KeyFilter{}, clavis.Page{})
	ok(t, err)
	if !sameIDs(keyIDs(left), []string{pb.ID}) {
		t.Fatalf("left = %v", keyIDs(left))
	}
}
