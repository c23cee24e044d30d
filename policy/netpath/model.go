package netpath

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/fintech-resilience/fintech-resilience/policy/graph"
)

// Resource types the analysis reads.
const (
	TypeVpc             = "aws:ec2/vpc:Vpc"
	TypeSubnet          = "aws:ec2/subnet:Subnet"
	TypeRouteTable      = "aws:ec2/routeTable:RouteTable"
	TypeRoute           = "aws:ec2/route:Route"
	TypeRouteTableAssoc = "aws:ec2/routeTableAssociation:RouteTableAssociation"
	TypeIGW             = "aws:ec2/internetGateway:InternetGateway"
	TypeNAT             = "aws:ec2/natGateway:NatGateway"
	TypeNACL            = "aws:ec2/networkAcl:NetworkAcl"
	TypeDefaultNACL     = "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl"
	TypeNACLRule        = "aws:ec2/networkAclRule:NetworkAclRule"
	TypeNACLAssoc       = "aws:ec2/networkAclAssociation:NetworkAclAssociation"
	TypeSG              = "aws:ec2/securityGroup:SecurityGroup"
	TypeSGRule          = "aws:ec2/securityGroupRule:SecurityGroupRule"
	TypeSGIngressRule   = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
	TypeSGEgressRule    = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
	TypeLB              = "aws:lb/loadBalancer:LoadBalancer"
	TypeALB             = "aws:alb/loadBalancer:LoadBalancer"
	TypeECSService      = "aws:ecs/service:Service"
)

// implicitDenyRuleLabel is how AWS shows the final deny-all rule of a
// network ACL.
const implicitDenyRuleLabel = "*"

// unknownError says a value the analysis needs is not known yet (a
// preview) or not in the graph: the path is then neither proven nor
// refuted.
type unknownError struct{ reason string }

func (e *unknownError) Error() string { return e.reason }

func unknownf(format string, a ...any) error {
	return &unknownError{fmt.Sprintf(format, a...)}
}

// naclRule is one network ACL entry.
type naclRule struct {
	no       int
	allow    bool
	protocol string // "-1", "6", "17" normalised to "all", "tcp", "udp"
	cidr     block
	ports    span
}

type nacl struct {
	name     string
	in, out  []naclRule
	implicit bool // the default network ACL emptied: deny everything
}

type route struct {
	dest   block
	kind   string // "local", "igw", "nat", "other"
	target string // name of the gateway
	nat    *graph.Resource
}

type routeTable struct {
	name   string
	routes []route
}

type subnet struct {
	res  *graph.Resource
	name string
	cidr block
	vpc  *graph.Resource
	// vpcCIDR is the VPC's primary block (the local route).
	vpcCIDR block
	rt      *routeTable
	acl     *nacl
}

type sgRule struct {
	name      string
	protocol  string
	ports     span
	cidrs     []block
	prefixes  []string
	groups    map[string]bool // security group URNs
	allProtos bool
}

type secGroup struct {
	res     *graph.Resource
	name    string
	in, out []sgRule
}

// model caches what the analysis has read from one graph.
type model struct {
	g       *graph.Graph
	subnets map[string]*subnet
	sgs     map[string]*secGroup
	nacls   map[string]*nacl
	rts     map[string]*routeTable
	byID    map[string]*graph.Resource
}

func newModel(g *graph.Graph) *model {
	m := &model{g: g, subnets: map[string]*subnet{}, sgs: map[string]*secGroup{}, nacls: map[string]*nacl{}, rts: map[string]*routeTable{}, byID: map[string]*graph.Resource{}}
	for _, r := range g.Resources {
		if r.ID != "" {
			m.byID[r.ID] = r
		}
	}
	return m
}

func num(v any) (int, bool) {
	if n, ok := graph.Num(v); ok {
		return int(n), true
	}
	if s := graph.Str(v); s != "" {
		n, err := strconv.Atoi(s)
		return n, err == nil
	}
	return 0, false
}

