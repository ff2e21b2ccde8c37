package main_test

import (
	"bytes"
	"context"
	"strconv"
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
		`-metrics `, `-debug-addr string`,
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("serve -h lacks %q:\n%s", want, out.String())
		}
	}
}

// TestServeLimitFlagDefaults keeps the defaults `serve -h` shows for the
// limits equal to DefaultConfig's.
func TestServeLimitFlagDefaults(t *testing.T) {
	var out bytes.Buffer
	cmd.Run(context.Background(), []string{"serve", "-h"}, strings.NewReader(""), &out, &out)
	// Each flag is a line "  --name type   usage (default value)"; the
	// default is left out when it is the zero value.
	defaults := map[string]string{}
	for _, line := range strings.Split(out.String(), "\n") {
		_, flag, ok := strings.Cut(line, "--")
		if !ok {
			continue
		}
		name, _, _ := strings.Cut(flag, " ")
		_, d, _ := strings.Cut(flag, "(default ")
		defaults[name] = strings.TrimSuffix(strings.TrimSpace(d), ")")
	}
	l := cmd.DefaultConfig().Limits
	for name, want := range map[string]string{
		"max-conns":                   "",
		"max-conns-per-addr":          strconv.Itoa(l.MaxConnsPerAddr),
		"first-bytes-timeout":         l.FirstBytesTimeout.String(),
		"header-timeout":              l.HeaderTimeout.String(),
		"body-timeout":                l.BodyTimeout.String(),
		"idle-timeout":                l.IdleTimeout.String(),
		"keepalive-time":              l.KeepaliveTime.String(),
		"keepalive-timeout":           l.KeepaliveTimeout.String(),
		"max-streams":                 strconv.Itoa(l.MaxStreams),
		"max-header-bytes":            strconv.Itoa(l.MaxHeaderBytes),
		"max-body-bytes-in-flight":    strconv.Itoa(l.MaxBodyBytesInFlight),
		"max-unauthenticated-streams": strconv.Itoa(l.MaxUnauthenticatedStreams),
	} {
		got, ok := defaults[name]
		if !ok || got != want {
			t.Errorf("-%s: default %q (listed %v); want %q", name, got, ok, want)
		}
	}
}

// TestServeRefusesBadLimits checks that limits that would leave the server
// unbounded or unable to serve are refused before anything starts.
func TestServeRefusesBadLimits(t *testing.T) {
	for _, tc := range []struct {
		name, env, value string
		args             []string
		want             string
	}{
		{name: "EnvNotADuration", env: "CLAVIS_BODY_TIMEOUT", value: "soon", want: "CLAVIS_BODY_TIMEOUT"},
		{name: "EnvNotANumber", env: "CLAVIS_MAX_CONNS", value: "many", want: "CLAVIS_MAX_CONNS"},
		{name: "EnvNotABool", env: "CLAVIS_METRICS", value: "maybe", want: "CLAVIS_METRICS"},
		{name: "DebugAddrUnusable", args: []string{"--addr", "127.0.0.1:0", "--debug-addr", "256.0.0.1:0"}, want: "--debug-addr"},
		{name: "ZeroTimeout", args: []string{"--idle-timeout", "0"}, want: "--idle-timeout must be positive"},
		{name: "NegativeCap", args: []string{"--max-conns-per-addr", "-1"}, want: "--max-conns-per-addr must be between 0"},
		{name: "NoStreams", args: []string{"--max-streams", "0"}, want: "--max-streams must be between 1"},
		{name: "MemoryLimitUnreadable", args: []string{"--memory-limit", "lots"}, want: "--memory-limit \"lots\""},
		{name: "MemoryLimitEnv", env: "CLAVIS_MEMORY_LIMIT", value: "-3GiB", want: "--memory-limit"},
		{name: "NegativeDecodeBudget", args: []string{"--decode-budget", "-1"}, want: "--decode-budget must be 0"},
		{name: "NegativeQuota", args: []string{"--user-max-keys", "-1"}, want: "--user-max-keys must be 0"},
		{name: "TinyHeaders", args: []string{"--max-header-bytes", "100"}, want: "--max-header-bytes must be between 4096"},
		{name: "TinyBodyBudget", args: []string{"--max-body-bytes-in-flight", "1000"}, want: "--max-body-bytes-in-flight must be between 1048576"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.env != "" {
				t.Setenv(tc.env, tc.value)
			}
			var out bytes.Buffer
			args := append([]string{"serve", "--data-dir", t.TempDir() + "/data"}, tc.args...)
			if code := cmd.Run(context.Background(), args, strings.NewReader(""), &out, &out); code == 0 || !strings.Contains(out.String(), tc.want) {
				t.Fatalf("exit %d, output %q; want an error naming %q", code, out.String(), tc.want)
			}
		})
	}
}
