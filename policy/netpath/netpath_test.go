package netpath

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fintech-resilience/fintech-resilience/components/flow/pathspec"
	"github.com/fintech-resilience/fintech-resilience/policy/graph"
)

// M is an input map, L a list.
type (
	M = map[string]any
	L = []any
)

func urn(typ, name string) string { return "urn:pulumi:t::p::" + typ + "::" + name }

// fixture is a hand-built graph: a VPC 10.0.0.0/16 and whatever the test adds.
type fixture struct{ res map[string]*graph.Resource }

func newNet() *fixture {
	n := &fixture{res: map[string]*graph.Resource{}}
	n.add(TypeVpc, "vpc", M{"cidrBlock": "10.0.0.0/16"})
	return n
}

func (n *fixture) add(typ, name string, in M, deps ...string) *graph.Resource {
	if in == nil {
		in = M{}
	}
	r := &graph.Resource{URN: urn(typ, name), Type: typ, Name: name, Custom: true, Inputs: in, PropertyDependencies: map[string][]string{}}
	for i := 0; i+1 < len(deps); i += 2 {
		r.PropertyDependencies[deps[i]] = append(r.PropertyDependencies[deps[i]], deps[i+1])
	}
	n.res[r.URN] = r
	return r
}

func (n *fixture) dep(r *graph.Resource, prop string, typ string, names ...string) {
	for _, name := range names {
		r.PropertyDependencies[prop] = append(r.PropertyDependencies[prop], urn(typ, name))
	}
}

// subnet adds a subnet with its own route table (local route only).
func (n *fixture) subnet(name, cidr string) {
	n.add(TypeSubnet, name, M{"cidrBlock": cidr}, "vpcId", urn(TypeVpc, "vpc"))
	n.add(TypeRouteTable, name+"-rt", nil, "vpcId", urn(TypeVpc, "vpc"))
	n.add(TypeRouteTableAssoc, name+"-rta", nil, "subnetId", urn(TypeSubnet, name), "routeTableId", urn(TypeRouteTable, name+"-rt"))
}

// route adds a 0.0.0.0/0 route of subnet's table to a gateway resource.
func (n *fixture) route(subnet, prop, gwType, gw string) {
	n.add(TypeRoute, subnet+"-default", M{"destinationCidrBlock": "0.0.0.0/0"},
		"routeTableId", urn(TypeRouteTable, subnet+"-rt"), prop, urn(gwType, gw))
}

func allow(no int, from, to int, cidr string) M {
	return M{"ruleNo": float64(no), "action": "allow", "protocol": "tcp", "cidrBlock": cidr, "fromPort": float64(from), "toPort": float64(to)}
}

func deny(no int, from, to int, cidr string) M {
	return M{"ruleNo": float64(no), "action": "deny", "protocol": "tcp", "cidrBlock": cidr, "fromPort": float64(from), "toPort": float64(to)}
}

// nacl associates the subnets with a network ACL of these entries.
func (n *fixture) nacl(name string, in, out L, subnets ...string) {
	r := n.add(TypeNACL, name, M{"ingress": in, "egress": out})
	n.dep(r, "subnetIds", TypeSubnet, subnets...)
}

// open is an ACL entry list admitting all TCP inside the VPC.
var open = L{allow(100, 0, 65535, "10.0.0.0/16")}

// sg adds a security group with inline rules.
func (n *fixture) sg(name string, in, out L) *graph.Resource {
	return n.add(TypeSG, name, M{"ingress": in, "egress": out})
}

func sgEntry(port int, cidrs ...string) M {
	l := L{}
	for _, c := range cidrs {
		l = append(l, c)
	}
	return M{"protocol": "tcp", "fromPort": float64(port), "toPort": float64(port), "cidrBlocks": l}
}

// ep describes a declaration endpoint.
type ep struct {
	subnets, groups []string
	cidrs, prefixes []string
	internet        bool
	acl             string
}

