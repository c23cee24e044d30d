package apiservice

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/fintech-resilience/fintech-resilience/awsiam"
	"github.com/fintech-resilience/fintech-resilience/components/flow"
)

// flows declares what ECS does with the execution role when a task
// starts: pull the image, write the task's logs and read every secret or
// parameter injected into the container (which of the two an ARN is, and so
// the action, is known once the ARN is).
func (b *builder) flows() error {
	exec := b.s.ExecutionRole.Arn
	caller := "ECS (task execution role of " + b.args.ServiceName + ")"
	type access struct {
		part, why string
		actions   []string
		resource  pulumi.StringInput
	}
	list := []access{
		{"image-auth", "ECR authorization before the pull (no resource-level permissions)", []string{"ecr:GetAuthorizationToken"}, pulumi.String("*")},
		{"logs", "the awslogs driver writes the task's log stream", []string{"logs:CreateLogStream", "logs:PutLogEvents"},
			b.s.LogGroup.Arn.ApplyT(func(arn string) string { return arn + ":log-stream:ecs/app/example" }).(pulumi.StringOutput)},
	}
	if b.args.Image != nil {
		repo := b.args.Image.ToStringOutput().ApplyT(func(image string) string {
			if r := ECRRepositoryArn(image); r != "" {
				return r
			}
			return "*"
		}).(pulumi.StringOutput)
		list = append(list, access{"image-pull", "pull the image layers", []string{"ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"}, repo})
	}
	for i, arn := range b.args.SecretArns {
		actions := arn.ToStringOutput().ApplyT(func(v string) []string {
			if awsiam.IsParameter(v) {
				return []string{"ssm:GetParameters"}
			}
			return []string{"secretsmanager:GetSecretValue"}
		}).(pulumi.StringArrayOutput)
		if err := flow.Require(b.ctx, b.s, b.name, fmt.Sprintf("secret-%d", i+1), flow.Access{
			Principal: exec, ActionsOf: actions, Resource: arn, Caller: caller,
			Reason: "a secret or parameter injected into the container at start",
		}); err != nil {
			return err
		}
	}
	for _, f := range list {
		if err := flow.Require(b.ctx, b.s, b.name, f.part, flow.Access{
			Principal: exec, Actions: f.actions, Resource: f.resource, Caller: caller, Reason: f.why,
		}); err != nil {
			return err
		}
	}
	return nil
}
