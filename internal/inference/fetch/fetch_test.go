package fetch_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/inference/fetch"
)

// genericMessage is the one message a refused or failed fetch shows.
const genericMessage = "could not fetch the image URL"

func testImage() image.Image {
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	img.Set(1, 2, color.RGBA{R: 200, A: 255})
	return img
}

func pngBytes(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, testImage()); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// server is an httptest server that counts the requests it receives and
// remembers the last one's headers.
type server struct {
	*httptest.Server
	hits atomic.Int64
	mu   sync.Mutex
	last http.Header
}

func newServer(t *testing.T, h http.HandlerFunc) *server {
	t.Helper()
	s := &server{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		s.mu.Lock()
		s.last = r.Header.Clone()
		s.mu.Unlock()
		h(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

// serve returns a handler that answers every request with body.
func serve(body []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { w.Write(body) }
}

func (s *server) lastHeader() http.Header {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last
}

// hostPort returns the server's "127.0.0.1:port" and its port.
func (s *server) hostPort(t *testing.T) (string, int) {
	t.Helper()
	u := strings.TrimPrefix(s.URL, "http://")
	_, p, err := net.SplitHostPort(u)
	if err != nil {
		t.Fatal(err)
	}
	port, err := strconv.Atoi(p)
	if err != nil {
		t.Fatal(err)
	}
	return u, port
}

// resolver answers from a fixed table; unknown names are not found. It
// never sends a query anywhere.
type resolver struct {
	names map[string][]string
	calls atomic.Int64
}

func (r *resolver) LookupIPAddr(_ context.Context, host string) ([]net.IPAddr, error) {
	r.calls.Add(1)
	ips, ok := r.names[host]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	var out []net.IPAddr
	for _, s := range ips {
		out = append(out, net.IPAddr{IP: net.ParseIP(s)})
	}
	return out, nil
}

// dialer stands in for the network: it records each address the fetcher
// asks for and connects to the loopback test server instead, so no traffic
// ever leaves the host whatever address is asked for.
type dialer struct {
	to    string
	mu    sync.Mutex
	addrs []string
}

func (d *dialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	d.mu.Lock()
	d.addrs = append(d.addrs, address)
	d.mu.Unlock()
	var nd net.Dialer
	return nd.DialContext(ctx, network, d.to)
}

func (d *dialer) dialled() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.addrs...)
}

func newFetcher(t *testing.T, cfg fetch.Config) *fetch.Fetcher {
	t.Helper()
	f, err := fetch.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return f
}

// wantError fails t unless err is a *clavis.Error with code; an
// EInputDownload error for a refusal must carry the generic message.
func wantError(t *testing.T, err error, code clavis.Code) *clavis.Error {
	t.Helper()
	var ce *clavis.Error
	if !errors.As(err, &ce) {
		t.Fatalf("error = %v (%T), want *clavis.Error with code %s", err, err, code)
	}
	if ce.Code != code {
		t.Fatalf("code = %s, want %s (error: %v)", ce.Code, code, err)
	}
	return ce
}

func wantGeneric(t *testing.T, err error) {
	t.Helper()
	ce := wantError(t, err, clavis.EInputDownload)
	if ce.Message != genericMessage {
		t.Errorf("message = %q, want %q", ce.Message, genericMessage)
	}
	if ce.Cause == nil {
		t.Errorf("no cause kept for the log")
	}
}

// hostOf writes ip as a URL host, bracketing IPv6.
func hostOf(ip string) string {
	if a, err := netip.ParseAddr(ip); err == nil && a.Is6() {
		return "[" + ip + "]"
	}
	return ip
}

func TestFetchOK(t *testing.T) {
	t.Parallel()
	img := pngBytes(t)
	srv := newServer(t, serve(img))
	hp, _ := srv.hostPort(t)
	f := newFetcher(t, fetch.Config{Allow: []string{hp}})

	got, err := f.Fetch(context.Background(), srv.URL+"/cat.png?x=1#frag")
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	if !bytes.Equal(got, img) {
		t.Errorf("got %d bytes, want the %d bytes of the PNG", len(got), len(img))
	}
	h := srv.lastHeader()
	for _, name := range []string{"Authorization", "Cookie", "Referer", "Proxy-Authorization"} {
		if v := h.Get(name); v != "" {
			t.Errorf("server got %s: %q, want none", name, v)
		}
	}
	if ua := h.Get("User-Agent"); ua != fetch.UserAgent {
		t.Errorf("User-Agent = %q, want %q", ua, fetch.UserAgent)
	}
}

func TestFetchFormats(t *testing.T) {
	t.Parallel()
	var jpg, gf bytes.Buffer
	if err := jpeg.Encode(&jpg, testImage(), nil); err != nil {
		t.Fatal(err)
	}
	if err := gif.Encode(&gf, testImage(), nil); err != nil {
		t.Fatal(err)
	}
	bmp := append([]byte("BM\x46\x00\x00\x00\x00\x00\x00\x00\x36\x00\x00\x00\x28\x00\x00\x00"), make([]byte, 40)...)
	webp := []byte("RIFF\x24\x00\x00\x00WEBPVP8 \x18\x00\x00\x00")
	tests := []struct {
		name string
		body []byte
		ok   bool
	}{
		{"PNG", pngBytes(t), true},
		{"JPEG", jpg.Bytes(), true},
		{"GIF", gf.Bytes(), true},
		{"WebP", webp, true},
		{"BMP", bmp, true},
		{"HTML", []byte("<!doctype html><html><body>hello</body></html>"), false},
		{"JSON", []byte(`{"secret":"value"}`), false},
		{"Empty", nil, false},
		{"TextStartingBM", []byte("BMW owners club newsletter, issue 12"), false},
		{"RIFFNotWebP", []byte("RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00"), false},
		{"SVG", []byte(`<svg xmlns="http://www.w3.org/2000/svg"></svg>`), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, serve(tt.body))
			hp, _ := srv.hostPort(t)
			got, err := newFetcher(t, fetch.Config{Allow: []string{hp}}).Fetch(context.Background(), srv.URL+"/")
			if !tt.ok {
				ce := wantError(t, err, clavis.EInputDownload)
				if ce.Message != "the URL did not return an image" {
					t.Errorf("message = %q", ce.Message)
				}
				return
			}
			if err != nil {
				t.Fatalf("Fetch: %v", err)
			}
			if !bytes.Equal(got, tt.body) {
				t.Errorf("body differs")
			}
		})
	}
}

