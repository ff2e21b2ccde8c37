package web

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/inference"
	"github.com/clavis-dev/clavis/internal/service"
)

// inputsPerPage is the size of a page of the inputs grid.
const inputsPerPage = 24

// shownLabels bounds the concepts a card of the grid shows.
const shownLabels = 3

// statusView is an input's status as people read it.
type statusView struct {
	Code  clavis.InputStatus
	Label string
	Class string // the badge's look
	Done  bool   // final: the grid stops polling for it
}

func newStatusView(s clavis.InputStatus) statusView {
	v := statusView{Code: s, Done: s.Done()}
	switch s {
	case clavis.InputSuccess:
		v.Label, v.Class = "Processed", "public"
	case clavis.InputPending:
		v.Label, v.Class = "Queued", "private"
	case clavis.InputInProgress:
		v.Label, v.Class = "Processing", "warn"
	case clavis.InputFailed:
		v.Label, v.Class = "Failed", "danger"
	default:
		v.Label, v.Class = strconv.Itoa(int(s)), "private"
	}
	return v
}

// hostedURL is the path of an input's stored image on this site, which
// the browser loads with the session's cookie; "" before it is stored.
func (h *Handler) hostedURL(in *clavis.StoredInput) string {
	if in.Blob == nil || h.hostedPath == "" {
		return ""
	}
	return h.hostedPath + "/orig/users/" + url.PathEscape(in.App.OwnerID) + "/apps/" + url.PathEscape(in.App.AppID) +
		"/inputs/" + url.PathEscape(in.ID)
}

func inputPath(app clavis.AppRef, id string) string {
	return appPath(app) + "/inputs/" + url.PathEscape(id)
}

// inputCard is an input as the grid shows it.
type inputCard struct {
	ID, Path, Image string
	Alt             string // the file's name it was uploaded from, or its id
	Width, Height   int
	Status          statusView
	Details         string
	// Labels are the users' concepts; Predicted the base model's top ones.
	Labels    []string
	Predicted []string
	Metadata  string // compact JSON, shortened
	Score     string // a search's score of the input
}

type inputsData struct {
	Head   appHead
	Path   string // the grid's path
	Cards  []inputCard
	Counts *clavis.InputCounts // nil when the caller may not count
	// Filters link to the grid of each status, with its count.
	Filters   []statusFilter
	Status    clavis.InputStatus // the status shown, 0 for all
	Page      int
	Prev      string
	Next      string
	CanAdd    bool
	CanDelete bool
	MaxMB     int
	Pending   bool // some card is not final: the page polls
	// CanSearch shows the search box; Search is the search shown, nil on
	// the grid of all inputs.
	CanSearch bool
	Search    *searchView
}

// statusFilter is a link to the inputs of one status.
type statusFilter struct {
	Label   string
	Href    string
	Count   int
	Current bool
}

// inputsPage is an app's inputs as a grid of thumbnails, newest first.
func (h *Handler) inputsPage(rq *request) error {
	d, err := h.inputsGrid(rq)
	if err != nil {
		return err
	}
	return rq.render(http.StatusOK, "inputs.html", view{Title: "Inputs of " + rq.acc.App.ID, Nav: "apps", Data: d})
}

