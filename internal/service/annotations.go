package service

import (
	"context"
	"fmt"
	"strconv"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/auth"
)

// AnnotationSpec is an annotation to add, or the data to patch one with.
// An annotation without regions labels the whole input (input level).
type AnnotationSpec struct {
	ID       string // empty on add: the server picks one
	InputID  string
	Concepts []clavis.Concept
	Regions  []clavis.Region
}

// checkAnnotation checks the data of an annotation: its labels, and regions
// that are a box or a polygon of at least three points inside the image,
// with an id each (picked when missing).
func checkAnnotation(what string, sp *AnnotationSpec) error {
	var err error
	if sp.Concepts, err = checkConcepts(what+".data", sp.Concepts); err != nil {
		return err
	}
	seen := map[string]bool{}
	for j := range sp.Regions {
		r := &sp.Regions[j]
		rw := fmt.Sprintf("%s.data.regions[%d]", what, j)
		if r.ID == "" {
			r.ID = newInputID()
		} else if err := clavis.CheckID(rw+".id", r.ID); err != nil {
			return err
		}
		if seen[r.ID] {
			return clavis.Errorf(clavis.EInvalid, "%s: region %q appears twice", what, r.ID)
		}
		seen[r.ID] = true
		b := r.Box
		hasBox := b != clavis.BoundingBox{}
		switch {
		case !hasBox && len(r.Polygon) == 0:
			return clavis.Errorf(clavis.EInvalid, "%s has no region_info: give a bounding_box or a polygon", rw)
		case hasBox && len(r.Polygon) > 0:
			return clavis.Errorf(clavis.EInvalid, "%s has both a bounding_box and a polygon; give one", rw)
		case hasBox && !(inUnit(b.Top) && inUnit(b.Left) && inUnit(b.Bottom) && inUnit(b.Right) && b.Top < b.Bottom && b.Left < b.Right):
			return clavis.Errorf(clavis.EInvalid, "%s.region_info.bounding_box must have 0 <= top_row < bottom_row <= 1 and 0 <= left_col < right_col <= 1", rw)
		case len(r.Polygon) > 0 && len(r.Polygon) < 3:
			return clavis.Errorf(clavis.EInvalid, "%s.region_info.polygon has %d points; a polygon needs at least 3", rw, len(r.Polygon))
		}
		for _, p := range r.Polygon {
			if !inUnit(p.Row) || !inUnit(p.Col) {
				return clavis.Errorf(clavis.EInvalid, "%s.region_info.polygon has a point outside the image: row and col are fractions in [0, 1]", rw)
			}
		}
		if r.Concepts, err = checkConcepts(rw+".data", r.Concepts); err != nil {
			return err
		}
	}
	return nil
}

func inUnit(v float32) bool { return v >= 0 && v <= 1 }

// allConcepts returns the concepts of an annotation and of its regions.
func allConcepts(cs []clavis.Concept, rs []clavis.Region) []clavis.Concept {
	out := append([]clavis.Concept(nil), cs...)
	for _, r := range rs {
		out = append(out, r.Concepts...)
	}
	return out
}

// AddAnnotations adds up to MaxBatch annotations by the caller to inputs of
// the target app, all or none. An input has at most one input-level
// annotation per user (EConflict names it: patch it instead). Concepts new
// to the app need the Concepts:Add scope.
func (s *Service) AddAnnotations(ctx context.Context, acc *auth.Access, specs []AnnotationSpec) ([]*clavis.Annotation, error) {
	if err := checkBatch("annotations", len(specs)); err != nil {
		return nil, err
	}
	app := acc.App.Ref()
	now := s.clock()
	anns := make([]*clavis.Annotation, len(specs))
	var labels []clavis.Concept
	for i := range specs {
		sp := &specs[i]
		what := "annotations[" + strconv.Itoa(i) + "]"
		if sp.ID == "" {
			sp.ID = newInputID()
		} else if err := clavis.CheckID(what+".id", sp.ID); err != nil {
			return nil, err
		}
		if err := clavis.CheckID(what+".input_id", sp.InputID); err != nil {
			return nil, err
		}
		if err := checkAnnotation(what, sp); err != nil {
			return nil, err
		}
		if len(sp.Concepts) == 0 && len(sp.Regions) == 0 {
			return nil, clavis.Errorf(clavis.EInvalid, "%s has no data: give data.concepts or data.regions", what)
		}
		anns[i] = &clavis.Annotation{App: app, ID: sp.ID, InputID: sp.InputID, Worker: clavis.Worker{UserID: acc.Principal.UserID},
			InputLevel: len(sp.Regions) == 0, Concepts: sp.Concepts, Regions: sp.Regions, CreatedAt: now, UpdatedAt: now}
		labels = append(labels, allConcepts(sp.Concepts, sp.Regions)...)
	}
	err := s.store.WithTx(ctx, func(tx clavis.Tx) error {
		if err := s.addConcepts(ctx, tx, acc, dedupeConcepts(labels)); err != nil {
			return err
		}
		return tx.Annotations().CreateAnnotations(ctx, app, anns)
	})
	if err != nil {
		return nil, err
	}
	return anns, nil
}

// checkBatch refuses an empty batch or one over MaxBatch.
func checkBatch(what string, n int) error {
	switch {
	case n == 0:
		return clavis.Errorf(clavis.EInvalid, "%s is empty: give at least one", what)
	case n > MaxBatch:
		return clavis.Errorf(clavis.EInvalid, "%d %s in one request; the limit is %d", n, what, MaxBatch)
	}
	return nil
}

