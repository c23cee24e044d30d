package netpath

import (
	"fmt"
	"sort"
	"strings"

	"github.com/fintech-resilience/fintech-resilience/policy/graph"
)

// matchMode says how a rule's CIDR must match an address block: for a
// required path every address must be allowed (a rule that covers only
// part of a subnet proves nothing), for a forbidden path one address that
// gets through opens it.
type matchMode int

const (
	modeAll matchMode = iota
	modeAny
)

// check is one control a packet meets on a path, with the ports it lets
// through.
type check struct {
	layer Layer
	// reply is true for the return traffic (ephemeral ports).
	reply   bool
	where   string
	allowed portSet
	// why explains the decision for one port.
	why func(p int) string
}

type evaluation struct {
	m        *model
	protocol string
	mode     matchMode
}

func fixed(layer Layer, reply bool, where string, open bool, reason string) check {
	c := check{layer: layer, reply: reply, where: where, why: func(int) string { return reason }}
	if open {
		c.allowed = allPorts
	}
	return c
}

// pair lists the checks between one source and one destination placement.
func (e *evaluation) pair(from *endpoint, src placement, to *endpoint, dst placement) ([]check, error) {
	var checks []check
	routes, err := e.routes(to, src, dst)
	if err != nil {
		return nil, err
	}
	checks = append(checks, routes...)
	sameSubnet := src.sn != nil && dst.sn != nil && src.sn.res.URN == dst.sn.res.URN
	if !sameSubnet {
		if src.sn != nil {
			checks = append(checks,
				e.nacl(src.sn, true, dst.addr, false, "request outbound at "+src.name),
				e.nacl(src.sn, false, dst.addr, true, "reply inbound at "+src.name))
		}
		if dst.sn != nil {
			checks = append(checks,
				e.nacl(dst.sn, false, src.addr, false, "request inbound at "+dst.name),
				e.nacl(dst.sn, true, src.addr, true, "reply outbound at "+dst.name))
		}
	}
	if len(from.groups) > 0 {
		c, err := e.groups(from.groups, true, to, dst, "request leaving "+from.label+" in "+src.name)
		if err != nil {
			return nil, err
		}
		checks = append(checks, c)
	}
	if len(to.groups) > 0 {
		c, err := e.groups(to.groups, false, from, src, "request entering "+to.label+" in "+dst.name)
		if err != nil {
			return nil, err
		}
		checks = append(checks, c)
	}
	return checks, nil
}

// routes checks that the request and the reply have a route.
func (e *evaluation) routes(to *endpoint, src, dst placement) ([]check, error) {
	switch {
	case src.sn != nil && dst.sn != nil:
		if src.sn.vpc.URN != dst.sn.vpc.URN {
			return []check{fixed(LayerRoute, false, "route from "+src.name, false,
				fmt.Sprintf("%s and %s are in different VPCs and the graph has no connection between them", src.name, dst.name))}, nil
		}
		return []check{fixed(LayerRoute, false, "route from "+src.name, true,
			fmt.Sprintf("local route of %s (%s) in %s", src.sn.vpc.Name, src.sn.vpcCIDR, src.sn.rt.name))}, nil
	case src.sn != nil:
		return e.routeOut(src, dst, false)
	default:
		var checks []check
		if src.addr.internet {
			ok, why, err := e.m.publiclyAddressable(to.groups, to.subnets)
			if err != nil {
				return nil, err
			}
			checks = append(checks, fixed(LayerAddress, false, "address of "+to.label, ok, why))
		}
		reply, err := e.routeOut(dst, src, true)
		if err != nil {
			return nil, err
		}
		return append(checks, reply...), nil
	}
}

