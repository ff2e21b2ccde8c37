package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"
	adminv1 "github.com/clavis-dev/clavis/api/gen/clavis/admin/v1"
	orgsv1 "github.com/clavis-dev/clavis/api/gen/clavis/orgs/v1"
)

// clientConfig is what `clavis login` saves.
type clientConfig struct {
	Addr string `json:"addr"`
	PAT  string `json:"pat"`
}

// configPath is where the login is saved:
// $XDG_CONFIG_HOME/clavis/config.json, else the user config dir's.
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

// loadConfig reads the saved login; ok is false when there is none.
func loadConfig(env *Env) (c clientConfig, ok bool, err error) {
	p, err := configPath(env)
	if err != nil {
		return c, false, nil // no config dir: no saved login
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return c, false, nil
	}
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	if err != nil {
		return clientConfig{}, false, fmt.Errorf("saved login %s is unreadable (%v): run `clavis logout`, then `clavis login`", p, err)
	}
	return c, true, nil
}

func saveConfig(env *Env, c clientConfig) (string, error) {
	p, err := configPath(env)
	if err != nil {
		return "", err
	}
	b, _ := json.MarshalIndent(c, "", "  ")
	return p, writePrivate(p, append(b, '\n'))
}

// Where a client command's address and PAT come from, in order of
// precedence.
const (
	fromFlag    = "flag"
	fromEnv     = "environment"
	fromLogin   = "saved login"
	fromDefault = "default"
)

// target is the server a client command talks to and the PAT it sends,
// with where each came from.
type target struct {
	Addr, AddrFrom string
	PAT, PATFrom   string
}

// fixPAT says what to do about a PAT the server refused, by where it came
// from.
func (t target) fixPAT() string {
	switch t.PATFrom {
	case fromFlag:
		return "check the PAT given with --pat"
	case fromEnv:
		return "the PAT came from CLAVIS_PAT, which wins over the saved login: fix it, or unset it and run `clavis login`"
	}
	return "the PAT came from the saved login: run `clavis login` with a valid one"
}

// resolveTarget picks the address and the PAT: each from its flag, else its
// environment variable (CLAVIS_ADDR, CLAVIS_PAT), else the saved login;
// the address falls back on 127.0.0.1:18080. The saved PAT goes only to the
// saved address, so that pointing a command elsewhere never sends it to
// another server.
func resolveTarget(env *Env, f clientFlags) (target, error) {
	saved, ok, err := loadConfig(env)
	if err != nil {
		return target{}, err
	}
	var t target
	switch {
	case f.addr != "":
		t.Addr, t.AddrFrom = f.addr, fromFlag
	case env.Getenv("CLAVIS_ADDR") != "":
		t.Addr, t.AddrFrom = env.Getenv("CLAVIS_ADDR"), fromEnv
	case ok && saved.Addr != "":
		t.Addr, t.AddrFrom = saved.Addr, fromLogin
	default:
		t.Addr, t.AddrFrom = DefaultConfig().Addr, fromDefault
	}
	switch {
	case f.pat != "":
		t.PAT, t.PATFrom = f.pat, fromFlag
	case env.Getenv("CLAVIS_PAT") != "":
		t.PAT, t.PATFrom = env.Getenv("CLAVIS_PAT"), fromEnv
	case ok && saved.PAT != "" && saved.Addr == t.Addr:
		t.PAT, t.PATFrom = saved.PAT, fromLogin
	case ok && saved.PAT != "":
		return t, fmt.Errorf("no PAT for %s: the saved login is for %s; pass --pat, set CLAVIS_PAT, or run `clavis login --addr %s`", t.Addr, saved.Addr, t.Addr)
	default:
		return t, errors.New("no PAT: run `clavis login` (the admin's is in <data-dir>/bootstrap.pat), set CLAVIS_PAT, or pass --pat")
	}
	return t, nil
}

