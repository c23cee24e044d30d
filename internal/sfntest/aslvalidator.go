package sfntest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// ASLValidator returns a function that runs the pinned asl-validator
// (tools/asl) over a state machine definition and returns its output, with
// an error when the definition is rejected. Without tools/asl/node_modules
// or node the test is skipped, except in CI (CI=true), where it fails.
func ASLValidator(t testing.TB) func(def string) (string, error) {
	t.Helper()
	root, node := nodeTool(t, "asl", "asl-validator", filepath.Join(".bin", "asl-validator"))
	bin := filepath.Join(root, "tools", "asl", "node_modules", ".bin", "asl-validator")
	return func(def string) (string, error) {
		p := filepath.Join(t.TempDir(), "definition.asl.json")
		if err := os.WriteFile(p, []byte(def), 0o600); err != nil {
			return "", fmt.Errorf("write definition: %w", err)
		}
		out, err := exec.Command(node, bin, "--json-path", p).CombinedOutput()
		return string(out), err
	}
}