func (h *Handler) inputsGrid(rq *request) (*inputsData, error) {
	app := rq.acc.App
	n, _ := strconv.Atoi(rq.r.URL.Query().Get("page"))
	n = max(1, n)
	d := &inputsData{Head: rq.appHead(app, "inputs"), Path: appPath(app.Ref()) + "/inputs", Page: n, MaxMB: inference.MaxImageBytes >> 20}
	if st, err := strconv.Atoi(rq.r.URL.Query().Get("status")); err == nil && clavis.InputStatus(st).Valid() {
		d.Status = clavis.InputStatus(st)
	}
	vs, err := h.svc.ListInputs(rq.ctx(), rq.acc, nil, d.Status, clavis.Page{Number: n, Size: inputsPerPage})
	if err != nil {
		return nil, err
	}
	// The input after this page, on a page of one, says whether there is a
	// next page.
	after, err := h.svc.ListInputs(rq.ctx(), rq.acc, nil, d.Status, clavis.Page{Number: n*inputsPerPage + 1, Size: 1})
	if err != nil {
		return nil, err
	}
	pageLink := func(n int) string {
		q := url.Values{"page": {strconv.Itoa(n)}}
		if d.Status != 0 {
			q.Set("status", strconv.Itoa(int(d.Status)))
		}
		return d.Path + "?" + q.Encode()
	}
	if len(vs) == inputsPerPage && len(after) > 0 {
		d.Next = pageLink(n + 1)
	}
	if n > 1 {
		d.Prev = pageLink(n - 1)
	}
	predicted, err := h.predictedConcepts(rq, vs)
	if err != nil {
		return nil, err
	}
	for _, v := range vs {
		c := h.newInputCard(v, predicted)
		d.Pending = d.Pending || !c.Status.Done
		d.Cards = append(d.Cards, c)
	}
	if acc, err := rq.authorize(v2 + "GetInputCount"); err == nil {
		counts, err := h.svc.CountInputs(rq.ctx(), acc)
		if err != nil {
			return nil, err
		}
		d.Counts = &counts
		all := counts.Success + counts.Pending + counts.InProgress + counts.Failed
		d.Filters = append(d.Filters, statusFilter{Label: "All", Href: d.Path, Count: all, Current: d.Status == 0})
		for _, f := range []struct {
			st clavis.InputStatus
			n  int
		}{{clavis.InputSuccess, counts.Success}, {clavis.InputPending, counts.Pending}, {clavis.InputInProgress, counts.InProgress}, {clavis.InputFailed, counts.Failed}} {
			d.Filters = append(d.Filters, statusFilter{Label: newStatusView(f.st).Label, Href: d.Path + "?status=" + strconv.Itoa(int(f.st)), Count: f.n, Current: d.Status == f.st})
		}
	}
	_, err = rq.authorize(v2 + "PostInputs")
	d.CanAdd = err == nil
	_, err = rq.authorize(v2 + "DeleteInputs")
	d.CanDelete = err == nil
	_, err = rq.authorize(v2 + "PostInputsSearches")
	d.CanSearch = err == nil
	return d, nil
}

// newInputCard is an input's card, with the concepts predicted for it.
func (h *Handler) newInputCard(v *service.InputView, predicted map[string][]string) inputCard {
	c := inputCard{ID: v.ID, Path: inputPath(v.App, v.ID), Image: h.hostedURL(v.StoredInput), Alt: altText(v.StoredInput),
		Width: v.Image.Width, Height: v.Image.Height, Status: newStatusView(v.Status), Details: v.StatusDetails,
		Metadata: shortJSON(v.Metadata, 80), Predicted: predicted[v.ID]}
	for _, l := range v.Concepts {
		if len(c.Labels) == shownLabels {
			break
		}
		if l.Value > 0 {
			c.Labels = append(c.Labels, conceptName(l))
		}
	}
	return c
}

// predictedConcepts returns the top concepts models predicted for the
// inputs, by input, when the caller may list annotations.
func (h *Handler) predictedConcepts(rq *request, vs []*service.InputView) (map[string][]string, error) {
	out := map[string][]string{}
	if len(vs) == 0 {
		return out, nil
	}
	acc, err := rq.authorize(v2 + "ListAnnotations")
	if err != nil {
		return out, nil
	}
	ids := make([]string, len(vs))
	for i, v := range vs {
		ids[i] = v.ID
	}
	anns, err := clavis.All(func(p clavis.Page) ([]*clavis.Annotation, error) {
		return h.svc.ListAnnotations(rq.ctx(), acc, service.AnnotationQuery{InputIDs: ids, All: true}, p)
	})
	if err != nil {
		return nil, err
	}
	for _, a := range anns {
		if a.Worker.Model == nil || !a.InputLevel || len(out[a.InputID]) > 0 {
			continue
		}
		cs := slices.Clone(a.Concepts)
		slices.SortStableFunc(cs, func(x, y clavis.Concept) int { return cmp.Compare(y.Value, x.Value) })
		for _, c := range cs[:min(len(cs), shownLabels)] {
			out[a.InputID] = append(out[a.InputID], conceptName(c))
		}
	}
	return out, nil
}

