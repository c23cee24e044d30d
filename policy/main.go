// Command policy is the FinTech CrossGuard policy pack:
//
//	pulumi preview -s <stack> --policy-pack ./policy
//
// The rules live in policy/rules and are shared with cmd/fincheck.
package main

import (
	"os"

	"github.com/fintech-resilience/fintech-resilience/policy/pack"
)

// The body is pack.Main, which the tests of policy/pack also run.
func main() {
	os.Exit(pack.Main(os.Stdout, os.Stderr))
}
