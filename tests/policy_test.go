package tests

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fintech-resilience/fintech-resilience/internal/fincheck"
	"github.com/fintech-resilience/fintech-resilience/internal/offline"
	"github.com/fintech-resilience/fintech-resilience/internal/testkit"
	"github.com/fintech-resilience/fintech-resilience/policy/graph"
	"github.com/fintech-resilience/fintech-resilience/policy/rules"
)

// The shipped stacks pass every mandatory rule.
func TestStacksHaveNoMandatoryViolations(t *testing.T) {
	for _, stack := range []string{"workload", "bunker", "restore"} {
		t.Run(stack, func(t *testing.T) {
			g, _, err := offline.Preview("..", stack, "")
			require.NoError(t, err)
			testkit.NoMandatoryViolations(t, g)
		})
	}
}

// clone copies a graph's resources so a test can break one of them.
func clone(g *graph.Graph) []*graph.Resource {
	out := make([]*graph.Resource, 0, len(g.Resources))
	for _, r := range g.Resources {
		c := *r
		c.Inputs = map[string]any{}
		for k, v := range r.Inputs {
			c.Inputs[k] = v
		}
		c.PropertyDependencies = map[string][]string{}
		for k, v := range r.PropertyDependencies {
			c.PropertyDependencies[k] = append([]string(nil), v...)
		}
		out = append(out, &c)
	}
	return out
}

func first(t *testing.T, res []*graph.Resource, typ, nameContains string) *graph.Resource {
	t.Helper()
	for _, r := range res {
		if r.Type == typ && strings.Contains(r.Name, nameContains) {
			return r
		}
	}
	t.Fatalf("no %s named *%s*", typ, nameContains)
	return nil
}

func without(res []*graph.Resource, drop func(*graph.Resource) bool) []*graph.Resource {
	var out []*graph.Resource
	for _, r := range res {
		if !drop(r) {
			out = append(out, r)
		}
	}
	return out
}

const stackURN = "urn:pulumi:workload::fintech-resilience::"

// Each rule family: break the real workload graph in one way and see the
// matching violation on the broken resource.
func TestBreakingTheWorkloadStack(t *testing.T) {
	base, _, err := offline.Preview("..", "workload", "")
	require.NoError(t, err)

	cases := []struct {
		family, policy string
		// breakIt returns the broken resources and the URN expected in the violation.
		breakIt func(t *testing.T, res []*graph.Resource) ([]*graph.Resource, string)
	}{
		{"encryption", "kms-key-rotation", func(t *testing.T, res []*graph.Resource) ([]*graph.Resource, string) {
			k := first(t, res, "aws:kms/key:Key", "keys-data")
			k.Inputs["enableKeyRotation"] = false
			return res, k.URN
		}},
		{"encryption", "encrypted-with-cmk", func(t *testing.T, res []*graph.Resource) ([]*graph.Resource, string) {
			lg := first(t, res, "aws:cloudwatch/logGroup:LogGroup", "flow-logs")
			lg.Inputs["kmsKeyId"] = "alias/aws/logs"
			return res, lg.URN
		}},
		{"network", "subnet-explicit-nacl", func(t *testing.T, res []*graph.Resource) ([]*graph.Resource, string) {
			sn := first(t, res, "aws:ec2/subnet:Subnet", "net-isolated-a")
			nacl := first(t, res, "aws:ec2/networkAcl:NetworkAcl", "net-isolated-nacl")
			var ids []any
			for _, id := range graph.List(nacl.Inputs["subnetIds"]) {
				if graph.Str(id) != sn.ID {
					ids = append(ids, id)
				}
			}
			nacl.Inputs["subnetIds"] = ids
			var deps []string
			for _, u := range nacl.PropertyDependencies["subnetIds"] {
				if u != sn.URN {
					deps = append(deps, u)
				}
			}
			nacl.PropertyDependencies["subnetIds"] = deps
			return res, sn.URN
		}},
		{"network", "vpc-flow-logs", func(t *testing.T, res []*graph.Resource) ([]*graph.Resource, string) {
			vpc := first(t, res, "aws:ec2/vpc:Vpc", "net-vpc")
			return without(res, func(r *graph.Resource) bool { return r.Type == "aws:ec2/flowLog:FlowLog" }), vpc.URN
		}},
		{"network", "database-in-isolated-subnets", func(t *testing.T, res []*graph.Resource) ([]*graph.Resource, string) {
			// A subnet group over a private (NAT-routed) subnet.
			sn := first(t, res, "aws:ec2/subnet:Subnet", "net-private-a")
			sg := &graph.Resource{
				URN: stackURN + "aws:rds/subnetGroup:SubnetGroup::db", Type: "aws:rds/subnetGroup:SubnetGroup", Name: "db", Custom: true,
				Inputs:               map[string]any{"subnetIds": []any{sn.ID}},
				PropertyDependencies: map[string][]string{"subnetIds": {sn.URN}},
			}
			return append(res, sg), sg.URN
		}},
		{"network", "no-open-ingress", func(t *testing.T, res []*graph.Resource) ([]*graph.Resource, string) {
			sg := first(t, res, "aws:ec2/securityGroup:SecurityGroup", "endpoints-sg")
			sg.Inputs["ingress"] = []any{map[string]any{"protocol": "tcp", "fromPort": 5432.0, "toPort": 5432.0, "cidrBlocks": []any{"0.0.0.0/0"}}}
			return res, sg.URN
		}},
		{"edge", "lb-internal-only", func(t *testing.T, res []*graph.Resource) ([]*graph.Resource, string) {
			lb := &graph.Resource{
				URN: stackURN + "aws:lb/loadBalancer:LoadBalancer::api", Type: "aws:lb/loadBalancer:LoadBalancer", Name: "api", Custom: true,
				Inputs: map[string]any{"internal": false, "loadBalancerType": "application"},
			}
			return append(res, lb), lb.URN
		}},
		{"database", "aurora-deletion-protection", func(t *testing.T, res []*graph.Resource) ([]*graph.Resource, string) {
			c := &graph.Resource{
				URN: stackURN + "aws:rds/cluster:Cluster::db", Type: "aws:rds/cluster:Cluster", Name: "db", Custom: true,
				Inputs: map[string]any{"engine": "aurora-postgresql", "deletionProtection": false, "storageEncrypted": true, "kmsKeyId": "arn:aws:kms:ap-northeast-1:111111111111:key/x", "backupRetentionPeriod": 14.0},
			}
			return append(res, c), c.URN
		}},
		{"resilience", "guardduty-enabled", func(t *testing.T, res []*graph.Resource) ([]*graph.Resource, string) {
			return without(res, func(r *graph.Resource) bool { return r.Type == "aws:guardduty/detector:Detector" }), ""
		}},
		{"iam", "iam-no-wildcard-actions", func(t *testing.T, res []*graph.Resource) ([]*graph.Resource, string) {
			p := first(t, res, "aws:iam/rolePolicy:RolePolicy", "flow-logs-policy")
			p.Inputs["policy"] = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
			return res, p.URN
		}},
	}
	for _, c := range cases {
		t.Run(c.family+"/"+c.policy, func(t *testing.T) {
			res, urn := c.breakIt(t, clone(base))
			vs := rules.Evaluate(graph.New(res), rules.All(), nil)
			found := false
			for _, v := range vs {
				if v.Policy == c.policy && v.URN == urn {
					found = true
					assert.Equal(t, rules.Mandatory, v.Enforcement)
				}
			}
			assert.True(t, found, "expected %s on %q, got %+v", c.policy, urn, vs)
		})
	}
}

