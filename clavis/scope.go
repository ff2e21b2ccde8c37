package clavis

import (
	"fmt"
	"math/bits"
	"sort"
	"strings"
)

// ScopeAll is the scope that grants everything.
const ScopeAll = "All"

// scopeResources lists Clarifai's resource scopes with their verbs, in the
// order of the scope enum clarifai.auth.scope.S (exposed scopes only).
var scopeResources = []struct {
	resource string
	verbs    []string
}{
	{"Inputs", []string{"Get", "Add", "Delete", "Patch"}},
	{"Concepts", []string{"Get", "Add", "Patch"}},
	{"Models", []string{"Get", "Add", "Delete", "Patch", "Train", "Pull"}},
	{"ModelExports", []string{"Get", "Add"}},
	{"Workflows", []string{"Get", "Add", "Delete", "Patch"}},
	{"WorkflowMetrics", []string{"Get", "Add", "Delete"}},
	{"Annotations", []string{"Get", "Add", "Delete", "Patch"}},
	{"Collectors", []string{"Get", "Add", "Delete"}},
	{"Apps", []string{"Get", "Add", "Delete"}},
	{"Keys", []string{"Get", "Add", "Delete"}},
	{"Collaborators", []string{"Get", "Add", "Delete"}},
	{"Metrics", []string{"Get", "Add", "Delete"}},
	{"Tasks", []string{"Get", "Add", "Delete"}},
	{"PasswordPolicies", []string{"Get", "Add", "Delete"}},
	{"LabelOrders", []string{"Get", "Add", "Delete"}},
	{"FindDuplicateAnnotationsJobs", []string{"Get", "Add", "Delete"}},
	{"Datasets", []string{"Get", "Add", "Delete"}},
	{"Modules", []string{"Get", "Add", "Delete"}},
	{"InstalledModuleVersions", []string{"Get", "Add", "Delete"}},
	{"SavedSearch", []string{"Get", "Add", "Delete"}},
	{"ModelVersionPublications", []string{"Add", "Delete"}},
	{"WorkflowPublications", []string{"Add", "Delete"}},
	{"BulkOperation", []string{"Get", "Add", "Delete"}},
	{"Uploads", []string{"Get", "Add", "Delete"}},
	{"Runners", []string{"Get", "Add", "Delete"}},
	{"RunnerItems", []string{"Get", "Add"}},
	{"Nodepools", []string{"Get", "Add", "Delete"}},
	{"ComputeClusters", []string{"Get", "Add", "Delete"}},
	{"Deployments", []string{"Get", "Add", "Delete"}},
	{"InstanceTypes", []string{"Get"}},
	{"AuditLogs", []string{"Get"}},
	{"LogEntries", []string{"Get"}},
	{"WorkflowVersionEvaluations", []string{"Get", "Add"}},
	{"Pipelines", []string{"Get", "Add", "Delete"}},
	{"PipelineSteps", []string{"Get", "Add", "Delete", "Pull"}},
	{"Secrets", []string{"Get", "Add", "Delete"}},
	{"UserMetrics", []string{"Get"}},
	{"AnnotationTracks", []string{"Get", "Add", "Delete"}},
	{"Artifacts", []string{"Get", "Add", "Delete"}},
}

// scopeNames holds every scope except All, in catalogue order; a scope's
// index is its bit in a ScopeSet.
var (
	scopeNames []string
	scopeIndex = map[string]int{}
	scopeFull  ScopeSet
)

func init() {
	scopeNames = append(scopeNames, "Predict", "Search")
	for _, r := range scopeResources {
		for _, v := range r.verbs {
			scopeNames = append(scopeNames, r.resource+":"+v)
		}
	}
	if len(scopeNames) > len(ScopeSet{})*64 {
		panic("clavis: scope catalogue outgrew ScopeSet")
	}
	for i, n := range scopeNames {
		scopeIndex[strings.ToLower(n)] = i
		scopeFull[i/64] |= 1 << (i % 64)
	}
}

// ScopeSet is a set of scopes. The zero value is the empty set. The full set
// is what the scope All stands for. ScopeSet is a value type: copy freely.
type ScopeSet [3]uint64

