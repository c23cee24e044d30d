package isolationresponder

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sfn"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/fintech-resilience/fintech-resilience/awsiam"
)

func (b *builder) approval() error {
	trust, err := awsiam.ServiceTrust("states.amazonaws.com", b.args.AccountID)
	if err != nil {
		return fmt.Errorf("approval role trust: %w", err)
	}
	role, err := iam.NewRole(b.ctx, b.child("approval-role"), &iam.RoleArgs{
		Name:             pulumi.String(b.child("approval")),
		Description:      pulumi.String("Role of the isolation approval state machine"),
		AssumeRolePolicy: pulumi.String(trust),
	}, b.parent)
	if err != nil {
		return fmt.Errorf("approval role: %w", err)
	}
	b.approvalRole = role
	rp, err := iam.NewRolePolicy(b.ctx, b.child("approval-policy"), &iam.RolePolicyArgs{
		Role:   role.Name,
		Policy: b.policyOutput(b.n.approvalPolicy),
	}, b.parent)
	if err != nil {
		return fmt.Errorf("approval policy: %w", err)
	}
	timeout := b.args.ApprovalTimeoutHours * 3600
	def := pulumi.All(b.topic.Arn, b.r.Functions[FunctionIsolate].Arn).ApplyT(func(v []any) (string, error) {
		return ApprovalDefinition(ApprovalSpec{
			Region: b.n.region, TopicArn: v[0].(string),
			IsolateFunctionArn: v[1].(string), TimeoutSeconds: timeout,
		})
	}).(pulumi.StringOutput)
	sm, err := sfn.NewStateMachine(b.ctx, b.child("approval"), &sfn.StateMachineArgs{
		Name:       pulumi.String(b.n.stateMachine),
		Type:       pulumi.String("STANDARD"),
		RoleArn:    role.Arn,
		Definition: def,
		LoggingConfiguration: sfn.StateMachineLoggingConfigurationArgs{
			Level:                pulumi.String("ALL"),
			IncludeExecutionData: pulumi.Bool(true),
			LogDestination: b.smLogGroup.Arn.ApplyT(func(arn string) string {
				return arn + ":*"
			}).(pulumi.StringOutput),
		},
	}, b.parent, pulumi.DependsOn([]pulumi.Resource{rp}))
	if err != nil {
		return fmt.Errorf("approval state machine: %w", err)
	}
	b.r.StateMachine = sm
	return nil
}
