package rules

import (
	"fmt"

	"github.com/fintech-resilience/fintech-resilience/components/flow/pathspec"
	"github.com/fintech-resilience/fintech-resilience/policy/graph"
	"github.com/fintech-resilience/fintech-resilience/policy/netpath"
)

// networkPathRule proves the declared network paths (policy/netpath): a
// required path closed on some subnet pair, port or direction, or a
// forbidden path open (or not closed by every layer it must be closed
// by), is a violation on the declaration. A path whose inputs are not
// known yet is skipped.
func networkPathRule() Rule {
	types := []string{pathspec.TypePathRequired, pathspec.TypePathForbidden}
	return Rule{
		Name:        "network-paths-proven",
		Description: "Every declared required network path is open (routes, network ACLs both ways, security groups, every subnet pair) and every declared forbidden path is closed.",
		Enforcement: Mandatory, Family: "network", Scope: StackScope,
		Practice: "seed 000 #5, #6", Controls: ctlNetwork,
		Types: types,
		Check: func(g *graph.Graph) []Finding {
			var out []Finding
			for _, r := range netpath.Check(g) {
				if r.OK {
					continue
				}
				for _, p := range r.Problems {
					out = append(out, Finding{URN: r.URN, Message: fmt.Sprintf("%s path %s (%s → %s, %s/%s): %s", r.Kind, r.Path, r.From, r.To, r.Protocol, r.Ports, p)})
				}
			}
			return out
		},
	}
}
