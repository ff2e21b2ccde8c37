package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
)

func collabCmd(env *Env) *cobra.Command {
	return group("collab", "Manage the collaborators of an app: add, list, update, remove", `  clavis collab add --app photos --scopes Apps:Get,Models:Get,Concepts:Get,Predict bob
  clavis collab list --app photos`,
		collabPutCmd(env, "add"), collabListCmd(env), collabPutCmd(env, "update"), collabRemoveCmd(env))
}

// bindCollabApp adds the required --app of the collab commands.
func bindCollabApp(c *cobra.Command, app *string) {
	c.Flags().StringVar(app, "app", "", "the app: APP_ID (yours) or OWNER/APP_ID (required)")
	c.PreRunE = func(*cobra.Command, []string) error {
		if *app == "" {
			return usagef("--app is required")
		}
		return nil
	}
}

// collaboratorUser names a user by id, or by e-mail when who has an @.
func collaboratorUser(who string) *pb.User {
	if strings.Contains(who, "@") {
		return &pb.User{UserDetail: &pb.UserDetail{PrimaryEmail: who}}
	}
	return &pb.User{Id: who}
}

// collabPutCmd makes `collab add` (PostCollaborators) and `collab update`
// (PatchCollaborators).
func collabPutCmd(env *Env, verb string) *cobra.Command {
	var app, scopes string
	c := &cobra.Command{
		Use:   verb + " --app APP --scopes S USER_ID|EMAIL",
		Short: "Make a user a collaborator of an app with the given scopes",
		Long: `Make a user a collaborator of an app with the given scopes: the user's PATs
may then do on the app what both the PAT's scopes and these allow. See
docs/access.md.`,
		Example: `  clavis collab add --app photos --scopes Apps:Get,Models:Get,Concepts:Get,Predict bob
  clavis collab add --app acme/vision --scopes Inputs:Get carol@example.com`,
		Args: exactArgs("USER_ID|EMAIL"),
	}
	if verb == "update" {
		c.Short = "Replace the scopes of a collaborator of an app"
		c.Long = ""
		c.Example = `  clavis collab update --app photos --scopes Apps:Get,Predict bob`
	}
	c = clientCmd(env, c, func(ctx context.Context, cl *client, args []string) error {
		collab := &pb.Collaborator{User: collaboratorUser(args[0]), Scopes: splitList(scopes)}
		var resp *pb.MultiCollaboratorsResponse
		var err error
		if verb == "add" {
			resp, err = cl.v2.PostCollaborators(ctx, &pb.PostCollaboratorsRequest{UserAppId: appRef(app), Collaborators: []*pb.Collaborator{collab}})
		} else {
			resp, err = cl.v2.PatchCollaborators(ctx, &pb.PatchCollaboratorsRequest{UserAppId: appRef(app), Action: "overwrite", Collaborators: []*pb.Collaborator{collab}})
		}
		if err := cl.call(resp, err); err != nil {
			return err
		}
		return cl.show(func() {
			if verb == "update" {
				fmt.Fprintf(env.Stdout, "Updated %s on %s\n", args[0], app)
				return
			}
			cb := resp.GetCollaborators()[0]
			fmt.Fprintf(env.Stdout, "Added %s to %s with scopes %s\n", cb.GetUser().GetId(), app, strings.Join(cb.GetScopes(), ","))
		}, resp)
	})
	bindCollabApp(c, &app)
	c.Flags().StringVar(&scopes, "scopes", "", "comma-separated scopes to grant, e.g. Apps:Get,Models:Get,Concepts:Get,Predict")
	return c
}

func collabListCmd(env *Env) *cobra.Command {
	var app string
	c := clientCmd(env, &cobra.Command{
		Use:     "list --app APP",
		Short:   "List the collaborators of an app with their scopes",
		Example: `  clavis collab list --app photos`,
		Args:    exactArgs(),
	}, func(ctx context.Context, cl *client, _ []string) error {
		resp, err := cl.v2.ListCollaborators(ctx, &pb.ListCollaboratorsRequest{UserAppId: appRef(app), PerPage: 1000})
		return cl.table(resp, err, "USER\tEMAIL\tSCOPES\tADDED", func(row func(...any)) {
			for _, cb := range resp.GetCollaborators() {
				row(cb.GetUser().GetId(), cb.GetUser().GetUserDetail().GetPrimaryEmail(), strings.Join(cb.GetScopes(), ","), fmtTime(cb.GetCreatedAt(), cb.GetCreatedAt() != nil))
			}
		})
	})
	bindCollabApp(c, &app)
	return c
}

func collabRemoveCmd(env *Env) *cobra.Command {
	var app string
	c := clientCmd(env, &cobra.Command{
		Use:     "remove --app APP USER_ID|EMAIL",
		Short:   "Remove a collaborator from an app",
		Example: `  clavis collab remove --app photos bob`,
		Args:    exactArgs("USER_ID|EMAIL"),
	}, func(ctx context.Context, cl *client, args []string) error {
		req := &pb.DeleteCollaboratorsRequest{UserAppId: appRef(app)}
		if strings.Contains(args[0], "@") {
			req.UserEmails = []string{args[0]}
		} else {
			req.CollaboratorIds = []string{args[0]}
		}
		resp, err := cl.v2.DeleteCollaborators(ctx, req)
		return cl.done(resp, err, "Removed %s from %s", args[0], app)
	})
	bindCollabApp(c, &app)
	return c
}
