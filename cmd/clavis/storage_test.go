package main_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"
)

// smallDisk mounts a tmpfs of size bytes on a new directory and returns
// it; unmounted when the test ends. Mounting needs root.
func smallDisk(t *testing.T, size int) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("mounting a small tmpfs needs root")
	}
	dir := filepath.Join(t.TempDir(), "disk")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%d", size), "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("mount tmpfs: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	return dir
}

// fill writes a file in dir until its disk is full.
func fill(t *testing.T, dir string) {
	t.Helper()
	f, err := os.Create(filepath.Join(dir, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	for {
		if _, err := f.Write(buf); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			return
		}
	}
}

// TestStorageFull fills the disk of a running server's data dir: writes
// are refused in-band with 98006 "Storage unavailable", saying the storage
// is full, the server's log says what failed, and reads keep working.
func TestStorageFull(t *testing.T) {
	dir := smallDisk(t, 8<<20)
	p := startProc(t, clavisBinary(t), "--data-dir", dir)
	pat := bootstrapPAT(t, dir)
	resp, err := p.v2.PostApps(as(pat), &pb.PostAppsRequest{UserAppId: me(), Apps: []*pb.App{{Id: "before"}}})
	wantCode(t, resp, err, st.StatusCode_SUCCESS)
	fill(t, dir)

	// The database may still have room in pages it holds; large writes
	// soon need new ones.
	var refused *st.Status
	for i := range 20 {
		apps := make([]*pb.App, 20)
		for j := range apps {
			apps[j] = &pb.App{Id: fmt.Sprintf("a%d-%d", i, j), Description: strings.Repeat("x", 900)}
		}
		r, err := p.v2.PostApps(as(pat), &pb.PostAppsRequest{UserAppId: me(), Apps: apps})
		if err != nil {
			t.Fatal(err)
		}
		if c := r.GetStatus().GetCode(); c != st.StatusCode_SUCCESS {
			refused = r.GetStatus()
			break
		}
	}
	if refused.GetCode() != st.StatusCode_INTERNAL_DATABASE_ISSUE || refused.GetDescription() != "Storage unavailable" ||
		!strings.Contains(refused.GetDetails(), "full") || refused.GetReqId() == "" {
		t.Fatalf("a write on a full disk: %v; want 98006 Storage unavailable saying the storage is full", refused)
	}
	if lines := p.log.await(refused.GetReqId(), 1); len(lines) == 0 || !strings.Contains(lines[0], "full") || !strings.Contains(lines[0], `"level":"ERROR"`) {
		t.Fatalf("log of the refused write: %q; want an error line saying the disk is full", lines)
	}
	list, err := p.v2.ListApps(as(pat), &pb.ListAppsRequest{UserAppId: me()})
	wantCode(t, list, err, st.StatusCode_SUCCESS)
	if len(list.GetApps()) == 0 {
		t.Fatal("reads on a full disk lost the apps")
	}
	// REST says the same, 503.
	var body strings.Builder
	body.WriteString(`{"apps":[`)
	for j := range 40 {
		if j > 0 {
			body.WriteString(",")
		}
		fmt.Fprintf(&body, `{"id":"rest-%d","description":"%s"}`, j, strings.Repeat("y", 900))
	}
	body.WriteString(`]}`)
	req, _ := http.NewRequest("POST", "http://"+p.addr+"/v2/users/me/apps", strings.NewReader(body.String()))
	req.Header.Set("Authorization", "Key "+pat)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusServiceUnavailable || jsonCode(raw) != int(st.StatusCode_INTERNAL_DATABASE_ISSUE) {
		t.Fatalf("REST write on a full disk: HTTP %d %s; want 503, 98006", res.StatusCode, raw)
	}
}

// TestServeReadOnlyDataDir starts `clavis serve` on a data dir whose disk
// is mounted read-only: it exits at once saying so.
func TestServeReadOnlyDataDir(t *testing.T) {
	dir := smallDisk(t, 8<<20)
	if out, err := exec.Command("mount", "-o", "remount,ro", dir).CombinedOutput(); err != nil {
		t.Fatalf("remount read-only: %v: %s", err, out)
	}
	var stderr bytes.Buffer
	c := exec.Command(clavisBinary(t), "serve", "--addr", "127.0.0.1:0", "--data-dir", dir)
	c.Stderr, c.Stdout = &stderr, &stderr
	err := c.Run()
	if err == nil || !strings.Contains(stderr.String(), "data dir "+dir+" is read-only") {
		t.Fatalf("clavis serve on a read-only data dir: %v, output %q; want an error saying the data dir is read-only", err, stderr.String())
	}
}