// path adds a declaration.
func (n *fixture) path(kind, name string, from, to ep, ports []string, mustBlock ...string) *graph.Resource {
	typ := pathspec.TypePathRequired
	if kind == "forbidden" {
		typ = pathspec.TypePathForbidden
	}
	in := M{pathspec.PropProtocol: "tcp", pathspec.PropPorts: toL(ports), pathspec.PropMustBlock: toL(mustBlock)}
	r := n.add(typ, name, in)
	r.Custom = false
	for prefix, e := range map[string]ep{pathspec.From: from, pathspec.To: to} {
		in[prefix+pathspec.PropLabel] = prefix
		sl := L{}
		for range e.subnets {
			sl = append(sl, graph.Unknown{})
		}
		in[prefix+pathspec.PropSubnetIDs] = sl
		n.dep(r, prefix+pathspec.PropSubnetIDs, TypeSubnet, e.subnets...)
		gl := L{}
		for range e.groups {
			gl = append(gl, graph.Unknown{})
		}
		in[prefix+pathspec.PropSecurityGroupIDs] = gl
		n.dep(r, prefix+pathspec.PropSecurityGroupIDs, TypeSG, e.groups...)
		in[prefix+pathspec.PropCIDRs] = toL(e.cidrs)
		in[prefix+pathspec.PropPrefixListIDs] = toL(e.prefixes)
		in[prefix+pathspec.PropInternet] = e.internet
		if e.acl != "" {
			in[prefix+pathspec.PropNetworkAclID] = graph.Unknown{}
			n.dep(r, prefix+pathspec.PropNetworkAclID, TypeNACL, e.acl)
		}
	}
	return r
}

func toL(s []string) L {
	out := L{}
	for _, e := range s {
		out = append(out, e)
	}
	return out
}

func (n *fixture) check(t *testing.T) map[string]Result {
	t.Helper()
	var res []*graph.Resource
	for _, r := range n.res {
		res = append(res, r)
	}
	out := map[string]Result{}
	for _, r := range Check(graph.New(res)) {
		out[r.Path] = r
	}
	return out
}

// problem asserts that r has a problem containing want.
func problem(t *testing.T, r Result, want string) {
	t.Helper()
	for _, p := range r.Problems {
		if strings.Contains(p, want) {
			return
		}
	}
	t.Errorf("%s: no problem containing %q; got %q", r.Path, want, r.Problems)
}

// twoSubnets: a (10.0.1.0/24) and c (10.0.2.0/24).
func twoSubnets() *fixture {
	n := newNet()
	n.subnet("a", "10.0.1.0/24")
	n.subnet("c", "10.0.2.0/24")
	return n
}

var p443 = []string{"443"}

// NACL rules are evaluated lowest number first and the first match wins.
func TestNACLFirstMatchWins(t *testing.T) {
	n := twoSubnets()
	n.nacl("acl", L{deny(100, 443, 443, "10.0.1.0/24"), allow(90, 0, 65535, "10.0.0.0/16")}, open, "a", "c")
	n.path("required", "allow-first", ep{subnets: []string{"a"}}, ep{subnets: []string{"c"}}, p443)
	r := n.check(t)["allow-first"]
	assert.True(t, r.OK, r.Problems)
	assert.Equal(t, Open, r.Status)

	n = twoSubnets()
	n.nacl("acl", L{deny(90, 443, 443, "10.0.1.0/24"), allow(100, 0, 65535, "10.0.0.0/16")}, open, "a", "c")
	n.path("required", "deny-first", ep{subnets: []string{"a"}}, ep{subnets: []string{"c"}}, p443)
	r = n.check(t)["deny-first"]
	assert.False(t, r.OK)
	assert.Equal(t, Closed, r.Status)
	problem(t, r, "a → c tcp/443: request inbound at c: network ACL acl rule 90 denies tcp 443-443 from 10.0.1.0/24")
}

// No matching rule: the implicit deny, named as rule "*".
func TestNACLImplicitDeny(t *testing.T) {
	n := twoSubnets()
	n.nacl("acl", L{allow(100, 1024, 65535, "10.0.0.0/16")}, open, "a", "c")
	n.path("required", "p", ep{subnets: []string{"a"}}, ep{subnets: []string{"c"}}, p443)
	r := n.check(t)["p"]
	assert.False(t, r.OK)
	problem(t, r, "a → c tcp/443: request inbound at c: network ACL acl: no rule matches tcp/443 from 10.0.1.0/24, implicit deny (rule *)")
}

