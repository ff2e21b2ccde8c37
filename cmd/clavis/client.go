package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"
	adminv1 "github.com/clavis-dev/clavis/api/gen/clavis/admin/v1"
)

// clientConfig is what `clavis login` saves.
type clientConfig struct {
	Addr string `json:"addr"`
	PAT  string `json:"pat"`
}

func configPath(env *Env) (string, error) {
	dir := env.Getenv("XDG_CONFIG_HOME")
	if dir == "" {
		var err error
		if dir, err = os.UserConfigDir(); err != nil {
			return "", err
		}
	}
	return filepath.Join(dir, "clavis", "config.json"), nil
}

func loadConfig(env *Env) (clientConfig, bool) {
	var c clientConfig
	p, err := configPath(env)
	if err != nil {
		return c, false
	}
	b, err := os.ReadFile(p)
	if err != nil || json.Unmarshal(b, &c) != nil {
		return clientConfig{}, false
	}
	return c, true
}

func saveConfig(env *Env, c clientConfig) (string, error) {
	p, err := configPath(env)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return "", err
	}
	b, _ := json.MarshalIndent(c, "", "  ")
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return "", err
	}
	return p, os.Rename(tmp, p)
}

// clientFlags are the flags every client command takes.
type clientFlags struct {
	addr, pat string
	json      bool
}

func (f *clientFlags) bind(fs *flag.FlagSet) {
	fs.StringVar(&f.addr, "addr", "", "server address (default: saved login, else CLAVIS_ADDR, else 127.0.0.1:18080)")
	fs.BoolVar(&f.json, "json", false, "print the server's response as JSON")
}

// client is a connection to a Clavis server with a PAT.
type client struct {
	conn  *grpc.ClientConn
	v2    pb.V2Client
	admin adminv1.AdminClient
	pat   string
	json  bool
	env   *Env
}

// dial connects with the address and PAT from flags, the saved login, or
// CLAVIS_ADDR and CLAVIS_PAT, in that order.
func dial(env *Env, f clientFlags) (*client, error) {
	saved, ok := loadConfig(env)
	addr, pat := f.addr, f.pat
	if addr == "" && ok {
		addr = saved.Addr
	}
	if addr == "" {
		addr = env.Getenv("CLAVIS_ADDR")
	}
	if addr == "" {
		addr = DefaultConfig().Addr
	}
	if pat == "" && ok {
		pat = saved.PAT
	}
	if pat == "" {
		pat = env.Getenv("CLAVIS_PAT")
	}
	if pat == "" {
		return nil, errors.New("no PAT: run `clavis login` or set CLAVIS_PAT")
	}
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(128<<20), grpc.MaxCallSendMsgSize(128<<20)))
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", addr, err)
	}
	return &client{conn: conn, v2: pb.NewV2Client(conn), admin: adminv1.NewAdminClient(conn), pat: pat, json: f.json, env: env}, nil
}

func (c *client) Close() { c.conn.Close() }

// connect dials like dial and returns the client, a call context carrying
// the PAT, and a function releasing both.
func connect(ctx context.Context, env *Env, f clientFlags) (*client, context.Context, func(), error) {
	c, err := dial(env, f)
	if err != nil {
		return nil, nil, nil, err
	}
	cctx, cancel := c.ctx(ctx)
	return c, cctx, func() { cancel(); c.Close() }, nil
}

// ctx returns a call context carrying the PAT.
func (c *client) ctx(parent context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(parent, 2*time.Minute)
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Key "+c.pat), cancel
}

type statusResponse interface {
	proto.Message
	GetStatus() *st.Status
}

// check turns a transport error or a non-success status into an error. It
// prints the response as JSON first when --json is set.
func (c *client) check(resp statusResponse, err error) error {
	if err != nil {
		return fmt.Errorf("cannot reach the server: %w", err)
	}
	if c.json {
		fmt.Fprintln(c.env.Stdout, protojson.MarshalOptions{UseProtoNames: true, UseEnumNumbers: true, Multiline: true}.Format(resp))
	}
	s := resp.GetStatus()
	if s.GetCode() == st.StatusCode_SUCCESS {
		return nil
	}
	msg := fmt.Sprintf("%s (%d)", s.GetDescription(), s.GetCode())
	if s.GetDetails() != "" {
		msg += ": " + s.GetDetails()
	}
	if s.GetCode() == st.StatusCode_MIXED_STATUS {
		return nil
	}
	return errors.New(msg)
}

func newTable(env *Env) *tabwriter.Writer { return tabwriter.NewWriter(env.Stdout, 0, 2, 2, ' ', 0) }

func fmtTime(t interface{ AsTime() time.Time }, ok bool) string {
	if !ok {
		return "-"
	}
	return t.AsTime().Local().Format("2006-01-02 15:04")
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// parseExpiry reads --expires: a duration from now ("720h") or an RFC 3339
// time.
func parseExpiry(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		return time.Now().Add(d), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, usagef("--expires %q: give a duration such as 720h or a time such as 2027-01-31T00:00:00Z", s)
	}
	return t, nil
}

// parseFlags parses a subcommand's flags and checks the positional count.
func parseFlags(fs *flag.FlagSet, env *Env, args []string, nargs int, usage string) error {
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(env.Stderr, "Usage: clavis %s\n", usage)
		fs.PrintDefaults()
	}
	// Allow flags after positional arguments, as people type them.
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return usagef("%v", err)
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(pos) != nargs {
		return usagef("usage: clavis %s", usage)
	}
	return fs.Parse(append([]string{"--"}, pos...))
}
