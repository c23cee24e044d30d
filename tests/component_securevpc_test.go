package tests

import (
	"encoding/json"
	"sort"
	"strings"
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fintech-resilience/fintech-resilience/components/securevpc"
	"github.com/fintech-resilience/fintech-resilience/internal/preview"
	"github.com/fintech-resilience/fintech-resilience/policy/graph"
)

const (
	tEIP                  = "aws:ec2/eip:Eip"
	tDefaultSG            = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
	tDefaultACL           = "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl"
	tEndpoint             = "aws:ec2/vpcEndpoint:VpcEndpoint"
	secureVPCComponentURN = "urn:pulumi:test::test::fintech:network:SecureVPC::net"
)

var secureVPCOpts = preview.Options{Project: "test", Stack: "test", Account: "111111111111", Region: "ap-northeast-1"}

func TestSubnetCIDR(t *testing.T) {
	cases := []struct {
		vpc           string
		prefix        int
		tier, az      int
		want, wantErr string
	}{
		{vpc: "10.10.0.0/16", prefix: 20, tier: 0, az: 0, want: "10.10.0.0/20"},
		{vpc: "10.10.0.0/16", prefix: 20, tier: 0, az: 1, want: "10.10.16.0/20"},
		{vpc: "10.10.0.0/16", prefix: 20, tier: 0, az: 2, want: "10.10.32.0/20"},
		{vpc: "10.10.0.0/16", prefix: 20, tier: 1, az: 0, want: "10.10.48.0/20"},
		{vpc: "10.10.0.0/16", prefix: 20, tier: 1, az: 2, want: "10.10.80.0/20"},
		{vpc: "10.10.0.0/16", prefix: 20, tier: 2, az: 0, want: "10.10.96.0/20"},
		{vpc: "10.10.0.0/16", prefix: 20, tier: 2, az: 2, want: "10.10.128.0/20"},
		{vpc: "10.10.0.0/16", prefix: 24, tier: 2, az: 2, want: "10.10.8.0/24"},
		{vpc: "10.10.0.0/16", prefix: 28, tier: 1, az: 1, want: "10.10.0.64/28"},
		// Host bits of the VPC block are ignored.
		{vpc: "10.10.7.0/16", prefix: 20, tier: 1, az: 0, want: "10.10.48.0/20"},
		{vpc: "192.168.4.0/24", prefix: 28, tier: 0, az: 0, want: "192.168.4.0/28"},
		{vpc: "192.168.4.0/24", prefix: 28, tier: 1, az: 1, want: "192.168.4.64/28"},
		{vpc: "192.168.4.0/24", prefix: 28, tier: 2, az: 2, want: "192.168.4.128/28"},
		{vpc: "172.16.0.0/20", prefix: 24, tier: 2, az: 1, want: "172.16.7.0/24"},
		// Slot 15 is the last one of a /16 cut into /20s.
		{vpc: "10.0.0.0/16", prefix: 20, tier: 5, az: 0, want: "10.0.240.0/20"},
		// Errors.
		{vpc: "10.0.0.0/16", prefix: 20, tier: 5, az: 1, wantErr: "subnet slot 16 does not fit 10.0.0.0/16 with /20 subnets"},
		{vpc: "10.0.0.0/16", prefix: 18, tier: 1, az: 1, wantErr: "subnet slot 4 does not fit 10.0.0.0/16 with /18 subnets"},
		{vpc: "10.0.0.0/24", prefix: 26, tier: 2, az: 0, wantErr: "subnet slot 6 does not fit 10.0.0.0/24 with /26 subnets"},
		{vpc: "10.0.0.0/24", prefix: 24, tier: 0, az: 0, wantErr: "subnet prefix /24 does not fit inside 10.0.0.0/24"},
		{vpc: "10.0.0.0/24", prefix: 29, tier: 0, az: 0, wantErr: "subnet prefix /29 does not fit inside 10.0.0.0/24"},
		{vpc: "10.0.0.0/16", prefix: 20, tier: 0, az: 3, wantErr: "subnet slot (tier 0, az 3) is out of range"},
		{vpc: "10.0.0.0/16", prefix: 20, tier: -1, az: 0, wantErr: "subnet slot (tier -1, az 0) is out of range"},
		{vpc: "10.0.0.0/16", prefix: 20, tier: 0, az: -1, wantErr: "subnet slot (tier 0, az -1) is out of range"},
		{vpc: "10.0.0.0", prefix: 20, wantErr: `vpc cidr "10.0.0.0" is not an IPv4 CIDR`},
		{vpc: "fd00::/56", prefix: 64, wantErr: `vpc cidr "fd00::/56" is not an IPv4 CIDR`},
	}
	for _, tc := range cases {
		got, err := securevpc.SubnetCIDR(tc.vpc, tc.prefix, tc.tier, tc.az)
		if tc.wantErr != "" {
			assert.ErrorContains(t, err, tc.wantErr, "%s /%d tier %d az %d", tc.vpc, tc.prefix, tc.tier, tc.az)
			assert.Empty(t, got)
			continue
		}
		if assert.NoError(t, err, "%s /%d tier %d az %d", tc.vpc, tc.prefix, tc.tier, tc.az) {
			assert.Equal(t, tc.want, got, "%s /%d tier %d az %d", tc.vpc, tc.prefix, tc.tier, tc.az)
		}
	}
}

