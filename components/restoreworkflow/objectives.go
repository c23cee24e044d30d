package restoreworkflow

import (
	"encoding/json"
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/fintech-resilience/fintech-resilience/awsfacts"
	"github.com/fintech-resilience/fintech-resilience/awsiam"
	"github.com/fintech-resilience/fintech-resilience/components/flow"
	"github.com/fintech-resilience/fintech-resilience/functions/contract"
)

// Recovery objectives (docs/decisions/0019): restoremetrics puts the RPO
// and RTO every restore of this account achieved (names in
// functions/contract); alarms compare them with the targets and notify the
// workflow's topic. Restore tests are measured too: AWS Backup's "Restore
// Job State Change" events reach restoremetrics, which skips restore jobs
// no restore testing plan started (the workflow records its own).

// AlarmsPublisher is the service principal the topic lets publish the
// recovery objective alarms.
const AlarmsPublisher = "cloudwatch.amazonaws.com"

// Target limits (minutes): one week at most.
const maxTargetMinutes = 7 * 24 * 60

// ObjectiveAlarm is one recovery objective alarm.
type ObjectiveAlarm struct {
	// Part names the alarm resource (<component>-<Part>).
	Part       string
	MetricName string
	Dimensions map[string]string
	// ThresholdSeconds is the target in seconds.
	ThresholdSeconds float64
	Description      string
}

// ObjectiveAlarms are the alarms for targets in minutes: RPO and RTO of
// each restore kind and milestone (functions/contract).
func ObjectiveAlarms(rpoMinutes, rtoMinutes int) []ObjectiveAlarm {
	var out []ObjectiveAlarm
	for _, kind := range []string{contract.RestoreKindWorkflow, contract.RestoreKindTest} {
		out = append(out, ObjectiveAlarm{
			Part: "rpo-" + kind, MetricName: contract.MetricRecoveryPointAge,
			Dimensions:       map[string]string{contract.DimensionRestoreKind: kind},
			ThresholdSeconds: float64(rpoMinutes * 60),
			Description: fmt.Sprintf("RPO missed: a %s restore restored a recovery point older than the target of %d minutes. "+
				"What to do: docs/runbooks/restore.md#recovery-objectives", kind, rpoMinutes),
		})
		for _, m := range contract.RecoveryTimeMilestones(kind) {
			out = append(out, ObjectiveAlarm{
				Part: "rto-" + kind + "-" + m, MetricName: contract.MetricRecoveryTime,
				Dimensions:       map[string]string{contract.DimensionRestoreKind: kind, contract.DimensionMilestone: m},
				ThresholdSeconds: float64(rtoMinutes * 60),
				Description: fmt.Sprintf("RTO missed: a %s restore took longer than the target of %d minutes from its start to %s. "+
					"What to do: docs/runbooks/restore.md#recovery-objectives", kind, rtoMinutes, m),
			})
		}
	}
	return out
}

// validateObjectives returns the problems of the objective arguments.
func (a *Args) validateObjectives() []string {
	var p []string
	if a.RPOTargetMinutes < 1 || a.RPOTargetMinutes > maxTargetMinutes {
		p = append(p, fmt.Sprintf("RPOTargetMinutes %d is outside 1 to %d (one week)", a.RPOTargetMinutes, maxTargetMinutes))
	}
	if a.RTOTargetMinutes < 1 || a.RTOTargetMinutes > maxTargetMinutes {
		p = append(p, fmt.Sprintf("RTOTargetMinutes %d is outside 1 to %d (one week)", a.RTOTargetMinutes, maxTargetMinutes))
	}
	if !awsfacts.ValidLogRetention(a.DatabaseLogRetentionDays) {
		p = append(p, fmt.Sprintf("DatabaseLogRetentionDays %d is not a CloudWatch Logs retention value (e.g. 365, 731)", a.DatabaseLogRetentionDays))
	}
	return p
}

// metricsStatements are restoremetrics' calls: the restore job (no
// resource-level permissions) and its own namespace only.
func metricsStatements() []map[string]any {
	return []map[string]any{
		awsiam.Allow("DescribeRestoreJobs", []string{"backup:DescribeRestoreJob"}, "*"),
		{
			"Sid": "PutRecoveryMetrics", "Effect": "Allow", "Action": []string{"cloudwatch:PutMetricData"}, "Resource": []string{"*"},
			"Condition": map[string]any{"StringEquals": map[string]any{"cloudwatch:namespace": contract.RecoveryMetricsNamespace}},
		},
	}
}