// normProtocol maps AWS protocol spellings to "all", "tcp", "udp" or the
// number.
func normProtocol(p string) string {
	switch strings.ToLower(p) {
	case "-1", "all":
		return "all"
	case "6", "tcp":
		return "tcp"
	case "17", "udp":
		return "udp"
	}
	return strings.ToLower(p)
}

func (m *model) subnet(r *graph.Resource) (*subnet, error) {
	if s, ok := m.subnets[r.URN]; ok {
		return s, nil
	}
	v, known := r.Input("cidrBlock")
	if !known {
		return nil, unknownf("subnet %s: CIDR not known", r.Name)
	}
	c, ok := parseBlock(graph.Str(v))
	if !ok {
		return nil, unknownf("subnet %s: no IPv4 CIDR", r.Name)
	}
	s := &subnet{res: r, name: r.Name, cidr: c}
	vpcs := m.g.Refs(r, "vpcId", TypeVpc)
	if len(vpcs) != 1 {
		return nil, unknownf("subnet %s: its VPC is not in the graph", r.Name)
	}
	s.vpc = vpcs[0]
	vc, known := s.vpc.Input("cidrBlock")
	if !known {
		return nil, unknownf("VPC %s: CIDR not known", s.vpc.Name)
	}
	if s.vpcCIDR, ok = parseBlock(graph.Str(vc)); !ok {
		return nil, unknownf("VPC %s: no IPv4 CIDR", s.vpc.Name)
	}
	rt, err := m.routeTableOf(s)
	if err != nil {
		return nil, err
	}
	s.rt = rt
	acl, err := m.naclOf(s)
	if err != nil {
		return nil, err
	}
	s.acl = acl
	m.subnets[r.URN] = s
	return s, nil
}

// routeTableOf returns the subnet's explicitly associated route table. A
// subnet without one uses the VPC's main route table, which this program
// never changes: only the local route.
func (m *model) routeTableOf(s *subnet) (*routeTable, error) {
	var tables []*graph.Resource
	for _, a := range m.g.ReferencedBy(s.res, TypeRouteTableAssoc, "subnetId") {
		tables = append(tables, m.g.Refs(a, "routeTableId", TypeRouteTable)...)
	}
	local := route{dest: s.vpcCIDR, kind: "local", target: "local"}
	if len(tables) == 0 {
		return &routeTable{name: "main route table of " + s.vpc.Name, routes: []route{local}}, nil
	}
	if len(tables) > 1 {
		return nil, unknownf("subnet %s is associated with %d route tables", s.name, len(tables))
	}
	t := tables[0]
	if rt, ok := m.rts[t.URN]; ok {
		return rt, nil
	}
	rt := &routeTable{name: t.Name, routes: []route{local}}
	for _, r := range m.g.ReferencedBy(t, TypeRoute, "routeTableId") {
		dv, known := r.Input("destinationCidrBlock")
		if !known {
			return nil, unknownf("route %s: destination not known", r.Name)
		}
		ds := graph.Str(dv)
		if ds == "" {
			continue // prefix-list (gateway endpoint) or IPv6 route
		}
		dest, ok := parseBlock(ds)
		if !ok {
			continue
		}
		rt.routes = append(rt.routes, m.routeTarget(r, dest, r.Inputs))
	}
	if v, known := t.Input("routes"); known {
		for _, e := range graph.List(v) {
			in := graph.Map(e)
			dest, ok := parseBlock(graph.Str(in["cidrBlock"]))
			if !ok {
				continue
			}
			rt.routes = append(rt.routes, m.routeTarget(t, dest, in))
		}
	} else {
		return nil, unknownf("route table %s: inline routes not known", t.Name)
	}
	m.rts[t.URN] = rt
	return rt, nil
}

