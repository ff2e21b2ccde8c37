package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/types/known/structpb"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"
)

func inputsCmd(env *Env) *cobra.Command {
	return group("inputs", "Store images in an app: add, list, get, search, delete", `  clavis inputs add --app photos holiday/ https://example.com/cat.jpg
  clavis inputs list --app photos --status failed
  clavis inputs search --app photos --like cat.jpg
  clavis inputs delete --app photos --all`,
		inputsAddCmd(env), inputsListCmd(env), inputsGetCmd(env), inputsSearchCmd(env), inputsDeleteCmd(env))
}

// bindInputsApp registers the --app flag of the inputs and concepts
// commands, which has no default: inputs always go to an app of the caller's
// choosing.
func bindInputsApp(c *cobra.Command, app *string) {
	c.Flags().StringVar(app, "app", "", "the app: APP for one of yours, or OWNER/APP (required)")
}

func needApp(app string) error {
	if app == "" {
		return usagef("--app is required: the app to work on, APP or OWNER/APP")
	}
	return nil
}

// imageExts are the extensions of the files that a directory's walk adds.
var imageExts = map[string]bool{".jpg": true, ".jpeg": true, ".png": true, ".gif": true, ".webp": true, ".bmp": true}

// addBatch bounds one PostInputs call: Clarifai's 128 inputs, and bytes
// well under the largest message.
const (
	addBatch      = 128
	addBatchBytes = 32 << 20
)

// source is one input to add: a URL, or a file read when its batch goes.
type source struct {
	name string // as given, or the file's path
	url  string
}

