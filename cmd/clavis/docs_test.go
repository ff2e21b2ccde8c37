package main_test

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

	cmd "github.com/clavis-dev/clavis/cmd/clavis"
)

var update = flag.Bool("update", false, "rewrite the generated reference in docs/cli.md")

const (
	cliDoc       = "../../docs/cli.md"
	refBegin     = "<!-- BEGIN REFERENCE: generated from `clavis … --help` by `go test ./cmd/clavis -run TestDocsCLI -update`; do not edit by hand. -->"
	refEnd       = "<!-- END REFERENCE -->"
	regenerateCL = "go test ./cmd/clavis -run TestDocsCLI -update"
)

// cliReference renders the help of the root and of every command as
// Markdown: an index, then each help text in a block.
func cliReference(t *testing.T) string {
	t.Helper()
	paths := append([]string{""}, cmd.Commands()...)
	var index, body strings.Builder
	for _, p := range paths {
		name := strings.TrimSpace("clavis " + p)
		code, out, errOut := runClean(t, append(strings.Fields(p), "--help")...)
		if code != 0 || errOut != "" {
			t.Fatalf("%s --help: exit %d, %q", name, code, errOut)
		}
		if p != "" {
			indent := strings.Repeat("  ", strings.Count(p, " "))
			fmt.Fprintf(&index, "%s- [`%s`](#%s)\n", indent, name, strings.ReplaceAll(name, " ", "-"))
		}
		fmt.Fprintf(&body, "\n### %s\n\n```text\n%s```\n", name, out)
	}
	return refBegin + "\n\n" + index.String() + body.String() + "\n" + refEnd
}

// TestDocsCLI keeps the reference in docs/cli.md equal to what --help
// prints; with -update it rewrites it.
func TestDocsCLI(t *testing.T) {
	b, err := os.ReadFile(cliDoc)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	begin, end := strings.Index(doc, refBegin), strings.Index(doc, refEnd)
	if begin < 0 || end < begin {
		t.Fatalf("docs/cli.md lacks the lines\n%s\n…\n%s\naround its reference", refBegin, refEnd)
	}
	want := cliReference(t)
	if got := doc[begin : end+len(refEnd)]; got != want {
		if *update {
			if err := os.WriteFile(cliDoc, []byte(doc[:begin]+want+doc[end+len(refEnd):]), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		t.Fatalf("the reference in docs/cli.md differs from the commands' --help: run `%s` and commit the result%s", regenerateCL, firstDiff(got, want))
	}
}

// firstDiff shows the first line where got and want differ.
func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := range min(len(g), len(w)) {
		if g[i] != w[i] {
			return fmt.Sprintf("\nfirst difference, line %d of the reference:\n  docs: %q\n  help: %q", i+1, g[i], w[i])
		}
	}
	return fmt.Sprintf("\nthe docs have %d lines, the help %d", len(g), len(w))
}
