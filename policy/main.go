// Command policy is the FinTech CrossGuard policy pack:
//
//	pulumi preview -s <stack> --policy-pack ./policy
//
// The rules live in policy/rules and are shared with cmd/fincheck.
package main

import (
	"fmt"
	"os"

	"github.com/fintech-resilience/fintech-resilience/policy/pack"
)

func main() {
	if err := pack.Serve(os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "fintech-resilience policy pack: %v\n", err)
		os.Exit(1)
	}
}