func TestSubnetCIDRsNeverOverlap(t *testing.T) {
	seen := map[string]string{}
	for tier := 0; tier < 3; tier++ {
		for az := 0; az < securevpc.SlotsPerTier; az++ {
			c, err := securevpc.SubnetCIDR("10.20.0.0/22", 26, tier, az)
			require.NoError(t, err)
			_, dup := seen[c]
			require.False(t, dup, "%s given twice", c)
			seen[c] = c
		}
	}
	assert.Len(t, seen, 9)
}

func secureVPCBaseArgs() *securevpc.Args {
	return &securevpc.Args{
		CidrBlock:            "10.10.0.0/16",
		AvailabilityZones:    []string{"ap-northeast-1a", "ap-northeast-1c", "ap-northeast-1d"},
		SubnetPrefixLength:   20,
		NatGateways:          securevpc.NatNone,
		ListenerPort:         443,
		AppPort:              8080,
		DatabasePort:         5432,
		AccountID:            "111111111111",
		Region:               "ap-northeast-1",
		FlowLogRetentionDays: 365,
	}
}

// build runs a SecureVPC named "net" under mocks, with a KMS key "flow-key"
// created outside the component for its flow logs.
func secureVPCBuild(t *testing.T, mutate func(a *securevpc.Args)) (*graph.Graph, *securevpc.SecureVPC) {
	t.Helper()
	var v *securevpc.SecureVPC
	g, err := preview.Run(func(ctx *pulumi.Context) error {
		key, err := kms.NewKey(ctx, "flow-key", &kms.KeyArgs{EnableKeyRotation: pulumi.Bool(true)})
		if err != nil {
			return err
		}
		a := secureVPCBaseArgs()
		a.FlowLogKeyArn = key.Arn
		if mutate != nil {
			mutate(a)
		}
		v, err = securevpc.NewSecureVPC(ctx, "net", a)
		return err
	}, secureVPCOpts)
	require.NoError(t, err)
	require.NotNil(t, v)
	return g, v
}

func boolIn(t *testing.T, r *graph.Resource, path ...string) bool {
	t.Helper()
	v, known := r.Input(path...)
	require.True(t, known)
	b, ok := graph.Bool(v)
	require.True(t, ok, "%s %v is not a bool: %#v", r.Name, path, v)
	return b
}

func num(t *testing.T, v any) int {
	t.Helper()
	n, ok := graph.Num(v)
	require.True(t, ok, "%#v is not a number", v)
	return int(n)
}

func names(rs []*graph.Resource) []string {
	out := []string{}
	for _, r := range rs {
		out = append(out, r.Name)
	}
	sort.Strings(out)
	return out
}

func secureVPCOne(t *testing.T, rs []*graph.Resource, what string) *graph.Resource {
	t.Helper()
	require.Len(t, rs, 1, "expected exactly one %s, got %v", what, names(rs))
	return rs[0]
}

func subnetsOfTier(g *graph.Graph, tier securevpc.Tier) []*graph.Resource {
	var out []*graph.Resource
	for _, s := range g.OfType(tSubnet) {
		if str(s, "tags", "tier") == string(tier) {
			out = append(out, s)
		}
	}
	return out
}

// routeTableOf follows the subnet's route table association.
func routeTableOf(t *testing.T, g *graph.Graph, subnet *graph.Resource) *graph.Resource {
	t.Helper()
	rta := secureVPCOne(t, g.ReferencedBy(subnet, tRTA, "subnetId"), "route table association of "+subnet.Name)
	return secureVPCOne(t, g.Refs(rta, "routeTableId", tRT), "route table of "+rta.Name)
}

