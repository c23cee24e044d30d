// Command release restores the network ACL associations recorded by the isolation responder for
// one incident (provided.al2023, arm64, built with -tags lambda.norpc as "bootstrap"). Only the
// release role may invoke it (the component grants lambda:InvokeFunction to that role only); the
// event must name the incident, who requests the release and why:
//
//	{"incidentId": "<GuardDuty finding id>", "requestedBy": "<name>", "reason": "<text>"}
//
// Environment: STATE_TABLE, TOPIC_ARN, EVIDENCE_LOG_GROUP, ACCOUNT_ID, AWS_REGION (see
// internal/lambda/isolation).
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/fintech-resilience/fintech-resilience/functions/contract"
	"github.com/fintech-resilience/fintech-resilience/internal/lambda/isolation"
)

func main() {
	logger := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	rel, err := setup(context.Background(), logger)
	lambda.Start(isolation.Handler(logger, contract.FunctionRelease, rel, err))
}

func setup(ctx context.Context, logger *slog.Logger) (*isolation.Releaser, error) {
	cfg, err := isolation.LoadReleaseConfig(os.Getenv)
	if err != nil {
		return nil, err
	}
	awsCfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("loading AWS configuration: %w", err)
	}
	return isolation.NewReleaser(cfg, isolation.NewAWSReleaseDeps(awsCfg, cfg, logger))
}