// RestoreTestCompletedPattern is the EventBridge pattern of completed
// restore jobs (AWS Backup "Restore Job State Change").
func RestoreTestCompletedPattern() (string, error) {
	out, err := json.Marshal(map[string]any{
		"source":      []string{"aws.backup"},
		"detail-type": []string{"Restore Job State Change"},
		"detail":      map[string]any{"status": []string{"COMPLETED"}},
	})
	return string(out), err
}

// objectives creates the alarms and the restore-test measurement.
func (b *builder) objectives() error {
	a := b.a
	for _, al := range ObjectiveAlarms(a.RPOTargetMinutes, a.RTOTargetMinutes) {
		if _, err := cloudwatch.NewMetricAlarm(b.ctx, b.child(al.Part), &cloudwatch.MetricAlarmArgs{
			AlarmDescription: pulumi.String(al.Description),
			Namespace:        pulumi.String(contract.RecoveryMetricsNamespace),
			MetricName:       pulumi.String(al.MetricName),
			Dimensions:       pulumi.ToStringMap(al.Dimensions),
			Statistic:        pulumi.String("Maximum"),
			// Restores are rare: one datapoint above the target alarms; no
			// data (no restore) is not a breach.
			Period:             pulumi.Int(300),
			EvaluationPeriods:  pulumi.Int(1),
			Threshold:          pulumi.Float64(al.ThresholdSeconds),
			ComparisonOperator: pulumi.String("GreaterThanThreshold"),
			TreatMissingData:   pulumi.String("notBreaching"),
			AlarmActions:       pulumi.Array{b.w.TopicArn},
		}, b.parent); err != nil {
			return fmt.Errorf("alarm %s: %w", al.Part, err)
		}
	}
	pattern, err := RestoreTestCompletedPattern()
	if err != nil {
		return fmt.Errorf("restore test pattern: %w", err)
	}
	rule, err := cloudwatch.NewEventRule(b.ctx, b.child("restore-tests"), &cloudwatch.EventRuleArgs{
		Description:  pulumi.String("Completed restore jobs (restore tests): restoremetrics puts their RPO/RTO"),
		EventPattern: pulumi.String(pattern),
	}, b.parent)
	if err != nil {
		return fmt.Errorf("restore test rule: %w", err)
	}
	fn := b.w.Functions[FunctionMetrics]
	perm, err := lambda.NewPermission(b.ctx, b.child("restore-tests-invoke"), &lambda.PermissionArgs{
		Action:        pulumi.String("lambda:InvokeFunction"),
		Function:      fn.Name,
		Principal:     pulumi.String("events.amazonaws.com"),
		SourceArn:     rule.Arn,
		SourceAccount: pulumi.String(a.AccountID),
	}, b.parent)
	if err != nil {
		return fmt.Errorf("restore test permission: %w", err)
	}
	if _, err := cloudwatch.NewEventTarget(b.ctx, b.child("restore-tests-metrics"), &cloudwatch.EventTargetArgs{
		Rule: rule.Name,
		Arn:  fn.Arn,
		RetryPolicy: cloudwatch.EventTargetRetryPolicyArgs{
			MaximumEventAgeInSeconds: pulumi.Int(3600),
			MaximumRetryAttempts:     pulumi.Int(10),
		},
	}, b.parent, pulumi.DependsOn([]pulumi.Resource{perm})); err != nil {
		return fmt.Errorf("restore test target: %w", err)
	}
	return flow.Require(b.ctx, b.w, b.name, "restore-tests-invoke", flow.Access{
		Principal: pulumi.String(flow.ServicePrincipal("events")), Actions: []string{"lambda:InvokeFunction"},
		Resource: fn.Arn,
		Context:  map[string]pulumi.StringInput{"aws:SourceArn": rule.Arn, "aws:SourceAccount": pulumi.String(a.AccountID)},
		Caller:   "EventBridge rule " + b.child("restore-tests"), Reason: "completed restore tests reach restoremetrics",
	})
}
