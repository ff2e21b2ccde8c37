package main_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	cmd "github.com/clavis-dev/clavis/cmd/clavis"
)

// TestServeFlagDefaults keeps the documented flag defaults equal to
// DefaultConfig.
func TestServeFlagDefaults(t *testing.T) {
	var out bytes.Buffer
	code := cmd.Run(context.Background(), []string{"serve", "-h"}, strings.NewReader(""), &out, &out)
	if code != 0 {
		t.Fatalf("serve -h exit %d", code)
	}
	d := cmd.DefaultConfig()
	for _, want := range []string{
		`-addr string`, `(default "` + d.Addr + `")`,
		`-data-dir string`, `(default "` + d.DataDir + `")`,
		`-bootstrap-user string`, `(default "` + d.BootstrapUser + `")`,
		`-auth-cache-ttl duration`, `(default ` + d.AuthCacheTTL.String() + `)`,
		`-tls-self-signed`, `-tls-addr string`, `-models-dir string`,
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("serve -h lacks %q:\n%s", want, out.String())
		}
	}
}
