package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	reflectionv1 "google.golang.org/grpc/reflection/grpc_reflection_v1"
	reflectionv1alpha "google.golang.org/grpc/reflection/grpc_reflection_v1alpha"

	"github.com/clavis-dev/clavis/internal/auth"
	"github.com/clavis-dev/clavis/internal/gateway"
	"github.com/clavis-dev/clavis/internal/gateway/bindings"
	"github.com/clavis-dev/clavis/internal/grpcapi"
	"github.com/clavis-dev/clavis/internal/inference"
	"github.com/clavis-dev/clavis/internal/listen"
	"github.com/clavis-dev/clavis/internal/metrics"
	"github.com/clavis-dev/clavis/internal/probe"
)

// Operations: the endpoints beside the API (docs/operations.md).
const (
	healthzPath = "/healthz"
	readyzPath  = "/readyz"
	metricsPath = "/metrics"

	// readinessInterval is how often the gRPC health status is brought in
	// step with readiness between calls of /readyz.
	readinessInterval = 5 * time.Second
	// storeCheckTimeout bounds the query that checks the store.
	storeCheckTimeout = 2 * time.Second
)

// opsHandler returns the mux of GET /healthz, GET /readyz and, with
// metrics on, GET /metrics, each request logged and counted as REST
// requests are.
func (s *Server) opsHandler() *http.ServeMux {
	mux := http.NewServeMux()
	handle := func(path string, h http.Handler) {
		mux.Handle("GET "+path, gateway.Access(h, path, s.log, s.observeHTTP()))
	}
	handle(healthzPath, probe.Live())
	handle(readyzPath, s.ready.Ready())
	handle(readyzPath+"/{check}", s.ready.Ready())
	if s.metrics != nil {
		handle(metricsPath, s.metrics.Handler())
	}
	return mux
}

// observeHTTP returns the function the REST gateway and the other HTTP
// endpoints report their requests to; nil with metrics off.
func (s *Server) observeHTTP() func(method, route string, status int, took time.Duration) {
	if s.metrics == nil {
		return nil
	}
	return s.metrics.ObserveHTTP
}

// readiness returns the checks of readiness: the store answers a query in
// time, and every installed model loaded (modelsCheck).
func (s *Server) readiness() []probe.Check {
	return []probe.Check{
		{Name: "store", Run: func(ctx context.Context) error {
			ctx, cancel := context.WithTimeout(ctx, storeCheckTimeout)
			defer cancel()
			if err := s.store.Ping(ctx); err != nil {
				return probe.Fail("the database does not answer", err)
			}
			return nil
		}},
		{Name: "models", Run: s.modelsCheck},
	}
}

// metricsMethods returns the gRPC methods the metrics count under their own
// name: the server's services, health and reflection, and Clarifai's
// methods that Clavis does not declare, which clients still call.
func metricsMethods() []string {
	names := grpcapi.Methods()
	for _, sd := range []*grpc.ServiceDesc{&healthpb.Health_ServiceDesc, &reflectionv1.ServerReflection_ServiceDesc, &reflectionv1alpha.ServerReflection_ServiceDesc} {
		for _, m := range sd.Methods {
			names = append(names, "/"+sd.ServiceName+"/"+m.MethodName)
		}
		for _, m := range sd.Streams {
			names = append(names, "/"+sd.ServiceName+"/"+m.StreamName)
		}
	}
	for _, b := range bindings.Clarifai() {
		names = append(names, "/clarifai.api.V2/"+b.Method)
	}
	return names
}

// debugServer returns the server of --debug-addr: net/http/pprof's
// handlers, on a listener of their own, never on the API ports.
func debugServer() *http.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	// No write timeout: a CPU profile or trace takes as long as it asks.
	return &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
}

// startDebug listens on --debug-addr and serves the profiler there.
func (s *Server) startDebug() error {
	ln, err := net.Listen("tcp", s.cfg.DebugAddr)
	if err != nil {
		return fmt.Errorf("listen --debug-addr: %w", err)
	}
	s.debugLn, s.debug = ln, debugServer()
	go func() {
		if err := s.debug.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("serve --debug-addr", "err", err)
		}
	}()
	attrs := []any{"addr", ln.Addr().String(), "path", "/debug/pprof/"}
	if host, _, _ := net.SplitHostPort(ln.Addr().String()); !net.ParseIP(host).IsLoopback() {
		s.log.Warn("profiler listening beyond loopback: anyone who reaches it can profile the server and read its command line; bind --debug-addr to 127.0.0.1", attrs...)
		return nil
	}
	s.log.Info("profiler listening", attrs...)
	return nil
}

// observers are what the parts of the server report to: the metrics, or
// nothing with metrics off.
type observers struct {
	listen listen.Observer
	authn  auth.Observer
	engine inference.Observer
	grpc   []grpcapi.Option
}

// newMetrics makes the server's metrics, unless they are off, and has the
// store report its failures to them. The gauges read the authenticator,
// engine and gate when scraped, which NewServer makes next.
func (s *Server) newMetrics() observers {
	if !s.cfg.Metrics {
		return observers{}
	}
	s.metrics = metrics.New(metrics.Config{
		Methods:        metricsMethods(),
		TokenCacheSize: func() int { return s.authn.CacheLen() },
		QueueDepth:     func() int { return s.engine.Waiting() },
		ConnsOpen:      func() int { return s.gate.Open() },
	})
	if st, ok := s.store.(interface{ ObserveFailures(func(string)) }); ok {
		st.ObserveFailures(s.metrics.ObserveStoreError)
	}
	return observers{listen: s.metrics, authn: s.metrics, engine: s.metrics, grpc: []grpcapi.Option{grpcapi.WithMetrics(s.metrics)}}
}

// DebugAddr returns the address of the profiler's listener, or "" without
// one.
func (s *Server) DebugAddr() string {
	if s.debugLn == nil {
		return ""
	}
	return s.debugLn.Addr().String()
}