// AllScopes returns the full set.
func AllScopes() ScopeSet { return scopeFull }

// ScopeNames returns the names of every scope Clavis knows, except All, in
// catalogue order.
func ScopeNames() []string { return append([]string(nil), scopeNames...) }

// ParseScopes parses scope names into a set. Names are matched without
// regard to case and surrounding space, and "All" stands for every scope. An
// unknown name is an EInvalid error naming it.
func ParseScopes(names []string) (ScopeSet, error) {
	var s ScopeSet
	var unknown []string
	for _, n := range names {
		n = strings.TrimSpace(n)
		if strings.EqualFold(n, ScopeAll) {
			s = scopeFull
			continue
		}
		i, ok := scopeIndex[strings.ToLower(n)]
		if !ok {
			unknown = append(unknown, fmt.Sprintf("%q", n))
			continue
		}
		s[i/64] |= 1 << (i % 64)
	}
	if len(unknown) > 0 {
		return ScopeSet{}, Errorf(EInvalid, "unknown scope %s; scopes are All, Predict, Search or Resource:Verb such as Apps:Get (ListScopes lists them)", strings.Join(unknown, ", "))
	}
	return s, nil
}

// MustScopes is ParseScopes for names known at compile time; it panics on an
// unknown name.
func MustScopes(names ...string) ScopeSet {
	s, err := ParseScopes(names)
	if err != nil {
		panic(err)
	}
	return s
}

// Has reports whether s holds the named scope.
func (s ScopeSet) Has(name string) bool {
	if strings.EqualFold(name, ScopeAll) {
		return s.IsAll()
	}
	i, ok := scopeIndex[strings.ToLower(name)]
	return ok && s[i/64]&(1<<(i%64)) != 0
}

// IsAll reports whether s holds every scope.
func (s ScopeSet) IsAll() bool { return s == scopeFull }

// IsEmpty reports whether s holds no scope.
func (s ScopeSet) IsEmpty() bool { return s == ScopeSet{} }

// Intersect returns the scopes in both s and t.
func (s ScopeSet) Intersect(t ScopeSet) ScopeSet {
	for i := range s {
		s[i] &= t[i]
	}
	return s
}

// Union returns the scopes in s or t.
func (s ScopeSet) Union(t ScopeSet) ScopeSet {
	for i := range s {
		s[i] |= t[i]
	}
	return s
}

// Minus returns the scopes in s but not in t.
func (s ScopeSet) Minus(t ScopeSet) ScopeSet {
	for i := range s {
		s[i] &^= t[i]
	}
	return s
}

// Contains reports whether every scope of t is in s.
func (s ScopeSet) Contains(t ScopeSet) bool { return t.Minus(s).IsEmpty() }

// Len returns the number of scopes in s.
func (s ScopeSet) Len() int {
	n := 0
	for _, w := range s {
		n += bits.OnesCount64(w)
	}
	return n
}

// Names returns the scopes of s in catalogue order; the full set is
// reported as the single name All.
func (s ScopeSet) Names() []string {
	if s.IsAll() {
		return []string{ScopeAll}
	}
	names := make([]string, 0, s.Len())
	for i, n := range scopeNames {
		if s[i/64]&(1<<(i%64)) != 0 {
			names = append(names, n)
		}
	}
	return names
}

// ScopeDependencies returns, for each scope name, the scopes a key holding
// it also needs to be useful: X:Add needs X:Get, X:Delete needs X:Add and
// X:Get. It feeds ListScopes.
func ScopeDependencies() map[string][]string {
	deps := map[string][]string{}
	for _, n := range scopeNames {
		res, verb, ok := strings.Cut(n, ":")
		if !ok {
			continue
		}
		var d []string
		has := func(v string) bool { _, ok := scopeIndex[strings.ToLower(res+":"+v)]; return ok }
		switch verb {
		case "Add":
			if has("Get") {
				d = append(d, res+":Get")
			}
		case "Delete":
			if has("Add") {
				d = append(d, res+":Add")
			}
			if has("Get") {
				d = append(d, res+":Get")
			}
		case "Train", "Pull":
			if has("Get") {
				d = append(d, res+":Get")
			}
		}
		sort.Strings(d)
		deps[n] = d
	}
	return deps
}