func (m *model) routeTarget(r *graph.Resource, dest block, in map[string]any) route {
	if r.Type == TypeRoute {
		if gw := m.g.Refs(r, "gatewayId", TypeIGW); len(gw) > 0 {
			return route{dest: dest, kind: "igw", target: "internet gateway " + gw[0].Name}
		}
		if nat := m.g.Refs(r, "natGatewayId", TypeNAT); len(nat) > 0 {
			return route{dest: dest, kind: "nat", target: "NAT gateway " + nat[0].Name, nat: nat[0]}
		}
	}
	if id := graph.Str(in["gatewayId"]); strings.HasPrefix(id, "igw-") {
		return route{dest: dest, kind: "igw", target: "internet gateway " + id}
	}
	if id := graph.Str(in["natGatewayId"]); id != "" {
		return route{dest: dest, kind: "nat", target: "NAT gateway " + id, nat: m.byID[id]}
	}
	return route{dest: dest, kind: "other", target: "a non-internet target"}
}

// naclOf returns the network ACL the subnet is associated with.
func (m *model) naclOf(s *subnet) (*nacl, error) {
	var acls []*graph.Resource
	acls = append(acls, m.g.ReferencedBy(s.res, TypeNACL, "subnetIds")...)
	for _, a := range m.g.ReferencedBy(s.res, TypeNACLAssoc, "subnetId") {
		acls = append(acls, m.g.Refs(a, "networkAclId", TypeNACL)...)
	}
	seen := map[string]bool{}
	var unique []*graph.Resource
	for _, a := range acls {
		if !seen[a.URN] {
			seen[a.URN] = true
			unique = append(unique, a)
		}
	}
	switch len(unique) {
	case 0:
		// The VPC's default network ACL.
		for _, d := range m.g.OfType(TypeDefaultNACL) {
			for _, vpc := range m.g.Refs(d, "defaultNetworkAclId", TypeVpc) {
				if vpc.URN == s.vpc.URN {
					return m.nacl(d)
				}
			}
		}
		return nil, unknownf("subnet %s: no network ACL association in the graph (the default network ACL of %s is not either)", s.name, s.vpc.Name)
	case 1:
		return m.nacl(unique[0])
	}
	return nil, unknownf("subnet %s is associated with %d network ACLs", s.name, len(unique))
}

func (m *model) nacl(r *graph.Resource) (*nacl, error) {
	if n, ok := m.nacls[r.URN]; ok {
		return n, nil
	}
	n := &nacl{name: r.Name}
	for _, dir := range []string{"ingress", "egress"} {
		v, known := r.Input(dir)
		if !known || graph.IsUnknown(v) {
			return nil, unknownf("network ACL %s: %s rules not known", r.Name, dir)
		}
		for _, e := range graph.List(v) {
			in := graph.Map(e)
			rule, err := naclEntry(r.Name, in, "ruleNo", "action", "cidrBlock")
			if err != nil {
				return nil, err
			}
			if rule == nil {
				continue
			}
			if dir == "ingress" {
				n.in = append(n.in, *rule)
			} else {
				n.out = append(n.out, *rule)
			}
		}
	}
	for _, e := range m.g.ReferencedBy(r, TypeNACLRule, "networkAclId") {
		if graph.IsUnknown(e.Inputs) {
			return nil, unknownf("network ACL rule %s not known", e.Name)
		}
		rule, err := naclEntry(e.Name, e.Inputs, "ruleNumber", "ruleAction", "cidrBlock")
		if err != nil {
			return nil, err
		}
		if rule == nil {
			continue
		}
		if eg, _ := graph.Bool(e.Inputs["egress"]); eg {
			n.out = append(n.out, *rule)
		} else {
			n.in = append(n.in, *rule)
		}
	}
	for _, rules := range [][]naclRule{n.in, n.out} {
		sort.SliceStable(rules, func(i, j int) bool { return rules[i].no < rules[j].no })
	}
	m.nacls[r.URN] = n
	return n, nil
}

