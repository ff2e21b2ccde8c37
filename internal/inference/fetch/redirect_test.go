package fetch_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/clavis-dev/clavis/internal/inference/fetch"
)

// TestFetchRedirects follows redirects from an allowed server and refuses
// each target the URL or address rules refuse.
func TestFetchRedirects(t *testing.T) {
	t.Parallel()
	img := pngBytes(t)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/img" {
			if ref := r.Header.Get("Referer"); ref != "" {
				http.Error(w, "got Referer "+ref, http.StatusBadRequest)
				return
			}
			w.Write(img)
			return
		}
		if to := r.URL.Query().Get("to"); to != "" {
			http.Redirect(w, r, to, http.StatusFound)
			return
		}
		// /hop/N redirects N more times before the image.
		if n, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/hop/")); err == nil {
			next := "/img"
			if n > 1 {
				next = fmt.Sprintf("/hop/%d", n-1)
			}
			http.Redirect(w, r, next, http.StatusMovedPermanently)
			return
		}
		http.NotFound(w, r)
	})
	res := &resolver{names: map[string][]string{
		"public.test":   {"8.8.8.8"},
		"private.test":  {"10.0.0.7"},
		"loopback.test": {"127.0.0.1"},
	}}
	hp, port := srv.hostPort(t)

	tests := []struct {
		name         string
		url          string
		maxRedirects int
		ok           bool
	}{
		{"OneHop", "http://public.test/hop/1", 0, true},
		{"ThreeHops", "http://public.test/hop/3", 0, true},
		{"FourHops", "http://public.test/hop/4", 0, false},
		{"NoneAllowed", "http://public.test/hop/1", -1, false},
		{"OneOfOne", "http://public.test/hop/1", 1, true},
		{"ToPublic", "http://public.test/?to=http://public.test/img", 0, true},
		{"ToPrivateName", "http://public.test/?to=http://private.test/img", 0, false},
		{"ToLoopbackName", "http://public.test/?to=http://loopback.test/img", 0, false},
		{"ToLoopback", "http://public.test/?to=http://127.0.0.1/img", 0, false},
		{"ToLoopbackServer", "http://public.test/?to=http://" + hp + "/img", 0, false},
		{"ToMappedLoopback", "http://public.test/?to=http://[::ffff:7f00:1]/img", 0, false},
		{"ToMetadata", "http://public.test/?to=http://169.254.169.254/latest/meta-data/", 0, false},
		{"ToMetadataV6", "http://public.test/?to=http://[fd00:ec2::254]/", 0, false},
		{"ToDecimal", "http://public.test/?to=http://2130706433/img", 0, false},
		{"ToOctal", "http://public.test/?to=http://0177.0.0.1/img", 0, false},
		{"ToFile", "http://public.test/?to=file:///etc/passwd", 0, false},
		{"ToFTP", "http://public.test/?to=ftp://public.test/img", 0, false},
		{"ToCredentials", "http://public.test/?to=http://u:p@public.test/img", 0, false},
		{"ToPort", fmt.Sprintf("http://public.test/?to=http://public.test:%d/img", port), 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := &dialer{to: hp}
			f := newFetcher(t, fetch.Config{Resolver: res, DialContext: d.DialContext, MaxRedirects: tt.maxRedirects})
			got, err := f.Fetch(context.Background(), tt.url)
			if tt.ok {
				if err != nil {
					t.Fatalf("Fetch: %v", err)
				}
				if !bytes.Equal(got, img) {
					t.Errorf("body differs")
				}
			} else {
				wantGeneric(t, err)
			}
			for _, a := range d.dialled() {
				if a != "8.8.8.8:80" {
					t.Errorf("dialled %s, want only 8.8.8.8:80", a)
				}
			}
		})
	}
}

// TestFetchRedirectBetweenLoopbackServers uses the real dialer: a server
// allowed by host:port redirects to another loopback server, which must see
// nothing.
func TestFetchRedirectBetweenLoopbackServers(t *testing.T) {
	t.Parallel()
	inner := newServer(t, serve(pngBytes(t)))
	_, innerPort := inner.hostPort(t)
	outer := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, r.URL.Query().Get("to"), http.StatusFound)
	})
	hp, _ := outer.hostPort(t)
	f := newFetcher(t, fetch.Config{Allow: []string{hp}, Resolver: &resolver{names: map[string][]string{"localhost": {"127.0.0.1"}}}})
	for _, to := range []string{
		inner.URL + "/",
		fmt.Sprintf("http://localhost:%d/", innerPort),
		fmt.Sprintf("http://[::1]:%d/", innerPort),
		"http://127.0.0.1/",
		"http://localhost/",
	} {
		_, err := f.Fetch(context.Background(), outer.URL+"/?to="+to)
		wantGeneric(t, err)
	}
	if n := inner.hits.Load(); n != 0 {
		t.Errorf("inner server got %d requests, want 0", n)
	}
	if n := outer.hits.Load(); n != 5 {
		t.Errorf("outer server got %d requests, want 5", n)
	}
}

// rebinder answers with a public address on the first lookup and with
// loopback on every later one, as a DNS rebinding attacker would.
type rebinder struct{ calls atomic.Int64 }

func (r *rebinder) LookupIPAddr(_ context.Context, host string) ([]net.IPAddr, error) {
	if r.calls.Add(1) == 1 {
		return []net.IPAddr{{IP: net.ParseIP("8.8.8.8")}}, nil
	}
	return []net.IPAddr{{IP: net.ParseIP("127.0.0.1")}}, nil
}

func TestFetchRebinding(t *testing.T) {
	t.Parallel()
	img := pngBytes(t)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/again" {
			// Closing the connection makes the next request dial anew,
			// and so look the name up again.
			w.Header().Set("Connection", "close")
			http.Redirect(w, r, "/img", http.StatusFound)
			return
		}
		w.Write(img)
	})
	hp, _ := srv.hostPort(t)

	t.Run("CheckThenConnect", func(t *testing.T) {
		t.Parallel()
		res := &rebinder{}
		d := &dialer{to: hp}
		f := newFetcher(t, fetch.Config{Resolver: res, DialContext: d.DialContext})
		got, err := f.Fetch(context.Background(), "http://rebind.test/img")
		if err != nil {
			t.Fatalf("Fetch: %v", err)
		}
		if !bytes.Equal(got, img) {
			t.Errorf("body differs")
		}
		if got := d.dialled(); len(got) != 1 || got[0] != "8.8.8.8:80" {
			t.Errorf("dialled %v, want only the checked 8.8.8.8:80", got)
		}
		if n := res.calls.Load(); n != 1 {
			t.Errorf("resolver called %d times, want once per connection", n)
		}
	})
	t.Run("SecondConnection", func(t *testing.T) {
		t.Parallel()
		res := &rebinder{}
		d := &dialer{to: hp}
		f := newFetcher(t, fetch.Config{Resolver: res, DialContext: d.DialContext})
		_, err := f.Fetch(context.Background(), "http://rebind.test/again")
		wantGeneric(t, err)
		if got := d.dialled(); len(got) != 1 || got[0] != "8.8.8.8:80" {
			t.Errorf("dialled %v, want only 8.8.8.8:80", got)
		}
		if n := res.calls.Load(); n != 2 {
			t.Errorf("resolver called %d times, want 2", n)
		}
	})
}
