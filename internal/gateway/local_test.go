package gateway

import (
	"context"
	"errors"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// probeHealth is a health service whose Check answers what the call looked
// like to it: each service name asks for one behaviour.
type probeHealth struct {
	healthpb.UnimplementedHealthServer
	block chan struct{} // "block" waits for it
}

func (h *probeHealth) Check(ctx context.Context, req *healthpb.HealthCheckRequest) (*healthpb.HealthCheckResponse, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	if out, _ := metadata.FromOutgoingContext(ctx); len(out) > 0 {
		return nil, status.Error(codes.FailedPrecondition, "outgoing metadata leaked into the server")
	}
	method, ok := grpc.Method(ctx)
	if !ok {
		return nil, status.Error(codes.FailedPrecondition, "no method")
	}
	grpc.SetHeader(ctx, metadata.Pairs("x-method", method, "x-relayed", map[bool]string{true: "yes", false: "no"}[Relayed(ctx)]))
	grpc.SetTrailer(ctx, metadata.Pairs("x-trailer", "t"))
	switch req.GetService() {
	case "echo":
		grpc.SetHeader(ctx, metadata.MD{"x-echo": md.Get("x-probe")})
	case "sent":
		grpc.SendHeader(ctx, metadata.Pairs("x-sent", "1"))
		if err := grpc.SetHeader(ctx, metadata.Pairs("x-late", "1")); err == nil {
			return nil, status.Error(codes.FailedPrecondition, "a header set after SendHeader was taken")
		}
	case "status":
		return nil, status.Error(codes.NotFound, "no such service")
	case "plain":
		return nil, errors.New("plain failure")
	case "block":
		<-h.block
	}
	return &healthpb.HealthCheckResponse{Status: healthpb.HealthCheckResponse_SERVING}, nil
}

// tagging is an interceptor that marks the answer, to show the chain runs.
func tagging(tag string) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		grpc.SetHeader(ctx, metadata.Pairs("x-chain", tag))
		return handler(ctx, req)
	}
}

// TestLocalAnswersAsTheConnection calls each behaviour of probeHealth in
// process and over the in-process connection to the same grpc.Server, and
// requires the same answer, headers and trailers.
func TestLocalAnswersAsTheConnection(t *testing.T) {
	impl := &probeHealth{block: make(chan struct{})}
	ics := []grpc.UnaryServerInterceptor{tagging("outer"), tagging("inner")}
	g := grpc.NewServer(grpc.ChainUnaryInterceptor(ics...))
	healthpb.RegisterHealthServer(g, impl)
	local := NewLocal(0, ics...)
	healthpb.RegisterHealthServer(local, impl)
	ln := newPipeListener()
	go g.Serve(ln)
	defer g.Stop()
	conn, err := grpc.NewClient("passthrough:///test", grpc.WithContextDialer(ln.dial), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	viaConn, viaLocal := healthpb.NewHealthClient(conn), healthpb.NewHealthClient(localConn{local: local, conn: conn})

	type answer struct {
		resp            *healthpb.HealthCheckResponse
		code            codes.Code
		msg             string
		header, trailer metadata.MD
	}
	call := func(c healthpb.HealthClient, service string) answer {
		ctx := metadata.AppendToOutgoingContext(context.Background(), "x-probe", "p1", "x-probe", "p2")
		var a answer
		var err error
		a.resp, err = c.Check(ctx, &healthpb.HealthCheckRequest{Service: service}, grpc.Header(&a.header), grpc.Trailer(&a.trailer))
		a.code, a.msg = status.Code(err), status.Convert(err).Message()
		return a
	}
	for _, service := range []string{"", "echo", "sent", "status", "plain"} {
		want, got := call(viaConn, service), call(viaLocal, service)
		if got.code != want.code || got.msg != want.msg || !proto.Equal(got.resp, want.resp) {
			t.Errorf("%q: in process %v %q %v; over the connection %v %q %v", service, got.code, got.msg, got.resp, want.code, want.msg, want.resp)
		}
		for _, k := range []string{"x-method", "x-chain", "x-echo", "x-sent", "x-late"} {
			if g, w := got.header.Get(k), want.header.Get(k); len(g) != len(w) || (len(g) > 0 && g[0] != w[0]) {
				t.Errorf("%q: header %s in process %q, over the connection %q", service, k, g, w)
			}
		}
		if g, w := got.trailer.Get("x-trailer"), want.trailer.Get("x-trailer"); len(g) != len(w) {
			t.Errorf("%q: trailer in process %q, over the connection %q", service, g, w)
		}
		if r := got.header.Get("x-relayed"); len(r) != 1 || r[0] != "yes" {
			t.Errorf("%q: Relayed in process = %q, want yes", service, r)
		}
	}
	if a := call(viaLocal, "echo"); len(a.header.Get("x-echo")) != 2 || a.header.Get("x-chain")[0] != "outer" {
		t.Errorf("echo: header %v: want both x-probe values and the outer interceptor first", a.header)
	}

	// A stream is not Local's: it takes the connection.
	w, err := viaLocal.Watch(context.Background(), &healthpb.HealthCheckRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Recv(); status.Code(err) != codes.Unimplemented {
		t.Errorf("Watch: %v, want the server's Unimplemented", err)
	}
}

// TestLocalBoundsCalls shows that past maxCalls in flight a call waits for
// a place, and gives up with its context.
func TestLocalBoundsCalls(t *testing.T) {
	impl := &probeHealth{block: make(chan struct{})}
	local := NewLocal(1)
	healthpb.RegisterHealthServer(local, impl)
	c := healthpb.NewHealthClient(localConn{local: local})
	first := make(chan error, 1)
	go func() {
		_, err := c.Check(context.Background(), &healthpb.HealthCheckRequest{Service: "block"})
		first <- err
	}()
	for len(local.slots) == 0 {
		select {
		case err := <-first:
			t.Fatalf("the blocking call ended before it was released: %v", err)
		case <-time.After(time.Millisecond):
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := c.Check(ctx, &healthpb.HealthCheckRequest{}); status.Code(err) != codes.DeadlineExceeded {
		t.Errorf("second call while the first holds the place: %v, want DeadlineExceeded", err)
	}
	close(impl.block)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if _, err := c.Check(context.Background(), &healthpb.HealthCheckRequest{}); err != nil {
		t.Errorf("after the first ended: %v", err)
	}
}