// naclEntry reads one entry; nil for an IPv6 entry.
func naclEntry(owner string, in map[string]any, noKey, actionKey, cidrKey string) (*naclRule, error) {
	if graph.IsUnknown(in) {
		return nil, unknownf("network ACL %s: an entry is not known", owner)
	}
	no, ok := num(in[noKey])
	if !ok {
		return nil, unknownf("network ACL %s: an entry has no rule number", owner)
	}
	cidr := graph.Str(in[cidrKey])
	if cidr == "" {
		return nil, nil // IPv6
	}
	c, ok := parseBlock(cidr)
	if !ok {
		return nil, unknownf("network ACL %s rule %d: CIDR %q is not IPv4", owner, no, cidr)
	}
	from, _ := num(in["fromPort"])
	to, _ := num(in["toPort"])
	proto := normProtocol(graph.Str(in["protocol"]))
	if proto == "all" {
		from, to = 0, 65535
	}
	return &naclRule{no: no, allow: strings.EqualFold(graph.Str(in[actionKey]), "allow"), protocol: proto, cidr: c, ports: span{from, to}}, nil
}

// secGroup returns the rules of a security group: inline and separate
// rule resources, which are combined (AWS evaluates all rules of all
// groups on an interface together).
func (m *model) secGroup(r *graph.Resource) (*secGroup, error) {
	if sg, ok := m.sgs[r.URN]; ok {
		return sg, nil
	}
	sg := &secGroup{res: r, name: r.Name}
	for _, dir := range []string{"ingress", "egress"} {
		v, known := r.Input(dir)
		if !known || graph.IsUnknown(v) {
			return nil, unknownf("security group %s: inline %s rules not known", r.Name, dir)
		}
		for _, e := range graph.List(v) {
			in := graph.Map(e)
			rule := sgRule{name: r.Name + " inline " + dir, groups: map[string]bool{}}
			if err := fillPorts(&rule, in, "protocol"); err != nil {
				return nil, fmt.Errorf("security group %s: %w", r.Name, err)
			}
			for _, c := range graph.Strings(in["cidrBlocks"]) {
				if b, ok := parseBlock(c); ok {
					rule.cidrs = append(rule.cidrs, b)
				}
			}
			rule.prefixes = graph.Strings(in["prefixListIds"])
			if self, _ := graph.Bool(in["self"]); self {
				rule.groups[r.URN] = true
			}
			if refs := graph.List(in["securityGroups"]); len(refs) > 0 {
				for _, id := range graph.Strings(in["securityGroups"]) {
					if t := m.byID[id]; t != nil {
						rule.groups[t.URN] = true
					}
				}
				if len(rule.groups) == 0 || graph.IsUnknown(in["securityGroups"]) {
					// Ids not known: the groups this property depends on.
					for _, t := range m.g.Refs(r, dir, TypeSG) {
						rule.groups[t.URN] = true
					}
				}
			}
			if dir == "ingress" {
				sg.in = append(sg.in, rule)
			} else {
				sg.out = append(sg.out, rule)
			}
		}
	}
	for _, rr := range m.g.ReferencedBy(r, TypeSGRule, "securityGroupId") {
		if graph.IsUnknown(rr.Inputs["type"]) {
			return nil, unknownf("security group rule %s: type not known", rr.Name)
		}
		rule := sgRule{name: rr.Name, groups: map[string]bool{}}
		if err := fillPorts(&rule, rr.Inputs, "protocol"); err != nil {
			return nil, fmt.Errorf("security group rule %s: %w", rr.Name, err)
		}
		for _, c := range graph.Strings(rr.Inputs["cidrBlocks"]) {
			if b, ok := parseBlock(c); ok {
				rule.cidrs = append(rule.cidrs, b)
			}
		}
		rule.prefixes = graph.Strings(rr.Inputs["prefixListIds"])
		if self, _ := graph.Bool(rr.Inputs["self"]); self {
			rule.groups[r.URN] = true
		}
		for _, t := range m.g.Refs(rr, "sourceSecurityGroupId", TypeSG) {
			rule.groups[t.URN] = true
		}
		if graph.Str(rr.Inputs["type"]) == "ingress" {
			sg.in = append(sg.in, rule)
		} else {
			sg.out = append(sg.out, rule)
		}
	}
	for _, typ := range []string{TypeSGIngressRule, TypeSGEgressRule} {
		for _, rr := range m.g.ReferencedBy(r, typ, "securityGroupId") {
			rule := sgRule{name: rr.Name, groups: map[string]bool{}}
			if err := fillPorts(&rule, rr.Inputs, "ipProtocol"); err != nil {
				return nil, fmt.Errorf("security group rule %s: %w", rr.Name, err)
			}
			if v, known := rr.Input("cidrIpv4"); !known {
				return nil, unknownf("security group rule %s: CIDR not known", rr.Name)
			} else if b, ok := parseBlock(graph.Str(v)); ok {
				rule.cidrs = append(rule.cidrs, b)
			}
			if v, known := rr.Input("prefixListId"); !known {
				return nil, unknownf("security group rule %s: prefix list not known", rr.Name)
			} else if s := graph.Str(v); s != "" {
				rule.prefixes = append(rule.prefixes, s)
			}
			for _, t := range m.g.Refs(rr, "referencedSecurityGroupId", TypeSG) {
				rule.groups[t.URN] = true
			}
			if typ == TypeSGIngressRule {
				sg.in = append(sg.in, rule)
			} else {
				sg.out = append(sg.out, rule)
			}
		}
	}
	m.sgs[r.URN] = sg
	return sg, nil
}

