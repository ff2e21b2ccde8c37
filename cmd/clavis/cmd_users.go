package main

import (
	"context"
	"flag"
	"fmt"

	adminv1 "github.com/clavis-dev/clavis/api/gen/clavis/admin/v1"
)

func runUsers(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 {
		return usagef("usage: clavis users create|list|disable|enable|delete")
	}
	sub, args := args[0], args[1:]
	fs := flag.NewFlagSet("users "+sub, flag.ContinueOnError)
	var f clientFlags
	f.bind(fs)
	id := fs.String("id", "", "user id")
	email := fs.String("email", "", "e-mail address")
	admin := fs.Bool("admin", false, "make the user an admin")
	var usage string
	nargs := 1
	switch sub {
	case "create":
		usage, nargs = "users create --id ID --email EMAIL [--admin]", 0
	case "list":
		usage, nargs = "users list", 0
	case "disable", "enable", "delete":
		usage = "users " + sub + " ID"
	default:
		return usagef("unknown subcommand %q: use create, list, disable, enable or delete", sub)
	}
	if err := parseFlags(fs, env, args, nargs, usage); err != nil {
		return err
	}
	c, cctx, done, err := connect(ctx, env, f)
	if err != nil {
		return err
	}
	defer done()
	switch sub {
	case "create":
		if *id == "" {
			return usagef("--id is required")
		}
		resp, err := c.admin.CreateUser(cctx, &adminv1.CreateUserRequest{Id: *id, Email: *email, Admin: *admin})
		if err := c.check(resp, err); err != nil {
			return err
		}
		if !c.json {
			fmt.Fprintf(env.Stdout, "Created user %s. Its default Personal Access Token (shown once):\n%s\n", resp.GetUser().GetId(), resp.GetDefaultPat())
		}
	case "list":
		resp, err := c.admin.ListUsers(cctx, &adminv1.ListUsersRequest{PerPage: 1000})
		if err := c.check(resp, err); err != nil {
			return err
		}
		if !c.json {
			tw := newTable(env)
			fmt.Fprintln(tw, "ID\tEMAIL\tADMIN\tDISABLED\tCREATED")
			for _, u := range resp.GetUsers() {
				fmt.Fprintf(tw, "%s\t%s\t%v\t%v\t%s\n", u.GetId(), u.GetEmail(), u.GetAdmin(), u.GetDisabled(), fmtTime(u.GetCreatedAt(), u.GetCreatedAt() != nil))
			}
			tw.Flush()
		}
	case "disable", "enable":
		call := c.admin.DisableUser
		if sub == "enable" {
			call = c.admin.EnableUser
		}
		resp, err := call(cctx, &adminv1.UserRequest{Id: fs.Arg(0)})
		if err := c.check(resp, err); err != nil {
			return err
		}
		if !c.json {
			fmt.Fprintf(env.Stdout, "User %s %sd\n", fs.Arg(0), sub)
		}
	case "delete":
		resp, err := c.admin.DeleteUser(cctx, &adminv1.UserRequest{Id: fs.Arg(0)})
		if err := c.check(resp, err); err != nil {
			return err
		}
		if !c.json {
			fmt.Fprintf(env.Stdout, "Deleted user %s with its apps and keys\n", fs.Arg(0))
		}
	}
	return nil
}
