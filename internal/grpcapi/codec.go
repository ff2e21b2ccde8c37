package grpcapi

import (
	"context"

	"google.golang.org/grpc"
	"google.golang.org/grpc/encoding"
	encproto "google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/clavis-dev/clavis/clavis"
)

// A request that is not valid protobuf fails in grpc-go's generated handler,
// before any interceptor runs, and grpc-go answers it INTERNAL. To answer it
// in-band like every other refusal, the handlers of Server's unary methods
// (see inBandDecoding) decode into a lenient, which the server's codec fills
// without failing: the decoding error is kept in the call's context, and the
// chain answers it, once the caller is authenticated, with 11100
// CONN_BAD_REQUEST_FORMAT. Streams and
// other services (health, reflection) decode as grpc-go does.
//
// Nor is the request read before the caller is authenticated: grpc-go
// reads a unary call's message from the stream when the generated handler
// asks for it (grpc.Server's wrapUnaryHandler), and inBandDecoding's
// handlers put that off until the authorization stage (readRequest). A
// call refused for want of credentials is answered without its message
// ever being read, however large: grpc-go then resets the rest of the
// stream, and the client, whose unary send ignores that, reads the answer.

// codec is grpc-go's protobuf codec, but lenient with lenients.
type codec struct{ encoding.CodecV2 }

func newCodec() codec { return codec{encoding.GetCodecV2(encproto.Name)} }

func (c codec) Unmarshal(data mem.BufferSlice, v any) error {
	if l, ok := v.(*lenient); ok {
		l.err = c.CodecV2.Unmarshal(data, l.msg)
		return nil
	}
	return c.CodecV2.Unmarshal(data, v)
}

// lenient is a request message to decode and the error decoding it gave.
type lenient struct {
	msg any
	err error
}

type decodeKey struct{}

// decodeResult is the request of a call, read when the chain asks.
type decodeResult struct {
	msg  any             // the request message to fill
	dec  func(any) error // grpc-go's: reads and decodes the message
	read bool            // dec was called
	// readErr is the stream's error reading the message (too large, the
	// client went away): a gRPC status, answered as it is.
	readErr error
	err     error // the error decoding it
}

// readError is the error of reading a request from the stream, which the
// chain answers with its gRPC status rather than in-band.
type readError struct{ err error }

func (e *readError) Error() string { return e.err.Error() }

func (e *readError) Unwrap() error { return e.err }

// GRPCStatus is the status grpc-go answers the call with.
func (e *readError) GRPCStatus() *status.Status { return status.Convert(e.err) }

// inBandDecoding returns a copy of sd whose unary handlers read their
// request only when the chain asks (readRequest), decode it leniently and
// leave the error in the context for the interceptor.
func inBandDecoding(sd *grpc.ServiceDesc) *grpc.ServiceDesc {
	out := *sd
	out.Methods = make([]grpc.MethodDesc, len(sd.Methods))
	for i, md := range sd.Methods {
		handler := md.Handler
		md.Handler = func(srv any, ctx context.Context, dec func(any) error, ic grpc.UnaryServerInterceptor) (any, error) {
			res := &decodeResult{dec: dec}
			return handler(srv, context.WithValue(ctx, decodeKey{}, res), func(v any) error {
				res.msg = v
				return nil
			}, ic)
		}
		out.Methods[i] = md
	}
	return &out
}

// readRequest reads and decodes the call's request, once; its error is
// the stream's, as a *readError. A decoding error is decodeError's.
func readRequest(ctx context.Context) error {
	res, _ := ctx.Value(decodeKey{}).(*decodeResult)
	if res == nil || res.msg == nil {
		return nil
	}
	if !res.read {
		res.read = true
		l := &lenient{msg: res.msg}
		if err := res.dec(l); err != nil {
			res.readErr = &readError{err}
		} else {
			res.err = l.err
		}
	}
	return res.readErr
}

// decodeError returns the error decoding the call's request gave, if any.
func decodeError(ctx context.Context) error {
	if res, _ := ctx.Value(decodeKey{}).(*decodeResult); res != nil {
		return res.err
	}
	return nil
}

// decodeFailure is the error of a request that could not be decoded.
func decodeFailure(req any, err error) error {
	var name protoreflect.FullName
	if m, ok := req.(proto.Message); ok {
		name = proto.MessageName(m)
	}
	return clavis.Errorf(clavis.EBadFormat, "the request is not a valid %s: %v", name, err)
}
