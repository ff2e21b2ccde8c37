package grpcapi

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/auth"
	"github.com/clavis-dev/clavis/internal/clientaddr"
	"github.com/clavis-dev/clavis/internal/reqid"
)

// UserHeader is the response header that tells the REST gateway who made a
// call it relayed, for its log line; the gateway passes no header of the
// gRPC call on to its client.
const UserHeader = "clavis-user"

// Metrics receives the outcome of every call the server answers.
type Metrics interface {
	// ObserveCall records one call: its full method name as the client
	// sent it, its code (the in-band Clarifai status code for the methods
	// of our services; the gRPC status code for the others, health and
	// reflection, and for methods no service declares), whether the REST
	// gateway relayed it, and the time it took.
	ObserveCall(method string, code int, relayed bool, took time.Duration)
}

// An Option configures a Server.
type Option func(*Server)

// WithRateLimiter enforces the keys' requests-per-minute limits with l,
// right after authentication.
func WithRateLimiter(l *auth.RateLimiter) Option { return func(s *Server) { s.limiter = l } }

// WithTrustedProxies takes the client address of a direct gRPC call from
// its x-forwarded-for metadata when the peer is one of the trusted proxies.
func WithTrustedProxies(t *clientaddr.Trusted) Option { return func(s *Server) { s.proxies = t } }

// WithMetrics has the server report every call to m.
func WithMetrics(m Metrics) Option { return func(s *Server) { s.metrics = m } }

// WithRelayed names the calls the REST gateway relays: relayed reports
// whether a call's context is one. The gateway logs those requests itself,
// so the server writes no line of its own for them but when they fail
// inside the server, and sends the caller's user id back in UserHeader.
func WithRelayed(relayed func(context.Context) bool) Option {
	return func(s *Server) { s.relayed = relayed }
}

// isRelayed reports whether the REST gateway relayed the call of ctx.
func (s *Server) isRelayed(ctx context.Context) bool { return s.relayed != nil && s.relayed(ctx) }

// record reports a unary call that the logging stage saw end with code,
// and logs its line unless the gateway logs the request.
func (s *Server) record(ctx context.Context, c *call, code int, took time.Duration, level slog.Level, attrs []slog.Attr) {
	relayed := s.isRelayed(ctx)
	if s.metrics != nil {
		s.metrics.ObserveCall(c.method, code, relayed, took)
	}
	if relayed {
		if c.user != "" {
			// Ignored when headers went out already: the line lacks the user.
			_ = grpc.SetHeader(ctx, metadata.Pairs(UserHeader, c.user))
		}
		if level < slog.LevelError {
			return
		}
	}
	s.log.LogAttrs(ctx, level, "rpc", attrs...)
}

// StreamChain returns the interceptors of every streaming call: one that
// logs and reports it. No method of our services streams; the streams are
// health's Watch, reflection, and calls of methods no service declares,
// which UnknownMethod answers.
func (s *Server) StreamChain() []grpc.StreamServerInterceptor {
	return []grpc.StreamServerInterceptor{s.streamLogging}
}

func (s *Server) streamLogging(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	start := time.Now()
	err := handler(srv, ss)
	took := time.Since(start)
	code := status.Code(err)
	if s.metrics != nil {
		s.metrics.ObserveCall(info.FullMethod, int(code), s.isRelayed(ss.Context()), took)
	}
	s.log.LogAttrs(ss.Context(), slog.LevelInfo, "rpc",
		slog.String("method", loggedMethod(info.FullMethod)), slog.String("req_id", reqid.New()),
		slog.String("grpc_code", code.String()), slog.Duration("took", took))
	return err
}

// UnknownMethod answers a call of a method that no registered service
// declares (Clarifai's methods that Clavis does not implement among them)
// with UNIMPLEMENTED naming it. It is the server's
// grpc.UnknownServiceHandler, so such calls pass the stream interceptors,
// and are logged, where grpc-go would answer them silently.
func (s *Server) UnknownMethod(_ any, ss grpc.ServerStream) error {
	m, _ := grpc.MethodFromServerStream(ss)
	return status.Errorf(codes.Unimplemented, "%s is not implemented by Clavis (docs/compatibility.md lists what is)", loggedMethod(m))
}

// maxLoggedMethod bounds the length of a method name in logs and answers:
// the name of an unknown method is the client's to choose.
const maxLoggedMethod = 200

// loggedMethod returns a method name fit for the log: the name a client
// sent, shortened, without anything that looks like a token.
func loggedMethod(m string) string {
	if strings.Contains(m, clavis.PATPrefix) || strings.Contains(m, clavis.AppKeyPrefix) {
		return "REDACTED"
	}
	if len(m) > maxLoggedMethod {
		return strings.ToValidUTF8(m[:maxLoggedMethod], "") + "…"
	}
	return m
}
