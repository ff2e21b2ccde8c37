package loadgen

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/png"

	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/types/known/wrapperspb"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"
)

// Config says what to run against which server.
type Config struct {
	// Addr is the server's HOST:PORT (plaintext gRPC and REST).
	Addr string
	// Token is a PAT with the scopes the traffic needs (MyScopes, Keys:Add,
	// Keys:Delete, Predict; All will do). It is sent, never printed.
	Token string
	// Clients is the number of concurrent clients; Duration how long they
	// run.
	Clients  int
	Duration time.Duration
	// Model is the model predictions call, in clarifai/main.
	Model string
	// PID, when set, is the server's process id on this machine: its
	// resident memory is read from /proc. Otherwise it is read from the
	// server's /metrics.
	PID int
	// Abuse, when set, runs an abuse mode instead of mixed traffic: flood,
	// slow-body, big-body or decompress.
	Abuse string
	// KeyRateLimit and KeyAllowCIDRs, when set, are the rate limit and the
	// address allowlist of the keys the traffic creates: a token limited
	// itself may only create keys limited at least as much.
	KeyRateLimit  uint32
	KeyAllowCIDRs []string
}

// Op is one kind of call of the mixed traffic.
type Op struct {
	Name      string
	Calls     int
	Errors    int
	P50, P90  time.Duration
	P99, Max  time.Duration
	FirstErr  string
	latencies []time.Duration
}

// Report is what a run measured.
type Report struct {
	Mode       string
	Clients    int
	Duration   time.Duration
	Ops        []*Op
	Calls      int
	Errors     int
	Throughput float64 // calls per second
	// Resident memory of the server, bytes: before the run, the largest
	// read during it (every 250 ms), and after it (5 s after the end).
	RSSBefore, RSSDuring, RSSAfter int64
	// Notes are the abuse mode's own counts, one line each.
	Notes []string
}

// AbuseModes lists the abuse modes Run knows.
var AbuseModes = []string{"flood", "slow-body", "big-body", "decompress"}

// Run runs cfg's traffic until its duration ends or ctx does.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if cfg.Clients < 1 || cfg.Duration <= 0 || cfg.Addr == "" {
		return nil, errors.New("loadgen: give an address, at least one client and a positive duration")
	}
	read := metricsRSS("http://" + cfg.Addr + "/metrics")
	if cfg.PID > 0 {
		read = procRSS(cfg.PID)
	}
	rep := &Report{Mode: "mixed", Clients: cfg.Clients, Duration: cfg.Duration}
	if cfg.Abuse != "" {
		rep.Mode = cfg.Abuse
	}
	var err error
	if rep.RSSBefore, err = read(ctx); err != nil {
		return nil, fmt.Errorf("reading the server's memory: %w", err)
	}
	s := startSampler(read, 250*time.Millisecond)
	runCtx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	switch cfg.Abuse {
	case "":
		err = mixed(runCtx, cfg, rep)
	case "flood":
		err = flood(runCtx, cfg, rep)
	case "slow-body":
		err = slowBody(runCtx, cfg, rep)
	case "big-body":
		err = bigBody(runCtx, cfg, rep)
	case "decompress":
		err = decompress(runCtx, cfg, rep)
	default:
		err = fmt.Errorf("loadgen: unknown abuse mode %q; use one of %s", cfg.Abuse, strings.Join(AbuseModes, ", "))
	}
	rep.RSSDuring = s.Stop()
	if err != nil {
		return rep, err
	}
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
	}
	rep.RSSAfter, _ = read(context.Background())
	rep.RSSDuring = max(rep.RSSDuring, rep.RSSBefore)
	for _, o := range rep.Ops {
		rep.Calls += o.Calls
		rep.Errors += o.Errors
		o.summarize()
	}
	rep.Throughput = float64(rep.Calls) / cfg.Duration.Seconds()
	return rep, nil
}

func (o *Op) summarize() {
	if len(o.latencies) == 0 {
		return
	}
	slices.Sort(o.latencies)
	at := func(q float64) time.Duration {
		return o.latencies[min(len(o.latencies)-1, int(q*float64(len(o.latencies))))]
	}
	o.P50, o.P90, o.P99, o.Max = at(0.50), at(0.90), at(0.99), o.latencies[len(o.latencies)-1]
}

// recorder collects the outcome of calls from many clients.
type recorder struct {
	mu  sync.Mutex
	ops map[string]*Op
}

func (r *recorder) add(name string, took time.Duration, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	o := r.ops[name]
	if o == nil {
		o = &Op{Name: name}
		r.ops[name] = o
	}
	o.Calls++
	o.latencies = append(o.latencies, took)
	if err != nil {
		o.Errors++
		if o.FirstErr == "" {
			o.FirstErr = err.Error()
		}
	}
}

func (r *recorder) report(rep *Report) {
	for _, o := range r.ops {
		rep.Ops = append(rep.Ops, o)
	}
	sort.Slice(rep.Ops, func(i, j int) bool { return rep.Ops[i].Name < rep.Ops[j].Name })
}

