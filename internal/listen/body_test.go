package listen_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/clavis-dev/clavis/internal/listen"
)

const bodyTimeout = 300 * time.Millisecond

// bodyServer serves h behind BodyDeadline(bodyTimeout) and returns its
// address.
func bodyServer(t *testing.T, h http.HandlerFunc) string {
	ln := loopback(t)
	srv := &http.Server{Handler: listen.BodyDeadline(h, bodyTimeout)}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// answer sends req on a new connection to addr, then body in one write per
// tick unless nil, and returns the first line of the answer.
func answer(t *testing.T, addr, req string, body []string, tick time.Duration) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	go func() {
		io.WriteString(c, req)
		for _, part := range body {
			time.Sleep(tick) // the client is slow by design; the server is not waited for
			io.WriteString(c, part)
		}
	}()
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	return strings.TrimSpace(line)
}

func TestBodyDeadline(t *testing.T) {
	t.Run("SlowBodyCut", func(t *testing.T) {
		addr := bodyServer(t, func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			_, err := io.ReadAll(r.Body)
			if !errors.Is(err, os.ErrDeadlineExceeded) {
				http.Error(w, fmt.Sprintf("read: %v", err), 500)
				return
			}
			w.Header().Set("X-Took", time.Since(start).String())
			w.WriteHeader(http.StatusRequestTimeout)
		})
		// 100 bytes, one every 50 ms: the body keeps coming, but not in time.
		got := answer(t, addr, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n", strings.Split(strings.Repeat("a", 100), ""), 50*time.Millisecond)
		if got != "HTTP/1.1 408 Request Timeout" {
			t.Fatalf("answer %q; want the body cut with a deadline error", got)
		}
	})
	// Once the body is in, the deadline must not cancel a handler that takes
	// longer, nor one of a request without a body.
	for name, req := range map[string]string{
		"LongHandlerAfterBody": "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nok",
		"LongHandlerNoBody":    "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
	} {
		t.Run(name, func(t *testing.T) {
			addr := bodyServer(t, func(w http.ResponseWriter, r *http.Request) {
				if _, err := io.ReadAll(r.Body); err != nil {
					http.Error(w, err.Error(), 500)
					return
				}
				select {
				case <-r.Context().Done():
					http.Error(w, "context canceled", 500)
				case <-time.After(3 * bodyTimeout):
				}
			})
			if got := answer(t, addr, req, nil, 0); got != "HTTP/1.1 200 OK" {
				t.Fatalf("answer %q", got)
			}
		})
	}
}
