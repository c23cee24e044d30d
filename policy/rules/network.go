package rules

import (
	"fmt"
	"strings"

	"github.com/fintech-resilience/fintech-resilience/policy/graph"
)

func networkRules() []Rule {
	return []Rule{
		{
			Name:        "database-in-isolated-subnets",
			Description: "Every subnet of an RDS subnet group is isolated: its route table has no route to an internet gateway or NAT gateway.",
			Enforcement: Mandatory, Family: "network", Scope: StackScope,
			Practice: "seed 000 #5", Controls: ctlNetwork,
			Types: []string{typeRDSSubnetGroup},
			Check: perResource([]string{typeRDSSubnetGroup}, func(g *graph.Graph, sg *graph.Resource) []string {
				var out []string
				for _, sn := range g.Refs(sg, "subnetIds", typeSubnet) {
					for _, msg := range egressRoutes(g, sn) {
						out = append(out, fmt.Sprintf("subnet %s: %s", sn.Name, msg))
					}
				}
				return out
			}),
		},
		{
			Name:        "subnet-explicit-nacl",
			Description: "Every subnet has an explicit network ACL association (no subnet stays on the default network ACL).",
			Enforcement: Mandatory, Family: "network", Scope: StackScope,
			Practice: "seed 000 #6", Controls: ctlNetwork,
			Types: []string{typeSubnet},
			Check: perResource([]string{typeSubnet}, func(g *graph.Graph, sn *graph.Resource) []string {
				if len(g.ReferencedBy(sn, typeNACLAssoc, "subnetId")) > 0 || len(g.ReferencedBy(sn, typeNACL, "subnetIds")) > 0 {
					return nil
				}
				return []string{"subnet has no explicit network ACL association"}
			}),
		},
		{
			Name:        "subnet-public-ip-only-if-public",
			Description: "No subnet maps public IPs on launch unless it is a public subnet (routes to an internet gateway).",
			Enforcement: Mandatory, Family: "network", Scope: StackScope,
			Practice: "seed 000 #5", Controls: ctlNetwork,
			Types: []string{typeSubnet},
			Check: perResource([]string{typeSubnet}, func(g *graph.Graph, sn *graph.Resource) []string {
				if v, known := isTrue(sn, "mapPublicIpOnLaunch"); !known || !v {
					return nil
				}
				for _, msg := range egressRoutes(g, sn) {
					if strings.Contains(msg, "internet gateway") {
						return nil
					}
				}
				return []string{"subnet maps public IPs on launch but is not a public subnet"}
			}),
		},
		{
			Name:        "vpc-flow-logs",
			Description: "Every VPC has flow logs.",
			Enforcement: Mandatory, Family: "network", Scope: StackScope,
			Practice: "seed 004 (detect)", Controls: ctlLogging,
			Types: []string{typeVpc},
			Check: perResource([]string{typeVpc}, func(g *graph.Graph, vpc *graph.Resource) []string {
				if len(g.ReferencedBy(vpc, typeFlowLog, "vpcId")) > 0 {
					return nil
				}
				return []string{"VPC has no flow log"}
			}),
		},
		{
			Name:        "no-open-ingress",
			Description: "No security group admits 0.0.0.0/0 or ::/0, except HTTPS (443) to a load balancer; never on database ports.",
			Enforcement: Mandatory, Family: "network", Scope: StackScope,
			Practice: "seed 000 #5, #6", Controls: ctlNetwork,
			Types: []string{typeSG, typeSGRule, typeSGIngressRule},
			Check: openIngressCheck,
		},
		{
			Name:        "rds-not-public",
			Description: "RDS instances are never publicly accessible.",
			Enforcement: Mandatory, Family: "network", Scope: ResourceScope,
			Practice: "seed 000 #5", Controls: ctlNetwork,
			Types: []string{typeRDSInstance, typeRDSClusterInstance},
			Check: perResource([]string{typeRDSInstance, typeRDSClusterInstance}, func(_ *graph.Graph, r *graph.Resource) []string {
				if v, known := isTrue(r, "publiclyAccessible"); known && v {
					return []string{"database instance is publicly accessible"}
				}
				return nil
			}),
		},
		networkPathRule(),
	}
}

// routeTablesOf returns the route tables explicitly associated with a subnet.
func routeTablesOf(g *graph.Graph, sn *graph.Resource) []*graph.Resource {
	var out []*graph.Resource
	for _, a := range g.ReferencedBy(sn, typeRouteTableAssoc, "subnetId") {
		out = append(out, g.Refs(a, "routeTableId", typeRouteTable)...)
	}
	return out
}

// egressRoutes describes every route of the subnet's route tables to an
// internet or NAT gateway. A subnet with no explicit route table is reported
// too: it uses the main route table, which this graph cannot vouch for.
func egressRoutes(g *graph.Graph, sn *graph.Resource) []string {
	rts := routeTablesOf(g, sn)
	if len(rts) == 0 {
		return []string{"has no explicit route table association (the main route table may route to the internet)"}
	}
	var out []string
	for _, rt := range rts {
		for _, route := range g.ReferencedBy(rt, typeRoute, "routeTableId") {
			out = append(out, describeEgress(g, route, rt.Name)...)
		}
		// Inline routes.
		if v, known := rt.Input("routes"); known {
			for _, e := range graph.List(v) {
				m := graph.Map(e)
				if id := graph.Str(m["gatewayId"]); strings.HasPrefix(id, "igw-") {
					out = append(out, fmt.Sprintf("route table %s routes to internet gateway %s", rt.Name, id))
				}
				if id := graph.Str(m["natGatewayId"]); id != "" {
					out = append(out, fmt.Sprintf("route table %s routes to NAT gateway %s", rt.Name, id))
				}
			}
		}
		for _, dep := range g.Refs(rt, "routes", typeIGW, typeNAT) {
			out = append(out, fmt.Sprintf("route table %s routes to %s %s", rt.Name, gatewayKind(dep.Type), dep.Name))
		}
	}
	return out
}

