// Package netpath proves network paths over the offline resource graph:
// whether TCP/UDP traffic between two endpoints gets through the route
// tables, network ACLs and security groups the program declares.
//
// Components declare the paths the application needs and the paths the
// design forbids (components/flow: fintech:flow:PathRequired and
// fintech:flow:PathForbidden); Check evaluates every declaration. Subnets,
// security groups and network ACLs are followed through property
// dependencies (URNs) first, known ids second (policy/graph Refs). A value
// the analysis needs but cannot know (a preview) makes the path Unknown,
// never proven or refuted.
//
// The AWS semantics, each from the Amazon VPC User Guide:
//
//   - Routes: every route table has the local route for the VPC CIDR, so
//     subnets of one VPC always reach each other; the most specific route
//     that matches a destination wins. Traffic to the internet needs a route
//     to an internet gateway, or to a NAT gateway whose subnet routes to an
//     internet gateway; a NAT gateway does not accept connections from the
//     internet. https://docs.aws.amazon.com/vpc/latest/userguide/VPC_Route_Tables.html,
//     https://docs.aws.amazon.com/vpc/latest/userguide/route-table-options.html,
//     https://docs.aws.amazon.com/vpc/latest/userguide/vpc-nat-gateway.html
//   - Network ACLs are stateless and apply at the subnet boundary: a
//     request is checked outbound at the source subnet and inbound at the
//     destination subnet, and the reply the other way round on the client's
//     ephemeral port (1024-65535 for NAT gateways, load balancers and Lambda;
//     we require the whole range). Rules are evaluated from the lowest rule
//     number up, the first match decides, and a packet no rule matches is
//     denied by the final "*" rule. Traffic between two addresses of one
//     subnet does not cross the subnet boundary and is not evaluated.
//     https://docs.aws.amazon.com/vpc/latest/userguide/vpc-network-acls.html,
//     https://docs.aws.amazon.com/vpc/latest/userguide/nacl-rules.html,
//     https://docs.aws.amazon.com/vpc/latest/userguide/nacl-ephemeral-ports.html
//   - Security groups are stateful (a reply is always allowed) and only
//     allow: the rules of all groups on an interface are aggregated. A rule
//     matches a source by CIDR, by managed prefix list or by a referenced
//     security group (traffic from interfaces that carry that group).
//     Without egress rules a group allows no outbound traffic (the Pulumi
//     AWS provider removes the default allow-all egress rule).
//     https://docs.aws.amazon.com/vpc/latest/userguide/vpc-security-groups.html,
//     https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html
//   - An internal load balancer's nodes have private addresses only; the
//     internet cannot address them.
//     https://docs.aws.amazon.com/elasticloadbalancing/latest/application/application-load-balancers.html#load-balancer-scheme
//   - CloudFront VPC origins reach an origin in private subnets through
//     network interfaces CloudFront creates in the origin's subnets; the
//     origin's security group admits them through the CloudFront
//     origin-facing managed prefix list.
//     https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-vpc-origins.html,
//     https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/LocationsOfEdgeServers.html
//   - Application load balancers always balance across zones, so every
//     node reaches targets in every enabled zone.
//     https://docs.aws.amazon.com/elasticloadbalancing/latest/userguide/how-elastic-load-balancing-works.html#cross-zone-load-balancing
package netpath

import (
	"errors"
	"fmt"
	"strings"

	"github.com/fintech-resilience/fintech-resilience/components/flow/pathspec"
	"github.com/fintech-resilience/fintech-resilience/policy/graph"
)

// Kind says whether a path must be open or closed.
type Kind string

// Kinds.
const (
	Required  Kind = "required"
	Forbidden Kind = "forbidden"
)

// Status is what the analysis proved.
type Status string

// Statuses.
const (
	Open    Status = "open"
	Closed  Status = "closed"
	Unknown Status = "unknown"
)

// Layer is one kind of control on a path.
type Layer string

// Layers (names shared with the declarations in components/flow).
const (
	LayerRoute   Layer = pathspec.LayerRoute
	LayerNACL    Layer = pathspec.LayerNACL
	LayerSG      Layer = pathspec.LayerSecurityGroup
	LayerAddress Layer = pathspec.LayerAddress
)

