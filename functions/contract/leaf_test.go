package contract

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const modulePath = "github.com/fintech-resilience/fintech-resilience"

// moduleImports returns the imports of this module by the non-test Go
// files in dir.
func moduleImports(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	require.NoError(t, err)
	var out []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		parsed, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		require.NoError(t, err)
		for _, imp := range parsed.Imports {
			p, err := strconv.Unquote(imp.Path.Value)
			require.NoError(t, err)
			if p == modulePath || strings.HasPrefix(p, modulePath+"/") {
				out = append(out, filepath.Base(f)+": "+p)
			}
		}
	}
	return out
}

// TestIsALeaf keeps the contract a leaf: components and functions both
// import it, so it must import neither.
func TestIsALeaf(t *testing.T) {
	assert.Empty(t, moduleImports(t, "."))

	// The check does see an import of the module.
	dir := t.TempDir()
	src := "package contract\n\nimport _ \"" + modulePath + "/components/asl\"\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "bad.go"), []byte(src), 0o600))
	assert.Equal(t, []string{"bad.go: " + modulePath + "/components/asl"}, moduleImports(t, dir))
}
