package main_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"
	adminv1 "github.com/clavis-dev/clavis/api/gen/clavis/admin/v1"

	"github.com/clavis-dev/clavis/internal/store/postgres/pgtest"
)

var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
)

// The version and commit clavisBinary stamps in, as `make build` does.
const testVersion, testCommit = "v0.0.0-test", "0123456789abcdef"

// clavisBinary builds the clavis command once per test binary run.
func clavisBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "clavis-bin-")
		if err != nil {
			buildErr = err
			return
		}
		builtBin = filepath.Join(dir, "clavis")
		out, err := exec.Command("go", "build", "-o", builtBin,
			"-ldflags", "-X main.version="+testVersion+" -X main.commit="+testCommit, "github.com/clavis-dev/clavis/cmd/clavis").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return builtBin
}

// proc is a clavis serve subprocess.
type proc struct {
	cmd  *exec.Cmd
	addr string
	conn *grpc.ClientConn
	v2   pb.V2Client
	adm  adminv1.AdminClient
	log  *procLog
}

// procLog keeps the log lines of a proc.
type procLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *procLog) add(line string) { l.mu.Lock(); l.lines = append(l.lines, line); l.mu.Unlock() }

// with returns the lines that contain s.
func (l *procLog) with(s string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, line := range l.lines {
		if strings.Contains(line, s) {
			out = append(out, line)
		}
	}
	return out
}

// await returns the lines that contain s once there are at least n of
// them, or what there is after a few seconds: a request's line is written
// after its answer and read from the pipe on another goroutine.
func (l *procLog) await(s string, n int) []string {
	deadline := time.Now().Add(5 * time.Second)
	for {
		lines := l.with(s)
		if len(lines) >= n || time.Now().After(deadline) {
			return lines
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// startProc starts `clavis serve` on a spare port with args and waits until
// it logs that it listens.
func startProc(t *testing.T, bin string, args ...string) *proc {
	t.Helper()
	return spawnProc(t, bin, args...)()
}

// spawnProc starts `clavis serve` on a spare port with args and returns a
// function, to call on the test's goroutine, that waits until it listens.
// Several processes may be spawned before any is waited for.
func spawnProc(t *testing.T, bin string, args ...string) func() *proc {
	t.Helper()
	c := exec.Command(bin, append([]string{"serve", "--addr", "127.0.0.1:0", "--log-format", "json"}, args...)...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CLAVIS_") {
			c.Env = append(c.Env, kv)
		}
	}
	c.Env = append(c.Env, "CLAVIS_MODELS_DIR="+t.TempDir())
	stderr, err := c.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	c.Stdout = io.Discard
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Process.Kill(); c.Wait() })
	addrc := make(chan string, 1)
	logs := &procLog{}
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			logs.add(sc.Text())
			var line struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "listening" {
				addrc <- line.Addr
			}
		}
		close(addrc)
	}()
	return func() *proc {
		t.Helper()
		var addr string
		select {
		case a, ok := <-addrc:
			if !ok {
				t.Fatal("clavis serve exited before listening")
			}
			addr = a
		case <-time.After(60 * time.Second):
			t.Fatal("clavis serve did not listen within 60s")
		}
		conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		return &proc{cmd: c, addr: addr, conn: conn, v2: pb.NewV2Client(conn), adm: adminv1.NewAdminClient(conn), log: logs}
	}
}

// acked records the writes the server acknowledged.
type acked struct {
	mu          sync.Mutex
	apps        []string // ids of apps of the admin
	pats        []string // tokens
	appKeys     map[string]string
	collabsOnto []string // apps on which bob was made collaborator
	n           atomic.Int64
	target      int64         // ack counts reached is closed at
	reached     chan struct{} // closed once n reaches target
	once        sync.Once
}

// ack counts one acknowledged write.
func (a *acked) ack() {
	if a.n.Add(1) == a.target {
		a.once.Do(func() { close(a.reached) })
	}
}

// TestDurability kills the server with SIGKILL in the middle of a storm of
// concurrent writes, restarts it, and checks that every acknowledged write is
// there, on both engines.
func TestDurability(t *testing.T) {
	t.Run("SQLite", func(t *testing.T) { testDurability(t) })
	t.Run("Postgres", func(t *testing.T) { testDurability(t, "--db", pgtest.NewDatabase(t)) })
}

