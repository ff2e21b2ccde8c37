package gateway

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"
	"github.com/clavis-dev/clavis/internal/clientaddr"
	"github.com/clavis-dev/clavis/internal/reqid"
)

// gRPC-Web (https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-WEB.md)
// is gRPC for browsers: a unary call is an HTTP/1.1 or HTTP/2 POST to
// /package.Service/Method whose body is the request message in gRPC's
// length-prefixed framing, base64-encoded in the -text variant; the answer
// is the response message framed so, followed by a frame of trailers
// (grpc-status, grpc-message) in the body, where browsers can read them.
//
// The gateway relays such calls, bytes as they are, over its in-process
// connection to the server: authentication, authorization, limits,
// request ids and in-band statuses are the server's, and the gateway logs
// the request in one line as it does REST's. Streaming methods are not
// served: browsers cannot stream requests, and Clavis has no server
// streams that browsers need.

// Content types of gRPC-Web requests and answers.
const (
	grpcWebType     = "application/grpc-web"
	grpcWebTextType = "application/grpc-web-text"
)

// Frame flags of gRPC-Web bodies.
const (
	frameCompressed = 0x01
	frameTrailers   = 0x80
)

// grpcWebFlavor reports whether content type ct is gRPC-Web's, and in its
// text (base64) variant. The message encoding may be named (+proto) or left
// out, meaning protobuf; others are not gRPC-Web this server speaks.
func grpcWebFlavor(ct string) (web, text bool) {
	mt, _, _ := strings.Cut(strings.ToLower(ct), ";")
	mt = strings.TrimSpace(mt)
	base, enc, _ := strings.Cut(mt, "+")
	if base != grpcWebType && base != grpcWebTextType {
		return false, false
	}
	return enc == "" || enc == "proto", base == grpcWebTextType
}

// IsGRPCWeb reports whether r is for the gateway's gRPC-Web handler: a
// request whose content type is gRPC-Web's, or a CORS preflight (OPTIONS)
// of a gRPC method's path, /package.Service/Method.
func IsGRPCWeb(r *http.Request) bool {
	if strings.HasPrefix(strings.ToLower(r.Header.Get("Content-Type")), grpcWebType) {
		return true
	}
	return r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" && methodPath(r.URL.Path)
}

// methodPath reports whether p has the shape of a gRPC method's path: a
// package-qualified service and a method.
func methodPath(p string) bool {
	svc, m, ok := strings.Cut(strings.TrimPrefix(p, "/"), "/")
	return ok && strings.HasPrefix(p, "/") && strings.Contains(svc, ".") && m != "" && !strings.Contains(m, "/")
}

// maxGRPCWebBody bounds a gRPC-Web body: one frame of a message of at most
// MaxBodySize, in base64 for the text variant.
func maxGRPCWebBody(text bool) int64 {
	n := int64(MaxBodySize + 5)
	if text {
		n = (n + 2) / 3 * 4
	}
	return n
}

// grpcWeb is what the handler needs to relay gRPC-Web calls and answer
// browsers of other origins.
type grpcWeb struct {
	relay   func(*http.Request) metadata.MD // Config.relayMetadata
	proxies *clientaddr.Trusted             // Config.TrustedProxies
	conn    *grpc.ClientConn
	// unary has every method the server serves, true for unary ones.
	unary      map[string]bool
	userHeader string
	// authenticate checks credentials before a body is read; nil: none.
	authenticate func(ctx context.Context, authorization, addr string) error
	openPaths    []string // Config.OpenPaths
	cors         *cors
}

// serveGRPCWebOn sets the handler up to relay gRPC-Web calls of g's
// methods over conn, and to answer the origins cfg allows.
func (h *handler) serveGRPCWebOn(g *grpc.Server, conn *grpc.ClientConn, cfg Config) error {
	c, err := newCORS(cfg.CORSOrigins)
	if err != nil {
		return err
	}
	h.grpcWeb = grpcWeb{conn: conn, unary: map[string]bool{}, userHeader: cfg.UserHeader, relay: cfg.relayMetadata, proxies: cfg.TrustedProxies, authenticate: cfg.Authenticate, cors: c,
		openPaths: cfg.OpenPaths}
	for svc, info := range g.GetServiceInfo() {
		for _, m := range info.Methods {
			h.unary["/"+svc+"/"+m.Name] = !m.IsClientStream && !m.IsServerStream
		}
	}
	return nil
}

