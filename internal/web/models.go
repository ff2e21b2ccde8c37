package web

import (
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"path"
	"strings"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/inference"
)

// builtinApp is the public app that holds the built-in models, which every
// user reaches.
var builtinApp = clavis.AppRef{OwnerID: "clarifai", AppID: "main"}

// The upload of the model playground: one image, within the API's limit,
// with the form's few fields around it.
const (
	maxUploadBytes = inference.MaxImageBytes + maxFormBytes
	// maxUploadMemory is what a multipart form keeps in memory; the rest
	// of an upload waits in a temporary file until the request ends.
	maxUploadMemory = 1 << 20
)

// appHead is the header of an app's pages: the app, how the caller reaches
// it, and the tab shown.
type appHead struct {
	App    *clavis.App
	Path   string
	Role   string
	Public bool
	Tab    string // "settings", "models" or "inputs"
	// Inputs shows the Inputs tab: every app but the built-in models'.
	Inputs bool
}

func (rq *request) appHead(app *clavis.App, tab string) appHead {
	return appHead{App: app, Path: appPath(app.Ref()), Role: roleLabel(rq.acc.Role), Public: app.Visibility == clavis.VisibilityPublic, Tab: tab,
		Inputs: app.Ref() != builtinApp}
}

// modelRow is a model as the lists show it.
type modelRow struct {
	Model clavis.Model
	Path  string
	Kind  string
}

func newModelRow(m clavis.Model) modelRow {
	return modelRow{Model: m, Path: modelPath(m), Kind: modelKind(m.TypeID)}
}

func modelPath(m clavis.Model) string {
	return appPath(clavis.AppRef{OwnerID: m.OwnerID, AppID: m.AppID}) + "/models/" + url.PathEscape(m.ID)
}

// modelKind names a model type for people.
func modelKind(typeID string) string {
	switch typeID {
	case clavis.ModelTypeClassifier:
		return "Classifier"
	case clavis.ModelTypeDetector:
		return "Detector"
	case clavis.ModelTypeOCR:
		return "Text recognition (OCR)"
	case clavis.ModelTypeColor:
		return "Colors"
	}
	return typeID
}

type modelsData struct {
	Head appHead
	Own  []modelRow
	// Builtin lists the models of clarifai/main on any other app's page:
	// every user may predict with them.
	Builtin     []modelRow
	BuiltinNote string
	IsBuiltin   bool
}

func (h *Handler) modelsPage(rq *request) error {
	app := rq.acc.App
	d := modelsData{Head: rq.appHead(app, "models"), IsBuiltin: app.Ref() == builtinApp}
	for _, m := range h.svc.ListModels(rq.ctx(), rq.acc, "", all) {
		d.Own = append(d.Own, newModelRow(m))
	}
	if !d.IsBuiltin {
		acc, err := rq.authorizeOn(v2+"ListModels", builtinApp.OwnerID, builtinApp.AppID)
		if err != nil {
			if clavis.ErrorCode(err) == clavis.EInternal {
				return err
			}
			d.BuiltinNote = clavis.ErrorMessage(err)
		} else {
			for _, m := range h.svc.ListModels(rq.ctx(), acc, "", all) {
				d.Builtin = append(d.Builtin, newModelRow(m))
			}
		}
	}
	return rq.render(http.StatusOK, "models.html", view{Title: "Models of " + app.ID, Nav: navOf(app), Data: d})
}

// navOf is the navigation item an app's pages belong to: Models for the
// built-in models' app, Apps for every other.
func navOf(app *clavis.App) string {
	if app.Ref() == builtinApp {
		return "models"
	}
	return "apps"
}

// modelPage is a model's page: what it is, the playground, and the same
// call in code.
type modelPage struct {
	Head     appHead
	Model    clavis.Model
	Version  clavis.ModelVersion
	Path     string
	Kind     string
	Concepts []clavis.Concept // the first of the model's fixed concepts
	// MoreConcepts counts the fixed concepts not in Concepts.
	MoreConcepts int
	// Predicts is false when the caller may see the model but not predict.
	Predicts bool
	MaxMB    int
	URL      string // the image URL tried, if any
	Result   *prediction
	Snippets []snippet
}

// shownConcepts bounds the concepts listed on a model's page and in a
// prediction.
const shownConcepts = 20

