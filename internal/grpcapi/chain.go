package grpcapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"runtime/debug"
	"strconv"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/auth"
	"github.com/clavis-dev/clavis/internal/reqid"
	"github.com/clavis-dev/clavis/internal/service"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"
	orgsv1 "github.com/clavis-dev/clavis/api/gen/clavis/orgs/v1"
)

// ChallengeHeader is the response header that marks a refusal for want of
// usable credentials; REST answers such a call 401 with its value as
// WWW-Authenticate.
const ChallengeHeader = "clavis-www-authenticate"

// challenge is ChallengeHeader's value, HTTP's WWW-Authenticate challenge.
const challenge = `Key realm="clavis"`

// RetryAfterHeader is the response header that carries, on a throttled
// call, how many seconds to wait; REST answers it as Retry-After.
const RetryAfterHeader = "clavis-retry-after"

// HTTPStatusHeader is the response header with which a method asks REST to
// answer a success with another 2xx status, such as 202.
const HTTPStatusHeader = "clavis-http-status"

// AddrMetadata is the request metadata in which the REST gateway passes
// the client's address. It is trusted only on calls the gateway relays.
const AddrMetadata = "clavis-client-addr"

// SchemeMetadata is the request metadata in which the REST gateway passes
// the scheme of the client's request ("https" or "http"), for the hosted
// URLs of answers. It is trusted only on calls the gateway relays.
const SchemeMetadata = "clavis-client-scheme"

// call is what the chain knows of one call; it travels in the context.
type call struct {
	id     string
	origin *service.Origin // for the audit log
	method string
	user   string       // set by authentication
	access *auth.Access // set by authorization
	// rt is the method's response type; nil for other services' methods.
	rt protoreflect.MessageType
}

type callKey struct{}

func callOf(ctx context.Context) *call { c, _ := ctx.Value(callKey{}).(*call); return c }

// access returns the Access the chain authorized the call with.
func access(ctx context.Context) *auth.Access { return callOf(ctx).access }

// reqID returns the call's request id.
func reqID(ctx context.Context) string {
	if c := callOf(ctx); c != nil {
		return c.id
	}
	return ""
}

// Chain returns the interceptors of every unary call, in the order they
// run:
//
//   - requestID gives the call its id and stamps it on the answer's status;
//   - recovery turns a panic into an internal error, and every error of the
//     inner stages and the handler into the method's in-band answer, in
//     this one place;
//   - logging writes one line per call (none for the calls the REST
//     gateway relays and logs itself) and reports it to the metrics;
//   - authentication turns the authorization header into a Principal, and
//     refuses a key over its requests-per-minute limit;
//   - authorization refuses a request over its item limits (items.go),
//     then applies the method's rule to the caller and the request's
//     target, giving the handler its Access.
//
// Calls of other services (health, reflection) get an id, recovery and a
// log line, and no in-band answers or credentials checks.
func (s *Server) Chain() []grpc.UnaryServerInterceptor {
	return []grpc.UnaryServerInterceptor{s.requestID, s.recovery, s.logging, s.authentication, s.authorization}
}

func (s *Server) requestID(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	c := &call{id: reqid.New(), method: info.FullMethod, rt: s.responses[info.FullMethod]}
	c.origin = &service.Origin{ReqID: c.id, Addr: s.clientAddr(ctx)}
	ctx = service.WithOrigin(ctx, c.origin)
	resp, err := handler(context.WithValue(ctx, callKey{}, c), req)
	if c.rt != nil {
		if s := statusOf(resp); s != nil {
			s.ReqId = c.id
		}
	}
	return resp, err
}

func (s *Server) recovery(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (resp any, err error) {
	c := callOf(ctx)
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("panic", "req_id", c.id, "method", c.method, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			resp, err = nil, clavis.Internal(fmt.Errorf("panic: %v", r))
			if c.rt == nil {
				resp, err = nil, status.Error(codes.Internal, "internal error")
			}
		}
		var re *readError
		if c.rt == nil || errors.As(err, &re) {
			return
		}
		var m proto.Message
		if m, err = outcome(c, resp, err); err != nil {
			resp, err = s.answer(ctx, c, err), nil
			return
		}
		if statusOf(m) == nil {
			setStatus(m, okStatus())
		}
	}()
	return handler(ctx, req)
}

// outcome is what a call of one of our methods came to: a response, or the
// error to answer in-band, which is an internal one for a handler that
// returned neither.
func outcome(c *call, resp any, err error) (proto.Message, error) {
	if err != nil {
		return nil, err
	}
	m, ok := resp.(proto.Message)
	if !ok || !m.ProtoReflect().IsValid() {
		return nil, clavis.Internal(fmt.Errorf("%s answered nothing", c.method))
	}
	return m, nil
}

// answer is the in-band answer of the call's method for err: a response
// carrying only the status. A refusal for want of credentials also sets
// ChallengeHeader.
func (s *Server) answer(ctx context.Context, c *call, err error) proto.Message {
	m := c.rt.New().Interface()
	setStatus(m, StatusOf(err))
	if clavis.ErrorCode(err) == clavis.ENoCredentials {
		// Ignored when headers went out already: REST loses only the 401.
		_ = grpc.SetHeader(ctx, metadata.Pairs(ChallengeHeader, challenge))
	}
	if d := clavis.RetryAfter(err); d > 0 {
		_ = grpc.SetHeader(ctx, metadata.Pairs(RetryAfterHeader, strconv.Itoa(int(math.Ceil(d.Seconds())))))
	}
	return m
}

