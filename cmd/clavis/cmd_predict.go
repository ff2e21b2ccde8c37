package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"
)

func predictCmd(env *Env) *cobra.Command {
	var model, version, app string
	var maxConcepts uint
	var minValue float64
	var inputs []*pb.Input
	c := clientCmd(env, &cobra.Command{
		Use:   "predict --model ID [--app OWNER/APP] FILE|URL...",
		Short: "Predict with a model on image files or URLs",
		Long: `Predict with a model on image files or URLs, one input each, and print what
it found: concepts (the top 10 unless --max-concepts says otherwise), regions,
text, colors. The model's app defaults to clarifai/main, which holds the
built-in models (clavis models list) and which any PAT may use; an
app-specific key reaches only its own app, so it cannot.

An input that fails is reported on standard error with its status code,
description and details, and the exit code is 1.`,
		Example: `  clavis predict --model general-image-recognition photo.jpg
  clavis predict --model ocr-scene-english-paddleocr --json sign.png
  clavis predict --model face-detection --max-concepts 0 https://example.com/team.jpg`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usagef("missing FILE|URL")
			}
			return nil
		},
		PreRunE: func(_ *cobra.Command, args []string) error {
			if model == "" {
				return usagef("--model is required (clavis models list shows them)")
			}
			inputs = make([]*pb.Input, len(args))
			for i, src := range args {
				img := &pb.Image{}
				if strings.HasPrefix(src, "http://") || strings.HasPrefix(src, "https://") {
					img.Url = src
				} else {
					b, err := os.ReadFile(src)
					if err != nil {
						return err
					}
					img.Base64 = b
				}
				inputs[i] = &pb.Input{Data: &pb.Data{Image: img}}
			}
			return nil
		},
	}, func(ctx context.Context, cl *client, args []string) error {
		req := &pb.PostModelOutputsRequest{UserAppId: appRef(app), ModelId: model, VersionId: version, Inputs: inputs}
		if maxConcepts > 0 || minValue > 0 {
			req.Model = &pb.Model{OutputInfo: &pb.OutputInfo{OutputConfig: &pb.OutputConfig{MaxConcepts: uint32(maxConcepts), MinValue: float32(minValue)}}}
		}
		resp, err := cl.v2.PostModelOutputs(ctx, req)
		if err != nil {
			return cl.transportError(err)
		}
		if len(resp.GetOutputs()) == 0 {
			// The request itself failed: no such model, no access, …
			if err := cl.call(resp, nil); err != nil {
				return err
			}
		}
		if cl.json {
			cl.printJSON(resp)
		}
		failed := false
		for i, o := range resp.GetOutputs() {
			src := args[min(i, len(args)-1)]
			if s := o.GetStatus(); s.GetCode() != st.StatusCode_SUCCESS {
				fmt.Fprintf(env.Stderr, "clavis predict: %s: %s\n", src, statusText(s))
				failed = true
				continue
			}
			if !cl.json {
				if len(args) > 1 {
					fmt.Fprintf(env.Stdout, "== %s\n", src)
				}
				printData(env, o.GetData())
			}
		}
		if failed {
			return errQuiet
		}
		return nil
	})
	c.Flags().StringVar(&model, "model", "", "model id (required; clavis models list shows them)")
	c.Flags().StringVar(&version, "model-version", "", "model version id (default: the current one)")
	bindApp(c, &app)
	c.Flags().UintVar(&maxConcepts, "max-concepts", 10, "show at most this many concepts per input, the best first; 0 for all the model returns")
	c.Flags().Float64Var(&minValue, "min-value", 0, "drop concepts scoring below this")
	return c
}

// printData prints a prediction as tables.
func printData(env *Env, d *pb.Data) {
	tw := newTable(env)
	defer tw.Flush()
	if len(d.GetColors()) > 0 {
		fmt.Fprintln(tw, "COLOR\tW3C NAME\tW3C HEX\tDENSITY")
		for _, c := range d.GetColors() {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%.3f\n", c.GetRawHex(), c.GetW3C().GetName(), c.GetW3C().GetHex(), c.GetValue())
		}
	}
	if len(d.GetConcepts()) > 0 {
		fmt.Fprintln(tw, "CONCEPT\tVALUE")
		for _, c := range d.GetConcepts() {
			fmt.Fprintf(tw, "%s\t%.4f\n", c.GetName(), c.GetValue())
		}
	}
	if len(d.GetRegions()) > 0 {
		fmt.Fprintln(tw, "REGION (top,left,bottom,right)\tVALUE\tCONCEPT / TEXT")
		for _, r := range d.GetRegions() {
			b := r.GetRegionInfo().GetBoundingBox()
			label := r.GetData().GetText().GetRaw()
			if cs := r.GetData().GetConcepts(); label == "" && len(cs) > 0 {
				label = cs[0].GetName()
			}
			fmt.Fprintf(tw, "%.3f,%.3f,%.3f,%.3f\t%.3f\t%s\n", b.GetTopRow(), b.GetLeftCol(), b.GetBottomRow(), b.GetRightCol(), r.GetValue(), label)
		}
	}
}