// Stateless: the reply needs the ephemeral ports in both subnets' ACLs.
func TestNACLEphemeralReply(t *testing.T) {
	n := twoSubnets()
	n.nacl("acl-a", open, open, "a")
	n.nacl("acl-c", open, L{allow(100, 443, 443, "10.0.0.0/16"), allow(110, 32768, 65535, "10.0.1.0/24")}, "c")
	n.path("required", "p", ep{subnets: []string{"a"}}, ep{subnets: []string{"c"}}, p443)
	r := n.check(t)["p"]
	assert.False(t, r.OK)
	problem(t, r, "a → c tcp/1024-32767 (reply): reply outbound at c: network ACL acl-c: no rule matches tcp/1024 to 10.0.1.0/24")
}

// A rule covering only part of the source subnet proves nothing for a
// required path, but opens a forbidden one.
func TestNACLPartialCIDR(t *testing.T) {
	acl := L{allow(100, 443, 443, "10.0.1.0/25"), allow(110, 1024, 65535, "10.0.0.0/16")}
	n := twoSubnets()
	n.nacl("acl", acl, open, "a", "c")
	n.path("required", "req", ep{subnets: []string{"a"}}, ep{subnets: []string{"c"}}, p443)
	n.path("forbidden", "forb", ep{subnets: []string{"a"}}, ep{subnets: []string{"c"}}, p443)
	rs := n.check(t)
	assert.False(t, rs["req"].OK)
	problem(t, rs["req"], "request inbound at c: network ACL acl: no rule matches tcp/443 from 10.0.1.0/24")
	assert.False(t, rs["forb"].OK)
	assert.Equal(t, Open, rs["forb"].Status)
	problem(t, rs["forb"], "a → c tcp/443 is open")
}

// Traffic inside one subnet does not cross a network ACL.
func TestSameSubnetSkipsNACL(t *testing.T) {
	n := twoSubnets()
	n.nacl("deny-all", L{}, L{}, "a", "c")
	n.path("required", "same", ep{subnets: []string{"a"}}, ep{subnets: []string{"a"}}, p443)
	n.path("required", "across", ep{subnets: []string{"a"}}, ep{subnets: []string{"c"}}, p443)
	rs := n.check(t)
	assert.True(t, rs["same"].OK, rs["same"].Problems)
	assert.False(t, rs["across"].OK)
}

// Security groups: stateful (no reply check), matched by referenced group,
// CIDR or prefix list; a group without egress rules allows nothing out.
func TestSecurityGroups(t *testing.T) {
	n := twoSubnets()
	n.nacl("acl", open, open, "a", "c")
	n.sg("client", L{}, L{sgEntry(5432, "10.0.2.0/24")})
	n.sg("other", L{}, L{sgEntry(5432, "10.0.2.0/24")})
	db := n.sg("db", L{}, L{}) // no egress: replies still flow
	n.add(TypeSGIngressRule, "db-from-client", M{"ipProtocol": "tcp", "fromPort": 5432.0, "toPort": 5432.0, "cidrIpv4": nil, "prefixListId": nil},
		"securityGroupId", db.URN, "referencedSecurityGroupId", urn(TypeSG, "client"))
	n.sg("alb", L{M{"protocol": "tcp", "fromPort": 80.0, "toPort": 80.0, "prefixListIds": L{"pl-cf"}}}, L{})
	n.sg("mute", L{}, L{})

	n.path("required", "by-group", ep{subnets: []string{"a"}, groups: []string{"client"}}, ep{subnets: []string{"c"}, groups: []string{"db"}}, []string{"5432"})
	n.path("required", "wrong-group", ep{subnets: []string{"a"}, groups: []string{"other"}}, ep{subnets: []string{"c"}, groups: []string{"db"}}, []string{"5432"})
	n.path("required", "no-egress", ep{subnets: []string{"a"}, groups: []string{"mute"}}, ep{subnets: []string{"c"}, groups: []string{"db"}}, []string{"5432"})
	n.path("required", "prefix-list", ep{subnets: []string{"a"}, prefixes: []string{"pl-cf"}}, ep{subnets: []string{"c"}, groups: []string{"alb"}}, []string{"80"})
	n.path("required", "no-prefix-list", ep{subnets: []string{"a"}}, ep{subnets: []string{"c"}, groups: []string{"alb"}}, []string{"80"})
	rs := n.check(t)
	assert.True(t, rs["by-group"].OK, rs["by-group"].Problems)
	problem(t, rs["wrong-group"], "a → c tcp/5432: request entering to in c: security group db: no rule admits tcp/5432 from security group other / 10.0.1.0/24")
	problem(t, rs["no-egress"], "request leaving from in a: security group mute: no rule allows out tcp/5432 to security group db / 10.0.2.0/24")
	assert.True(t, rs["prefix-list"].OK, rs["prefix-list"].Problems)
	problem(t, rs["no-prefix-list"], "security group alb: no rule admits tcp/80")
}