// Result is the verdict on one declared path.
type Result struct {
	// Path is the declaration's name, URN its URN.
	Path string `json:"path"`
	URN  string `json:"urn"`
	Kind Kind   `json:"kind"`
	From string `json:"from"`
	To   string `json:"to"`
	// Protocol and Ports as declared.
	Protocol string `json:"protocol"`
	Ports    string `json:"ports"`
	Caller   string `json:"caller"`
	Reason   string `json:"reason"`
	Status   Status `json:"status"`
	// OK is true when a required path is open or a forbidden one closed
	// (and closed by every layer it must be closed by).
	OK bool `json:"ok"`
	// Pairs is the number of placement pairs (subnet to subnet, subnet to
	// CIDR) evaluated.
	Pairs int `json:"pairs"`
	// Problems name, for a failed path, each subnet pair, port, direction
	// and the rule, group or route that decided; for an unknown one, what
	// is not known.
	Problems []string `json:"problems,omitempty"`
	// DecidedBy names, for a closed forbidden path, what closes it (first
	// pair); for an open required path it is empty.
	DecidedBy string `json:"decidedBy,omitempty"`
}

// Check evaluates every path declaration of the graph, in URN order.
func Check(g *graph.Graph) []Result {
	m := newModel(g)
	var out []Result
	for _, d := range g.OfType(pathspec.TypePathRequired, pathspec.TypePathForbidden) {
		out = append(out, m.check(d))
	}
	return out
}

// endpoint is a resolved declaration endpoint.
type endpoint struct {
	label    string
	subnets  []*subnet
	groups   []*graph.Resource
	cidrs    []block
	prefixes []string
	internet bool
	aclName  string
}

func (e *endpoint) groupURNs() map[string]bool {
	out := map[string]bool{}
	for _, g := range e.groups {
		out[g.URN] = true
	}
	return out
}

// placement is one place an endpoint's traffic starts or ends.
type placement struct {
	name string
	sn   *subnet // nil for a CIDR or the internet
	addr peer
}

func (e *endpoint) placements() []placement {
	var out []placement
	for _, s := range e.subnets {
		out = append(out, placement{name: s.name, sn: s, addr: peer{block: s.cidr}})
	}
	if len(e.subnets) == 0 {
		for _, c := range e.cidrs {
			out = append(out, placement{name: c.String(), addr: peer{block: c}})
		}
		if e.internet {
			out = append(out, placement{name: "internet", addr: peer{internet: true}})
		}
	}
	return out
}

func (m *model) endpoint(d *graph.Resource, prefix string) (*endpoint, error) {
	e := &endpoint{}
	e.label = graph.Str(d.Inputs[prefix+pathspec.PropLabel])
	subnetProp := prefix + pathspec.PropSubnetIDs
	if v, known := d.Input(subnetProp); !known || graph.IsUnknown(v) {
		if len(d.PropertyDependencies[subnetProp]) == 0 {
			return nil, unknownf("%s subnets not known", prefix)
		}
	}
	want := len(graph.List(d.Inputs[subnetProp]))
	var override *nacl
	if deps := m.g.Refs(d, prefix+pathspec.PropNetworkAclID, TypeNACL); len(deps) > 0 {
		acl, err := m.nacl(deps[0])
		if err != nil {
			return nil, err
		}
		override = acl
		e.aclName = acl.name
	} else if v, ok := d.Inputs[prefix+pathspec.PropNetworkAclID]; ok && v != nil {
		return nil, unknownf("%s network ACL is not in the graph", prefix)
	}
	for _, r := range m.g.Refs(d, subnetProp, TypeSubnet) {
		s, err := m.subnet(r)
		if err != nil {
			return nil, err
		}
		if override != nil {
			c := *s
			c.acl = override
			s = &c
		}
		e.subnets = append(e.subnets, s)
	}
	if len(e.subnets) < want {
		return nil, unknownf("%s names %d subnets, %d of them in the graph", prefix, want, len(e.subnets))
	}
	e.groups = m.g.Refs(d, prefix+pathspec.PropSecurityGroupIDs, TypeSG)
	if want := len(graph.List(d.Inputs[prefix+pathspec.PropSecurityGroupIDs])); len(e.groups) < want {
		return nil, unknownf("%s names %d security groups, %d of them in the graph", prefix, want, len(e.groups))
	}
	for _, c := range graph.Strings(d.Inputs[prefix+pathspec.PropCIDRs]) {
		b, ok := parseBlock(c)
		if !ok {
			return nil, fmt.Errorf("%s CIDR %q is not IPv4", prefix, c)
		}
		e.cidrs = append(e.cidrs, b)
	}
	e.prefixes = graph.Strings(d.Inputs[prefix+pathspec.PropPrefixListIDs])
	e.internet, _ = graph.Bool(d.Inputs[prefix+pathspec.PropInternet])
	if len(e.placements()) == 0 {
		return nil, fmt.Errorf("%s endpoint has no subnet, CIDR or internet placement", prefix)
	}
	if e.label == "" {
		e.label = prefix
	}
	return e, nil
}

