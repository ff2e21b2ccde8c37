package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/types/known/structpb"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
)

func conceptsCmd(env *Env) *cobra.Command {
	return group("concepts", "List the concepts of an app", `  clavis concepts list --app photos`, conceptsListCmd(env))
}

func conceptsListCmd(env *Env) *cobra.Command {
	var app, id string
	c := clientCmd(env, &cobra.Command{
		Use:   "list --app APP [--id PART]",
		Short: "List the concepts of an app: its inputs' labels, and its models' concepts",
		Example: `  clavis concepts list --app photos
  clavis concepts list --app clarifai/main --id dog`,
		Args: exactArgs(),
	}, func(ctx context.Context, cl *client, _ []string) error {
		if err := needApp(app); err != nil {
			return err
		}
		resp, err := cl.v2.ListConcepts(ctx, &pb.ListConceptsRequest{UserAppId: appRef(app), Id: id, PerPage: 1000})
		return cl.table(resp, err, "ID\tNAME\tCREATED", func(row func(...any)) {
			for _, c := range resp.GetConcepts() {
				row(c.GetId(), c.GetName(), fmtTime(c.GetCreatedAt(), c.GetCreatedAt() != nil))
			}
		})
	})
	bindInputsApp(c, &app)
	c.Flags().StringVar(&id, "id", "", "only concepts whose id contains this")
	return c
}

func inputsSearchCmd(env *Env) *cobra.Command {
	var app, concept, metadata, like, metric string
	var minValue float32
	var page, perPage uint32
	var exact bool
	c := clientCmd(env, &cobra.Command{
		Use:   "search --app APP [--concept NAME] [--metadata JSON] [--like FILE|URL|INPUT_ID]",
		Short: "Search an app's inputs by concept, metadata or visual similarity, best first",
		Long: `Search an app's inputs (PostInputsSearches). --concept ranks the inputs labelled or
predicted with a concept by its value; --metadata keeps the inputs whose metadata holds
the given JSON object; --like ranks by visual similarity to an image file, an image URL
or a stored input. They combine: with --like, --concept keeps the inputs predicted with
the concept. docs/search.md explains scores.`,
		Example: `  clavis inputs search --app photos --concept cat
  clavis inputs search --app photos --metadata '{"customer": "acme"}'
  clavis inputs search --app photos --like holiday/beach.jpg --per-page 5
  clavis inputs search --app photos --like in-0042 --json`,
		Args: exactArgs(),
	}, func(ctx context.Context, cl *client, _ []string) error {
		if err := needApp(app); err != nil {
			return err
		}
		if concept == "" && metadata == "" && like == "" {
			return usagef("give --concept, --metadata or --like: what to search by")
		}
		search := &pb.Search{Query: &pb.Query{}, MinValue: minValue}
		switch metric {
		case "euclidean":
		case "cosine":
			search.Metric = pb.Search_COSINE_DISTANCE
		default:
			return usagef("--metric must be euclidean or cosine, not %q", metric)
		}
		if exact {
			search.Algorithm = "brute_force"
		}
		if concept != "" {
			search.Query.Ranks = append(search.Query.Ranks, &pb.Rank{Annotation: &pb.Annotation{Data: &pb.Data{Concepts: []*pb.Concept{{Id: concept, Name: concept, Value: 1}}}}})
		}
		if metadata != "" {
			var m map[string]any
			if err := json.Unmarshal([]byte(metadata), &m); err != nil || m == nil {
				return usagef("--metadata must be a JSON object: %v", err)
			}
			meta, err := structpb.NewStruct(m)
			if err != nil {
				return usagef("--metadata: %v", err)
			}
			search.Query.Filters = append(search.Query.Filters, &pb.Filter{Annotation: &pb.Annotation{Data: &pb.Data{Metadata: meta}}})
		}
		if like != "" {
			a, err := likeAnnotation(like)
			if err != nil {
				return err
			}
			search.Query.Ranks = append(search.Query.Ranks, &pb.Rank{Annotation: a})
		}
		resp, err := cl.v2.PostInputsSearches(ctx, &pb.PostInputsSearchesRequest{UserAppId: appRef(app), Searches: []*pb.Search{search},
			Pagination: &pb.Pagination{Page: page, PerPage: perPage}})
		return cl.table(resp, err, "SCORE\tID\tCONCEPTS\tSOURCE", func(row func(...any)) {
			for _, h := range resp.GetHits() {
				row(fmt.Sprintf("%.4f", h.GetScore()), h.GetInput().GetId(), conceptList(h.GetInput().GetData()), inputSource(h.GetInput()))
			}
		})
	})
	bindInputsApp(c, &app)
	c.Flags().StringVar(&concept, "concept", "", "rank by this concept (id or name), labelled or predicted")
	c.Flags().StringVar(&metadata, "metadata", "", "keep the inputs whose metadata holds this JSON object")
	c.Flags().StringVar(&like, "like", "", "rank by visual similarity to an image file, an image URL or a stored input's id")
	c.Flags().StringVar(&metric, "metric", "euclidean", "how similarity is measured: euclidean or cosine")
	c.Flags().BoolVar(&exact, "exact", false, "compare with every stored embedding (brute_force) rather than search the index")
	c.Flags().Float32Var(&minValue, "min-value", 0, "leave out hits scoring below this, in [0, 1]")
	c.Flags().Uint32Var(&page, "page", 1, "the page of hits")
	c.Flags().Uint32Var(&perPage, "per-page", 20, "hits per page, at most 1000")
	return c
}

// likeAnnotation reads --like: a URL, else an image file, else the id of a
// stored input.
func likeAnnotation(like string) (*pb.Annotation, error) {
	if strings.HasPrefix(like, "http://") || strings.HasPrefix(like, "https://") {
		return &pb.Annotation{Data: &pb.Data{Image: &pb.Image{Url: like}}}, nil
	}
	if fi, err := os.Stat(like); err == nil && !fi.IsDir() {
		b, err := os.ReadFile(like)
		if err != nil {
			return nil, err
		}
		return &pb.Annotation{Data: &pb.Data{Image: &pb.Image{Base64: b}}}, nil
	}
	if strings.ContainsAny(like, "/\\") || strings.HasPrefix(like, ".") {
		return nil, usagef("--like %s: no such file (give an image file, an image URL or an input id)", like)
	}
	return &pb.Annotation{InputId: like}, nil
}