// rawCodec passes messages through as the bytes they are: the gateway
// relays gRPC-Web calls without decoding them; the server does.
type rawCodec struct{}

func (rawCodec) Marshal(v any) ([]byte, error) { return *v.(*[]byte), nil }

func (rawCodec) Unmarshal(data []byte, v any) error {
	*v.(*[]byte) = append([]byte(nil), data...)
	return nil
}

func (rawCodec) Name() string { return "proto" }

// serveGRPCWeb relays one gRPC-Web call. Refusals of the call itself come
// back as the server makes them, in-band; what is wrong with the gRPC-Web
// request (method, framing, size) is answered as gRPC would, with a
// grpc-status in the headers of an empty answer (Trailers-Only). A call
// the budget of bodies in flight cannot hold is answered in-band, 40030
// RPC_REQUEST_QUEUE_FULL, as REST's.
func (h *handler) serveGRPCWeb(w http.ResponseWriter, r *http.Request, a *admission) {
	rec := recorderOf(w)
	method := r.URL.Path
	rec.rpc = method
	web, text := grpcWebFlavor(r.Header.Get("Content-Type"))
	switch {
	case r.Method != http.MethodPost:
		w.Header().Set("Allow", http.MethodPost)
		writeStatus(w, http.StatusMethodNotAllowed, st.StatusCode_CONN_METHOD_NOT_ALLOWED, "Method not allowed", "gRPC-Web calls are POSTs")
		return
	case !web:
		writeStatus(w, http.StatusUnsupportedMediaType, st.StatusCode_CONN_BAD_REQUEST_FORMAT, "Bad request format",
			"gRPC-Web messages must be protobuf: Content-Type application/grpc-web, application/grpc-web+proto or application/grpc-web-text")
		return
	}
	respType := grpcWebType + "+proto"
	if text {
		respType = grpcWebTextType + "+proto"
	}
	if !h.unary[method] {
		msg := "unknown method " + method
		if _, ok := h.unary[method]; ok {
			msg = method + " is a streaming method; gRPC-Web serves unary methods only"
		}
		trailersOnly(w, respType, status.New(codes.Unimplemented, msg))
		return
	}
	// The route of a known method is the method: bounded, for the metrics.
	rec.route = method
	if r.ContentLength > maxGRPCWebBody(text) {
		trailersOnly(w, respType, status.Newf(codes.ResourceExhausted, "the request is over %d bytes", MaxBodySize))
		return
	}
	ctx, cancel, err := callContext(r, h.relay(r))
	if err != nil {
		trailersOnly(w, respType, status.New(codes.InvalidArgument, err.Error()))
		return
	}
	defer cancel()
	// A call refused for want of credentials is relayed without its
	// message: the server refuses it whatever the message says.
	err = h.admit(w, r, a, maxGRPCWebBody(text))
	var msg []byte
	if err == nil && r.Body != http.NoBody {
		msg, err = readGRPCWebMessage(r, text)
	}
	if errors.Is(err, errQueueFull) {
		writeGRPCWeb(w, rec, text, respType, inBandOnly(st.StatusCode_RPC_REQUEST_QUEUE_FULL, "Request queue full", queueFullDetails(h.budget.max)), nil)
		return
	}
	if err != nil {
		trailersOnly(w, respType, status.Convert(err))
		return
	}
	var header, trailer metadata.MD
	var out []byte
	err = h.conn.Invoke(ctx, method, &msg, &out, grpc.ForceCodec(rawCodec{}), grpc.Header(&header), grpc.Trailer(&trailer))
	h.noteRelayed(rec, header)
	if err != nil {
		trailersOnly(w, respType, status.Convert(err))
		return
	}
	writeGRPCWeb(w, rec, text, respType, out, trailer)
}