func (m *model) check(d *graph.Resource) Result {
	res := Result{Path: d.Name, URN: d.URN, Kind: Required, Status: Unknown,
		Caller: graph.Str(d.Inputs[pathspec.PropCaller]), Reason: graph.Str(d.Inputs[pathspec.PropReason])}
	if d.Type == pathspec.TypePathForbidden {
		res.Kind = Forbidden
	}
	res.Protocol = graph.Str(d.Inputs[pathspec.PropProtocol])
	if res.Protocol == "" {
		res.Protocol = pathspec.TCP
	}
	portStrs := graph.Strings(d.Inputs[pathspec.PropPorts])
	res.Ports = strings.Join(portStrs, ",")
	fail := func(err error) Result {
		var u *unknownError
		if errors.As(err, &u) {
			res.Status = Unknown
			res.OK = true
			res.Problems = []string{"not decidable: " + u.reason}
			return res
		}
		res.Status = Unknown
		res.OK = false
		res.Problems = []string{"invalid declaration: " + err.Error()}
		return res
	}
	ranges, err := pathspec.ParsePorts(portStrs)
	if err != nil || len(ranges) == 0 {
		if err == nil {
			err = fmt.Errorf("no ports")
		}
		return fail(err)
	}
	var want []span
	for _, r := range ranges {
		want = append(want, span{r[0], r[1]})
	}
	ports := normalize(want)
	from, err := m.endpoint(d, pathspec.From)
	if err != nil {
		return fail(err)
	}
	to, err := m.endpoint(d, pathspec.To)
	if err != nil {
		return fail(err)
	}
	res.From, res.To = from.label, to.label
	var mustBlock []Layer
	for _, l := range graph.Strings(d.Inputs[pathspec.PropMustBlock]) {
		mustBlock = append(mustBlock, Layer(l))
	}
	only := map[Layer]bool{}
	for _, l := range graph.Strings(d.Inputs[pathspec.PropLayers]) {
		only[Layer(l)] = true
	}
	mode := modeAll
	if res.Kind == Forbidden {
		mode = modeAny
	}
	ev := &evaluation{m: m, protocol: res.Protocol, mode: mode}
	open := false // a forbidden path open on some pair
	for _, src := range from.placements() {
		for _, dst := range to.placements() {
			if src.sn == nil && dst.sn == nil {
				return fail(fmt.Errorf("neither %s nor %s sits in a subnet", src.name, dst.name))
			}
			res.Pairs++
			checks, err := ev.pair(from, src, to, dst)
			if err != nil {
				return fail(err)
			}
			if len(only) > 0 {
				var kept []check
				for _, c := range checks {
					if only[c.layer] {
						kept = append(kept, c)
					}
				}
				checks = kept
			}
			pair := fmt.Sprintf("%s → %s", src.name, dst.name)
			if res.Kind == Required {
				res.Problems = append(res.Problems, requiredProblems(pair, res.Protocol, ports, checks)...)
			} else {
				probs, decided, pairOpen := forbiddenProblems(pair, res.Protocol, ports, checks, mustBlock)
				res.Problems = append(res.Problems, probs...)
				open = open || pairOpen
				if res.DecidedBy == "" {
					res.DecidedBy = decided
				}
			}
		}
	}
	res.OK = len(res.Problems) == 0
	res.Status = Closed
	if (res.Kind == Required && res.OK) || (res.Kind == Forbidden && open) {
		res.Status = Open
	}
	if res.Kind == Required || !res.OK {
		res.DecidedBy = ""
	}
	return res
}

