package main_test

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"google.golang.org/protobuf/proto"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"
	cmd "github.com/clavis-dev/clavis/cmd/clavis"
)

// grpcWebFrame frames a message as gRPC-Web does.
func grpcWebFrame(flags byte, msg []byte) []byte {
	b := make([]byte, 5, 5+len(msg))
	b[0] = flags
	binary.BigEndian.PutUint32(b[1:], uint32(len(msg)))
	return append(b, msg...)
}

// grpcWebAnswer is a gRPC-Web answer: its message, when it has one, and
// its status, from the trailers frame or, for a Trailers-Only answer, the
// headers.
type grpcWebAnswer struct {
	http    int
	header  http.Header
	msg     []byte
	status  string
	message string
}

// grpcWebCall posts one gRPC-Web call (the text variant when text is set)
// with the given headers and reads its answer.
func grpcWebCall(t *testing.T, c *http.Client, base, method string, req proto.Message, text bool, header http.Header) grpcWebAnswer {
	t.Helper()
	m, err := proto.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	body, ct := grpcWebFrame(0, m), "application/grpc-web+proto"
	if text {
		body, ct = []byte(base64.StdEncoding.EncodeToString(body)), "application/grpc-web-text"
	}
	return grpcWebPost(t, c, base+method, ct, body, header)
}

func grpcWebPost(t *testing.T, c *http.Client, url, ct string, body []byte, header http.Header) grpcWebAnswer {
	t.Helper()
	r, err := http.NewRequest("POST", url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		r.Header[k] = v
	}
	r.Header.Set("Content-Type", ct)
	r.Header.Set("X-Grpc-Web", "1")
	resp, err := c.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return parseGRPCWeb(t, resp, raw)
}

func parseGRPCWeb(t *testing.T, resp *http.Response, raw []byte) grpcWebAnswer {
	t.Helper()
	a := grpcWebAnswer{http: resp.StatusCode, header: resp.Header, status: resp.Header.Get("Grpc-Status"), message: resp.Header.Get("Grpc-Message")}
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/grpc-web") {
		return a // an HTTP error, in JSON
	}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/grpc-web-text") {
		dec, err := base64.StdEncoding.DecodeString(string(raw))
		if err != nil {
			t.Fatalf("the text answer is not base64: %v", err)
		}
		raw = dec
	}
	for len(raw) >= 5 {
		flags, n := raw[0], binary.BigEndian.Uint32(raw[1:5])
		if int(n) > len(raw)-5 {
			t.Fatalf("a frame announces %d bytes; %d follow", n, len(raw)-5)
		}
		p := raw[5 : 5+n]
		raw = raw[5+n:]
		if flags&0x80 == 0 {
			a.msg = p
			continue
		}
		for _, line := range strings.Split(strings.TrimSpace(string(p)), "\r\n") {
			k, v, _ := strings.Cut(line, ":")
			switch strings.ToLower(strings.TrimSpace(k)) {
			case "grpc-status":
				a.status = strings.TrimSpace(v)
			case "grpc-message":
				a.message = strings.TrimSpace(v)
			}
		}
	}
	if len(raw) != 0 {
		t.Fatalf("%d bytes after the last frame", len(raw))
	}
	return a
}

func keyHeader(token string) http.Header { return http.Header{"Authorization": {"Key " + token}} }