// inBandOnly returns, in wire form, a response of any of the server's
// methods that carries only a status (field 1 of them all) with a new
// req_id.
func inBandOnly(code st.StatusCode, desc, details string) []byte {
	b, err := proto.Marshal(&st.Status{Code: code, Description: desc, Details: details, ReqId: reqid.New()})
	if err != nil {
		b = nil
	}
	return protowire.AppendBytes(protowire.AppendTag(nil, 1, protowire.BytesType), b)
}

// writeGRPCWeb answers a call with its response message out, in wire form,
// and the server's trailers.
func writeGRPCWeb(w http.ResponseWriter, rec *recorder, text bool, respType string, out []byte, trailer metadata.MD) {
	if code, reqID, ok := inBandStatus(out); ok {
		rec.noteAnswer(code, reqID)
	}
	var body bytes.Buffer
	body.Grow(10 + len(out))
	writeFrame(&body, 0, out)
	var tr bytes.Buffer
	tr.WriteString("grpc-status: 0\r\ngrpc-message: \r\n")
	for k, vs := range trailer {
		for _, v := range vs {
			fmt.Fprintf(&tr, "%s: %s\r\n", k, v)
		}
	}
	writeFrame(&body, frameTrailers, tr.Bytes())
	w.Header().Set("Content-Type", respType)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if text {
		enc := base64.StdEncoding.EncodeToString(body.Bytes())
		w.Header().Set("Content-Length", strconv.Itoa(len(enc)))
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, enc)
		return
	}
	w.Header().Set("Content-Length", strconv.Itoa(body.Len()))
	w.WriteHeader(http.StatusOK)
	w.Write(body.Bytes())
}

// noteRelayed records, for the access log, the user the server's answer
// names in its headers; that header, like the challenge header, is the
// server's word to the gateway and does not reach the client.
func (h *handler) noteRelayed(rec *recorder, header metadata.MD) {
	if h.userHeader != "" {
		if v := header.Get(h.userHeader); len(v) > 0 {
			rec.user = v[0]
		}
	}
}

// callContext returns the context of the relayed call: the request's,
// bounded by its grpc-timeout, carrying md (the gateway's relay metadata)
// and the request's authorization, and nothing else, as for REST.
func callContext(r *http.Request, md metadata.MD) (context.Context, context.CancelFunc, error) {
	ctx := r.Context()
	if v := r.Header.Values("Authorization"); len(v) > 0 {
		md["authorization"] = v
	}
	ctx = metadata.NewOutgoingContext(ctx, md)
	if t := r.Header.Get("Grpc-Timeout"); t != "" {
		d, err := grpcTimeout(t)
		if err != nil {
			return nil, nil, err
		}
		ctx, cancel := context.WithTimeout(ctx, d)
		return ctx, cancel, nil
	}
	return ctx, func() {}, nil
}

// grpcTimeout reads a grpc-timeout header: at most 8 digits and a unit.
func grpcTimeout(v string) (time.Duration, error) {
	units := map[byte]time.Duration{'H': time.Hour, 'M': time.Minute, 'S': time.Second, 'm': time.Millisecond, 'u': time.Microsecond, 'n': time.Nanosecond}
	if len(v) < 2 || len(v) > 9 {
		return 0, fmt.Errorf("grpc-timeout %q is not up to 8 digits and a unit", v)
	}
	unit, ok := units[v[len(v)-1]]
	n, err := strconv.ParseInt(v[:len(v)-1], 10, 64)
	if !ok || err != nil || n < 0 {
		return 0, fmt.Errorf("grpc-timeout %q is not up to 8 digits and a unit (H, M, S, m, u or n)", v)
	}
	return time.Duration(n) * unit, nil
}

