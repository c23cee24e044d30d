package flow

import (
	"fmt"
	"net"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/fintech-resilience/fintech-resilience/components/flow/pathspec"
)

// Type tokens of the network path declarations (schema in pathspec).
const (
	TypePathRequired  = pathspec.TypePathRequired
	TypePathForbidden = pathspec.TypePathForbidden
)

// Protocols and layers (see pathspec).
const (
	TCP                = pathspec.TCP
	UDP                = pathspec.UDP
	LayerRoute         = pathspec.LayerRoute
	LayerNACL          = pathspec.LayerNACL
	LayerSecurityGroup = pathspec.LayerSecurityGroup
	LayerAddress       = pathspec.LayerAddress
)

// Endpoint is one end of a network path: where its network interfaces sit
// (subnets) and what identifies its traffic (security groups, addresses,
// prefix lists). A component spanning several subnets (load balancer nodes,
// interface endpoints, tasks) names them all: every subnet pair is checked.
type Endpoint struct {
	// Label names the endpoint in reports ("ALB nodes", "API tasks").
	Label string
	// SubnetIDs are the subnets the endpoint's interfaces sit in.
	SubnetIDs pulumi.StringArrayInput
	// SecurityGroupIDs are the security groups on those interfaces.
	SecurityGroupIDs pulumi.StringArrayInput
	// CIDRs are addresses outside any subnet of the graph (the internet,
	// forensics hosts). With SubnetIDs they are ignored.
	CIDRs []string
	// PrefixListIDs are managed prefix lists the endpoint's addresses belong
	// to, as security group rules see them (e.g. the CloudFront
	// origin-facing list for the ENIs of a CloudFront VPC origin).
	PrefixListIDs []string
	// Internet means any public address reached through an internet or NAT
	// gateway.
	Internet bool
	// NetworkAclID evaluates the endpoint's subnets as if they were
	// associated with this network ACL (e.g. the quarantine ACL the
	// isolation responder moves subnets to).
	NetworkAclID pulumi.StringInput
}

// Path is a network path: TCP (or UDP) from one endpoint to another on some
// ports.
type Path struct {
	From, To Endpoint
	// Protocol is TCP (default) or UDP.
	Protocol string
	// Ports are single ports ("443") or ranges ("1024-65535"); see Port and
	// PortsExcept.
	Ports []string
	// MustBlock lists, for a forbidden path, the layers that must each
	// close it on their own (LayerRoute, LayerNACL, ...).
	MustBlock []string
	// Layers, when set, limits the proof to these layers: for a path whose
	// other layers are outside the stack (e.g. the route to forensics hosts
	// over a VPN or Transit Gateway the graph does not hold).
	Layers []string
	// Caller names what opens the connection.
	Caller string
	// Reason says why the path is needed (required) or must stay closed
	// (forbidden).
	Reason string
}

// Port is the port list of one port.
func Port(p int) []string { return pathspec.Port(p) }

// AllPorts is every TCP/UDP port.
func AllPorts() []string { return pathspec.AllPorts() }

// PortsExcept is every port but the given ones, as ranges.
func PortsExcept(ports ...int) []string { return pathspec.PortsExcept(ports...) }

// ComplementCIDRs returns IPv4 blocks covering every address except cidrs.
func ComplementCIDRs(cidrs []string) ([]string, error) { return pathspec.ComplementCIDRs(cidrs) }

func (e *Endpoint) validate(which string) error {
	if e.SubnetIDs == nil && len(e.CIDRs) == 0 && !e.Internet {
		return fmt.Errorf("%s: an endpoint needs subnets, CIDRs or Internet", which)
	}
	for _, c := range e.CIDRs {
		if _, _, err := net.ParseCIDR(c); err != nil {
			return fmt.Errorf("%s: %q is not a CIDR", which, c)
		}
	}
	return nil
}