// dedupeConcepts returns cs with each concept id once, the last one winning.
func dedupeConcepts(cs []clavis.Concept) []clavis.Concept {
	return patchConcepts(ActionMerge, nil, cs)
}

// AnnotationQuery selects annotations to list. By default only those made
// by users are listed; All adds the models' too, and naming users or model
// versions lists exactly the annotations of those.
type AnnotationQuery struct {
	IDs, InputIDs, UserIDs, ModelVersionIDs []string
	All                                     bool
}

// ListAnnotations lists annotations of the target app, by input then oldest
// first.
func (s *Service) ListAnnotations(ctx context.Context, acc *auth.Access, q AnnotationQuery, page clavis.Page) ([]*clavis.Annotation, error) {
	for _, l := range [][]string{q.IDs, q.InputIDs, q.UserIDs, q.ModelVersionIDs} {
		if len(l) > MaxListIDs {
			return nil, clavis.Errorf(clavis.EInvalid, "%d ids in one filter; the limit is %d", len(l), MaxListIDs)
		}
	}
	f := clavis.AnnotationFilter{IDs: q.IDs, InputIDs: q.InputIDs, UserIDs: q.UserIDs, ModelVersionIDs: q.ModelVersionIDs, UsersOnly: !q.All}
	return s.store.Annotations().ListAnnotations(ctx, acc.App.Ref(), f, page)
}

// PatchAnnotations changes the concepts and regions of up to MaxBatch
// annotations of the target app, all or none: merge (the default) adds and
// updates by id, overwrite replaces, remove deletes the concepts and
// regions named; with deleteIfEmpty an annotation that remove leaves empty
// is deleted.
func (s *Service) PatchAnnotations(ctx context.Context, acc *auth.Access, action string, specs []AnnotationSpec, deleteIfEmpty bool) ([]*clavis.Annotation, error) {
	action, err := checkAction(action)
	if err != nil {
		return nil, err
	}
	if err := checkBatch("annotations", len(specs)); err != nil {
		return nil, err
	}
	var labels []clavis.Concept
	for i := range specs {
		what := "annotations[" + strconv.Itoa(i) + "]"
		if err := clavis.CheckID(what+".id", specs[i].ID); err != nil {
			return nil, err
		}
		if err := checkAnnotation(what, &specs[i]); err != nil {
			return nil, err
		}
		labels = append(labels, allConcepts(specs[i].Concepts, specs[i].Regions)...)
	}
	app := acc.App.Ref()
	var out []*clavis.Annotation
	err = s.store.WithTx(ctx, func(tx clavis.Tx) error {
		out = out[:0]
		if action != ActionRemove {
			if err := s.addConcepts(ctx, tx, acc, dedupeConcepts(labels)); err != nil {
				return err
			}
		}
		now := s.clock()
		for _, sp := range specs {
			a, err := tx.Annotations().GetAnnotation(ctx, app, sp.ID)
			if err != nil {
				return err
			}
			if sp.InputID != "" && sp.InputID != a.InputID {
				return clavis.AnnotationNotFound(sp.ID)
			}
			a.Concepts = patchConcepts(action, a.Concepts, sp.Concepts)
			a.Regions = patchRegions(action, a.Regions, sp.Regions)
			a.UpdatedAt = now
			if deleteIfEmpty && action == ActionRemove && len(a.Concepts) == 0 && len(a.Regions) == 0 {
				if _, err := tx.Annotations().DeleteAnnotations(ctx, app, clavis.AnnotationFilter{IDs: []string{a.ID}}); err != nil {
					return err
				}
				continue
			}
			if err := tx.Annotations().UpdateAnnotation(ctx, a); err != nil {
				return err
			}
			out = append(out, a)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// patchRegions applies a patch of regions by id, as patchConcepts does
// concepts.
func patchRegions(action string, old, patch []clavis.Region) []clavis.Region {
	return patchByID(action, old, patch, func(r clavis.Region) string { return r.ID })
}

// DeleteAnnotation deletes one annotation of an input of the target app, or
// returns AnnotationNotFound.
func (s *Service) DeleteAnnotation(ctx context.Context, acc *auth.Access, inputID, id string) error {
	if id == "" || inputID == "" {
		return clavis.Errorf(clavis.EInvalid, "input_id and annotation_id are required")
	}
	n, err := s.store.Annotations().DeleteAnnotations(ctx, acc.App.Ref(), clavis.AnnotationFilter{IDs: []string{id}, InputIDs: []string{inputID}})
	if err != nil {
		return err
	}
	if n == 0 {
		return clavis.AnnotationNotFound(id)
	}
	return nil
}

// DeleteAnnotations deletes annotations of the target app: those with the
// given ids, or every annotation of the given inputs, or both conditions.
func (s *Service) DeleteAnnotations(ctx context.Context, acc *auth.Access, ids, inputIDs []string) error {
	if len(ids) == 0 && len(inputIDs) == 0 {
		return clavis.Errorf(clavis.EInvalid, "give input_ids, ids or both: deleting every annotation of an app is not supported")
	}
	if len(ids) > MaxListIDs || len(inputIDs) > MaxListIDs {
		return clavis.Errorf(clavis.EInvalid, "more than %d ids in one request", MaxListIDs)
	}
	_, err := s.store.Annotations().DeleteAnnotations(ctx, acc.App.Ref(), clavis.AnnotationFilter{IDs: ids, InputIDs: inputIDs})
	return err
}
