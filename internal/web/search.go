package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/service"
)

// searchView is a search of the inputs grid: what was asked, and how.
type searchView struct {
	By     string // "concept", "metadata", "similar" (to an input) or "image" (uploaded)
	Query  string // the text typed, or the input's id
	Title  string // what the results are, in words
	Clear  string // the grid without the search
	Action string // the search form's action
}

// Search kinds of the search box.
const (
	searchConcept  = "concept"
	searchMetadata = "metadata"
	searchSimilar  = "similar"
	searchImage    = "image"
)

// searchPage answers the search box: the inputs whose labels or base
// model's predictions hold a concept (ranked by its value), whose metadata
// holds some keys and values, or that look like an input of the app
// (?similar=id), under PostInputsSearches' rule.
func (h *Handler) searchPage(rq *request) error {
	q := rq.r.URL.Query()
	s := searchView{By: q.Get("by"), Query: strings.TrimSpace(q.Get("q"))}
	if id := strings.TrimSpace(q.Get("similar")); id != "" {
		s.By, s.Query = searchSimilar, id
	}
	req := service.SearchRequest{}
	switch s.By {
	case searchSimilar:
		req.Similar = &service.Similar{InputID: s.Query}
		s.Title = "Inputs that look like input " + s.Query
	case searchMetadata:
		m, err := parseMetadataQuery(s.Query)
		if err != nil {
			return h.searchResults(rq, s, nil, err)
		}
		req.Query.Conds = []clavis.InputCond{{Metadata: m}}
		s.Title = "Inputs whose metadata holds " + s.Query
	default:
		s.By = searchConcept
		if s.Query == "" {
			return h.searchResults(rq, s, nil, clavis.Errorf(clavis.EInvalid, "type a concept to search for, such as dog"))
		}
		req.Query.Rank = &clavis.ConceptRank{Concept: clavis.ConceptMatch{Name: s.Query}}
		s.Title = "Inputs with the concept “" + s.Query + "”"
	}
	return h.search(rq, s, req)
}

// searchImagePage answers the search box's image: the inputs that look
// like it, under PostInputsSearches' rule.
func (h *Handler) searchImagePage(rq *request) error {
	s := searchView{By: searchImage, Title: "Inputs that look like the image uploaded"}
	fh := uploaded(rq.r.MultipartForm, "image")
	if fh == nil {
		return h.searchResults(rq, s, nil, clavis.Errorf(clavis.EInputInvalid, "choose an image to find the inputs that look like it"))
	}
	data, err := readUpload(fh)
	if err != nil {
		return h.searchResults(rq, s, nil, err)
	}
	s.Title = "Inputs that look like " + path.Base(strings.ReplaceAll(fh.Filename, `\`, "/"))
	return h.search(rq, s, service.SearchRequest{Similar: &service.Similar{ImageBytes: data}})
}

func (h *Handler) search(rq *request, s searchView, req service.SearchRequest) error {
	n, _ := strconv.Atoi(rq.r.URL.Query().Get("page"))
	req.Page = clavis.Page{Number: max(1, n), Size: inputsPerPage}
	hits, err := h.svc.Search(rq.ctx(), rq.acc, req)
	return h.searchResults(rq, s, hits, err)
}

// searchResults shows the hits of a search in the grid, or the search's
// error on the search form.
func (h *Handler) searchResults(rq *request, s searchView, hits []service.SearchHit, err error) error {
	if err != nil && clavis.ErrorCode(err) == clavis.EInternal {
		return err
	}
	app := rq.acc.App
	grid := appPath(app.Ref()) + "/inputs"
	s.Clear, s.Action = grid, grid+"/searches"
	n, _ := strconv.Atoi(rq.r.URL.Query().Get("page"))
	d := &inputsData{Head: rq.appHead(app, "inputs"), Path: grid, Page: max(1, n), Search: &s, CanSearch: true}
	views := make([]*service.InputView, len(hits))
	for i, hit := range hits {
		views[i] = hit.Input
	}
	predicted, perr := h.predictedConcepts(rq, views)
	if perr != nil {
		return perr
	}
	for _, hit := range hits {
		c := h.newInputCard(hit.Input, predicted)
		c.Score = fmt.Sprintf("%.3f", hit.Score)
		d.Cards = append(d.Cards, c)
	}
	if s.By != searchImage {
		// A GET: the pages of the same search.
		link := func(n int) string {
			q := rq.r.URL.Query()
			q.Set("page", strconv.Itoa(n))
			return s.Action + "?" + q.Encode()
		}
		if len(hits) == inputsPerPage {
			d.Next = link(d.Page + 1)
		}
		if d.Page > 1 {
			d.Prev = link(d.Page - 1)
		}
	}
	_, derr := rq.authorize(v2 + "DeleteInputs")
	d.CanDelete = derr == nil
	v := view{Title: s.Title, Nav: "apps", Data: d}
	status := http.StatusOK
	if err != nil {
		v.Error, status = clavis.ErrorMessage(err), httpStatus(err)
	}
	return rq.render(status, "inputs.html", v)
}

// parseMetadataQuery reads the metadata a search asks for: a JSON object,
// or key=value, the value read as JSON when it is (a number, true, false,
// null, a quoted string) and as text otherwise; a dotted key names a key
// inside an object (a.b=1 is {"a": {"b": 1}}).
func parseMetadataQuery(q string) (map[string]any, error) {
	if strings.HasPrefix(q, "{") {
		var m map[string]any
		if err := json.Unmarshal([]byte(q), &m); err != nil {
			return nil, clavis.Errorf(clavis.EInvalid, "the metadata to search for is not a JSON object: %v", err)
		}
		return m, nil
	}
	key, raw, ok := strings.Cut(q, "=")
	key = strings.TrimSpace(key)
	if !ok || key == "" {
		return nil, clavis.Errorf(clavis.EInvalid, `search metadata as key=value (filename=cat.jpg) or a JSON object ({"filename": "cat.jpg"})`)
	}
	raw = strings.TrimSpace(raw)
	var v any
	if err := json.Unmarshal([]byte(raw), &v); err != nil {
		v = raw
	}
	parts := strings.Split(key, ".")
	for i := len(parts) - 1; i > 0; i-- {
		v = map[string]any{parts[i]: v}
	}
	return map[string]any{parts[0]: v}, nil
}

// similarLink is the search of the inputs that look like an input.
func similarLink(app clavis.AppRef, id string) string {
	return appPath(app) + "/inputs/searches?" + url.Values{"similar": {id}}.Encode()
}