// docs/fisc-check-sheet.md is the current output of `fincheck report`.
func TestFISCCheckSheetIsCurrent(t *testing.T) {
	want, err := fincheck.CheckSheet("..")
	require.NoError(t, err)
	got, err := os.ReadFile("../docs/fisc-check-sheet.md")
	require.NoError(t, err)
	assert.True(t, want == string(got), "docs/fisc-check-sheet.md is stale; regenerate: go run ./cmd/fincheck report --format fisc > docs/fisc-check-sheet.md")
	for _, r := range rules.All() {
		assert.Contains(t, want, "`"+r.Name+"`")
	}
	for _, code := range []string{"実3", "実13", "実14", "実25", "実39"} {
		assert.Contains(t, want, "| "+code+" |")
	}
}

// A `pulumi up` during an incident must not undo the quarantine: the
// subnets' network ACL associations are inline in the tier NACLs with
// ignoreChanges on subnetIds (so neither up nor refresh + up re-associates a
// quarantined subnet), and there are no NetworkAclAssociation resources a
// refresh could drop and an up recreate (docs/decisions/0009).
func TestQuarantineSurvivesPulumiUp(t *testing.T) {
	for _, stack := range []string{"workload", "restore"} {
		t.Run(stack, func(t *testing.T) {
			g, _, err := offline.Preview("..", stack, "")
			require.NoError(t, err)
			assert.Empty(t, g.OfType("aws:ec2/networkAclAssociation:NetworkAclAssociation"))
			tierNACLs := 0
			for _, n := range g.OfType("aws:ec2/networkAcl:NetworkAcl") {
				if len(graph.List(n.Inputs["subnetIds"])) == 0 {
					continue // e.g. the quarantine NACL: associations are the responder's
				}
				tierNACLs++
				assert.Contains(t, n.IgnoreChanges, "subnetIds", "%s must ignore association changes", n.Name)
			}
			assert.Positive(t, tierNACLs)
			for _, d := range g.OfType("aws:ec2/defaultNetworkAcl:DefaultNetworkAcl") {
				assert.Contains(t, d.IgnoreChanges, "subnetIds")
			}
		})
	}
}