// routeOut checks the route from a subnet placement to a CIDR or the
// internet (the request, or the reply of a connection from there).
func (e *evaluation) routeOut(src, dst placement, reply bool) ([]check, error) {
	rt := src.sn.rt
	where := "route from " + src.name + " to " + dst.name
	if reply {
		where = "reply route from " + src.name + " to " + dst.name
	}
	if !dst.addr.internet && src.sn.vpcCIDR.contains(dst.addr.block) {
		return []check{fixed(LayerRoute, reply, where, true, fmt.Sprintf("local route of %s in %s", src.sn.vpc.Name, rt.name))}, nil
	}
	// The most specific non-local routes that match.
	var candidates []route
	for _, r := range rt.routes {
		if r.kind == "local" {
			continue
		}
		if e.mode == modeAll && !ruleCovers(r.dest, dst.addr) {
			continue
		}
		if e.mode == modeAny && !ruleTouches(r.dest, dst.addr) {
			continue
		}
		candidates = append(candidates, r)
	}
	sort.SliceStable(candidates, func(i, j int) bool { return candidates[i].dest.bits > candidates[j].dest.bits })
	for _, r := range candidates {
		switch r.kind {
		case "igw":
			return []check{fixed(LayerRoute, reply, where, true, fmt.Sprintf("route table %s routes %s to %s", rt.name, r.dest, r.target))}, nil
		case "nat":
			if reply && dst.addr.internet {
				continue // a NAT gateway accepts no connection from the internet
			}
			return e.natHop(src, dst, rt, r, reply, where)
		default:
			if !dst.addr.internet {
				return []check{fixed(LayerRoute, reply, where, true, fmt.Sprintf("route table %s routes %s to %s", rt.name, r.dest, r.target))}, nil
			}
		}
	}
	if e.mode == modeAny && !dst.addr.internet && src.sn.vpcCIDR.overlaps(dst.addr.block) {
		return []check{fixed(LayerRoute, reply, where, true, fmt.Sprintf("local route of %s covers part of %s", src.sn.vpc.Name, dst.name))}, nil
	}
	what := "to " + dst.addr.String()
	if dst.addr.internet {
		what = "to an internet gateway"
		if !reply {
			what += " or NAT gateway"
		}
	}
	return []check{fixed(LayerRoute, reply, where, false, fmt.Sprintf("route table %s has no route %s", rt.name, what))}, nil
}

// natHop checks the NAT gateway's subnet: its route to an internet gateway
// and its network ACL in both directions.
func (e *evaluation) natHop(src, dst placement, rt *routeTable, r route, reply bool, where string) ([]check, error) {
	if r.nat == nil {
		return nil, unknownf("route table %s: %s is not in the graph", rt.name, r.target)
	}
	if ct := graph.Str(r.nat.Inputs["connectivityType"]); ct == "private" {
		return []check{fixed(LayerRoute, reply, where, false, fmt.Sprintf("route table %s routes %s to private %s", rt.name, r.dest, r.target))}, nil
	}
	sns := e.m.g.Refs(r.nat, "subnetId", TypeSubnet)
	if len(sns) != 1 {
		return nil, unknownf("%s: its subnet is not in the graph", r.target)
	}
	natSubnet, err := e.m.subnet(sns[0])
	if err != nil {
		return nil, err
	}
	hop := placement{name: natSubnet.name + " (" + r.target + ")", sn: natSubnet}
	out, err := e.routeOut(hop, dst, false)
	if err != nil {
		return nil, err
	}
	checks := []check{fixed(LayerRoute, reply, where, true, fmt.Sprintf("route table %s routes %s to %s", rt.name, r.dest, r.target))}
	checks = append(checks, out...)
	checks = append(checks,
		e.nacl(natSubnet, false, src.addr, false, "request inbound at "+hop.name),
		e.nacl(natSubnet, true, dst.addr, false, "request outbound at "+hop.name),
		e.nacl(natSubnet, false, dst.addr, true, "reply inbound at "+hop.name),
		e.nacl(natSubnet, true, src.addr, true, "reply outbound at "+hop.name))
	return checks, nil
}

func (e *evaluation) protocolMatches(p string) bool { return p == "all" || p == e.protocol }

