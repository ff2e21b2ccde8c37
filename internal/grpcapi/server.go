package grpcapi

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/clavis-dev/clavis/internal/auth"
	"github.com/clavis-dev/clavis/internal/clientaddr"
	"github.com/clavis-dev/clavis/internal/service"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	accountv1 "github.com/clavis-dev/clavis/api/gen/clavis/account/v1"
	adminv1 "github.com/clavis-dev/clavis/api/gen/clavis/admin/v1"
	orgsv1 "github.com/clavis-dev/clavis/api/gen/clavis/orgs/v1"
	tokensv1 "github.com/clavis-dev/clavis/api/gen/clavis/tokens/v1"
)

// MaxMessageSize is the largest request accepted: 128 MB, Clarifai's batch
// limit, well above gRPC's 4 MB default since images travel as base64.
const MaxMessageSize = 128 << 20

// Server implements the V2, Admin and Orgs services. Its handlers return
// domain errors; the interceptor chain turns them, and every refusal, into
// the method's in-band answer.
type Server struct {
	pb.UnimplementedV2Server
	adminv1.UnimplementedAdminServer

	svc   *service.Service
	authn *auth.Authenticator
	authz *auth.Authorizer
	log   *slog.Logger

	metrics Metrics                    // nil: none
	relayed func(context.Context) bool // nil: none are

	// responses maps each method's full name to its response type, so that
	// an error can be answered in-band with the right message.
	responses map[string]protoreflect.MessageType

	// hostedBase starts the hosted URLs of input images (HostImagesAt).
	hostedBase string

	// limiter enforces the keys' requests-per-minute limits; nil: none.
	limiter *auth.RateLimiter
	// proxies says which peers' x-forwarded-for to believe; nil: none.
	proxies *clientaddr.Trusted

	// The budget of calls in flight without verified credentials (tap.go).
	unauthMax int64
	unauth    unauthenticated
}

// New returns a Server.
func New(svc *service.Service, authn *auth.Authenticator, authz *auth.Authorizer, log *slog.Logger, opts ...Option) *Server {
	s := &Server{svc: svc, authn: authn, authz: authz, log: log, responses: map[string]protoreflect.MessageType{}}
	for _, o := range opts {
		o(s)
	}
	for _, sd := range ServiceDescriptors() {
		for i := 0; i < sd.Methods().Len(); i++ {
			md := sd.Methods().Get(i)
			mt, err := protoregistry.GlobalTypes.FindMessageByName(md.Output().FullName())
			if err != nil {
				panic(fmt.Sprintf("grpcapi: no type for %s: %v", md.Output().FullName(), err))
			}
			s.responses[fmt.Sprintf("/%s/%s", sd.FullName(), md.Name())] = mt
		}
	}
	return s
}

// ServiceDescriptors returns the descriptors of the services Server
// implements; tests take the method list from here, not from auth.Rules.
func ServiceDescriptors() []protoreflect.ServiceDescriptor {
	return []protoreflect.ServiceDescriptor{
		pb.File_clarifai_api_service_proto.Services().ByName("V2"),
		adminv1.File_clavis_admin_v1_admin_proto.Services().ByName("Admin"),
		orgsv1.File_clavis_orgs_v1_orgs_proto.Services().ByName("Orgs"),
		accountv1.File_clavis_account_v1_account_proto.Services().ByName("Account"),
		tokensv1.File_clavis_tokens_v1_tokens_proto.Services().ByName("Tokens"),
	}
}

// Methods returns the full names ("/clarifai.api.V2/GetApp") of the
// methods of the services Server implements.
func Methods() []string {
	var out []string
	for _, sd := range ServiceDescriptors() {
		for i := 0; i < sd.Methods().Len(); i++ {
			out = append(out, fmt.Sprintf("/%s/%s", sd.FullName(), sd.Methods().Get(i).Name()))
		}
	}
	return out
}

// Register registers the services on g (the grpc.Server, or the REST
// gateway's in-process caller), with handlers that leave a request's
// decoding error for the chain to answer (see codec.go).
func (s *Server) Register(g grpc.ServiceRegistrar) {
	g.RegisterService(inBandDecoding(&pb.V2_ServiceDesc), s)
	g.RegisterService(inBandDecoding(&adminv1.Admin_ServiceDesc), s)
	g.RegisterService(inBandDecoding(&orgsv1.Orgs_ServiceDesc), OrgsServer{Server: s})
	g.RegisterService(inBandDecoding(&accountv1.Account_ServiceDesc), AccountServer{Server: s})
	g.RegisterService(inBandDecoding(&tokensv1.Tokens_ServiceDesc), TokensServer{Server: s})
}

// ServerOptions returns the options the gRPC server needs: message limits,
// the codec that lets undecodable requests be answered in-band, the
// interceptor chains, and the answer to methods no service declares.
func (s *Server) ServerOptions() []grpc.ServerOption {
	return []grpc.ServerOption{
		// Reused stream workers keep their grown stacks: the embedded
		// database's deep call chains would otherwise grow a fresh
		// goroutine's stack on every call.
		grpc.NumStreamWorkers(uint32(4 * runtime.GOMAXPROCS(0))),
		grpc.MaxRecvMsgSize(MaxMessageSize),
		grpc.MaxSendMsgSize(MaxMessageSize),
		grpc.ForceServerCodecV2(newCodec()),
		grpc.ChainUnaryInterceptor(s.Chain()...),
		grpc.ChainStreamInterceptor(s.StreamChain()...),
		grpc.UnknownServiceHandler(s.UnknownMethod),
		s.tapOption(),
	}
}
