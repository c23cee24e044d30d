// Command fincheck previews the stacks offline under Pulumi mocks, checks
// them (or exported state) against the FinTech policy rules and writes the
// FISC check sheet. See internal/fincheck for the commands and exit codes.
package main

import (
	"os"

	"github.com/fintech-resilience/fintech-resilience/internal/fincheck"
)

func main() {
	os.Exit(fincheck.Run(os.Args[1:], os.Stdout, os.Stderr))
}
