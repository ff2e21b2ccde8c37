package main_test

import (
	"slices"
	"sync"
	"testing"
	"time"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"
	orgsv1 "github.com/clavis-dev/clavis/api/gen/clavis/orgs/v1"

	cmd "github.com/clavis-dev/clavis/cmd/clavis"
	"github.com/clavis-dev/clavis/internal/store/postgres/pgtest"
)

// replicaCacheTTL is long enough that only a notification can explain a
// refusal within propagationBound.
const (
	replicaCacheTTL  = 60 * time.Second
	propagationBound = time.Second
)

// startReplicas starts n servers on one fresh PostgreSQL database, each with
// its own data dir and a 60 s credential cache. The first bootstraps it.
func startReplicas(t testing.TB, n int) []*testServer {
	t.Helper()
	dsn := pgtest.NewDatabase(t)
	rs := make([]*testServer, n)
	for i := range rs {
		rs[i] = startServer(t, onPostgres(dsn), func(c *cmd.Config) { c.AuthCacheTTL = replicaCacheTTL })
	}
	if rs[0].pat == "" {
		t.Fatal("the first replica did not bootstrap the database")
	}
	for _, r := range rs[1:] {
		if r.pat != "" {
			t.Fatal("a later replica bootstrapped the database again")
		}
	}
	return rs
}

// refusal polls call until it answers want, and returns how long that took
// since start; it fails t when that is not within bound.
func refusal(t testing.TB, start time.Time, bound time.Duration, want st.StatusCode, call func() (withStatus, error)) time.Duration {
	t.Helper()
	deadline := start.Add(bound)
	for {
		resp, err := call()
		if err != nil {
			t.Fatalf("transport error: %v", err)
		}
		if got := resp.GetStatus().GetCode(); got == want {
			return time.Since(start)
		} else if got != st.StatusCode_SUCCESS {
			t.Fatalf("status = %v (%s), want SUCCESS until it becomes %v", got, resp.GetStatus().GetDescription(), want)
		}
		if time.Now().After(deadline) {
			t.Fatalf("still accepted %v after the revocation; want %v within %v", time.Since(start), want, bound)
		}
		time.Sleep(time.Millisecond)
	}
}

// getUser and getApp are the probe calls: each authenticates the token, and
// getApp also asks whether its user may see the app.
func getUser(r *testServer, tok string) func() (withStatus, error) {
	return func() (withStatus, error) {
		return r.v2.GetUser(as(tok), &pb.GetUserRequest{UserAppId: me()})
	}
}

func getApp(r *testServer, tok, owner, app string) func() (withStatus, error) {
	return func() (withStatus, error) {
		return r.v2.GetApp(as(tok), &pb.GetAppRequest{UserAppId: &pb.UserAppIDSet{UserId: owner, AppId: app}})
	}
}

// primed calls probe on every replica and requires success, which also
// puts the token into each replica's cache.
func primed(t testing.TB, rs []*testServer, probe func(r *testServer) func() (withStatus, error)) {
	t.Helper()
	for _, r := range rs {
		resp, err := probe(r)()
		wantCode(t, resp, err, st.StatusCode_SUCCESS)
	}
}

// revoked checks that a revocation made through rs[0] at start is honoured
// by rs[0] on the very next call and by the others within
// propagationBound: probe answers want there.
func revoked(t testing.TB, rs []*testServer, start time.Time, what string, want st.StatusCode, probe func(r *testServer) func() (withStatus, error)) {
	t.Helper()
	resp, err := probe(rs[0])()
	wantCode(t, resp, err, want)
	for i, r := range rs[1:] {
		took := refusal(t, start, propagationBound, want, probe(r))
		t.Logf("replica %d refused %s after %v", i+2, what, took)
	}
}

