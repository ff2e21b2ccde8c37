package setup_test

import (
	"testing"
	"time"

	"github.com/clavis-dev/clavis/internal/setup"
)

func TestSummaryString(t *testing.T) {
	tests := []struct {
		name string
		sum  setup.Summary
		want string
	}{
		{"NothingChanged", setup.Summary{ModelsDir: "/m", Files: 14, Bytes: 108_800_000},
			"Nothing changed: all 14 files in /m are up to date (108.8 MB, SHA-256 verified); nothing fetched, nothing converted.\n"},
		{"Fetched", setup.Summary{
			ModelsDir: "/m", Files: 3, Bytes: 2_000_000, Elapsed: 12345 * time.Millisecond,
			Fetched:   []setup.Download{{Spec: "a@1.0.0", Bytes: 1_500_000}, {Spec: "b@2.0.0", Bytes: 500_000}},
			Cached:    []string{"c@3.0.0"},
			Written:   []string{"a/x", "b/y"},
			Converted: []string{"b"},
		}, "Setup done in 12.3s.\n" +
			"  fetched:    a@1.0.0 (1.5 MB)\n" +
			"              b@2.0.0 (500.0 kB)\n" +
			"              2.0 MB in all\n" +
			"  from cache: c@3.0.0\n" +
			"  written:    2 files\n" +
			"  converted:  b\n" +
			"  verified:   all 3 files, 2.0 MB in /m\n"},
		{"Repaired", setup.Summary{ModelsDir: "/m", Files: 3, Bytes: 2_000_000, Elapsed: time.Second, Cached: []string{"a@1.0.0"}, Written: []string{"a/x"}},
			"Setup done in 1s.\n" +
				"  fetched:    nothing\n" +
				"  from cache: a@1.0.0\n" +
				"  written:    1 file\n" +
				"  converted:  nothing\n" +
				"  verified:   all 3 files, 2.0 MB in /m\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.sum.String(); got != tt.want {
				t.Errorf("String() =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}
