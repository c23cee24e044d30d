package tests

import (
	"os/exec"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// module is this repository's module path.
const module = "github.com/fintech-resilience/fintech-resilience/"

// importRule forbids the packages under each of From (a module-relative path and
// everything below it) to depend, directly or through other packages, on a
// package under any of Forbidden. Allowed exempts packages under it from
// Forbidden.
type importRule struct {
	Why       string
	From      []string
	Forbidden []string
	Allowed   []string
}

// importRules are the one-way structure of docs/architecture.md ("Where
// things live"). Only non-test imports count: tests may use internal/testkit
// and internal/preview.
var importRules = []importRule{
	{
		Why:       "the program `pulumi up` runs must not depend on the offline checker",
		From:      []string{"internal/stacks"},
		Forbidden: []string{"policy", "internal/fincheck", "internal/offline", "internal/preview"},
	},
	{
		Why:       "components stand alone: what they need lives under components/",
		From:      []string{"components"},
		Forbidden: []string{"internal"},
	},
	{
		Why:       "a Lambda function ships alone: it carries none of the Pulumi program",
		From:      []string{"functions", "internal/lambda"},
		Forbidden: []string{"components", "internal", "policy"},
		Allowed:   []string{"internal/lambda"},
	},
}

// under reports whether pkg is dir or below it.
func under(pkg, dir string) bool {
	return pkg == dir || strings.HasPrefix(pkg, dir+"/")
}

// importViolations walks each rule's packages through imports (package to
// its direct module-relative imports) and returns, sorted, one line per
// forbidden package reached, with the import chain that reaches it.
func importViolations(imports map[string][]string, rules []importRule) []string {
	var out []string
	for _, r := range rules {
		forbidden := func(p string) bool {
			for _, a := range r.Allowed {
				if under(p, a) {
					return false
				}
			}
			for _, f := range r.Forbidden {
				if under(p, f) {
					return true
				}
			}
			return false
		}
		found := map[string]bool{}
		for pkg := range imports {
			from := ""
			for _, f := range r.From {
				if under(pkg, f) {
					from = f
				}
			}
			if from == "" {
				continue
			}
			// Breadth-first, so each chain is a shortest one.
			via := map[string]string{pkg: ""}
			queue := []string{pkg}
			for len(queue) > 0 {
				p := queue[0]
				queue = queue[1:]
				if forbidden(p) && !found[pkg+" "+p] {
					found[pkg+" "+p] = true
					chain := []string{p}
					for q := via[p]; q != ""; q = via[q] {
						chain = append([]string{q}, chain...)
					}
					out = append(out, from+" must not import "+p+" ("+r.Why+"): "+strings.Join(chain, " -> "))
					continue
				}
				for _, next := range imports[p] {
					if _, seen := via[next]; !seen {
						via[next] = p
						queue = append(queue, next)
					}
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

// moduleImports lists every package of the module with its direct
// (non-test) imports inside the module, module-relative.
func moduleImports(t *testing.T) map[string][]string {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}{{range .Imports}} {{.}}{{end}}", "./...")
	cmd.Dir = ".."
	raw, err := cmd.Output()
	require.NoError(t, err, "go list: %s", exitStderr(err))
	out := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 || !strings.HasPrefix(fields[0], module) {
			continue
		}
		pkg := strings.TrimPrefix(fields[0], module)
		out[pkg] = []string{}
		for _, imp := range fields[1:] {
			if strings.HasPrefix(imp, module) {
				out[pkg] = append(out[pkg], strings.TrimPrefix(imp, module))
			}
		}
	}
	return out
}

func exitStderr(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return string(ee.Stderr)
	}
	return ""
}

// TestImportsGoOneWay: the stacks do not depend on the checker, no
// component imports the root internal/, and the Lambda functions import
// nothing of the Pulumi program.
func TestImportsGoOneWay(t *testing.T) {
	imports := moduleImports(t)
	// The walk saw the packages the rules are about.
	require.Contains(t, imports, "internal/stacks")
	require.Contains(t, imports, "components/restoreworkflow")
	require.Contains(t, imports, "components/lambdabuild")
	require.Contains(t, imports, "internal/offline")
	require.Contains(t, imports, "functions/isolate")
	require.Contains(t, imports, "internal/lambda/restore")
	assert.Empty(t, importViolations(imports, importRules))
}

// TestImportViolationsFail: the walk finds forbidden imports, direct or
// through another package, and names the chain.
func TestImportViolationsFail(t *testing.T) {
	cases := []struct {
		name    string
		imports map[string][]string
		want    []string
	}{
		{
			name: "clean",
			imports: map[string][]string{
				"internal/stacks":            {"components/restoreworkflow", "internal/config"},
				"components/restoreworkflow": {"components/lambdabuild"},
				"components/lambdabuild":     {},
				"internal/config":            {},
				"internal/offline":           {"internal/stacks", "policy/graph"},
				"policy/graph":               {},
			},
		},
		{
			name: "stacks import the checker's graph",
			imports: map[string][]string{
				"internal/stacks": {"internal/config", "policy/graph"},
				"internal/config": {},
				"policy/graph":    {},
			},
			want: []string{"internal/stacks must not import policy/graph (the program `pulumi up` runs must not depend on the offline checker): internal/stacks -> policy/graph"},
		},
		{
			name: "a component imports the root internal through another component",
			imports: map[string][]string{
				"components/restoreworkflow": {"components/gofunction"},
				"components/gofunction":      {"internal/lambdabuild"},
				"internal/lambdabuild":       {},
			},
			want: []string{
				"components must not import internal/lambdabuild (components stand alone: what they need lives under components/): components/gofunction -> internal/lambdabuild",
				"components must not import internal/lambdabuild (components stand alone: what they need lives under components/): components/restoreworkflow -> components/gofunction -> internal/lambdabuild",
			},
		},
		{
			name: "a function's logic imports a component, a function the program's config",
			imports: map[string][]string{
				"functions/restorepick":      {"internal/lambda/restore", "functions/contract"},
				"internal/lambda/restore":    {"functions/contract", "components/restoreworkflow"},
				"functions/isolate":          {"internal/lambda/isolation", "internal/config"},
				"internal/lambda/isolation":  {},
				"functions/contract":         {},
				"components/restoreworkflow": {},
				"internal/config":            {},
			},
			want: []string{
				"functions must not import components/restoreworkflow (a Lambda function ships alone: it carries none of the Pulumi program): functions/restorepick -> internal/lambda/restore -> components/restoreworkflow",
				"functions must not import internal/config (a Lambda function ships alone: it carries none of the Pulumi program): functions/isolate -> internal/config",
				"internal/lambda must not import components/restoreworkflow (a Lambda function ships alone: it carries none of the Pulumi program): internal/lambda/restore -> components/restoreworkflow",
			},
		},
		{
			name: "stacks reach fincheck through config",
			imports: map[string][]string{
				"internal/stacks":   {"internal/config"},
				"internal/config":   {"internal/fincheck"},
				"internal/fincheck": {},
			},
			want: []string{"internal/stacks must not import internal/fincheck (the program `pulumi up` runs must not depend on the offline checker): internal/stacks -> internal/config -> internal/fincheck"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.want, importViolations(c.imports, importRules))
		})
	}
	// Prefixes are whole path elements: internalx is not internal.
	assert.Empty(t, importViolations(map[string][]string{"components/x": {"internalx"}, "internalx": {}}, importRules))
}

// sharedLeaves are the packages every layer shares (components, functions,
// config reader, checker). They import nothing of the module, so sharing
// them cannot drag one layer into another.
var sharedLeaves = []string{"awsfacts", "awsiam", "functions/contract", "components/asl"}

// leafViolations returns, sorted, one line per module import of a leaf.
func leafViolations(imports map[string][]string, leaves []string) []string {
	var out []string
	for _, l := range leaves {
		deps, ok := imports[l]
		if !ok {
			out = append(out, l+" is not a package of the module")
			continue
		}
		for _, d := range deps {
			out = append(out, l+" must import nothing of the module (a shared leaf), imports "+d)
		}
	}
	sort.Strings(out)
	return out
}

func TestSharedLeavesImportNothingOfTheModule(t *testing.T) {
	assert.Empty(t, leafViolations(moduleImports(t), sharedLeaves))
	// The check fails on a leaf that imports a package of the module, and
	// on a leaf that no longer exists.
	assert.Equal(t, []string{
		"awsiam must import nothing of the module (a shared leaf), imports awsfacts",
		"gone is not a package of the module",
	}, leafViolations(map[string][]string{"awsiam": {"awsfacts"}, "awsfacts": {}}, []string{"awsfacts", "awsiam", "gone"}))
}
