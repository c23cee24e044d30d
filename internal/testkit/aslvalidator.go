package testkit

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
	unavailable := func(format string, a ...any) {
		t.Helper()
		msg := fmt.Sprintf(format, a...) + ": run npm ci --prefix tools/asl"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	root, err := moduleRoot()
	if err != nil {
		t.Fatalf("module root: %v", err)
	}
	bin := filepath.Join(root, "tools", "asl", "node_modules", ".bin", "asl-validator")
	if _, err := os.Stat(bin); err != nil {
		unavailable("asl-validator is not installed (%v)", err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		unavailable("node is not installed (%v)", err)
	}
	return func(def string) (string, error) {
		p := filepath.Join(t.TempDir(), "definition.asl.json")
		if err := os.WriteFile(p, []byte(def), 0o600); err != nil {
			return "", fmt.Errorf("write definition: %w", err)
		}
		out, err := exec.Command(node, bin, "--json-path", p).CombinedOutput()
		return string(out), err
	}
}

// moduleRoot is the directory of go.mod above the test's directory.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above %s", dir)
		}
		dir = parent
	}
}
