package isolationresponder

import (
	"fmt"

	"github.com/fintech-resilience/fintech-resilience/awsfacts"
	"github.com/fintech-resilience/fintech-resilience/components/asl"
	"github.com/fintech-resilience/fintech-resilience/functions/contract"
)

// State names of the approval state machine.
const (
	StateAskForApproval    = "AskForApproval"
	StateCheckApproval     = "CheckApproval"
	StateMissingApprover   = "MissingApprover"
	StateIsolate           = "Isolate"
	StateNotifyNotApproved = "NotifyNotApproved"
	StateNotApproved       = "NotApproved"
)

// RejectError is the error name a human gives to reject an isolation
// (aws stepfunctions send-task-failure --error Rejected).
const RejectError = "Rejected"

// ApprovalSpec is what the approval state machine definition needs.
type ApprovalSpec struct {
	Region string
	// TopicArn receives the approval request and the "not isolated" notice.
	TopicArn string
	// IsolateFunctionArn is invoked with the approved finding.
	IsolateFunctionArn string
	// TimeoutSeconds is how long a request waits for an answer.
	TimeoutSeconds int
}

// ApprovalDefinition returns the Amazon States Language definition of the
// approval workflow, started by the isolate function with
// {"finding": <GuardDuty event>}:
//
//	AskForApproval (SNS publish, waits for the task token; times out)
//	  -> CheckApproval (the answer names who approved)
//	  -> Isolate (invokes the isolate function with action isolate-approved)
//
// A rejection, a timeout, an answer without approvedBy or a failed isolation
// goes to NotifyNotApproved (SNS) and ends in the NotApproved Fail state.
// The finding stays at $.finding throughout (every result has its own
// ResultPath).
func ApprovalDefinition(s ApprovalSpec) (string, error) {
	sm, err := ApprovalMachine(s)
	if err != nil {
		return "", err
	}
	out, err := asl.Marshal(sm)
	if err != nil {
		return "", fmt.Errorf("approval definition: %w", err)
	}
	return out, nil
}

