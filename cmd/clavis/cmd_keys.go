package main

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/clavis-dev/clavis/clavis"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
)

func runPAT(ctx context.Context, env *Env, args []string) error {
	return runKeys(ctx, env, args, clavis.KeyTypePAT)
}

func runKey(ctx context.Context, env *Env, args []string) error {
	return runKeys(ctx, env, args, clavis.KeyTypeApp)
}

// runKeys implements `clavis pat` and `clavis key`.
func runKeys(ctx context.Context, env *Env, args []string, kt clavis.KeyType) error {
	name := "pat"
	if kt == clavis.KeyTypeApp {
		name = "key"
	}
	if len(args) == 0 {
		return usagef("usage: clavis %s create|list|update|delete", name)
	}
	sub, args := args[0], args[1:]
	fs := flag.NewFlagSet(name+" "+sub, flag.ContinueOnError)
	var f clientFlags
	f.bind(fs)
	desc := fs.String("description", "", "description")
	scopes := fs.String("scopes", "", "comma-separated scopes, e.g. All or Predict,Models:Get")
	endpoints := fs.String("endpoints", "", "comma-separated endpoints the key is limited to, e.g. /clarifai.api.V2/PostModelOutputs")
	expires := fs.String("expires", "", "expiry: a duration from now (720h) or an RFC 3339 time")
	app := fs.String("app", "", "app id (key create: required; key list: filter)")
	var usage string
	nargs := 0
	switch {
	case sub == "create" && kt == clavis.KeyTypePAT:
		usage = "pat create --scopes S [--description D] [--expires E] [--endpoints E]"
		*scopes = clavis.ScopeAll
	case sub == "create":
		usage = "key create --app APP_ID --scopes S [--description D] [--expires E]"
		*scopes = clavis.ScopeAll
	case sub == "list":
		usage = name + " list"
	case sub == "update" && kt == clavis.KeyTypePAT:
		usage, nargs = "pat update ID [--description D] [--scopes S] [--expires E]", 1
	case sub == "delete":
		usage, nargs = name+" delete ID", 1
	default:
		return usagef("unknown subcommand %q: use create, list, %sdelete", sub, map[bool]string{true: "update, "}[kt == clavis.KeyTypePAT])
	}
	if err := parseFlags(fs, env, args, nargs, usage); err != nil {
		return err
	}
	exp, err := parseExpiry(*expires)
	if err != nil {
		return err
	}
	c, cctx, done, err := connect(ctx, env, f)
	if err != nil {
		return err
	}
	defer done()
	me := &pb.UserAppIDSet{UserId: "me"}
	spec := &pb.Key{Type: string(kt), Description: *desc, Scopes: splitList(*scopes), Endpoints: splitList(*endpoints)}
	if !exp.IsZero() {
		spec.ExpiresAt = timestamppb.New(exp)
	}

	switch sub {
	case "create":
		if kt == clavis.KeyTypeApp {
			if *app == "" {
				return usagef("--app is required")
			}
			spec.Apps = []*pb.App{{Id: *app, UserId: "me"}}
		}
		resp, err := c.v2.PostKeys(cctx, &pb.PostKeysRequest{UserAppId: me, Keys: []*pb.Key{spec}})
		if err := c.check(resp, err); err != nil {
			return err
		}
		if !c.json {
			k := resp.GetKeys()[0]
			fmt.Fprintf(env.Stderr, "Created %s %q with scopes %s. Store the token now; it is not shown again:\n", name, k.GetDescription(), strings.Join(k.GetScopes(), ","))
			fmt.Fprintln(env.Stdout, k.GetId())
		}
	case "list":
		var resp *pb.MultiKeyResponse
		if *app != "" {
			resp, err = c.v2.ListAppKeys(cctx, &pb.ListAppKeysRequest{UserAppId: &pb.UserAppIDSet{UserId: "me", AppId: *app}, PerPage: 1000})
		} else {
			resp, err = c.v2.ListKeys(cctx, &pb.ListKeysRequest{UserAppId: me, Type: string(kt), PerPage: 1000})
		}
		if err := c.check(resp, err); err != nil {
			return err
		}
		if !c.json {
			tw := newTable(env)
			fmt.Fprintln(tw, "ID\tHINT\tDESCRIPTION\tAPP\tSCOPES\tCREATED\tEXPIRES\tLAST USED")
			for _, k := range resp.GetKeys() {
				app := "-"
				if len(k.GetApps()) > 0 {
					app = k.GetApps()[0].GetUserId() + "/" + k.GetApps()[0].GetId()
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", k.GetId(), k.GetHint(), k.GetDescription(), app,
					strings.Join(k.GetScopes(), ","), fmtTime(k.GetCreatedAt(), k.GetCreatedAt() != nil),
					fmtTime(k.GetExpiresAt(), k.GetExpiresAt() != nil), fmtTime(k.GetLastUsedAt(), k.GetLastUsedAt() != nil))
			}
			tw.Flush()
		}
	case "update":
		cur, err := c.v2.GetKey(cctx, &pb.GetKeyRequest{UserAppId: me, KeyId: fs.Arg(0)})
		if err := c.check(cur, err); err != nil {
			return err
		}
		spec.Id, spec.Type = cur.GetKey().GetId(), ""
		if *desc == "" {
			spec.Description = cur.GetKey().GetDescription()
		}
		if *endpoints == "" {
			spec.Endpoints = cur.GetKey().GetEndpoints()
		}
		if !flagSet(fs, "scopes") {
			spec.Scopes = nil
		}
		resp, err := c.v2.PatchKeys(cctx, &pb.PatchKeysRequest{UserAppId: me, Keys: []*pb.Key{spec}, Action: "overwrite"})
		if err := c.check(resp, err); err != nil {
			return err
		}
		if !c.json {
			fmt.Fprintf(env.Stdout, "Updated %s %s\n", name, fs.Arg(0))
		}
	case "delete":
		resp, err := c.v2.DeleteKey(cctx, &pb.DeleteKeyRequest{UserAppId: me, KeyId: fs.Arg(0)})
		if err := c.check(resp, err); err != nil {
			return err
		}
		if !c.json {
			fmt.Fprintf(env.Stdout, "Deleted %s %s\n", name, fs.Arg(0))
		}
	}
	return nil
}

func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