func fillPorts(rule *sgRule, in map[string]any, protoKey string) error {
	if graph.IsUnknown(in[protoKey]) || graph.IsUnknown(in["fromPort"]) || graph.IsUnknown(in["toPort"]) {
		return unknownf("protocol or ports not known")
	}
	rule.protocol = normProtocol(graph.Str(in[protoKey]))
	if rule.protocol == "all" {
		rule.allProtos = true
		rule.ports = span{0, 65535}
		return nil
	}
	from, _ := num(in["fromPort"])
	to, _ := num(in["toPort"])
	rule.ports = span{from, to}
	return nil
}

// publiclyAddressable reports whether an endpoint with these security
// groups and subnets can be addressed from the internet, and why not.
func (m *model) publiclyAddressable(sgs []*graph.Resource, subnets []*subnet) (bool, string, error) {
	var lbs []*graph.Resource
	for _, sg := range sgs {
		lbs = append(lbs, m.g.ReferencedBy(sg, TypeLB, "securityGroups")...)
		lbs = append(lbs, m.g.ReferencedBy(sg, TypeALB, "securityGroups")...)
	}
	if len(lbs) > 0 {
		var internal []string
		for _, lb := range lbs {
			v, known := lb.Input("internal")
			if !known {
				return false, "", unknownf("load balancer %s: scheme not known", lb.Name)
			}
			if b, _ := graph.Bool(v); !b {
				return true, fmt.Sprintf("load balancer %s is internet-facing", lb.Name), nil
			}
			internal = append(internal, lb.Name)
		}
		return false, fmt.Sprintf("load balancer %s has the internal scheme (its nodes have private addresses only)", strings.Join(internal, ", ")), nil
	}
	for _, sg := range sgs {
		for _, svc := range m.g.ReferencedBy(sg, TypeECSService, "networkConfiguration") {
			if v, known := svc.Input("networkConfiguration", "assignPublicIp"); known {
				if b, _ := graph.Bool(v); b {
					return true, fmt.Sprintf("ECS service %s assigns public IPs", svc.Name), nil
				}
			}
		}
	}
	for _, s := range subnets {
		if v, known := s.res.Input("mapPublicIpOnLaunch"); known {
			if b, _ := graph.Bool(v); b {
				return true, fmt.Sprintf("subnet %s maps public IPs on launch", s.name), nil
			}
		}
	}
	return false, "no public address (internal load balancer, no public IP mapping)", nil
}