// readGRPCWebMessage reads the one message of a unary call's body: a
// single uncompressed data frame, base64-encoded for the text variant
// (possibly as several padded chunks, as clients that encode as they send
// write it).
func readGRPCWebMessage(r *http.Request, text bool) ([]byte, error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		switch {
		case errors.Is(err, errQueueFull):
			return nil, err
		case errors.As(err, &mbe):
			return nil, status.Errorf(codes.ResourceExhausted, "the request is over %d bytes", MaxBodySize)
		}
		return nil, status.Errorf(codes.Unavailable, "the request body could not be read: %v", err)
	}
	if text {
		if body, err = decodeBase64Chunks(body); err != nil {
			return nil, status.Errorf(codes.InvalidArgument, "the gRPC-Web text body is not base64: %v", err)
		}
	}
	if len(body) < 5 {
		return nil, status.Error(codes.InvalidArgument, "the gRPC-Web body holds no message frame")
	}
	flags, n := body[0], binary.BigEndian.Uint32(body[1:5])
	switch {
	case flags&frameTrailers != 0:
		return nil, status.Error(codes.InvalidArgument, "a gRPC-Web request carries no trailers")
	case flags&frameCompressed != 0:
		return nil, status.Error(codes.Unimplemented, "compressed gRPC-Web messages are not supported: send them uncompressed")
	case uint64(n) != uint64(len(body)-5):
		return nil, status.Errorf(codes.InvalidArgument, "the gRPC-Web body is %d bytes after its frame header, which announces %d: a unary call carries exactly one message", len(body)-5, n)
	}
	return body[5:], nil
}

// decodeBase64Chunks decodes base64 text made of one or more padded
// chunks.
func decodeBase64Chunks(b []byte) ([]byte, error) {
	var out []byte
	for len(b) > 0 {
		// A chunk ends after its padding, or with the text.
		end := len(b)
		if i := bytes.IndexByte(b, '='); i >= 0 {
			end = i + 1
			for end < len(b) && b[end] == '=' {
				end++
			}
		}
		dec := make([]byte, base64.StdEncoding.DecodedLen(end))
		n, err := base64.StdEncoding.Decode(dec, b[:end])
		if err != nil {
			return nil, err
		}
		out, b = append(out, dec[:n]...), b[end:]
	}
	return out, nil
}

func writeFrame(b *bytes.Buffer, flags byte, p []byte) {
	var head [5]byte
	head[0] = flags
	binary.BigEndian.PutUint32(head[1:], uint32(len(p)))
	b.Write(head[:])
	b.Write(p)
}

// trailersOnly answers a call that failed outside the message: HTTP 200
// with the status in the headers and no body, as gRPC-Web clients read it.
func trailersOnly(w http.ResponseWriter, contentType string, s *status.Status) {
	hd := w.Header()
	hd.Set("Content-Type", contentType)
	hd.Set("Grpc-Status", strconv.Itoa(int(s.Code())))
	hd.Set("Grpc-Message", url.PathEscape(redactText(s.Message())))
	hd.Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
}

// inBandStatus reads the code and req_id of the status (field 1) of a
// Clarifai response in wire form, for the access log.
func inBandStatus(msg []byte) (code st.StatusCode, reqID string, ok bool) {
	var status []byte
	if !eachField(msg, func(num protowire.Number, typ protowire.Type, _ uint64, b []byte) {
		if num == 1 && typ == protowire.BytesType {
			status = b
		}
	}) || status == nil {
		return 0, "", false
	}
	// Status.code is field 1, Status.req_id field 7.
	ok = eachField(status, func(num protowire.Number, typ protowire.Type, v uint64, b []byte) {
		switch {
		case num == 1 && typ == protowire.VarintType:
			code = st.StatusCode(v)
		case num == 7 && typ == protowire.BytesType:
			reqID = string(b)
		}
	})
	return code, reqID, ok
}

// eachField calls visit with each field of a message in wire form: its
// number, its type, and its value when it is a varint or length-delimited
// (others are skipped). It reports whether the message parsed.
func eachField(msg []byte, visit func(num protowire.Number, typ protowire.Type, varint uint64, bytes []byte)) bool {
	for len(msg) > 0 {
		num, typ, n := protowire.ConsumeTag(msg)
		if n < 0 {
			return false
		}
		msg = msg[n:]
		var v uint64
		var b []byte
		switch typ {
		case protowire.VarintType:
			v, n = protowire.ConsumeVarint(msg)
		case protowire.BytesType:
			b, n = protowire.ConsumeBytes(msg)
		default:
			n = protowire.ConsumeFieldValue(num, typ, msg)
		}
		if n < 0 {
			return false
		}
		visit(num, typ, v, b)
		msg = msg[n:]
	}
	return true
}
