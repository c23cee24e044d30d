// Command restoreverify is the Lambda function (provided.al2023, arm64,
// built as "bootstrap" with the lambda.norpc tag) that checks a cluster the
// restore workflow restored: available, encrypted with the expected
// customer-managed key, in the expected subnet group, of the expected
// engine, with at least one available instance and, when a query is given,
// answering it through the RDS Data API.
//
// Event: {"clusterIdentifier", "expectedKmsKeyArn", "expectedSubnetGroup",
// "expectedEngine", "secretArn"?, "query"?, "database"?}.
// Result: {"verified": true, "clusterArn", "endpoint", "readerEndpoint", "checks": [...]};
// any failed check is a VerificationError.
// Environment: only the standard AWS variables (AWS_REGION, and
// AWS_ENDPOINT_URL to point the SDK at an emulator). The logic is in
// internal/lambda/restore.
package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rdsdata"

	"github.com/fintech-resilience/fintech-resilience/internal/lambda/restore"
)

type handler struct {
	verifier *restore.Verifier
}

// handle returns the typed errors of package restore unwrapped, so the
// Lambda error type (and the state machine's Catch) names them.
func (h *handler) handle(ctx context.Context, raw json.RawMessage) (restore.VerifyOutput, error) {
	in, err := restore.ParseVerifyInput(raw)
	if err != nil {
		return restore.VerifyOutput{}, err
	}
	return h.verifier.Verify(ctx, in)
}

func main() {
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		lambda.Start(func(context.Context, json.RawMessage) (restore.VerifyOutput, error) {
			return restore.VerifyOutput{}, fmt.Errorf("restoreverify: load AWS configuration: %w", err)
		})
		return
	}
	h := &handler{verifier: &restore.Verifier{RDS: rds.NewFromConfig(cfg), Data: rdsdata.NewFromConfig(cfg)}}
	lambda.Start(h.handle)
}
