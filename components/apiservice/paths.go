package apiservice

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/fintech-resilience/fintech-resilience/components/flow"
)

// AlbNodes is where the load balancer's nodes are: one per private subnet,
// behind the ALB security group.
func (s *ApiService) AlbNodes() flow.Endpoint {
	return flow.Endpoint{
		Label:            "ALB nodes",
		SubnetIDs:        s.subnets,
		SecurityGroupIDs: pulumi.StringArray{s.AlbSecurityGroup.ID()},
	}
}

// Tasks is where the service's tasks run: any private subnet, behind the
// task security group.
func (s *ApiService) Tasks() flow.Endpoint {
	return flow.Endpoint{
		Label:            "API tasks",
		SubnetIDs:        s.subnets,
		SecurityGroupIDs: pulumi.StringArray{s.TaskSecurityGroup.ID()},
	}
}

// paths declares the network paths the service needs and the one it must
// never have (the internet reaching the load balancer directly).
func (b *builder) paths() error {
	s, a := b.s, b.args
	s.subnets = a.PrivateSubnetIDs
	alb, tasks := s.AlbNodes(), s.Tasks()
	if err := flow.RequirePath(b.ctx, s, b.name, "alb-to-tasks", flow.Path{
		From: alb, To: tasks, Ports: flow.Port(a.AppPort),
		Caller: "ALB listener forwarding to the target group (cross-zone)",
		Reason: "requests reach the containers on the container port",
	}); err != nil {
		return err
	}
	if err := flow.RequirePath(b.ctx, s, b.name, "health-check", flow.Path{
		From: alb, To: tasks, Ports: flow.Port(a.AppPort),
		Caller: "ALB target group health check (traffic-port " + a.HealthCheckPath + ")",
		Reason: "a target that fails its health check is drained: users get 503s",
	}); err != nil {
		return err
	}
	if err := flow.ForbidPath(b.ctx, s, b.name, "internet-to-alb", flow.Path{
		From: flow.Endpoint{Label: "internet", Internet: true}, To: alb, Ports: flow.AllPorts(),
		MustBlock: []string{flow.LayerAddress, flow.LayerSecurityGroup},
		Caller:    "anyone on the internet",
		Reason:    "the load balancer is internal (CloudFront's VPC origin is the only way in) and its security group admits no internet source",
	}); err != nil {
		return err
	}
	if a.InterfaceEndpoints != nil {
		if err := flow.RequirePath(b.ctx, s, b.name, "tasks-to-endpoints", flow.Path{
			From: tasks, To: *a.InterfaceEndpoints, Ports: flow.Port(443),
			Caller: "the API containers and the ECS agent (Secrets Manager, KMS, CloudWatch Logs, STS)",
			Reason: "secrets, decryption and logs go through the interface endpoints",
		}); err != nil {
			return err
		}
	}
	return nil
}
