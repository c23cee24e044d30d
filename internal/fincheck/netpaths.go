package fincheck

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/fintech-resilience/fintech-resilience/policy/netpath"
)

// NetworkPathFailures counts the paths that break the design: a required
// path closed, a forbidden path open, or a malformed declaration.
func NetworkPathFailures(rs []netpath.Result) int {
	s := netpath.Summarize(rs)
	return s.RequiredClosed + s.ForbiddenOpen + invalidPaths(rs)
}

// invalidPaths counts declarations that could not be evaluated because they
// are malformed (not merely unknown in a preview).
func invalidPaths(rs []netpath.Result) int {
	n := 0
	for _, r := range rs {
		if r.Status == netpath.Unknown && !r.OK {
			n++
		}
	}
	return n
}

// WriteNetworkPaths writes the network path table of a stack and, for each
// failed path, every subnet pair, port, direction and the rule, security
// group or route that decided.
func WriteNetworkPaths(w io.Writer, stack string, rs []netpath.Result) error {
	s := netpath.Summarize(rs)
	fmt.Fprintf(w, "Network paths of stack %s: %d required open, %d forbidden closed, %d unknown, %d FAILED\n\n",
		stack, s.RequiredOpen, s.ForbiddenClosed, s.Unknown, NetworkPathFailures(rs))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RESULT\tKIND\tPATH\tFROM\tTO\tPORTS\tPAIRS\tSTATUS\tDECIDED BY")
	for _, r := range rs {
		result := "ok"
		if !r.OK {
			result = "FAIL"
		}
		decided := r.DecidedBy
		if decided == "" && r.OK && r.Kind == netpath.Required && r.Status == netpath.Open {
			decided = "every pair open both ways"
		}
		if r.Status == netpath.Unknown && len(r.Problems) > 0 {
			decided = r.Problems[0]
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s/%s\t%d\t%s\t%s\n", result, r.Kind, r.Path, r.From, r.To, r.Protocol, r.Ports, r.Pairs, r.Status, decided)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("writing table: %w", err)
	}
	for _, r := range rs {
		if r.OK {
			continue
		}
		fmt.Fprintf(w, "\nFAIL %s path %s (%s → %s, %s/%s) is %s.\n  caller: %s\n  why it matters: %s\n", r.Kind, r.Path, r.From, r.To, r.Protocol, r.Ports, r.Status, r.Caller, r.Reason)
		for _, p := range r.Problems {
			fmt.Fprintf(w, "  - %s\n", p)
		}
	}
	fmt.Fprintln(w)
	return nil
}
