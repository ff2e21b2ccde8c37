package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	adminv1 "github.com/clavis-dev/clavis/api/gen/clavis/admin/v1"
)

func usersCmd(env *Env) *cobra.Command {
	return group("users", "Manage users (admins only): create, list, disable, enable, delete", `  clavis users create --id bob --email bob@example.com
  clavis users disable bob`,
		usersCreateCmd(env), usersListCmd(env),
		userActionCmd(env, "disable", "Disable a user: every credential of the user stops working at once", "Disabled"),
		userActionCmd(env, "enable", "Enable a disabled user again", "Enabled"),
		userActionCmd(env, "delete", "Delete a user with the user's apps and keys", "Deleted"))
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
