package loader

import (
	"testing"

	"github.com/clavis-dev/clavis/internal/inference/manifest"
)

// TestLoadersMatchManifest keeps the loader table and the manifest in step:
// every loader a model names exists, and every loader serves some model.
func TestLoadersMatchManifest(t *testing.T) {
	named := map[string]bool{}
	for _, m := range manifest.Models {
		named[m.Loader] = true
		if _, ok := loaders[m.Loader]; !ok {
			t.Errorf("%s names loader %q, which does not exist", m.ID, m.Loader)
		}
	}
	for name := range loaders {
		if !named[name] {
			t.Errorf("loader %q serves no model of the manifest", name)
		}
	}
}
