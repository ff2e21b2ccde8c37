package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/clavis-dev/clavis/clavis"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
)

func runPredict(ctx context.Context, env *Env, args []string) error {
	fs := flag.NewFlagSet("predict", flag.ContinueOnError)
	var f clientFlags
	f.bind(fs)
	model := fs.String("model", "", "model id (required)")
	version := fs.String("version", "", "model version id (default: the current one)")
	userID := fs.String("user-id", clavis.SystemUserID, "owner of the model's app")
	appID := fs.String("app-id", clavis.MainAppID, "the model's app")
	maxConcepts := fs.Uint("max-concepts", 0, "return at most this many concepts")
	minValue := fs.Float64("min-value", 0, "drop concepts scoring below this")
	if err := parseFlags(fs, env, args, 1, "predict --model ID [--user-id U --app-id A] FILE|URL"); err != nil {
		return err
	}
	if *model == "" {
		return usagef("--model is required")
	}
	src := fs.Arg(0)
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
	c, cctx, done, err := connect(ctx, env, f)
	if err != nil {
		return err
	}
	defer done()
	req := &pb.PostModelOutputsRequest{
		UserAppId: &pb.UserAppIDSet{UserId: *userID, AppId: *appID},
		ModelId:   *model, VersionId: *version,
		Inputs: []*pb.Input{{Data: &pb.Data{Image: img}}},
	}
	if *maxConcepts > 0 || *minValue > 0 {
		req.Model = &pb.Model{OutputInfo: &pb.OutputInfo{OutputConfig: &pb.OutputConfig{MaxConcepts: uint32(*maxConcepts), MinValue: float32(*minValue)}}}
	}
	resp, err := c.v2.PostModelOutputs(cctx, req)
	if err := c.check(resp, err); err != nil {
		return err
	}
	if c.json {
		return nil
	}
	for _, o := range resp.GetOutputs() {
		if o.GetStatus().GetCode() != 10000 {
			return fmt.Errorf("%s (%d): %s", o.GetStatus().GetDescription(), o.GetStatus().GetCode(), o.GetStatus().GetDetails())
		}
		printData(env, o.GetData())
	}
	return nil
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
