package tests

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fintech-resilience/fintech-resilience/components/dbfirewall"
	"github.com/fintech-resilience/fintech-resilience/internal/preview"
	"github.com/fintech-resilience/fintech-resilience/internal/testkit"
	"github.com/fintech-resilience/fintech-resilience/policy/graph"
)

func dbFirewallRun(args *dbfirewall.Args) (*graph.Graph, error) {
	return preview.Run(func(ctx *pulumi.Context) error {
		_, err := dbfirewall.NewDatabaseFirewall(ctx, "restored-db", args)
		return err
	}, testkit.Options())
}

func TestFirewall(t *testing.T) {
	g, err := dbFirewallRun(&dbfirewall.Args{VpcID: pulumi.String("vpc-1"), Port: 5432, Clients: map[string]pulumi.StringInput{
		"api": pulumi.String("sg-api"), "batch": pulumi.String("sg-batch"),
	}})
	require.NoError(t, err)
	sgs := g.OfType("aws:ec2/securityGroup:SecurityGroup")
	require.Len(t, sgs, 1)
	assert.Equal(t, []any{}, sgs[0].Inputs["egress"])
	assert.Empty(t, sgs[0].Inputs["ingress"])
	rules := g.OfType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
	require.Len(t, rules, 2)
	assert.Equal(t, "restored-db-from-api", rules[0].Name)
	assert.Equal(t, "sg-api", rules[0].Inputs["referencedSecurityGroupId"])
	assert.Equal(t, 5432.0, rules[0].Inputs["fromPort"])
	assert.Equal(t, 5432.0, rules[0].Inputs["toPort"])
	assert.Empty(t, rules[0].Inputs["cidrIpv4"])
	assert.Equal(t, []string{sgs[0].URN}, rules[1].PropertyDependencies["securityGroupId"])
}

func TestFirewallRejectsBadArgs(t *testing.T) {
	for name, a := range map[string]*dbfirewall.Args{
		"no vpc":    {Port: 5432},
		"bad port":  {VpcID: pulumi.String("v"), Port: 22},
		"bad label": {VpcID: pulumi.String("v"), Port: 5432, Clients: map[string]pulumi.StringInput{"API": pulumi.String("sg")}},
		"nil sg":    {VpcID: pulumi.String("v"), Port: 5432, Clients: map[string]pulumi.StringInput{"api": nil}},
	} {
		t.Run(name, func(t *testing.T) {
			g, err := dbFirewallRun(a)
			require.Error(t, err)
			assert.Nil(t, g)
		})
	}
}
