package listen_test

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clavis-dev/clavis/internal/listen"
)

// refusalJSON is the Refusal of these tests: the reason as JSON.
func refusalJSON(reason string) []byte {
	b, _ := json.Marshal(map[string]string{"reason": reason})
	return b
}

// exchange writes req on a new connection to addr and reads the answer.
func exchange(t *testing.T, dial func() (net.Conn, error), req string) (*http.Response, string) {
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
		t.Fatalf("%q: %v", req, err)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%q: body: %v", req, err)
	}
	return resp, string(body)
}

// refusalCases are requests net/http refuses before any handler runs.
var refusalCases = []struct {
	name   string
	req    string
	status int
	reason string
}{
	{"PathEscape", "GET /v2/users/%ZZ/apps HTTP/1.1\r\nHost: x\r\n\r\n", 400, "cannot be parsed"},
	{"NULInHeader", "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n", 400, "cannot be parsed"},
	{"BadHeaderName", "GET / HTTP/1.1\r\nHost: x\r\nBad Name: v\r\n\r\n", 400, "malformed request"},
	{"RequestLine", "GARBAGE\r\n\r\n", 400, "cannot be parsed"},
	{"NoHost", "GET / HTTP/1.1\r\n\r\n", 400, "missing required Host header"},
	{"HeadersTooLarge", "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", 20000) + "\r\n\r\n", 431, "over 4096 bytes"},
	{"TransferEncoding", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 501, "unsupported transfer encoding"},
	{"Version", "GET / HTTP/3.0\r\nHost: x\r\n\r\n", 505, "unsupported protocol version"},
}

// checkRefusal fails unless resp is the JSON refusal with status and a
// reason containing reason.
func checkRefusal(t *testing.T, resp *http.Response, body string, status int, reason string) {
	t.Helper()
	var got struct{ Reason string }
	if resp.StatusCode != status || resp.Header.Get("Content-Type") != "application/json" || json.Unmarshal([]byte(body), &got) != nil ||
		!strings.Contains(got.Reason, reason) {
		t.Fatalf("HTTP %d %s %q; want %d, JSON with a reason containing %q", resp.StatusCode, resp.Header.Get("Content-Type"), body, status, reason)
	}
	if resp.ContentLength != int64(len(body)) || !resp.Close {
		t.Fatalf("Content-Length %d for %d bytes, Connection: close %v", resp.ContentLength, len(body), resp.Close)
	}
}

// handler answers /text with http.Error, which a refusal must not be
// mistaken for, and everything else with whether the request is TLS.
var handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/text" {
		http.Error(w, "plain text from a handler", http.StatusBadRequest)
		return
	}
	w.Header().Set("X-TLS", map[bool]string{true: "yes", false: "no"}[r.TLS != nil])
})

