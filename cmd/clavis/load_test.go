package main_test

import (
	"bytes"
	"context"
	"os"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/protobuf/types/known/wrapperspb"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	cmd "github.com/clavis-dev/clavis/cmd/clavis"
)

// TestLoad runs `clavis load` briefly against a server, in mixed mode and
// as a connection flood, and checks its report.
func TestLoad(t *testing.T) {
	s := startServer(t)
	// A token limited itself (rate and addresses) may create only keys
	// limited as much: --key-rate-limit and --key-allow give them that.
	limited := s.newKey(t, s.pat, &pb.Key{Type: "personal_access_token", Scopes: []string{"All"},
		RateLimit: wrapperspb.UInt32(100000), AllowedCidrs: []string{"127.0.0.0/8", "::1/128"}})
	for _, c := range []struct {
		name  string
		token string
		args  []string
		want  []string
	}{
		{"Mixed", "", []string{"--clients", "2", "--duration", "1s"}, []string{"MyScopesUser", "PostKeys", "DeleteKey", "PostModelOutputs", " 0 errors", "server RSS before "}},
		{"Limited", limited, []string{"--clients", "2", "--duration", "1s", "--key-rate-limit", "1000", "--key-allow", "127.0.0.0/8,::1/128"}, []string{"PostKeys", "DeleteKey", " 0 errors"}},
		{"Flood", "", []string{"--clients", "1", "--duration", "1s", "--abuse", "flood"}, []string{"connections opened 200", "after the run, MyScopesUser answered"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var out bytes.Buffer
			tok := s.pat
			if c.token != "" {
				tok = c.token
			}
			args := append([]string{"load", "--addr", s.Addr(), "--token", tok, "--pid", strconv.Itoa(os.Getpid())}, c.args...)
			if code := cmd.Run(context.Background(), args, strings.NewReader(""), &out, &out); code != 0 {
				t.Fatalf("exit %d:\n%s", code, out.String())
			}
			for _, w := range c.want {
				if !strings.Contains(out.String(), w) {
					t.Fatalf("report lacks %q:\n%s", w, out.String())
				}
			}
			if strings.Contains(out.String(), tok) {
				t.Fatal("the report shows the token")
			}
		})
	}
}
