package main_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/clavis-dev/clavis/internal/benchkit"
	"github.com/clavis-dev/clavis/internal/inference/modeltest"
)

// TestBenchTable runs `clavis bench` with tiny counts and checks the
// table's shape: every group's rows present, every ratio positive. It
// asserts nothing about speed.
func TestBenchTable(t *testing.T) {
	args := []string{"bench", "--json", "--rounds", "2", "--round", "20ms", "--callers", "1,4", "--cached", "1000", "--deletes", "2",
		"--predictions", "1", "--calls", "2", "--images", "../../../shared/testdata/images", "--store-keys", "1000", "--checks", "20", "--postgres", ""}
	want := []string{
		"gRPC PAT MyScopesUser, callers=1", "gRPC PAT MyScopesUser, callers=4", "gRPC app key MyScopes, callers=4",
		"REST GET /v2/users/me/apps vs gRPC, callers=8", "REST GET /v2/users/me/apps vs /healthz, callers=1",
		"verify PAT, cache hit", "verify unknown token, cache miss", "DeleteKey, ", "others' MyScopesUser during DeleteKeys",
		"verify PAT, cache miss, 1000 keys stored, sqlite",
		"start-up to first served request",
	}
	// The model rows run when the models are installed (make setup).
	if dir := os.Getenv("CLAVIS_MODELS_DIR"); dir == "" || testing.Short() {
		args = append(args, "--models-dir", "")
	} else {
		args = append(args, "--models-dir", modeltest.Dir(t))
		want = append(want, "PostModelOutputs general-image-recognition, callers=1", "RSS after 1 predictions", "RSS after 10 predictions")
	}
	code, out, errOut := runClean(t, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	tab := benchTable(t, out)
	if tab.Rounds != 2 || tab.Machine == "" {
		t.Errorf("rounds %d, machine %q", tab.Rounds, tab.Machine)
	}
	for _, w := range want {
		found := false
		for _, r := range tab.Rows {
			found = found || strings.HasPrefix(r.Name, w)
		}
		if !found {
			t.Errorf("no row %q", w)
		}
	}
	for _, r := range tab.Rows {
		if !(r.Ratio.Min > 0 && r.Ratio.Min <= r.Ratio.Median && r.Ratio.Median <= r.Ratio.Max) || r.Candidate.Median <= 0 || r.Base.Median <= 0 {
			t.Errorf("row %q: ratio %+v, candidate %+v, baseline %+v", r.Name, r.Ratio, r.Candidate, r.Base)
		}
		if r.Unit == "" || r.Baseline == "" {
			t.Errorf("row %q has no unit or baseline", r.Name)
		}
	}
}

// benchTable decodes the JSON table of `clavis bench --json`.
func benchTable(t *testing.T, out string) benchkit.Table {
	t.Helper()
	var tab benchkit.Table
	if err := json.Unmarshal([]byte(out), &tab); err != nil {
		t.Fatalf("not one JSON document: %v\n%s", err, out)
	}
	return tab
}

// TestBenchKeys runs the keys rows alone at a tiny size: the stores are
// filled with the keys asked for, and each row checks issued tokens that
// the store answers (an error would fail the run), on SQLite and, with
// CLAVIS_TEST_POSTGRES, on PostgreSQL in a database of its own that it
// drops. It asserts nothing about speed.
func TestBenchKeys(t *testing.T) {
	args := []string{"bench", "--json", "--only", "keys", "--rounds", "2", "--store-keys", "3000", "--checks", "10"}
	want := []string{"verify PAT, cache miss, 3000 keys stored, sqlite"}
	if pg := os.Getenv("CLAVIS_TEST_POSTGRES"); pg != "" {
		args = append(args, "--postgres", pg)
		want = append(want, "verify PAT, cache miss, 3000 keys stored, postgres")
	} else {
		args = append(args, "--postgres", "")
	}
	code, out, errOut := runClean(t, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	tab := benchTable(t, out)
	if len(tab.Rows) != len(want) {
		t.Fatalf("%d rows, want %d: %+v", len(tab.Rows), len(want), tab.Rows)
	}
	for i, r := range tab.Rows {
		if r.Name != want[i] || r.Baseline != "1000 keys stored" || r.Target != "ratio ≤ 1.20" {
			t.Errorf("row %d: %q against %q, target %q", i, r.Name, r.Baseline, r.Target)
		}
		if !(r.Candidate.Min > 0 && r.Base.Min > 0 && r.Ratio.Min > 0) {
			t.Errorf("row %q: candidate %+v, baseline %+v", r.Name, r.Candidate, r.Base)
		}
		if !strings.Contains(r.Note, "10 checks per round over 200 issued tokens") {
			t.Errorf("row %q: note %q", r.Name, r.Note)
		}
	}
	if code, _, errOut := runClean(t, "bench", "--only", "keys", "--store-keys", "10"); code == 0 || !strings.Contains(errOut, "--store-keys") {
		t.Errorf("--store-keys 10: exit %d, %s", code, errOut)
	}
}
