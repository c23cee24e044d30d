package tests

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fintech-resilience/fintech-resilience/internal/fincheck"
	"github.com/fintech-resilience/fintech-resilience/policy/netpath"
)

// A failed path is printed with its pair, port, direction and decider; the
// counts line adds it to FAILED.
func TestWriteNetworkPaths(t *testing.T) {
	rs := []netpath.Result{
		{Path: "edge-path-vpc-origin-to-alb", Kind: netpath.Required, From: "VPC origin", To: "ALB nodes", Protocol: "tcp", Ports: "80", Pairs: 9,
			Status: netpath.Closed, Caller: "CloudFront", Reason: "viewers",
			Problems: []string{"net-private-a → net-private-c tcp/80: request outbound at net-private-a: network ACL net-private-nacl: no rule matches tcp/80 to 10.10.64.0/20, implicit deny (rule *)"}},
		{Path: "net-path-isolated-to-internet", Kind: netpath.Forbidden, From: "isolated tier", To: "internet", Protocol: "tcp", Ports: "0-65535", Pairs: 3,
			Status: netpath.Closed, OK: true, DecidedBy: "net-isolated-a → internet: route table net-isolated-a-rt has no route"},
	}
	var b bytes.Buffer
	require.NoError(t, fincheck.WriteNetworkPaths(&b, "workload", rs))
	out := b.String()
	assert.Contains(t, out, "Network paths of stack workload: 0 required open, 1 forbidden closed, 0 unknown, 1 FAILED")
	assert.Contains(t, out, "FAIL required path edge-path-vpc-origin-to-alb (VPC origin → ALB nodes, tcp/80) is closed.")
	assert.Contains(t, out, "  - net-private-a → net-private-c tcp/80: request outbound at net-private-a: network ACL net-private-nacl")
	assert.Contains(t, out, "route table net-isolated-a-rt has no route")
}
