package main_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"
	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/auth"
)

// hostileBody is the size of each body the memory tests send: 100 MB.
const hostileBody = 100 << 20

// vmHWM returns the peak resident memory of process pid, in bytes.
func vmHWM(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmHWM in /proc/PID/status")
	return 0
}

// unknownPAT returns a well-formed PAT, checksum and all, that was never
// issued: only the store can tell it is unknown.
func unknownPAT(t testing.TB) string {
	t.Helper()
	tok, err := auth.NewToken(clavis.KeyTypePAT)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// bootstrapPAT returns the admin's PAT of a server started on dir.
func bootstrapPAT(t *testing.T, dir string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "bootstrap.pat"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// postREST sends a POST of n bytes of letters (declared with
// Content-Length) and returns the HTTP status, the in-band code and
// whether a challenge came with it.
func postREST(t *testing.T, url, authorization string, n int64) (int, int, string) {
	t.Helper()
	r, err := http.NewRequest("POST", url, io.LimitReader(letters{}, n))
	if err != nil {
		t.Fatal(err)
	}
	r.ContentLength = n
	r.Header.Set("Content-Type", "application/json")
	if authorization != "" {
		r.Header.Set("Authorization", authorization)
	}
	resp, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Do(r)
	if err != nil {
		t.Errorf("POST %s: %v", url, err)
		return 0, 0, ""
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, jsonCode(raw), resp.Header.Get("WWW-Authenticate")
}

// TestRESTUnauthenticatedBodiesHeld sends `clavis serve` four 100 MB REST
// bodies without a key and four with a well-formed unknown key, at once:
// each is answered in-band as always, and the server's peak RSS rises by
// less than 64 MiB over idle, for no body is buffered.
func TestRESTUnauthenticatedBodiesHeld(t *testing.T) {
	dir := t.TempDir()
	p := startProc(t, clavisBinary(t), "--data-dir", dir)
	pid := p.cmd.Process.Pid
	url := "http://" + p.addr + "/v2/users/me/apps/a/inputs"
	bad := "Key " + unknownPAT(t)
	// Warm up both refusals and one authenticated call.
	postREST(t, url, "", 1000)
	postREST(t, url, bad, 1000)
	if code, _, _ := postREST(t, "http://"+p.addr+"/v2/users/me/apps", "Key "+bootstrapPAT(t, dir), 2); code != http.StatusBadRequest {
		t.Fatalf("warm-up with the admin's PAT: HTTP %d", code)
	}
	idle := vmHWM(t, pid)

	var wg sync.WaitGroup
	for i := range 8 {
		authz := ""
		if i%2 == 1 {
			authz = bad
		}
		wg.Go(func() {
			code, inb, challenge := postREST(t, url, authz, hostileBody)
			want := int(st.StatusCode_CONN_INVALID_REQUEST)
			if authz != "" {
				want = int(st.StatusCode_CONN_KEY_INVALID)
			}
			if code != http.StatusUnauthorized || inb != want || (authz == "") != (challenge != "") {
				t.Errorf("100 MB with authorization %q: HTTP %d, code %d, challenge %q; want 401, %d", authz, code, inb, challenge, want)
			}
		})
	}
	wg.Wait()
	peak := vmHWM(t, pid)
	t.Logf("peak RSS %d MiB idle, %d MiB after 8 × 100 MB unauthenticated REST bodies", idle>>20, peak>>20)
	if peak-idle >= 64<<20 {
		t.Fatalf("peak RSS rose by %d MiB; want < 64 MiB", (peak-idle)>>20)
	}
	// One line per request, each with its in-band code.
	if n := len(p.log.await(`"code":11102`, 4+1)); n != 4+1 {
		t.Errorf("%d log lines with code 11102; want 5 (one per request)", n)
	}
}

// TestBodyBudget: with a 1 MiB budget of bodies in flight, an
// authenticated 2 MB body is answered 40030 on REST (HTTP 429) and
// in-band on gRPC-Web, and smaller ones are served.
func TestBodyBudget(t *testing.T) {
	dir := t.TempDir()
	p := startProc(t, clavisBinary(t), "--data-dir", dir, "--max-body-bytes-in-flight", strconv.Itoa(1<<20))
	pat := "Key " + bootstrapPAT(t, dir)
	base := "http://" + p.addr
	if code, inb, _ := postREST(t, base+"/v2/users/me/apps", pat, 2<<20); code != http.StatusTooManyRequests || inb != int(st.StatusCode_RPC_REQUEST_QUEUE_FULL) {
		t.Fatalf("2 MB REST body over a 1 MiB budget: HTTP %d, code %d; want 429, 40030", code, inb)
	}
	// Without a declared length the body is counted as it arrives.
	r, _ := http.NewRequest("POST", base+"/v2/users/me/apps", io.MultiReader(strings.NewReader(`{"apps":[{"id":"`), io.LimitReader(letters{}, 2<<20)))
	r.Header.Set("Authorization", pat)
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || jsonCode(raw) != int(st.StatusCode_RPC_REQUEST_QUEUE_FULL) {
		t.Fatalf("2 MB chunked REST body over a 1 MiB budget: HTTP %d, %s; want 429, 40030", resp.StatusCode, raw)
	}
	// gRPC-Web: in-band.
	m, _ := proto.Marshal(&pb.PostAppsRequest{UserAppId: me(), Apps: []*pb.App{{Id: strings.Repeat("a", 2<<20)}}})
	a := grpcWebPost(t, http.DefaultClient, base+"/clarifai.api.V2/PostApps", "application/grpc-web+proto", grpcWebFrame(0, m), http.Header{"Authorization": {pat}})
	var out pb.MultiAppResponse
	if a.status != "0" || proto.Unmarshal(a.msg, &out) != nil || out.GetStatus().GetCode() != st.StatusCode_RPC_REQUEST_QUEUE_FULL || out.GetStatus().GetReqId() == "" {
		t.Fatalf("2 MB gRPC-Web call over a 1 MiB budget: grpc-status %q, %v; want in-band 40030 with a req_id", a.status, &out)
	}
	// Within the budget, calls are served, and what they held is given back.
	for range 3 {
		if code, inb, _ := postREST(t, base+"/v2/users/me/apps", pat, 600<<10); code == http.StatusTooManyRequests || inb == int(st.StatusCode_RPC_REQUEST_QUEUE_FULL) {
			t.Fatalf("600 KB body within a 1 MiB budget: HTTP %d, code %d", code, inb)
		}
	}
}

// grpcHostile sends one PostInputs of msg, raw, with authorization (none
// when empty) and returns the in-band code, or the gRPC error.
func grpcHostile(p *proc, authorization string, msg []byte) (st.StatusCode, error) {
	ctx := context.Background()
	if authorization != "" {
		ctx = metadata.AppendToOutgoingContext(ctx, "authorization", authorization)
	}
	var resp pb.MultiInputResponse
	if err := p.conn.Invoke(ctx, "/clarifai.api.V2/PostInputs", msg, &resp, grpc.ForceCodec(rawCodec{})); err != nil {
		return 0, err
	}
	return resp.GetStatus().GetCode(), nil
}

// TestGRPCUnauthenticatedMessagesHeld sends `clavis serve` four 100 MB
// gRPC messages without a key and four with a well-formed unknown key, at
// once: each is answered in-band before its message is read, or, past the
// budget of unauthenticated calls in flight, refused RESOURCE_EXHAUSTED;
// the server's peak RSS rises by less than 64 MiB. A single call with a
// bad key still gets its in-band answer.
func TestGRPCUnauthenticatedMessagesHeld(t *testing.T) {
	dir := t.TempDir()
	p := startProc(t, clavisBinary(t), "--data-dir", dir)
	pid := p.cmd.Process.Pid
	bad := "Key " + unknownPAT(t)
	msg, err := proto.Marshal(&pb.PostInputsRequest{UserAppId: &pb.UserAppIDSet{UserId: "me", AppId: "a"},
		Inputs: []*pb.Input{{Data: &pb.Data{Image: &pb.Image{Base64: bytes.Repeat([]byte("a"), hostileBody)}}}}})
	if err != nil {
		t.Fatal(err)
	}
	small, _ := proto.Marshal(&pb.PostInputsRequest{UserAppId: &pb.UserAppIDSet{UserId: "me", AppId: "a"}})
	for _, authz := range []string{"", bad, "Key " + bootstrapPAT(t, dir)} {
		grpcHostile(p, authz, small) // warm up
	}
	idle := vmHWM(t, pid)

	var wg sync.WaitGroup
	var mu sync.Mutex
	answered := 0
	for i := range 8 {
		authz := ""
		want := st.StatusCode_CONN_INVALID_REQUEST
		if i%2 == 1 {
			authz, want = bad, st.StatusCode_CONN_KEY_INVALID
		}
		wg.Go(func() {
			code, err := grpcHostile(p, authz, msg)
			switch {
			case err == nil && code == want:
				mu.Lock()
				answered++
				mu.Unlock()
			case status.Code(err) == codes.ResourceExhausted:
			default:
				t.Errorf("100 MB with authorization %q: code %v, %v; want in-band %v or RESOURCE_EXHAUSTED", authz, code, err, want)
			}
		})
	}
	wg.Wait()
	peak := vmHWM(t, pid)
	t.Logf("peak RSS %d MiB idle, %d MiB after 8 × 100 MB unauthenticated gRPC messages (%d answered in-band)", idle>>20, peak>>20, answered)
	if peak-idle >= 64<<20 {
		t.Fatalf("peak RSS rose by %d MiB; want < 64 MiB", (peak-idle)>>20)
	}
	for _, authz := range []string{"", bad} {
		want := map[string]st.StatusCode{"": st.StatusCode_CONN_INVALID_REQUEST, bad: st.StatusCode_CONN_KEY_INVALID}[authz]
		if code, err := grpcHostile(p, authz, msg); err != nil || code != want {
			t.Fatalf("one 100 MB call with authorization %q: code %v, %v; want in-band %v", authz, code, err, want)
		}
	}
	// An authenticated caller's message is read as before: a large one is
	// answered in-band, one over the limit refused by grpc-go.
	pat := "Key " + bootstrapPAT(t, dir)
	if code, err := grpcHostile(p, pat, msg); err != nil || code == st.StatusCode_SUCCESS || code == st.StatusCode_CONN_KEY_INVALID {
		t.Fatalf("100 MB PostInputs to a missing app with the admin's PAT: code %v, %v; want an in-band refusal of the app", code, err)
	}
	huge := append([]byte(nil), msg...)
	huge = append(huge, make([]byte, 29<<20)...)
	if _, err := grpcHostile(p, pat, huge); status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("a 129 MB message with the admin's PAT: %v; want RESOURCE_EXHAUSTED", err)
	}
}
