package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	adminv1 "github.com/clavis-dev/clavis/api/gen/clavis/admin/v1"
)

func usersCmd(env *Env) *cobra.Command {
	return group("users", "Manage users (admins only): create, list, disable, enable, delete", `  clavis users create --id bob --email bob@example.com
  clavis users disable bob`,
		usersCreateCmd(env), usersListCmd(env),
		userActionCmd(env, "disable", "Disable a user: every credential of the user stops working at once", "Disabled"),
		userActionCmd(env, "enable", "Enable a disabled user again", "Enabled"),
		userActionCmd(env, "delete", "Delete a user with the user's apps and keys", "Deleted"),
		usersPasswdCmd(env), usersKeysCmd(env), usersRevokeKeysCmd(env))
}

// usersPasswdCmd sets a user's portal password. The password comes from
// standard input, never a flag, so it shows in no process list or shell
// history; on a terminal it is asked for twice, without echo.
func usersPasswdCmd(env *Env) *cobra.Command {
	var temporary bool
	c := clientCmd(env, &cobra.Command{
		Use:   "passwd ID [--temporary]",
		Short: "Set a user's portal password, read from standard input",
		Long: `Set the password a user logs in to the portal with, reading it from
standard input (asked for twice, without echo, on a terminal). This is how
the bootstrap admin gets a first password. With --temporary the user must
choose a new one at the next log-in. The user's portal sessions end; their
tokens keep working.`,
		Example: `  clavis users passwd admin
  printf '%s\n' "$NEW_PASSWORD" | clavis users passwd bob --temporary`,
		Args: exactArgs("ID"),
	}, func(ctx context.Context, cl *client, args []string) error {
		pw, err := readNewPassword(env, args[0])
		if err != nil {
			return err
		}
		resp, err := cl.admin.SetPassword(ctx, &adminv1.SetPasswordRequest{Id: args[0], Password: pw, MustChange: temporary})
		return cl.done(resp, err, "Set the password of %s", args[0])
	})
	c.Flags().BoolVar(&temporary, "temporary", false, "make the user choose a new password at the next log-in")
	return c
}

// readNewPassword reads a new password: twice without echo on a terminal,
// else the first line of standard input.
func readNewPassword(env *Env, id string) (string, error) {
	if f, ok := env.Stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprintf(env.Stderr, "New password for %s: ", id)
		first, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(env.Stderr)
		if err != nil {
			return "", err
		}
		fmt.Fprint(env.Stderr, "Again: ")
		again, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(env.Stderr)
		if err != nil {
			return "", err
		}
		if string(first) != string(again) {
			return "", usagef("the two passwords differ")
		}
		return string(first), nil
	}
	line, err := bufio.NewReader(env.Stdin).ReadString('\n')
	if line = strings.TrimRight(line, "\r\n"); line == "" {
		if err != nil && err != io.EOF {
			return "", err
		}
		return "", usagef("no password: give it on standard input")
	}
	return line, nil
}

func usersCreateCmd(env *Env) *cobra.Command {
	var id, email string
	var admin bool
	c := clientCmd(env, &cobra.Command{
		Use:   "create --id ID --email EMAIL [--admin]",
		Short: "Create a user; the user's default PAT is printed once, on the last line",
		Example: `  clavis users create --id bob --email bob@example.com
  BOB_PAT=$(clavis users create --id bob --email bob@example.com | tail -1)`,
		Args: exactArgs(),
		PreRunE: func(*cobra.Command, []string) error {
			if id == "" {
				return usagef("--id is required")
			}
			return nil
		},
	}, func(ctx context.Context, cl *client, _ []string) error {
		resp, err := cl.admin.CreateUser(ctx, &adminv1.CreateUserRequest{Id: id, Email: email, Admin: admin})
		if err := cl.call(resp, err); err != nil {
			return err
		}
		return cl.show(func() {
			fmt.Fprintf(env.Stdout, "Created user %s. Its default Personal Access Token (shown once):\n%s\n", resp.GetUser().GetId(), resp.GetDefaultPat())
		}, resp)
	})
	c.Flags().StringVar(&id, "id", "", "user id (required)")
	c.Flags().StringVar(&email, "email", "", "e-mail address")
	c.Flags().BoolVar(&admin, "admin", false, "make the user an admin")
	return c
}

func usersListCmd(env *Env) *cobra.Command {
	return clientCmd(env, &cobra.Command{
		Use:     "list",
		Short:   "List every user",
		Example: `  clavis users list`,
		Args:    exactArgs(),
	}, func(ctx context.Context, cl *client, _ []string) error {
		resp, err := cl.admin.ListUsers(ctx, &adminv1.ListUsersRequest{PerPage: 1000})
		return cl.table(resp, err, "ID\tEMAIL\tADMIN\tDISABLED\tCREATED", func(row func(...any)) {
			for _, u := range resp.GetUsers() {
				row(u.GetId(), u.GetEmail(), u.GetAdmin(), u.GetDisabled(), fmtTime(u.GetCreatedAt(), u.GetCreatedAt() != nil))
			}
		})
	})
}

// userActionCmd makes `users disable`, `enable` and `delete`.
func userActionCmd(env *Env, verb, short, done string) *cobra.Command {
	return clientCmd(env, &cobra.Command{
		Use:     verb + " ID",
		Short:   short,
		Example: "  clavis users " + verb + " bob",
		Args:    exactArgs("ID"),
	}, func(ctx context.Context, cl *client, args []string) error {
		req := &adminv1.UserRequest{Id: args[0]}
		var resp statusResponse
		var err error
		switch verb {
		case "disable":
			resp, err = cl.admin.DisableUser(ctx, req)
		case "enable":
			resp, err = cl.admin.EnableUser(ctx, req)
		default:
			resp, err = cl.admin.DeleteUser(ctx, req)
		}
		return cl.done(resp, err, "%s user %s", done, args[0])
	})
}
