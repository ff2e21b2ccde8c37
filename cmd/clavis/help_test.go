package main_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"

	cmd "github.com/clavis-dev/clavis/cmd/clavis"
)

// clientFlags are the flags of every command that talks to a server.
const clientFlags = "addr json pat"

// commandFlags lists each command's flags but --help. A command missing
// here, or one whose help lists other flags, fails TestHelp.
var commandFlags = map[string]string{
	"serve":                 "addr app-key-expiry-required app-key-max-lifetime app-max-bytes app-max-inputs audit audit-retention auth-cache-ttl body-timeout bootstrap-user cors-origin data-dir db debug-addr decode-budget fetch-allow first-bytes-timeout header-timeout idle-timeout job-workers keepalive-time keepalive-timeout log-format max-body-bytes-in-flight max-conns max-conns-per-addr max-header-bytes max-streams max-unauthenticated-streams memory-limit metrics models-dir pat-expiry-required pat-max-lifetime public-url redis search-memory signup tls-addr tls-cert tls-key tls-self-signed trusted-proxies user-max-apps user-max-keys workers",
	"setup":                 "cache-dir data-dir models-dir",
	"admin":                 "",
	"admin create-pat":      "data-dir db user",
	"migrate":               "force from to",
	"backup":                "data-dir db to",
	"bench":                 "callers cached calls checks deletes images json models-dir only postgres predictions round rounds store-keys",
	"load":                  "abuse addr clients duration key-allow key-rate-limit model pid token",
	"login":                 clientFlags,
	"logout":                "json",
	"whoami":                clientFlags,
	"scopes":                clientFlags + " endpoints key-type",
	"models":                "",
	"models list":           clientFlags + " app",
	"models get":            clientFlags + " app",
	"predict":               clientFlags + " app max-concepts min-value model model-version",
	"inputs":                "",
	"inputs add":            clientFlags + " app label metadata no-wait",
	"inputs list":           clientFlags + " app page per-page status",
	"inputs get":            clientFlags + " app",
	"inputs search":         clientFlags + " app concept exact like metadata metric min-value page per-page",
	"inputs delete":         clientFlags + " all app",
	"concepts":              "",
	"concepts list":         clientFlags + " app id",
	"audit":                 clientFlags + " event failed key limit since user",
	"users keys":            clientFlags + " app created-before expired live type unused-for user",
	"users revoke-keys":     clientFlags + " app org user",
	"pat":                   "",
	"pat create":            clientFlags + " description endpoints expires rate-limit scopes",
	"pat list":              clientFlags + " never-used unused-for",
	"pat update":            clientFlags + " description endpoints expires rate-limit scopes",
	"pat delete":            clientFlags,
	"pat rotate":            clientFlags + " grace",
	"key rotate":            clientFlags + " grace",
	"app":                   "",
	"app create":            clientFlags + " description name public",
	"app list":              clientFlags + " owner",
	"app delete":            clientFlags,
	"app visibility":        clientFlags,
	"key":                   "",
	"key create":            clientFlags + " app description endpoints expires rate-limit scopes",
	"key list":              clientFlags + " app never-used unused-for",
	"key delete":            clientFlags,
	"collab":                "",
	"collab add":            clientFlags + " app scopes",
	"collab list":           clientFlags + " app",
	"collab update":         clientFlags + " app scopes",
	"collab remove":         clientFlags + " app",
	"org":                   "",
	"org create":            clientFlags + " name",
	"org list":              clientFlags,
	"org delete":            clientFlags,
	"org member":            "",
	"org member add":        clientFlags + " role scopes",
	"org member list":       clientFlags,
	"org member remove":     clientFlags,
	"org team":              "",
	"org policy":            "",
	"org team put":          clientFlags + " apps members name scopes",
	"org team list":         clientFlags,
	"org team delete":       clientFlags,
	"org policy show":       clientFlags,
	"org policy set":        clientFlags + " app-key-expiry-required app-key-max-lifetime pat-expiry-required pat-max-lifetime stop-at",
	"users":                 "",
	"users create":          clientFlags + " admin email id",
	"users list":            clientFlags,
	"users disable":         clientFlags,
	"users enable":          clientFlags,
	"users delete":          clientFlags,
	"users passwd":          clientFlags + " temporary",
	"version":               "json",
	"completion":            "",
	"completion bash":       "no-descriptions",
	"completion zsh":        "no-descriptions",
	"completion fish":       "no-descriptions",
	"completion powershell": "no-descriptions",
	"help":                  "",
}

// runClean runs the command line in-process with no CLAVIS_* variables and
// an empty config dir, so that nothing of the machine shows in the output.
func runClean(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	clearClavisEnv(t)
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	var out, errOut bytes.Buffer
	code := cmd.Run(context.Background(), args, strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

// clearClavisEnv empties every CLAVIS_* variable for the test.
func clearClavisEnv(t *testing.T) {
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "CLAVIS_") {
			t.Setenv(k, "")
		}
	}
}

var flagName = regexp.MustCompile(`(?m)^\s+(?:-\w, )?--([a-z-]+)`)

// helpFlags returns the long names of the flags a help text lists, but
// --help.
func helpFlags(help string) []string {
	_, flags, _ := strings.Cut(help, "\nFlags:\n")
	var out []string
	for _, m := range flagName.FindAllStringSubmatch(flags, -1) {
		if m[1] != "help" {
			out = append(out, m[1])
		}
	}
	slices.Sort(out)
	return out
}

