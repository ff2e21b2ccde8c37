package gateway

import (
	"context"
	"fmt"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// Local calls the unary methods of the gRPC server's services in process:
// the request message the gateway decoded goes to the same interceptor
// chain and handler a network call reaches, without being encoded, framed,
// sent over a connection and decoded again, and so does the answer on its
// way back. Register the services on it as on the grpc.Server (it is a
// grpc.ServiceRegistrar), with the server's unary interceptors; the calls
// it cannot make (streams, methods not registered on it) go over the
// in-process connection.
//
// To the chain a call looks as one over that connection: its peer is the
// gateway's (Relayed reports it), the gateway's metadata is its incoming
// metadata, grpc.SetHeader, SendHeader and SetTrailer work and reach the
// gateway, and the answer's error is a gRPC status.
type Local struct {
	chain   grpc.UnaryServerInterceptor
	methods map[string]localMethod
	// slots bounds the calls in flight, as the connection's stream limit
	// bounds those over it; nil: unbounded.
	slots chan struct{}
}

type localMethod struct {
	srv     any
	handler grpc.MethodHandler
}

// NewLocal returns a Local whose calls run the interceptors in order, the
// first outermost, as grpc.ChainUnaryInterceptor chains them; at most
// maxCalls at once (0: no bound), the others waiting for a place.
func NewLocal(maxCalls int, interceptors ...grpc.UnaryServerInterceptor) *Local {
	l := &Local{chain: chainUnary(interceptors), methods: map[string]localMethod{}}
	if maxCalls > 0 {
		l.slots = make(chan struct{}, maxCalls)
	}
	return l
}

// RegisterService registers the unary methods of sd, served by impl.
func (l *Local) RegisterService(sd *grpc.ServiceDesc, impl any) {
	for _, md := range sd.Methods {
		l.methods[fmt.Sprintf("/%s/%s", sd.ServiceName, md.MethodName)] = localMethod{srv: impl, handler: md.Handler}
	}
}

// chainUnary returns one interceptor that runs ics in order; nil for none.
func chainUnary(ics []grpc.UnaryServerInterceptor) grpc.UnaryServerInterceptor {
	if len(ics) == 0 {
		return nil
	}
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		return ics[0](ctx, req, info, next(ics[1:], info, handler))
	}
}

func next(ics []grpc.UnaryServerInterceptor, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) grpc.UnaryHandler {
	if len(ics) == 0 {
		return handler
	}
	return func(ctx context.Context, req any) (any, error) {
		return ics[0](ctx, req, info, next(ics[1:], info, handler))
	}
}

// localConn is the gateway's client connection: unary calls of methods
// Local serves go to it, everything else to conn.
type localConn struct {
	local *Local
	conn  grpc.ClientConnInterface
}

func (c localConn) NewStream(ctx context.Context, desc *grpc.StreamDesc, method string, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	return c.conn.NewStream(ctx, desc, method, opts...)
}

func (c localConn) Invoke(ctx context.Context, method string, args, reply any, opts ...grpc.CallOption) error {
	m, ok := c.local.methods[method]
	if !ok {
		return c.conn.Invoke(ctx, method, args, reply, opts...)
	}
	return c.local.invoke(ctx, m, method, args, reply, opts)
}

func (l *Local) invoke(ctx context.Context, m localMethod, method string, args, reply any, opts []grpc.CallOption) error {
	if l.slots != nil {
		select {
		case l.slots <- struct{}{}:
			defer func() { <-l.slots }()
		case <-ctx.Done():
			return status.FromContextError(ctx.Err()).Err()
		}
	}
	// The server's context: what the gateway sends as outgoing metadata
	// arrives as incoming, and nothing goes out of the server's own calls.
	md, _ := metadata.FromOutgoingContext(ctx)
	ctx = metadata.NewIncomingContext(metadata.NewOutgoingContext(ctx, nil), md)
	ctx = peer.NewContext(ctx, &peer.Peer{Addr: pipeAddr{}, LocalAddr: pipeAddr{}})
	stream := &localStream{method: method}
	ctx = grpc.NewContextWithServerTransportStream(ctx, stream)

	// The method's handler decodes nothing: its request is args, which the
	// interceptor passes on in place of the empty message it made.
	resp, err := m.handler(m.srv, ctx, func(any) error { return nil },
		func(ctx context.Context, _ any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
			if l.chain == nil {
				return handler(ctx, args)
			}
			return l.chain(ctx, args, info, handler)
		})
	header, trailer := stream.done()
	for _, o := range opts {
		switch o := o.(type) {
		case grpc.HeaderCallOption:
			*o.HeaderAddr = header
		case grpc.TrailerCallOption:
			*o.TrailerAddr = trailer
		}
	}
	if err != nil {
		if _, ok := status.FromError(err); !ok {
			// As the server's transport answers a plain error.
			err = status.FromContextError(err).Err()
		}
		return err
	}
	out, ok := resp.(proto.Message)
	if !ok {
		return status.Errorf(codes.Internal, "%s answered %T", method, resp)
	}
	// The gateway's reply is a fresh message of the response's type.
	proto.Merge(reply.(proto.Message), out)
	return nil
}

// localStream holds the headers and trailers a call's chain and handler
// set, as a server transport stream does.
type localStream struct {
	method string

	mu              sync.Mutex
	header, trailer metadata.MD
	sent            bool
}

func (s *localStream) Method() string { return s.method }

func (s *localStream) SetHeader(md metadata.MD) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sent {
		return status.Error(codes.Internal, "transport: the stream is done or WriteHeader was already called")
	}
	s.header = join(s.header, md)
	return nil
}

func (s *localStream) SendHeader(md metadata.MD) error {
	if err := s.SetHeader(md); err != nil {
		return err
	}
	s.mu.Lock()
	s.sent = true
	s.mu.Unlock()
	return nil
}

func (s *localStream) SetTrailer(md metadata.MD) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.trailer = join(s.trailer, md)
	return nil
}

// join adds md's values to dst's, as metadata.Join does, but in place.
func join(dst, md metadata.MD) metadata.MD {
	if dst == nil {
		dst = make(metadata.MD, len(md))
	}
	for k, v := range md {
		dst[k] = append(dst[k], v...)
	}
	return dst
}

// done ends the call: headers set from now on are refused, as once a
// server has answered.
func (s *localStream) done() (header, trailer metadata.MD) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sent = true
	if s.header == nil {
		s.header = metadata.MD{}
	}
	if s.trailer == nil {
		s.trailer = metadata.MD{}
	}
	return s.header, s.trailer
}
