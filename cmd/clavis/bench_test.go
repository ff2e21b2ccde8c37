package main_test

import (
	"context"
	"testing"

	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
)

// BenchmarkUnary compares an authenticated, authorized V2 call (token cache
// hit, scope check, app lookup) with the unauthenticated gRPC health check
// on the same server and connection, so the ratio shows what authentication
// and authorization cost.
func BenchmarkUnary(b *testing.B) {
	s := startServer(b)
	s.newApp(b, s.pat, "photos", false)
	ctx := as(s.pat)
	health := healthpb.NewHealthClient(s.conn)
	b.Run("HealthCheck", func(b *testing.B) {
		for b.Loop() {
			if _, err := health.Check(context.Background(), &healthpb.HealthCheckRequest{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("MyScopesUser", func(b *testing.B) {
		for b.Loop() {
			r, err := s.v2.MyScopesUser(ctx, &pb.MyScopesUserRequest{UserAppId: me()})
			if err != nil || r.GetStatus().GetCode() != 10000 {
				b.Fatal(err, r.GetStatus())
			}
		}
	})
	b.Run("GetApp", func(b *testing.B) {
		req := &pb.GetAppRequest{UserAppId: &pb.UserAppIDSet{UserId: "admin", AppId: "photos"}}
		for b.Loop() {
			r, err := s.v2.GetApp(ctx, req)
			if err != nil || r.GetStatus().GetCode() != 10000 {
				b.Fatal(err, r.GetStatus())
			}
		}
	})
}
