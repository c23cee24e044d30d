// Package tests holds every test that renders Pulumi under mocks — the
// stacks, the components, the policy pack and the checker, and the Lambda
// functions' logic against the components they run in — in one package, so
// that one test binary links the Pulumi SDK and pulumi-aws instead of three
// (docs/decisions/0021-component-tests-in-one-package.md). Files are named
// component_<component>_*, function_<area>_* or after the stack-level concern.
package tests

import (
	"os"
	"testing"

	"github.com/fintech-resilience/fintech-resilience/internal/sfntest"
	"github.com/fintech-resilience/fintech-resilience/policy/pack"
)

// TestMain makes this binary the policy pack process when serveEnv=1 (see
// startPack). Otherwise it runs the tests; the execution tests share one
// harness (sfntest.Shared) whose node processes serve all of them, and
// sfntest.Main stops those processes, and the validator's, afterwards.
func TestMain(m *testing.M) {
	if os.Getenv(serveEnv) == "1" {
		os.Exit(pack.Main(os.Stdout, os.Stderr))
	}
	sfntest.Main(m)
}