// TestReplicas checks that revocations made through one replica are
// honoured by it at once and by the others within a second, although
// their caches would trust the credential, and the grants, for a minute.
func TestReplicas(t *testing.T) {
	rs := startReplicas(t, 3)
	r1, others := rs[0], rs[1:]
	alice := r1.newUser(t, "alice")
	bob := r1.newUser(t, "bob")

	t.Run("PATDeleted", func(t *testing.T) {
		tok := r1.newKey(t, alice, &pb.Key{Type: "personal_access_token", Scopes: []string{"All"}})
		primed(t, rs, func(r *testServer) func() (withStatus, error) { return getUser(r, tok) })
		start := time.Now()
		d, err := r1.v2.DeleteKey(as(alice), &pb.DeleteKeyRequest{UserAppId: me(), KeyId: tok})
		wantCode(t, d, err, st.StatusCode_SUCCESS)
		for i, r := range others {
			took := refusal(t, start, propagationBound, st.StatusCode_CONN_KEY_INVALID, getUser(r, tok))
			t.Logf("replica %d refused the deleted PAT after %v", i+2, took)
		}
	})

	t.Run("CollaboratorRemoved", func(t *testing.T) {
		r1.newApp(t, alice, "shared", false)
		shared := &pb.UserAppIDSet{UserId: "alice", AppId: "shared"}
		p, err := r1.v2.PostCollaborators(as(alice), &pb.PostCollaboratorsRequest{UserAppId: shared,
			Collaborators: []*pb.Collaborator{{User: &pb.User{Id: "bob"}, Scopes: []string{"Apps:Get", "Workflows:Get"}}}})
		wantCode(t, p, err, st.StatusCode_SUCCESS)
		probe := func(r *testServer) func() (withStatus, error) { return getApp(r, bob, "alice", "shared") }
		primed(t, rs, probe)
		start := time.Now()
		d, err := r1.v2.DeleteCollaborators(as(alice), &pb.DeleteCollaboratorsRequest{UserAppId: shared, CollaboratorIds: []string{"bob"}})
		wantCode(t, d, err, st.StatusCode_SUCCESS)
		revoked(t, rs, start, "the removed collaborator", st.StatusCode_CONN_DOES_NOT_EXIST, probe)
	})

	t.Run("AppMadePrivate", func(t *testing.T) {
		r1.newApp(t, alice, "gallery", true)
		probe := func(r *testServer) func() (withStatus, error) { return getApp(r, bob, "alice", "gallery") }
		primed(t, rs, probe)
		start := time.Now()
		p, err := r1.v2.PatchApps(as(alice), &pb.PatchAppsRequest{UserAppId: me(), Action: "overwrite",
			Apps: []*pb.App{{Id: "gallery", Visibility: &pb.Visibility{Gettable: pb.Visibility_PRIVATE}}}})
		wantCode(t, p, err, st.StatusCode_SUCCESS)
		revoked(t, rs, start, "the now private app", st.StatusCode_CONN_DOES_NOT_EXIST, probe)
	})

	t.Run("AppKeyOfDeletedApp", func(t *testing.T) {
		r1.newApp(t, alice, "doomed", false)
		key := r1.newKey(t, alice, &pb.Key{Type: "app_specific_key", Scopes: []string{"All"}, Apps: []*pb.App{{Id: "doomed", UserId: "alice"}}})
		probe := func(r *testServer) func() (withStatus, error) { return getApp(r, key, "alice", "doomed") }
		primed(t, rs, probe)
		start := time.Now()
		d, err := r1.v2.DeleteApp(as(alice), &pb.DeleteAppRequest{UserAppId: &pb.UserAppIDSet{UserId: "alice", AppId: "doomed"}})
		wantCode(t, d, err, st.StatusCode_SUCCESS)
		revoked(t, rs, start, "the app key of the deleted app", st.StatusCode_CONN_KEY_INVALID, probe)
	})

	t.Run("CollaboratorOfDeletedApp", func(t *testing.T) {
		r1.newApp(t, alice, "gone", false)
		gone := &pb.UserAppIDSet{UserId: "alice", AppId: "gone"}
		p, err := r1.v2.PostCollaborators(as(alice), &pb.PostCollaboratorsRequest{UserAppId: gone,
			Collaborators: []*pb.Collaborator{{User: &pb.User{Id: "bob"}, Scopes: []string{"Apps:Get", "Workflows:Get"}}}})
		wantCode(t, p, err, st.StatusCode_SUCCESS)
		probe := func(r *testServer) func() (withStatus, error) { return getApp(r, bob, "alice", "gone") }
		primed(t, rs, probe)
		primed(t, rs, func(r *testServer) func() (withStatus, error) { return getApp(r, alice, "alice", "gone") })
		start := time.Now()
		d, err := r1.v2.DeleteApp(as(alice), &pb.DeleteAppRequest{UserAppId: gone})
		wantCode(t, d, err, st.StatusCode_SUCCESS)
		revoked(t, rs, start, "a collaborator on the deleted app", st.StatusCode_CONN_DOES_NOT_EXIST, probe)
		revoked(t, rs, start, "the owner of the deleted app", st.StatusCode_CONN_DOES_NOT_EXIST,
			func(r *testServer) func() (withStatus, error) { return getApp(r, alice, "alice", "gone") })
	})

	orgs := orgsv1.NewOrgsClient(r1.conn)
	carl := r1.newUser(t, "carl")
	dave := r1.newUser(t, "dave")
	o, err := orgs.CreateOrg(as(alice), &orgsv1.CreateOrgRequest{Id: "acme"})
	wantCode(t, o, err, st.StatusCode_SUCCESS)
	a, err := r1.v2.PostApps(as(alice), &pb.PostAppsRequest{UserAppId: &pb.UserAppIDSet{UserId: "acme"}, Apps: []*pb.App{{Id: "vision"}}})
	wantCode(t, a, err, st.StatusCode_SUCCESS)
	for user, m := range map[string]*orgsv1.Member{
		"carl": {Role: orgsv1.Role_ORG_CONTRIBUTOR, Scopes: []string{"Apps:Get", "Workflows:Get"}},
		"dave": {Role: orgsv1.Role_TEAM_CONTRIBUTOR},
	} {
		m.UserId = user
		r, err := orgs.PutMember(as(alice), &orgsv1.PutMemberRequest{OrgId: "acme", Member: m})
		wantCode(t, r, err, st.StatusCode_SUCCESS)
	}
	tm, err := orgs.PutTeam(as(alice), &orgsv1.PutTeamRequest{OrgId: "acme", Team: &orgsv1.Team{Id: "t1", Scopes: []string{"Apps:Get", "Workflows:Get"}, MemberIds: []string{"dave"}, AppIds: []string{"vision"}}})
	wantCode(t, tm, err, st.StatusCode_SUCCESS)

	t.Run("OrgMemberRemoved", func(t *testing.T) {
		probe := func(r *testServer) func() (withStatus, error) { return getApp(r, carl, "acme", "vision") }
		primed(t, rs, probe)
		start := time.Now()
		rm, err := orgs.RemoveMember(as(alice), &orgsv1.RemoveMemberRequest{OrgId: "acme", UserId: "carl"})
		wantCode(t, rm, err, st.StatusCode_SUCCESS)
		revoked(t, rs, start, "the removed org member", st.StatusCode_CONN_DOES_NOT_EXIST, probe)
	})

	t.Run("TeamMemberRemoved", func(t *testing.T) {
		probe := func(r *testServer) func() (withStatus, error) { return getApp(r, dave, "acme", "vision") }
		primed(t, rs, probe)
		start := time.Now()
		tm, err := orgs.PutTeam(as(alice), &orgsv1.PutTeamRequest{OrgId: "acme", Team: &orgsv1.Team{Id: "t1", Scopes: []string{"Apps:Get", "Workflows:Get"}, AppIds: []string{"vision"}}})
		wantCode(t, tm, err, st.StatusCode_SUCCESS)
		revoked(t, rs, start, "the member taken off the team", st.StatusCode_CONN_DOES_NOT_EXIST, probe)
	})

	// Not a revocation: the app's row, which the grants cache holds,
	// reads as changed everywhere.
	t.Run("AppPatched", func(t *testing.T) {
		r1.newApp(t, alice, "notes", false)
		description := func(r *testServer) string {
			resp, err := r.v2.GetApp(as(alice), &pb.GetAppRequest{UserAppId: &pb.UserAppIDSet{UserId: "alice", AppId: "notes"}})
			wantCode(t, resp, err, st.StatusCode_SUCCESS)
			return resp.GetApp().GetDescription()
		}
		for _, r := range rs {
			description(r)
		}
		start := time.Now()
		p, err := r1.v2.PatchApps(as(alice), &pb.PatchAppsRequest{UserAppId: me(), Action: "overwrite", Apps: []*pb.App{{Id: "notes", Description: "changed"}}})
		wantCode(t, p, err, st.StatusCode_SUCCESS)
		if got := description(r1); got != "changed" {
			t.Fatalf("replica 1 answers description %q right after the patch", got)
		}
		for i, r := range others {
			for description(r) != "changed" {
				if time.Since(start) > propagationBound {
					t.Fatalf("replica %d still answers the old description after %v", i+2, time.Since(start))
				}
				time.Sleep(time.Millisecond)
			}
		}
	})
}

