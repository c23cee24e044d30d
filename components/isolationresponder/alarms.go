package isolationresponder

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func (b *builder) alarms() error {
	actions := pulumi.Array{b.topic.Arn}
	if _, err := cloudwatch.NewMetricAlarm(b.ctx, b.child("isolate-errors"), &cloudwatch.MetricAlarmArgs{
		Name:               pulumi.String(b.child("isolate-errors")),
		AlarmDescription:   pulumi.String("The isolate function failed (an incomplete isolation counts as a failure)"),
		Namespace:          pulumi.String("AWS/Lambda"),
		MetricName:         pulumi.String("Errors"),
		Dimensions:         pulumi.StringMap{"FunctionName": b.r.Functions[FunctionIsolate].Name},
		Statistic:          pulumi.String("Sum"),
		Period:             pulumi.Int(60),
		EvaluationPeriods:  pulumi.Int(1),
		Threshold:          pulumi.Float64(1),
		ComparisonOperator: pulumi.String("GreaterThanOrEqualToThreshold"),
		TreatMissingData:   pulumi.String("notBreaching"),
		AlarmActions:       actions,
	}, b.parent); err != nil {
		return fmt.Errorf("isolate errors alarm: %w", err)
	}
	if _, err := cloudwatch.NewMetricAlarm(b.ctx, b.child("dlq-messages"), &cloudwatch.MetricAlarmArgs{
		Name:               pulumi.String(b.child("dlq-messages")),
		AlarmDescription:   pulumi.String("A finding or an invocation could not be delivered to the isolate function"),
		Namespace:          pulumi.String("AWS/SQS"),
		MetricName:         pulumi.String("ApproximateNumberOfMessagesVisible"),
		Dimensions:         pulumi.StringMap{"QueueName": b.dlq.Name},
		Statistic:          pulumi.String("Maximum"),
		Period:             pulumi.Int(60),
		EvaluationPeriods:  pulumi.Int(1),
		Threshold:          pulumi.Float64(1),
		ComparisonOperator: pulumi.String("GreaterThanOrEqualToThreshold"),
		TreatMissingData:   pulumi.String("notBreaching"),
		AlarmActions:       actions,
	}, b.parent); err != nil {
		return fmt.Errorf("dead-letter alarm: %w", err)
	}
	return nil
}
