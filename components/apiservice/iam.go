package apiservice

// The task roles of ApiService and their policies.

import (
	"fmt"
	"sort"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/fintech-resilience/fintech-resilience/awsiam"
	"github.com/fintech-resilience/fintech-resilience/components/fargate"
)

// ECRRepositoryArn returns the repository ARN of a private ECR image URI,
// or "" when the image is not in ECR.
func ECRRepositoryArn(image string) string { return fargate.ECRRepositoryArn(image) }

// ExecutionPolicy returns the execution role's policy: ECR pull of the
// image's repository (when in ECR), log writes to the log group, read of
// exactly the given secrets and kms:Decrypt with the data key.
func ExecutionPolicy(image, logGroupArn string, secretArns []string, dataKeyArn string) (string, error) {
	var sts []awsiam.Statement
	if repo := ECRRepositoryArn(image); repo != "" {
		sts = append(sts,
			// GetAuthorizationToken has no resource-level permissions.
			awsiam.Statement{"Sid": "EcrAuth", "Effect": "Allow", "Action": []string{"ecr:GetAuthorizationToken"}, "Resource": []string{"*"}},
			awsiam.Statement{"Sid": "EcrPull", "Effect": "Allow", "Action": []string{
				"ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer",
			}, "Resource": []string{repo}},
		)
	}
	sts = append(sts, awsiam.Statement{"Sid": "Logs", "Effect": "Allow",
		"Action":   []string{"logs:CreateLogStream", "logs:PutLogEvents"},
		"Resource": []string{logGroupArn, logGroupArn + ":log-stream:*"}})
	var secrets, params []string
	for _, a := range secretArns {
		if strings.HasPrefix(a, "arn:aws:ssm:") {
			params = append(params, a)
		} else {
			secrets = append(secrets, a)
		}
	}
	if len(secrets) > 0 {
		sort.Strings(secrets)
		sts = append(sts, awsiam.Statement{"Sid": "Secrets", "Effect": "Allow",
			"Action": []string{"secretsmanager:GetSecretValue"}, "Resource": secrets})
	}
	if len(params) > 0 {
		sort.Strings(params)
		sts = append(sts, awsiam.Statement{"Sid": "Parameters", "Effect": "Allow",
			"Action": []string{"ssm:GetParameters"}, "Resource": params})
	}
	sts = append(sts, awsiam.Statement{"Sid": "DataKey", "Effect": "Allow",
		"Action": []string{"kms:Decrypt"}, "Resource": []string{dataKeyArn}})
	out, err := awsiam.Policy(sts...)
	if err != nil {
		return "", fmt.Errorf("execution policy: %w", err)
	}
	return out, nil
}

// TrustPolicy returns the trust policy of the task roles: ECS tasks of
// this account only.
func TrustPolicy(accountID, region string) (string, error) {
	out, err := awsiam.Policy(awsiam.Statement{
		"Effect":    "Allow",
		"Principal": map[string]any{"Service": "ecs-tasks.amazonaws.com"},
		"Action":    "sts:AssumeRole",
		"Condition": map[string]any{
			"StringEquals": map[string]any{"aws:SourceAccount": accountID},
			"ArnLike":      map[string]any{"aws:SourceArn": fmt.Sprintf("arn:aws:ecs:%s:%s:*", region, accountID)},
		},
	})
	if err != nil {
		return "", fmt.Errorf("trust policy: %w", err)
	}
	return out, nil
}

func (b *builder) roles() error {
	exec, err := iam.NewRole(b.ctx, b.name+"-execution-role", &iam.RoleArgs{
		AssumeRolePolicy: pulumi.String(b.trust),
		Description:      pulumi.String("ECS task execution role of " + b.args.ServiceName),
	}, b.parent)
	if err != nil {
		return fmt.Errorf("execution role: %w", err)
	}
	b.s.ExecutionRole = exec
	secretArns := make([]any, 0, len(b.args.SecretArns))
	for _, a := range b.args.SecretArns {
		secretArns = append(secretArns, a)
	}
	inputs := append([]any{b.args.Image, b.s.LogGroup.Arn, b.args.DataKeyArn}, secretArns...)
	policy := pulumi.All(inputs...).ApplyT(func(v []any) (string, error) {
		arns := make([]string, 0, len(v)-3)
		for _, a := range v[3:] {
			arns = append(arns, a.(string))
		}
		return ExecutionPolicy(v[0].(string), v[1].(string), arns, v[2].(string))
	}).(pulumi.StringOutput)
	if _, err := iam.NewRolePolicy(b.ctx, b.name+"-execution-policy", &iam.RolePolicyArgs{
		Role:   exec.ID(),
		Policy: policy,
	}, b.parent); err != nil {
		return fmt.Errorf("execution policy: %w", err)
	}
	task, err := iam.NewRole(b.ctx, b.name+"-task-role", &iam.RoleArgs{
		AssumeRolePolicy: pulumi.String(b.trust),
		Description:      pulumi.String("Application role of " + b.args.ServiceName),
	}, b.parent)
	if err != nil {
		return fmt.Errorf("task role: %w", err)
	}
	b.s.TaskRole = task
	if b.args.TaskPolicyJSON != nil {
		if _, err := iam.NewRolePolicy(b.ctx, b.name+"-task-policy", &iam.RolePolicyArgs{
			Role:   task.ID(),
			Policy: b.args.TaskPolicyJSON,
		}, b.parent); err != nil {
			return fmt.Errorf("task policy: %w", err)
		}
	}
	return nil
}