func TestNoNatNoPublicIngress(t *testing.T) {
	g, v := secureVPCBuild(t, nil)
	assert.Empty(t, subnetsOfTier(g, securevpc.Public))
	assert.Empty(t, g.OfType(tIGW))
	assert.Empty(t, g.OfType(tNAT))
	assert.Empty(t, g.OfType(tEIP))
	// No egress at all: neither tier has a route.
	assert.Empty(t, g.OfType(tRoute))
	assert.Equal(t, []string{"net-isolated-a", "net-isolated-c", "net-isolated-d", "net-private-a", "net-private-c", "net-private-d"},
		names(g.OfType(tSubnet)))
	assert.Equal(t, []string{"net-isolated-nacl", "net-private-nacl"}, names(g.OfType(tNACL)))
	assert.Len(t, g.OfType(tRT), 6)

	assert.Equal(t, map[securevpc.Tier][]string{
		securevpc.Private:  {"10.10.48.0/20", "10.10.64.0/20", "10.10.80.0/20"},
		securevpc.Isolated: {"10.10.96.0/20", "10.10.112.0/20", "10.10.128.0/20"},
	}, v.SubnetCIDRs)
	assert.Len(t, v.Subnets[securevpc.Private], 3)
	assert.Len(t, v.Subnets[securevpc.Isolated], 3)
	assert.Empty(t, v.Subnets[securevpc.Public])
	assert.Len(t, v.RouteTables[securevpc.Private], 3)
	assert.NotContains(t, v.NetworkAcls, securevpc.Public)
}

func TestPublicIngressWithoutNat(t *testing.T) {
	g, v := secureVPCBuild(t, func(a *securevpc.Args) { a.PublicIngress = true })
	igw := secureVPCOne(t, g.OfType(tIGW), "internet gateway")
	assert.Empty(t, g.OfType(tNAT))
	pub := subnetsOfTier(g, securevpc.Public)
	require.Len(t, pub, 3)
	assert.Equal(t, []string{"10.10.0.0/20", "10.10.16.0/20", "10.10.32.0/20"}, v.SubnetCIDRs[securevpc.Public])
	for _, s := range pub {
		rt := routeTableOf(t, g, s)
		route := secureVPCOne(t, g.ReferencedBy(rt, tRoute, "routeTableId"), "route of "+rt.Name)
		assert.Equal(t, "0.0.0.0/0", str(route, "destinationCidrBlock"))
		assert.Equal(t, igw.URN, secureVPCOne(t, g.Refs(route, "gatewayId", tIGW), "gateway").URN)
	}
	// The private tier has no egress without NAT.
	for _, s := range subnetsOfTier(g, securevpc.Private) {
		assert.Empty(t, g.ReferencedBy(routeTableOf(t, g, s), tRoute, "routeTableId"), s.Name)
	}
	// HTTPS from anywhere reaches the public tier only.
	pubNACL := secureVPCOne(t, g.ReferencedBy(pub[0], tNACL, "subnetIds"), "public nacl")
	assert.Contains(t, naclRules(t, pubNACL, "ingress"), rule{"0.0.0.0/0", 443, 443})
}

