// Command fintech-resilience is the Pulumi program of the three accounts
// (workload, bunker, restore). The stack's role comes from its
// configuration; see internal/stacks.
package main

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/fintech-resilience/fintech-resilience/internal/stacks"
)

func main() {
	pulumi.Run(stacks.Run)
}
