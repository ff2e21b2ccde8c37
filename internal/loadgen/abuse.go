package loadgen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc/metadata"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
)

// preface is the start of every HTTP/2 (gRPC) connection.
const preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

// flood: each client opens connections that send only the HTTP/2 preface
// and hold them, up to 200 each, until the run ends; then every connection
// is closed and one call checks that the server still answers.
func flood(ctx context.Context, cfg Config, rep *Report) error {
	var opened, failed, closedByServer atomic.Int64
	var wg sync.WaitGroup
	for c := 0; c < cfg.Clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var held []net.Conn
			defer func() {
				for _, c := range held {
					c.Close()
				}
			}()
			d := net.Dialer{Timeout: 2 * time.Second}
			for ctx.Err() == nil && len(held) < 200 {
				conn, err := d.DialContext(ctx, "tcp", cfg.Addr)
				if err != nil {
					failed.Add(1)
					continue
				}
				if _, err := io.WriteString(conn, preface); err != nil {
					failed.Add(1)
					conn.Close()
					continue
				}
				opened.Add(1)
				held = append(held, conn)
			}
			<-ctx.Done()
			for _, c := range held { // what the server closed in the meantime
				c.SetReadDeadline(time.Now().Add(10 * time.Millisecond))
				var ne net.Error
				if _, err := c.Read(make([]byte, 1<<16)); err != nil && !(errors.As(err, &ne) && ne.Timeout()) {
					closedByServer.Add(1) // EOF or reset
				}
			}
		}()
	}
	wg.Wait()
	rep.Notes = append(rep.Notes, fmt.Sprintf("connections opened %d, failed to open %d, closed by the server before the end %d", opened.Load(), failed.Load(), closedByServer.Load()))
	return afterCheck(cfg, rep)
}

// afterCheck makes one authenticated call after an abuse run, to show the
// server still serves.
func afterCheck(cfg Config, rep *Report) error {
	conn, err := dialGRPC(cfg.Addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Key "+cfg.Token)
	start := time.Now()
	r, err := pb.NewV2Client(conn).MyScopesUser(ctx, &pb.MyScopesUserRequest{UserAppId: &pb.UserAppIDSet{UserId: "me"}})
	if err := statusErr(r.GetStatus(), err); err != nil {
		rep.Notes = append(rep.Notes, "after the run, MyScopesUser failed: "+err.Error())
		rep.Errors++
		return nil
	}
	rep.Notes = append(rep.Notes, fmt.Sprintf("after the run, MyScopesUser answered in %v", time.Since(start).Round(time.Millisecond)))
	return nil
}

// slowReader gives one byte every interval, up to n, until ctx ends.
type slowReader struct {
	ctx      context.Context
	n        int64
	interval time.Duration
}

func (r *slowReader) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, io.EOF
	}
	select {
	case <-r.ctx.Done():
		return 0, r.ctx.Err()
	case <-time.After(r.interval):
	}
	r.n--
	p[0] = ' '
	return 1, nil
}

// slowBody: each client sends REST requests whose 1 MB body arrives a
// byte a second, with a valid token, and counts how the server ends them.
func slowBody(ctx context.Context, cfg Config, rep *Report) error {
	return restAbuse(ctx, cfg, rep, "slow body", true, func(ctx context.Context) (io.Reader, int64) {
		return &slowReader{ctx: ctx, n: 1 << 20, interval: time.Second}, 1 << 20
	})
}

// zeros reads n zero bytes.
type zeros struct{ n int64 }

func (z *zeros) Read(p []byte) (int, error) {
	if z.n <= 0 {
		return 0, io.EOF
	}
	k := min(int64(len(p)), z.n)
	clear(p[:k])
	z.n -= k
	return int(k), nil
}

// bigBody: each client sends 100 MB REST bodies with no authorization,
// back to back, and counts the answers.
func bigBody(ctx context.Context, cfg Config, rep *Report) error {
	return restAbuse(ctx, cfg, rep, "100 MB body, no key", false, func(context.Context) (io.Reader, int64) {
		return &zeros{n: 100 << 20}, 100 << 20
	})
}

// restAbuse sends POST /v2/users/me/apps with the bodies body gives, from
// every client until the run ends, and notes the answers by HTTP status.
func restAbuse(ctx context.Context, cfg Config, rep *Report, what string, withKey bool, body func(context.Context) (io.Reader, int64)) error {
	var mu sync.Mutex
	answers := map[string]int{}
	note := func(k string) { mu.Lock(); answers[k]++; mu.Unlock() }
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: cfg.Clients}}
	var wg sync.WaitGroup
	for c := 0; c < cfg.Clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				rd, n := body(ctx)
				req, err := http.NewRequestWithContext(ctx, "POST", "http://"+cfg.Addr+"/v2/users/me/apps", rd)
				if err != nil {
					note(err.Error())
					return
				}
				req.ContentLength = n
				req.Header.Set("Content-Type", "application/json")
				if withKey {
					req.Header.Set("Authorization", "Key "+cfg.Token)
				}
				resp, err := client.Do(req)
				if err != nil {
					if ctx.Err() == nil {
						note("transport error")
					}
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				note(fmt.Sprintf("HTTP %d", resp.StatusCode))
			}
		}()
	}
	wg.Wait()
	client.CloseIdleConnections()
	rep.Notes = append(rep.Notes, fmt.Sprintf("%s: answers %v", what, answers))
	return afterCheck(cfg, rep)
}

// decompress: each client predicts a 9200×9200 16-bit RGBA PNG (0.6 MB
// sent, 677 MB decoded) over gRPC, back to back, and counts the answers.
func decompress(ctx context.Context, cfg Config, rep *Report) error {
	img := BigPNG(9200, 9200)
	rec := &recorder{ops: map[string]*Op{}}
	var wg sync.WaitGroup
	for c := 0; c < cfg.Clients; c++ {
		conn, err := dialGRPC(cfg.Addr)
		if err != nil {
			return err
		}
		defer conn.Close()
		v2 := pb.NewV2Client(conn)
		wg.Add(1)
		go func() {
			defer wg.Done()
			actx := metadata.AppendToOutgoingContext(ctx, "authorization", "Key "+cfg.Token)
			for ctx.Err() == nil {
				start := time.Now()
				r, err := v2.PostModelOutputs(actx, &pb.PostModelOutputsRequest{UserAppId: &pb.UserAppIDSet{UserId: "clarifai", AppId: "main"}, ModelId: cfg.Model,
					Inputs: []*pb.Input{{Data: &pb.Data{Image: &pb.Image{Base64: img}}}}})
				if end, _ := ctx.Deadline(); ctx.Err() != nil || !time.Now().Before(end) {
					return // cut off by the end of the run: not counted
				}
				rec.add("PostModelOutputs 16-bit 85 MP PNG", time.Since(start), statusErr(r.GetStatus(), err))
			}
		}()
	}
	wg.Wait()
	rec.report(rep)
	rep.Notes = append(rep.Notes, fmt.Sprintf("image sent: %d bytes, 677 MB decoded", len(img)))
	return afterCheck(cfg, rep)
}