// clientFlags are the flags every client command takes.
type clientFlags struct {
	addr, pat string
	json      bool
}

func (f *clientFlags) bind(fs *pflag.FlagSet) {
	fs.StringVar(&f.addr, "addr", "", "server address HOST:PORT; overrides CLAVIS_ADDR and the saved login (default 127.0.0.1:18080)")
	fs.StringVar(&f.pat, "pat", "", "Personal Access Token; overrides CLAVIS_PAT and the saved login")
	fs.BoolVar(&f.json, "json", false, "print the server's response as one JSON document on standard output")
}

// client is a connection to a Clavis server with a PAT.
type client struct {
	conn   *grpc.ClientConn
	v2     pb.V2Client
	admin  adminv1.AdminClient
	orgs   orgsv1.OrgsClient
	target target
	json   bool
	env    *Env
}

// dial prepares a connection to the target that f and the environment
// select (see resolveTarget). It does not contact the server yet.
func dial(env *Env, f clientFlags) (*client, error) {
	t, err := resolveTarget(env, f)
	if err != nil {
		return nil, err
	}
	conn, err := grpc.NewClient(t.Addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(128<<20), grpc.MaxCallSendMsgSize(128<<20)))
	if err != nil {
		return nil, fmt.Errorf("server address %q: %w", t.Addr, err)
	}
	return &client{conn: conn, v2: pb.NewV2Client(conn), admin: adminv1.NewAdminClient(conn), orgs: orgsv1.NewOrgsClient(conn),
		target: t, json: f.json, env: env}, nil
}

// callTimeout bounds each client command's calls.
const callTimeout = 2 * time.Minute

// clientCmd completes c as a command that talks to a server: it takes
// --addr, --pat and --json, and its RunE connects, calls run with a context
// carrying the PAT, and disconnects.
func clientCmd(env *Env, c *cobra.Command, run func(ctx context.Context, cl *client, args []string) error) *cobra.Command {
	var f clientFlags
	f.bind(c.Flags())
	c.RunE = func(cmd *cobra.Command, args []string) error {
		cl, err := dial(env, f)
		if err != nil {
			return err
		}
		defer cl.conn.Close()
		ctx, cancel := context.WithTimeout(cmd.Context(), callTimeout)
		defer cancel()
		return run(metadata.AppendToOutgoingContext(ctx, "authorization", "Key "+cl.target.PAT), cl, args)
	}
	return c
}

type statusResponse interface {
	proto.Message
	GetStatus() *st.Status
}

// call checks the outcome of a call: a transport error or a status other
// than SUCCESS becomes an error saying what to do. With --json a response
// that failed is printed, so that standard output still holds exactly one
// document.
func (c *client) call(resp statusResponse, err error) error {
	if err != nil {
		return c.transportError(err)
	}
	if s := resp.GetStatus(); s.GetCode() != st.StatusCode_SUCCESS {
		if c.json {
			c.printJSON(resp)
		}
		return c.statusError(s)
	}
	return nil
}

// show ends a command that succeeded: with --json it prints the responses
// as one JSON document, else it calls human.
func (c *client) show(human func(), resps ...proto.Message) error {
	if c.json {
		return c.printJSON(resps...)
	}
	human()
	return nil
}

// done ends a command whose answer, without --json, is one line.
func (c *client) done(resp statusResponse, err error, format string, args ...any) error {
	if err := c.call(resp, err); err != nil {
		return err
	}
	return c.show(func() { fmt.Fprintf(c.env.Stdout, format+"\n", args...) }, resp)
}

// table ends a list command: without --json it prints a table, the header's
// tab-separated column names and a line for each call of row.
func (c *client) table(resp statusResponse, err error, header string, rows func(row func(cols ...any))) error {
	if err := c.call(resp, err); err != nil {
		return err
	}
	return c.show(func() {
		tw := newTable(c.env)
		fmt.Fprintln(tw, header)
		rows(func(cols ...any) {
			for i, col := range cols {
				if i > 0 {
					fmt.Fprint(tw, "\t")
				}
				fmt.Fprint(tw, col)
			}
			fmt.Fprintln(tw)
		})
		tw.Flush()
	}, resp)
}