// altText describes an input's image for those who do not see it: the
// name of the file it was uploaded from, else its id.
func altText(in *clavis.StoredInput) string {
	if f, ok := in.Metadata["filename"].(string); ok && f != "" {
		return f
	}
	return "Input " + in.ID
}

func conceptName(c clavis.Concept) string {
	if c.Name != "" {
		return c.Name
	}
	return c.ID
}

// shortJSON is m as compact JSON, cut to about n characters; "" for an
// empty object.
func shortJSON(m map[string]any, n int) string {
	if len(m) == 0 {
		return ""
	}
	b, err := json.Marshal(m)
	if err != nil {
		return ""
	}
	if r := []rune(string(b)); len(r) > n {
		return string(r[:n]) + "…"
	}
	return string(b)
}

// uploadResult is the outcome of one uploaded file.
type uploadResult struct {
	File   string `json:"file"`
	ID     string `json:"id,omitempty"`
	Path   string `json:"path,omitempty"`
	Status string `json:"status,omitempty"`
	Error  string `json:"error,omitempty"`
}

// wantsJSON reports whether the request is the portal's script asking for
// a JSON answer (the uploader) rather than a page.
func (rq *request) wantsJSON() bool {
	return strings.Contains(rq.r.Header.Get("Accept"), "application/json")
}