// statusErr is a call's failure: a transport error or a status other than
// SUCCESS.
func statusErr(s *st.Status, err error) error {
	if err != nil {
		return err
	}
	if s.GetCode() != st.StatusCode_SUCCESS {
		return fmt.Errorf("status %d %s: %s", s.GetCode(), s.GetDescription(), s.GetDetails())
	}
	return nil
}

func dialGRPC(addr string) (*grpc.ClientConn, error) {
	return grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallSendMsgSize(128<<20), grpc.MaxCallRecvMsgSize(128<<20)))
}

// mixed runs the mixed traffic: each client, on its own connection, loops
// over 6 auth-only calls (MyScopesUser), one key created and deleted
// (PostKeys, DeleteKey) and 2 predictions of a small image.
func mixed(ctx context.Context, cfg Config, rep *Report) error {
	img := smallPNG()
	rec := &recorder{ops: map[string]*Op{}}
	me := &pb.UserAppIDSet{UserId: "me"}
	main := &pb.UserAppIDSet{UserId: "clarifai", AppId: "main"}
	newKey := &pb.Key{Type: "personal_access_token", Description: "clavis load", Scopes: []string{"Predict"}, AllowedCidrs: cfg.KeyAllowCIDRs}
	if cfg.KeyRateLimit > 0 {
		newKey.RateLimit = wrapperspb.UInt32(cfg.KeyRateLimit)
	}
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
			// Calls are not cut off at the end of the run: the clients stop
			// starting new ones, and each call has a minute of its own.
			base := metadata.AppendToOutgoingContext(context.WithoutCancel(ctx), "authorization", "Key "+cfg.Token)
			call := func(name string, f func(actx context.Context) error) {
				actx, cancel := context.WithTimeout(base, time.Minute)
				defer cancel()
				start := time.Now()
				err := f(actx)
				rec.add(name, time.Since(start), err)
			}
			for ctx.Err() == nil {
				for i := 0; i < 6 && ctx.Err() == nil; i++ {
					call("MyScopesUser", func(actx context.Context) error {
						r, err := v2.MyScopesUser(actx, &pb.MyScopesUserRequest{UserAppId: me})
						return statusErr(r.GetStatus(), err)
					})
				}
				var id string
				call("PostKeys", func(actx context.Context) error {
					r, err := v2.PostKeys(actx, &pb.PostKeysRequest{UserAppId: me, Keys: []*pb.Key{newKey}})
					if err == nil && len(r.GetKeys()) == 1 {
						id = r.GetKeys()[0].GetId()
					}
					return statusErr(r.GetStatus(), err)
				})
				if id != "" {
					call("DeleteKey", func(actx context.Context) error {
						r, err := v2.DeleteKey(actx, &pb.DeleteKeyRequest{UserAppId: me, KeyId: id})
						return statusErr(r.GetStatus(), err)
					})
				}
				for i := 0; i < 2 && ctx.Err() == nil; i++ {
					call("PostModelOutputs", func(actx context.Context) error {
						r, err := v2.PostModelOutputs(actx, &pb.PostModelOutputsRequest{UserAppId: main, ModelId: cfg.Model,
							Inputs: []*pb.Input{{Data: &pb.Data{Image: &pb.Image{Base64: img}}}}})
						return statusErr(r.GetStatus(), err)
					})
				}
			}
		}()
	}
	wg.Wait()
	rec.report(rep)
	return nil
}

// smallPNG is a 64×48 RGBA PNG with a few colours.
func smallPNG() []byte {
	img := image.NewNRGBA(image.Rect(0, 0, 64, 48))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 13)
	}
	var b bytes.Buffer
	png.Encode(&b, img)
	return b.Bytes()
}

// BigPNG returns a w×h 16-bit RGBA PNG of one half-transparent colour,
// written a row at a time: at 9200×9200 it is under 1 MB and decodes to
// 8 bytes a pixel, 677 MB.
func BigPNG(w, h int) []byte {
	var out bytes.Buffer
	out.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		binary.Write(&out, binary.BigEndian, uint32(len(data)))
		crc := crc32.NewIEEE()
		crc.Write([]byte(typ))
		crc.Write(data)
		out.WriteString(typ)
		out.Write(data)
		binary.Write(&out, binary.BigEndian, crc.Sum32())
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], uint32(w))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(h))
	ihdr[8], ihdr[9] = 16, 6
	chunk("IHDR", ihdr)
	var idat bytes.Buffer
	z, _ := zlib.NewWriterLevel(&idat, zlib.BestCompression)
	row := make([]byte, 1+8*w)
	for i := 1; i < len(row); i += 8 {
		copy(row[i:], []byte{0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0x80, 0x00})
	}
	for y := 0; y < h; y++ {
		z.Write(row)
	}
	z.Close()
	chunk("IDAT", idat.Bytes())
	chunk("IEND", nil)
	return out.Bytes()
}