// TestGRPCWeb calls the API with gRPC-Web, binary and text, over plaintext
// HTTP/1.1 on the main port and HTTP/2 over TLS: answers are the server's,
// in-band; what is wrong with the gRPC-Web request itself is answered with
// a gRPC status, and each request is logged once.
func TestGRPCWeb(t *testing.T) {
	logs := &logBuffer{}
	s := startServerLogging(t, logs, func(c *cmd.Config) {
		c.LogFormat, c.TLSAddr, c.TLSSelfSigned = "json", "127.0.0.1:0", true
	})
	bob := s.newUser(t, "bob")
	s.newApp(t, bob, "photos", false)
	plain := &http.Client{Timeout: 20 * time.Second}
	h2 := &http.Client{Timeout: 20 * time.Second, Transport: &http2.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	transports := []struct {
		name   string
		client *http.Client
		base   string
		proto  int
	}{
		{"HTTP1", plain, "http://" + s.Addr(), 1},
		{"HTTP2TLS", h2, "https://" + s.TLSAddr(), 2},
	}
	for _, tr := range transports {
		for _, text := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/text=%v", tr.name, text), func(t *testing.T) {
				a := grpcWebCall(t, tr.client, tr.base, "/clarifai.api.V2/ListApps", &pb.ListAppsRequest{UserAppId: me()}, text, keyHeader(bob))
				var apps pb.MultiAppResponse
				if a.http != 200 || a.status != "0" || proto.Unmarshal(a.msg, &apps) != nil {
					t.Fatalf("ListApps: HTTP %d grpc-status %q (%s), %d bytes", a.http, a.status, a.message, len(a.msg))
				}
				if apps.GetStatus().GetCode() != st.StatusCode_SUCCESS || len(apps.GetApps()) != 1 || apps.GetApps()[0].GetId() != "photos" || apps.GetStatus().GetReqId() == "" {
					t.Fatalf("ListApps answered %v", &apps)
				}
				wantType := "application/grpc-web+proto"
				if text {
					wantType = "application/grpc-web-text+proto"
				}
				if got := a.header.Get("Content-Type"); got != wantType {
					t.Fatalf("Content-Type %q, want %q", got, wantType)
				}
				p := grpcWebCall(t, tr.client, tr.base, "/clarifai.api.V2/PostModelOutputs", &pb.PostModelOutputsRequest{
					UserAppId: mainApp, ModelId: "color-recognition", Inputs: []*pb.Input{imageInput(twoColors(t))}}, text, keyHeader(bob))
				var out pb.MultiOutputResponse
				if p.status != "0" || proto.Unmarshal(p.msg, &out) != nil || out.GetStatus().GetCode() != st.StatusCode_SUCCESS ||
					out.GetOutputs()[0].GetData().GetColors()[0].GetW3C().GetName() != "Red" {
					t.Fatalf("PostModelOutputs: grpc-status %q (%s): %v", p.status, p.message, &out)
				}
			})
		}
	}

	// A text body may come in chunks, each padded: clients that encode as
	// they send write it so.
	m, _ := proto.Marshal(&pb.ListAppsRequest{UserAppId: me()})
	frame := grpcWebFrame(0, m)
	chunked := base64.StdEncoding.EncodeToString(frame[:4]) + base64.StdEncoding.EncodeToString(frame[4:])
	if a := grpcWebPost(t, plain, "http://"+s.Addr()+"/clarifai.api.V2/ListApps", "application/grpc-web-text", []byte(chunked), keyHeader(bob)); a.status != "0" || len(a.msg) == 0 {
		t.Fatalf("a chunked text body: grpc-status %q (%s)", a.status, a.message)
	}

	// Refusals of the call are the server's, in-band, as over gRPC.
	for _, c := range []struct {
		name   string
		header http.Header
		want   st.StatusCode
	}{
		{"NoKey", nil, st.StatusCode_CONN_INVALID_REQUEST},
		{"UnknownKey", keyHeader("clvp_0000000000000000000000000000000000000000000000000"), st.StatusCode_CONN_KEY_INVALID},
		{"OtherUsersApp", keyHeader(s.newUser(t, "eve")), st.StatusCode_CONN_DOES_NOT_EXIST},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := grpcWebCall(t, plain, "http://"+s.Addr(), "/clarifai.api.V2/GetApp", &pb.GetAppRequest{UserAppId: &pb.UserAppIDSet{UserId: "bob", AppId: "photos"}}, false, c.header)
			var r pb.SingleAppResponse
			if a.status != "0" || proto.Unmarshal(a.msg, &r) != nil || r.GetStatus().GetCode() != c.want || r.GetStatus().GetReqId() == "" {
				t.Fatalf("grpc-status %q: %v, want in-band %v", a.status, &r, c.want)
			}
		})
	}

	// The gRPC-Web request itself is wrong: a gRPC status, Trailers-Only.
	framed := grpcWebFrame(0, nil)
	for _, c := range []struct {
		name, method, ct string
		body             []byte
		want             string
	}{
		{"UnknownMethod", "/clarifai.api.V2/NoSuchMethod", "application/grpc-web", framed, "12"},
		{"UnknownService", "/no.Such/Method", "application/grpc-web", framed, "12"},
		{"Streaming", "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo", "application/grpc-web", framed, "12"},
		{"Compressed", "/clarifai.api.V2/ListApps", "application/grpc-web", grpcWebFrame(1, nil), "12"},
		{"TwoMessages", "/clarifai.api.V2/ListApps", "application/grpc-web", append(framed, framed...), "3"},
		{"NoFrame", "/clarifai.api.V2/ListApps", "application/grpc-web", nil, "3"},
		{"NotBase64", "/clarifai.api.V2/ListApps", "application/grpc-web-text", []byte("%%%%"), "3"},
		{"BadTimeout", "/clarifai.api.V2/ListApps", "application/grpc-web", framed, "3"},
	} {
		t.Run(c.name, func(t *testing.T) {
			hd := keyHeader(bob)
			if c.name == "BadTimeout" {
				hd.Set("Grpc-Timeout", "soon")
			}
			a := grpcWebPost(t, plain, "http://"+s.Addr()+c.method, c.ct, c.body, hd)
			if a.http != 200 || a.status != c.want || a.message == "" || len(a.msg) != 0 {
				t.Fatalf("HTTP %d grpc-status %q (%q), want %s with a message", a.http, a.status, a.message, c.want)
			}
		})
	}
	if a := grpcWebPost(t, plain, "http://"+s.Addr()+"/clarifai.api.V2/ListApps", "application/grpc-web+json", framed, nil); a.http != http.StatusUnsupportedMediaType {
		t.Fatalf("a JSON gRPC-Web call: HTTP %d, want 415", a.http)
	}

	// One line per request, with the method and in-band code.
	found := false
	for _, r := range logs.records(t) {
		if r["msg"] == "http" && r["rpc"] == "/clarifai.api.V2/ListApps" && r["code"] == float64(10000) && r["user"] == "bob" {
			found = true
		}
		if r["msg"] == "rpc" && r["method"] == "/clarifai.api.V2/ListApps" {
			t.Fatalf("a relayed gRPC-Web call was logged twice: %v", r)
		}
	}
	if !found {
		t.Fatalf("no access line names the gRPC-Web ListApps call:\n%s", logs.String())
	}
}