func describeEgress(g *graph.Graph, route *graph.Resource, rtName string) []string {
	var out []string
	for _, gw := range g.Refs(route, "gatewayId", typeIGW) {
		out = append(out, fmt.Sprintf("route table %s routes to internet gateway %s", rtName, gw.Name))
	}
	for _, gw := range g.Refs(route, "natGatewayId", typeNAT) {
		out = append(out, fmt.Sprintf("route table %s routes to NAT gateway %s", rtName, gw.Name))
	}
	if len(out) == 0 {
		if v, known := route.Input("gatewayId"); known && strings.HasPrefix(graph.Str(v), "igw-") {
			out = append(out, fmt.Sprintf("route table %s routes to internet gateway %s", rtName, graph.Str(v)))
		}
		if v, known := route.Input("natGatewayId"); known && graph.Str(v) != "" {
			out = append(out, fmt.Sprintf("route table %s routes to NAT gateway %s", rtName, graph.Str(v)))
		}
	}
	return out
}

func gatewayKind(t string) string {
	if t == typeNAT {
		return "NAT gateway"
	}
	return "internet gateway"
}

// ingressRule is one ingress permission, normalised.
type ingressRule struct {
	from, to     int
	protocol     string
	open         bool
	cidr         string
	portsUnknown bool
}

func openCIDR(c string) bool { return c == "0.0.0.0/0" || c == "::/0" }

func ingressOf(r *graph.Resource) []ingressRule {
	var out []ingressRule
	add := func(m map[string]any, cidrs []string) {
		from, _ := graph.Num(m["fromPort"])
		to, _ := graph.Num(m["toPort"])
		proto := graph.Str(m["protocol"])
		if proto == "" {
			proto = graph.Str(m["ipProtocol"])
		}
		unknownPorts := graph.IsUnknown(m["fromPort"]) || graph.IsUnknown(m["toPort"]) || graph.IsUnknown(m["protocol"]) || graph.IsUnknown(m["ipProtocol"])
		for _, c := range cidrs {
			if openCIDR(c) {
				out = append(out, ingressRule{from: int(from), to: int(to), protocol: proto, open: true, cidr: c, portsUnknown: unknownPorts})
			}
		}
	}
	switch r.Type {
	case typeSG:
		v, known := r.Input("ingress")
		if !known {
			return nil
		}
		for _, e := range graph.List(v) {
			m := graph.Map(e)
			add(m, append(graph.Strings(m["cidrBlocks"]), graph.Strings(m["ipv6CidrBlocks"])...))
		}
	case typeSGRule:
		if graph.Str(r.Inputs["type"]) != "ingress" {
			return nil
		}
		add(r.Inputs, append(graph.Strings(r.Inputs["cidrBlocks"]), graph.Strings(r.Inputs["ipv6CidrBlocks"])...))
	case typeSGIngressRule:
		add(r.Inputs, []string{graph.Str(r.Inputs["cidrIpv4"]), graph.Str(r.Inputs["cidrIpv6"])})
	}
	return out
}

// loadBalancerGroups returns the URNs of security groups attached to a
// load balancer.
func loadBalancerGroups(g *graph.Graph) map[string]bool {
	out := map[string]bool{}
	for _, lb := range g.OfType(typeLB, typeALB) {
		for _, sg := range g.Refs(lb, "securityGroups", typeSG) {
			out[sg.URN] = true
		}
	}
	return out
}

func openIngressCheck(g *graph.Graph) []Finding {
	lbGroups := loadBalancerGroups(g)
	var out []Finding
	for _, r := range g.OfType(typeSG, typeSGRule, typeSGIngressRule) {
		group := r.URN
		if r.Type != typeSG {
			if sgs := g.Refs(r, "securityGroupId", typeSG); len(sgs) > 0 {
				group = sgs[0].URN
			}
		}
		for _, in := range ingressOf(r) {
			if in.portsUnknown {
				if !lbGroups[group] {
					out = append(out, Finding{URN: r.URN, Message: fmt.Sprintf("ingress from %s on a security group that is not a load balancer's", in.cidr)})
				}
				continue // ports computed during the preview
			}
			allProtocols := in.protocol == "-1" || in.protocol == "all"
			for _, p := range dbPorts {
				if allProtocols || (p >= in.from && p <= in.to) {
					out = append(out, Finding{URN: r.URN, Message: fmt.Sprintf("ingress from %s reaches database port %d", in.cidr, p)})
					break
				}
			}
			httpsOnly := !allProtocols && in.from == 443 && in.to == 443
			if httpsOnly && lbGroups[group] {
				continue
			}
			msg := fmt.Sprintf("ingress from %s on %s %d-%d", in.cidr, in.protocol, in.from, in.to)
			if httpsOnly {
				msg += " on a security group that is not a load balancer's"
			} else {
				msg += "; only HTTPS (443) to a load balancer may be open"
			}
			out = append(out, Finding{URN: r.URN, Message: msg})
		}
	}
	return out
}
