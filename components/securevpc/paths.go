package securevpc

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/fintech-resilience/fintech-resilience/components/flow"
)

// TierEndpoint is every subnet of a tier, as a path endpoint (no security
// group: tier-level paths are decided by routes and network ACLs).
func (v *SecureVPC) TierEndpoint(t Tier) flow.Endpoint {
	return flow.Endpoint{Label: string(t) + " tier", SubnetIDs: subnetIDs(v.Subnets[t])}
}

// InterfaceEndpoints are the interface endpoints' network interfaces: one
// per isolated subnet, behind the endpoint security group.
func (v *SecureVPC) InterfaceEndpoints() flow.Endpoint {
	return flow.Endpoint{
		Label:            "interface endpoints",
		SubnetIDs:        subnetIDs(v.Subnets[Isolated]),
		SecurityGroupIDs: pulumi.StringArray{v.EndpointSecurityGroup.ID()},
	}
}

// pathDecl is one path declaration of the VPC.
type pathDecl struct {
	required bool
	part     string
	p        flow.Path
}

// paths declares the tier-level network paths: what the tiers must never
// reach, and HTTPS out through NAT when there is NAT.
func (b *builder) paths() error {
	v, a := b.v, b.args
	internet := flow.Endpoint{Label: "internet", Internet: true}
	decl := []pathDecl{
		{false, "isolated-to-internet", flow.Path{
			From: v.TierEndpoint(Isolated), To: internet, Ports: flow.AllPorts(),
			MustBlock: []string{flow.LayerRoute, flow.LayerNACL},
			Caller:    "anything in the isolated tier (database, endpoints, restore functions)",
			Reason:    "the isolated tier has no route out, ever; it reaches AWS only through VPC endpoints",
		}},
		{false, "private-to-isolated-other-ports", flow.Path{
			From: v.TierEndpoint(Private), To: v.TierEndpoint(Isolated),
			Ports: flow.PortsExcept(a.DatabasePort, 443), MustBlock: []string{flow.LayerNACL},
			Caller: "anything in the private tier",
			Reason: "the isolated tier serves the private tier the database port and HTTPS (endpoints) only",
		}},
	}
	if len(v.Subnets[Public]) > 0 {
		decl = append(decl, pathDecl{false, "public-to-database", flow.Path{
			From: v.TierEndpoint(Public), To: v.TierEndpoint(Isolated),
			Ports: flow.Port(a.DatabasePort), MustBlock: []string{flow.LayerNACL},
			Caller: "anything in the public tier (NAT gateways, internet-facing load balancers)",
			Reason: "the database is reached from the private tier only",
		}})
	}
	if len(b.nats) > 0 {
		decl = append(decl, pathDecl{true, "private-to-internet-https", flow.Path{
			From: v.TierEndpoint(Private), To: internet, Ports: flow.Port(443),
			Caller: "tasks in the private tier (image pulls, AWS APIs without an endpoint)",
			Reason: fmt.Sprintf("NAT is configured (%s): HTTPS out of every private subnet through NAT", a.NatGateways),
		}})
	}
	for _, d := range decl {
		declare := flow.ForbidPath
		if d.required {
			declare = flow.RequirePath
		}
		if err := declare(b.ctx, v, b.name, d.part, d.p); err != nil {
			return err
		}
	}
	return nil
}
