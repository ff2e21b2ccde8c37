package main_test

import (
	"bytes"
	"context"
	"os"
	"strconv"
	"strings"
	"testing"

	cmd "github.com/clavis-dev/clavis/cmd/clavis"
)

// TestLoad runs `clavis load` briefly against a server, in mixed mode and
// as a connection flood, and checks its report.
func TestLoad(t *testing.T) {
	s := startServer(t)
	for _, c := range []struct {
		name string
		args []string
		want []string
	}{
		{"Mixed", []string{"--clients", "2", "--duration", "1s"}, []string{"MyScopesUser", "PostKeys", "DeleteKey", "PostModelOutputs", " 0 errors", "server RSS before "}},
		{"Flood", []string{"--clients", "1", "--duration", "1s", "--abuse", "flood"}, []string{"connections opened 200", "after the run, MyScopesUser answered"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var out bytes.Buffer
			args := append([]string{"load", "--addr", s.Addr(), "--token", s.pat, "--pid", strconv.Itoa(os.Getpid())}, c.args...)
			if code := cmd.Run(context.Background(), args, strings.NewReader(""), &out, &out); code != 0 {
				t.Fatalf("exit %d:\n%s", code, out.String())
			}
			for _, w := range c.want {
				if !strings.Contains(out.String(), w) {
					t.Fatalf("report lacks %q:\n%s", w, out.String())
				}
			}
			if strings.Contains(out.String(), s.pat) {
				t.Fatal("the report shows the token")
			}
		})
	}
}
