package grpcapi

import (
	"context"

	"google.golang.org/grpc"
	"google.golang.org/grpc/encoding"
	encproto "google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/mem"
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

// decodeResult holds the error of decoding a call's request.
type decodeResult struct{ err error }

// inBandDecoding returns a copy of sd whose unary handlers decode their
// request leniently and leave the error in the context for the interceptor.
func inBandDecoding(sd *grpc.ServiceDesc) *grpc.ServiceDesc {
	out := *sd
	out.Methods = make([]grpc.MethodDesc, len(sd.Methods))
	for i, md := range sd.Methods {
		handler := md.Handler
		md.Handler = func(srv any, ctx context.Context, dec func(any) error, ic grpc.UnaryServerInterceptor) (any, error) {
			res := &decodeResult{}
			return handler(srv, context.WithValue(ctx, decodeKey{}, res), func(v any) error {
				l := &lenient{msg: v}
				if err := dec(l); err != nil {
					return err
				}
				res.err = l.err
				return nil
			}, ic)
		}
		out.Methods[i] = md
	}
	return &out
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
