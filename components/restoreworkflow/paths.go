package restoreworkflow

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/fintech-resilience/fintech-resilience/components/flow"
)

// declarePaths declares that the functions (isolated subnets, behind sg)
// reach the interface endpoints on 443: Backup, RDS, RDS Data API, Secrets
// Manager, KMS, CloudWatch (monitoring) and CloudWatch Logs are their only
// way to AWS.
func (b *builder) declarePaths(sg *ec2.SecurityGroup) error {
	if b.a.InterfaceEndpoints == nil {
		return nil
	}
	return flow.RequirePath(b.ctx, b.w, b.name, "functions-to-endpoints", flow.Path{
		From: flow.Endpoint{
			Label: "restore workflow functions", SubnetIDs: b.a.IsolatedSubnetIDs,
			SecurityGroupIDs: pulumi.StringArray{sg.ID()},
		},
		To: *b.a.InterfaceEndpoints, Ports: flow.Port(443),
		Caller: "restorepick, restoreverify and restoremetrics (AWS SDK calls)",
		Reason: "the isolated tier has no route out: the functions reach AWS only through the interface endpoints",
	})
}
