package main_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// http2Preface opens every gRPC connection on the plaintext port.
const http2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

// emptySettings is an HTTP/2 SETTINGS frame with no settings.
const emptySettings = "\x00\x00\x00\x04\x00\x00\x00\x00\x00"

// serving returns nil once both transports of the server at addr answer:
// the gRPC health check on a fresh connection, and REST.
func serving(addr string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer conn.Close()
	h, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
	if err != nil {
		return fmt.Errorf("gRPC health check: %w", err)
	}
	if h.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		return fmt.Errorf("gRPC health: %v", h.GetStatus())
	}
	req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+addr+"/v2/users/me/apps", nil)
	resp, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Do(req)
	if err != nil {
		return fmt.Errorf("REST: %w", err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || jsonCode(raw) != 11102 {
		return fmt.Errorf("REST: HTTP %d %s", resp.StatusCode, raw)
	}
	return nil
}

// waitFor polls cond until it returns nil or within has passed.
func waitFor(t *testing.T, within time.Duration, what string, cond func() error) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		err := cond()
		if err == nil {
			return time.Since(start)
		}
		if time.Since(start) > within {
			t.Fatalf("%s: not within %v: %v", what, within, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// flood opens n connections to addr from the local address from, each
// sending send, and watches them: closed counts those the server closed.
type flood struct {
	conns  []net.Conn
	closed atomic.Int64
	wg     sync.WaitGroup
}

func startFlood(t *testing.T, from, addr string, n int, send string) *flood {
	t.Helper()
	f := &flood{}
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 3 * time.Second}
	var mu sync.Mutex
	var dials sync.WaitGroup
	for range n {
		dials.Add(1)
		go func() {
			defer dials.Done()
			c, err := d.Dial("tcp", addr)
			if err != nil {
				// The server may reset a connection over a cap before the
				// dial returns; a full backlog times it out.
				f.closed.Add(1)
				return
			}
			io.WriteString(c, send)
			mu.Lock()
			f.conns = append(f.conns, c)
			mu.Unlock()
			f.wg.Add(1)
			go func() {
				defer f.wg.Done()
				io.Copy(io.Discard, c)
				f.closed.Add(1)
			}()
		}()
	}
	dials.Wait()
	t.Cleanup(f.end)
	return f
}

// floodOverCap floods the server of p from 127.0.0.2 with n connections
// that each send send, and checks that those over the per-address cap
// perAddr are closed and no other, while the server serves other
// addresses.
func floodOverCap(t *testing.T, p *proc, n, perAddr int, send string) {
	t.Helper()
	f := startFlood(t, "127.0.0.2", p.addr, n, send)
	waitFor(t, 10*time.Second, "connections over the cap closed", func() error {
		if got := f.closed.Load(); got != int64(n-perAddr) {
			return fmt.Errorf("%d of %d closed", got, n)
		}
		return nil
	})
	waitFor(t, 10*time.Second, "serving another address during the flood", func() error { return serving(p.addr) })
	if got := f.closed.Load(); got != int64(n-perAddr) {
		t.Fatalf("%d connections closed; want the %d over the cap", got, n-perAddr)
	}
}

// end closes the connections of the flood and waits for their readers.
func (f *flood) end() {
	for _, c := range f.conns {
		c.Close()
	}
	f.wg.Wait()
}

// logCounts returns the sum of the "count" fields of the JSON log lines
// with message msg, and how many there are.
func logCounts(t *testing.T, p *proc, msg string) (lines int, count int) {
	t.Helper()
	for _, l := range p.log.with(`"msg":"` + msg + `"`) {
		var rec struct{ Count int }
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		lines++
		count += rec.Count
	}
	return lines, count
}

// TestServerSurvivesFileExhaustion floods `clavis serve`, its open files
// lowered to 256 with prlimit, with twice as many connections that send the
// HTTP/2 preface and hold: accept fails for want of descriptors, and once
// the flood ends both transports serve again within seconds, with the
// failures logged at a bounded rate.
func TestServerSurvivesFileExhaustion(t *testing.T) {
	prlimit, err := exec.LookPath("prlimit")
	if err != nil {
		t.Fatal("prlimit (util-linux) not found; scripts/deps.sh installs it")
	}
	const nofile = 256
	// No connection cap, so that the flood reaches the descriptor limit.
	p := startProc(t, clavisBinary(t), "--data-dir", t.TempDir(), "--max-conns", "1000000", "--max-conns-per-addr", "0")
	if out, err := exec.Command(prlimit, "--pid", strconv.Itoa(p.cmd.Process.Pid), fmt.Sprintf("--nofile=%d:%d", nofile, nofile)).CombinedOutput(); err != nil {
		t.Fatalf("prlimit: %v: %s", err, out)
	}
	waitFor(t, 10*time.Second, "serving before the flood", func() error { return serving(p.addr) })

	start := time.Now()
	f := startFlood(t, "127.0.0.1", p.addr, 2*nofile, http2Preface)
	waitFor(t, 30*time.Second, "accept failing for want of descriptors", func() error {
		if len(p.log.with("too many open files")) == 0 {
			return errors.New("no accept error logged")
		}
		return nil
	})
	f.end()
	took := waitFor(t, 15*time.Second, "serving after the flood", func() error { return serving(p.addr) })
	t.Logf("serving again %v after the flood ended", took)

	lines, count := logCounts(t, p, "accept failed; retrying")
	if limit := int(time.Since(start)/(10*time.Second)) + 2; lines > limit {
		t.Fatalf("%d log lines about failed accepts in %v; want at most %d", lines, time.Since(start), limit)
	}
	t.Logf("%d failed accepts logged in %d lines", count, lines)
}

// TestServerConnCapPerAddr floods the server from 127.0.0.2 with ten times
// its per-address cap: the connections over it are closed at once and
// counted in one log line, and clients at 127.0.0.1 are served meanwhile.
func TestServerConnCapPerAddr(t *testing.T) {
	const perAddr, n = 20, 200
	p := startProc(t, clavisBinary(t), "--data-dir", t.TempDir(), "--max-conns-per-addr", strconv.Itoa(perAddr),
		"--first-bytes-timeout", "1m", "--header-timeout", "1m")
	floodOverCap(t, p, n, perAddr, http2Preface)
	// The first refusal is logged at once, the rest in one line when the
	// interval ends.
	waitFor(t, 20*time.Second, "every refusal counted in the log", func() error {
		if lines, count := logCounts(t, p, "connections refused over the cap"); count != n-perAddr || lines > 2 {
			return fmt.Errorf("%d refusals counted in %d lines", count, lines)
		}
		return nil
	})
}

// TestServerTimeouts starts the server with one-second timeouts and checks
// that each kind of idle or slow connection is closed on time, on both
// ports.
func TestServerTimeouts(t *testing.T) {
	dir := t.TempDir()
	const timeout = time.Second
	p := startProc(t, clavisBinary(t), "--data-dir", dir, "--tls-addr", "127.0.0.1:0", "--tls-self-signed",
		"--first-bytes-timeout", "1s", "--header-timeout", "1s", "--body-timeout", "1s",
		"--idle-timeout", "1s", "--keepalive-time", "1s", "--keepalive-timeout", "1s")
	tlsAddr := listeningTLS(t, p)
	pat, err := os.ReadFile(filepath.Join(dir, "bootstrap.pat"))
	if err != nil {
		t.Fatal(err)
	}
	plain := func() (net.Conn, error) { return net.Dial("tcp", p.addr) }
	h2 := func() (net.Conn, error) {
		return tls.Dial("tcp", tlsAddr, &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"h2"}})
	}
	h1 := func() (net.Conn, error) {
		return tls.Dial("tcp", tlsAddr, &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"http/1.1"}})
	}
	keptAlive := "GET /v2/users/me/apps HTTP/1.1\r\nHost: x\r\n\r\n"
	for _, tc := range []struct {
		name string
		dial func() (net.Conn, error)
		send string
		// within bounds the time until the server closes the connection:
		// the timeout, and for HTTP/2 and gRPC the 5 s grace of a GOAWAY.
		within time.Duration
	}{
		{"Silent", plain, "", timeout},
		{"PrefaceOnly", plain, http2Preface, timeout},
		{"IdleGRPC", plain, http2Preface + emptySettings, timeout + 5*time.Second},
		{"IdleHTTP1", plain, keptAlive, timeout},
		{"SilentTLSHandshake", func() (net.Conn, error) { return net.Dial("tcp", tlsAddr) }, "", timeout},
		{"IdleHTTP2OverTLS", h2, http2Preface + emptySettings, timeout + 5*time.Second},
		{"IdleHTTP1OverTLS", h1, keptAlive, timeout},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := tc.dial()
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			io.WriteString(c, tc.send)
			start := time.Now()
			c.SetReadDeadline(start.Add(tc.within + 5*time.Second))
			_, err = io.Copy(io.Discard, c)
			took := time.Since(start)
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatalf("still open after %v", took)
			}
			t.Logf("closed after %v", took)
		})
	}

	t.Run("SlowBody", func(t *testing.T) {
		t.Parallel()
		c, err := plain()
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		fmt.Fprintf(c, "POST /v2/users/me/apps HTTP/1.1\r\nHost: x\r\nAuthorization: Key %s\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{", strings.TrimSpace(string(pat)))
		stop := make(chan struct{})
		defer close(stop)
		go func() {
			// A byte every 100 ms: the body keeps coming, too slowly.
			tick := time.NewTicker(100 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-tick.C:
					if _, err := io.WriteString(c, " "); err != nil {
						return
					}
				case <-stop:
					return
				}
			}
		}()
		start := time.Now()
		c.SetReadDeadline(start.Add(timeout + 5*time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatalf("no answer after %v: %v", time.Since(start), err)
		}
		raw, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusRequestTimeout || jsonCode(raw) != 40032 {
			t.Fatalf("HTTP %d %s; want 408 and RPC_REQUEST_TIMEOUT", resp.StatusCode, raw)
		}
		t.Logf("answered %d after %v", resp.StatusCode, time.Since(start))
	})
}

// listeningTLS returns the address of p's TLS listener, from its log.
func listeningTLS(t *testing.T, p *proc) string {
	t.Helper()
	var addr string
	waitFor(t, 10*time.Second, "TLS listener", func() error {
		for _, l := range p.log.with(`"msg":"listening with TLS"`) {
			var rec struct{ Addr string }
			if json.Unmarshal([]byte(l), &rec) == nil && rec.Addr != "" {
				addr = rec.Addr
				return nil
			}
		}
		return errors.New("not logged")
	})
	return addr
}
