package setup

import (
	"fmt"
	"strings"
	"time"
)

// Summary is what Run did.
type Summary struct {
	ModelsDir string
	// Fetched lists the tarballs downloaded; Cached the specs of those taken
	// from the download cache instead.
	Fetched []Download
	Cached  []string
	// Written lists the files extracted, as slash-separated paths under the
	// models dir; Converted the assets whose model was converted.
	Written   []string
	Converted []string
	// Files and Bytes count every file of the assets, now installed and
	// verified, and their total size.
	Files   int
	Bytes   int64
	Elapsed time.Duration
}

// Download is one tarball fetched.
type Download struct {
	Spec    string // name@version
	Bytes   int64
	Elapsed time.Duration
}

// Changed reports whether the run wrote any file.
func (s *Summary) Changed() bool { return len(s.Written) > 0 || len(s.Converted) > 0 }

// String returns the summary as `clavis setup` prints it: one line when
// nothing changed, else what was fetched, written, converted and verified.
func (s *Summary) String() string {
	if !s.Changed() {
		return fmt.Sprintf("Nothing changed: all %s in %s are up to date (%s, SHA-256 verified); nothing fetched, nothing converted.\n",
			files(s.Files), s.ModelsDir, formatBytes(s.Bytes))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Setup done in %s.\n", formatDuration(s.Elapsed))
	// list writes one item a line, the label on the first.
	list := func(label string, items ...string) {
		for i, item := range items {
			if i > 0 {
				label = ""
			}
			fmt.Fprintf(&b, "  %-11s %s\n", label, item)
		}
	}
	var fetched []string
	var total int64
	for _, d := range s.Fetched {
		fetched = append(fetched, fmt.Sprintf("%s (%s)", d.Spec, formatBytes(d.Bytes)))
		total += d.Bytes
	}
	switch len(fetched) {
	case 0:
		fetched = []string{"nothing"}
	case 1:
	default:
		fetched = append(fetched, formatBytes(total)+" in all")
	}
	list("fetched:", fetched...)
	list("from cache:", s.Cached...)
	list("written:", files(len(s.Written)))
	converted := "nothing"
	if len(s.Converted) > 0 {
		converted = strings.Join(s.Converted, ", ")
	}
	list("converted:", converted)
	list("verified:", fmt.Sprintf("all %s, %s in %s", files(s.Files), formatBytes(s.Bytes), s.ModelsDir))
	return b.String()
}

// files returns "1 file" or "n files".
func files(n int) string {
	if n == 1 {
		return "1 file"
	}
	return fmt.Sprintf("%d files", n)
}
