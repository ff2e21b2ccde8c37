// Package gateway serves the REST/JSON form of the API (Clarifai's /v2
// paths, configured in api/gateway.yaml) with grpc-gateway. Every REST call
// is made to the same grpc.Server's services, in process (Local) or over an
// in-process connection, so authentication, authorization, request ids and
// in-band errors come from the one gRPC interceptor chain.
package gateway

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/encoding/protojson"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"
	accountv1 "github.com/clavis-dev/clavis/api/gen/clavis/account/v1"
	adminv1 "github.com/clavis-dev/clavis/api/gen/clavis/admin/v1"
	orgsv1 "github.com/clavis-dev/clavis/api/gen/clavis/orgs/v1"
	tokensv1 "github.com/clavis-dev/clavis/api/gen/clavis/tokens/v1"
	"github.com/clavis-dev/clavis/api/gen/openapi"
	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/clientaddr"
	"github.com/clavis-dev/clavis/internal/gateway/bindings"
)

// MaxBodySize bounds a REST request body: 128 MB, as for gRPC messages.
const MaxBodySize = 128 << 20

// OpenAPIPath is where the OpenAPI document is served.
const OpenAPIPath = "/v2/openapi.json"

// marshaler writes snake_case names, enums as numbers and every scalar and
// list even when empty (Clarifai's show-if-empty fields: lists,
// Concept.value, bounding boxes), but not absent messages;
// it reads either name form and enum names or numbers, ignoring unknown
// fields.
var marshaler = &runtime.JSONPb{
	MarshalOptions:   protojson.MarshalOptions{UseProtoNames: true, UseEnumNumbers: true, EmitDefaultValues: true},
	UnmarshalOptions: protojson.UnmarshalOptions{DiscardUnknown: true},
}

// statusJSON writes gateway-level error bodies: only the status object.
var statusJSON = protojson.MarshalOptions{UseProtoNames: true, UseEnumNumbers: true}

// Config configures the REST handler. The zero value works.
type Config struct {
	// Log receives one line per request; nil discards them.
	Log *slog.Logger
	// ChallengeHeader names the gRPC response header whose value, when a
	// call's answer carries it, makes the HTTP answer 401 with that value
	// as WWW-Authenticate: the server sets it on refusals for want of
	// credentials. Empty means none.
	ChallengeHeader string
	// UserHeader names the gRPC response header that carries the caller's
	// user id back to the gateway for its log line; empty means none.
	UserHeader string
	// AddrMetadata names the gRPC request metadata that carries the
	// client's address (the host of the connection's remote address) to the
	// server, which trusts it only on the calls the gateway relays;
	// empty means none is sent.
	AddrMetadata string
	// SchemeMetadata names the gRPC request metadata that carries the
	// scheme of the client's request ("https" over TLS, else "http"), which
	// the server trusts only on the calls the gateway relays; empty means
	// none is sent.
	SchemeMetadata string
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names
	// the client's address that AddrMetadata carries; nil trusts none, and
	// the header is ignored.
	TrustedProxies *clientaddr.Trusted
	// RetryAfterHeader names the gRPC response header whose value (seconds)
	// a throttled answer carries; REST sends it as Retry-After. Empty means
	// none.
	RetryAfterHeader string
	// HTTPStatusHeader names the gRPC response header with which a method
	// asks for another 2xx status than 200 on success. Empty means none.
	HTTPStatusHeader string
	// Observe, when set, is called once per request with its HTTP method,
	// the path template of its route ("" when it matched none), the HTTP
	// status answered and the time taken.
	Observe func(method, route string, status int, took time.Duration)

	// gRPC-Web and CORS (grpcweb.go, cors.go).

	// CORSOrigins lists the origins (scheme://host[:port]) whose web pages
	// may call the API, REST and gRPC-Web, from a browser; none by default.
	CORSOrigins []string
	// Authenticate, when set, checks the authorization header of a REST
	// or gRPC-Web call before its body is read, as the server would: an
	// ENoCredentials or EUnauthenticated error is a refusal. A call it
	// refuses is relayed without its body: the server answers it as
	// always, in-band, for want of credentials, and the body is never held
	// (admit.go).
	// addr is the client's address, as the server is told it (a key may
	// be limited to addresses).
	Authenticate func(ctx context.Context, authorization, addr string) error
	// OpenPaths are REST paths that take no credentials (revocation by
	// value): Authenticate is not asked about them, and their bodies are
	// read under the body budget as any other.
	OpenPaths []string
	// BodyBudget bounds the bytes of request bodies, REST and gRPC-Web,
	// the gateway holds at once across all requests; a request over it is
	// answered 40030 RPC_REQUEST_QUEUE_FULL. 0 means DefaultBodyBudget.
	BodyBudget int64
	// Local, when set, makes REST's unary calls in process (local.go)
	// rather than over the in-process connection; gRPC-Web's calls and
	// streams still take the connection.
	Local *Local
}