func (s *Server) logging(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (resp any, err error) {
	c := callOf(ctx)
	start := time.Now()
	done := false
	defer func() {
		took := time.Since(start)
		// Room for the attributes appended below: one allocation.
		attrs := append(make([]slog.Attr, 0, 6),
			slog.String("method", c.method), slog.String("req_id", c.id), slog.String("user", c.user),
			slog.Duration("took", took))
		level := slog.LevelInfo
		var code int
		var re *readError
		switch {
		case !done: // a panic on its way to recovery
			code = int(st.StatusCode_INTERNAL_SERVER_ISSUE)
			attrs, level = append(attrs, slog.Int("code", code), slog.String("err", "panic")), slog.LevelError
		case c.rt == nil, errors.As(err, &re):
			gc := status.Code(err)
			code, attrs = int(gc), append(attrs, slog.String("grpc_code", gc.String()))
		default:
			m, err := outcome(c, resp, err)
			if err == nil {
				code = int(st.StatusCode_SUCCESS) // recovery sets it on a response without one
				if s := statusOf(m); s != nil {
					code = int(s.GetCode())
				}
				attrs = append(attrs, slog.Int("code", code))
				break
			}
			code = int(StatusOf(err).GetCode())
			attrs = append(attrs, slog.Int("code", code))
			if ec := clavis.ErrorCode(err); ec == clavis.EInternal || ec == clavis.EPredictFailed || ec == clavis.EStorage || ec == clavis.EUnavailable {
				// The cause is for the log only; clients get "internal error"
				// (or, for storage, why writes fail, not the OS's words).
				attrs, level = append(attrs, slog.String("err", err.Error())), slog.LevelError
			}
		}
		s.record(ctx, c, code, took, level, attrs)
	}()
	resp, err = handler(ctx, req)
	done = true
	return resp, err
}

func (s *Server) authentication(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	c := callOf(ctx)
	if c.rt == nil {
		return handler(ctx, req)
	}
	if r, ok := auth.Rules[c.method]; ok && r.Auth == auth.NoAuth {
		// Credentials, if any, are ignored: the caller stays anonymous.
		c.access = &auth.Access{Principal: &clavis.Principal{}, Method: c.method}
		return handler(ctx, req)
	}
	var header string
	// ValueFromIncomingContext reads the one key; FromIncomingContext
	// would copy every header of the call.
	switch v := metadata.ValueFromIncomingContext(ctx, "authorization"); len(v) {
	case 0:
	case 1:
		header = v[0]
	default:
		return nil, clavis.Errorf(clavis.ENoCredentials, "send exactly one authorization value")
	}
	p, err := s.authn.Authenticate(ctx, header)
	if err != nil {
		return nil, err
	}
	c.user = p.UserID
	c.origin.Principal = p
	c.access = &auth.Access{Principal: p, Method: c.method}
	authenticated(ctx)
	if err := s.limiter.Admit(ctx, p); err != nil {
		return nil, err
	}
	return handler(ctx, req)
}

func (s *Server) authorization(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	c := callOf(ctx)
	if c.rt == nil {
		return handler(ctx, req)
	}
	// The request is read only now, for an authenticated caller. One that
	// could not be decoded names no target; it is answered only to an
	// authenticated caller, as every refusal after this point.
	if err := readRequest(ctx); err != nil {
		return nil, err
	}
	if err := decodeError(ctx); err != nil {
		return nil, decodeFailure(req, err)
	}
	if err := checkItems(req); err != nil {
		return nil, err
	}
	acc, err := s.authz.Authorize(ctx, c.method, c.access.Principal, target(req))
	if err != nil {
		return nil, err
	}
	c.access = acc
	return handler(ctx, req)
}

// target reads what a request names as its target.
func target(req any) auth.Request {
	var t auth.Request
	if r, ok := req.(interface{ GetUserAppId() *pb.UserAppIDSet }); ok {
		t.UserID, t.AppID = r.GetUserAppId().GetUserId(), r.GetUserAppId().GetAppId()
	}
	if r, ok := req.(interface{ GetOrgId() string }); ok {
		t.OrgID = r.GetOrgId()
	}
	if r, ok := req.(*orgsv1.RemoveMemberRequest); ok {
		t.MemberID = r.GetUserId()
	}
	return t
}

// clientAddr is the address of the call's client: the connection's peer
// (or, when the peer is a trusted proxy, the client its x-forwarded-for
// names), or for a call the REST gateway relays, the address it passes.
func (s *Server) clientAddr(ctx context.Context) string {
	if s.isRelayed(ctx) {
		if md, ok := metadata.FromIncomingContext(ctx); ok {
			if v := md.Get(AddrMetadata); len(v) == 1 {
				return v[0]
			}
		}
		return ""
	}
	p, ok := peer.FromContext(ctx)
	if !ok || p.Addr == nil {
		return ""
	}
	host, _, err := net.SplitHostPort(p.Addr.String())
	if err != nil {
		host = p.Addr.String()
	}
	if s.proxies != nil {
		// Only a trusted proxy's x-forwarded-for counts (clientaddr).
		md, _ := metadata.FromIncomingContext(ctx)
		return s.proxies.Resolve(host, md.Get("x-forwarded-for"))
	}
	return host
}