// Every subnet pair is evaluated, cross-zone included; the failing pair is
// named.
func TestEverySubnetPair(t *testing.T) {
	n := twoSubnets()
	n.subnet("d", "10.0.3.0/24")
	// Listener port admitted inbound from the tier, but leaves only to a.
	n.nacl("private", L{allow(100, 80, 80, "10.0.0.0/16"), allow(110, 1024, 65535, "10.0.0.0/16")},
		L{allow(100, 80, 80, "10.0.1.0/24"), allow(110, 1024, 65535, "10.0.0.0/16")}, "a", "c", "d")
	n.path("required", "origin-to-alb", ep{subnets: []string{"a", "c", "d"}}, ep{subnets: []string{"a", "c", "d"}}, []string{"80"})
	r := n.check(t)["origin-to-alb"]
	assert.Equal(t, 9, r.Pairs)
	assert.False(t, r.OK)
	problem(t, r, "c → d tcp/80: request outbound at c: network ACL private: no rule matches tcp/80 to 10.0.3.0/24, implicit deny (rule *)")
	problem(t, r, "d → c tcp/80: request outbound at d")
	for _, p := range r.Problems {
		assert.NotContains(t, p, "→ a tcp/80: request outbound", "the rule admits a")
	}
}

// Routes: no route out, a route to an internet gateway, and NAT (whose
// subnet needs a route to the internet gateway and its own ACL both ways).
func TestRoutesToTheInternet(t *testing.T) {
	build := func(natSubnetRoutesOut bool) map[string]Result {
		n := twoSubnets()
		n.subnet("iso", "10.0.11.0/24")
		n.subnet("pub", "10.0.21.0/24")
		n.nacl("acl", L{allow(100, 0, 65535, "0.0.0.0/0")}, L{allow(100, 0, 65535, "0.0.0.0/0")}, "a", "c", "iso", "pub")
		n.add(TypeIGW, "igw", nil, "vpcId", urn(TypeVpc, "vpc"))
		n.add(TypeNAT, "nat", M{"connectivityType": "public"}, "subnetId", urn(TypeSubnet, "pub"))
		if natSubnetRoutesOut {
			n.route("pub", "gatewayId", TypeIGW, "igw")
		}
		n.route("a", "natGatewayId", TypeNAT, "nat")
		n.path("forbidden", "iso-out", ep{subnets: []string{"iso"}}, ep{internet: true}, []string{"0-65535"}, "route")
		n.path("required", "nat-out", ep{subnets: []string{"a"}}, ep{internet: true}, p443)
		n.path("required", "no-nat", ep{subnets: []string{"c"}}, ep{internet: true}, p443)
		return n.check(t)
	}
	rs := build(true)
	assert.True(t, rs["iso-out"].OK, rs["iso-out"].Problems)
	assert.Contains(t, rs["iso-out"].DecidedBy, "route table iso-rt has no route to an internet gateway or NAT gateway")
	assert.True(t, rs["nat-out"].OK, rs["nat-out"].Problems)
	problem(t, rs["no-nat"], "c → internet tcp/443: route from c to internet: route table c-rt has no route to an internet gateway or NAT gateway")

	rs = build(false)
	problem(t, rs["nat-out"], "route from pub (NAT gateway nat) to internet: route table pub-rt has no route")
}

