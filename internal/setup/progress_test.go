package setup_test

import (
	"regexp"
	"strings"
	"testing"
)

// size matches a size as setup prints it.
const size = `[0-9.]+ [kMG]?B`

// TestProgressPlain checks what a download prints when the output is not a
// terminal: one line as it starts and one as it ends, with size and time.
func TestProgressPlain(t *testing.T) {
	a, r, c := fixture(t)
	_, out := run(t, options(t, a, r, c))
	if strings.ContainsAny(out, "\r\x1b") {
		t.Errorf("plain output holds terminal controls: %q", out)
	}
	for _, re := range []string{
		`(?m)^fetching @fake/models@1\.0\.0 \(` + size + `\)$`,
		`(?m)^fetched @fake/models@1\.0\.0: ` + size + ` in [0-9.]+[mµn]?s \(` + size + `/s\)$`,
	} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("output does not match %s:\n%s", re, out)
		}
	}
}

// TestProgressTerminal checks that on a terminal a download draws a bar in
// place, and that the bar is replaced by the same final line.
func TestProgressTerminal(t *testing.T) {
	a, r, c := fixture(t)
	opts := options(t, a, r, c)
	opts.Terminal, opts.Width = true, 100
	_, out := run(t, opts)
	if strings.Contains(out, "fetching ") {
		t.Errorf("terminal output has the plain start line:\n%q", out)
	}
	if !regexp.MustCompile(`\r@fake/models@1\.0\.0 \[ {30}\]   0%  0 B / ` + size + `  `).MatchString(out) {
		t.Errorf("no empty bar drawn at the start:\n%q", out)
	}
	if !regexp.MustCompile(`\r\x1b\[Kfetched @fake/models@1\.0\.0: ` + size + ` in `).MatchString(out) {
		t.Errorf("the bar is not replaced by the final line:\n%q", out)
	}
}
