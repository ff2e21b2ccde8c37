package main_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"
	adminv1 "github.com/clavis-dev/clavis/api/gen/clavis/admin/v1"

	cmd "github.com/clavis-dev/clavis/cmd/clavis"
)

const invalidKey = "Invalid API key or Invalid API key/application pair"

func me() *pb.UserAppIDSet { return &pb.UserAppIDSet{UserId: "me"} }

func TestBootstrap(t *testing.T) {
	s := startServer(t)
	if !strings.HasPrefix(s.pat, "clvp_") {
		t.Fatalf("bootstrap PAT %q", s.pat)
	}
	fi, err := os.Stat(s.dir + "/bootstrap.pat")
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("bootstrap.pat: %v, mode %v", err, fi.Mode())
	}
	b, _ := os.ReadFile(s.dir + "/bootstrap.pat")
	if strings.TrimSpace(string(b)) != s.pat {
		t.Fatal("bootstrap.pat differs from the printed PAT")
	}
	resp, err := s.v2.GetUser(as(s.pat), &pb.GetUserRequest{UserAppId: me()})
	wantCode(t, resp, err, st.StatusCode_SUCCESS)
	if resp.GetUser().GetId() != "admin" {
		t.Fatalf("bootstrap user %q", resp.GetUser().GetId())
	}
	sc, err := s.v2.MyScopesUser(as(s.pat), &pb.MyScopesUserRequest{UserAppId: me()})
	wantCode(t, sc, err, st.StatusCode_SUCCESS)
	if strings.Join(sc.GetScopes(), ",") != "All" {
		t.Fatalf("bootstrap scopes %v", sc.GetScopes())
	}
}

func TestBootstrapOnlyOnce(t *testing.T) {
	dir := t.TempDir()
	s1 := startServer(t, func(c *cmd.Config) { c.DataDir = dir })
	s1.Close()
	s2 := startServer(t, func(c *cmd.Config) { c.DataDir = dir })
	if s2.pat != "" {
		t.Fatal("second start created another bootstrap PAT")
	}
	resp, err := s2.v2.GetUser(as(s1.pat), &pb.GetUserRequest{UserAppId: me()})
	wantCode(t, resp, err, st.StatusCode_SUCCESS)
}

