package service

import (
	"context"
	"sort"
	"strconv"
	"strings"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/auth"
)

// The concepts of an app are those it defines (its inputs' labels, and
// PostConcepts) and those its models output: the built-in app clarifai/main
// shows the concepts of the built-in models.

// modelConcepts returns the concepts of the models of app, each id once,
// ordered by id.
func (s *Service) modelConcepts(app clavis.AppRef) []*clavis.AppConcept {
	seen := map[string]bool{}
	var out []*clavis.AppConcept
	for _, r := range s.engine.Models(app) {
		for _, c := range r.Model.Concepts {
			if seen[c.ID] {
				continue
			}
			seen[c.ID] = true
			out = append(out, &clavis.AppConcept{App: app, ID: c.ID, Name: c.Name, CreatedAt: r.Model.CreatedAt, UpdatedAt: r.Model.CreatedAt})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// ListConcepts lists the concepts of the target app whose id contains
// idPart (all when empty), ordered by id.
func (s *Service) ListConcepts(ctx context.Context, acc *auth.Access, idPart string, page clavis.Page) ([]*clavis.AppConcept, error) {
	app := acc.App.Ref()
	models := s.modelConcepts(app)
	if len(models) == 0 {
		return s.store.Concepts().ListConcepts(ctx, app, idPart, page)
	}
	// An app with models: its own concepts and theirs, merged in memory.
	own, err := clavis.All(func(p clavis.Page) ([]*clavis.AppConcept, error) {
		return s.store.Concepts().ListConcepts(ctx, app, idPart, p)
	})
	if err != nil {
		return nil, err
	}
	byID := map[string]*clavis.AppConcept{}
	for _, c := range models {
		if strings.Contains(c.ID, idPart) {
			byID[c.ID] = c
		}
	}
	for _, c := range own {
		byID[c.ID] = c
	}
	all := make([]*clavis.AppConcept, 0, len(byID))
	for _, c := range byID {
		all = append(all, c)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].ID < all[j].ID })
	return clavis.PageOf(all, page), nil
}

// GetConcept returns a concept of the target app, or ConceptNotFound.
func (s *Service) GetConcept(ctx context.Context, acc *auth.Access, id string) (*clavis.AppConcept, error) {
	if err := clavis.CheckConceptID("concept_id", id); err != nil {
		return nil, err
	}
	c, err := s.store.Concepts().GetConcept(ctx, acc.App.Ref(), id)
	if clavis.ErrorCode(err) != clavis.ENotFound {
		return c, err
	}
	for _, m := range s.modelConcepts(acc.App.Ref()) {
		if m.ID == id {
			return m, nil
		}
	}
	return nil, err
}

// AddConcepts adds up to MaxBatch concepts to the target app, all or none;
// a concept's name defaults to its id. EConflict names an id the app has.
func (s *Service) AddConcepts(ctx context.Context, acc *auth.Access, cs []clavis.Concept) ([]*clavis.AppConcept, error) {
	if err := checkBatch("concepts", len(cs)); err != nil {
		return nil, err
	}
	app := acc.App.Ref()
	now := s.clock()
	seen := map[string]bool{}
	out := make([]*clavis.AppConcept, len(cs))
	for i, c := range cs {
		if err := clavis.CheckConceptID("concepts["+strconv.Itoa(i)+"].id", c.ID); err != nil {
			return nil, err
		}
		if seen[c.ID] {
			return nil, clavis.Errorf(clavis.EInvalid, "concept %q appears twice in this request", c.ID)
		}
		seen[c.ID] = true
		if c.Name == "" {
			c.Name = c.ID
		}
		out[i] = &clavis.AppConcept{App: app, ID: c.ID, Name: c.Name, CreatedAt: now, UpdatedAt: now}
	}
	if err := s.store.Concepts().CreateConcepts(ctx, app, out); err != nil {
		return nil, err
	}
	return out, nil
}

// PatchConcepts renames up to MaxBatch concepts of the target app, all or
// none. Only action overwrite (the default) is supported: Clarifai's.
func (s *Service) PatchConcepts(ctx context.Context, acc *auth.Access, action string, cs []clavis.Concept) ([]*clavis.AppConcept, error) {
	if action != "" && action != ActionOverwrite {
		return nil, clavis.Errorf(clavis.EInvalid, "action %q is not supported: concepts are patched with %q", action, ActionOverwrite)
	}
	if err := checkBatch("concepts", len(cs)); err != nil {
		return nil, err
	}
	app := acc.App.Ref()
	var out []*clavis.AppConcept
	err := s.store.WithTx(ctx, func(tx clavis.Tx) error {
		out = out[:0]
		now := s.clock()
		for i, c := range cs {
			if err := clavis.CheckConceptID("concepts["+strconv.Itoa(i)+"].id", c.ID); err != nil {
				return err
			}
			have, err := tx.Concepts().GetConcept(ctx, app, c.ID)
			if err != nil {
				return err
			}
			if c.Name != "" {
				have.Name = c.Name
			}
			have.UpdatedAt = now
			if err := tx.Concepts().UpdateConcept(ctx, have); err != nil {
				return err
			}
			out = append(out, have)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
