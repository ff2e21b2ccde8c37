package main_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestPrecedence checks the one order in which client commands pick the
// server address and the PAT: flag, then environment, then saved login,
// then the default address; and that the saved PAT is never sent to
// another address than the saved one.
func TestPrecedence(t *testing.T) {
	s := startServer(t)
	bob := s.newUser(t, "bob")
	const nowhere = "127.0.0.1:1" // nothing listens on port 1
	c := newCLI(t, s)
	c.env["CLAVIS_ADDR"], c.env["CLAVIS_PAT"] = "", ""
	if code, _, errOut := c.run("whoami"); code != 1 || !strings.Contains(errOut, "no PAT: run `clavis login`") {
		t.Fatalf("nothing set: exit %d, %q", code, errOut)
	}
	if code, _, errOut := c.run("login", "--addr", s.Addr(), "--pat", s.pat); code != 0 {
		t.Fatalf("login: %d %q", code, errOut)
	}

	for _, tc := range []struct {
		name     string
		env      map[string]string
		args     []string
		user     string // whoami's user, or
		err      string // its error
		addrFrom string
		patFrom  string
	}{
		{name: "SavedLogin", user: "admin", addrFrom: "saved login", patFrom: "saved login"},
		{name: "EnvPATOverLogin", env: map[string]string{"CLAVIS_PAT": bob}, user: "bob", addrFrom: "saved login", patFrom: "environment"},
		{name: "FlagPATOverEnv", env: map[string]string{"CLAVIS_PAT": bob}, args: []string{"--pat", s.pat}, user: "admin", patFrom: "flag"},
		{name: "EnvAddrOverLogin", env: map[string]string{"CLAVIS_ADDR": nowhere, "CLAVIS_PAT": bob}, err: "cannot reach Clavis at " + nowhere + ": is `clavis serve` running?"},
		{name: "FlagAddrOverEnv", env: map[string]string{"CLAVIS_ADDR": nowhere, "CLAVIS_PAT": bob}, args: []string{"--addr", s.Addr()}, user: "bob", addrFrom: "flag", patFrom: "environment"},
		{name: "SavedPATStaysWithSavedAddr", args: []string{"--addr", nowhere}, err: "no PAT for " + nowhere + ": the saved login is for " + s.Addr()},
		{name: "FlagsOnly", env: map[string]string{"CLAVIS_ADDR": nowhere, "CLAVIS_PAT": "clvp_wrong"}, args: []string{"--addr", s.Addr(), "--pat", bob}, user: "bob", addrFrom: "flag", patFrom: "flag"},
		{name: "BadEnvPATSaysSo", env: map[string]string{"CLAVIS_PAT": "clvp_wrong"}, err: "the PAT came from CLAVIS_PAT, which wins over the saved login: fix it, or unset it and run `clavis login`"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c.env["CLAVIS_ADDR"], c.env["CLAVIS_PAT"] = tc.env["CLAVIS_ADDR"], tc.env["CLAVIS_PAT"]
			code, out, errOut := c.run(append([]string{"whoami"}, tc.args...)...)
			if tc.err != "" {
				if code != 1 || !strings.Contains(errOut, tc.err) || strings.Count(errOut, "\n") != 1 {
					t.Fatalf("exit %d, stderr %q; want exit 1 and %q", code, errOut, tc.err)
				}
				return
			}
			if code != 0 {
				t.Fatalf("exit %d, stderr %q", code, errOut)
			}
			for field, want := range map[string]string{"user": tc.user, "PAT from": tc.patFrom} {
				if got := whoamiField(out, field); got != want {
					t.Errorf("%s = %q, want %q:\n%s", field, got, want, out)
				}
			}
			if tc.addrFrom != "" && !strings.Contains(whoamiField(out, "server"), "("+tc.addrFrom+")") {
				t.Errorf("server %q, want from %s", whoamiField(out, "server"), tc.addrFrom)
			}
		})
	}

	// logout removes the saved login; the environment still applies.
	c.env["CLAVIS_ADDR"], c.env["CLAVIS_PAT"] = "", bob
	code, out, errOut := c.run("logout")
	if _, err := os.Stat(filepath.Join(c.env["XDG_CONFIG_HOME"], "clavis", "config.json")); code != 0 || !os.IsNotExist(err) || !strings.Contains(out, "Removed the saved login") || !strings.Contains(errOut, "CLAVIS_PAT is still set") {
		t.Fatalf("logout: exit %d, %v, %q %q", code, err, out, errOut)
	}
	if code, out, _ := c.run("logout"); code != 0 || !strings.Contains(out, "No saved login") {
		t.Fatalf("second logout: exit %d, %q", code, out)
	}
	c.env["CLAVIS_ADDR"] = s.Addr()
	if code, out, _ := c.run("whoami"); code != 0 || whoamiField(out, "user") != "bob" {
		t.Fatalf("after logout with CLAVIS_PAT: exit %d, %q", code, out)
	}
	c.env["CLAVIS_PAT"] = ""
	if code, _, errOut := c.run("whoami"); code != 1 || !strings.Contains(errOut, "no PAT") {
		t.Fatalf("after logout: exit %d, %q", code, errOut)
	}
}

// TestPrecedenceLoginFromStdin checks that login reads the PAT from
// standard input when neither --pat nor CLAVIS_PAT gives one.
func TestPrecedenceLoginFromStdin(t *testing.T) {
	s := startServer(t)
	c := newCLI(t, s)
	c.env["CLAVIS_PAT"] = ""
	c.stdin = s.pat + "\n"
	if code, out, errOut := c.run("login"); code != 0 || !strings.Contains(out, "as admin") || strings.Contains(errOut, "Personal Access Token:") {
		t.Fatalf("login < PAT: exit %d, %q %q", code, out, errOut)
	}
	c.stdin = ""
	if code, _, errOut := c.run("login"); code != 2 || !strings.Contains(errOut, "no PAT: pass --pat, set CLAVIS_PAT or give it on standard input") {
		t.Fatalf("login < /dev/null: exit %d, %q", code, errOut)
	}
	c.stdin = "clvp_wrong\n"
	if code, _, errOut := c.run("login"); code != 1 || !strings.Contains(errOut, "the server refused the PAT: Invalid API key") {
		t.Fatalf("login with a wrong PAT: exit %d, %q", code, errOut)
	}
}

// whoamiField returns the value of a "field: value" line of whoami.
func whoamiField(out, field string) string {
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(field) + `:\s+(.*?)\s*$`).FindStringSubmatch(out)
	if m == nil {
		return ""
	}
	return m[1]
}