// nacl evaluates a network ACL in one direction for the packets exchanged
// with other: the lowest-numbered matching rule decides, no match is the
// implicit deny.
func (e *evaluation) nacl(sn *subnet, egress bool, other peer, reply bool, where string) check {
	acl := sn.acl
	rules := acl.in
	toFrom := "from"
	if egress {
		rules = acl.out
		toFrom = "to"
	}
	decide := func(p int) (bool, string) {
		for _, r := range rules {
			if !e.protocolMatches(r.protocol) || p < r.ports.lo || p > r.ports.hi {
				continue
			}
			matches := false
			switch {
			case r.allow && e.mode == modeAll, !r.allow && e.mode == modeAny:
				matches = ruleCovers(r.cidr, other)
			default:
				matches = ruleTouches(r.cidr, other)
			}
			if !matches {
				continue
			}
			action := "denies"
			if r.allow {
				action = "allows"
			}
			return r.allow, fmt.Sprintf("network ACL %s rule %d %s %s %d-%d %s %s", acl.name, r.no, action, r.protocol, r.ports.lo, r.ports.hi, toFrom, r.cidr)
		}
		return false, fmt.Sprintf("network ACL %s: no rule matches %s/%d %s %s, implicit deny (rule %s)", acl.name, e.protocol, p, toFrom, other, implicitDenyRuleLabel)
	}
	bounds := map[int]bool{0: true, 65536: true}
	for _, r := range rules {
		bounds[r.ports.lo] = true
		bounds[r.ports.hi+1] = true
	}
	var cuts []int
	for b := range bounds {
		if b >= 0 && b <= 65536 {
			cuts = append(cuts, b)
		}
	}
	sort.Ints(cuts)
	var allowed []span
	for i := 0; i+1 < len(cuts); i++ {
		if ok, _ := decide(cuts[i]); ok {
			allowed = append(allowed, span{cuts[i], cuts[i+1] - 1})
		}
	}
	return check{layer: LayerNACL, reply: reply, where: where, allowed: normalize(allowed),
		why: func(p int) string { _, why := decide(p); return why }}
}

// groups evaluates security groups for the request: the egress rules of
// the source's groups (egress true) or the ingress rules of the
// destination's groups, against the other endpoint.
func (e *evaluation) groups(sgs []*graph.Resource, egress bool, other *endpoint, at placement, where string) (check, error) {
	otherGroups := other.groupURNs()
	var allowed portSet
	type hit struct {
		ports span
		why   string
	}
	var hits []hit
	var names []string
	for _, r := range sgs {
		sg, err := e.m.secGroup(r)
		if err != nil {
			return check{}, err
		}
		names = append(names, sg.name)
		rules := sg.in
		if egress {
			rules = sg.out
		}
		for _, rule := range rules {
			if !rule.allProtos && rule.protocol != e.protocol {
				continue
			}
			by := ""
			for u := range otherGroups {
				if rule.groups[u] {
					by = "security group " + e.m.g.ByURN(u).Name
					break
				}
			}
			if by == "" {
				for _, p := range rule.prefixes {
					for _, op := range other.prefixes {
						if p == op {
							by = "prefix list " + p
						}
					}
				}
			}
			if by == "" {
				for _, c := range rule.cidrs {
					if (e.mode == modeAll && ruleCovers(c, at.addr)) || (e.mode == modeAny && ruleTouches(c, at.addr)) {
						by = c.String()
						break
					}
				}
			}
			if by == "" {
				continue
			}
			allowed = allowed.union(portSet{rule.ports})
			hits = append(hits, hit{rule.ports, fmt.Sprintf("security group %s rule %s allows %s %d-%d %s %s", sg.name, rule.name, rule.protocol, rule.ports.lo, rule.ports.hi, dirWord(egress), by)})
		}
	}
	sort.Strings(names)
	desc := describeEndpoint(other, at)
	return check{layer: LayerSG, where: where, allowed: allowed, why: func(p int) string {
		for _, h := range hits {
			if p >= h.ports.lo && p <= h.ports.hi {
				return h.why
			}
		}
		verb := "admits"
		if egress {
			verb = "allows out"
		}
		return fmt.Sprintf("security group %s: no rule %s %s/%d %s %s", strings.Join(names, ", "), verb, e.protocol, p, dirWord(egress), desc)
	}}, nil
}

func dirWord(egress bool) string {
	if egress {
		return "to"
	}
	return "from"
}

func describeEndpoint(e *endpoint, at placement) string {
	var parts []string
	for _, g := range e.groups {
		parts = append(parts, "security group "+g.Name)
	}
	for _, p := range e.prefixes {
		parts = append(parts, "prefix list "+p)
	}
	parts = append(parts, at.addr.String())
	return strings.Join(parts, " / ")
}