func TestPerAzNat(t *testing.T) {
	g, _ := secureVPCBuild(t, func(a *securevpc.Args) { a.NatGateways = securevpc.NatPerAZ })
	nats := g.OfType(tNAT)
	require.Len(t, nats, 3)
	assert.Equal(t, []string{"net-nat-a", "net-nat-c", "net-nat-d"}, names(nats))
	assert.Len(t, g.OfType(tEIP), 3)
	igw := secureVPCOne(t, g.OfType(tIGW), "internet gateway")
	for _, nat := range nats {
		pubSubnet := secureVPCOne(t, g.Refs(nat, "subnetId", tSubnet), "subnet of "+nat.Name)
		assert.Equal(t, "public", str(pubSubnet, "tags", "tier"))
		secureVPCOne(t, g.Refs(nat, "allocationId", tEIP), "eip of "+nat.Name)
	}
	private := subnetsOfTier(g, securevpc.Private)
	require.Len(t, private, 3)
	usedNATs := map[string]bool{}
	for _, s := range private {
		rt := routeTableOf(t, g, s)
		route := secureVPCOne(t, g.ReferencedBy(rt, tRoute, "routeTableId"), "default route of "+rt.Name)
		assert.Equal(t, "0.0.0.0/0", str(route, "destinationCidrBlock"))
		assert.Empty(t, g.Refs(route, "gatewayId", tIGW), "private routes never go to the internet gateway")
		nat := secureVPCOne(t, g.Refs(route, "natGatewayId", tNAT), "NAT of "+route.Name)
		// Each zone egresses through its own NAT.
		natSubnet := secureVPCOne(t, g.Refs(nat, "subnetId", tSubnet), "subnet of "+nat.Name)
		assert.Equal(t, str(s, "availabilityZone"), str(natSubnet, "availabilityZone"), route.Name)
		usedNATs[nat.URN] = true
	}
	assert.Len(t, usedNATs, 3)
	for _, s := range subnetsOfTier(g, securevpc.Public) {
		route := secureVPCOne(t, g.ReferencedBy(routeTableOf(t, g, s), tRoute, "routeTableId"), "public route")
		assert.Equal(t, igw.URN, secureVPCOne(t, g.Refs(route, "gatewayId", tIGW), "gateway").URN)
	}
	assert.Len(t, g.OfType(tRoute), 6)
}

func TestSingleNat(t *testing.T) {
	g, _ := secureVPCBuild(t, func(a *securevpc.Args) { a.NatGateways = securevpc.NatSingle })
	nat := secureVPCOne(t, g.OfType(tNAT), "NAT gateway")
	assert.Equal(t, "net-nat-a", nat.Name)
	for _, s := range subnetsOfTier(g, securevpc.Private) {
		route := secureVPCOne(t, g.ReferencedBy(routeTableOf(t, g, s), tRoute, "routeTableId"), "default route")
		assert.Equal(t, nat.URN, secureVPCOne(t, g.Refs(route, "natGatewayId", tNAT), "NAT").URN)
	}
}

var modes = []struct {
	name   string
	mutate func(a *securevpc.Args)
}{
	{"none", nil},
	{"single", func(a *securevpc.Args) { a.NatGateways = securevpc.NatSingle }},
	{"perAz", func(a *securevpc.Args) { a.NatGateways = securevpc.NatPerAZ }},
	{"perAz+publicIngress", func(a *securevpc.Args) { a.NatGateways = securevpc.NatPerAZ; a.PublicIngress = true }},
	{"publicIngress, two zones", func(a *securevpc.Args) {
		a.PublicIngress = true
		a.AvailabilityZones = []string{"ap-northeast-1a", "ap-northeast-1c"}
	}},
	{"/24 with /28 subnets", func(a *securevpc.Args) {
		a.CidrBlock = "192.168.4.0/24"
		a.SubnetPrefixLength = 28
		a.NatGateways = securevpc.NatSingle
	}},
}

func TestIsolatedTierNeverRoutesOut(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			g, v := secureVPCBuild(t, m.mutate)
			iso := subnetsOfTier(g, securevpc.Isolated)
			require.NotEmpty(t, iso)
			for _, s := range iso {
				rt := routeTableOf(t, g, s)
				assert.Equal(t, "isolated", str(rt, "tags", "tier"))
				assert.Empty(t, g.ReferencedBy(rt, tRoute, "routeTableId"), "isolated route table %s has routes", rt.Name)
			}
			assert.Len(t, v.RouteTables[securevpc.Isolated], len(iso))
		})
	}
}

func TestEverySubnetHasItsTierNACL(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			g, _ := secureVPCBuild(t, m.mutate)
			subnets := g.OfType(tSubnet)
			require.NotEmpty(t, subnets)
			for _, s := range subnets {
				assert.False(t, boolIn(t, s, "mapPublicIpOnLaunch"), "%s maps public IPs", s.Name)
				tier := str(s, "tags", "tier")
				nacl := secureVPCOne(t, g.ReferencedBy(s, tNACL, "subnetIds"), "NACL of "+s.Name)
				assert.Equal(t, "net-"+tier+"-nacl", nacl.Name, s.Name)
				assert.Equal(t, tier, str(nacl, "tags", "tier"))
				// Exactly one route table per subnet, of the same tier.
				rt := routeTableOf(t, g, s)
				assert.Equal(t, tier, str(rt, "tags", "tier"))
			}
			assert.Empty(t, g.OfType(tNACLAssoc), "associations are inline in the NACLs")
			assert.Len(t, g.OfType(tRTA), len(subnets))
			for _, n := range g.OfType(tNACL) {
				in, out := naclRules(t, n, "ingress"), naclRules(t, n, "egress")
				assert.LessOrEqual(t, len(in), awsNACLRuleQuota)
				assert.LessOrEqual(t, len(out), awsNACLRuleQuota)
			}
		})
	}
}