// TestHelp checks that -h and --help work on every command and group: exit
// 0, the help on stdout with a usage line, examples for Clavis's own
// commands, and exactly the command's own flags.
func TestHelp(t *testing.T) {
	seen := map[string]bool{}
	for _, path := range cmd.Commands() {
		seen[path] = true
		t.Run(strings.ReplaceAll(path, " ", "_"), func(t *testing.T) {
			want, ok := commandFlags[path]
			if !ok {
				t.Fatalf("%q is not in commandFlags: add its flags", path)
			}
			for _, h := range []string{"--help", "-h"} {
				code, out, errOut := runClean(t, append(strings.Fields(path), h)...)
				if code != 0 || errOut != "" || !strings.Contains(out, "Usage:\n  clavis "+path) {
					t.Fatalf("%s %s: exit %d, stderr %q, stdout:\n%s", path, h, code, errOut, out)
				}
				if !strings.HasPrefix(path, "completion") && path != "help" && !strings.Contains(out, "\nExamples:\n  clavis ") {
					t.Errorf("%s %s has no examples:\n%s", path, h, out)
				}
				got := strings.Join(helpFlags(out), " ")
				wantSorted := strings.Fields(want)
				slices.Sort(wantSorted)
				if got != strings.Join(wantSorted, " ") {
					t.Errorf("%s %s lists flags %q, want %q:\n%s", path, h, got, strings.Join(wantSorted, " "), out)
				}
			}
		})
	}
	for path := range commandFlags {
		if !seen[path] {
			t.Errorf("commandFlags lists %q, which is not a command", path)
		}
	}
}

// TestHelpRootAndErrors covers the root's help, shell completion, and the
// exit codes of commands called wrongly.
func TestHelpRootAndErrors(t *testing.T) {
	for _, args := range [][]string{nil, {"--help"}, {"help"}, {"app"}, {"help", "app", "create"}} {
		if code, out, _ := runClean(t, args...); code != 0 || !strings.Contains(out, "Usage:") {
			t.Errorf("clavis %q: exit %d, stdout %q", args, code, out)
		}
	}
	for shell, want := range map[string]string{"bash": "# bash completion V2 for clavis", "zsh": "#compdef clavis", "fish": "# fish completion for clavis"} {
		if code, out, _ := runClean(t, "completion", shell); code != 0 || !strings.HasPrefix(out, want) {
			t.Errorf("completion %s: exit %d, %.80q", shell, code, out)
		}
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"bogus"}, `clavis: unknown command "bogus"`},
		{[]string{"app", "bogus"}, `clavis app: unknown command "bogus"`},
		{[]string{"app", "lst"}, `did you mean list?`},
		{[]string{"app", "create"}, "clavis app create: missing [ORG/]ID (see `clavis app create --help`)"},
		{[]string{"app", "create", "a", "b"}, `unexpected argument "b"`},
		{[]string{"app", "create", "a", "--owner", "me"}, "unknown flag: --owner"},
		{[]string{"app", "visibility", "hidden", "photos"}, `visibility must be public or private, not "hidden"`},
		{[]string{"key", "create", "--scopes", "All"}, "--app is required"},
		{[]string{"pat", "create", "--expires", "soon"}, `--expires "soon"`},
		{[]string{"predict", "x.jpg"}, "--model is required"},
		{[]string{"predict", "--model", "m"}, "missing FILE|URL"},
		{[]string{"migrate", "--from", "x"}, "--to postgres://... are required"},
		{[]string{"serve", "--no-such-flag"}, "flag provided but not defined"},
		{[]string{"setup", "--no-such-flag"}, "flag provided but not defined"},
	} {
		code, out, errOut := runClean(t, tc.args...)
		if code != 2 || out != "" || !strings.Contains(errOut, tc.want) || strings.Count(errOut, "\n") > 1 && tc.args[0] != "serve" {
			t.Errorf("clavis %q: exit %d, stdout %q, stderr %q; want exit 2 and %q", tc.args, code, out, errOut, tc.want)
		}
	}
}

// TestHelpVersion checks --version and version, in-process (no -ldflags:
// the fallback) and in the binary built with -ldflags -X as `make build`
// does.
func TestHelpVersion(t *testing.T) {
	code, out, _ := runClean(t, "--version")
	if code != 0 || !regexp.MustCompile(`^clavis \S+ \(commit \S+, go[\d.]+ \w+/\w+\)\n$`).MatchString(out) {
		t.Fatalf("--version: exit %d, %q", code, out)
	}
	if code, out2, _ := runClean(t, "version"); code != 0 || out2 != out {
		t.Fatalf("version: exit %d, %q, want %q", code, out2, out)
	}
	bin := clavisBinary(t)
	got, err := execOutput(bin, "--version")
	if err != nil || got != "clavis "+testVersion+" (commit "+testCommit+", "+goVersion()+")\n" {
		t.Fatalf("built --version: %v %q", err, got)
	}
	got, err = execOutput(bin, "version", "--json")
	var v struct{ Version, Commit, Go string }
	if err != nil || json.Unmarshal([]byte(got), &v) != nil || v.Version != testVersion || v.Commit != testCommit || v.Go == "" {
		t.Fatalf("built version --json: %v %q", err, got)
	}
}

// execOutput runs the binary and returns its standard output.
func execOutput(bin string, args ...string) (string, error) {
	out, err := exec.Command(bin, args...).Output()
	return string(out), err
}

// goVersion is the Go version, OS and architecture the test binary, and so
// clavisBinary, was built for.
func goVersion() string {
	return runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH
}
