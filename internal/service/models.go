package service

import (
	"context"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/auth"
	"github.com/clavis-dev/clavis/internal/inference"
)

// MaxBatch is the most inputs one prediction request may carry.
const MaxBatch = 128

// ListModels lists the models of the target app, ordered by id: all of
// them, or those of one type (model_type_id) when typeID is set.
func (s *Service) ListModels(ctx context.Context, acc *auth.Access, typeID string, page clavis.Page) []clavis.Model {
	var out []clavis.Model
	for _, r := range s.engine.Models(acc.App.Ref()) {
		if typeID == "" || r.Model.TypeID == typeID {
			out = append(out, r.Model)
		}
	}
	return clavis.PageOf(out, page)
}

// GetModel returns a model of the target app and the version asked for
// (the current one when versionID is empty).
func (s *Service) GetModel(ctx context.Context, acc *auth.Access, modelID, versionID string) (*inference.Registered, clavis.ModelVersion, error) {
	if modelID == "" {
		return nil, clavis.ModelVersion{}, clavis.Errorf(clavis.EInvalid, "model_id is required")
	}
	r, err := s.engine.Model(acc.App.Ref(), modelID)
	if err != nil {
		return nil, clavis.ModelVersion{}, err
	}
	if len(r.Model.Versions) == 0 {
		return nil, clavis.ModelVersion{}, clavis.Errorf(clavis.EModelNotFound, "model %q has no version", modelID)
	}
	if versionID == "" {
		return r, r.Model.Versions[0], nil
	}
	for _, v := range r.Model.Versions {
		if v.Is(versionID) {
			return r, v, nil
		}
	}
	return nil, clavis.ModelVersion{}, clavis.Errorf(clavis.EModelNotFound, "model %q has no version %q", modelID, versionID)
}

// Predict runs a model of the target app on a batch of inputs and returns
// one result per input, in order.
func (s *Service) Predict(ctx context.Context, acc *auth.Access, modelID, versionID string, inputs []clavis.Input, cfg clavis.OutputConfig) (*inference.Registered, clavis.ModelVersion, []inference.Result, error) {
	r, v, err := s.GetModel(ctx, acc, modelID, versionID)
	if err != nil {
		return nil, v, nil, err
	}
	switch {
	case len(inputs) == 0:
		return nil, v, nil, clavis.Errorf(clavis.EInputInvalid, "inputs is empty: give at least one input")
	case len(inputs) > MaxBatch:
		return nil, v, nil, clavis.Errorf(clavis.EInvalid, "%d inputs in one request; the limit is %d", len(inputs), MaxBatch)
	}
	results, err := s.engine.Predict(ctx, r, inputs, cfg)
	if err != nil {
		return nil, v, nil, err
	}
	return r, v, results, nil
}