// sources expands the arguments of inputs add: URLs as they are, files,
// and the image files under directories.
func sources(args []string) ([]source, error) {
	var out []source
	for _, a := range args {
		if strings.HasPrefix(a, "http://") || strings.HasPrefix(a, "https://") {
			out = append(out, source{name: a, url: a})
			continue
		}
		fi, err := os.Stat(a)
		if err != nil {
			return nil, err
		}
		if !fi.IsDir() {
			out = append(out, source{name: a})
			continue
		}
		err = filepath.WalkDir(a, func(path string, e fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !e.IsDir() && imageExts[strings.ToLower(filepath.Ext(path))] {
				out = append(out, source{name: path})
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	if len(out) == 0 {
		return nil, usagef("no image to add: the directories hold no .jpg, .jpeg, .png, .gif, .webp or .bmp file")
	}
	return out, nil
}

// addOutcome is what inputs add reports of one source.
type addOutcome struct {
	Source string `json:"source"`
	ID     string `json:"id,omitempty"`
	Code   int32  `json:"code"`
	Status string `json:"status"`
}

func inputsAddCmd(env *Env) *cobra.Command {
	var app, metadata string
	var labels []string
	var noWait bool
	c := clientCmd(env, &cobra.Command{
		Use:   "add --app APP [--label L]... [--metadata JSON] FILE|DIR|URL...",
		Short: "Add image files, the images under directories, and image URLs to an app",
		Long: `Add images to an app: files, every .jpg, .jpeg, .png, .gif, .webp and .bmp
file under a directory, and URLs, which the server fetches. They go 128 a
call, in one add job, then the command waits until the server has
processed every one (stored it, and annotated it with the base model),
showing a progress bar on a terminal, and sums up: how many were added, and
each that failed with its reason, on standard error. --no-wait returns once
the server has accepted them (status 30001, pending).

With --json, standard output is one JSON document: a status summing up
(10000 when every input was added), the add job's progress and the outcome
of every input. The exit code is 1 when an input failed.`,
		Example: `  clavis inputs add --app photos holiday/
  clavis inputs add --app photos --label cat --metadata '{"owner": "ana"}' cat.jpg
  clavis inputs add --app acme/vision --json https://example.com/a.jpg`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usagef("missing FILE|DIR|URL")
			}
			return nil
		},
	}, func(ctx context.Context, cl *client, args []string) error {
		if err := needApp(app); err != nil {
			return err
		}
		srcs, err := sources(args)
		if err != nil {
			return err
		}
		var meta *structpb.Struct
		if metadata != "" {
			var m map[string]any
			if err := json.Unmarshal([]byte(metadata), &m); err != nil {
				return usagef("--metadata must be a JSON object: %v", err)
			}
			if meta, err = structpb.NewStruct(m); err != nil {
				return usagef("--metadata: %v", err)
			}
		}
		var concepts []*pb.Concept
		for _, l := range labels {
			concepts = append(concepts, &pb.Concept{Id: l, Name: l, Value: 1})
		}
		job := newJobID()
		ids := appRef(app)
		bar := newProgress(env, len(srcs))
		outcomes := make([]addOutcome, 0, len(srcs))
		added := map[string]int{} // input id → index in outcomes
		var last *pb.MultiInputResponse
		for len(srcs) > 0 {
			var batch []*pb.Input
			var names []string
			size := 0
			for len(srcs) > 0 && len(batch) < addBatch {
				s := srcs[0]
				img := &pb.Image{Url: s.url}
				if s.url == "" {
					b, err := os.ReadFile(s.name)
					if err != nil {
						return err
					}
					if len(batch) > 0 && size+len(b) > addBatchBytes {
						break
					}
					img.Base64, size = b, size+len(b)
				}
				batch = append(batch, &pb.Input{Data: &pb.Data{Image: img, Concepts: concepts, Metadata: meta}})
				names, srcs = append(names, s.name), srcs[1:]
			}
			resp, err := cl.v2.PostInputs(ctx, &pb.PostInputsRequest{UserAppId: ids, InputsAddJobId: job, Inputs: batch})
			if err != nil {
				return cl.transportError(err)
			}
			if len(resp.GetInputs()) == 0 {
				return cl.call(resp, nil) // the whole call failed: no app, no access, …
			}
			last = resp
			for i, in := range resp.GetInputs() {
				s := in.GetStatus()
				if s.GetCode() == st.StatusCode_INPUT_DOWNLOAD_PENDING {
					added[in.GetId()] = len(outcomes)
				}
				outcomes = append(outcomes, addOutcome{Source: names[i], ID: in.GetId(), Code: int32(s.GetCode()), Status: statusText(s)})
			}
			bar.sent(len(batch))
		}
		progress := last.GetInputsAddJob()
		if !noWait {
			if progress, err = waitAddJob(ctx, cl, ids, job, bar); err != nil {
				return err
			}
			if err := finalStatuses(ctx, cl, ids, added, outcomes); err != nil {
				return err
			}
		}
		bar.done()
		failed := 0
		for _, o := range outcomes {
			if o.Code != int32(st.StatusCode_INPUT_DOWNLOAD_SUCCESS) && o.Code != int32(st.StatusCode_INPUT_DOWNLOAD_PENDING) {
				failed++
				if !cl.json {
					fmt.Fprintf(env.Stderr, "clavis inputs add: %s: %s\n", o.Source, o.Status)
				}
			}
		}
		if cl.json {
			sum := map[string]any{"code": st.StatusCode_SUCCESS, "description": "Ok"}
			switch {
			case failed == len(outcomes):
				sum = map[string]any{"code": st.StatusCode_FAILURE, "description": "Failure", "details": "every input failed"}
			case failed > 0:
				sum = map[string]any{"code": st.StatusCode_MIXED_STATUS, "description": "Mixed status", "details": "some inputs failed"}
			}
			if err := writeJSON(env.Stdout, map[string]any{"status": sum, "inputs_add_job": jobJSON(job, progress), "inputs": outcomes}); err != nil {
				return err
			}
		} else {
			verb := "Added"
			if noWait {
				verb = "Accepted"
			}
			fmt.Fprintf(env.Stdout, "%s %d of %d inputs to %s (add job %s); %d failed\n", verb, len(outcomes)-failed, len(outcomes), app, job, failed)
		}
		if failed > 0 {
			return errQuiet
		}
		return nil
	})
	bindInputsApp(c, &app)
	c.Flags().StringArrayVar(&labels, "label", nil, "label every input with this concept (its id and name); repeatable")
	c.Flags().StringVar(&metadata, "metadata", "", "metadata of every input, a JSON object")
	c.Flags().BoolVar(&noWait, "no-wait", false, "return once the server accepted the inputs, without waiting for their processing")
	return c
}

func newJobID() string {
	var b [8]byte
	rand.Read(b[:])
	return "cli-" + hex.EncodeToString(b[:])
}

func jobJSON(id string, j *pb.InputsAddJob) map[string]any {
	p := j.GetProgress()
	return map[string]any{"id": id, "pending": p.GetPendingCount(), "in_progress": p.GetInProgressCount(),
		"succeeded": p.GetSuccessCount(), "failed": p.GetFailedCount()}
}

// waitAddJob polls an add job until none of its inputs waits or is being
// processed.
func waitAddJob(ctx context.Context, cl *client, ids *pb.UserAppIDSet, job string, bar *progress) (*pb.InputsAddJob, error) {
	for delay := 50 * time.Millisecond; ; delay = min(2*delay, time.Second) {
		resp, err := cl.v2.GetInputsAddJob(ctx, &pb.GetInputsAddJobRequest{UserAppId: ids, Id: job})
		if err := cl.call(resp, err); err != nil {
			return nil, err
		}
		p := resp.GetInputsAddJob().GetProgress()
		bar.processed(int(p.GetSuccessCount() + p.GetFailedCount()))
		if p.GetPendingCount()+p.GetInProgressCount() == 0 {
			return resp.GetInputsAddJob(), nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("stopped waiting for add job %s: %w", job, ctx.Err())
		case <-time.After(delay):
		}
	}
}

// finalStatuses fills in the outcome of the inputs that were accepted, now
// that they are processed.
func finalStatuses(ctx context.Context, cl *client, ids *pb.UserAppIDSet, added map[string]int, outcomes []addOutcome) error {
	var want []string
	for id := range added {
		want = append(want, id)
	}
	for len(want) > 0 {
		n := min(len(want), 1000)
		resp, err := cl.v2.ListInputs(ctx, &pb.ListInputsRequest{UserAppId: ids, Ids: want[:n], PerPage: 1000})
		if err := cl.call(resp, err); err != nil {
			return err
		}
		for _, in := range resp.GetInputs() {
			o := &outcomes[added[in.GetId()]]
			o.Code, o.Status = int32(in.GetStatus().GetCode()), statusText(in.GetStatus())
		}
		want = want[n:]
	}
	return nil
}

// progress draws a progress bar on a terminal's standard error, and
// nothing elsewhere.
type progress struct {
	env              *Env
	total, sentN, ok int
	width            int
	on               bool
}

func newProgress(env *Env, total int) *progress {
	width, on := terminal(env.Stderr)
	return &progress{env: env, total: total, width: width, on: on}
}

func (p *progress) sent(n int)      { p.sentN += n; p.draw() }
func (p *progress) processed(n int) { p.ok = n; p.draw() }

func (p *progress) draw() {
	if !p.on {
		return
	}
	cols := 30
	if p.width > 0 {
		cols = max(10, min(50, p.width-40))
	}
	filled := cols * p.ok / max(p.total, 1)
	fmt.Fprintf(p.env.Stderr, "\r[%s%s] %d/%d processed, %d sent", strings.Repeat("=", filled), strings.Repeat(" ", cols-filled), p.ok, p.total, p.sentN)
}

func (p *progress) done() {
	if p.on {
		fmt.Fprintln(p.env.Stderr)
	}
}

func inputsListCmd(env *Env) *cobra.Command {
	var app, status string
	var page, perPage uint32
	c := clientCmd(env, &cobra.Command{
		Use:   "list --app APP [--status pending|processing|success|failed] [--page N]",
		Short: "List an app's inputs, newest first",
		Example: `  clavis inputs list --app photos
  clavis inputs list --app photos --status failed --json`,
		Args: exactArgs(),
	}, func(ctx context.Context, cl *client, _ []string) error {
		if err := needApp(app); err != nil {
			return err
		}
		req := &pb.ListInputsRequest{UserAppId: appRef(app), Page: page, PerPage: perPage}
		if status != "" {
			code, ok := inputStatuses[status]
			if !ok {
				return usagef("--status must be pending, processing, success or failed, not %q", status)
			}
			req.Status = &st.Status{Code: code}
		}
		resp, err := cl.v2.ListInputs(ctx, req)
		return cl.table(resp, err, "ID\tSTATUS\tCREATED\tCONCEPTS\tSOURCE", func(row func(...any)) {
			for _, in := range resp.GetInputs() {
				row(in.GetId(), statusWord(in.GetStatus()), fmtTime(in.GetCreatedAt(), in.GetCreatedAt() != nil), conceptList(in.GetData()), inputSource(in))
			}
		})
	})
	bindInputsApp(c, &app)
	c.Flags().StringVar(&status, "status", "", "only inputs of this status: pending, processing, success or failed")
	c.Flags().Uint32Var(&page, "page", 1, "the page to list")
	c.Flags().Uint32Var(&perPage, "per-page", 128, "inputs per page, at most 1000")
	return c
}

// inputStatuses names the input statuses for --status.
var inputStatuses = map[string]st.StatusCode{
	"pending": st.StatusCode_INPUT_DOWNLOAD_PENDING, "processing": st.StatusCode_INPUT_DOWNLOAD_IN_PROGRESS,
	"success": st.StatusCode_INPUT_DOWNLOAD_SUCCESS, "failed": st.StatusCode_INPUT_DOWNLOAD_FAILED,
}

func statusWord(s *st.Status) string {
	for w, c := range inputStatuses {
		if c == s.GetCode() {
			return w
		}
	}
	return fmt.Sprint(s.GetCode())
}

func conceptList(d *pb.Data) string {
	var out []string
	for _, c := range d.GetConcepts() {
		if c.GetValue() == 0 {
			out = append(out, "-"+c.GetId())
		} else {
			out = append(out, c.GetId())
		}
	}
	if len(out) == 0 {
		return "-"
	}
	return strings.Join(out, ",")
}

func inputSource(in *pb.Input) string {
	if u := in.GetData().GetImage().GetUrl(); u != "" {
		return u
	}
	return "(bytes)"
}

func inputsGetCmd(env *Env) *cobra.Command {
	var app string
	c := clientCmd(env, &cobra.Command{
		Use:     "get --app APP ID",
		Short:   "Show an input: its status, image, labels, metadata and hosted URL",
		Example: `  clavis inputs get --app photos 3f2a…`,
		Args:    exactArgs("ID"),
	}, func(ctx context.Context, cl *client, args []string) error {
		if err := needApp(app); err != nil {
			return err
		}
		resp, err := cl.v2.GetInput(ctx, &pb.GetInputRequest{UserAppId: appRef(app), InputId: args[0]})
		if err := cl.call(resp, err); err != nil {
			return err
		}
		return cl.show(func() {
			in := resp.GetInput()
			img := in.GetData().GetImage()
			tw := newTable(env)
			fmt.Fprintf(tw, "id:\t%s\n", in.GetId())
			fmt.Fprintf(tw, "status:\t%s\n", statusText(in.GetStatus()))
			fmt.Fprintf(tw, "created:\t%s\n", fmtTime(in.GetCreatedAt(), in.GetCreatedAt() != nil))
			fmt.Fprintf(tw, "source:\t%s\n", inputSource(in))
			if info := img.GetImageInfo(); info != nil {
				fmt.Fprintf(tw, "image:\t%s %dx%d\n", info.GetFormat(), info.GetWidth(), info.GetHeight())
			}
			if h := img.GetHosted(); h != nil && len(h.GetSizes()) > 0 {
				fmt.Fprintf(tw, "hosted:\t%s/%s/%s\n", h.GetPrefix(), h.GetSizes()[0], h.GetSuffix())
			}
			fmt.Fprintf(tw, "concepts:\t%s\n", conceptList(in.GetData()))
			if m := in.GetData().GetMetadata(); m != nil && len(m.GetFields()) > 0 {
				b, _ := json.Marshal(m.AsMap())
				fmt.Fprintf(tw, "metadata:\t%s\n", b)
			}
			tw.Flush()
		}, resp)
	})
	bindInputsApp(c, &app)
	return c
}

func inputsDeleteCmd(env *Env) *cobra.Command {
	var app string
	var all bool
	c := clientCmd(env, &cobra.Command{
		Use:   "delete --app APP ID...|--all",
		Short: "Delete inputs of an app, with their annotations and images",
		Example: `  clavis inputs delete --app photos 3f2a… 9b1c…
  clavis inputs delete --app photos --all`,
		Args: func(_ *cobra.Command, args []string) error {
			if all == (len(args) > 0) {
				return usagef("give the ids of the inputs to delete, or --all")
			}
			return nil
		},
	}, func(ctx context.Context, cl *client, args []string) error {
		if err := needApp(app); err != nil {
			return err
		}
		ids := appRef(app)
		n := 0
		var last *st.BaseResponse
		del := func(batch []string) error {
			resp, err := cl.v2.DeleteInputs(ctx, &pb.DeleteInputsRequest{UserAppId: ids, Ids: batch})
			if err := cl.call(resp, err); err != nil {
				return err
			}
			n, last = n+len(batch), resp
			return nil
		}
		if all {
			// Deleting the first page until none is left: the pages move.
			for {
				resp, err := cl.v2.ListInputs(ctx, &pb.ListInputsRequest{UserAppId: ids, PerPage: addBatch})
				if err := cl.call(resp, err); err != nil {
					return err
				}
				if len(resp.GetInputs()) == 0 {
					break
				}
				var batch []string
				for _, in := range resp.GetInputs() {
					batch = append(batch, in.GetId())
				}
				if err := del(batch); err != nil {
					return err
				}
			}
		} else {
			for len(args) > 0 {
				m := min(len(args), addBatch)
				if err := del(args[:m]); err != nil {
					return err
				}
				args = args[m:]
			}
		}
		if cl.json {
			if last == nil {
				last = &st.BaseResponse{Status: &st.Status{Code: st.StatusCode_SUCCESS, Description: "Ok"}}
			}
			return cl.printJSON(last)
		}
		fmt.Fprintf(env.Stdout, "Deleted %d inputs of %s\n", n, app)
		return nil
	})
	bindInputsApp(c, &app)
	c.Flags().BoolVar(&all, "all", false, "delete every input of the app")
	return c
}
