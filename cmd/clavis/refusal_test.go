package main_test

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"

	cmd "github.com/clavis-dev/clavis/cmd/clavis"
)

// TestRESTTransportRefusals sends requests that net/http refuses before any
// handler runs, on both ports: each answer is a JSON status like every other
// REST refusal, with net/http's HTTP status.
func TestRESTTransportRefusals(t *testing.T) {
	s := startServer(t, func(c *cmd.Config) { c.TLSAddr = "127.0.0.1:0"; c.TLSSelfSigned = true })
	limit := cmd.DefaultConfig().Limits.MaxHeaderBytes
	cases := []struct {
		name    string
		req     string
		status  int
		details string
	}{
		{"PathEscape", "GET /v2/users/%ZZ/apps HTTP/1.1\r\nHost: x\r\n\r\n", 400, "malformed request"},
		{"NULInHeader", "GET /v2/users/me/apps HTTP/1.1\r\nHost: x\r\nAuthorization: Key a\x00b\r\n\r\n", 400, "malformed request"},
		{"ControlInHeaderName", "GET /v2/users/me/apps HTTP/1.1\r\nHost: x\r\nX\x01: v\r\n\r\n", 400, "malformed request"},
		{"RequestLine", "GET\r\n\r\n", 400, "malformed request"},
		{"NoHost", "GET /v2/users/me/apps HTTP/1.1\r\n\r\n", 400, "Host header"},
		{"HeadersOverLimit", "GET /v2/users/me/apps HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", 1<<20) + "\r\n\r\n", 431, "over 65536 bytes"},
		{"TransferEncoding", "POST /v2/users/me/apps HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 501, "transfer encoding"},
		{"Version", "GET /v2/users/me/apps HTTP/9.9\r\nHost: x\r\n\r\n", 505, "protocol version"},
	}
	if limit != 65536 {
		t.Fatalf("default header limit %d; the cases assume 65536", limit)
	}
	ports := map[string]func() (net.Conn, error){
		"Plain": func() (net.Conn, error) { return net.Dial("tcp", s.Addr()) },
		"TLS": func() (net.Conn, error) {
			return tls.Dial("tcp", s.TLSAddr(), &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"http/1.1"}})
		},
	}
	for port, dial := range ports {
		for _, tc := range cases {
			t.Run(port+"/"+tc.name, func(t *testing.T) {
				wantRefusal(t, dial, tc.req, tc.status, tc.details)
			})
		}
	}
	t.Run("PlainHTTPOnTLSPort", func(t *testing.T) {
		wantRefusal(t, func() (net.Conn, error) { return net.Dial("tcp", s.TLSAddr()) },
			"GET /v2/users/me/apps HTTP/1.1\r\nHost: x\r\n\r\n", 400, "plain HTTP sent to the TLS port")
	})
}

// wantRefusal sends req on a new connection and requires a JSON status body
// with code 11100, a description, a req_id and details containing details.
func wantRefusal(t *testing.T, dial func() (net.Conn, error), req string, httpStatus int, details string) {
	t.Helper()
	c, err := dial()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	go io.WriteString(c, req)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	raw, _ := io.ReadAll(resp.Body)
	var body struct {
		Status struct {
			Code        int    `json:"code"`
			Description string `json:"description"`
			Details     string `json:"details"`
			ReqID       string `json:"req_id"`
		} `json:"status"`
	}
	if resp.StatusCode != httpStatus || resp.Header.Get("Content-Type") != "application/json" || json.Unmarshal(raw, &body) != nil {
		t.Fatalf("HTTP %d %s %q; want %d with a JSON status", resp.StatusCode, resp.Header.Get("Content-Type"), raw, httpStatus)
	}
	if s := body.Status; s.Code != int(st.StatusCode_CONN_BAD_REQUEST_FORMAT) || s.Description == "" || s.ReqID == "" || !strings.Contains(s.Details, details) {
		t.Fatalf("status %s; want code 11100, a description, a req_id and details containing %q", raw, details)
	}
}

// rawCodec sends []byte requests as they are and decodes answers as
// protobuf.
type rawCodec struct{}

func (rawCodec) Marshal(v any) ([]byte, error)      { return v.([]byte), nil }
func (rawCodec) Unmarshal(data []byte, v any) error { return proto.Unmarshal(data, v.(proto.Message)) }
func (rawCodec) Name() string                       { return "proto" }