// ApprovalMachine returns the approval workflow (see ApprovalDefinition) as
// typed states, built with the same asl package and checked by the same
// asl.Validate as the restore workflow.
func ApprovalMachine(s ApprovalSpec) (*asl.StateMachine, error) {
	if s.TopicArn == "" || s.IsolateFunctionArn == "" || s.TimeoutSeconds <= 0 {
		return nil, fmt.Errorf("approval definition: topic, function and a positive timeout are required")
	}
	hours := s.TimeoutSeconds / 3600
	ask := fmt.Sprintf(`GuardDuty finding %%s (%%s, severity %%s) in account %%s, region %%s asks for the network isolation of the affected subnets. Its severity is below the immediate-isolation level, so a human decides.

Title: %%s

APPROVE (the subnets are moved to the quarantine network ACL at once):
aws stepfunctions send-task-success --region %s --task-token '%%s' --task-output '{"approvedBy":"YOUR-NAME"}'

REJECT (nothing is isolated):
aws stepfunctions send-task-failure --region %s --task-token '%%s' --error %s --cause 'REASON'

Without an answer within %d hour(s) the request expires and nothing is isolated.`, s.Region, s.Region, RejectError, hours)
	notApplied := `Isolation for GuardDuty finding %s was NOT carried out (rejected, expired, no approver named, or the isolation failed). Details: %s`

	return &asl.StateMachine{
		Comment: "Human approval before isolating subnets for a high (not critical) GuardDuty finding.",
		StartAt: StateAskForApproval,
		States: map[string]asl.State{
			StateAskForApproval: &asl.Task{
				Comment:  "Ask a human; the answer (send-task-success output) lands at $.approval.",
				Resource: fmt.Sprintf("arn:%s:states:::sns:publish.waitForTaskToken", awsfacts.Partition),
				Parameters: map[string]any{
					"TopicArn": s.TopicArn,
					"Subject":  "Approval needed: network isolation after a GuardDuty finding",
					"Message.$": asl.Format(ask,
						"$.finding.detail.id", "$.finding.detail.type", "$.finding.detail.severity",
						"$.finding.account", "$.finding.region", "$.finding.detail.title",
						"$$.Task.Token", "$$.Task.Token"),
				},
				TimeoutSeconds: s.TimeoutSeconds,
				ResultPath:     "$.approval",
				Retry: []asl.Retrier{{
					// Only service errors: a rejection (Rejected) or an expiry
					// (States.Timeout) must never ask again.
					ErrorEquals:     []string{"SNS.SdkClientException", "SNS.AmazonSNSException", "SNS.InternalErrorException", "SNS.ThrottledException", "SNS.KMSThrottlingException"},
					IntervalSeconds: 2, MaxAttempts: 3, BackoffRate: 2,
				}},
				Catch: toNotify(),
				Next:  StateCheckApproval,
			},
			StateCheckApproval: &asl.Choice{
				Choices: []asl.ChoiceRule{{
					And: []asl.ChoiceRule{
						{Variable: "$.approval.approvedBy", IsPresent: asl.Bool(true)},
						{Variable: "$.approval.approvedBy", IsString: asl.Bool(true)},
					},
					Next: StateIsolate,
				}},
				Default: StateMissingApprover,
			},
			StateMissingApprover: &asl.Pass{
				Result:     map[string]any{"Error": "MissingApprover", "Cause": "the approval did not name who approved (approvedBy)"},
				ResultPath: "$.error",
				Next:       StateNotifyNotApproved,
			},
			StateIsolate: &asl.Task{
				Resource: fmt.Sprintf("arn:%s:states:::lambda:invoke", awsfacts.Partition),
				Parameters: map[string]any{
					"FunctionName": s.IsolateFunctionArn,
					"Payload": map[string]any{
						"action":       contract.IsolationActionApproved,
						"approvedBy.$": "$.approval.approvedBy",
						"finding.$":    "$.finding",
					},
				},
				TimeoutSeconds: 300,
				ResultSelector: map[string]any{"result.$": "$.Payload"},
				ResultPath:     "$.isolation",
				Retry: []asl.Retrier{
					{
						ErrorEquals:     []string{"Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException", "Lambda.TooManyRequestsException"},
						IntervalSeconds: 2, MaxAttempts: 6, BackoffRate: 2,
					},
					{
						// An INCOMPLETE isolation fails the invocation; the
						// function is idempotent, so try again.
						ErrorEquals:     []string{"States.TaskFailed"},
						IntervalSeconds: 30, MaxAttempts: 2, BackoffRate: 2,
					},
				},
				Catch: toNotify(),
				End:   true,
			},
			StateNotifyNotApproved: &asl.Task{
				Resource: fmt.Sprintf("arn:%s:states:::sns:publish", awsfacts.Partition),
				Parameters: map[string]any{
					"TopicArn":  s.TopicArn,
					"Subject":   "Network isolation NOT carried out",
					"Message.$": asl.Format(notApplied, "$.finding.detail.id", "States.JsonToString($.error)"),
				},
				// The output is the input: the finding and the error stay.
				DiscardResult: true,
				Retry: []asl.Retrier{{
					ErrorEquals: []string{"States.ALL"}, IntervalSeconds: 5, MaxAttempts: 5, BackoffRate: 2,
				}},
				// The last step of the failure path: if even the notice
				// cannot be sent, the execution fails with the SNS error
				// itself, visible in its status.
				Uncaught: true,
				Next:     StateNotApproved,
			},
			StateNotApproved: &asl.Fail{
				Error: "IsolationNotApproved",
				Cause: "the isolation was rejected, expired or failed; see the notification",
			},
		},
	}, nil
}

// toNotify sends every error of a task to the "not isolated" notice, with
// the error at $.error.
func toNotify() []asl.Catcher {
	return []asl.Catcher{{ErrorEquals: []string{"States.ALL"}, ResultPath: "$.error", Next: StateNotifyNotApproved}}
}