func (h *Handler) modelDetails(rq *request) (modelPage, error) {
	reg, ver, err := h.svc.GetModel(rq.ctx(), rq.acc, rq.r.PathValue("model"), "")
	if err != nil {
		return modelPage{}, err
	}
	m := reg.Model
	p := modelPage{Head: rq.appHead(rq.acc.App, "models"), Model: m, Version: ver, Path: modelPath(m), Kind: modelKind(m.TypeID),
		MaxMB: inference.MaxImageBytes >> 20}
	p.Concepts = m.Concepts[:min(len(m.Concepts), shownConcepts)]
	p.MoreConcepts = len(m.Concepts) - len(p.Concepts)
	_, err = rq.authorize(v2 + "PostModelOutputs")
	p.Predicts = err == nil
	p.Snippets = snippets(rq, m, snippetImage{URL: exampleImageURL})
	return p, nil
}

func (h *Handler) modelPage(rq *request) error {
	p, err := h.modelDetails(rq)
	if err != nil {
		return err
	}
	return rq.render(http.StatusOK, "model.html", view{Title: p.Model.Name, Nav: navOf(rq.acc.App), Data: p})
}

// predict runs the model on the image of the playground's form, a file or
// a URL, and answers the model's page with the prediction drawn on the
// image. The route authorizes PostModelOutputs; the model page's parts
// (GetModel) are authorized as their own route would.
func (h *Handler) predict(rq *request) error {
	predictAcc := rq.acc
	getAcc, err := rq.authorize(v2 + "GetModel")
	if err != nil {
		return err
	}
	rq.acc = getAcc
	p, err := h.modelDetails(rq)
	if err != nil {
		return err
	}
	rq.acc = predictAcc
	v := view{Title: p.Model.Name, Nav: navOf(getAcc.App), Data: &p}
	img, err := h.playgroundImage(rq, &p)
	if err != nil {
		return rq.formError(err, "model.html", v)
	}
	defer img.release()
	_, _, results, err := h.svc.Predict(rq.ctx(), rq.acc, p.Model.ID, "", []clavis.Input{{ImageBytes: img.data}}, clavis.OutputConfig{})
	if err == nil {
		err = results[0].Err
	}
	if err != nil {
		return rq.formError(err, "model.html", v)
	}
	if p.Result, err = newPrediction(img.data, results[0].Prediction); err != nil {
		return rq.formError(err, "model.html", v)
	}
	p.Snippets = snippets(rq, p.Model, img.snippet)
	return rq.render(http.StatusOK, "model.html", v)
}

// playgroundImage is the image a playground form sent, with what the code
// snippets say of it.
type playgroundImage struct {
	data    []byte
	release func()
	snippet snippetImage
}

