package grpcapi

import (
	"context"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/service"
	"github.com/clavis-dev/clavis/internal/vector"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
)

// PostInputsSearches searches the target app's inputs with a Search's
// query.filters and query.ranks.
func (s *Server) PostInputsSearches(ctx context.Context, req *pb.PostInputsSearchesRequest) (*pb.MultiSearchResponse, error) {
	return s.search(ctx, req.GetSearches(), nil, req.GetPagination())
}

// PostAnnotationsSearches searches the target app's inputs through their
// annotations: the same query as PostInputsSearches, with filters on
// annotations' concepts and metadata.
func (s *Server) PostAnnotationsSearches(ctx context.Context, req *pb.PostAnnotationsSearchesRequest) (*pb.MultiSearchResponse, error) {
	return s.search(ctx, req.GetSearches(), nil, req.GetPagination())
}

// PostSearches searches with the deprecated query.ands form, or with one
// Search as the other two do.
func (s *Server) PostSearches(ctx context.Context, req *pb.PostSearchesRequest) (*pb.MultiSearchResponse, error) {
	return s.search(ctx, req.GetSearches(), req.GetQuery(), req.GetPagination())
}

// search runs the one search of a request: a Search, or a bare query.
func (s *Server) search(ctx context.Context, searches []*pb.Search, query *pb.Query, pg *pb.Pagination) (*pb.MultiSearchResponse, error) {
	var search *pb.Search
	switch {
	case len(searches) > 1:
		return nil, clavis.Errorf(clavis.EInvalid, "%d searches in one request: give one", len(searches))
	case len(searches) == 1 && query != nil:
		return nil, clavis.Errorf(clavis.EInvalid, "give either query or searches, not both")
	case len(searches) == 1:
		search = searches[0]
	case query != nil:
		search = &pb.Search{Query: query}
	default:
		return nil, clavis.Errorf(clavis.EInvalid, "searches is empty: give one search with its query")
	}
	if search.GetSave() {
		return nil, clavis.Errorf(clavis.ENotImplemented, "saved searches are not supported: send the search with save false")
	}
	req, err := searchFromPB(search)
	if err != nil {
		return nil, err
	}
	req.Page = clavis.NewPage(pg.GetPage(), pg.GetPerPage())
	hits, err := s.svc.Search(ctx, access(ctx), req)
	if err != nil {
		return nil, err
	}
	prefix := s.hostedPrefix(ctx)
	resp := &pb.MultiSearchResponse{Hits: make([]*pb.Hit, len(hits)), Searches: []*pb.Search{search}}
	if query != nil {
		resp.Query = query
	}
	for i, h := range hits {
		app := h.Input.App
		resp.Hits[i] = &pb.Hit{Score: h.Score, Input: inputToPB(h.Input, prefix), UserId: app.OwnerID, AppId: app.AppID}
	}
	return resp, nil
}

// searchFromPB reads a Search: its filters, ranks and ands, algorithm,
// metric and min_value.
func searchFromPB(search *pb.Search) (service.SearchRequest, error) {
	var req service.SearchRequest
	alg, err := vector.ParseAlgorithm(search.GetAlgorithm())
	if err != nil {
		return req, err
	}
	req.Algorithm = alg
	switch search.GetMetric() {
	case pb.Search_METRIC_NOT_SET, pb.Search_EUCLIDEAN_DISTANCE:
		req.Metric = vector.Euclidean
	case pb.Search_COSINE_DISTANCE:
		req.Metric = vector.Cosine
	default:
		return req, clavis.Errorf(clavis.EInvalid, "unknown metric %d: use EUCLIDEAN_DISTANCE or COSINE_DISTANCE", search.GetMetric())
	}
	req.Query.MinScore = search.GetMinValue()
	q := search.GetQuery()
	for _, f := range q.GetFilters() {
		for _, c := range filterConds(f.GetAnnotation(), f.GetInput(), f.GetNegate()) {
			req.Query.Conds = append(req.Query.Conds, c)
		}
	}
	for _, r := range q.GetRanks() {
		if err := rankFromPB(&req, r.GetAnnotation(), r.GetNegate()); err != nil {
			return req, err
		}
	}
	for _, a := range q.GetAnds() {
		if err := andFromPB(&req, a); err != nil {
			return req, err
		}
	}
	return req, nil
}

// matches reads the concepts of a search.
func matches(cs []*pb.Concept) []clavis.ConceptMatch {
	out := make([]clavis.ConceptMatch, len(cs))
	for i, c := range cs {
		out[i] = clavis.ConceptMatch{ID: c.GetId(), Name: c.GetName(), Value: c.GetValue()}
	}
	return out
}

// predictedBy reports whether an annotation filter names a model: its
// concepts are then the model's predictions, not users' labels.
func predictedBy(a *pb.Annotation) bool {
	return a.GetModelVersionId() != "" || a.GetWorker().GetModel() != nil
}