// TestAuthSituations checks each row of DESIGN.md's authentication table.
func TestAuthSituations(t *testing.T) {
	clock := newClock()
	s := startServer(t, withClock(clock))
	s.newApp(t, s.pat, "photos", false)
	appKey := s.newKey(t, s.pat, &pb.Key{Scopes: []string{"All"}, Apps: []*pb.App{{Id: "photos"}}})
	narrow := s.newKey(t, s.pat, &pb.Key{Type: "personal_access_token", Scopes: []string{"Apps:Get"}})
	photos := &pb.UserAppIDSet{UserId: "admin", AppId: "photos"}

	t.Run("NoAuthorization", func(t *testing.T) {
		resp, err := s.v2.ListApps(context.Background(), &pb.ListAppsRequest{UserAppId: me()})
		wantCode(t, resp, err, st.StatusCode_CONN_INVALID_REQUEST)
		if !strings.Contains(resp.GetStatus().GetDetails(), "Key <") {
			t.Fatalf("details should say how to send a key: %q", resp.GetStatus().GetDetails())
		}
	})
	t.Run("NotKeyScheme", func(t *testing.T) {
		ctx := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+s.pat)
		resp, err := s.v2.ListApps(ctx, &pb.ListAppsRequest{UserAppId: me()})
		wantCode(t, resp, err, st.StatusCode_CONN_INVALID_REQUEST)
	})
	for name, tok := range map[string]string{
		"Unknown":  "clvp_" + strings.Repeat("A", 49),
		"Mistyped": s.pat[:20] + "x" + s.pat[21:],
		"Foreign":  "0123456789abcdef0123456789abcdef",
	} {
		t.Run(name, func(t *testing.T) {
			resp, err := s.v2.ListApps(as(tok), &pb.ListAppsRequest{UserAppId: me()})
			wantCode(t, resp, err, st.StatusCode_CONN_KEY_INVALID)
			if resp.GetStatus().GetDescription() != invalidKey {
				t.Fatalf("description %q", resp.GetStatus().GetDescription())
			}
		})
	}
	t.Run("Expired", func(t *testing.T) {
		tok := s.newKey(t, s.pat, &pb.Key{Type: "personal_access_token", Scopes: []string{"All"}, ExpiresAt: timestamppb.New(clock.Now().Add(1500 * time.Millisecond))})
		resp, err := s.v2.ListApps(as(tok), &pb.ListAppsRequest{UserAppId: me()})
		wantCode(t, resp, err, st.StatusCode_SUCCESS)
		clock.Advance(1600 * time.Millisecond) // the token, cached, expires on the server's clock
		resp, err = s.v2.ListApps(as(tok), &pb.ListAppsRequest{UserAppId: me()})
		wantCode(t, resp, err, st.StatusCode_CONN_KEY_INVALID)
		if !strings.Contains(resp.GetStatus().GetDetails(), "expired") {
			t.Fatalf("details %q should say expired", resp.GetStatus().GetDetails())
		}
	})
	t.Run("AppKeyOnPATMethod", func(t *testing.T) {
		resp, err := s.v2.ListApps(as(appKey), &pb.ListAppsRequest{UserAppId: me()})
		wantCode(t, resp, err, st.StatusCode_CONN_INSUFFICIENT_SCOPES)
		if !strings.Contains(resp.GetStatus().GetDetails(), "Personal Access Token") {
			t.Fatalf("details %q", resp.GetStatus().GetDetails())
		}
	})
	t.Run("AppKeyImpliesItsApp", func(t *testing.T) {
		resp, err := s.v2.GetApp(as(appKey), &pb.GetAppRequest{})
		wantCode(t, resp, err, st.StatusCode_SUCCESS)
		if resp.GetApp().GetId() != "photos" || resp.GetApp().GetUserId() != "admin" {
			t.Fatalf("GetApp = %v", resp.GetApp())
		}
		sc, err := s.v2.MyScopes(as(appKey), &pb.MyScopesRequest{})
		wantCode(t, sc, err, st.StatusCode_SUCCESS)
		if sc.GetApp().GetId() != "photos" {
			t.Fatalf("MyScopes app = %v", sc.GetApp())
		}
	})
	t.Run("AppKeyNamingAnotherApp", func(t *testing.T) {
		resp, err := s.v2.GetApp(as(appKey), &pb.GetAppRequest{UserAppId: &pb.UserAppIDSet{UserId: "clarifai", AppId: "main"}})
		wantCode(t, resp, err, st.StatusCode_CONN_KEY_INVALID)
		if resp.GetStatus().GetDescription() != invalidKey || !strings.Contains(resp.GetStatus().GetDetails(), "another app") {
			t.Fatalf("status %v", resp.GetStatus())
		}
	})
	t.Run("MissingScopes", func(t *testing.T) {
		resp, err := s.v2.DeleteApp(as(narrow), &pb.DeleteAppRequest{UserAppId: photos})
		wantCode(t, resp, err, st.StatusCode_CONN_INSUFFICIENT_SCOPES)
		d := resp.GetStatus().GetDetails()
		for _, scope := range []string{"Apps:Add", "Apps:Delete", "Workflows:Get"} {
			if !strings.Contains(d, scope) {
				t.Fatalf("details %q should name %s", d, scope)
			}
		}
	})
	t.Run("PATWithoutAppID", func(t *testing.T) {
		resp, err := s.v2.GetApp(as(s.pat), &pb.GetAppRequest{UserAppId: me()})
		wantCode(t, resp, err, st.StatusCode_CONN_INVALID_REQUEST)
		if !strings.Contains(resp.GetStatus().GetDetails(), "app_id") {
			t.Fatalf("details %q", resp.GetStatus().GetDetails())
		}
	})
}