// TestGRPCWebUnauthenticatedBody: a gRPC-Web call without valid
// credentials is answered, in-band, before its body is sent: the body is
// never read.
func TestGRPCWebUnauthenticatedBody(t *testing.T) {
	s := startServer(t)
	for _, auth := range []string{"", "Authorization: Key clvp_0000000000000000000000000000000000000000000000000\r\n"} {
		c, err := net.Dial("tcp", s.Addr())
		if err != nil {
			t.Fatal(err)
		}
		// 100 MB announced; only the head is sent.
		fmt.Fprintf(c, "POST /clarifai.api.V2/PostModelOutputs HTTP/1.1\r\nHost: x\r\nContent-Type: application/grpc-web+proto\r\n%sContent-Length: %d\r\n\r\n", auth, 100<<20)
		c.SetReadDeadline(time.Now().Add(20 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(c), &http.Request{Method: "POST"})
		if err != nil {
			t.Fatalf("no answer before the body: %v", err)
		}
		raw, err := io.ReadAll(io.LimitReader(resp.Body, resp.ContentLength))
		if err != nil {
			t.Fatal(err)
		}
		a := parseGRPCWeb(t, resp, raw)
		var r pb.MultiOutputResponse
		want := st.StatusCode_CONN_INVALID_REQUEST
		if auth != "" {
			want = st.StatusCode_CONN_KEY_INVALID
		}
		if a.status != "0" || proto.Unmarshal(a.msg, &r) != nil || r.GetStatus().GetCode() != want {
			t.Fatalf("grpc-status %q: %v, want in-band %v", a.status, &r, want)
		}
		c.Close()
	}
}

// TestCORS: pages of allowed origins may call REST and gRPC-Web, and are
// told so in preflights; others are not; credentials never come from
// cookies; the portal is not cross-origin.
func TestCORS(t *testing.T) {
	const allowed, other = "http://app.example:8080", "https://evil.example"
	s := startServer(t, func(c *cmd.Config) { c.CORSOrigins = []string{allowed, "https://Second.Example:443/"} })
	base := "http://" + s.Addr()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	do := func(method, path string, header http.Header) *http.Response {
		t.Helper()
		r, _ := http.NewRequest(method, base+path, nil)
		r.Header = header
		resp, err := c.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	preflight := func(origin, path, method string) *http.Response {
		return do("OPTIONS", path, http.Header{"Origin": {origin}, "Access-Control-Request-Method": {method},
			"Access-Control-Request-Headers": {"authorization,content-type,x-grpc-web,x-user-agent"}})
	}
	for _, path := range []string{"/v2/users/me/apps", "/clarifai.api.V2/ListApps", "/clavis.orgs.v1.Orgs/ListOrgs"} {
		for _, origin := range []string{allowed, "https://second.example"} {
			r := preflight(origin, path, "POST")
			if r.StatusCode != http.StatusNoContent || r.Header.Get("Access-Control-Allow-Origin") != origin ||
				!strings.Contains(r.Header.Get("Access-Control-Allow-Headers"), "Authorization") ||
				!strings.Contains(r.Header.Get("Access-Control-Allow-Headers"), "X-Grpc-Web") ||
				!strings.Contains(r.Header.Get("Access-Control-Allow-Methods"), "POST") ||
				r.Header.Get("Access-Control-Allow-Credentials") != "" || !strings.Contains(strings.Join(r.Header.Values("Vary"), ","), "Origin") {
				t.Fatalf("preflight of %s from %s: %d %v", path, origin, r.StatusCode, r.Header)
			}
		}
		r := preflight(other, path, "POST")
		if r.StatusCode != http.StatusForbidden || r.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Fatalf("preflight of %s from another origin: %d %v", path, r.StatusCode, r.Header)
		}
	}

	// The answers themselves.
	pat := s.newUser(t, "bob")
	r := do("GET", "/v2/users/me/apps", http.Header{"Origin": {allowed}, "Authorization": {"Key " + pat}})
	if r.StatusCode != 200 || r.Header.Get("Access-Control-Allow-Origin") != allowed || !strings.Contains(r.Header.Get("Access-Control-Expose-Headers"), "Grpc-Status") ||
		r.Header.Get("Access-Control-Allow-Credentials") != "" {
		t.Fatalf("REST from an allowed origin: %d %v", r.StatusCode, r.Header)
	}
	r = do("GET", "/v2/users/me/apps", http.Header{"Origin": {other}, "Authorization": {"Key " + pat}})
	if r.Header.Get("Access-Control-Allow-Origin") != "" || !strings.Contains(strings.Join(r.Header.Values("Vary"), ","), "Origin") {
		t.Fatalf("REST from another origin: %v", r.Header)
	}
	a := grpcWebCall(t, http.DefaultClient, base, "/clarifai.api.V2/ListApps", &pb.ListAppsRequest{UserAppId: me()}, true,
		http.Header{"Origin": {allowed}, "Authorization": {"Key " + pat}})
	if a.status != "0" || a.header.Get("Access-Control-Allow-Origin") != allowed {
		t.Fatalf("gRPC-Web from an allowed origin: %q %v", a.status, a.header)
	}
	// The portal answers no cross-origin request.
	for _, path := range []string{"/", "/login", "/apps"} {
		if r := do("GET", path, http.Header{"Origin": {allowed}}); r.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Fatalf("the portal's %s allows %s", path, allowed)
		}
	}
	if r := preflight(allowed, "/login", "POST"); r.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("a preflight of the portal's log-in is allowed: %v", r.Header)
	}
}

