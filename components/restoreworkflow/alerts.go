package restoreworkflow

import (
	"encoding/json"
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sfn"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// EventsPublisher is the service principal the topic lets publish the
// execution-status alerts.
const EventsPublisher = "events.amazonaws.com"

// AlertStatuses are the execution statuses reported to the topic by
// EventBridge. The workflow's own failure notification covers every error
// its states catch; these cover what no Catch sees: the machine's overall
// TimeoutSeconds (TIMED_OUT), someone stopping the execution (ABORTED) and
// a failure in the failure path itself (FAILED).
var AlertStatuses = []string{"ABORTED", "FAILED", "TIMED_OUT"}

// ExecutionStatusPattern is the EventBridge pattern for executions of the
// state machine ending in one of AlertStatuses ("Step Functions Execution
// Status Change" events from aws.states).
func ExecutionStatusPattern(stateMachineArn string) (string, error) {
	out, err := json.Marshal(map[string]any{
		"source":      []string{"aws.states"},
		"detail-type": []string{"Step Functions Execution Status Change"},
		"detail": map[string]any{
			"stateMachineArn": []string{stateMachineArn},
			"status":          AlertStatuses,
		},
	})
	return string(out), err
}

// alertInputPaths and alertTemplate shape the alert from the event detail.
var alertInputPaths = map[string]string{
	"execution": "$.detail.executionArn",
	"name":      "$.detail.name",
	"status":    "$.detail.status",
	"started":   "$.detail.startDate",
	"stopped":   "$.detail.stopDate",
}

const alertTemplate = `{"result":"EXECUTION_<status>","execution":"<execution>","name":"<name>","startDate":<started>,"stopDate":<stopped>,` +
	`"action":"TIMED_OUT or ABORTED: the workflow sent no failure notice of its own. Check the restore job and the restored cluster in the execution history before starting again (docs/runbooks/restore.md, When the workflow fails)."}`

// executionAlerts reports executions that end TIMED_OUT, ABORTED or FAILED
// to the workflow's topic.
func (b *builder) executionAlerts(machine *sfn.StateMachine) error {
	pattern := machine.Arn.ApplyT(ExecutionStatusPattern).(pulumi.StringOutput)
	rule, err := cloudwatch.NewEventRule(b.ctx, b.child("execution-status"), &cloudwatch.EventRuleArgs{
		Description:  pulumi.Sprintf("Restore workflow executions ending %v: reported to the restore topic", AlertStatuses),
		EventPattern: pattern,
	}, b.parent)
	if err != nil {
		return fmt.Errorf("execution status rule: %w", err)
	}
	if _, err := cloudwatch.NewEventTarget(b.ctx, b.child("execution-status-to-sns"), &cloudwatch.EventTargetArgs{
		Rule: rule.Name,
		Arn:  b.w.TopicArn,
		InputTransformer: cloudwatch.EventTargetInputTransformerArgs{
			InputPaths:    pulumi.ToStringMap(alertInputPaths),
			InputTemplate: pulumi.String(alertTemplate),
		},
	}, b.parent); err != nil {
		return fmt.Errorf("execution status target: %w", err)
	}
	return nil
}