// TestNoExistenceOracle checks that a private app of another user and a
// missing app get the very same answer.
func TestNoExistenceOracle(t *testing.T) {
	s := startServer(t)
	bob := s.newUser(t, "bob")
	s.newApp(t, s.pat, "secret", false)
	ask := func() *st.Status {
		resp, err := s.v2.GetApp(as(bob), &pb.GetAppRequest{UserAppId: &pb.UserAppIDSet{UserId: "admin", AppId: "secret"}})
		wantCode(t, resp, err, st.StatusCode_CONN_DOES_NOT_EXIST)
		return resp.GetStatus()
	}
	hidden := ask()
	del, err := s.v2.DeleteApp(as(s.pat), &pb.DeleteAppRequest{UserAppId: &pb.UserAppIDSet{UserId: "admin", AppId: "secret"}})
	wantCode(t, del, err, st.StatusCode_SUCCESS)
	missing := ask()
	hidden.ReqId, missing.ReqId = "", ""
	if !proto.Equal(hidden, missing) {
		t.Fatalf("hidden %v != missing %v", hidden, missing)
	}
}

// TestCrossTenant checks that user B's PAT cannot read, list, change or
// delete A's apps or keys, and that A's app key cannot reach A's other app.
func TestCrossTenant(t *testing.T) {
	s := startServer(t)
	alice := s.newUser(t, "alice")
	bob := s.newUser(t, "bob")
	s.newApp(t, alice, "one", false)
	s.newApp(t, alice, "two", false)
	aliceKey := s.newKey(t, alice, &pb.Key{Scopes: []string{"All"}, Apps: []*pb.App{{Id: "one"}}})
	keys, err := s.v2.ListKeys(as(alice), &pb.ListKeysRequest{UserAppId: me()})
	wantCode(t, keys, err, st.StatusCode_SUCCESS)
	var aliceKeyIDs []string
	for _, k := range keys.GetKeys() {
		aliceKeyIDs = append(aliceKeyIDs, k.GetId())
		if strings.HasPrefix(k.GetId(), "clv") {
			t.Fatalf("ListKeys revealed a secret: %q", k.GetId())
		}
	}
	aliceOne := &pb.UserAppIDSet{UserId: "alice", AppId: "one"}

	notFound := st.StatusCode_CONN_DOES_NOT_EXIST
	r1, err := s.v2.GetApp(as(bob), &pb.GetAppRequest{UserAppId: aliceOne})
	wantCode(t, r1, err, notFound)
	r2, err := s.v2.ListApps(as(bob), &pb.ListAppsRequest{UserAppId: &pb.UserAppIDSet{UserId: "alice"}})
	wantCode(t, r2, err, notFound)
	r3, err := s.v2.PatchApp(as(bob), &pb.PatchAppRequest{UserAppId: aliceOne, App: &pb.App{Description: "pwned"}})
	wantCode(t, r3, err, notFound)
	r4, err := s.v2.DeleteApp(as(bob), &pb.DeleteAppRequest{UserAppId: aliceOne})
	wantCode(t, r4, err, notFound)
	r5, err := s.v2.ListAppKeys(as(bob), &pb.ListAppKeysRequest{UserAppId: aliceOne})
	wantCode(t, r5, err, notFound)
	r6, err := s.v2.ListKeys(as(bob), &pb.ListKeysRequest{UserAppId: &pb.UserAppIDSet{UserId: "alice"}})
	wantCode(t, r6, err, notFound)
	r7, err := s.v2.PostKeys(as(bob), &pb.PostKeysRequest{UserAppId: me(), Keys: []*pb.Key{{Scopes: []string{"All"}, Apps: []*pb.App{{Id: "one", UserId: "alice"}}}}})
	wantCode(t, r7, err, notFound)
	r8, err := s.v2.PatchApps(as(bob), &pb.PatchAppsRequest{UserAppId: me(), Apps: []*pb.App{{Id: "one", Description: "pwned"}}})
	wantCode(t, r8, err, notFound) // bob has no app "one"; alice's is untouched
	for _, id := range append(aliceKeyIDs, aliceKey) {
		g, err := s.v2.GetKey(as(bob), &pb.GetKeyRequest{UserAppId: me(), KeyId: id})
		wantCode(t, g, err, notFound)
		p, err := s.v2.PatchKeys(as(bob), &pb.PatchKeysRequest{UserAppId: me(), Keys: []*pb.Key{{Id: id, Scopes: []string{"All"}}}})
		wantCode(t, p, err, notFound)
		d, err := s.v2.DeleteKey(as(bob), &pb.DeleteKeyRequest{UserAppId: me(), KeyId: id})
		wantCode(t, d, err, notFound)
	}
	bk, err := s.v2.ListKeys(as(bob), &pb.ListKeysRequest{UserAppId: me()})
	wantCode(t, bk, err, st.StatusCode_SUCCESS)
	if len(bk.GetKeys()) != 1 {
		t.Fatalf("bob sees %d keys, want only his default PAT", len(bk.GetKeys()))
	}

	// Alice's app key reaches app one and nothing else.
	two, err := s.v2.GetApp(as(aliceKey), &pb.GetAppRequest{UserAppId: &pb.UserAppIDSet{UserId: "alice", AppId: "two"}})
	wantCode(t, two, err, st.StatusCode_CONN_KEY_INVALID)
	main, err := s.v2.ListModels(as(aliceKey), &pb.ListModelsRequest{UserAppId: &pb.UserAppIDSet{UserId: "clarifai", AppId: "main"}})
	wantCode(t, main, err, st.StatusCode_CONN_KEY_INVALID)

	// Alice's things are unchanged.
	g, err := s.v2.GetApp(as(alice), &pb.GetAppRequest{UserAppId: aliceOne})
	wantCode(t, g, err, st.StatusCode_SUCCESS)
	if g.GetApp().GetDescription() != "" {
		t.Fatal("alice's app was changed")
	}
	ok, err := s.v2.GetApp(as(aliceKey), &pb.GetAppRequest{})
	wantCode(t, ok, err, st.StatusCode_SUCCESS)
}