type rule struct {
	cidr     string
	from, to int
}

// naclRules returns a NACL's rules in one direction and checks they are
// numbered uniquely, all "allow" over TCP.
func naclRules(t *testing.T, nacl *graph.Resource, dir string) []rule {
	t.Helper()
	v, known := nacl.Input(dir)
	require.True(t, known)
	var out []rule
	numbers := map[int]bool{}
	for _, e := range graph.List(v) {
		m := graph.Map(e)
		require.NotNil(t, m)
		assert.Equal(t, "allow", graph.Str(m["action"]))
		assert.Equal(t, "tcp", graph.Str(m["protocol"]))
		no := num(t, m["ruleNo"])
		assert.False(t, numbers[no], "%s %s rule %d twice", nacl.Name, dir, no)
		numbers[no] = true
		out = append(out, rule{graph.Str(m["cidrBlock"]), num(t, m["fromPort"]), num(t, m["toPort"])})
	}
	return out
}

func TestIsolatedNACL(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			g, v := secureVPCBuild(t, m.mutate)
			nacl := secureVPCOne(t, filterName(g.OfType(tNACL), "net-isolated-nacl"), "isolated NACL")
			private := setOf(v.SubnetCIDRs[securevpc.Private])
			isolated := setOf(v.SubnetCIDRs[securevpc.Isolated])
			in := naclRules(t, nacl, "ingress")
			require.NotEmpty(t, in)
			dbFrom, httpsFrom := map[string]bool{}, map[string]bool{}
			for _, r := range in {
				assert.NotEqual(t, "0.0.0.0/0", r.cidr, "isolated tier admits %v from anywhere", r)
				require.True(t, private[r.cidr] || isolated[r.cidr], "isolated tier admits %v from outside private/isolated", r)
				switch {
				case r.from == 5432 && r.to == 5432:
					dbFrom[r.cidr] = true
				case r.from == 443 && r.to == 443:
					httpsFrom[r.cidr] = true
				case r.from == 1024 && r.to == 65535:
					// Return traffic of the tier's own connections only.
					assert.True(t, isolated[r.cidr], "ephemeral ingress from %s", r.cidr)
				default:
					t.Errorf("isolated tier admits unexpected ports %v", r)
				}
			}
			all := union(private, isolated)
			assert.Equal(t, all, dbFrom, "database port from private and isolated subnets")
			assert.Equal(t, all, httpsFrom, "HTTPS (endpoints) from private and isolated subnets")
			for _, r := range naclRules(t, nacl, "egress") {
				assert.NotEqual(t, "0.0.0.0/0", r.cidr, "isolated tier sends %v anywhere", r)
				assert.True(t, private[r.cidr] || isolated[r.cidr], "isolated egress %v", r)
			}
		})
	}
}

func TestPrivateNACLOnlyReachesInternetWithNat(t *testing.T) {
	g, _ := secureVPCBuild(t, nil)
	nacl := secureVPCOne(t, filterName(g.OfType(tNACL), "net-private-nacl"), "private NACL")
	for _, dir := range []string{"ingress", "egress"} {
		for _, r := range naclRules(t, nacl, dir) {
			assert.NotEqual(t, "0.0.0.0/0", r.cidr, "private %s %v without NAT", dir, r)
		}
	}
	g, _ = secureVPCBuild(t, func(a *securevpc.Args) { a.NatGateways = securevpc.NatPerAZ })
	nacl = secureVPCOne(t, filterName(g.OfType(tNACL), "net-private-nacl"), "private NACL")
	assert.Contains(t, naclRules(t, nacl, "egress"), rule{"0.0.0.0/0", 443, 443})
	assert.Contains(t, naclRules(t, nacl, "ingress"), rule{"0.0.0.0/0", 1024, 65535})
}

