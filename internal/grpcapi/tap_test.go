package grpcapi_test

import (
	"context"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"
	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/auth"
	"github.com/clavis-dev/clavis/internal/grpcapi"
)

// TestAdmitUnauthenticatedBudget: calls without credentials the cache
// knows take a place of the budget until they end; past it they are
// refused RESOURCE_EXHAUSTED, and a refused token is looked up in the
// background; a verified token, other services and an authenticated call
// take none.
func TestAdmitUnauthenticatedBudget(t *testing.T) {
	e := newEnv(t, grpcapi.WithUnauthenticatedStreams(2))
	const method = "/clarifai.api.V2/ListApps"
	unknown, _ := auth.NewToken(clavis.KeyTypePAT)
	md := func(tok string) metadata.MD { return metadata.Pairs("authorization", "Key "+tok) }

	hold := func(m metadata.MD) (context.CancelFunc, error) {
		ctx, cancel := context.WithCancel(context.Background())
		t.Cleanup(cancel)
		_, err := e.api.Admit(ctx, method, m)
		return cancel, err
	}
	// eventually waits until admit works: a place comes back when the
	// context of its call ends, on a goroutine of its own.
	eventually := func(what string, admit func() error) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for {
			err := admit()
			if err == nil {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: %v", what, err)
			}
		}
	}
	end1, err := hold(nil)
	if err != nil {
		t.Fatal(err)
	}
	end2, err := hold(md(unknown))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := hold(md(e.alice)); status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("third call over a budget of 2 (a token not cached yet): %v; want RESOURCE_EXHAUSTED", err)
	}
	// Her token was looked up in the background: her retry is admitted
	// over the full budget.
	eventually("the retry of a refused valid token", func() error { _, err := hold(md(e.alice)); return err })
	if _, err := e.api.Admit(context.Background(), "/grpc.health.v1.Health/Check", nil); err != nil {
		t.Fatalf("health checks are not counted: %v", err)
	}
	// A call ends: its place comes back, and alice's call is served.
	end2()
	eventually("alice's call once a place is free", func() error {
		resp, err := e.v2.ListApps(as(e.alice), &pb.ListAppsRequest{UserAppId: &pb.UserAppIDSet{UserId: "me"}})
		if err == nil && resp.GetStatus().GetCode() != st.StatusCode_SUCCESS {
			t.Fatalf("ListApps as alice: %v", resp.GetStatus())
		}
		return err
	})
	// Her call gave its place back once she was authenticated; the
	// budget is full again without her, and her token is not counted.
	eventually("a second place", func() error { _, err := hold(nil); return err })
	if _, err := hold(nil); status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("a call over the full budget: %v; want RESOURCE_EXHAUSTED", err)
	}
	if _, err := hold(md(e.alice)); err != nil {
		t.Fatalf("a verified token over a full budget: %v", err)
	}
	end1()
	eventually("the place of an ended call", func() error { _, err := hold(nil); return err })
}