// BenchmarkReplicaRevocation measures how long a PAT deleted through one
// replica stays usable on two others (from sending the delete until each
// refuses it). Run it with -benchtime 100x for the figures over 100
// revocations; it reports the median and the worst, and as the baseline the
// median time replica 1 takes to acknowledge the delete.
func BenchmarkReplicaRevocation(b *testing.B) {
	rs := startReplicas(b, 3)
	r1, others := rs[0], rs[1:]
	alice := r1.newUser(b, "alice")
	var delays, acks []time.Duration
	for b.Loop() {
		tok := r1.newKey(b, alice, &pb.Key{Type: "personal_access_token", Scopes: []string{"All"}})
		primed(b, rs, func(r *testServer) func() (withStatus, error) { return getUser(r, tok) })
		start := time.Now()
		d, err := r1.v2.DeleteKey(as(alice), &pb.DeleteKeyRequest{UserAppId: me(), KeyId: tok})
		wantCode(b, d, err, st.StatusCode_SUCCESS)
		acks = append(acks, time.Since(start))
		var wg sync.WaitGroup
		got := make([]time.Duration, len(others))
		for i, r := range others {
			wg.Go(func() {
				got[i] = pollRefused(start, getUser(r, tok))
			})
		}
		wg.Wait()
		for _, d := range got {
			if d < 0 {
				b.Fatal("a replica still accepted a deleted PAT after 10s")
			}
		}
		delays = append(delays, got...)
	}
	slices.Sort(delays)
	slices.Sort(acks)
	b.ReportMetric(ms(acks[len(acks)/2]), "ack-median-ms")
	b.ReportMetric(ms(delays[len(delays)/2]), "median-ms")
	b.ReportMetric(ms(delays[len(delays)-1]), "worst-ms")
	b.Logf("%d propagations over %d revocations: median %v, worst %v; replica 1 acknowledged the delete after %v (median)",
		len(delays), len(delays)/len(others), delays[len(delays)/2], delays[len(delays)-1], acks[len(acks)/2])
}

// pollRefused polls call until it is refused and returns how long after
// start that was, or -1 after 10 s. It may run on any goroutine.
func pollRefused(start time.Time, call func() (withStatus, error)) time.Duration {
	for time.Since(start) < 10*time.Second {
		resp, err := call()
		if err == nil && resp.GetStatus().GetCode() == st.StatusCode_CONN_KEY_INVALID {
			return time.Since(start)
		}
		time.Sleep(100 * time.Microsecond)
	}
	return -1
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