func TestKeyLifecycle(t *testing.T) {
	s := startServer(t)
	s.newApp(t, s.pat, "photos", false)
	resp, err := s.v2.PostKeys(as(s.pat), &pb.PostKeysRequest{UserAppId: me(), Keys: []*pb.Key{
		{Description: "ci", Scopes: []string{"Predict", "Apps:Get"}, Apps: []*pb.App{{Id: "photos", UserId: "me"}}},
	}})
	wantCode(t, resp, err, st.StatusCode_SUCCESS)
	k := resp.GetKeys()[0]
	secret := k.GetId()
	if !strings.HasPrefix(secret, "clvk_") || k.GetType() != "app_specific_key" || k.GetApps()[0].GetId() != "photos" || k.GetHint() == "" {
		t.Fatalf("created key %v", k)
	}
	list, err := s.v2.ListAppKeys(as(s.pat), &pb.ListAppKeysRequest{UserAppId: &pb.UserAppIDSet{UserId: "me", AppId: "photos"}})
	wantCode(t, list, err, st.StatusCode_SUCCESS)
	if len(list.GetKeys()) != 1 || list.GetKeys()[0].GetId() == secret || !strings.HasPrefix(secret, strings.TrimSuffix(list.GetKeys()[0].GetHint()[:5], "…")) {
		t.Fatalf("ListAppKeys = %v", list.GetKeys())
	}
	publicID := list.GetKeys()[0].GetId()
	byToken, err := s.v2.GetKey(as(s.pat), &pb.GetKeyRequest{UserAppId: me(), KeyId: secret})
	wantCode(t, byToken, err, st.StatusCode_SUCCESS)
	if byToken.GetKey().GetId() != publicID {
		t.Fatalf("GetKey by token returned id %q", byToken.GetKey().GetId())
	}

	patched, err := s.v2.PatchKeys(as(s.pat), &pb.PatchKeysRequest{UserAppId: me(), Action: "overwrite", Keys: []*pb.Key{{Id: publicID, Description: "ci2", Scopes: []string{"Apps:Get"}}}})
	wantCode(t, patched, err, st.StatusCode_SUCCESS)
	// The patch is honoured on the very next request.
	sc, err := s.v2.MyScopes(as(secret), &pb.MyScopesRequest{})
	wantCode(t, sc, err, st.StatusCode_SUCCESS)
	if strings.Join(sc.GetScopes(), ",") != "Apps:Get" {
		t.Fatalf("scopes after patch %v", sc.GetScopes())
	}
	del, err := s.v2.DeleteKey(as(s.pat), &pb.DeleteKeyRequest{UserAppId: me(), KeyId: secret})
	wantCode(t, del, err, st.StatusCode_SUCCESS)
	after, err := s.v2.MyScopes(as(secret), &pb.MyScopesRequest{})
	wantCode(t, after, err, st.StatusCode_CONN_KEY_INVALID)

	t.Run("CallerSuppliedID", func(t *testing.T) {
		r, err := s.v2.PostKeys(as(s.pat), &pb.PostKeysRequest{UserAppId: me(), Keys: []*pb.Key{{Id: "mine", Type: "personal_access_token", Scopes: []string{"All"}}}})
		wantCode(t, r, err, st.StatusCode_CONN_INVALID_REQUEST)
	})
	t.Run("UnknownScope", func(t *testing.T) {
		r, err := s.v2.PostKeys(as(s.pat), &pb.PostKeysRequest{UserAppId: me(), Keys: []*pb.Key{{Type: "personal_access_token", Scopes: []string{"Apps:Fly"}}}})
		wantCode(t, r, err, st.StatusCode_CONN_INVALID_REQUEST)
		if !strings.Contains(r.GetStatus().GetDetails(), "Apps:Fly") {
			t.Fatalf("details %q", r.GetStatus().GetDetails())
		}
	})
	t.Run("NoEscalation", func(t *testing.T) {
		minter := s.newKey(t, s.pat, &pb.Key{Type: "personal_access_token", Scopes: []string{"Keys:Add", "Keys:Get", "Apps:Get"}})
		r, err := s.v2.PostKeys(as(minter), &pb.PostKeysRequest{UserAppId: me(), Keys: []*pb.Key{{Type: "personal_access_token", Scopes: []string{"All"}}}})
		wantCode(t, r, err, st.StatusCode_CONN_INSUFFICIENT_SCOPES)
		r, err = s.v2.PostKeys(as(minter), &pb.PostKeysRequest{UserAppId: me(), Keys: []*pb.Key{{Type: "personal_access_token", Scopes: []string{"Apps:Get"}}}})
		wantCode(t, r, err, st.StatusCode_SUCCESS)
		// Patching another key beyond the caller's scopes is refused too.
		p, err := s.v2.PatchKeys(as(minter), &pb.PatchKeysRequest{UserAppId: me(), Keys: []*pb.Key{{Id: r.GetKeys()[0].GetId(), Scopes: []string{"Apps:Delete"}}}})
		wantCode(t, p, err, st.StatusCode_CONN_INSUFFICIENT_SCOPES)
	})
	t.Run("NoOutliving", func(t *testing.T) {
		short := s.newKey(t, s.pat, &pb.Key{Type: "personal_access_token", Scopes: []string{"All"}, ExpiresAt: timestamppb.New(time.Now().Add(time.Hour))})
		r, err := s.v2.PostKeys(as(short), &pb.PostKeysRequest{UserAppId: me(), Keys: []*pb.Key{{Type: "personal_access_token", Scopes: []string{"All"}}}})
		wantCode(t, r, err, st.StatusCode_CONN_INSUFFICIENT_SCOPES)
		r, err = s.v2.PostKeys(as(short), &pb.PostKeysRequest{UserAppId: me(), Keys: []*pb.Key{{Type: "personal_access_token", Scopes: []string{"All"}, ExpiresAt: timestamppb.New(time.Now().Add(30 * time.Minute))}}})
		wantCode(t, r, err, st.StatusCode_SUCCESS)
	})
	t.Run("AllOrNothing", func(t *testing.T) {
		before, _ := s.v2.ListKeys(as(s.pat), &pb.ListKeysRequest{UserAppId: me()})
		r, err := s.v2.PostKeys(as(s.pat), &pb.PostKeysRequest{UserAppId: me(), Keys: []*pb.Key{
			{Type: "personal_access_token", Scopes: []string{"All"}},
			{Type: "personal_access_token", Scopes: []string{"Bogus"}},
		}})
		wantCode(t, r, err, st.StatusCode_CONN_INVALID_REQUEST)
		after, _ := s.v2.ListKeys(as(s.pat), &pb.ListKeysRequest{UserAppId: me()})
		if len(after.GetKeys()) != len(before.GetKeys()) {
			t.Fatal("a failed batch left a key behind")
		}
	})
	t.Run("DeleteAppRevokesItsKeys", func(t *testing.T) {
		s.newApp(t, s.pat, "temp", false)
		k := s.newKey(t, s.pat, &pb.Key{Scopes: []string{"All"}, Apps: []*pb.App{{Id: "temp"}}})
		ok, err := s.v2.GetApp(as(k), &pb.GetAppRequest{})
		wantCode(t, ok, err, st.StatusCode_SUCCESS)
		d, err := s.v2.DeleteApp(as(s.pat), &pb.DeleteAppRequest{UserAppId: &pb.UserAppIDSet{UserId: "me", AppId: "temp"}})
		wantCode(t, d, err, st.StatusCode_SUCCESS)
		gone, err := s.v2.GetApp(as(k), &pb.GetAppRequest{})
		wantCode(t, gone, err, st.StatusCode_CONN_KEY_INVALID)
	})
}