// New returns the REST handler and a Closer that ends its connection to g.
// It serves g on an in-memory listener; g's own Stop or GracefulStop also
// ends that.
func New(ctx context.Context, g *grpc.Server, cfg Config) (http.Handler, io.Closer, error) {
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ln := newPipeListener()
	go g.Serve(ln) //nolint:errcheck // returns when ln or g closes
	conn, err := grpc.NewClient("passthrough:///clavis-in-process",
		grpc.WithContextDialer(ln.dial),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(MaxBodySize+(1<<20)), grpc.MaxCallSendMsgSize(MaxBodySize+(1<<20))),
	)
	if err != nil {
		ln.Close()
		return nil, nil, err
	}
	mux := runtime.NewServeMux(
		runtime.WithMarshalerOption(runtime.MIMEWildcard, conceptsJSON{marshaler}),
		// Authorization travels as metadata "authorization" (grpc-gateway
		// always forwards it so); no other header is forwarded.
		runtime.WithIncomingHeaderMatcher(func(string) (string, bool) { return "", false }),
		runtime.WithMetadata(func(_ context.Context, r *http.Request) metadata.MD {
			return cfg.relayMetadata(r)
		}),
		runtime.WithOutgoingHeaderMatcher(func(string) (string, bool) { return "", false }),
		runtime.WithForwardResponseOption(httpStatus(cfg)),
		runtime.WithErrorHandler(errorHandler),
		runtime.WithRoutingErrorHandler(routingErrorHandler),
		runtime.SetQueryParameterParser(queryParser{}),
		runtime.WithDisablePathLengthFallback(),
		runtime.WithDisableHTTPMethodOverride(),
	)
	closer := closeFunc(func() error { err := conn.Close(); ln.Close(); return err })
	var cc grpc.ClientConnInterface = conn
	if cfg.Local != nil {
		cc = localConn{local: cfg.Local, conn: conn}
	}
	for _, reg := range []func(context.Context, *runtime.ServeMux) error{
		func(ctx context.Context, m *runtime.ServeMux) error {
			return pb.RegisterV2HandlerClient(ctx, m, pb.NewV2Client(cc))
		},
		func(ctx context.Context, m *runtime.ServeMux) error {
			return adminv1.RegisterAdminHandlerClient(ctx, m, adminv1.NewAdminClient(cc))
		},
		func(ctx context.Context, m *runtime.ServeMux) error {
			return orgsv1.RegisterOrgsHandlerClient(ctx, m, orgsv1.NewOrgsClient(cc))
		},
		func(ctx context.Context, m *runtime.ServeMux) error {
			return accountv1.RegisterAccountHandlerClient(ctx, m, accountv1.NewAccountClient(cc))
		},
		func(ctx context.Context, m *runtime.ServeMux) error {
			return tokensv1.RegisterTokensHandlerClient(ctx, m, tokensv1.NewTokensClient(cc))
		},
	} {
		if err := reg(ctx, mux); err != nil {
			closer.Close()
			return nil, nil, err
		}
	}
	served, err := servedV2()
	if err != nil {
		closer.Close()
		return nil, nil, err
	}
	bb := cfg.BodyBudget
	if bb <= 0 {
		bb = DefaultBodyBudget
	}
	h := &handler{mux: mux, router: newRouter(bindings.Clarifai(), served), access: accessLog{log, cfg.Observe}, budget: &budget{max: bb}}
	if err := h.serveGRPCWebOn(g, conn, cfg); err != nil {
		closer.Close()
		return nil, nil, err
	}
	return h, closer, nil
}

type closeFunc func() error

func (f closeFunc) Close() error { return f() }

// handler wraps the mux with the checks grpc-gateway does not make: body
// size and content type, user_app_id agreement between path and
// body/query; answers the methods Clavis does not declare; serves the
// OpenAPI document; and logs every request.
type handler struct {
	mux    *runtime.ServeMux
	router *router
	access accessLog
	budget *budget
	grpcWeb
}

// bodyState records, per request, whether the body went over MaxBodySize,
// did not arrive within the server's body timeout, or did not fit the
// budget of bodies in flight.
type bodyState struct{ tooLarge, timedOut, queueFull bool }

type bodyStateKey struct{}

// limitedBody reports an oversized or late body in its bodyState.
type limitedBody struct {
	io.ReadCloser
	state *bodyState
}

