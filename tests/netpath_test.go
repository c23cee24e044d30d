package tests

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fintech-resilience/fintech-resilience/internal/offline"
	"github.com/fintech-resilience/fintech-resilience/policy/graph"
	"github.com/fintech-resilience/fintech-resilience/policy/netpath"
	"github.com/fintech-resilience/fintech-resilience/policy/rules"
)

// The paths the shipped workload and restore stacks declare, by name.
var (
	requiredPaths = map[string][]string{
		"workload": {"api-path-alb-to-tasks", "api-path-health-check", "api-path-tasks-to-endpoints", "batch-path-tasks-to-endpoints",
			"db-path-api-to-db", "db-path-batch-to-db", "edge-path-vpc-origin-to-alb", "net-path-private-to-internet-https"},
		"restore": {"api-path-alb-to-tasks", "api-path-health-check", "api-path-tasks-to-endpoints", "batch-path-tasks-to-endpoints",
			"restored-db-path-api-to-db", "restored-db-path-batch-to-db", "edge-path-vpc-origin-to-alb", "net-path-private-to-internet-https",
			"restore-workflow-path-functions-to-endpoints"},
	}
	forbiddenPaths = []string{"api-path-internet-to-alb", "net-path-isolated-to-internet", "net-path-private-to-isolated-other-ports",
		"net-path-public-to-database", "isolation-path-quarantine-egress", "isolation-path-quarantine-ingress"}
)

// Every required path is open and every forbidden path closed, in the
// workload and in the rebuilt restore application, on every subnet pair
// (3 zones: 9 pairs between two tiers).
func TestNetworkPathsProven(t *testing.T) {
	for _, stack := range []string{"workload", "restore"} {
		t.Run(stack, func(t *testing.T) {
			g, _, err := offline.Preview("..", stack, "")
			require.NoError(t, err)
			results := map[string]netpath.Result{}
			for _, r := range netpath.Check(g) {
				results[r.Path] = r
				assert.True(t, r.OK, "%s %s: %v", r.Kind, r.Path, r.Problems)
				assert.NotEqual(t, netpath.Unknown, r.Status, r.Path)
			}
			for _, name := range requiredPaths[stack] {
				r, ok := results[name]
				if assert.True(t, ok, "missing required path %s", name) {
					assert.Equal(t, netpath.Required, r.Kind)
					assert.Equal(t, netpath.Open, r.Status, name)
				}
			}
			for _, name := range forbiddenPaths {
				r, ok := results[name]
				if assert.True(t, ok, "missing forbidden path %s", name) {
					assert.Equal(t, netpath.Forbidden, r.Kind)
					assert.Equal(t, netpath.Closed, r.Status, name)
					assert.NotEmpty(t, r.DecidedBy, name)
				}
			}
			assert.Equal(t, netpath.Summary{RequiredOpen: len(requiredPaths[stack]), ForbiddenClosed: len(forbiddenPaths)}, netpath.Summarize(netpath.Check(g)))
			assert.Equal(t, 9, results["edge-path-vpc-origin-to-alb"].Pairs, "every VPC origin interface to every ALB node, cross-zone")
			assert.Contains(t, results["net-path-isolated-to-internet"].DecidedBy, "route table net-isolated-a-rt has no route")
			assert.Contains(t, results["api-path-internet-to-alb"].DecidedBy, "internal scheme")
		})
	}
}

// pathViolations evaluates the rules over the broken resources and returns
// the network-paths-proven violations, all mandatory.
func pathViolations(t *testing.T, res []*graph.Resource) []rules.Violation {
	t.Helper()
	var out []rules.Violation
	for _, v := range rules.Evaluate(graph.New(res), rules.All(), nil) {
		if v.Policy == "network-paths-proven" {
			assert.Equal(t, rules.Mandatory, v.Enforcement)
			out = append(out, v)
		}
	}
	return out
}

// dropEntries removes the network ACL entries of dir that match keep==false.
func dropEntries(acl *graph.Resource, dir string, drop func(m map[string]any) bool) int {
	var kept []any
	n := 0
	for _, e := range graph.List(acl.Inputs[dir]) {
		if drop(graph.Map(e)) {
			n++
			continue
		}
		kept = append(kept, e)
	}
	acl.Inputs[dir] = kept
	return n
}