// playgroundImage reads the form's image: the uploaded file, else the URL,
// fetched by the engine's fetcher as the API would fetch it.
func (h *Handler) playgroundImage(rq *request, p *modelPage) (*playgroundImage, error) {
	p.URL = rq.form("url")
	if fh := uploaded(rq.r.MultipartForm, "image"); fh != nil {
		data, err := readUpload(fh)
		if err != nil {
			return nil, err
		}
		return &playgroundImage{data: data, release: func() {}, snippet: snippetImage{File: path.Base(strings.ReplaceAll(fh.Filename, `\`, "/"))}}, nil
	}
	if p.URL == "" {
		return nil, clavis.Errorf(clavis.EInputInvalid, "choose an image file, drop one on the form, or give the URL of an image")
	}
	data, release, err := h.svc.FetchImage(rq.ctx(), p.URL)
	if err != nil {
		return nil, err
	}
	return &playgroundImage{data: data, release: release, snippet: snippetImage{URL: p.URL}}, nil
}

// uploaded returns the non-empty file of a multipart form's field, or nil.
func uploaded(f *multipart.Form, field string) *multipart.FileHeader {
	if f == nil {
		return nil
	}
	for _, fh := range f.File[field] {
		if fh.Size > 0 {
			return fh
		}
	}
	return nil
}

func readUpload(fh *multipart.FileHeader) ([]byte, error) {
	if fh.Size > inference.MaxImageBytes {
		return nil, clavis.Errorf(clavis.EInputTooLarge, "the image is %d bytes; the limit is %d", fh.Size, inference.MaxImageBytes)
	}
	f, err := fh.Open()
	if err != nil {
		return nil, clavis.Internal(err)
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, clavis.Internal(err)
	}
	return data, nil
}

// uploadError turns a failure to read an upload form into the error the
// user sees: an image over the API's limit is said so.
func uploadError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return clavis.Errorf(clavis.EInputTooLarge, "the upload is over %d MB: images may be at most %d MB, as in the API", maxUploadBytes>>20, inference.MaxImageBytes>>20)
	}
	return clavis.Errorf(clavis.EInvalid, "the form could not be read: %v", err)
}

// prediction is a prediction as the playground draws it.
type prediction struct {
	Image         template.URL // the image, as a data: URL
	Width, Height int          // its size in pixels: the overlay's units
	FontSize      float64      // of the labels, in the image's pixels
	Concepts      []conceptBar
	MoreConcepts  int
	Regions       []regionBox
	Colors        []colorSwatch
	Text          bool // the regions carry text (OCR)
}

type conceptBar struct {
	Name, ID string
	Value    float32
	Percent  string // the value as a percentage, for the bar's width
}

func newConceptBar(c clavis.Concept) conceptBar {
	name := c.Name
	if name == "" {
		name = c.ID
	}
	return conceptBar{Name: name, ID: c.ID, Value: c.Value, Percent: fmt.Sprintf("%.1f", 100*c.Value)}
}

// regionBox is a region in the image's pixels, with its label placed
// above the box, or inside it at the image's top edge.
type regionBox struct {
	N              int
	X, Y, W, H     float64
	Label          string
	LabelX, LabelY float64 // where the label's text starts
	LabelTop       float64 // the label's background
	LabelW, LabelH float64
	FontSize       float64
	// Fit stretches the label to LabelW: OCR text covers its line exactly.
	Fit                  bool
	Value                float32
	Text                 string
	Concept, ConceptName string
	// Points is a polygon's, as SVG lists them; "" for a box.
	Points string
}

type colorSwatch struct {
	Hex, W3CHex, W3CName string
	Value                float32
	Percent              string
	X, W                 string // its part of the stacked bar, in percent
}

func newPrediction(data []byte, p *clavis.Prediction) (*prediction, error) {
	ct := http.DetectContentType(data)
	if !strings.HasPrefix(ct, "image/") {
		return nil, clavis.Errorf(clavis.EInputBytes, "the file is not an image (%s)", ct)
	}
	w, hgt, err := inference.ImageSize(data)
	if err != nil {
		return nil, err
	}
	out := &prediction{Image: template.URL("data:" + ct + ";base64," + base64.StdEncoding.EncodeToString(data)), Width: w, Height: hgt}
	out.FontSize = max(14, float64(max(w, hgt))/30)
	for i, c := range p.Concepts {
		if i == shownConcepts {
			out.MoreConcepts = len(p.Concepts) - i
			break
		}
		out.Concepts = append(out.Concepts, newConceptBar(c))
	}
	for i, r := range p.Regions {
		b := regionBox{N: i + 1, X: float64(r.Box.Left) * float64(w), Y: float64(r.Box.Top) * float64(hgt),
			W: float64(r.Box.Right-r.Box.Left) * float64(w), H: float64(r.Box.Bottom-r.Box.Top) * float64(hgt), Value: r.Value, Text: r.Text}
		switch {
		case r.Text != "":
			b.Label = r.Text
			out.Text = true
		case len(r.Concepts) > 0:
			top := r.Concepts[0]
			b.Concept, b.ConceptName, b.Value = top.ID, top.Name, top.Value
			b.Label = fmt.Sprintf("%d %s %.0f%%", b.N, top.Name, 100*top.Value)
		default:
			b.Label = fmt.Sprintf("%d", i+1)
		}
		out.placeLabel(&b)
		out.Regions = append(out.Regions, b)
	}
	x := float32(0)
	for _, c := range p.Colors {
		out.Colors = append(out.Colors, colorSwatch{Hex: c.Hex, W3CHex: c.W3CHex, W3CName: c.W3CName, Value: c.Value,
			Percent: fmt.Sprintf("%.1f", 100*c.Value), X: fmt.Sprintf("%.2f", 100*x), W: fmt.Sprintf("%.2f", 100*c.Value)})
		x += c.Value
	}
	return out, nil
}

// placeLabel places a region's label. Recognised text covers its own box,
// stretched to the box's width; a concept goes on a band above the box, or
// inside it when the box touches the image's top edge, as wide as its
// length makes it (the overlay has no text metrics).
func (p *prediction) placeLabel(b *regionBox) {
	if b.Text != "" {
		b.Fit, b.FontSize = true, max(1, b.H*0.72)
		b.LabelTop, b.LabelH, b.LabelW = b.Y, b.H, b.W
		b.LabelX, b.LabelY = b.X, b.Y+b.H*0.78
		return
	}
	b.FontSize = p.FontSize
	band := p.FontSize * 1.4
	b.LabelH = band
	b.LabelX = b.X + p.FontSize*0.4
	b.LabelW = min(float64(len([]rune(b.Label)))*p.FontSize*0.62+p.FontSize*0.8, float64(p.Width)-b.X)
	b.LabelTop = b.Y - band
	if b.LabelTop < 0 {
		b.LabelTop = b.Y
	}
	b.LabelY = b.LabelTop + p.FontSize*1.05
}