func (b limitedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		b.state.tooLarge = true
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		b.state.timedOut = true
	}
	if errors.Is(err, errQueueFull) {
		b.state.queueFull = true
	}
	return n, err
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a := &admission{budget: h.budget}
	defer a.release()
	h.access.serve(w, r, "", func(w http.ResponseWriter, r *http.Request) { h.serveCORS(w, r, a) })
	if unread := a.unread; unread != nil {
		// Once the request is logged: its answer, whole, then the body it
		// did not need, read into nothing, so that a client still sending
		// it finishes and reads the answer rather than have its connection
		// reset. The body's own bounds (its size limit, the server's body
		// timeout) bound that reading.
		http.NewResponseController(w).Flush()
		io.Copy(io.Discard, unread)
		unread.Close()
	}
}

func (h *handler) serve(w http.ResponseWriter, r *http.Request, a *admission) {
	if r.URL.Path == OpenAPIPath {
		recorderOf(w).route = OpenAPIPath
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			writeStatus(w, http.StatusMethodNotAllowed, st.StatusCode_CONN_METHOD_NOT_ALLOWED, "Method not allowed", "use GET")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(openapi.JSON)
		return
	}
	if rt, ok := h.router.lookup(r.Method, r.URL.EscapedPath()); ok && !rt.served {
		recorderOf(w).route = rt.t.String()
		serveUndeclared(w, rt.method)
		return
	}
	if r.ContentLength > MaxBodySize {
		writeTooLarge(w)
		return
	}
	if hasBody(r) && !jsonContentType(r.Header.Get("Content-Type")) {
		writeStatus(w, http.StatusUnsupportedMediaType, st.StatusCode_CONN_BAD_REQUEST_FORMAT, "Bad request format",
			"Content-Type must be application/json")
		return
	}
	if hasBody(r) {
		if err := h.admit(w, r, a, MaxBodySize); err != nil {
			writeQueueFull(w, h.budget.max)
			return
		}
	} else {
		r.Body = http.MaxBytesReader(w, r.Body, MaxBodySize)
	}
	state := &bodyState{}
	r = r.WithContext(context.WithValue(r.Context(), bodyStateKey{}, state))
	r.Body = limitedBody{ReadCloser: r.Body, state: state}
	if !checkUserAppID(w, r) {
		return
	}
	h.mux.ServeHTTP(w, r)
}

// hasBody reports whether r may carry a body that the gateway will read.
func hasBody(r *http.Request) bool {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	return r.ContentLength != 0
}

// jsonContentType accepts JSON, no content type at all, and curl's default
// form type (curl -d sends JSON labelled so).
func jsonContentType(ct string) bool {
	if ct == "" {
		return true
	}
	mt, _, _ := strings.Cut(strings.ToLower(ct), ";")
	mt = strings.TrimSpace(mt)
	return mt == "application/json" || strings.HasSuffix(mt, "+json") || mt == "text/json" ||
		mt == "application/x-www-form-urlencoded" || mt == "*/*"
}

// RedactPath replaces every path segment that looks like a Clavis token
// (clvp_…, clvk_…) with "REDACTED", so access logs never hold a secret.
func RedactPath(p string) string {
	if !strings.Contains(p, clavis.PATPrefix) && !strings.Contains(p, clavis.AppKeyPrefix) {
		return p
	}
	segs := strings.Split(p, "/")
	for i, s := range segs {
		if strings.HasPrefix(s, clavis.PATPrefix) || strings.HasPrefix(s, clavis.AppKeyPrefix) {
			segs[i] = "REDACTED"
		}
	}
	return strings.Join(segs, "/")
}

// redactText replaces token-like words in error details.
func redactText(s string) string {
	for _, prefix := range []string{clavis.PATPrefix, clavis.AppKeyPrefix} {
		for {
			i := strings.Index(s, prefix)
			if i < 0 {
				break
			}
			j := i + len(prefix)
			for j < len(s) && (isTokenChar(s[j])) {
				j++
			}
			s = s[:i] + "REDACTED" + s[j:]
		}
	}
	return s
}

func isTokenChar(c byte) bool {
	return c == '_' || c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// relayMetadata is the metadata the gateway adds to a call it relays, each
// under its name when that is set: the client's address (the connection's,
// or, when it comes from one of the trusted proxies, the client its
// X-Forwarded-For names), and the scheme the client used, "https" when the
// request came over TLS, else "http".
func (cfg Config) relayMetadata(r *http.Request) metadata.MD {
	md := metadata.MD{}
	if cfg.AddrMetadata != "" {
		md.Set(cfg.AddrMetadata, clientHost(r, cfg.TrustedProxies))
	}
	if cfg.SchemeMetadata != "" {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		md.Set(cfg.SchemeMetadata, scheme)
	}
	return md
}

// clientHost is the address of r's client: the connection's, or, when it
// comes from one of the trusted proxies, the client its X-Forwarded-For
// names.
func clientHost(r *http.Request, proxies *clientaddr.Trusted) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	return proxies.Resolve(host, r.Header.Values("X-Forwarded-For"))
}