func TestDefaultsAreEmpty(t *testing.T) {
	g, _ := secureVPCBuild(t, func(a *securevpc.Args) { a.NatGateways = securevpc.NatPerAZ })
	vpc := secureVPCOne(t, g.OfType(tVpc), "VPC")
	assert.Equal(t, "10.10.0.0/16", str(vpc, "cidrBlock"))
	assert.True(t, boolIn(t, vpc, "enableDnsHostnames"))
	assert.True(t, boolIn(t, vpc, "enableDnsSupport"))

	sg := secureVPCOne(t, g.OfType(tDefaultSG), "default security group")
	for _, k := range []string{"ingress", "egress"} {
		v, known := sg.Input(k)
		assert.True(t, known)
		assert.Empty(t, graph.List(v), "default security group %s", k)
	}
	assert.Equal(t, vpc.URN, secureVPCOne(t, g.Refs(sg, "vpcId", tVpc), "vpc").URN)

	acl := secureVPCOne(t, g.OfType(tDefaultACL), "default network ACL")
	for _, k := range []string{"ingress", "egress"} {
		v, _ := acl.Input(k)
		assert.Empty(t, graph.List(v), "default network ACL %s", k)
	}
	assert.Equal(t, vpc.URN, secureVPCOne(t, g.Refs(acl, "defaultNetworkAclId", tVpc), "vpc").URN)
}

func TestFlowLogs(t *testing.T) {
	g, _ := secureVPCBuild(t, nil)
	vpc := secureVPCOne(t, g.OfType(tVpc), "VPC")
	fl := secureVPCOne(t, g.ReferencedBy(vpc, tFlowLog, "vpcId"), "flow log")
	assert.Equal(t, "ALL", str(fl, "trafficType"))
	assert.Equal(t, "cloud-watch-logs", str(fl, "logDestinationType"))
	lg := secureVPCOne(t, g.Refs(fl, "logDestination", tLogGroup), "log group of the flow log")
	assert.Equal(t, "/fintech/vpc/net/flow-logs", str(lg, "name"))
	assert.Equal(t, "arn:aws:logs:ap-northeast-1:111111111111:log-group:/fintech/vpc/net/flow-logs", str(fl, "logDestination"))
	v, _ := lg.Input("retentionInDays")
	assert.Equal(t, 365, num(t, v))
	assert.NotEmpty(t, str(lg, "kmsKeyId"))
	key := secureVPCOne(t, g.Refs(lg, "kmsKeyId", tKey), "key of the log group")
	assert.Equal(t, "flow-key", key.Name)

	role := secureVPCOne(t, g.Refs(fl, "iamRoleArn", tRole), "flow log role")
	var trust struct {
		Statement []struct {
			Principal map[string]string
			Condition map[string]map[string]string
		}
	}
	require.NoError(t, json.Unmarshal([]byte(str(role, "assumeRolePolicy")), &trust))
	require.Len(t, trust.Statement, 1)
	assert.Equal(t, "vpc-flow-logs.amazonaws.com", trust.Statement[0].Principal["Service"])
	assert.Equal(t, "111111111111", trust.Statement[0].Condition["StringEquals"]["aws:SourceAccount"])
}