// uploadInputs adds the images of the upload form as inputs of the app,
// under PostInputs' rule: each file on its own, within the API's limits
// (the form's body is bounded by one image's limit, so the script sends
// one file a request). The script gets JSON; a form without it, the grid.
func (h *Handler) uploadInputs(rq *request) error {
	var files []string
	var ins []service.NewInput
	results := []uploadResult{}
	if f := rq.r.MultipartForm; f != nil {
		for _, fh := range f.File["image"] {
			if fh.Size == 0 {
				continue
			}
			name := path.Base(strings.ReplaceAll(fh.Filename, `\`, "/"))
			data, err := readUpload(fh)
			if err != nil {
				results = append(results, uploadResult{File: name, Error: clavis.ErrorMessage(err)})
				continue
			}
			files = append(files, name)
			// The file's name stays with the input, as its metadata.
			ins = append(ins, service.NewInput{ImageBytes: data, Metadata: map[string]any{"filename": name}})
		}
	}
	if len(ins) == 0 && len(results) == 0 {
		return clavis.Errorf(clavis.EInputInvalid, "choose one or more image files to upload")
	}
	if len(ins) > 0 {
		added, _, err := h.svc.AddInputs(rq.ctx(), rq.acc, "", service.ConflictSkip, ins)
		if err != nil {
			return err
		}
		for i, a := range added {
			r := uploadResult{File: files[i], ID: a.ID}
			if a.Err != nil {
				if clavis.ErrorCode(a.Err) == clavis.EInternal {
					return a.Err
				}
				r.Error = clavis.ErrorMessage(a.Err)
			} else {
				r.Path, r.Status = inputPath(rq.acc.App.Ref(), a.ID), newStatusView(a.Input.Status).Label
			}
			results = append(results, r)
		}
	}
	var failed []string
	for _, r := range results {
		if r.Error != "" {
			failed = append(failed, r.File+": "+r.Error)
		}
	}
	if rq.wantsJSON() {
		status := http.StatusOK
		if len(failed) == len(results) {
			status = http.StatusBadRequest
		}
		return rq.writeJSON(status, map[string]any{"inputs": results})
	}
	if len(failed) == 0 {
		rq.redirect(appPath(rq.acc.App.Ref()) + "/inputs?done=inputs-added")
		return nil
	}
	// The grid is ListInputs': shown when the caller may list.
	acc, err := rq.authorize(v2 + "ListInputs")
	if err != nil {
		return clavis.Errorf(clavis.EInvalid, "%s", strings.Join(failed, "; "))
	}
	rq.acc = acc
	d, err := h.inputsGrid(rq)
	if err != nil {
		return err
	}
	v := view{Title: "Inputs of " + acc.App.ID, Nav: "apps", Data: d, Error: strings.Join(failed, "; ")}
	if n := len(results) - len(failed); n > 0 {
		v.Notice = plural(n, "image") + " added."
	}
	return rq.render(http.StatusBadRequest, "inputs.html", v)
}

// writeJSON answers the portal's script.
func (rq *request) writeJSON(status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return clavis.Internal(err)
	}
	hd := rq.w.Header()
	hd.Set("Content-Type", "application/json")
	hd.Set("Cache-Control", "no-store")
	rq.w.WriteHeader(status)
	rq.w.Write(append(b, '\n'))
	return nil
}

// inputPage is an input's page: its image with the regions of its
// annotations drawn over it, its labels, annotations and metadata.
type inputPage struct {
	Head          appHead
	Input         *service.InputView
	Path, Grid    string
	Image, Alt    string
	Width, Height int
	Status        statusView
	Regions       []regionBox
	Annotations   []annotationView
	// AnnotationsNote says why annotations are not shown.
	AnnotationsNote string
	Labels          []conceptBar
	Metadata        string
	CanDelete       bool
	// Similar searches the inputs that look like this one.
	Similar string
}

// annotationView is one annotation as the input's page lists it.
type annotationView struct {
	ID       string
	By       string
	Model    bool
	Concepts []conceptBar
	Regions  int
}

func (h *Handler) inputPage(rq *request) error {
	v, err := h.svc.GetInput(rq.ctx(), rq.acc, rq.r.PathValue("input"))
	if err != nil {
		return err
	}
	app := rq.acc.App.Ref()
	p := inputPage{Head: rq.appHead(rq.acc.App, "inputs"), Input: v, Path: inputPath(app, v.ID), Grid: appPath(app) + "/inputs",
		Image: h.hostedURL(v.StoredInput), Alt: altText(v.StoredInput), Width: v.Image.Width, Height: v.Image.Height, Status: newStatusView(v.Status)}
	for _, c := range v.Concepts {
		p.Labels = append(p.Labels, newConceptBar(c))
	}
	if len(v.Metadata) > 0 {
		if b, err := json.MarshalIndent(v.Metadata, "", "  "); err == nil {
			p.Metadata = string(b)
		}
	}
	if acc, err := rq.authorize(v2 + "ListAnnotations"); err != nil {
		if clavis.ErrorCode(err) == clavis.EInternal {
			return err
		}
		p.AnnotationsNote = clavis.ErrorMessage(err)
	} else {
		anns, err := clavis.All(func(pg clavis.Page) ([]*clavis.Annotation, error) {
			return h.svc.ListAnnotations(rq.ctx(), acc, service.AnnotationQuery{InputIDs: []string{v.ID}, All: true}, pg)
		})
		if err != nil {
			return err
		}
		p.addAnnotations(anns)
	}
	_, err = rq.authorize(v2 + "DeleteInput")
	p.CanDelete = err == nil
	if _, err := rq.authorize(v2 + "PostInputsSearches"); err == nil {
		p.Similar = similarLink(app, v.ID)
	}
	return rq.render(http.StatusOK, "input.html", view{Title: "Input " + v.ID, Nav: "apps", Data: p})
}

// addAnnotations lists the annotations and places their regions over the
// image, in its pixels.
func (p *inputPage) addAnnotations(anns []*clavis.Annotation) {
	draw := prediction{Width: p.Width, Height: p.Height, FontSize: max(14, float64(max(p.Width, p.Height))/30)}
	for _, a := range anns {
		av := annotationView{ID: a.ID, By: "user " + a.Worker.UserID, Regions: len(a.Regions)}
		if m := a.Worker.Model; m != nil {
			av.By, av.Model = "model "+m.ID, true
		}
		cs := slices.Clone(a.Concepts)
		if av.Model {
			slices.SortStableFunc(cs, func(x, y clavis.Concept) int { return cmp.Compare(y.Value, x.Value) })
		}
		for _, c := range cs[:min(len(cs), shownConcepts)] {
			av.Concepts = append(av.Concepts, newConceptBar(c))
		}
		p.Annotations = append(p.Annotations, av)
		if p.Width == 0 || p.Height == 0 {
			continue // not stored yet: nothing to draw on
		}
		for _, r := range a.Regions {
			p.Regions = append(p.Regions, draw.region(len(p.Regions)+1, r))
		}
	}
}

// region places a stored region over the image: its box, or the polygon
// with the box around it for the label.
func (p *prediction) region(n int, r clavis.Region) regionBox {
	w, hgt := float64(p.Width), float64(p.Height)
	box := r.Box
	var pts []string
	if len(r.Polygon) > 0 {
		box = clavis.BoundingBox{Top: 1, Left: 1}
		for _, pt := range r.Polygon {
			box.Top, box.Bottom = min(box.Top, pt.Row), max(box.Bottom, pt.Row)
			box.Left, box.Right = min(box.Left, pt.Col), max(box.Right, pt.Col)
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", float64(pt.Col)*w, float64(pt.Row)*hgt))
		}
	}
	b := regionBox{N: n, X: float64(box.Left) * w, Y: float64(box.Top) * hgt, W: float64(box.Right-box.Left) * w, H: float64(box.Bottom-box.Top) * hgt,
		Value: r.Value, Text: r.Text, Points: strings.Join(pts, " ")}
	switch {
	case r.Text != "":
		b.Label = r.Text
	case len(r.Concepts) > 0:
		top := r.Concepts[0]
		b.Concept, b.ConceptName, b.Value = top.ID, conceptName(top), top.Value
		b.Label = fmt.Sprintf("%d %s", n, b.ConceptName)
	default:
		b.Label = strconv.Itoa(n)
	}
	// Stored text is labelled like a concept: the page is no OCR overlay.
	text := b.Text
	b.Text = ""
	p.placeLabel(&b)
	b.Text = text
	return b
}

// deleteInputPage confirms the deletion of one input.
func (h *Handler) deleteInputPage(rq *request) error {
	v, err := h.svc.GetInput(rq.ctx(), rq.acc, rq.r.PathValue("input"))
	if err != nil {
		return err
	}
	app := rq.acc.App.Ref()
	return rq.render(http.StatusOK, "confirm.html", view{Title: "Delete input", Nav: "apps", Data: confirmPage{
		Heading: "Delete input " + v.ID + "?",
		What:    "This deletes the input from " + app.String() + " with its image and every annotation of it, for good.",
		Action:  inputPath(app, v.ID) + "/delete", Cancel: inputPath(app, v.ID), Button: "Delete this input",
	}})
}

func (h *Handler) deleteInput(rq *request) error {
	if err := h.svc.DeleteInput(rq.ctx(), rq.acc, rq.r.PathValue("input")); err != nil {
		return err
	}
	rq.redirect(appPath(rq.acc.App.Ref()) + "/inputs?done=input-deleted")
	return nil
}

// deleteInputs deletes the inputs selected on the grid, after a
// confirmation that names them. Ids the app does not have are ignored, as
// DeleteInputs ignores them.
func (h *Handler) deleteInputs(rq *request) error {
	app := rq.acc.App.Ref()
	var ids []string
	for _, id := range rq.r.PostForm["id"] {
		if id = strings.TrimSpace(id); id != "" && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return clavis.Errorf(clavis.EInvalid, "select the inputs to delete first")
	}
	if len(ids) > service.MaxBatch {
		return clavis.Errorf(clavis.EInvalid, "%d inputs selected; at most %d are deleted at once", len(ids), service.MaxBatch)
	}
	if rq.form("confirmed") != "1" {
		return rq.render(http.StatusOK, "confirm.html", view{Title: "Delete inputs", Nav: "apps", Data: confirmPage{
			Heading: "Delete " + plural(len(ids), "input") + "?",
			What:    "This deletes these inputs from " + app.String() + " with their images and every annotation of them, for good:",
			Items:   ids, IDs: ids,
			Action: appPath(app) + "/inputs/delete", Cancel: appPath(app) + "/inputs", Button: "Delete " + plural(len(ids), "input"),
		}})
	}
	if err := h.svc.DeleteInputs(rq.ctx(), rq.acc, ids); err != nil {
		return err
	}
	rq.redirect(appPath(app) + "/inputs?done=inputs-deleted")
	return nil
}
