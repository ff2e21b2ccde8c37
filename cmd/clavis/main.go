// Command clavis is the Clavis server and its command-line client.
//
// Usage:
//
//	clavis serve [flags]        start the server
//	clavis setup [flags]        fetch the model runtime and model files
//	clavis login | whoami | pat | app | key | predict | users   client commands
//	clavis admin create-pat     recover admin access offline
//	clavis migrate              copy a SQLite installation into PostgreSQL
//	clavis backup --to FILE     copy the embedded database while it serves
//
// Run `clavis help` for the full list.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// Run runs the clavis command line with args and returns the exit code.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		printUsage(stderr)
		return 2
	}
	cmd, ok := commands[args[0]]
	if !ok {
		if args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
			printUsage(stdout)
			return 0
		}
		fmt.Fprintf(stderr, "clavis: unknown command %q (run `clavis help`)\n", args[0])
		return 2
	}
	env := &Env{Stdin: stdin, Stdout: stdout, Stderr: stderr, Getenv: os.Getenv}
	if err := cmd.run(ctx, env, args[1:]); err != nil {
		var u usageError
		if errors.As(err, &u) {
			fmt.Fprintf(stderr, "clavis %s: %v\n", args[0], err)
			return 2
		}
		if errors.Is(err, errQuiet) {
			return 1
		}
		fmt.Fprintf(stderr, "clavis %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

// Env is what a command may touch of the outside world, so tests can run
// commands in-process.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string
}

type command struct {
	summary string
	run     func(ctx context.Context, env *Env, args []string) error
}

var commands map[string]command

func init() {
	commands = map[string]command{
		"serve":   {"start the server", runServe},
		"setup":   {"fetch the ONNX Runtime and model files (pinned, verified)", runSetup},
		"admin":   {"offline administration on the data dir: create-pat", runAdmin},
		"migrate": {"copy a SQLite installation into an empty PostgreSQL database", runMigrate},
		"backup":  {"copy the embedded database to a file while the server runs", runBackup},
		"login":   {"save the server address and your PAT", runLogin},
		"whoami":  {"show who the saved PAT belongs to and its scopes", runWhoami},
		"pat":     {"manage your Personal Access Tokens: create, list, update, delete", runPAT},
		"app":     {"manage your apps: create, list, delete", runApp},
		"key":     {"manage app-specific keys: create, list, delete", runKey},
		"predict": {"predict with a model on an image file or URL", runPredict},
		"users":   {"manage users (admins): create, list, disable, enable, delete", runUsers},
		"collab":  {"manage collaborators of an app: add, list, update, remove", runCollab},
		"org":     {"manage organizations, their members and teams", runOrg},
	}
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "Usage: clavis <command> [flags]")
	fmt.Fprintln(w)
	for _, name := range []string{"serve", "setup", "admin", "migrate", "backup", "login", "whoami", "pat", "app", "key", "predict", "users", "collab", "org"} {
		fmt.Fprintf(w, "  %-8s %s\n", name, commands[name].summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run `clavis <command> -h` for a command's flags.")
}

// usageError marks errors in how a command was called (exit code 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// errQuiet is returned when the error has already been printed.
var errQuiet = errors.New("failed")
