package isolationresponder

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/fintech-resilience/fintech-resilience/awsiam"
)

func (b *builder) network() error {
	var in ec2.NetworkAclIngressArray
	var out ec2.NetworkAclEgressArray
	for i, c := range b.args.ForensicsCIDRs {
		no := 100 + 10*i
		in = append(in, ec2.NetworkAclIngressArgs{
			RuleNo: pulumi.Int(no), Action: pulumi.String("allow"), Protocol: pulumi.String("tcp"),
			CidrBlock: pulumi.String(c), FromPort: pulumi.Int(0), ToPort: pulumi.Int(65535),
		})
		out = append(out, ec2.NetworkAclEgressArgs{
			RuleNo: pulumi.Int(no), Action: pulumi.String("allow"), Protocol: pulumi.String("tcp"),
			CidrBlock: pulumi.String(c), FromPort: pulumi.Int(1024), ToPort: pulumi.Int(65535),
		})
	}
	in = append(in, ec2.NetworkAclIngressArgs{
		RuleNo: pulumi.Int(DenyAllRuleNo), Action: pulumi.String("deny"), Protocol: pulumi.String("-1"),
		CidrBlock: pulumi.String("0.0.0.0/0"), FromPort: pulumi.Int(0), ToPort: pulumi.Int(0),
	})
	out = append(out, ec2.NetworkAclEgressArgs{
		RuleNo: pulumi.Int(DenyAllRuleNo), Action: pulumi.String("deny"), Protocol: pulumi.String("-1"),
		CidrBlock: pulumi.String("0.0.0.0/0"), FromPort: pulumi.Int(0), ToPort: pulumi.Int(0),
	})
	naclName := b.child("quarantine-nacl")
	// No SubnetIds: the responder, not Pulumi, moves subnets onto this ACL
	// (docs/decisions/0009-quarantine-survives-pulumi-up.md).
	nacl, err := ec2.NewNetworkAcl(b.ctx, naclName, &ec2.NetworkAclArgs{
		VpcId:   b.args.VpcID,
		Ingress: in,
		Egress:  out,
		Tags:    pulumi.StringMap{"Name": pulumi.String(naclName), "quarantine": pulumi.String("true")},
	}, b.parent)
	if err != nil {
		return fmt.Errorf("quarantine network acl: %w", err)
	}
	b.r.QuarantineNacl = nacl
	b.quarantineIDs = pulumi.All(b.args.VpcID, nacl.ID().ToStringOutput()).ApplyT(func(v []any) (string, error) {
		return awsiam.JSON(map[string]string{v[0].(string): v[1].(string)})
	}).(pulumi.StringOutput)
	tiers := make([]any, 0, len(b.args.BlastRadiusTiers)+1)
	tiers = append(tiers, b.args.VpcID)
	for _, t := range b.args.BlastRadiusTiers {
		tiers = append(tiers, b.args.TierSubnetIDs[t])
	}
	b.blastRadiusIDs = pulumi.All(tiers...).ApplyT(func(v []any) (string, error) {
		seen := map[string]bool{}
		subnets := []string{}
		for _, ids := range v[1:] {
			for _, id := range ids.([]string) {
				if !seen[id] {
					seen[id] = true
					subnets = append(subnets, id)
				}
			}
		}
		return awsiam.JSON(map[string][]string{v[0].(string): subnets})
	}).(pulumi.StringOutput)
	return nil
}
