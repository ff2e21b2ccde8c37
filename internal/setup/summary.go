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
		return fmt.Sprintf("Nothing changed: all %d files in %s are up to date (%s, SHA-256 verified); nothing fetched, nothing converted.\n",
			s.Files, s.ModelsDir, formatBytes(s.Bytes))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Setup done in %s.\n", formatDuration(s.Elapsed))
	fetched := "nothing"
	if len(s.Fetched) > 0 {
		var items []string
		var total int64
		for _, d := range s.Fetched {
			items = append(items, fmt.Sprintf("%s (%s)", d.Spec, formatBytes(d.Bytes)))
			total += d.Bytes
		}
		fetched = fmt.Sprintf("%s; %s in all", strings.Join(items, ", "), formatBytes(total))
	}
	fmt.Fprintf(&b, "  fetched:    %s\n", fetched)
	if len(s.Cached) > 0 {
		fmt.Fprintf(&b, "  from cache: %s\n", strings.Join(s.Cached, ", "))
	}
	fmt.Fprintf(&b, "  written:    %d files\n", len(s.Written))
	converted := "nothing"
	if len(s.Converted) > 0 {
		converted = strings.Join(s.Converted, ", ")
	}
	fmt.Fprintf(&b, "  converted:  %s\n", converted)
	fmt.Fprintf(&b, "  verified:   all %d files, %s in %s\n", s.Files, formatBytes(s.Bytes), s.ModelsDir)
	return b.String()
}