func TestFetchLimits(t *testing.T) {
	t.Parallel()
	const limit = 1024
	body := func(n int) []byte {
		b := make([]byte, n)
		copy(b, pngBytes(t)[:8])
		return b
	}
	tests := []struct {
		name    string
		handler http.HandlerFunc
		want    clavis.Code
	}{
		{"AtLimit", serve(body(limit)), ""},
		{"OverWithLength", serve(body(limit + 1)), clavis.EInputTooLarge},
		{"OverChunked", func(w http.ResponseWriter, r *http.Request) {
			b := body(4 * limit)
			for i := 0; i < len(b); i += 100 {
				w.Write(b[i:min(i+100, len(b))])
				w.(http.Flusher).Flush()
			}
		}, clavis.EInputTooLarge},
		{"LengthLies", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", strconv.Itoa(limit*100))
			w.Write(body(10))
		}, clavis.EInputTooLarge},
		{"Truncated", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", strconv.Itoa(limit))
			w.Write(body(100))
		}, clavis.EInputDownload},
		{"NotFound", func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) }, clavis.EInputDownload},
		{"ServerError", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusInternalServerError)
			w.Write(pngBytes(t))
		}, clavis.EInputDownload},
		{"RedirectWithoutLocation", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusFound)
			w.Write(pngBytes(t))
		}, clavis.EInputDownload},
		{"NoContent", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }, clavis.EInputDownload},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, tt.handler)
			hp, _ := srv.hostPort(t)
			f := newFetcher(t, fetch.Config{Allow: []string{hp}, MaxBytes: limit})
			got, err := f.Fetch(context.Background(), srv.URL+"/")
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Fetch: %v", err)
				}
				if len(got) != limit {
					t.Errorf("got %d bytes, want %d", len(got), limit)
				}
				return
			}
			wantError(t, err, tt.want)
		})
	}
}

// TestFetchTimeout serves bodies and headers that never finish; the
// fetcher's Timeout must end the fetch.
func TestFetchTimeout(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		writeHeader bool
	}{
		{"SlowBody", true},
		{"SlowHeaders", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			done := make(chan struct{})
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				if tt.writeHeader {
					w.Write(pngBytes(t)[:16])
					w.(http.Flusher).Flush()
				}
				select {
				case <-r.Context().Done():
				case <-done:
				}
			})
			t.Cleanup(func() { close(done) }) // runs before srv.Close
			hp, _ := srv.hostPort(t)
			f := newFetcher(t, fetch.Config{Allow: []string{hp}, Timeout: 100 * time.Millisecond})
			_, err := f.Fetch(context.Background(), srv.URL+"/")
			wantGeneric(t, err)
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("error %v does not wrap context.DeadlineExceeded", err)
			}
		})
	}
}

func TestFetchCanceled(t *testing.T) {
	t.Parallel()
	srv := newServer(t, serve(pngBytes(t)))
	hp, _ := srv.hostPort(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := newFetcher(t, fetch.Config{Allow: []string{hp}}).Fetch(ctx, srv.URL+"/")
	wantGeneric(t, err)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v does not wrap context.Canceled", err)
	}
}

// TestFetchIgnoresProxyEnvironment points the proxy variables at a loopback
// proxy; the fetch must go straight to the (stand-in) public host.
func TestFetchIgnoresProxyEnvironment(t *testing.T) {
	img := pngBytes(t)
	proxy := newServer(t, serve([]byte("proxied")))
	srv := newServer(t, serve(img))
	hp, _ := srv.hostPort(t)
	for _, v := range []string{"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY"} {
		t.Setenv(v, proxy.URL)
	}
	t.Setenv("NO_PROXY", "")
	d := &dialer{to: hp}
	f := newFetcher(t, fetch.Config{
		Resolver:    &resolver{names: map[string][]string{"pub.test": {"8.8.8.8"}}},
		DialContext: d.DialContext,
	})
	got, err := f.Fetch(context.Background(), "http://pub.test/")
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	if !bytes.Equal(got, img) {
		t.Errorf("body differs")
	}
	if n := proxy.hits.Load(); n != 0 {
		t.Errorf("proxy got %d requests, want 0", n)
	}
	if got := d.dialled(); len(got) != 1 || got[0] != "8.8.8.8:80" {
		t.Errorf("dialled %v, want 8.8.8.8:80", got)
	}
}