func port(m map[string]any) float64 { p, _ := graph.Num(m["fromPort"]); return p }

// Breaking one control of the real workload graph turns the proof red, with
// the declaration, subnet pair, port, direction and deciding rule named.
func TestBreakingANetworkPath(t *testing.T) {
	base, _, err := offline.Preview("..", "workload", "")
	require.NoError(t, err)
	const decl = "urn:pulumi:workload::fintech-resilience::"
	cases := []struct {
		name    string
		breakIt func(t *testing.T, res []*graph.Resource) []*graph.Resource
		path    string
		want    string
	}{
		{"the isolated NACL's database-port ingress is removed", func(t *testing.T, res []*graph.Resource) []*graph.Resource {
			acl := first(t, res, "aws:ec2/networkAcl:NetworkAcl", "net-isolated-nacl")
			require.Positive(t, dropEntries(acl, "ingress", func(m map[string]any) bool { return port(m) == 5432 }))
			return res
		}, "db-path-api-to-db",
			"net-private-a → net-isolated-a tcp/5432: request inbound at net-isolated-a: network ACL net-isolated-nacl: no rule matches tcp/5432 from 10.10.48.0/20, implicit deny (rule *)"},
		{"a default route to the internet gateway in an isolated route table", func(t *testing.T, res []*graph.Resource) []*graph.Resource {
			rt := first(t, res, "aws:ec2/routeTable:RouteTable", "net-isolated-c-rt")
			igw := first(t, res, "aws:ec2/internetGateway:InternetGateway", "net-igw")
			return append(res, &graph.Resource{
				URN: decl + "aws:ec2/route:Route::net-isolated-c-rt-default", Type: "aws:ec2/route:Route", Name: "net-isolated-c-rt-default", Custom: true,
				Inputs:               map[string]any{"routeTableId": rt.ID, "destinationCidrBlock": "0.0.0.0/0", "gatewayId": igw.ID},
				PropertyDependencies: map[string][]string{"routeTableId": {rt.URN}, "gatewayId": {igw.URN}},
			})
		}, "net-path-isolated-to-internet",
			"net-isolated-c → internet tcp/0-65535: the route layer does not close it (route from net-isolated-c to internet: route table net-isolated-c-rt routes 0.0.0.0/0 to internet gateway net-igw)"},
		{"the ALB security group's CloudFront rule is removed", func(t *testing.T, res []*graph.Resource) []*graph.Resource {
			return without(res, func(r *graph.Resource) bool { return strings.HasSuffix(r.URN, "::api-alb-from-cloudfront") })
		}, "edge-path-vpc-origin-to-alb",
			"net-private-a → net-private-a tcp/80: request entering ALB nodes in net-private-a: security group api-alb-sg: no rule admits tcp/80 from prefix list pl-58a04531 / 10.10.48.0/20"},
		{"the private NACL's listener egress is removed", func(t *testing.T, res []*graph.Resource) []*graph.Resource {
			acl := first(t, res, "aws:ec2/networkAcl:NetworkAcl", "net-private-nacl")
			require.Positive(t, dropEntries(acl, "egress", func(m map[string]any) bool { return port(m) == 80 }))
			return res
		}, "edge-path-vpc-origin-to-alb",
			"net-private-a → net-private-c tcp/80: request outbound at net-private-a: network ACL net-private-nacl: no rule matches tcp/80 to 10.10.64.0/20, implicit deny (rule *)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := pathViolations(t, clone(base))
			require.Empty(t, before, "the shipped stack proves every path")
			vs := pathViolations(t, c.breakIt(t, clone(base)))
			found := false
			for _, v := range vs {
				if strings.HasSuffix(v.URN, "::"+c.path) && strings.Contains(v.Message, c.want) {
					found = true
				}
			}
			assert.True(t, found, "expected a violation on %s containing %q, got %+v", c.path, c.want, vs)
		})
	}
}
