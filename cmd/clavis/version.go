package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// version and commit are set by `make build`:
//
//	go build -ldflags "-X main.version=$(VERSION) -X main.commit=$(COMMIT)"
//
// When they are empty, buildVersion falls back on what the Go toolchain
// stamped into the binary.
var version, commit string

// buildInfo says which build of clavis this is.
type buildInfo struct {
	Version string `json:"version"`
	Commit  string `json:"commit"`
	Go      string `json:"go"`
	OS      string `json:"os"`
	Arch    string `json:"arch"`
}

// buildVersion returns the version and commit from the -ldflags -X values,
// else from the module version and VCS settings of debug.ReadBuildInfo
// (present with `go install …@vX` or `go build` in a checkout), else
// "devel" and "unknown".
func buildVersion() buildInfo {
	b := buildInfo{Version: version, Commit: commit, Go: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH}
	if info, ok := debug.ReadBuildInfo(); ok {
		if v := info.Main.Version; b.Version == "" && v != "" && v != "(devel)" {
			b.Version = v
		}
		var rev, modified string
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				modified = s.Value
			}
		}
		if b.Commit == "" && rev != "" {
			b.Commit = rev
			if modified == "true" {
				b.Commit += "-dirty"
			}
		}
	}
	if b.Version == "" {
		b.Version = "devel"
	}
	if b.Commit == "" {
		b.Commit = "unknown"
	}
	return b
}

// String is the one line `clavis --version` prints after "clavis ".
func (b buildInfo) String() string {
	return fmt.Sprintf("%s (commit %s, %s %s/%s)", b.Version, b.Commit, b.Go, b.OS, b.Arch)
}

func versionCmd(env *Env) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "version",
		Short: "Print the version and commit of this build",
		Long:  "Print the version and commit of this build, as `clavis --version` does. `make build` sets both; a plain `go build` in a checkout takes the commit from Git.",
		Example: `  clavis version
  clavis version --json`,
		Args: exactArgs(),
		RunE: func(*cobra.Command, []string) error {
			b := buildVersion()
			if asJSON {
				return writeJSON(env.Stdout, b)
			}
			_, err := fmt.Fprintf(env.Stdout, "clavis %s\n", b)
			return err
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print the version, commit, Go version, OS and architecture as one JSON document")
	return c
}