// TestCORSOriginConfig: origins are checked at start, from the flag
// (repeatable) or the variable (comma-separated).
func TestCORSOriginConfig(t *testing.T) {
	for _, bad := range []string{"*", "null", "app.example", "ftp://app.example", "https://app.example/path", "https://user@app.example"} {
		t.Run("Flag", func(t *testing.T) {
			var out bytes.Buffer
			code := cmd.Run(t.Context(), []string{"serve", "--addr", "127.0.0.1:0", "--data-dir", t.TempDir(), "--cors-origin", "http://ok.example", "--cors-origin", bad},
				strings.NewReader(""), io.Discard, &out)
			if code == 0 || !strings.Contains(out.String(), "CORS origin") {
				t.Errorf("--cors-origin %q: exit %d: %s", bad, code, out.String())
			}
		})
		t.Run("Env", func(t *testing.T) {
			t.Setenv("CLAVIS_CORS_ORIGIN", "http://ok.example,"+bad)
			var out bytes.Buffer
			code := cmd.Run(t.Context(), []string{"serve", "--addr", "127.0.0.1:0", "--data-dir", t.TempDir()}, strings.NewReader(""), io.Discard, &out)
			if code == 0 || !strings.Contains(out.String(), "CORS origin") {
				t.Errorf("CLAVIS_CORS_ORIGIN with %q: exit %d: %s", bad, code, out.String())
			}
		})
	}
}

// TestGRPCWebFlood floods the server from one address with gRPC-Web calls
// that announce 100 MB bodies without credentials: the connections over
// the per-address cap are closed as any others are, the server answers the
// rest without reading their bodies, and it goes on serving other clients.
func TestGRPCWebFlood(t *testing.T) {
	const perAddr, n = 20, 120
	p := startProc(t, clavisBinary(t), "--data-dir", t.TempDir(), "--max-conns-per-addr", strconv.Itoa(perAddr),
		"--first-bytes-timeout", "1m", "--header-timeout", "1m", "--body-timeout", "1m")
	call := fmt.Sprintf("POST /clarifai.api.V2/PostModelOutputs HTTP/1.1\r\nHost: x\r\nContent-Type: application/grpc-web-text\r\nContent-Length: %d\r\n\r\n", 100<<20)
	floodOverCap(t, p, n, perAddr, call)
}
