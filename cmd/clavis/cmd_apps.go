package main

import (
	"context"
	"flag"
	"fmt"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
)

func runApp(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 {
		return usagef("usage: clavis app create|list|delete")
	}
	sub, args := args[0], args[1:]
	fs := flag.NewFlagSet("app "+sub, flag.ContinueOnError)
	var f clientFlags
	f.bind(fs)
	name := fs.String("name", "", "display name (default: the id)")
	desc := fs.String("description", "", "description")
	public := fs.Bool("public", false, "make the app public: every PAT may read it and predict with its models")
	var usage string
	nargs := 1
	switch sub {
	case "create":
		usage = "app create ID [--name N] [--description D] [--public]"
	case "list":
		usage, nargs = "app list", 0
	case "delete":
		usage = "app delete ID"
	default:
		return usagef("unknown subcommand %q: use create, list or delete", sub)
	}
	if err := parseFlags(fs, env, args, nargs, usage); err != nil {
		return err
	}
	c, err := dial(env, f)
	if err != nil {
		return err
	}
	defer c.Close()
	cctx, cancel := c.ctx(ctx)
	defer cancel()
	switch sub {
	case "create":
		app := &pb.App{Id: fs.Arg(0), Name: *name, Description: *desc}
		if *public {
			app.Visibility = &pb.Visibility{Gettable: pb.Visibility_PUBLIC}
		}
		resp, err := c.v2.PostApps(cctx, &pb.PostAppsRequest{UserAppId: &pb.UserAppIDSet{UserId: "me"}, Apps: []*pb.App{app}})
		if err := c.check(resp, err); err != nil {
			return err
		}
		if !c.json {
			fmt.Fprintf(env.Stdout, "Created app %s/%s\n", resp.GetApps()[0].GetUserId(), resp.GetApps()[0].GetId())
		}
	case "list":
		resp, err := c.v2.ListApps(cctx, &pb.ListAppsRequest{UserAppId: &pb.UserAppIDSet{UserId: "me"}, PerPage: 1000})
		if err := c.check(resp, err); err != nil {
			return err
		}
		if !c.json {
			tw := newTable(env)
			fmt.Fprintln(tw, "ID\tNAME\tVISIBILITY\tCREATED\tDESCRIPTION")
			for _, a := range resp.GetApps() {
				vis := "private"
				if a.GetVisibility().GetGettable() == pb.Visibility_PUBLIC {
					vis = "public"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", a.GetId(), a.GetName(), vis, fmtTime(a.GetCreatedAt(), a.GetCreatedAt() != nil), a.GetDescription())
			}
			tw.Flush()
		}
	case "delete":
		resp, err := c.v2.DeleteApp(cctx, &pb.DeleteAppRequest{UserAppId: &pb.UserAppIDSet{UserId: "me", AppId: fs.Arg(0)}})
		if err := c.check(resp, err); err != nil {
			return err
		}
		if !c.json {
			fmt.Fprintf(env.Stdout, "Deleted app %s and its keys\n", fs.Arg(0))
		}
	}
	return nil
}
