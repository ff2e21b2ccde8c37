package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/clavis-dev/clavis/clavis"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
)

// mainApp is the app of the built-in models.
const mainApp = clavis.SystemUserID + "/" + clavis.MainAppID

func modelsCmd(env *Env) *cobra.Command {
	return group("models", "List and describe the models of an app (default clarifai/main, the built-in ones)", `  clavis models list
  clavis models get general-image-recognition`,
		modelsListCmd(env), modelsGetCmd(env))
}

// bindApp adds --app, the app of the models, defaulting to clarifai/main.
func bindApp(c *cobra.Command, app *string) {
	c.Flags().StringVar(app, "app", mainApp, "the app of the models: OWNER/APP, or APP for one of yours")
}

func modelsListCmd(env *Env) *cobra.Command {
	var app string
	c := clientCmd(env, &cobra.Command{
		Use:   "list [--app OWNER/APP]",
		Short: "List the models of an app: id, type, status, name",
		Example: `  clavis models list
  clavis models list --json`,
		Args: exactArgs(),
	}, func(ctx context.Context, cl *client, _ []string) error {
		resp, err := cl.v2.ListModels(ctx, &pb.ListModelsRequest{UserAppId: appRef(app), PerPage: 1000})
		return cl.table(resp, err, "ID\tTYPE\tSTATUS\tNAME", func(row func(...any)) {
			for _, m := range resp.GetModels() {
				row(m.GetId(), m.GetModelTypeId(), m.GetModelVersion().GetStatus().GetDescription(), m.GetName())
			}
		})
	})
	bindApp(c, &app)
	return c
}

func modelsGetCmd(env *Env) *cobra.Command {
	var app string
	c := clientCmd(env, &cobra.Command{
		Use:   "get ID [--app OWNER/APP]",
		Short: "Describe a model: type, version, status, the concepts it knows",
		Example: `  clavis models get general-image-recognition
  clavis models get color-recognition --json`,
		Args: exactArgs("ID"),
	}, func(ctx context.Context, cl *client, args []string) error {
		resp, err := cl.v2.GetModel(ctx, &pb.GetModelRequest{UserAppId: appRef(app), ModelId: args[0]})
		if err := cl.call(resp, err); err != nil {
			return err
		}
		return cl.show(func() {
			m := resp.GetModel()
			v := m.GetModelVersion()
			tw := newTable(env)
			fmt.Fprintf(tw, "id:\t%s\n", m.GetId())
			fmt.Fprintf(tw, "name:\t%s\n", m.GetName())
			fmt.Fprintf(tw, "app:\t%s/%s\n", m.GetUserId(), m.GetAppId())
			fmt.Fprintf(tw, "type:\t%s\n", m.GetModelTypeId())
			fmt.Fprintf(tw, "version:\t%s\n", v.GetId())
			fmt.Fprintf(tw, "status:\t%s (%d)\n", v.GetStatus().GetDescription(), v.GetStatus().GetCode())
			if d := m.GetDescription(); d != "" {
				fmt.Fprintf(tw, "description:\t%s\n", d)
			}
			if cs := v.GetOutputInfo().GetData().GetConcepts(); len(cs) > 0 {
				names := make([]string, len(cs))
				for i, c := range cs {
					names[i] = c.GetName()
				}
				fmt.Fprintf(tw, "concepts:\t%d: %s\n", len(cs), strings.Join(names, ", "))
			}
			tw.Flush()
		}, resp)
	})
	bindApp(c, &app)
	return c
}