// filterConds reads a filter on an annotation and one on an input, which
// both describe the inputs to keep. A filter on input types keeps none but
// images, which are all Clavis stores.
func filterConds(a *pb.Annotation, in *pb.Input, negate bool) []clavis.InputCond {
	c := clavis.InputCond{Negate: negate}
	set := false
	if a != nil {
		d := a.GetData()
		if predictedBy(a) {
			c.Predicted = matches(d.GetConcepts())
		} else {
			c.Labels = matches(d.GetConcepts())
		}
		if m := d.GetMetadata(); m != nil && len(m.GetFields()) > 0 {
			c.Metadata = m.AsMap()
		}
		if id := a.GetInputId(); id != "" {
			c.IDs = []string{id}
		}
		set = true
	}
	if in != nil {
		d := in.GetData()
		c.Labels = append(c.Labels, matches(d.GetConcepts())...)
		if m := d.GetMetadata(); m != nil && len(m.GetFields()) > 0 {
			if c.Metadata == nil {
				c.Metadata = m.AsMap()
			} else {
				for k, v := range m.AsMap() {
					c.Metadata[k] = v
				}
			}
		}
		if id := in.GetId(); id != "" {
			c.IDs = append(c.IDs, id)
		}
		c.Status = clavis.InputStatus(in.GetStatus().GetCode())
		if d.GetVideo() != nil || d.GetAudio() != nil || d.GetText() != nil {
			if d.GetImage() == nil {
				// Only other types: nothing matches (a negated one, all).
				return []clavis.InputCond{{Negate: !negate}}
			}
		}
		set = true
	}
	if !set || len(c.IDs) == 0 && c.Status == 0 && len(c.Labels) == 0 && len(c.Predicted) == 0 && c.Metadata == nil {
		return nil // an empty filter keeps everything
	}
	return []clavis.InputCond{c}
}

// rankFromPB reads a rank: by visual similarity to an image, an input or a
// vector, or by a concept; an empty rank (as the Node SDK sends by
// default) ranks nothing.
func rankFromPB(req *service.SearchRequest, a *pb.Annotation, negate bool) error {
	d := a.GetData()
	var sim *service.Similar
	switch {
	case d.GetImage().GetUrl() != "" || len(d.GetImage().GetBase64()) > 0:
		sim = &service.Similar{ImageURL: d.GetImage().GetUrl(), ImageBytes: d.GetImage().GetBase64()}
	case a.GetInputId() != "":
		sim = &service.Similar{InputID: a.GetInputId()}
	case len(d.GetEmbeddings()) > 0 && len(d.GetEmbeddings()[0].GetVector()) > 0:
		sim = &service.Similar{Vector: d.GetEmbeddings()[0].GetVector()}
	}
	cs := d.GetConcepts()
	if sim == nil && len(cs) == 0 {
		if d.GetText() != nil || d.GetVideo() != nil || d.GetAudio() != nil {
			return clavis.Errorf(clavis.ENotImplemented, "only images can rank a search: Clavis stores images")
		}
		return nil
	}
	if negate {
		return clavis.Errorf(clavis.ENotImplemented, "a negated rank is not supported: negate a filter instead")
	}
	if sim != nil {
		return setSimilar(req, sim)
	}
	return setConceptRank(req, cs)
}

func setSimilar(req *service.SearchRequest, sim *service.Similar) error {
	if sim.ImageURL != "" && len(sim.ImageBytes) > 0 {
		return clavis.Errorf(clavis.EInvalid, "a rank's image has both a url and base64: give one")
	}
	if req.Similar != nil {
		return clavis.Errorf(clavis.ENotImplemented, "one visual rank per search: give one image, input or vector")
	}
	req.Similar = sim
	return nil
}

// setConceptRank ranks by the first concept; further concepts of ranks
// keep the inputs that have them, as filters.
func setConceptRank(req *service.SearchRequest, cs []*pb.Concept) error {
	ms := matches(cs)
	if req.Query.Rank == nil {
		req.Query.Rank = &clavis.ConceptRank{Concept: ms[0]}
		ms = ms[1:]
	}
	for _, m := range ms {
		m.Value = 0
		req.Query.Conds = append(req.Query.Conds, clavis.InputCond{Predicted: []clavis.ConceptMatch{m}})
	}
	return nil
}

// andFromPB reads one part of the deprecated query.ands: input filters by
// the input's own data (user labels, metadata, id, status), output ranks
// by predictions (output.data.concepts) or visual similarity
// (output.input.data.image, output.input.id), annotation filters as a
// Filter's.
func andFromPB(req *service.SearchRequest, a *pb.And) error {
	if in := a.GetInput(); in != nil {
		req.Query.Conds = append(req.Query.Conds, filterConds(nil, in, a.GetNegate())...)
	}
	if ann := a.GetAnnotation(); ann != nil {
		req.Query.Conds = append(req.Query.Conds, filterConds(ann, nil, a.GetNegate())...)
	}
	out := a.GetOutput()
	if out == nil {
		return nil
	}
	if a.GetNegate() {
		return clavis.Errorf(clavis.ENotImplemented, "a negated output rank is not supported: negate an input filter instead")
	}
	img := out.GetInput().GetData().GetImage()
	switch {
	case img.GetUrl() != "" || len(img.GetBase64()) > 0:
		if err := setSimilar(req, &service.Similar{ImageURL: img.GetUrl(), ImageBytes: img.GetBase64()}); err != nil {
			return err
		}
	case out.GetInput().GetId() != "":
		if err := setSimilar(req, &service.Similar{InputID: out.GetInput().GetId()}); err != nil {
			return err
		}
	}
	if cs := out.GetData().GetConcepts(); len(cs) > 0 {
		return setConceptRank(req, cs)
	}
	return nil
}
