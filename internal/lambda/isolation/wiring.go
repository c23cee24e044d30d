package isolation

import (
	"context"
	"encoding/json"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sns"
)

// awsShared are the AWS-backed adapters both functions use.
type awsShared struct {
	ec2      EC2
	store    Store
	notifier Notifier
	timeline Timeline
}

func newAWSShared(awsCfg aws.Config, stateTable, topicARN, evidenceLogGroup string) awsShared {
	return awsShared{
		ec2:      NewEC2Adapter(ec2.NewFromConfig(awsCfg)),
		store:    NewDynamoStore(dynamodb.NewFromConfig(awsCfg), stateTable),
		notifier: NewSNSNotifier(sns.NewFromConfig(awsCfg), topicARN),
		timeline: NewLogsTimeline(cloudwatchlogs.NewFromConfig(awsCfg), evidenceLogGroup, nil),
	}
}

// NewAWSDeps returns the dependencies of functions/isolate on AWS, every
// client built from awsCfg; Approvals is set only when cfg names an approval
// state machine.
func NewAWSDeps(awsCfg aws.Config, cfg Config, logger *slog.Logger) Deps {
	s := newAWSShared(awsCfg, cfg.StateTable, cfg.TopicARN, cfg.EvidenceLogGroup)
	d := Deps{
		EC2:      s.ec2,
		ECS:      NewECSAdapter(ecs.NewFromConfig(awsCfg)),
		RDS:      NewRDSAdapter(rds.NewFromConfig(awsCfg)),
		Store:    s.store,
		Notifier: s.notifier,
		Timeline: s.timeline,
		Logger:   logger,
	}
	if cfg.ApprovalStateMachineARN != "" {
		d.Approvals = NewSFNApprovals(sfn.NewFromConfig(awsCfg), cfg.ApprovalStateMachineARN)
	}
	return d
}

// NewAWSReleaseDeps returns the dependencies of functions/release on AWS,
// every client built from awsCfg.
func NewAWSReleaseDeps(awsCfg aws.Config, cfg ReleaseConfig, logger *slog.Logger) ReleaseDeps {
	s := newAWSShared(awsCfg, cfg.StateTable, cfg.TopicARN, cfg.EvidenceLogGroup)
	return ReleaseDeps{EC2: s.ec2, Store: s.store, Notifier: s.notifier, Timeline: s.timeline, Logger: logger}
}

// Handler returns the Lambda handler of the function named function whose
// setup returned h and setupErr: h.Handle or, when setup failed, a handler
// that fails every invocation with setupErr (logged once, now) instead of
// crash-looping the init phase.
func Handler[R any](logger *slog.Logger, function string, h interface {
	Handle(context.Context, []byte) (R, error)
}, setupErr error) func(context.Context, json.RawMessage) (R, error) {
	if setupErr != nil {
		logger.Error(function+" is misconfigured", "error", setupErr)
		return func(context.Context, json.RawMessage) (R, error) {
			var zero R
			return zero, setupErr
		}
	}
	return func(ctx context.Context, raw json.RawMessage) (R, error) {
		return h.Handle(ctx, raw)
	}
}
