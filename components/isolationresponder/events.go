package isolationresponder

import (
	"encoding/json"
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sqs"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/fintech-resilience/fintech-resilience/awsiam"
)

// EventPattern returns the EventBridge pattern of the findings acted on.
func EventPattern(account, region string, threshold float64, prefixes []string) (string, error) {
	detail := map[string]any{
		"severity": []any{map[string]any{"numeric": []any{">=", threshold}}},
	}
	if len(prefixes) > 0 {
		types := make([]any, 0, len(prefixes))
		for _, p := range prefixes {
			types = append(types, map[string]any{"prefix": p})
		}
		detail["type"] = types
	}
	out, err := json.Marshal(map[string]any{
		"source":      []string{"aws.guardduty"},
		"detail-type": []string{"GuardDuty Finding"},
		"account":     []string{account},
		"region":      []string{region},
		"detail":      detail,
	})
	if err != nil {
		return "", fmt.Errorf("event pattern: %w", err)
	}
	return string(out), nil
}

func (b *builder) rule(pattern string) error {
	rule, err := cloudwatch.NewEventRule(b.ctx, b.child("findings"), &cloudwatch.EventRuleArgs{
		Name:         pulumi.String(b.child("guardduty-findings")),
		Description:  pulumi.String("GuardDuty findings of this account and region at or above the isolation threshold"),
		EventPattern: pulumi.String(pattern),
		State:        pulumi.String("ENABLED"),
	}, b.parent)
	if err != nil {
		return fmt.Errorf("event rule: %w", err)
	}
	b.r.Rule = rule
	isolate := b.r.Functions[FunctionIsolate]
	perm, err := lambda.NewPermission(b.ctx, b.child("events-invoke"), &lambda.PermissionArgs{
		Action:        pulumi.String("lambda:InvokeFunction"),
		Function:      isolate.Name,
		Principal:     pulumi.String("events.amazonaws.com"),
		SourceArn:     rule.Arn,
		SourceAccount: pulumi.String(b.args.AccountID),
	}, b.parent)
	if err != nil {
		return fmt.Errorf("events permission: %w", err)
	}
	qp := pulumi.All(b.dlq.Arn, rule.Arn).ApplyT(func(v []any) (string, error) {
		return awsiam.Policy(map[string]any{
			"Sid": "FailedFindingDeliveries", "Effect": "Allow",
			"Principal": map[string]any{"Service": "events.amazonaws.com"},
			"Action":    "sqs:SendMessage",
			"Resource":  v[0].(string),
			"Condition": map[string]any{"ArnEquals": map[string]any{"aws:SourceArn": v[1].(string)}},
		})
	}).(pulumi.StringOutput)
	queuePolicy, err := sqs.NewQueuePolicy(b.ctx, b.child("dlq-policy"), &sqs.QueuePolicyArgs{
		QueueUrl: b.dlq.Url,
		Policy:   qp,
	}, b.parent)
	if err != nil {
		return fmt.Errorf("dead-letter queue policy: %w", err)
	}
	if _, err := cloudwatch.NewEventTarget(b.ctx, b.child("findings-isolate"), &cloudwatch.EventTargetArgs{
		Rule:     rule.Name,
		TargetId: pulumi.String(FunctionIsolate),
		Arn:      isolate.Arn,
		RetryPolicy: cloudwatch.EventTargetRetryPolicyArgs{
			MaximumEventAgeInSeconds: pulumi.Int(3600),
			MaximumRetryAttempts:     pulumi.Int(10),
		},
		DeadLetterConfig: cloudwatch.EventTargetDeadLetterConfigArgs{Arn: b.dlq.Arn},
	}, b.parent, pulumi.DependsOn([]pulumi.Resource{perm, queuePolicy})); err != nil {
		return fmt.Errorf("event target: %w", err)
	}
	return nil
}
