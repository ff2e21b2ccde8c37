package clavis_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImportRules keeps dependencies pointing inward: the domain imports
// only the standard library, auth knows no transport, transports reach
// stores only through the service, and engines do not import each other.
func TestImportRules(t *testing.T) {
	cmd := exec.Command("go", "list", "-e", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, "./...")
	cmd.Dir = ".." // the module root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	const mod = "github.com/clavis-dev/clavis/"
	forbidden := map[string][]string{
		mod + "clavis":                   {"."}, // anything with a dot: not the standard library
		mod + "internal/auth":            {"google.golang.org/grpc", "net/http", mod + "internal/grpcapi", mod + "internal/service", mod + "internal/store"},
		mod + "internal/service":         {"google.golang.org/grpc", "net/http", mod + "internal/grpcapi", mod + "internal/store", mod + "api/"},
		mod + "internal/grpcapi":         {mod + "internal/store", "net/http"},
		mod + "internal/store/sqlstore":  {mod + "internal/store/sqlite", mod + "internal/store/postgres", mod + "internal/service", mod + "internal/auth", mod + "internal/grpcapi", mod + "api/"},
		mod + "internal/store/sqlite":    {mod + "internal/store/postgres", mod + "internal/service", mod + "internal/auth"},
		mod + "internal/store/postgres":  {mod + "internal/store/sqlite", mod + "internal/grpcapi"},
		mod + "internal/inference":       {mod + "internal/service", mod + "internal/grpcapi", mod + "internal/store"},
		mod + "internal/store/storetest": {mod + "internal/store/sqlite", mod + "internal/store/postgres"},
		mod + "internal/jobs":            {mod + "internal/store", mod + "internal/service", mod + "internal/grpcapi", mod + "internal/auth", mod + "internal/inference", mod + "api/"},
		mod + "internal/store/blobdir":   {mod + "internal/store/sqlite", mod + "internal/store/postgres", mod + "internal/store/sqlstore", mod + "internal/service", mod + "internal/auth"},
	}
	checked := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg, imports := fields[0], fields[1:]
		rules, ok := forbidden[pkg]
		if !ok {
			continue
		}
		checked++
		for _, imp := range imports {
			for _, bad := range rules {
				if bad == "." && strings.Contains(strings.SplitN(imp, "/", 2)[0], ".") || bad != "." && strings.HasPrefix(imp, bad) {
					t.Errorf("%s imports %s", strings.TrimPrefix(pkg, mod), imp)
				}
			}
		}
	}
	if checked < 6 {
		t.Fatalf("only %d packages checked: go list did not see the module", checked)
	}
}
