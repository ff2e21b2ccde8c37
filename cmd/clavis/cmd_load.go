package main

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/clavis-dev/clavis/internal/loadgen"
)

func loadCmd(env *Env) *cobra.Command {
	cfg := loadgen.Config{Addr: "127.0.0.1:18080", Clients: 50, Duration: time.Minute, Model: "color-recognition"}
	c := &cobra.Command{
		Use:   "load",
		Short: "Drive load or abuse against a server and report throughput, latency and its memory",
		Long: `Drive mixed traffic against a running server from --clients concurrent
clients for --duration: auth-only calls (MyScopesUser), key management (a
PAT created and deleted) and predictions of a small image, 6:2:2. It
reports each call's count, errors and latency percentiles, the throughput,
and the server's resident memory before, during (the largest sample) and
5 s after the run: from /proc/PID with --pid, otherwise from the server's
/metrics (process_resident_memory_bytes).

--abuse runs an abuse mode instead:
  flood       connections that send only the HTTP/2 preface and hold, up to
              200 per client
  slow-body   REST requests whose 1 MB body comes a byte a second
  big-body    100 MB REST bodies with no authorization, back to back
  decompress  predictions of a 9200x9200 16-bit RGBA PNG (0.6 MB sent,
              677 MB decoded)
and then checks with one call that the server still answers.

The token needs the scopes of the calls (All will do); it is sent, never
printed. docs/load.md has figures.`,
		Example: `  clavis load --addr 127.0.0.1:18080 --token "$(cat clavis-data/bootstrap.pat)" --clients 50 --duration 60s --pid "$(pgrep -f 'clavis serve')"
  clavis load --token "$CLAVIS_PAT" --abuse big-body --clients 4 --duration 20s`,
		Args: exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cfg.Token == "" {
				cfg.Token = env.Getenv("CLAVIS_PAT")
			}
			if cfg.Token == "" && cfg.Abuse != "big-body" && cfg.Abuse != "flood" {
				return usagef("give --token (or CLAVIS_PAT): a PAT with the scopes of the calls")
			}
			rep, err := loadgen.Run(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			printReport(env, rep)
			if rep.Errors > 0 {
				return fmt.Errorf("%d errors", rep.Errors)
			}
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&cfg.Addr, "addr", cfg.Addr, "server address HOST:PORT")
	f.StringVar(&cfg.Token, "token", "", "PAT the clients send (default CLAVIS_PAT)")
	f.IntVar(&cfg.Clients, "clients", cfg.Clients, "concurrent clients, each on its own connection")
	f.DurationVar(&cfg.Duration, "duration", cfg.Duration, "how long the clients run")
	f.StringVar(&cfg.Model, "model", cfg.Model, "model of clarifai/main that predictions call")
	f.IntVar(&cfg.PID, "pid", 0, "the server's process id, to read its memory from /proc; default its /metrics")
	f.Uint32Var(&cfg.KeyRateLimit, "key-rate-limit", 0, "rate limit (requests a minute) of the keys the traffic creates; needed when the token has one")
	f.StringSliceVar(&cfg.KeyAllowCIDRs, "key-allow", nil, "address allowlist (CIDRs) of the keys the traffic creates")
	f.StringVar(&cfg.Abuse, "abuse", "", "run an abuse mode instead: "+strings.Join(loadgen.AbuseModes, ", "))
	return c
}

func mib(n int64) string { return fmt.Sprintf("%.0f MiB", float64(n)/(1<<20)) }

func printReport(env *Env, r *loadgen.Report) {
	fmt.Fprintf(env.Stdout, "mode %s, %d clients, %v\n", r.Mode, r.Clients, r.Duration)
	if len(r.Ops) > 0 {
		tw := tabwriter.NewWriter(env.Stdout, 0, 2, 2, ' ', 0)
		fmt.Fprintln(tw, "CALL\tCOUNT\tERRORS\tP50\tP90\tP99\tMAX")
		for _, o := range r.Ops {
			fmt.Fprintf(tw, "%s\t%d\t%d\t%v\t%v\t%v\t%v\n", o.Name, o.Calls, o.Errors, o.P50.Round(time.Microsecond), o.P90.Round(time.Microsecond), o.P99.Round(time.Microsecond), o.Max.Round(time.Microsecond))
		}
		tw.Flush()
		fmt.Fprintf(env.Stdout, "total %d calls, %d errors, %.0f calls/s\n", r.Calls, r.Errors, r.Throughput)
		for _, o := range r.Ops {
			if o.FirstErr != "" {
				fmt.Fprintf(env.Stdout, "first error of %s: %s\n", o.Name, o.FirstErr)
			}
		}
	}
	for _, n := range r.Notes {
		fmt.Fprintln(env.Stdout, n)
	}
	fmt.Fprintf(env.Stdout, "server RSS before %s, during (peak) %s, after %s\n", mib(r.RSSBefore), mib(r.RSSDuring), mib(r.RSSAfter))
}