// printJSON prints one JSON document: the response as protojson writes it
// (proto field names, enums as numbers, as Clarifai's REST API), or for a
// command that made several calls one object holding the fields of each
// response.
func (c *client) printJSON(resps ...proto.Message) error {
	opts := protojson.MarshalOptions{UseProtoNames: true, UseEnumNumbers: true, Multiline: true}
	if len(resps) == 1 {
		_, err := fmt.Fprintln(c.env.Stdout, opts.Format(resps[0]))
		return err
	}
	merged := map[string]json.RawMessage{}
	for _, r := range resps {
		b, err := opts.Marshal(r)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(b, &merged); err != nil {
			return err
		}
	}
	return writeJSON(c.env.Stdout, merged)
}

// writeJSON prints v as one indented JSON document.
func writeJSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// transportError explains a call that did not reach the service.
func (c *client) transportError(err error) error {
	s := status.Convert(err)
	switch s.Code() {
	case codes.Unavailable:
		return fmt.Errorf("cannot reach Clavis at %s: is `clavis serve` running? (%s)", c.target.Addr, rootCause(s.Message()))
	case codes.DeadlineExceeded:
		return fmt.Errorf("Clavis at %s did not answer within %s", c.target.Addr, callTimeout)
	case codes.Canceled:
		return errors.New("interrupted")
	case codes.Unimplemented:
		return fmt.Errorf("the server at %s does not implement this call (%s): is it a Clavis server, and of this version?", c.target.Addr, s.Message())
	}
	return fmt.Errorf("call to %s failed: %s (gRPC %s)", c.target.Addr, s.Message(), s.Code())
}

// rootCause keeps the end of a gRPC transport message, such as
// "connection refused" out of `connection error: desc = "transport: Error
// while dialing: dial tcp 127.0.0.1:18080: connect: connection refused"`.
func rootCause(msg string) string {
	msg = strings.TrimRight(msg, `"`)
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		msg = msg[i+2:]
	}
	return msg
}

// statusError is a status other than SUCCESS as one line: description,
// code and details, and for a refused PAT what to do.
func (c *client) statusError(s *st.Status) error {
	msg := statusText(s)
	if s.GetCode() == st.StatusCode_CONN_KEY_INVALID {
		msg += "; " + c.target.fixPAT()
	}
	return errors.New(msg)
}

// statusText is "description (code NAME): details".
func statusText(s *st.Status) string {
	msg := fmt.Sprintf("%s (%d %s)", s.GetDescription(), s.GetCode(), s.GetCode())
	if s.GetDetails() != "" {
		msg += ": " + s.GetDetails()
	}
	return msg
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

// parseExpiry reads --expires: a preset (7d, 30d, 60d, 90d, never), a
// duration from now ("720h") or an RFC 3339 time.
func parseExpiry(s string) (time.Time, error) {
	switch s {
	case "", "never":
		return time.Time{}, nil
	case "7d", "30d", "60d", "90d":
		var days int
		fmt.Sscanf(s, "%dd", &days)
		return time.Now().Add(time.Duration(days) * 24 * time.Hour), nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		return time.Now().Add(d), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, usagef("--expires %q: give 7d, 30d, 60d, 90d, never, a duration such as 720h or a time such as 2027-01-31T00:00:00Z", s)
	}
	return t, nil
}

// appRef reads "APP" (the caller's) or "OWNER/APP" (a user's or an org's).
func appRef(s string) *pb.UserAppIDSet {
	if owner, app, ok := strings.Cut(s, "/"); ok {
		return &pb.UserAppIDSet{UserId: owner, AppId: app}
	}
	return &pb.UserAppIDSet{UserId: "me", AppId: s}
}
