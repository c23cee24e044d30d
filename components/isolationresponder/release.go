package isolationresponder

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/fintech-resilience/fintech-resilience/awsfacts"
	"github.com/fintech-resilience/fintech-resilience/awsiam"
)

// releaseAccess creates the incident-release role for humans: assumable by
// the trusted account's principals with MFA, allowed only to invoke the
// release function.
func (b *builder) releaseAccess() error {
	release := b.r.Functions[FunctionRelease]
	trust, err := awsiam.Policy(awsiam.Statement{
		"Effect":    "Allow",
		"Principal": map[string]any{"AWS": fmt.Sprintf("arn:%s:iam::%s:root", awsfacts.Partition, b.args.ReleaseRoleTrustAccountID)},
		"Action":    "sts:AssumeRole",
		"Condition": map[string]any{"Bool": map[string]any{"aws:MultiFactorAuthPresent": "true"}},
	})
	if err != nil {
		return fmt.Errorf("incident-release trust: %w", err)
	}
	role, err := iam.NewRole(b.ctx, b.child("incident-release"), &iam.RoleArgs{
		Name:               pulumi.String(b.child("incident-release")),
		Description:        pulumi.String("Humans assume this role (with MFA) to release a quarantine"),
		MaxSessionDuration: pulumi.Int(3600),
		AssumeRolePolicy:   pulumi.String(trust),
	}, b.parent)
	if err != nil {
		return fmt.Errorf("incident-release role: %w", err)
	}
	if _, err := iam.NewRolePolicy(b.ctx, b.child("incident-release-policy"), &iam.RolePolicyArgs{
		Role: role.Name,
		Policy: release.Arn.ApplyT(func(arn string) (string, error) {
			return awsiam.Policy(map[string]any{
				"Sid": "InvokeReleaseOnly", "Effect": "Allow",
				"Action": "lambda:InvokeFunction", "Resource": arn,
			})
		}).(pulumi.StringOutput),
	}, b.parent); err != nil {
		return fmt.Errorf("incident-release policy: %w", err)
	}
	if _, err := lambda.NewPermission(b.ctx, b.child("release-invoke"), &lambda.PermissionArgs{
		Action:    pulumi.String("lambda:InvokeFunction"),
		Function:  release.Name,
		Principal: role.Arn,
	}, b.parent); err != nil {
		return fmt.Errorf("release permission: %w", err)
	}
	b.r.ReleaseRole = role
	return nil
}
