// Command isolate is the GuardDuty isolation responder Lambda (provided.al2023, arm64, built with
// -tags lambda.norpc as "bootstrap"). It only wires aws-lambda-go and aws-sdk-go-v2 to
// internal/lambda/isolation, whose package doc lists the environment variables.
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
	iso, err := setup(context.Background(), logger)
	lambda.Start(isolation.Handler(logger, contract.FunctionIsolate, iso, err))
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
	return isolation.NewIsolator(cfg, isolation.NewAWSDeps(awsCfg, cfg, logger))
}