func TestApps(t *testing.T) {
	s := startServer(t)
	r, err := s.v2.PostApps(as(s.pat), &pb.PostAppsRequest{UserAppId: me(), Apps: []*pb.App{{Id: "a1", Name: "First", Description: "d"}, {Id: "a2"}}})
	wantCode(t, r, err, st.StatusCode_SUCCESS)
	if r.GetApps()[0].GetName() != "First" || r.GetApps()[1].GetName() != "a2" || r.GetApps()[0].GetUserId() != "admin" || r.GetApps()[0].GetVisibility().GetGettable() != pb.Visibility_PRIVATE {
		t.Fatalf("PostApps = %v", r.GetApps())
	}
	dup, err := s.v2.PostApps(as(s.pat), &pb.PostAppsRequest{UserAppId: me(), Apps: []*pb.App{{Id: "a3"}, {Id: "a1"}}})
	wantCode(t, dup, err, st.StatusCode_DATABASE_DUPLICATE_KEY)
	bad, err := s.v2.PostApps(as(s.pat), &pb.PostAppsRequest{UserAppId: me(), Apps: []*pb.App{{Id: "bad id!"}}})
	wantCode(t, bad, err, st.StatusCode_CONN_INVALID_REQUEST)
	list, err := s.v2.ListApps(as(s.pat), &pb.ListAppsRequest{UserAppId: me(), PerPage: 1, Page: 2})
	wantCode(t, list, err, st.StatusCode_SUCCESS)
	if len(list.GetApps()) != 1 || list.GetApps()[0].GetId() != "a2" {
		t.Fatalf("page 2 of 1 = %v (a3 must not exist: batches are all or nothing)", list.GetApps())
	}
	p, err := s.v2.PatchApps(as(s.pat), &pb.PatchAppsRequest{UserAppId: me(), Action: "overwrite", Apps: []*pb.App{{Id: "a2", Description: "new", Visibility: &pb.Visibility{Gettable: pb.Visibility_PUBLIC}}}})
	wantCode(t, p, err, st.StatusCode_SUCCESS)
	if p.GetApps()[0].GetDescription() != "new" || p.GetApps()[0].GetVisibility().GetGettable() != pb.Visibility_PUBLIC {
		t.Fatalf("PatchApps = %v", p.GetApps())
	}
	// A public app is readable by any PAT, but not writable.
	bob := s.newUser(t, "bob")
	g, err := s.v2.GetApp(as(bob), &pb.GetAppRequest{UserAppId: &pb.UserAppIDSet{UserId: "admin", AppId: "a2"}})
	wantCode(t, g, err, st.StatusCode_SUCCESS)
	w, err := s.v2.PatchApp(as(bob), &pb.PatchAppRequest{UserAppId: &pb.UserAppIDSet{UserId: "admin", AppId: "a2"}, App: &pb.App{Description: "pwned"}})
	wantCode(t, w, err, st.StatusCode_CONN_INSUFFICIENT_SCOPES)
	d, err := s.v2.DeleteApp(as(bob), &pb.DeleteAppRequest{UserAppId: &pb.UserAppIDSet{UserId: "admin", AppId: "a2"}})
	wantCode(t, d, err, st.StatusCode_CONN_INSUFFICIENT_SCOPES)
	sc, err := s.v2.MyScopes(as(bob), &pb.MyScopesRequest{UserAppId: &pb.UserAppIDSet{UserId: "admin", AppId: "a2"}})
	wantCode(t, sc, err, st.StatusCode_SUCCESS)
	if strings.Contains(strings.Join(sc.GetScopes(), ","), "Apps:Delete") || len(sc.GetScopes()) == 0 {
		t.Fatalf("MyScopes on a public app = %v", sc.GetScopes())
	}
}

