// Command clavis is the Clavis server and its command-line client.
//
// Usage:
//
//	clavis serve [flags]        start the server
//	clavis setup [flags]        fetch the model runtime and model files
//	clavis login | whoami | models | predict | inputs | pat | app | key | …   client commands
//	clavis admin create-pat     recover admin access offline
//	clavis migrate              copy a SQLite installation into PostgreSQL
//	clavis backup --to FILE     copy the embedded database while it serves
//	clavis load                 drive load or abuse against a server
//
// Run `clavis --help` for the full list and `clavis COMMAND --help` for a
// command's flags; docs/cli.md holds the same text.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// Run runs the clavis command line with args and returns the exit code: 0
// on success (and for --help), 1 when the command failed, 2 when it was
// called wrongly. Errors go to stderr as one line naming the command.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	env := &Env{Stdin: stdin, Stdout: stdout, Stderr: stderr, Getenv: os.Getenv}
	root := newRoot(env)
	if args == nil {
		args = []string{} // cobra reads os.Args when given nil
	}
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return 0
	}
	if errors.Is(err, errQuiet) {
		return 1
	}
	name := "clavis"
	if cmd != nil {
		name = cmd.CommandPath()
	}
	var u usageError
	if errors.As(err, &u) {
		fmt.Fprintf(stderr, "%s: %v (see `%s --help`)\n", name, err, name)
		return 2
	}
	fmt.Fprintf(stderr, "%s: %v\n", name, err)
	return 1
}

// Env is what a command may touch of the outside world, so tests can run
// commands in-process.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string
}

// Commands returns the path of every command, group and subcommand below
// the root ("serve", "app", "app create", …), in the order of the tree.
// Tests and the reference in docs/cli.md walk it.
func Commands() []string {
	var out []string
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			if sub.Hidden {
				continue
			}
			out = append(out, strings.TrimPrefix(sub.CommandPath(), "clavis "))
			walk(sub)
		}
	}
	walk(newRoot(&Env{Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: io.Discard, Getenv: func(string) string { return "" }}))
	return out
}

func init() {
	cobra.EnableCommandSorting = false // in the order newRoot adds them
}

// newRoot returns the command tree, writing to env's streams.
func newRoot(env *Env) *cobra.Command {
	root := &cobra.Command{
		Use:   "clavis",
		Short: "Clavis, a self-hosted AI API platform wire-compatible with Clarifai",
		Long: `Clavis is a self-hosted AI API platform wire-compatible with Clarifai's API.
This one binary is the server (clavis serve) and its command-line client.

Client commands find the server and the Personal Access Token (PAT) in this
order: the --addr and --pat flags, then CLAVIS_ADDR and CLAVIS_PAT, then the
login saved by clavis login, then the default address 127.0.0.1:18080.`,
		Example: `  clavis serve                                   # in one terminal: the server
  clavis login --addr 127.0.0.1:18080 < clavis-data/bootstrap.pat
  clavis models list
  clavis predict --model general-image-recognition photo.jpg`,
		Version:                    buildVersion().String(),
		Args:                       cobra.ArbitraryArgs,
		RunE:                       groupRun,
		SilenceErrors:              true,
		SilenceUsage:               true,
		DisableFlagsInUseLine:      true,
		SuggestionsMinimumDistance: 2,
	}
	root.SetIn(env.Stdin)
	root.SetOut(env.Stdout)
	root.SetErr(env.Stderr)
	root.SetVersionTemplate("clavis {{.Version}}\n")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err.Error()} })
	root.AddGroup(
		&cobra.Group{ID: "server", Title: "Run a server:"},
		&cobra.Group{ID: "client", Title: "Talk to a server:"},
	)
	for _, c := range []*cobra.Command{serveCmd(env), setupCmd(env), adminCmd(env), migrateCmd(env), backupCmd(env), benchCmd(env), loadCmd(env)} {
		c.GroupID = "server"
		root.AddCommand(c)
	}
	for _, c := range []*cobra.Command{
		loginCmd(env), logoutCmd(env), whoamiCmd(env), scopesCmd(env), modelsCmd(env), predictCmd(env),
		inputsCmd(env), conceptsCmd(env),
		patCmd(env), appCmd(env), keyCmd(env), collabCmd(env), orgCmd(env), usersCmd(env), auditCmd(env),
	} {
		c.GroupID = "client"
		root.AddCommand(c)
	}
	root.AddCommand(versionCmd(env))
	// Made here rather than by Execute, so that Commands lists them too.
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	return root
}

// group returns a command that holds subcommands. Alone it prints its help;
// with an unknown subcommand it is a usage error.
func group(use, short, example string, subs ...*cobra.Command) *cobra.Command {
	c := &cobra.Command{Use: use, Short: short, Example: example, Args: cobra.ArbitraryArgs, RunE: groupRun,
		DisableFlagsInUseLine: true, SuggestionsMinimumDistance: 2}
	c.AddCommand(subs...)
	return c
}

func groupRun(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return cmd.Help()
	}
	msg := fmt.Sprintf("unknown command %q", args[0])
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += fmt.Sprintf("; did you mean %s?", strings.Join(s, " or "))
	}
	return usageError{msg}
}

// exactArgs accepts exactly the named positional arguments.
func exactArgs(names ...string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) < len(names) {
			return usagef("missing %s", strings.Join(names[len(args):], " "))
		}
		if len(args) > len(names) {
			return usagef("unexpected argument %q", args[len(names)])
		}
		return nil
	}
}

// usageError marks errors in how a command was called (exit code 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// errQuiet is returned when the error has already been printed.
var errQuiet = errors.New("failed")
