// Command restoremetrics is the Lambda function (provided.al2023, arm64,
// built as "bootstrap" with the lambda.norpc tag) that puts the recovery
// objectives a restore achieved as CloudWatch metrics (names in
// functions/contract): RecoveryPointAgeSeconds (RPO) and
// RecoveryTimeSeconds (RTO) by RestoreKind and Milestone.
//
// Events: from the restore workflow {"restoreJobId", "executionStartTime",
// "milestone": "verified"|"cutover"}; from EventBridge an AWS Backup
// "Restore Job State Change" event (restore tests; restore jobs no restore
// testing plan started are skipped).
// Result: {"restoreKind", "milestone", "recoveryPointAgeSeconds"?,
// "recoveryTimeSeconds"?, "skipped"?}.
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
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"

	"github.com/fintech-resilience/fintech-resilience/internal/lambda/restore"
)

type handler struct {
	recorder *restore.Recorder
}

// handle returns the typed errors of package restore unwrapped, so the
// Lambda error type (and the state machine's Catch) names them.
func (h *handler) handle(ctx context.Context, raw json.RawMessage) (restore.MetricsOutput, error) {
	in, ev, err := restore.ParseMetricsEvent(raw)
	if err != nil {
		return restore.MetricsOutput{}, err
	}
	if ev != nil {
		return h.recorder.RecordTestRestore(ctx, *ev)
	}
	return h.recorder.RecordWorkflow(ctx, *in)
}

func main() {
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		lambda.Start(func(context.Context, json.RawMessage) (restore.MetricsOutput, error) {
			return restore.MetricsOutput{}, fmt.Errorf("restoremetrics: load AWS configuration: %w", err)
		})
		return
	}
	h := &handler{recorder: &restore.Recorder{Backup: backup.NewFromConfig(cfg), CloudWatch: cloudwatch.NewFromConfig(cfg)}}
	lambda.Start(h.handle)
}
