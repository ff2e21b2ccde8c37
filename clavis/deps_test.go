package clavis_test

import (
	"os/exec"
	"strings"
	"testing"
)

const mod = "github.com/clavis-dev/clavis/"

// layer is a rule of the layering: the packages it covers (a path, or a
// path/... for a whole subtree), what they may not reach through any chain
// of imports, and what they may not import themselves.
type layer struct {
	pkgs     string
	noDeps   []string // import path prefixes, checked transitively
	noDirect []string // import path prefixes, checked on direct imports
}

// transports and engines, for the rules below.
var (
	transports = []string{mod + "internal/grpcapi", mod + "internal/gateway", mod + "internal/web", mod + "internal/hosted"}
	engines    = []string{mod + "internal/store/sqlite", mod + "internal/store/postgres"}
	tooling    = []string{mod + "internal/onnxconv", mod + "internal/setup"}
)

func join(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// layers keeps dependencies pointing inward: transports → service →
// auth and inference → the domain, which needs only the standard library.
// Engines are reached only through the store interfaces (cmd/clavis alone
// wires them); the gateway knows neither auth nor the service; inference
// reaches no store, no transport, neither the converter nor the installer.
// The metrics and the probes depend on none of the parts they observe.
// Every internal package must fall under a rule.
var layers = []layer{
	{pkgs: mod + "clavis", noDeps: []string{"."}}, // "." = anything but the standard library and the domain
	{pkgs: mod + "internal/reqid", noDeps: []string{"."}},
	{pkgs: mod + "internal/inference/manifest", noDeps: []string{".", mod + "internal/", mod + "api/"}},
	{pkgs: mod + "internal/auth/...", noDeps: join(transports, []string{mod + "internal/service", mod + "internal/store", mod + "internal/inference", mod + "api/"}, tooling),
		noDirect: []string{"google.golang.org/grpc", "net/http"}},
	{pkgs: mod + "internal/inference/...", noDeps: join(transports, []string{mod + "internal/service", mod + "internal/store", mod + "internal/auth", mod + "api/"}, tooling)},
	{pkgs: mod + "internal/service/...", noDeps: join(transports, []string{mod + "internal/store", mod + "api/"}, tooling),
		noDirect: []string{"google.golang.org/grpc", "net/http"}},
	{pkgs: mod + "internal/grpcapi/...", noDeps: join([]string{mod + "internal/store", mod + "internal/gateway", mod + "internal/web"}, tooling), noDirect: []string{"net/http"}},
	{pkgs: mod + "internal/gateway/...", noDeps: join([]string{mod + "internal/auth", mod + "internal/service", mod + "internal/store", mod + "internal/grpcapi", mod + "internal/web", mod + "internal/inference"}, tooling)},
	{pkgs: mod + "internal/web/...", noDeps: join([]string{mod + "internal/store", mod + "internal/grpcapi", mod + "internal/gateway"}, tooling)},
	{pkgs: mod + "internal/store/sqlstore", noDeps: join(engines, transports, []string{mod + "internal/service", mod + "internal/auth", mod + "internal/inference", mod + "api/"})},
	{pkgs: mod + "internal/store/sqlite", noDeps: join([]string{mod + "internal/store/postgres", mod + "internal/service", mod + "internal/auth", mod + "internal/inference"}, transports)},
	{pkgs: mod + "internal/store/postgres/...", noDeps: join([]string{mod + "internal/store/sqlite", mod + "internal/service", mod + "internal/auth", mod + "internal/inference"}, transports)},
	{pkgs: mod + "internal/store/storetest", noDeps: join(engines, transports, []string{mod + "internal/service"})},
	{pkgs: mod + "internal/store/blobdir", noDeps: join(engines, transports, []string{mod + "internal/store/sqlstore", mod + "internal/service", mod + "internal/auth", mod + "internal/inference", mod + "api/"})},
	{pkgs: mod + "internal/hosted", noDeps: join([]string{mod + "internal/store", mod + "internal/web"}, tooling)},
	{pkgs: mod + "internal/jobs", noDeps: join([]string{mod + "internal/store", mod + "internal/service", mod + "internal/auth", mod + "internal/inference", mod + "api/"}, transports, tooling)},
	{pkgs: mod + "internal/onnxconv/...", noDeps: join(transports, []string{mod + "internal/service", mod + "internal/store", mod + "internal/setup", mod + "internal/inference/loader"})},
	{pkgs: mod + "internal/listen/...", noDeps: join(transports, []string{mod + "internal/service", mod + "internal/store", mod + "internal/auth", mod + "internal/inference"}, tooling)},
	{pkgs: mod + "internal/tfjs/...", noDeps: join(transports, []string{mod + "internal/service", mod + "internal/store", mod + "internal/inference", mod + "internal/setup", mod + "internal/onnxconv"})},
	{pkgs: mod + "internal/vector/...", noDeps: join(transports, []string{mod + "internal/service", mod + "internal/store", mod + "internal/auth", mod + "internal/inference", mod + "api/"}, tooling)},
	{pkgs: mod + "internal/embedeval/...", noDeps: join(transports, []string{mod + "internal/service", mod + "internal/store", mod + "internal/auth", mod + "internal/setup", mod + "api/"})},
	{pkgs: mod + "internal/setup/...", noDeps: join(transports, []string{mod + "internal/service", mod + "internal/store", mod + "internal/auth"})},
	// The rate limit counters know the domain's interface and Redis, nothing of the server.
	{pkgs: mod + "internal/ratelimit", noDeps: join(transports, []string{mod + "internal/service", mod + "internal/store", mod + "internal/auth", mod + "internal/inference", mod + "api/"}, tooling)},
	// Trusted proxies: a leaf, the standard library only.
	{pkgs: mod + "internal/clientaddr", noDeps: []string{".", mod + "internal/", mod + "api/"}},
	// The metrics implement the observers of the parts they measure without
	// importing them; the probes know nothing of the parts they check.
	{pkgs: mod + "internal/metrics", noDeps: []string{mod + "internal/", mod + "api/"}},
	// The harness's statistics and table know nothing of what they measure.
	{pkgs: mod + "internal/benchkit", noDeps: []string{"."}},
	{pkgs: mod + "internal/probe", noDeps: []string{mod + "internal/", mod + "api/", mod + "clavis"}},
	// The load tool is a client: it knows the wire, never the server's parts.
	{pkgs: mod + "internal/loadgen", noDeps: []string{mod + "internal/", mod + "clavis"}},
}

// everywhere holds for every package but cmd/clavis and the store engines'
// own: only the binary opens an engine.
var everywhere = layer{pkgs: mod + "internal/...", noDeps: engines}

func (l layer) covers(pkg string) bool {
	if sub, ok := strings.CutSuffix(l.pkgs, "/..."); ok {
		return pkg == sub || strings.HasPrefix(pkg, sub+"/")
	}
	return pkg == l.pkgs
}

// forbidden reports whether imp matches one of the prefixes; "." matches
// every package outside the standard library but the domain.
func forbidden(imp string, prefixes []string) bool {
	for _, p := range prefixes {
		external := strings.Contains(strings.SplitN(imp, "/", 2)[0], ".") && imp != mod+"clavis"
		if p == "." && external || p != "." && (imp == strings.TrimSuffix(p, "/") || strings.HasPrefix(imp, p)) {
			return true
		}
	}
	return false
}

// TestImportRules checks every package of the module, with everything it
// reaches, against the layers.
func TestImportRules(t *testing.T) {
	cmd := exec.Command("go", "list", "-e", "-f", `{{.ImportPath}}|{{join .Imports " "}}|{{join .Deps " "}}`, "./...")
	cmd.Dir = ".." // the module root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	checked := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		parts := strings.SplitN(line, "|", 3)
		pkg, imports, deps := parts[0], strings.Fields(parts[1]), strings.Fields(parts[2])
		if strings.HasPrefix(pkg, mod+"api/gen") || strings.HasPrefix(pkg, mod+"cmd/") {
			continue // generated code; the binary, which wires everything
		}
		covered := false
		rules := layers
		if !strings.HasPrefix(pkg, mod+"internal/store/") {
			rules = append(rules[:len(rules):len(rules)], everywhere)
		}
		for i, l := range rules {
			if !l.covers(pkg) {
				continue
			}
			covered = covered || i < len(layers)
			for _, d := range deps {
				if d != pkg && forbidden(d, l.noDeps) {
					t.Errorf("%s reaches %s (%s may not)", strings.TrimPrefix(pkg, mod), d, strings.TrimPrefix(l.pkgs, mod))
				}
			}
			for _, d := range imports {
				if forbidden(d, l.noDirect) {
					t.Errorf("%s imports %s (%s may not)", strings.TrimPrefix(pkg, mod), d, strings.TrimPrefix(l.pkgs, mod))
				}
			}
		}
		if !covered && pkg != mod+"clavis" {
			t.Errorf("%s falls under no rule of the layering: add it to layers", strings.TrimPrefix(pkg, mod))
		}
		checked++
	}
	if checked < 20 {
		t.Fatalf("only %d packages checked: go list did not see the module", checked)
	}
}