func testDurability(t *testing.T, args ...string) {
	bin := clavisBinary(t)
	dir := t.TempDir()
	args = append([]string{"--data-dir", dir}, args...)
	p := startProc(t, bin, args...)
	b, err := os.ReadFile(filepath.Join(dir, "bootstrap.pat"))
	if err != nil {
		t.Fatal(err)
	}
	admin := strings.TrimSpace(string(b))
	u, err := p.adm.CreateUser(as(admin), &adminv1.CreateUserRequest{Id: "bob", Email: "bob@example.com"})
	wantCode(t, u, err, st.StatusCode_SUCCESS)
	bob := u.GetDefaultPat()

	const workers, killAfter = 8, 300
	a := &acked{appKeys: map[string]string{}, target: killAfter, reached: make(chan struct{})}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := 0; ; i++ {
				if !stormStep(p, admin, a, fmt.Sprintf("w%d-%d", w, i)) {
					return
				}
			}
		})
	}
	select {
	case <-a.reached:
	case <-time.After(time.Minute):
		t.Fatalf("only %d writes acknowledged in a minute", a.n.Load())
	}
	if err := p.cmd.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	wg.Wait()
	p.cmd.Wait()
	t.Logf("killed after %d acknowledged writes: %d apps, %d PATs, %d app keys, %d collaborators",
		a.n.Load(), len(a.apps), len(a.pats), len(a.appKeys), len(a.collabsOnto))

	q := startProc(t, bin, args...)
	for _, id := range a.apps {
		r, err := q.v2.GetApp(as(admin), &pb.GetAppRequest{UserAppId: &pb.UserAppIDSet{UserId: "admin", AppId: id}})
		wantCode(t, r, err, st.StatusCode_SUCCESS)
	}
	for _, tok := range a.pats {
		r, err := q.v2.GetUser(as(tok), &pb.GetUserRequest{UserAppId: me()})
		wantCode(t, r, err, st.StatusCode_SUCCESS)
	}
	for app, tok := range a.appKeys {
		r, err := q.v2.GetApp(as(tok), &pb.GetAppRequest{UserAppId: &pb.UserAppIDSet{UserId: "admin", AppId: app}})
		wantCode(t, r, err, st.StatusCode_SUCCESS)
	}
	for _, app := range a.collabsOnto {
		r, err := q.v2.GetApp(as(bob), &pb.GetAppRequest{UserAppId: &pb.UserAppIDSet{UserId: "admin", AppId: app}})
		wantCode(t, r, err, st.StatusCode_SUCCESS)
	}
}

// stormStep makes one app, then a PAT, an app key and a collaborator on it,
// recording each acknowledged write. It returns false once the server is
// gone.
func stormStep(p *proc, admin string, a *acked, id string) bool {
	ok := func(r withStatus, err error) bool {
		return err == nil && r.GetStatus().GetCode() == st.StatusCode_SUCCESS
	}
	r1, err := p.v2.PostApps(as(admin), &pb.PostAppsRequest{UserAppId: me(), Apps: []*pb.App{{Id: id}}})
	if !ok(r1, err) {
		return false
	}
	a.mu.Lock()
	a.apps = append(a.apps, id)
	a.mu.Unlock()
	a.ack()

	r2, err := p.v2.PostKeys(as(admin), &pb.PostKeysRequest{UserAppId: me(), Keys: []*pb.Key{{Type: "personal_access_token", Scopes: []string{"All"}}}})
	if !ok(r2, err) {
		return false
	}
	a.mu.Lock()
	a.pats = append(a.pats, r2.GetKeys()[0].GetId())
	a.mu.Unlock()
	a.ack()

	r3, err := p.v2.PostKeys(as(admin), &pb.PostKeysRequest{UserAppId: me(), Keys: []*pb.Key{{Type: "app_specific_key", Scopes: []string{"All"}, Apps: []*pb.App{{Id: id, UserId: "admin"}}}}})
	if !ok(r3, err) {
		return false
	}
	a.mu.Lock()
	a.appKeys[id] = r3.GetKeys()[0].GetId()
	a.mu.Unlock()
	a.ack()

	r4, err := p.v2.PostCollaborators(as(admin), &pb.PostCollaboratorsRequest{UserAppId: &pb.UserAppIDSet{UserId: "admin", AppId: id},
		Collaborators: []*pb.Collaborator{{User: &pb.User{Id: "bob"}, Scopes: []string{"Apps:Get", "Workflows:Get"}}}})
	if !ok(r4, err) {
		return false
	}
	a.mu.Lock()
	a.collabsOnto = append(a.collabsOnto, id)
	a.mu.Unlock()
	a.ack()
	return true
}