func (p *Path) validate() error {
	if err := p.From.validate("from"); err != nil {
		return err
	}
	if err := p.To.validate("to"); err != nil {
		return err
	}
	switch p.Protocol {
	case "", TCP, UDP:
	default:
		return fmt.Errorf("protocol %q is not tcp or udp", p.Protocol)
	}
	if len(p.Ports) == 0 {
		return fmt.Errorf("at least one port is required")
	}
	if _, err := pathspec.ParsePorts(p.Ports); err != nil {
		return err
	}
	for _, l := range append(append([]string{}, p.MustBlock...), p.Layers...) {
		if !pathspec.ValidLayer(l) {
			return fmt.Errorf("layer %q is not route, nacl, security-group or address", l)
		}
	}
	if strings.TrimSpace(p.Caller) == "" || strings.TrimSpace(p.Reason) == "" {
		return fmt.Errorf("caller and reason are required")
	}
	return nil
}

// RequirePath declares that the path must be open. part names the path
// within the parent component: the resource is "<parent>-path-<part>".
func RequirePath(ctx *pulumi.Context, parent pulumi.Resource, parentName, part string, p Path) error {
	return declarePath(ctx, TypePathRequired, parent, parentName, part, p)
}

// ForbidPath declares that the path must be closed on every port listed.
func ForbidPath(ctx *pulumi.Context, parent pulumi.Resource, parentName, part string, p Path) error {
	return declarePath(ctx, TypePathForbidden, parent, parentName, part, p)
}

func (e *Endpoint) props(prefix string, m pulumi.Map) {
	m[prefix+pathspec.PropLabel] = pulumi.String(e.Label)
	subnets := e.SubnetIDs
	if subnets == nil {
		subnets = pulumi.StringArray{}
	}
	m[prefix+pathspec.PropSubnetIDs] = subnets
	sgs := e.SecurityGroupIDs
	if sgs == nil {
		sgs = pulumi.StringArray{}
	}
	m[prefix+pathspec.PropSecurityGroupIDs] = sgs
	m[prefix+pathspec.PropCIDRs] = pulumi.ToStringArray(append([]string{}, e.CIDRs...))
	m[prefix+pathspec.PropPrefixListIDs] = pulumi.ToStringArray(append([]string{}, e.PrefixListIDs...))
	m[prefix+pathspec.PropInternet] = pulumi.Bool(e.Internet)
	if e.NetworkAclID != nil {
		m[prefix+pathspec.PropNetworkAclID] = e.NetworkAclID
	}
}

func declarePath(ctx *pulumi.Context, typ string, parent pulumi.Resource, parentName, part string, p Path) error {
	name := parentName + "-path-" + part
	if !partRE.MatchString(part) {
		return fmt.Errorf("path %q: name part must be lower-case words joined by '-'", part)
	}
	if err := p.validate(); err != nil {
		return fmt.Errorf("path %s: %w", name, err)
	}
	protocol := p.Protocol
	if protocol == "" {
		protocol = TCP
	}
	props := pulumi.Map{
		pathspec.PropProtocol:  pulumi.String(protocol),
		pathspec.PropPorts:     pulumi.ToStringArray(p.Ports),
		pathspec.PropMustBlock: pulumi.ToStringArray(append([]string{}, p.MustBlock...)),
		pathspec.PropLayers:    pulumi.ToStringArray(append([]string{}, p.Layers...)),
		pathspec.PropCaller:    pulumi.String(p.Caller),
		pathspec.PropReason:    pulumi.String(p.Reason),
	}
	p.From.props(pathspec.From, props)
	p.To.props(pathspec.To, props)
	d := &Declaration{}
	var opts []pulumi.ResourceOption
	if parent != nil {
		opts = append(opts, pulumi.Parent(parent))
	}
	if err := ctx.RegisterComponentResourceV2(typ, name, props, d, opts...); err != nil {
		return fmt.Errorf("path %s: register: %w", name, err)
	}
	if err := ctx.RegisterResourceOutputs(d, pulumi.Map{}); err != nil {
		return fmt.Errorf("path %s: outputs: %w", name, err)
	}
	return nil
}
