package tests

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fintech-resilience/fintech-resilience/components/securevpc"
	"github.com/fintech-resilience/fintech-resilience/policy/graph"
	"github.com/fintech-resilience/fintech-resilience/policy/netpath"
)

// The private tier's listener port leaves the subnet towards every private
// subnet: a CloudFront VPC origin interface in one zone reaches ALB nodes in
// the others. With 3 zones, NAT and a public tier the private ACL stays
// within the 20-rule quota (16 in, 19 out).
func TestPrivateNACLListenerBothWays(t *testing.T) {
	g, v := secureVPCBuild(t, func(a *securevpc.Args) { a.NatGateways = securevpc.NatPerAZ; a.ListenerPort = 80 })
	var nacl *graph.Resource
	for _, n := range g.OfType(tNACL) {
		if n.Name == "net-private-nacl" {
			nacl = n
		}
	}
	require.NotNil(t, nacl)
	in, out := naclRules(t, nacl, "ingress"), naclRules(t, nacl, "egress")
	for _, c := range v.SubnetCIDRs[securevpc.Private] {
		assert.Contains(t, in, rule{c, 80, 80}, "listener from %s", c)
		assert.Contains(t, out, rule{c, 80, 80}, "listener to %s", c)
	}
	assert.Len(t, in, 16)
	assert.Len(t, out, 19)
}

// The tier-level paths the VPC declares hold in every mode: the isolated
// tier never reaches the internet, private reaches isolated only on the
// database port and 443, public never reaches the database, and HTTPS
// leaves through NAT when there is NAT.
func TestTierPathsProven(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			g, v := secureVPCBuild(t, m.mutate)
			got := map[string]netpath.Result{}
			for _, r := range netpath.Check(g) {
				got[r.Path] = r
				assert.True(t, r.OK, "%s: %v", r.Path, r.Problems)
			}
			require.Contains(t, got, "net-path-isolated-to-internet")
			require.Contains(t, got, "net-path-private-to-isolated-other-ports")
			_, public := got["net-path-public-to-database"]
			assert.Equal(t, len(v.Subnets[securevpc.Public]) > 0, public)
			_, nat := got["net-path-private-to-internet-https"]
			assert.Equal(t, m.mutate != nil && baseNat(m.mutate) != securevpc.NatNone, nat)
		})
	}
}

func baseNat(mutate func(a *securevpc.Args)) string {
	a := secureVPCBaseArgs()
	mutate(a)
	return a.NatGateways
}
