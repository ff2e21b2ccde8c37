package sqlstore

import (
	"context"
	"encoding/json"
	"sort"
	"strings"

	"github.com/clavis-dev/clavis/clavis"
)

// conceptRows returns the FROM and WHERE of the rows of annotation_concepts
// that give input i a whole-input concept matching m: labelled by a user
// (users), predicted by model (when set), or either.
func conceptRows(m clavis.ConceptMatch, users bool, model string) (string, []any) {
	pred, args := conceptPred(m, users, model)
	return `FROM annotation_concepts c JOIN annotations a ON a.space_id = c.space_id AND a.id = c.annotation_id
		WHERE c.space_id = i.space_id AND c.input_id = i.id` + pred, args
}

// conceptPred returns the conditions (each after AND) on a row c of
// annotation_concepts and its annotation a that make c a whole-input
// concept matching m, as conceptRows says.
func conceptPred(m clavis.ConceptMatch, users bool, model string) (string, []any) {
	var b strings.Builder
	var args []any
	b.WriteString(` AND c.region_id = '' AND a.input_level`)
	switch {
	case users && model != "":
		b.WriteString(` AND (NOT c.by_model OR a.model_id = ?)`)
		args = append(args, model)
	case model != "":
		b.WriteString(` AND c.by_model AND a.model_id = ?`)
		args = append(args, model)
	default:
		b.WriteString(` AND NOT c.by_model`)
	}
	if m.ID != "" {
		b.WriteString(` AND c.concept_id = ?`)
		args = append(args, m.ID)
	} else {
		// By name: an app's concept of that name, or the id a name is
		// written as (the built-in models' ids are their names, spaces
		// as dashes: "cell phone" is cell-phone).
		b.WriteString(` AND (c.concept_id IN (?, ?) OR c.concept_id IN (SELECT k.id FROM concepts k WHERE k.space_id = c.space_id AND k.name = ?))`)
		args = append(args, m.Name, strings.ReplaceAll(m.Name, " ", "-"), m.Name)
	}
	return b.String(), args
}

// metadataLeaves flattens a metadata filter into the paths of its values:
// nested objects become longer paths, anything else (strings, numbers,
// booleans, null, lists) is a value to equal. Paths come sorted.
func metadataLeaves(m map[string]any, prefix []string, out *[]leaf) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		path := append(append([]string(nil), prefix...), k)
		if sub, ok := m[k].(map[string]any); ok && len(sub) > 0 {
			metadataLeaves(sub, path, out)
			continue
		}
		*out = append(*out, leaf{path, m[k]})
	}
}

type leaf struct {
	path  []string
	value any
}

// condition writes c as one SQL condition on inputs i.
func (d *Dialect) condition(c clavis.InputCond, model string) (string, []any, error) {
	var w where
	if len(c.IDs) > 0 {
		w.in("i.id", c.IDs)
	}
	if c.Status != 0 {
		w.add("i.status = ?", c.Status)
	}
	for _, m := range c.Labels {
		rows, args := conceptRows(m, true, "")
		if m.Value > 0 {
			w.add("EXISTS (SELECT 1 "+rows+" AND c.value > 0)", args...)
		} else {
			w.add("EXISTS (SELECT 1 "+rows+" AND c.value <= 0)", args...)
		}
	}
	for _, m := range c.Predicted {
		rows, args := conceptRows(m, false, model)
		w.add("EXISTS (SELECT 1 "+rows+" AND c.value >= ?)", append(args, float64(m.Value))...)
	}
	var leaves []leaf
	metadataLeaves(c.Metadata, nil, &leaves)
	for _, l := range leaves {
		for _, k := range l.path {
			if strings.ContainsAny(k, "\"\\") || k == "" {
				return "", nil, clavis.Errorf(clavis.EInvalid, "metadata key %q cannot be searched: keys must be non-empty and without '\"' or '\\'", k)
			}
		}
		v, err := json.Marshal(l.value)
		if err != nil {
			return "", nil, clavis.Errorf(clavis.EInvalid, "metadata value at %s cannot be searched: %v", strings.Join(l.path, "."), err)
		}
		cond, args := d.JSONEquals("i.metadata", l.path, string(v))
		w.add(cond, args...)
	}
	if len(w.conds) == 0 {
		if c.Negate {
			return "1 = 0", nil, nil
		}
		return "1 = 1", nil, nil
	}
	s := "(" + strings.Join(w.conds, " AND ") + ")"
	if c.Negate {
		// A missing metadata key compares as NULL: not held, so kept.
		s = "NOT COALESCE(" + s + ", FALSE)"
	}
	return s, w.args, nil
}

// conditions writes every cond of conds, with the space's, as a WHERE clause.
func (d *Dialect) conditions(space string, conds []clavis.InputCond, model string) (where, error) {
	var w where
	w.add("i.space_id = ?", space)
	for _, c := range conds {
		s, args, err := d.condition(c, model)
		if err != nil {
			return w, err
		}
		w.add(s, args...)
	}
	return w, nil
}

func (s inputs) SearchInputs(ctx context.Context, app clavis.AppRef, q clavis.InputQuery, p clavis.Page) ([]clavis.ScoredInput, error) {
	space, err := s.v.space(ctx, app, false)
	if err != nil || space == "" {
		return nil, err
	}
	w, err := s.v.e.Dialect.conditions(space, q.Conds, q.PredictedBy)
	if err != nil {
		return nil, err
	}
	limit, offset := page(p)
	scan := func(row scanner) (clavis.ScoredInput, error) {
		var h clavis.ScoredInput
		var score float64
		err := row.Scan(&h.ID, &score)
		h.Score = float32(score)
		return h, err
	}
	if q.Rank == nil {
		if q.MinScore > 1 {
			return nil, nil
		}
		return list(ctx, s.v, scan, `SELECT i.id, 1.0 FROM inputs i`+w.String()+` ORDER BY i.id LIMIT ? OFFSET ?`, append(w.args, limit, offset)...)
	}
	// One pass over the rows of the concept (indexed by space and
	// concept), joined to the inputs the filters keep.
	pred, args := conceptPred(q.Rank.Concept, true, q.PredictedBy)
	return list(ctx, s.v, scan, `SELECT i.id, max(c.value) AS score FROM inputs i
		JOIN annotation_concepts c ON c.space_id = i.space_id AND c.input_id = i.id
		JOIN annotations a ON a.space_id = c.space_id AND a.id = c.annotation_id`+w.String()+pred+`
		GROUP BY i.id HAVING max(c.value) >= ? ORDER BY score DESC, i.id LIMIT ? OFFSET ?`,
		append(append(w.args, args...), float64(q.MinScore), limit, offset)...)
}

func (s inputs) FilterInputs(ctx context.Context, app clavis.AppRef, q clavis.InputQuery, limit int) ([]string, error) {
	space, err := s.v.space(ctx, app, false)
	if err != nil || space == "" || limit <= 0 {
		return nil, err
	}
	w, err := s.v.e.Dialect.conditions(space, q.Conds, q.PredictedBy)
	if err != nil {
		return nil, err
	}
	return list(ctx, s.v, scanString, `SELECT i.id FROM inputs i`+w.String()+` ORDER BY i.id LIMIT ?`, append(w.args, limit)...)
}