func TestEndpoints(t *testing.T) {
	g, v := secureVPCBuild(t, func(a *securevpc.Args) {
		a.NatGateways = securevpc.NatSingle
		a.InterfaceEndpoints = []string{"ecr.api", "kms"}
	})
	var iface []string
	var gateway []*graph.Resource
	isolated := setOf(nil)
	for _, s := range subnetsOfTier(g, securevpc.Isolated) {
		isolated[s.URN] = true
	}
	for _, e := range g.OfType(tEndpoint) {
		var pol struct {
			Statement []struct {
				Condition map[string]map[string]string
			}
		}
		require.NoError(t, json.Unmarshal([]byte(str(e, "policy")), &pol), e.Name)
		require.Len(t, pol.Statement, 1)
		assert.Equal(t, "111111111111", pol.Statement[0].Condition["StringEquals"]["aws:PrincipalAccount"], e.Name)
		switch str(e, "vpcEndpointType") {
		case "Interface":
			iface = append(iface, str(e, "serviceName"))
			assert.True(t, boolIn(t, e, "privateDnsEnabled"))
			subs := g.Refs(e, "subnetIds", tSubnet)
			require.Len(t, subs, 3, e.Name)
			for _, s := range subs {
				assert.True(t, isolated[s.URN], "%s is in %s, not the isolated tier", e.Name, s.Name)
			}
		case "Gateway":
			gateway = append(gateway, e)
		default:
			t.Errorf("%s has type %q", e.Name, str(e, "vpcEndpointType"))
		}
	}
	sort.Strings(iface)
	assert.Equal(t, []string{
		"com.amazonaws.ap-northeast-1.ecr.api",
		"com.amazonaws.ap-northeast-1.kms",
		"com.amazonaws.ap-northeast-1.logs",
		"com.amazonaws.ap-northeast-1.secretsmanager",
		"com.amazonaws.ap-northeast-1.sts",
	}, iface)
	assert.NotEmpty(t, filterName(g.OfType(tEndpoint), "net-ecr-api-endpoint"))

	s3 := secureVPCOne(t, gateway, "gateway endpoint")
	assert.Equal(t, "com.amazonaws.ap-northeast-1.s3", str(s3, "serviceName"))
	var tiers []string
	for _, rt := range g.Refs(s3, "routeTableIds", tRT) {
		tiers = append(tiers, str(rt, "tags", "tier"))
	}
	sort.Strings(tiers)
	assert.Equal(t, []string{"isolated", "isolated", "isolated", "private", "private", "private"}, tiers)

	sg := secureVPCOne(t, g.Refs(filterName(g.OfType(tEndpoint), "net-kms-endpoint")[0], "securityGroupIds", "aws:ec2/securityGroup:SecurityGroup"), "endpoint SG")
	ingress := graph.List(sg.Inputs["ingress"])
	require.Len(t, ingress, 1)
	in := graph.Map(ingress[0])
	assert.Equal(t, 443, num(t, in["fromPort"]))
	assert.Equal(t, 443, num(t, in["toPort"]))
	assert.ElementsMatch(t, append(append([]string{}, v.SubnetCIDRs[securevpc.Private]...), v.SubnetCIDRs[securevpc.Isolated]...), graph.Strings(in["cidrBlocks"]))
}

func TestChildrenParentedAndNamed(t *testing.T) {
	g, _ := secureVPCBuild(t, func(a *securevpc.Args) { a.NatGateways = securevpc.NatPerAZ; a.PublicIngress = true })
	comp := g.ByURN(secureVPCComponentURN)
	require.NotNil(t, comp, "component %s not registered", secureVPCComponentURN)
	assert.Equal(t, securevpc.TypeToken, comp.Type)
	assert.False(t, comp.Custom)
	children := g.Children(secureVPCComponentURN)
	assert.Len(t, children, len(g.Resources)-2, "everything but the component and the test key is a child")
	for _, r := range g.Resources {
		if r.URN == secureVPCComponentURN || r.Name == "flow-key" {
			continue
		}
		assert.Equal(t, secureVPCComponentURN, r.Parent, "%s is not parented to the SecureVPC", r.URN)
		assert.True(t, strings.HasPrefix(r.Name, "net-"), "%s is not named net-...", r.Name)
		assert.True(t, strings.HasPrefix(r.URN, "urn:pulumi:test::test::fintech:network:SecureVPC$"), r.URN)
	}
}

