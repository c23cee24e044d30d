// Command isolate is the GuardDuty isolation responder Lambda (provided.al2023, arm64, built with
// -tags lambda.norpc as "bootstrap"). It only wires aws-lambda-go and aws-sdk-go-v2 to
// functions/internal/isolation, whose package doc lists the environment variables.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/fintech-resilience/fintech-resilience/functions/internal/isolation"
)

func main() {
	logger := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	iso, err := setup(context.Background(), logger)
	if err != nil {
		// Fail every invocation with the reason instead of crash-looping the init phase.
		logger.Error("isolate is misconfigured", "error", err)
		lambda.Start(func(context.Context, json.RawMessage) (isolation.Result, error) {
			return isolation.Result{}, err
		})
		return
	}
	lambda.Start(func(ctx context.Context, raw json.RawMessage) (isolation.Result, error) {
		return iso.Handle(ctx, raw)
	})
}

func setup(ctx context.Context, logger *slog.Logger) (*isolation.Isolator, error) {
	cfg, err := isolation.LoadConfig(os.Getenv)
	if err != nil {
		return nil, err
	}
	awsCfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("loading AWS configuration: %w", err)
	}
	deps := isolation.Deps{
		EC2:      isolation.NewEC2Adapter(ec2.NewFromConfig(awsCfg)),
		ECS:      isolation.NewECSAdapter(ecs.NewFromConfig(awsCfg)),
		RDS:      isolation.NewRDSAdapter(rds.NewFromConfig(awsCfg)),
		Store:    isolation.NewDynamoStore(dynamodb.NewFromConfig(awsCfg), cfg.StateTable),
		Notifier: isolation.NewSNSNotifier(sns.NewFromConfig(awsCfg), cfg.TopicARN),
		Timeline: isolation.NewLogsTimeline(cloudwatchlogs.NewFromConfig(awsCfg), cfg.EvidenceLogGroup, nil),
		Logger:   logger,
	}
	if cfg.ApprovalStateMachineARN != "" {
		deps.Approvals = isolation.NewSFNApprovals(sfn.NewFromConfig(awsCfg), cfg.ApprovalStateMachineARN)
	}
	return isolation.NewIsolator(cfg, deps)
}
