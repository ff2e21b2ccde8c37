package gateway

import (
	"testing"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
)

// TestConceptValues reads concept values as Clarifai does: booleans as 1 and
// 0, a missing value as 1, numbers as they are; metadata is left alone.
func TestConceptValues(t *testing.T) {
	m := conceptsJSON{marshaler}
	var req pb.PostInputsRequest
	body := `{"inputs": [{"data": {
		"concepts": [{"id": "yes", "value": true}, {"id": "no", "value": false}, {"id": "bare"}, {"id": "half", "value": 0.5}, {"id": "zero", "value": 0}],
		"regions": [{"data": {"concepts": [{"id": "inner"}]}}],
		"metadata": {"concepts": [{"id": "mine"}]}}}]}`
	if err := m.Unmarshal([]byte(body), &req); err != nil {
		t.Fatal(err)
	}
	d := req.GetInputs()[0].GetData()
	got := map[string]float32{}
	for _, c := range d.GetConcepts() {
		got[c.GetId()] = c.GetValue()
	}
	want := map[string]float32{"yes": 1, "no": 0, "bare": 1, "half": 0.5, "zero": 0}
	for id, v := range want {
		if got[id] != v {
			t.Errorf("concept %s: value %v, want %v", id, got[id], v)
		}
	}
	if v := d.GetRegions()[0].GetData().GetConcepts()[0].GetValue(); v != 1 {
		t.Errorf("a region's concept without a value: %v, want 1", v)
	}
	meta := d.GetMetadata().AsMap()["concepts"].([]any)[0].(map[string]any)
	if _, touched := meta["value"]; touched {
		t.Errorf("metadata that holds concepts was rewritten: %v", meta)
	}
	// Not JSON: left for the decoder to refuse.
	if err := m.Unmarshal([]byte(`{"concepts": [`), &req); err == nil {
		t.Error("malformed JSON accepted")
	}
}