func TestSecureVPCValidation(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(a *securevpc.Args)
		want   []string
	}{
		{"one AZ", func(a *securevpc.Args) { a.AvailabilityZones = []string{"ap-northeast-1a"} },
			[]string{"AvailabilityZones must list 2 or 3 zones, got 1"}},
		{"four AZs", func(a *securevpc.Args) {
			a.AvailabilityZones = []string{"ap-northeast-1a", "ap-northeast-1b", "ap-northeast-1c", "ap-northeast-1d"}
		}, []string{"AvailabilityZones must list 2 or 3 zones, got 4"}},
		{"AZ of another region", func(a *securevpc.Args) { a.AvailabilityZones = []string{"ap-northeast-1a", "us-east-1a"} },
			[]string{`availability zone "us-east-1a" is not a zone of region "ap-northeast-1"`}},
		{"bad NAT mode", func(a *securevpc.Args) { a.NatGateways = "perAZ" },
			[]string{`NatGateways "perAZ" is not one of none, single, perAz`}},
		{"empty NAT mode", func(a *securevpc.Args) { a.NatGateways = "" },
			[]string{`NatGateways "" is not one of none, single, perAz`}},
		{"nil flow log key", func(a *securevpc.Args) { a.FlowLogKeyArn = nil },
			[]string{"FlowLogKeyArn (a customer-managed key) is required"}},
		{"bad CIDR", func(a *securevpc.Args) { a.CidrBlock = "10.0.0.0/33" },
			[]string{`vpc cidr "10.0.0.0/33" is not an IPv4 CIDR`}},
		{"subnets do not fit", func(a *securevpc.Args) { a.SubnetPrefixLength = 18 },
			[]string{"does not fit 10.10.0.0/16 with /18 subnets"}},
		{"bad port", func(a *securevpc.Args) { a.DatabasePort = 70000 },
			[]string{"DatabasePort 70000 is not a TCP port"}},
		{"bad account", func(a *securevpc.Args) { a.AccountID = "1111" },
			[]string{`AccountID "1111" is not a 12-digit account id`}},
		{"retention", func(a *securevpc.Args) { a.FlowLogRetentionDays = 0 },
			[]string{"FlowLogRetentionDays must be positive"}},
		{"bad endpoint name", func(a *securevpc.Args) { a.InterfaceEndpoints = []string{"ECR API"} },
			[]string{`interface endpoint "ECR API" is not a service name`}},
		{"several at once", func(a *securevpc.Args) {
			a.AvailabilityZones = []string{"ap-northeast-1a"}
			a.NatGateways = "many"
			a.FlowLogKeyArn = nil
		}, []string{"AvailabilityZones must list 2 or 3 zones, got 1", `NatGateways "many"`, "FlowLogKeyArn"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var buildErr error
			g, err := preview.Run(func(ctx *pulumi.Context) error {
				a := secureVPCBaseArgs()
				a.FlowLogKeyArn = pulumi.String("arn:aws:kms:ap-northeast-1:111111111111:key/test")
				tc.mutate(a)
				v, err := securevpc.NewSecureVPC(ctx, "net", a)
				assert.Nil(t, v)
				buildErr = err
				return nil
			}, secureVPCOpts)
			require.NoError(t, err)
			require.Error(t, buildErr)
			assert.True(t, strings.HasPrefix(buildErr.Error(), "securevpc net: invalid arguments: "), buildErr.Error())
			for _, w := range tc.want {
				assert.Contains(t, buildErr.Error(), w)
			}
			assert.Empty(t, g.Resources, "invalid arguments must register nothing")
		})
	}

	t.Run("nil args", func(t *testing.T) {
		g, err := preview.Run(func(ctx *pulumi.Context) error {
			_, err := securevpc.NewSecureVPC(ctx, "net", nil)
			assert.EqualError(t, err, "securevpc net: args are required")
			return nil
		}, secureVPCOpts)
		require.NoError(t, err)
		assert.Empty(t, g.Resources)
	})

	t.Run("error fails the program", func(t *testing.T) {
		g, err := preview.Run(func(ctx *pulumi.Context) error {
			a := secureVPCBaseArgs()
			a.FlowLogKeyArn = nil
			_, err := securevpc.NewSecureVPC(ctx, "net", a)
			return err
		}, secureVPCOpts)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "FlowLogKeyArn")
		assert.Nil(t, g)
	})
}

func TestTiers(t *testing.T) {
	a := secureVPCBaseArgs()
	assert.Equal(t, []securevpc.Tier{securevpc.Private, securevpc.Isolated}, a.Tiers())
	a.PublicIngress = true
	assert.Equal(t, []securevpc.Tier{securevpc.Public, securevpc.Private, securevpc.Isolated}, a.Tiers())
	a.PublicIngress = false
	a.NatGateways = securevpc.NatSingle
	assert.Equal(t, []securevpc.Tier{securevpc.Public, securevpc.Private, securevpc.Isolated}, a.Tiers())
}

func filterName(rs []*graph.Resource, name string) []*graph.Resource {
	var out []*graph.Resource
	for _, r := range rs {
		if r.Name == name {
			out = append(out, r)
		}
	}
	return out
}

func setOf(list []string) map[string]bool {
	m := map[string]bool{}
	for _, s := range list {
		m[s] = true
	}
	return m
}

func union(a, b map[string]bool) map[string]bool {
	m := map[string]bool{}
	for k := range a {
		m[k] = true
	}
	for k := range b {
		m[k] = true
	}
	return m
}

// awsNACLRuleQuota is AWS's default quota of rules per network ACL and
// direction (VPC quotas: "Rules per network ACL", 20); the component
// refuses a configuration over it, and what it builds stays within it.
const awsNACLRuleQuota = 20
