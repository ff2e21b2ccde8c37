package main

import (
	"context"
	"flag"
	"fmt"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
)

func runApp(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 {
		return usagef("usage: clavis app create|list|delete|visibility")
	}
	sub, args := args[0], args[1:]
	fs := flag.NewFlagSet("app "+sub, flag.ContinueOnError)
	var f clientFlags
	f.bind(fs)
	name := fs.String("name", "", "display name (default: the id)")
	desc := fs.String("description", "", "description")
	owner := fs.String("owner", "me", "list the apps of this account: you (me) or an organization of yours")
	public := fs.Bool("public", false, "make the app public: every PAT may read it and predict with its models")
	var usage string
	nargs := 1
	switch sub {
	case "create":
		usage = "app create [ORG/]ID [--name N] [--description D] [--public]"
	case "list":
		usage, nargs = "app list [--owner ORG]", 0
	case "delete":
		usage = "app delete [OWNER/]ID"
	case "visibility":
		usage, nargs = "app visibility public|private ID", 2
	default:
		return usagef("unknown subcommand %q: use create, list, delete or visibility", sub)
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
		ref := appRef(fs.Arg(0))
		app := &pb.App{Id: ref.AppId, Name: *name, Description: *desc}
		if *public {
			app.Visibility = &pb.Visibility{Gettable: pb.Visibility_PUBLIC}
		}
		resp, err := c.v2.PostApps(cctx, &pb.PostAppsRequest{UserAppId: &pb.UserAppIDSet{UserId: ref.UserId}, Apps: []*pb.App{app}})
		if err := c.check(resp, err); err != nil {
			return err
		}
		if !c.json {
			fmt.Fprintf(env.Stdout, "Created app %s/%s\n", resp.GetApps()[0].GetUserId(), resp.GetApps()[0].GetId())
		}
	case "list":
		resp, err := c.v2.ListApps(cctx, &pb.ListAppsRequest{UserAppId: &pb.UserAppIDSet{UserId: *owner}, PerPage: 1000})
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
	case "visibility":
		vis := map[string]pb.Visibility_Gettable{"public": pb.Visibility_PUBLIC, "private": pb.Visibility_PRIVATE}[fs.Arg(0)]
		if vis == 0 {
			return usagef("visibility must be public or private")
		}
		ref := appRef(fs.Arg(1))
		resp, err := c.v2.PatchApp(cctx, &pb.PatchAppRequest{UserAppId: ref, Action: "overwrite", App: &pb.App{Visibility: &pb.Visibility{Gettable: vis}}})
		if err := c.check(resp, err); err != nil {
			return err
		}
		if !c.json {
			fmt.Fprintf(env.Stdout, "App %s/%s is now %s\n", resp.GetApp().GetUserId(), resp.GetApp().GetId(), fs.Arg(0))
		}
	case "delete":
		resp, err := c.v2.DeleteApp(cctx, &pb.DeleteAppRequest{UserAppId: appRef(fs.Arg(0))})
		if err := c.check(resp, err); err != nil {
			return err
		}
		if !c.json {
			fmt.Fprintf(env.Stdout, "Deleted app %s and its keys\n", fs.Arg(0))
		}
	}
	return nil
}
