package main_test

import (
	"context"
	"io"
	"net/http"
	"runtime"
	"testing"

	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	cmd "github.com/clavis-dev/clavis/cmd/clavis"
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

// BenchmarkUnaryParallel makes authenticated calls from eight concurrent
// callers, as a loaded server sees them: an app key's MyScopes, which reads
// the app and the caller's grant from the store on every call, and the
// health check beside it as the baseline.
func BenchmarkUnaryParallel(b *testing.B) {
	s := startServer(b)
	s.newApp(b, s.pat, "photos", false)
	key := s.newKey(b, s.pat, &pb.Key{Type: "app_specific_key", Scopes: []string{"All"}, Apps: []*pb.App{{Id: "photos", UserId: "admin"}}})
	health := healthpb.NewHealthClient(s.conn)
	callers := func(b *testing.B) { b.SetParallelism((8 + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0)) }
	b.Run("HealthCheck", func(b *testing.B) {
		callers(b)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := health.Check(context.Background(), &healthpb.HealthCheckRequest{}); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	b.Run("AppKeyMyScopes", func(b *testing.B) {
		callers(b)
		ctx := as(key)
		b.RunParallel(func(p *testing.PB) {
			for p.Next() {
				r, err := s.v2.MyScopes(ctx, &pb.MyScopesRequest{})
				if err != nil || r.GetStatus().GetCode() != 10000 {
					b.Error(err, r.GetStatus())
					return
				}
			}
		})
	})
}

// BenchmarkUnaryMetrics compares an authenticated unary call on a server
// with metrics (the default) and on one without, in the same run: the
// ratio is what recording a call costs (the chain's counter and histogram,
// the authenticator's outcome and cache lookup).
func BenchmarkUnaryMetrics(b *testing.B) {
	for _, on := range []bool{false, true} {
		s := startServer(b, func(c *cmd.Config) { c.Metrics = on })
		ctx := as(s.pat)
		name := map[bool]string{false: "MetricsOff", true: "MetricsOn"}[on]
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				r, err := s.v2.MyScopesUser(ctx, &pb.MyScopesUserRequest{UserAppId: me()})
				if err != nil || r.GetStatus().GetCode() != 10000 {
					b.Fatal(err, r.GetStatus())
				}
			}
		})
	}
}

// BenchmarkRESTParallel compares REST GET /v2/users/me/apps with the same
// call over gRPC (ListApps), from eight concurrent callers: the ratio is
// what the gateway costs (HTTP/1.1, JSON, the relay to the gRPC chain,
// its access log).
func BenchmarkRESTParallel(b *testing.B) {
	s := startServer(b)
	s.newApp(b, s.pat, "photos", false)
	callers := func(b *testing.B) { b.SetParallelism((8 + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0)) }
	b.Run("GRPC", func(b *testing.B) {
		callers(b)
		ctx := as(s.pat)
		b.RunParallel(func(p *testing.PB) {
			for p.Next() {
				r, err := s.v2.ListApps(ctx, &pb.ListAppsRequest{UserAppId: me()})
				if err != nil || r.GetStatus().GetCode() != 10000 {
					b.Error(err, r.GetStatus())
					return
				}
			}
		})
	})
	b.Run("REST", func(b *testing.B) {
		callers(b)
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = 64
		c := &http.Client{Transport: tr}
		url := "http://" + s.Addr() + "/v2/users/me/apps"
		b.RunParallel(func(p *testing.PB) {
			for p.Next() {
				req, _ := http.NewRequest(http.MethodGet, url, nil)
				req.Header.Set("Authorization", "Key "+s.pat)
				resp, err := c.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if err != nil || resp.StatusCode != http.StatusOK {
					b.Error(err, resp.Status)
					return
				}
			}
		})
	})
}
