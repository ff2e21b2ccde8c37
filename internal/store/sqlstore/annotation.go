package sqlstore

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/clavis-dev/clavis/clavis"
)

type annotations struct{ v view }

const annotationCols = `id, input_id, user_id, model_owner_id, model_app_id, model_id, model_version_id, input_level, data, created_at, updated_at`

// annotationData is how an annotation's concepts and regions are stored, in
// column data.
type annotationData struct {
	Concepts []conceptData `json:"concepts,omitempty"`
	Regions  []regionData  `json:"regions,omitempty"`
}

type conceptData struct {
	ID    string  `json:"id"`
	Name  string  `json:"name,omitempty"`
	Value float32 `json:"value"`
}

type regionData struct {
	ID       string             `json:"id"`
	Box      clavis.BoundingBox `json:"box"`
	Polygon  []clavis.Point     `json:"polygon,omitempty"`
	Value    float32            `json:"value,omitempty"`
	Concepts []conceptData      `json:"concepts,omitempty"`
	Text     string             `json:"text,omitempty"`
}

func toConceptData(cs []clavis.Concept) []conceptData {
	out := make([]conceptData, len(cs))
	for i, c := range cs {
		out[i] = conceptData{ID: c.ID, Name: c.Name, Value: c.Value}
	}
	return out
}

func fromConceptData(cs []conceptData) []clavis.Concept {
	out := make([]clavis.Concept, len(cs))
	for i, c := range cs {
		out[i] = clavis.Concept{ID: c.ID, Name: c.Name, Value: c.Value}
	}
	return out
}

func encodeAnnotation(a *clavis.Annotation) (string, error) {
	d := annotationData{Concepts: toConceptData(a.Concepts)}
	for _, r := range a.Regions {
		d.Regions = append(d.Regions, regionData{ID: r.ID, Box: r.Box, Polygon: r.Polygon, Value: r.Value, Concepts: toConceptData(r.Concepts), Text: r.Text})
	}
	b, err := json.Marshal(d)
	return string(b), err
}

func scanAnnotation(app clavis.AppRef) func(scanner) (*clavis.Annotation, error) {
	return func(row scanner) (*clavis.Annotation, error) {
		a := clavis.Annotation{App: app}
		var model clavis.ModelRef
		var data string
		var created, updated int64
		if err := row.Scan(&a.ID, &a.InputID, &a.Worker.UserID, &model.App.OwnerID, &model.App.AppID, &model.ID, &model.VersionID,
			&a.InputLevel, &data, &created, &updated); err != nil {
			return nil, err
		}
		if model.ID != "" {
			a.Worker.Model = &model
		}
		var d annotationData
		if err := json.Unmarshal([]byte(data), &d); err != nil {
			return nil, err
		}
		a.Concepts = fromConceptData(d.Concepts)
		for _, r := range d.Regions {
			a.Regions = append(a.Regions, clavis.Region{ID: r.ID, Box: r.Box, Polygon: r.Polygon, Value: r.Value, Concepts: fromConceptData(r.Concepts), Text: r.Text})
		}
		a.CreatedAt, a.UpdatedAt = fromMicros(created), fromMicros(updated)
		return &a, nil
	}
}

// insertConceptRows inserts rows of annotation_concepts: space, annotation,
// input, region, concept, value, by model.
var insertConceptRows = insert{
	head:  `INSERT INTO annotation_concepts (space_id, annotation_id, input_id, region_id, concept_id, value, by_model)`,
	tuple: `(?, ?, ?, ?, ?, ?, ?)`,
	tail:  `ON CONFLICT (space_id, annotation_id, region_id, concept_id) DO UPDATE SET value = excluded.value`,
}

// annotationConceptRows returns the rows of annotation_concepts of as, one per
// concept of an annotation or of one of its regions. A concept given twice
// in one place keeps its last value, as when each was written in turn; one
// statement may not upsert a row twice.
func annotationConceptRows(space string, as []*clavis.Annotation) [][]any {
	type key struct{ ann, region, concept string }
	at := map[key]int{}
	var rows [][]any
	add := func(a *clavis.Annotation, region string, cs []clavis.Concept) {
		for _, c := range cs {
			k := key{a.ID, region, c.ID}
			if i, ok := at[k]; ok {
				rows[i][5] = float64(c.Value)
				continue
			}
			at[k] = len(rows)
			rows = append(rows, []any{space, a.ID, a.InputID, region, c.ID, float64(c.Value), a.Worker.Model != nil})
		}
	}
	for _, a := range as {
		add(a, "", a.Concepts)
		for _, r := range a.Regions {
			add(a, r.ID, r.Concepts)
		}
	}
	return rows
}

// indexConcepts writes the rows of annotation_concepts for as; replace
// deletes their rows first (new annotations have none).
func (v view) indexConcepts(ctx context.Context, space string, as []*clavis.Annotation, replace bool) error {
	if replace {
		for _, a := range as {
			if _, err := v.exec(ctx, `DELETE FROM annotation_concepts WHERE space_id = ? AND annotation_id = ?`, space, a.ID); err != nil {
				return v.internal(err)
			}
		}
	}
	if _, err := v.insertRows(ctx, insertConceptRows, annotationConceptRows(space, as)); err != nil {
		return v.internal(err)
	}
	return nil
}

