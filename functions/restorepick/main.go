// Command restorepick is the Lambda function (provided.al2023, arm64,
// built as "bootstrap" with the lambda.norpc tag) that chooses the recovery
// point the restore workflow restores: the one named in the event, after
// checking it is a COMPLETED Aurora recovery point of the given vault, or
// the latest COMPLETED Aurora recovery point of that vault.
//
// Event: {"vaultArn": "<backup vault ARN>", "recoveryPointArn": "<optional>"}.
// Result: {"recoveryPointArn", "resourceArn", "creationDate", "sourceEngine", "vaultArn"}.
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
	"github.com/aws/aws-sdk-go-v2/service/backup"

	"github.com/fintech-resilience/fintech-resilience/internal/lambda/restore"
)

type handler struct {
	picker *restore.Picker
}

// handle returns the typed errors of package restore unwrapped, so the
// Lambda error type (and the state machine's Catch) names them.
func (h *handler) handle(ctx context.Context, raw json.RawMessage) (restore.PickOutput, error) {
	in, err := restore.ParsePickInput(raw)
	if err != nil {
		return restore.PickOutput{}, err
	}
	return h.picker.Pick(ctx, in)
}

func main() {
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		lambda.Start(func(context.Context, json.RawMessage) (restore.PickOutput, error) {
			return restore.PickOutput{}, fmt.Errorf("restorepick: load AWS configuration: %w", err)
		})
		return
	}
	h := &handler{picker: &restore.Picker{Backup: backup.NewFromConfig(cfg)}}
	lambda.Start(h.handle)
}
