package service

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/auth"
)

// MaxMetadata bounds an input's metadata, as JSON.
const MaxMetadata = 64 << 10

// Patch actions of PatchInputs and PatchAnnotations.
const (
	ActionMerge     = "merge"
	ActionOverwrite = "overwrite"
	ActionRemove    = "remove"
)

// checkAction returns the action a patch asks for; empty means merge.
func checkAction(action string) (string, error) {
	switch action {
	case "":
		return ActionMerge, nil
	case ActionMerge, ActionOverwrite, ActionRemove:
		return action, nil
	}
	return "", clavis.Errorf(clavis.EInvalid, "action %q is not supported: use %q, %q or %q", action, ActionMerge, ActionOverwrite, ActionRemove)
}

// checkMetadata refuses metadata that is too large to store.
func checkMetadata(what string, m map[string]any) error {
	b, err := json.Marshal(m)
	if err != nil {
		return clavis.Errorf(clavis.EInputInvalid, "%s is not a JSON object: %v", what, err)
	}
	if len(b) > MaxMetadata {
		return clavis.Errorf(clavis.EInputInvalid, "%s is %d bytes of JSON; the limit is %d", what, len(b), MaxMetadata)
	}
	return nil
}

// patchMetadata applies a patch of metadata: merge sets its keys, merging
// objects key by key; overwrite replaces everything; remove deletes its keys,
// descending into objects the patch and the metadata both hold.
func patchMetadata(action string, old, patch map[string]any) map[string]any {
	switch action {
	case ActionOverwrite:
		return patch
	case ActionRemove:
		return removeKeys(old, patch)
	}
	return mergeKeys(old, patch)
}

func mergeKeys(old, patch map[string]any) map[string]any {
	out := make(map[string]any, len(old)+len(patch))
	for k, v := range old {
		out[k] = v
	}
	for k, v := range patch {
		po, pok := v.(map[string]any)
		oo, ook := out[k].(map[string]any)
		if pok && ook {
			out[k] = mergeKeys(oo, po)
		} else {
			out[k] = v
		}
	}
	return out
}

func removeKeys(old, patch map[string]any) map[string]any {
	out := make(map[string]any, len(old))
	for k, v := range old {
		out[k] = v
	}
	for k, v := range patch {
		po, pok := v.(map[string]any)
		oo, ook := out[k].(map[string]any)
		if pok && ook && len(po) > 0 {
			out[k] = removeKeys(oo, po)
		} else {
			delete(out, k)
		}
	}
	return out
}

// checkConcepts validates the labels of an input or annotation: ids that are
// usable, each once, with values in [0, 1] (1 present, 0 absent). A concept
// given only a name takes it as its id.
func checkConcepts(what string, cs []clavis.Concept) ([]clavis.Concept, error) {
	seen := map[string]bool{}
	out := make([]clavis.Concept, len(cs))
	for i, c := range cs {
		if c.ID == "" {
			c.ID = c.Name
		}
		name := fmt.Sprintf("%s.concepts[%d].id", what, i)
		if err := clavis.CheckConceptID(name, c.ID); err != nil {
			return nil, err
		}
		if seen[c.ID] {
			return nil, clavis.Errorf(clavis.EInvalid, "%s: concept %q appears twice", what, c.ID)
		}
		seen[c.ID] = true
		if math.IsNaN(float64(c.Value)) || c.Value < 0 || c.Value > 1 {
			return nil, clavis.Errorf(clavis.EInvalid, "%s: concept %q has value %v; use 1 (present) or 0 (absent)", what, c.ID, c.Value)
		}
		out[i] = c
	}
	return out, nil
}

// patchConcepts applies a patch of concepts by id: merge adds or updates,
// overwrite replaces, remove deletes.
func patchConcepts(action string, old, patch []clavis.Concept) []clavis.Concept {
	return patchByID(action, old, patch, func(c clavis.Concept) string { return c.ID })
}

// patchByID applies a patch of items with ids, keeping the order of old and
// adding new items last: merge adds or replaces, overwrite replaces
// everything, remove deletes the items the patch names.
func patchByID[T any](action string, old, patch []T, id func(T) string) []T {
	if action == ActionOverwrite {
		return patch
	}
	byID := map[string]int{}
	for i, p := range patch {
		byID[id(p)] = i
	}
	out := make([]T, 0, len(old)+len(patch))
	for _, o := range old {
		i, touched := byID[id(o)]
		switch {
		case !touched:
			out = append(out, o)
		case action == ActionMerge:
			out = append(out, patch[i])
		}
		delete(byID, id(o))
	}
	if action == ActionMerge {
		for _, p := range patch {
			// The last of items of one id wins.
			if j, left := byID[id(p)]; left {
				out = append(out, patch[j])
				delete(byID, id(p))
			}
		}
	}
	return out
}

// conceptIDs returns the ids of cs.
func conceptIDs(cs []clavis.Concept) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.ID
	}
	return out
}

// addConcepts creates, inside tx, the concepts among cs that the app does
// not have yet, with their names. Creating one needs the Concepts:Add scope;
// without it the call fails naming the new concepts.
func (s *Service) addConcepts(ctx context.Context, tx clavis.Tx, acc *auth.Access, cs []clavis.Concept) error {
	if len(cs) == 0 {
		return nil
	}
	app := acc.App.Ref()
	missing, err := tx.Concepts().MissingConcepts(ctx, app, conceptIDs(cs))
	if err != nil || len(missing) == 0 {
		return err
	}
	if !acc.Scopes.Has("Concepts:Add") {
		return clavis.Errorf(clavis.EForbidden, "concepts %s are new to this app: adding them needs the Concepts:Add scope", strings.Join(missing, ", "))
	}
	names := map[string]string{}
	for _, c := range cs {
		if c.Name != "" {
			names[c.ID] = c.Name
		}
	}
	now := s.clock()
	add := make([]*clavis.AppConcept, len(missing))
	for i, id := range missing {
		name := names[id]
		if name == "" {
			name = id
		}
		add[i] = &clavis.AppConcept{App: app, ID: id, Name: name, CreatedAt: now, UpdatedAt: now}
	}
	return tx.Concepts().CreateConcepts(ctx, app, add)
}