// TestGRPCMalformedRequest sends requests that are not valid protobuf: each
// is answered in-band, after authentication, with 11100 and a req_id.
func TestGRPCMalformedRequest(t *testing.T) {
	s := startServer(t)
	for _, tc := range []struct {
		name string
		msg  []byte
	}{
		{"InvalidWireType", []byte{0xff, 0xff, 0xff}},
		{"Truncated", []byte{0x0a, 0x05, 0x0a}},
		{"InvalidUTF8", []byte{0x0a, 0x03, 0x0a, 0x01, 0xff}}, // user_app_id.user_id = "\xff"
	} {
		t.Run(tc.name, func(t *testing.T) {
			var resp pb.MultiAppResponse
			err := s.conn.Invoke(as(s.pat), "/clarifai.api.V2/ListApps", tc.msg, &resp, grpc.ForceCodec(rawCodec{}))
			wantCode(t, &resp, err, st.StatusCode_CONN_BAD_REQUEST_FORMAT)
			if d := resp.GetStatus().GetDetails(); !strings.Contains(d, "clarifai.api.ListAppsRequest") {
				t.Fatalf("details %q should name the message", d)
			}
			var anon pb.MultiAppResponse
			err = s.conn.Invoke(t.Context(), "/clarifai.api.V2/ListApps", tc.msg, &anon, grpc.ForceCodec(rawCodec{}))
			wantCode(t, &anon, err, st.StatusCode_CONN_INVALID_REQUEST)
		})
	}
	// A valid message still decodes as before.
	resp, err := s.v2.ListApps(as(s.pat), &pb.ListAppsRequest{UserAppId: me()})
	wantCode(t, resp, err, st.StatusCode_SUCCESS)
}

// TestGRPCHeaderLimit sends metadata just under and well over the header
// limit that REST also has.
func TestGRPCHeaderLimit(t *testing.T) {
	s := startServer(t)
	limit := cmd.DefaultConfig().Limits.MaxHeaderBytes
	ctx := metadata.AppendToOutgoingContext(as(s.pat), "x-padding", strings.Repeat("a", limit/2))
	resp, err := s.v2.ListApps(ctx, &pb.ListAppsRequest{UserAppId: me()})
	wantCode(t, resp, err, st.StatusCode_SUCCESS)

	ctx = metadata.AppendToOutgoingContext(as(s.pat), "x-padding", strings.Repeat("a", 16*limit))
	// grpc-go refuses to send what the server's SETTINGS announce it would
	// refuse; a client that does not look is refused by the server.
	if _, err := s.v2.ListApps(ctx, &pb.ListAppsRequest{UserAppId: me()}); status.Code(err) != codes.Internal {
		t.Fatalf("metadata 16 times over the limit: %v; want INTERNAL from the client", err)
	}
	for _, tc := range []struct {
		pad  int
		want string
	}{{limit / 2, "served"}, {2 * limit, "refused"}, {16 * limit, "refused"}} {
		if got := rawGRPCHeaders(t, s.Addr(), tc.pad); got != tc.want {
			t.Fatalf("raw HTTP/2 headers with %d bytes of padding: %s; want %s", tc.pad, got, tc.want)
		}
	}
}

// rawGRPCHeaders sends a health check with pad bytes of metadata on a raw
// HTTP/2 connection and says how the server took it: "served", or
// "refused" (RST_STREAM, GOAWAY or the connection closed).
func rawGRPCHeaders(t *testing.T, addr string, pad int) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	var block bytes.Buffer
	enc := hpack.NewEncoder(&block)
	for _, f := range [][2]string{{":method", "POST"}, {":scheme", "http"}, {":path", "/grpc.health.v1.Health/Check"},
		{":authority", addr}, {"content-type", "application/grpc"}, {"te", "trailers"}, {"x-padding", strings.Repeat("a", pad)}} {
		enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
	}
	fr := http2.NewFramer(c, c)
	go func() {
		// Writes may fail once the server gives up on the connection.
		io.WriteString(c, http2.ClientPreface)
		fr.WriteSettings()
		const max = 16 << 10
		b := block.Bytes()
		first := b[:min(max, len(b))]
		fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: first, EndHeaders: len(b) <= max})
		for b = b[len(first):]; len(b) > 0; {
			n := min(max, len(b))
			fr.WriteContinuation(1, n == len(b), b[:n])
			b = b[n:]
		}
		fr.WriteData(1, true, []byte{0, 0, 0, 0, 0}) // an empty HealthCheckRequest
	}()
	for {
		f, err := fr.ReadFrame()
		if err != nil {
			return "refused"
		}
		switch f := f.(type) {
		case *http2.HeadersFrame:
			if f.StreamID == 1 { // the answer's headers
				return "served"
			}
		case *http2.RSTStreamFrame, *http2.GoAwayFrame:
			return "refused"
		}
	}
}
