package fincheck

import "io"

func runReport(args []string, stdout io.Writer) (int, error) {
	return ExitUsage, usageError("report: not yet available")
}