func TestRefusalsRewritten(t *testing.T) {
	ln := loopback(t)
	rec, obs := &logRecorder{}, &gateEvents{}
	_, web := listen.New(listen.Config{Refusal: refusalJSON, MaxHeaderBytes: 4096, Log: slog.New(rec), LogEvery: time.Hour, Observer: obs}).Plain(ln)
	srv := &http.Server{Handler: handler, MaxHeaderBytes: 4096}
	go srv.Serve(web)
	t.Cleanup(func() { srv.Close() })
	dial := func() (net.Conn, error) { return net.Dial("tcp", ln.Addr().String()) }
	for _, tc := range refusalCases {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := exchange(t, dial, tc.req)
			checkRefusal(t, resp, body, tc.status, tc.reason)
		})
	}
	t.Run("HandlerAnswersUntouched", func(t *testing.T) {
		resp, body := exchange(t, dial, "GET /text HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
		if resp.StatusCode != 400 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") || body != "plain text from a handler\n" {
			t.Fatalf("a handler's answer was rewritten: %d %s %q", resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
	})
	t.Run("AfterAKeptAliveRequest", func(t *testing.T) {
		c, err := dial()
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		go io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /%ZZ HTTP/1.1\r\nHost: x\r\n\r\n")
		br := bufio.NewReader(c)
		for i, want := range []int{200, 400} {
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatalf("answer %d: %v", i, err)
			}
			body, _ := io.ReadAll(resp.Body)
			if i == 0 && resp.StatusCode != want {
				t.Fatalf("first answer %d %q", resp.StatusCode, body)
			}
			if i == 1 {
				checkRefusal(t, resp, string(body), want, "cannot be parsed")
			}
		}
	})
	// No handler logs these requests: the Gate does, at a bounded rate
	// (the first at once, the others with their count when the interval
	// ends), and reports each.
	const msg = "requests refused before any handler"
	if n, count := rec.lines(msg); n != 1 || count != 1 || rec.attr(msg, "status") != "400" || !strings.Contains(rec.attr(msg, "reason"), "cannot be parsed") {
		t.Errorf("%d lines counting %d, status %s, reason %q; want the first refusal's line", n, count, rec.attr(msg, "status"), rec.attr(msg, "reason"))
	}
	var want []int
	for _, tc := range refusalCases {
		want = append(want, tc.status)
	}
	if got := obs.refusals(); !slices.Equal(got, append(want, 400)) {
		t.Errorf("refusals observed %v, want %v", got, append(want, 400))
	}
}

// selfSigned returns a TLS configuration with a certificate for 127.0.0.1
// and a pool that trusts it.
func selfSigned(t *testing.T) (*tls.Config, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, NextProtos: []string{"h2", "http/1.1"}}, pool
}

func TestTLS(t *testing.T) {
	cfg, pool := selfSigned(t)
	ln := loopback(t)
	addr := ln.Addr().String()
	rec := &logRecorder{}
	g := listen.New(listen.Config{Refusal: refusalJSON, MaxHeaderBytes: 4096, FirstBytes: time.Second, Log: slog.New(rec), LogEvery: time.Hour})
	srv := &http.Server{Handler: handler, MaxHeaderBytes: 4096, TLSConfig: cfg}
	go srv.Serve(g.TLS(ln, cfg))
	t.Cleanup(func() { srv.Close() })

	for _, h2 := range []bool{true, false} {
		tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: h2}
		if !h2 {
			tr.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
		}
		resp, err := (&http.Client{Transport: tr}).Get("https://" + addr + "/")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		tr.CloseIdleConnections()
		if (resp.ProtoMajor == 2) != h2 || resp.Header.Get("X-TLS") != "yes" {
			t.Fatalf("HTTP/2 %v: %s, Request.TLS set: %s", h2, resp.Proto, resp.Header.Get("X-TLS"))
		}
	}

	dialTLS := func() (net.Conn, error) {
		return tls.Dial("tcp", addr, &tls.Config{RootCAs: pool, NextProtos: []string{"http/1.1"}})
	}
	for _, tc := range refusalCases {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := exchange(t, dialTLS, tc.req)
			checkRefusal(t, resp, body, tc.status, tc.reason)
		})
	}

	t.Run("PlainHTTP", func(t *testing.T) {
		resp, body := exchange(t, func() (net.Conn, error) { return net.Dial("tcp", addr) }, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		checkRefusal(t, resp, body, 400, "plain HTTP sent to the TLS port")
	})
	t.Run("SilentHandshake", func(t *testing.T) {
		if c := dialFrom(t, "127.0.0.1", addr); !closedByPeer(c, 10*time.Second) {
			t.Fatal("a connection that never shook hands outlived the first-bytes timeout")
		}
	})
	// Plain HTTP is a refusal, logged as one; the silent connection is a
	// failed handshake.
	if n, count := rec.lines("TLS handshakes failed"); n != 1 || count != 1 {
		t.Fatalf("%d log lines counting %d for one failed handshake; want one", n, count)
	}
	if n, _ := rec.lines("requests refused before any handler"); n != 1 {
		t.Fatalf("%d log lines for the refusals; want the first at once", n)
	}
}