// requiredProblems: every check must allow every port (requests) and every
// ephemeral port (replies).
func requiredProblems(pair, protocol string, ports portSet, checks []check) []string {
	var out []string
	for _, c := range checks {
		need := ports
		if c.reply {
			need = ephemeralPorts
		}
		missing := need.minus(c.allowed)
		if missing.empty() {
			continue
		}
		p := missing.first()
		out = append(out, fmt.Sprintf("%s %s/%s: %s: %s", pair, protocol, portLabel(c, missing), c.where, c.why(p)))
	}
	return out
}

func portLabel(c check, missing portSet) string {
	if c.reply {
		return missing.String() + " (reply)"
	}
	return missing.String()
}

// forbiddenProblems: the path is open when some port passes every request
// check and some ephemeral port passes every reply check. Each layer in
// mustBlock must close it on its own.
func forbiddenProblems(pair, protocol string, ports portSet, checks []check, mustBlock []Layer) (problems []string, decidedBy string, open bool) {
	var out []string
	reqOpen, repOpen, decided := passing(ports, checks, "")
	if !reqOpen.empty() && !repOpen.empty() {
		p := reqOpen.first()
		var via []string
		for _, c := range checks {
			if !c.reply {
				via = append(via, c.where+": "+c.why(p))
			}
		}
		out = append(out, fmt.Sprintf("%s %s/%s is open: %s", pair, protocol, reqOpen.String(), strings.Join(via, "; ")))
		return out, "", true
	}
	for _, l := range mustBlock {
		lr, lp, _ := passing(ports, checks, l)
		if lr.empty() || lp.empty() {
			continue
		}
		p := lr.first()
		var via []string
		for _, c := range checks {
			if c.layer == l && !c.reply {
				via = append(via, c.where+": "+c.why(p))
			}
		}
		if len(via) == 0 {
			via = append(via, "no "+string(l)+" control on this path")
		}
		out = append(out, fmt.Sprintf("%s %s/%s: the %s layer does not close it (%s); it must on its own", pair, protocol, lr.String(), l, strings.Join(via, "; ")))
	}
	return out, pair + ": " + decided, false
}

// passing intersects the checks (of one layer, or all when layer is "") and
// returns the request ports and reply ports that pass, and what closed the
// path first.
func passing(ports portSet, checks []check, layer Layer) (portSet, portSet, string) {
	req, rep := ports, ephemeralPorts
	decided := ""
	for _, c := range checks {
		if layer != "" && c.layer != layer {
			continue
		}
		if c.reply {
			before := rep
			rep = rep.intersect(c.allowed)
			if rep.empty() && !before.empty() && decided == "" {
				decided = c.where + ": " + c.why(before.first())
			}
			continue
		}
		before := req
		req = req.intersect(c.allowed)
		if req.empty() && !before.empty() && decided == "" {
			decided = c.where + ": " + c.why(before.first())
		}
	}
	return req, rep, decided
}

// Summary counts results per kind and outcome.
type Summary struct {
	RequiredOpen    int `json:"requiredOpen"`
	RequiredClosed  int `json:"requiredClosed"`
	ForbiddenClosed int `json:"forbiddenClosed"`
	ForbiddenOpen   int `json:"forbiddenOpen"`
	Unknown         int `json:"unknown"`
}

// Summarize counts results.
func Summarize(rs []Result) Summary {
	var s Summary
	for _, r := range rs {
		switch {
		case r.Status == Unknown:
			s.Unknown++
		case r.Kind == Required && r.OK:
			s.RequiredOpen++
		case r.Kind == Required:
			s.RequiredClosed++
		case r.OK:
			s.ForbiddenClosed++
		default:
			s.ForbiddenOpen++
		}
	}
	return s
}
