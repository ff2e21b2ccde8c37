package main_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"
	adminv1 "github.com/clavis-dev/clavis/api/gen/clavis/admin/v1"

	"github.com/clavis-dev/clavis/internal/store/postgres/pgtest"
)

// TestReplicaProcesses starts three `clavis serve` processes at once on one
// empty PostgreSQL database, each trusting a verified credential for 90 s:
// they migrate and bootstrap it exactly once, and a PAT deleted, a
// collaborator removed or an app made private through the first is refused
// by the other two within a second, which only the notifications they
// exchange can explain.
func TestReplicaProcesses(t *testing.T) {
	dsn := pgtest.NewDatabase(t) // first: it skips without PostgreSQL
	bin := clavisBinary(t)
	var dirs []string
	var waits []func() *proc
	for range 3 {
		dir := t.TempDir()
		dirs = append(dirs, dir)
		waits = append(waits, spawnProc(t, bin, "--db", dsn, "--data-dir", dir, "--auth-cache-ttl", "90s"))
	}
	var ps []*proc
	for _, w := range waits {
		ps = append(ps, w())
	}
	var admin string
	for _, dir := range dirs {
		b, err := os.ReadFile(filepath.Join(dir, "bootstrap.pat"))
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if admin != "" {
			t.Fatal("two replicas bootstrapped the shared database")
		}
		admin = strings.TrimSpace(string(b))
	}
	if admin == "" {
		t.Fatal("no replica bootstrapped the database")
	}

	p1, others := ps[0], ps[1:]
	newUser := func(t *testing.T, id string) string {
		t.Helper()
		r, err := p1.adm.CreateUser(as(admin), &adminv1.CreateUserRequest{Id: id, Email: id + "@example.com"})
		wantCode(t, r, err, st.StatusCode_SUCCESS)
		return r.GetDefaultPat()
	}
	alice, bob := newUser(t, "alice"), newUser(t, "bob")
	// primeAll requires call to succeed on every replica, which also caches
	// the credential there.
	primeAll := func(t *testing.T, call func(p *proc) func() (withStatus, error)) {
		t.Helper()
		for _, p := range ps {
			r, err := call(p)()
			wantCode(t, r, err, st.StatusCode_SUCCESS)
		}
	}
	// refusedByOthers requires every other replica to answer want within
	// propagationBound of start.
	refusedByOthers := func(t *testing.T, start time.Time, want st.StatusCode, call func(p *proc) func() (withStatus, error)) {
		t.Helper()
		for i, p := range others {
			took := refusal(t, start, propagationBound, want, call(p))
			t.Logf("replica %d answered %v after %v", i+2, want, took)
		}
	}
	user := func(tok string) func(p *proc) func() (withStatus, error) {
		return func(p *proc) func() (withStatus, error) {
			return func() (withStatus, error) {
				return p.v2.GetUser(as(tok), &pb.GetUserRequest{UserAppId: me()})
			}
		}
	}
	app := func(tok, owner, id string) func(p *proc) func() (withStatus, error) {
		return func(p *proc) func() (withStatus, error) {
			return func() (withStatus, error) {
				return p.v2.GetApp(as(tok), &pb.GetAppRequest{UserAppId: &pb.UserAppIDSet{UserId: owner, AppId: id}})
			}
		}
	}
	postApp := func(t *testing.T, id string, public bool) {
		t.Helper()
		a := &pb.App{Id: id}
		if public {
			a.Visibility = &pb.Visibility{Gettable: pb.Visibility_PUBLIC}
		}
		r, err := p1.v2.PostApps(as(alice), &pb.PostAppsRequest{UserAppId: me(), Apps: []*pb.App{a}})
		wantCode(t, r, err, st.StatusCode_SUCCESS)
	}

	t.Run("PATDeleted", func(t *testing.T) {
		k, err := p1.v2.PostKeys(as(alice), &pb.PostKeysRequest{UserAppId: me(), Keys: []*pb.Key{{Type: "personal_access_token", Scopes: []string{"All"}}}})
		wantCode(t, k, err, st.StatusCode_SUCCESS)
		tok := k.GetKeys()[0].GetId()
		primeAll(t, user(tok))
		start := time.Now()
		d, err := p1.v2.DeleteKey(as(alice), &pb.DeleteKeyRequest{UserAppId: me(), KeyId: tok})
		wantCode(t, d, err, st.StatusCode_SUCCESS)
		refusedByOthers(t, start, st.StatusCode_CONN_KEY_INVALID, user(tok))
	})

	t.Run("CollaboratorRemoved", func(t *testing.T) {
		postApp(t, "shared", false)
		shared := &pb.UserAppIDSet{UserId: "alice", AppId: "shared"}
		c, err := p1.v2.PostCollaborators(as(alice), &pb.PostCollaboratorsRequest{UserAppId: shared,
			Collaborators: []*pb.Collaborator{{User: &pb.User{Id: "bob"}, Scopes: []string{"Apps:Get", "Workflows:Get"}}}})
		wantCode(t, c, err, st.StatusCode_SUCCESS)
		primeAll(t, app(bob, "alice", "shared"))
		start := time.Now()
		d, err := p1.v2.DeleteCollaborators(as(alice), &pb.DeleteCollaboratorsRequest{UserAppId: shared, CollaboratorIds: []string{"bob"}})
		wantCode(t, d, err, st.StatusCode_SUCCESS)
		refusedByOthers(t, start, st.StatusCode_CONN_DOES_NOT_EXIST, app(bob, "alice", "shared"))
	})

	t.Run("AppMadePrivate", func(t *testing.T) {
		postApp(t, "gallery", true)
		primeAll(t, app(bob, "alice", "gallery"))
		start := time.Now()
		p, err := p1.v2.PatchApps(as(alice), &pb.PatchAppsRequest{UserAppId: me(), Action: "overwrite",
			Apps: []*pb.App{{Id: "gallery", Visibility: &pb.Visibility{Gettable: pb.Visibility_PRIVATE}}}})
		wantCode(t, p, err, st.StatusCode_SUCCESS)
		refusedByOthers(t, start, st.StatusCode_CONN_DOES_NOT_EXIST, app(bob, "alice", "gallery"))
	})

	t.Run("UserDisabled", func(t *testing.T) {
		carol := newUser(t, "carol")
		primeAll(t, user(carol))
		start := time.Now()
		d, err := p1.adm.DisableUser(as(admin), &adminv1.UserRequest{Id: "carol"})
		wantCode(t, d, err, st.StatusCode_SUCCESS)
		refusedByOthers(t, start, st.StatusCode_CONN_KEY_INVALID, user(carol))
	})
}
