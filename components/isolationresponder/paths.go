package isolationresponder

import (
	"fmt"
	"sort"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/fintech-resilience/fintech-resilience/components/flow"
)

// declarePaths declares what a subnet on the quarantine network ACL may
// still exchange: nothing but TCP with the forensics CIDRs. Every subnet of
// the VPC may be quarantined, so every one is evaluated as if it were on
// the quarantine ACL.
func (b *builder) declarePaths() error {
	tiers := make([]string, 0, len(b.args.TierSubnetIDs))
	for t := range b.args.TierSubnetIDs {
		tiers = append(tiers, t)
	}
	sort.Strings(tiers)
	if len(tiers) == 0 {
		return nil
	}
	lists := make([]any, 0, len(tiers))
	for _, t := range tiers {
		lists = append(lists, b.args.TierSubnetIDs[t])
	}
	subnets := pulumi.All(lists...).ApplyT(func(v []any) []string {
		var out []string
		for _, ids := range v {
			out = append(out, ids.([]string)...)
		}
		return out
	}).(pulumi.StringArrayOutput)
	quarantined := flow.Endpoint{Label: "quarantined subnets", SubnetIDs: subnets, NetworkAclID: b.r.QuarantineNacl.ID()}
	others, err := flow.ComplementCIDRs(b.args.ForensicsCIDRs)
	if err != nil {
		return fmt.Errorf("quarantine paths: %w", err)
	}
	rest := flow.Endpoint{Label: "everything but the forensics CIDRs", CIDRs: others}
	if err := flow.ForbidPath(b.ctx, b.r, b.name, "quarantine-egress", flow.Path{
		From: quarantined, To: rest, Ports: flow.AllPorts(), MustBlock: []string{flow.LayerNACL},
		Caller: "a compromised workload in a quarantined subnet",
		Reason: "a quarantined subnet reaches nothing but the forensics CIDRs (traffic inside one subnet is not filtered by any network ACL)",
	}); err != nil {
		return err
	}
	if err := flow.ForbidPath(b.ctx, b.r, b.name, "quarantine-ingress", flow.Path{
		From: rest, To: quarantined, Ports: flow.AllPorts(), MustBlock: []string{flow.LayerNACL},
		Caller: "anything outside the forensics CIDRs",
		Reason: "nothing but the forensics hosts reaches a quarantined subnet",
	}); err != nil {
		return err
	}
	if len(b.args.ForensicsCIDRs) == 0 {
		return nil
	}
	return flow.RequirePath(b.ctx, b.r, b.name, "forensics-to-quarantine", flow.Path{
		From: flow.Endpoint{Label: "forensics hosts", CIDRs: b.args.ForensicsCIDRs}, To: quarantined,
		Ports: flow.AllPorts(), Layers: []string{flow.LayerNACL}, Caller: "forensics hosts (forensicsCidrs)",
		Reason: "investigators reach quarantined subnets on any TCP port through the quarantine network ACL (their route into the VPC, VPN or Transit Gateway, is outside this stack)",
	})
}