// A forbidden path must be closed by every layer it lists: an internet
// gateway route in the isolated tier fails even though the ACL still
// blocks.
func TestMustBlockEachLayer(t *testing.T) {
	n := newNet()
	n.subnet("iso", "10.0.11.0/24")
	n.nacl("iso-acl", L{allow(100, 443, 443, "10.0.0.0/16")}, L{allow(100, 1024, 65535, "10.0.0.0/16")}, "iso")
	n.add(TypeIGW, "igw", nil, "vpcId", urn(TypeVpc, "vpc"))
	n.route("iso", "gatewayId", TypeIGW, "igw")
	n.path("forbidden", "iso-out", ep{subnets: []string{"iso"}}, ep{internet: true}, []string{"0-65535"}, "route", "nacl")
	r := n.check(t)["iso-out"]
	assert.False(t, r.OK)
	assert.Equal(t, Closed, r.Status, "the ACL still closes it")
	problem(t, r, "iso → internet tcp/0-65535: the route layer does not close it (route from iso to internet: route table iso-rt routes 0.0.0.0/0 to internet gateway igw)")
}

// The internet cannot address an internal load balancer, whatever its
// security group says.
func TestInternalLoadBalancer(t *testing.T) {
	build := func(internal bool) Result {
		n := twoSubnets()
		n.nacl("acl", L{allow(100, 0, 65535, "0.0.0.0/0")}, L{allow(100, 0, 65535, "0.0.0.0/0")}, "a", "c")
		n.add(TypeIGW, "igw", nil, "vpcId", urn(TypeVpc, "vpc"))
		n.route("a", "gatewayId", TypeIGW, "igw")
		n.sg("alb", L{sgEntry(443, "0.0.0.0/0")}, L{})
		lb := n.add(TypeLB, "alb", M{"internal": internal})
		n.dep(lb, "securityGroups", TypeSG, "alb")
		n.path("forbidden", "internet-to-alb", ep{internet: true}, ep{subnets: []string{"a"}, groups: []string{"alb"}}, []string{"0-65535"}, "address")
		return n.check(t)["internet-to-alb"]
	}
	r := build(true)
	assert.True(t, r.OK, r.Problems)
	assert.Contains(t, r.DecidedBy, "load balancer alb has the internal scheme")
	r = build(false)
	assert.False(t, r.OK)
	assert.Equal(t, Open, r.Status)
	problem(t, r, "internet → a tcp/443 is open")
}

// A subnet evaluated as if on another ACL (the quarantine).
func TestNetworkACLOverride(t *testing.T) {
	n := twoSubnets()
	n.nacl("tier", open, open, "a", "c")
	n.nacl("quarantine", L{allow(100, 0, 65535, "192.0.2.0/24"), deny(32000, 0, 65535, "0.0.0.0/0")},
		L{allow(100, 1024, 65535, "192.0.2.0/24"), deny(32000, 0, 65535, "0.0.0.0/0")})
	rest, err := pathspec.ComplementCIDRs([]string{"192.0.2.0/24"})
	require.NoError(t, err)
	assert.Len(t, rest, 24)
	assert.NotContains(t, rest, "192.0.2.0/24")
	n.path("forbidden", "q-out", ep{subnets: []string{"a"}, acl: "quarantine"}, ep{cidrs: rest}, []string{"0-65535"}, "nacl")
	n.path("forbidden", "tier-out", ep{subnets: []string{"a"}}, ep{cidrs: rest}, []string{"0-65535"}, "nacl")
	n.path("required", "forensics", ep{cidrs: []string{"10.0.9.0/24"}}, ep{subnets: []string{"a"}, acl: "quarantine"}, []string{"22"})
	// Forensics hosts outside the VPC: no route in the graph, so only the
	// network ACL is proven when the declaration limits the layers.
	n.path("required", "outside-all-layers", ep{cidrs: []string{"192.0.2.0/24"}}, ep{subnets: []string{"a"}, acl: "quarantine"}, []string{"22"})
	d := n.path("required", "outside-nacl-only", ep{cidrs: []string{"192.0.2.0/24"}}, ep{subnets: []string{"a"}, acl: "quarantine"}, []string{"22"})
	d.Inputs[pathspec.PropLayers] = L{pathspec.LayerNACL}
	rs := n.check(t)
	problem(t, rs["outside-all-layers"], "reply route from a to 192.0.2.0/24: route table a-rt has no route to 192.0.2.0/24")
	assert.True(t, rs["outside-nacl-only"].OK, rs["outside-nacl-only"].Problems)
	assert.True(t, rs["q-out"].OK, rs["q-out"].Problems)
	assert.Contains(t, rs["q-out"].DecidedBy, "network ACL quarantine rule 32000 denies")
	assert.False(t, rs["tier-out"].OK)
	problem(t, rs["forensics"], "request inbound at a: network ACL quarantine rule 32000 denies")
}