// insertAnnotations inserts rows of annotations: space, then annotationCols.
var insertAnnotations = insert{head: `INSERT INTO annotations (space_id, ` + annotationCols + `)`, tuple: `(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`}

func (s annotations) CreateAnnotations(ctx context.Context, app clavis.AppRef, as []*clavis.Annotation) error {
	if len(as) == 0 {
		return nil
	}
	return s.v.inTx(ctx, func(v view) error {
		space, err := v.space(ctx, app, false)
		if err != nil {
			return err
		}
		if space == "" {
			return clavis.InputNotFound(as[0].InputID)
		}
		rows := make([][]any, len(as))
		for i, a := range as {
			data, err := encodeAnnotation(a)
			if err != nil {
				return clavis.Internal(err)
			}
			var m clavis.ModelRef
			if a.Worker.Model != nil {
				m = *a.Worker.Model
			}
			rows[i] = []any{space, a.ID, a.InputID, a.Worker.UserID, m.App.OwnerID, m.App.AppID, m.ID, m.VersionID, a.InputLevel, data,
				micros(a.CreatedAt), micros(a.UpdatedAt)}
		}
		if failed, err := v.insertRows(ctx, insertAnnotations, rows); err != nil {
			conflict := clavis.Errorf(clavis.EConflict,
				"an annotation id of this request is taken, or one of its inputs already has an input-level annotation by this user: patch it instead")
			missing := clavis.Errorf(clavis.ENotFound, "an input of this request's annotations does not exist")
			if len(failed) == 1 {
				conflict = clavis.Errorf(clavis.EConflict,
					"annotation id %q is taken, or input %q already has an input-level annotation by this user: patch it instead", failed[0][1], failed[0][2])
				missing = clavis.InputNotFound(failed[0][2].(string))
			}
			return v.failed(err, conflict, missing)
		}
		return v.indexConcepts(ctx, space, as, false)
	})
}

func (s annotations) GetAnnotation(ctx context.Context, app clavis.AppRef, id string) (*clavis.Annotation, error) {
	space, err := s.v.space(ctx, app, false)
	if err != nil {
		return nil, err
	}
	return get(ctx, s.v, scanAnnotation(app), clavis.AnnotationNotFound(id),
		`SELECT `+annotationCols+` FROM annotations WHERE space_id = ? AND id = ?`, space, id)
}

// annotationWhere returns the conditions of f on the annotations of space.
func annotationWhere(f clavis.AnnotationFilter, space string) *where {
	w := &where{}
	w.add("space_id = ?", space)
	if len(f.IDs) > 0 {
		w.in("id", f.IDs)
	}
	if len(f.InputIDs) > 0 {
		w.in("input_id", f.InputIDs)
	}
	var or []string
	var args []any
	for _, c := range []struct {
		col  string
		vals []string
	}{{"user_id", f.UserIDs}, {"model_id", f.ModelIDs}, {"model_version_id", f.ModelVersionIDs}} {
		if len(c.vals) > 0 {
			cond, a := in(c.col, c.vals)
			or, args = append(or, cond), append(args, a...)
		}
	}
	switch {
	case len(or) > 0:
		w.add("("+strings.Join(or, " OR ")+")", args...)
	case f.UsersOnly:
		w.add("model_id = ''")
	}
	return w
}

func (s annotations) ListAnnotations(ctx context.Context, app clavis.AppRef, f clavis.AnnotationFilter, p clavis.Page) ([]*clavis.Annotation, error) {
	space, err := s.v.space(ctx, app, false)
	if err != nil || space == "" {
		return nil, err
	}
	w := annotationWhere(f, space)
	limit, offset := page(p)
	return list(ctx, s.v, scanAnnotation(app), `SELECT `+annotationCols+` FROM annotations`+w.String()+
		` ORDER BY input_id, created_at, id LIMIT ? OFFSET ?`, append(w.args, limit, offset)...)
}

func (s annotations) UpdateAnnotation(ctx context.Context, a *clavis.Annotation) error {
	data, err := encodeAnnotation(a)
	if err != nil {
		return clavis.Internal(err)
	}
	return s.v.inTx(ctx, func(v view) error {
		space, err := v.space(ctx, a.App, false)
		if err != nil {
			return err
		}
		res, err := v.exec(ctx, `UPDATE annotations SET data = ?, updated_at = ? WHERE space_id = ? AND id = ?`, data, micros(a.UpdatedAt), space, a.ID)
		if err := v.affected(res, err, clavis.AnnotationNotFound(a.ID)); err != nil {
			return err
		}
		return v.indexConcepts(ctx, space, []*clavis.Annotation{a}, true)
	})
}

func (s annotations) DeleteAnnotations(ctx context.Context, app clavis.AppRef, f clavis.AnnotationFilter) (int, error) {
	space, err := s.v.space(ctx, app, false)
	if err != nil || space == "" {
		return 0, err
	}
	w := annotationWhere(f, space)
	return s.v.execCount(ctx, `DELETE FROM annotations`+w.String(), w.args...)
}
