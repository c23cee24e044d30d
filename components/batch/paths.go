package batch

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/fintech-resilience/fintech-resilience/components/flow"
)

// Tasks is where the jobs run: any private subnet, behind the task
// security group.
func (b *Batch) Tasks() flow.Endpoint {
	return flow.Endpoint{
		Label:            "batch tasks",
		SubnetIDs:        b.subnets,
		SecurityGroupIDs: pulumi.StringArray{b.TaskSecurity.ID()},
	}
}

// paths declares the network paths the jobs need.
func (bd *builder) paths() error {
	bd.b.subnets = bd.args.PrivateSubnetIDs
	if bd.args.InterfaceEndpoints == nil {
		return nil
	}
	return flow.RequirePath(bd.ctx, bd.b, bd.name, "tasks-to-endpoints", flow.Path{
		From: bd.b.Tasks(), To: *bd.args.InterfaceEndpoints, Ports: flow.Port(443),
		Caller: "the job containers and the ECS agent (SSM parameter, KMS, CloudWatch Logs, STS)",
		Reason: "the database host, decryption and logs go through the interface endpoints",
	})
}