// A value not known in a preview makes the path unknown, never failed.
func TestUnknownInputs(t *testing.T) {
	n := twoSubnets()
	n.nacl("acl", open, open, "a", "c")
	n.add(TypeSG, "sg", M{"ingress": graph.Unknown{}, "egress": L{}})
	n.path("required", "p", ep{subnets: []string{"a"}}, ep{subnets: []string{"c"}, groups: []string{"sg"}}, p443)
	r := n.check(t)["p"]
	assert.Equal(t, Unknown, r.Status)
	assert.True(t, r.OK)
	require.Len(t, r.Problems, 1)
	assert.Contains(t, r.Problems[0], "not decidable: security group sg: inline ingress rules not known")

	n = twoSubnets()
	n.nacl("acl", open, open, "a", "c")
	n.res[urn(TypeSubnet, "c")].Inputs["cidrBlock"] = graph.Unknown{}
	n.path("required", "p", ep{subnets: []string{"a"}}, ep{subnets: []string{"c"}}, p443)
	assert.Equal(t, Unknown, n.check(t)["p"].Status)
}

// A declaration naming subnets the graph does not hold is not proven.
func TestMissingSubnet(t *testing.T) {
	n := twoSubnets()
	n.nacl("acl", open, open, "a", "c")
	d := n.path("required", "p", ep{subnets: []string{"a"}}, ep{subnets: []string{"c"}}, p443)
	d.Inputs["toSubnetIds"] = L{graph.Unknown{}, graph.Unknown{}}
	r := n.check(t)["p"]
	assert.Equal(t, Unknown, r.Status)
	assert.Contains(t, r.Problems[0], "names 2 subnets, 1 of them in the graph")
}

func TestPortSets(t *testing.T) {
	s := portSet{{0, 65535}}.minus(portSet{{443, 443}, {5432, 5432}})
	assert.Equal(t, "0-442,444-5431,5433-65535", s.String())
	assert.Equal(t, "443", portSet{{0, 1000}}.intersect(portSet{{443, 443}, {2000, 3000}}).String())
	assert.Equal(t, "1-10", portSet{{1, 5}}.union(portSet{{6, 10}}).String())
}

func TestSummarize(t *testing.T) {
	s := Summarize([]Result{
		{Kind: Required, OK: true, Status: Open},
		{Kind: Required, OK: false, Status: Closed},
		{Kind: Forbidden, OK: true, Status: Closed},
		{Kind: Forbidden, OK: false, Status: Open},
		{Kind: Required, OK: true, Status: Unknown},
	})
	assert.Equal(t, Summary{RequiredOpen: 1, RequiredClosed: 1, ForbiddenClosed: 1, ForbiddenOpen: 1, Unknown: 1}, s)
}

// A subnet with no explicit association is on the VPC's default network
// ACL; emptied, it denies everything.
func TestDefaultNACL(t *testing.T) {
	n := twoSubnets()
	n.nacl("tier", open, open, "c")
	n.add(TypeDefaultNACL, "default-acl", nil, "defaultNetworkAclId", urn(TypeVpc, "vpc"))
	n.path("required", "p", ep{subnets: []string{"a"}}, ep{subnets: []string{"c"}}, p443)
	r := n.check(t)["p"]
	assert.False(t, r.OK)
	problem(t, r, "a → c tcp/443: request outbound at a: network ACL default-acl: no rule matches tcp/443 to 10.0.2.0/24, implicit deny (rule *)")
}