func TestAdminUsers(t *testing.T) {
	s := startServer(t)
	bob := s.newUser(t, "bob")
	dup, err := s.admin.CreateUser(as(s.pat), &adminv1.CreateUserRequest{Id: "bob2", Email: "BOB@example.com"})
	wantCode(t, dup, err, st.StatusCode_DATABASE_DUPLICATE_KEY)
	reserved, err := s.admin.CreateUser(as(s.pat), &adminv1.CreateUserRequest{Id: "me"})
	wantCode(t, reserved, err, st.StatusCode_CONN_INVALID_REQUEST)
	notAdmin, err := s.admin.ListUsers(as(bob), &adminv1.ListUsersRequest{})
	wantCode(t, notAdmin, err, st.StatusCode_CONN_INSUFFICIENT_SCOPES)

	d, err := s.admin.DisableUser(as(s.pat), &adminv1.UserRequest{Id: "bob"})
	wantCode(t, d, err, st.StatusCode_SUCCESS)
	refused, err := s.v2.ListApps(as(bob), &pb.ListAppsRequest{UserAppId: me()})
	wantCode(t, refused, err, st.StatusCode_CONN_KEY_INVALID)
	e, err := s.admin.EnableUser(as(s.pat), &adminv1.UserRequest{Id: "bob"})
	wantCode(t, e, err, st.StatusCode_SUCCESS)
	back, err := s.v2.ListApps(as(bob), &pb.ListAppsRequest{UserAppId: me()})
	wantCode(t, back, err, st.StatusCode_SUCCESS)
	del, err := s.admin.DeleteUser(as(s.pat), &adminv1.UserRequest{Id: "bob"})
	wantCode(t, del, err, st.StatusCode_SUCCESS)
	gone, err := s.v2.ListApps(as(bob), &pb.ListAppsRequest{UserAppId: me()})
	wantCode(t, gone, err, st.StatusCode_CONN_KEY_INVALID)
	self, err := s.admin.DisableUser(as(s.pat), &adminv1.UserRequest{Id: "admin"})
	wantCode(t, self, err, st.StatusCode_CONN_INVALID_REQUEST)
	sys, err := s.admin.DeleteUser(as(s.pat), &adminv1.UserRequest{Id: "clarifai"})
	wantCode(t, sys, err, st.StatusCode_CONN_DOES_NOT_EXIST)
}

func TestLastUsedRecorded(t *testing.T) {
	s := startServer(t)
	r, err := s.v2.GetUser(as(s.pat), &pb.GetUserRequest{UserAppId: me()})
	wantCode(t, r, err, st.StatusCode_SUCCESS)
	s.Close() // flushes pending last-used times
	s2 := startServer(t, func(c *cmd.Config) { c.DataDir = s.dir })
	keys, err := s2.v2.ListKeys(as(s.pat), &pb.ListKeysRequest{UserAppId: me()})
	wantCode(t, keys, err, st.StatusCode_SUCCESS)
	if keys.GetKeys()[0].GetLastUsedAt() == nil {
		t.Fatal("last_used_at not recorded")
	}
}
