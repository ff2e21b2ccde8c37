package grpcapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"runtime"
	"runtime/debug"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/auth"
	"github.com/clavis-dev/clavis/internal/service"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"
	adminv1 "github.com/clavis-dev/clavis/api/gen/clavis/admin/v1"
	orgsv1 "github.com/clavis-dev/clavis/api/gen/clavis/orgs/v1"
)

// MaxMessageSize is the largest request accepted: 128 MB, Clarifai's batch
// limit, well above gRPC's 4 MB default since images travel as base64.
const MaxMessageSize = 128 << 20

// Server implements the V2 and Admin services.
type Server struct {
	pb.UnimplementedV2Server
	adminv1.UnimplementedAdminServer

	svc   *service.Service
	authn *auth.Authenticator
	authz *auth.Authorizer
	log   *slog.Logger

	// responses maps each method's full name to its response type, so that
	// a refusal can be answered in-band with the right message.
	responses map[string]protoreflect.MessageType
}

// New returns a Server.
func New(svc *service.Service, authn *auth.Authenticator, authz *auth.Authorizer, log *slog.Logger) *Server {
	s := &Server{svc: svc, authn: authn, authz: authz, log: log, responses: map[string]protoreflect.MessageType{}}
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
	}
}

// Register registers the services on g with the interceptor chain.
func (s *Server) Register(g *grpc.Server) {
	g.RegisterService(inBandDecoding(&pb.V2_ServiceDesc), s)
	g.RegisterService(inBandDecoding(&adminv1.Admin_ServiceDesc), s)
	g.RegisterService(inBandDecoding(&orgsv1.Orgs_ServiceDesc), OrgsServer{Server: s})
}

// ServerOptions returns the options the gRPC server needs: message limits,
// the codec that lets undecodable requests be answered in-band, and the
// interceptor chain.
func (s *Server) ServerOptions() []grpc.ServerOption {
	return []grpc.ServerOption{
		// Reused stream workers keep their grown stacks: the embedded
		// database's deep call chains would otherwise grow a fresh
		// goroutine's stack on every call.
		grpc.NumStreamWorkers(uint32(4 * runtime.GOMAXPROCS(0))),
		grpc.MaxRecvMsgSize(MaxMessageSize),
		grpc.MaxSendMsgSize(MaxMessageSize),
		grpc.ForceServerCodecV2(newCodec()),
		grpc.ChainUnaryInterceptor(s.intercept),
	}
}

type ctxKey int

const (
	accessKey ctxKey = iota
	reqIDKey
)

func access(ctx context.Context) *auth.Access { a, _ := ctx.Value(accessKey).(*auth.Access); return a }

func reqID(ctx context.Context) string { id, _ := ctx.Value(reqIDKey).(string); return id }

func newReqID() string {
	var b [12]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

type userAppRequest interface {
	GetUserAppId() *pb.UserAppIDSet
}

// intercept is the one interceptor of every V2 and Admin call: it assigns a
// request id, recovers panics, authenticates and authorizes, answers refusals
// in-band, stamps the request id on the response, and logs the call. Calls
// of other services (health, reflection) pass through untouched.
func (s *Server) intercept(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (resp any, err error) {
	rt, ours := s.responses[info.FullMethod]
	if !ours {
		return handler(ctx, req)
	}
	start := time.Now()
	id := newReqID()
	ctx = context.WithValue(ctx, reqIDKey, id)
	var user string
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("panic", "req_id", id, "method", info.FullMethod, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			resp, err = s.refusal(rt, clavis.Internal(fmt.Errorf("panic: %v", r))), nil
		}
		status := stampReqID(resp, id)
		s.log.LogAttrs(ctx, slog.LevelInfo, "rpc",
			slog.String("method", info.FullMethod), slog.String("req_id", id), slog.String("user", user),
			slog.Int("code", int(status)), slog.Duration("took", time.Since(start)))
	}()

	var header string
	if md, ok := metadata.FromIncomingContext(ctx); ok {
		if v := md.Get("authorization"); len(v) == 1 {
			header = v[0]
		} else if len(v) > 1 {
			return s.refusal(rt, clavis.Errorf(clavis.ENoCredentials, "send exactly one authorization value")), nil
		}
	}
	p, err := s.authn.Authenticate(ctx, header)
	if err != nil {
		return s.refusal(rt, err), nil
	}
	user = p.UserID
	if err := decodeError(ctx); err != nil {
		return malformed(rt, req, err), nil
	}
	var userID, appID string
	if r, ok := req.(userAppRequest); ok {
		userID, appID = r.GetUserAppId().GetUserId(), r.GetUserAppId().GetAppId()
	}
	acc, err := s.authz.Authorize(ctx, info.FullMethod, p, userID, appID)
	if err != nil {
		return s.refusal(rt, err), nil
	}
	return handler(context.WithValue(ctx, accessKey, acc), req)
}

// refusal builds a response of type rt carrying only the status for err.
func (s *Server) refusal(rt protoreflect.MessageType, err error) proto.Message {
	if clavis.ErrorCode(err) == clavis.EInternal {
		s.log.Error("request failed", "err", err.Error())
	}
	return inBand(rt, StatusOf(err))
}

// inBand builds a response of type rt carrying only status.
func inBand(rt protoreflect.MessageType, status *st.Status) proto.Message {
	m := rt.New()
	f := m.Descriptor().Fields().ByName("status")
	m.Set(f, protoreflect.ValueOfMessage(status.ProtoReflect()))
	return m.Interface()
}

// stampReqID sets status.req_id on a response and returns its status code.
func stampReqID(resp any, id string) st.StatusCode {
	m, ok := resp.(proto.Message)
	if !ok || m == nil {
		return 0
	}
	r := m.ProtoReflect()
	f := r.Descriptor().Fields().ByName("status")
	if f == nil || f.Message() == nil {
		return 0
	}
	sm, ok := r.Mutable(f).Message().Interface().(*st.Status)
	if !ok {
		return 0
	}
	sm.ReqId = id
	return sm.Code
}
