package grpcapi

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/tap"

	"github.com/clavis-dev/clavis/internal/auth"
)

// A call without credentials the server knows costs it little: its
// message is never read (codec.go), and it is answered in-band once its
// key is checked, which for a token the cache does not hold is a store
// lookup. Those calls are counted from the moment their headers arrive,
// before any interceptor, by grpc-go's tap (which must not block, and so
// only asks the cache): within a budget of such calls in flight they go on
// and get their in-band answer; past it they are refused at once with
// RESOURCE_EXHAUSTED, a gRPC status, for the tap cannot answer in-band;
// a token of such a call that the cache does not know is then looked up in
// the background, so that the retry of a call with a valid key finds it.
// A call counts until its caller is authenticated, or until it ends.
// Calls whose token the cache holds as verified are never counted, nor
// are the calls the REST gateway relays (it checks credentials itself
// before reading a body), nor other services' (health, reflection).

// DefaultUnauthenticatedStreams is the budget of calls in flight without
// credentials the cache knows, when none is given.
const DefaultUnauthenticatedStreams = 64

// WithUnauthenticatedStreams sets the budget of calls in flight whose
// credentials the cache does not hold as verified; n <= 0 means
// DefaultUnauthenticatedStreams.
func WithUnauthenticatedStreams(n int) Option {
	return func(s *Server) { s.unauthMax = int64(n) }
}

// unauthenticated counts the calls in flight the tap could not vouch for.
type unauthenticated struct {
	n       atomic.Int64
	lookups atomic.Int64 // prefetches running
}

// admitted is the place of one call in the budget.
type admitted struct {
	once sync.Once
	n    *atomic.Int64
}

// done gives the place back, once.
func (a *admitted) done() { a.once.Do(func() { a.n.Add(-1) }) }

type admittedKey struct{}

// authenticated gives back the place of the call of ctx, if it took one:
// its caller is authenticated now.
func authenticated(ctx context.Context) {
	if a, _ := ctx.Value(admittedKey{}).(*admitted); a != nil {
		a.done()
	}
}

// Admit counts a call of method with metadata md against the budget of
// calls in flight without verified credentials, without blocking. It
// returns the call's context, which gives its place back when it ends or
// the chain authenticates the caller, or a RESOURCE_EXHAUSTED error when
// the budget is full. It is the gRPC server's tap (ServerOptions); a
// transport that serves gRPC through grpc.Server.ServeHTTP, which has no
// tap, calls it itself.
func (s *Server) Admit(ctx context.Context, method string, md metadata.MD) (context.Context, error) {
	if _, ours := s.responses[method]; !ours || s.isRelayed(ctx) {
		return ctx, nil
	}
	var header string
	if v := md.Get("authorization"); len(v) == 1 {
		header = v[0]
	}
	cached := s.authn.Peek(header)
	if cached == auth.CachedValid {
		return ctx, nil
	}
	max := s.unauthMax
	if max <= 0 {
		max = DefaultUnauthenticatedStreams
	}
	if s.unauth.n.Add(1) > max {
		s.unauth.n.Add(-1)
		if cached == auth.CachedNot {
			s.prefetch(header, max)
		}
		return nil, status.Errorf(codes.ResourceExhausted, "the server is answering its limit of %d calls without verified credentials at once; retry later", max)
	}
	a := &admitted{n: &s.unauth.n}
	// A stream's context ends when the stream does, however it ends.
	context.AfterFunc(ctx, a.done)
	return context.WithValue(ctx, admittedKey{}, a), nil
}

// prefetch looks a token the cache does not know up in the background,
// with at most max lookups at once, so that the retry of a refused call
// with a valid key finds it cached.
func (s *Server) prefetch(header string, max int64) {
	if s.unauth.lookups.Add(1) > max {
		s.unauth.lookups.Add(-1)
		return
	}
	go func() {
		defer s.unauth.lookups.Add(-1)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		s.authn.Authenticate(ctx, header) //nolint:errcheck // only fills the cache
	}()
}

// tapOption is the server option of the tap.
func (s *Server) tapOption() grpc.ServerOption {
	return grpc.InTapHandle(func(ctx context.Context, info *tap.Info) (context.Context, error) {
		return s.Admit(ctx, info.FullMethodName, info.Header)
	})
}
