package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
)

func appCmd(env *Env) *cobra.Command {
	return group("app", "Manage apps: create, list, delete, visibility", `  clavis app create photos --description "my photos"
  clavis app list
  clavis app create acme/vision        # an app of organization acme`,
		appCreateCmd(env), appListCmd(env), appDeleteCmd(env), appVisibilityCmd(env))
}

func appCreateCmd(env *Env) *cobra.Command {
	var name, desc string
	var public bool
	c := clientCmd(env, &cobra.Command{
		Use:   "create [ORG/]ID",
		Short: "Create an app of yours, or of an organization you administer",
		Example: `  clavis app create photos --description "my photos"
  clavis app create acme/vision --public`,
		Args: exactArgs("[ORG/]ID"),
	}, func(ctx context.Context, cl *client, args []string) error {
		ref := appRef(args[0])
		app := &pb.App{Id: ref.AppId, Name: name, Description: desc}
		if public {
			app.Visibility = &pb.Visibility{Gettable: pb.Visibility_PUBLIC}
		}
		resp, err := cl.v2.PostApps(ctx, &pb.PostAppsRequest{UserAppId: &pb.UserAppIDSet{UserId: ref.UserId}, Apps: []*pb.App{app}})
		if err := cl.call(resp, err); err != nil {
			return err
		}
		return cl.show(func() {
			fmt.Fprintf(env.Stdout, "Created app %s/%s\n", resp.GetApps()[0].GetUserId(), resp.GetApps()[0].GetId())
		}, resp)
	})
	c.Flags().StringVar(&name, "name", "", "display name (default: the id)")
	c.Flags().StringVar(&desc, "description", "", "description")
	c.Flags().BoolVar(&public, "public", false, "make the app public: every PAT may read it and predict with its models")
	return c
}

func appListCmd(env *Env) *cobra.Command {
	var owner string
	c := clientCmd(env, &cobra.Command{
		Use:   "list",
		Short: "List the apps of your account or of an organization of yours",
		Example: `  clavis app list
  clavis app list --owner acme`,
		Args: exactArgs(),
	}, func(ctx context.Context, cl *client, _ []string) error {
		resp, err := cl.v2.ListApps(ctx, &pb.ListAppsRequest{UserAppId: &pb.UserAppIDSet{UserId: owner}, PerPage: 1000})
		return cl.table(resp, err, "ID\tNAME\tVISIBILITY\tCREATED\tDESCRIPTION", func(row func(...any)) {
			for _, a := range resp.GetApps() {
				vis := "private"
				if a.GetVisibility().GetGettable() == pb.Visibility_PUBLIC {
					vis = "public"
				}
				row(a.GetId(), a.GetName(), vis, fmtTime(a.GetCreatedAt(), a.GetCreatedAt() != nil), a.GetDescription())
			}
		})
	})
	c.Flags().StringVar(&owner, "owner", "me", "whose apps: yours (me) or an organization's you belong to; for the built-in models see clavis models list")
	return c
}

func appDeleteCmd(env *Env) *cobra.Command {
	return clientCmd(env, &cobra.Command{
		Use:     "delete [OWNER/]ID",
		Short:   "Delete an app with its keys and inputs",
		Example: `  clavis app delete photos`,
		Args:    exactArgs("[OWNER/]ID"),
	}, func(ctx context.Context, cl *client, args []string) error {
		resp, err := cl.v2.DeleteApp(ctx, &pb.DeleteAppRequest{UserAppId: appRef(args[0])})
		return cl.done(resp, err, "Deleted app %s and its keys", args[0])
	})
}

var visibilities = map[string]pb.Visibility_Gettable{"public": pb.Visibility_PUBLIC, "private": pb.Visibility_PRIVATE}

func appVisibilityCmd(env *Env) *cobra.Command {
	return clientCmd(env, &cobra.Command{
		Use:   "visibility public|private [OWNER/]ID",
		Short: "Make an app public (every PAT may read it and predict with its models) or private",
		Example: `  clavis app visibility public photos
  clavis app visibility private acme/vision`,
		Args: func(cmd *cobra.Command, args []string) error {
			if err := exactArgs("public|private", "[OWNER/]ID")(cmd, args); err != nil {
				return err
			}
			if _, ok := visibilities[args[0]]; !ok {
				return usagef("visibility must be public or private, not %q", args[0])
			}
			return nil
		},
		ValidArgs: []string{"public", "private"},
	}, func(ctx context.Context, cl *client, args []string) error {
		vis := visibilities[args[0]]
		resp, err := cl.v2.PatchApp(ctx, &pb.PatchAppRequest{UserAppId: appRef(args[1]), Action: "overwrite", App: &pb.App{Visibility: &pb.Visibility{Gettable: vis}}})
		if err := cl.call(resp, err); err != nil {
			return err
		}
		return cl.show(func() {
			fmt.Fprintf(env.Stdout, "App %s/%s is now %s\n", resp.GetApp().GetUserId(), resp.GetApp().GetId(), args[0])
		}, resp)
	})
}
