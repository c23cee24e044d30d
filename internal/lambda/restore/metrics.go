package restore

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/backup"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/fintech-resilience/fintech-resilience/functions/contract"
)

// RestoreJobAPI is the part of the AWS Backup client restoremetrics uses.
type RestoreJobAPI interface {
	DescribeRestoreJob(ctx context.Context, in *backup.DescribeRestoreJobInput, opts ...func(*backup.Options)) (*backup.DescribeRestoreJobOutput, error)
}

// MetricsAPI is the part of the CloudWatch client restoremetrics uses.
type MetricsAPI interface {
	PutMetricData(ctx context.Context, in *cloudwatch.PutMetricDataInput, opts ...func(*cloudwatch.Options)) (*cloudwatch.PutMetricDataOutput, error)
}

// MetricsInput is the restoremetrics event from the restore workflow:
// the restore job it started, the execution's start ($$.Execution.StartTime)
// and the milestone just reached (verified or cutover).
type MetricsInput struct {
	RestoreJobID       string `json:"restoreJobId"`
	ExecutionStartTime string `json:"executionStartTime"`
	Milestone          string `json:"milestone"`
}

// RestoreJobEvent is the EventBridge "Restore Job State Change" event of
// AWS Backup (only the members restoremetrics reads).
type RestoreJobEvent struct {
	Source     string `json:"source"`
	DetailType string `json:"detail-type"`
	Detail     struct {
		RestoreJobID string `json:"restoreJobId"`
		Status       string `json:"status"`
	} `json:"detail"`
}

// MetricsOutput is what was put: RecoveryPointAgeSeconds is only put with
// the first milestone of a restore (it does not change afterwards).
type MetricsOutput struct {
	RestoreKind             string   `json:"restoreKind"`
	Milestone               string   `json:"milestone,omitempty"`
	RecoveryPointAgeSeconds *float64 `json:"recoveryPointAgeSeconds,omitempty"`
	RecoveryTimeSeconds     *float64 `json:"recoveryTimeSeconds,omitempty"`
	// Skipped says why nothing was put (a restore that is not a test restore).
	Skipped string `json:"skipped,omitempty"`
}

// Recorder puts the recovery objectives achieved by a restore.
type Recorder struct {
	Backup     RestoreJobAPI
	CloudWatch MetricsAPI
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

const detailTypeRestoreJob = "Restore Job State Change"

// ParseMetricsEvent tells the two events of restoremetrics apart: an
// EventBridge restore job event (non-nil *RestoreJobEvent) or the
// workflow's MetricsInput.
func ParseMetricsEvent(raw []byte) (*MetricsInput, *RestoreJobEvent, error) {
	var probe struct {
		DetailType *string `json:"detail-type"`
	}
	if err := json.Unmarshal(raw, &probe); err != nil {
		return nil, nil, &InputError{Msg: fmt.Sprintf("event is not a JSON object: %v", err)}
	}
	if probe.DetailType != nil {
		var ev RestoreJobEvent
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, nil, &InputError{Msg: fmt.Sprintf("restore job event: %v", err)}
		}
		if ev.Source != "aws.backup" || ev.DetailType != detailTypeRestoreJob || ev.Detail.RestoreJobID == "" {
			return nil, nil, &InputError{Msg: fmt.Sprintf("event %q from %q with restore job %q is not an AWS Backup %q event", ev.DetailType, ev.Source, ev.Detail.RestoreJobID, detailTypeRestoreJob)}
		}
		return nil, &ev, nil
	}
	var in MetricsInput
	if err := decodeStrict(raw, &in); err != nil {
		return nil, nil, err
	}
	if in.RestoreJobID == "" {
		return nil, nil, &InputError{Msg: "restoreJobId is required"}
	}
	if in.Milestone != contract.MilestoneVerified && in.Milestone != contract.MilestoneCutover {
		return nil, nil, &InputError{Msg: fmt.Sprintf("milestone %q is not %s or %s", in.Milestone, contract.MilestoneVerified, contract.MilestoneCutover)}
	}
	if _, err := time.Parse(time.RFC3339Nano, in.ExecutionStartTime); err != nil {
		return nil, nil, &InputError{Msg: fmt.Sprintf("executionStartTime %q is not an RFC 3339 time", in.ExecutionStartTime)}
	}
	return &in, nil, nil
}

func (r *Recorder) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func (r *Recorder) describe(ctx context.Context, id string) (*backup.DescribeRestoreJobOutput, error) {
	out, err := r.Backup.DescribeRestoreJob(ctx, &backup.DescribeRestoreJobInput{RestoreJobId: aws.String(id)})
	if err != nil {
		return nil, awsErr(err, "backup:DescribeRestoreJob %s", id)
	}
	return out, nil
}

// recoveryPointAge is the RPO achieved: the recovery point's age when the
// restore job started.
func recoveryPointAge(job *backup.DescribeRestoreJobOutput) (float64, error) {
	if job.RecoveryPointCreationDate == nil || job.CreationDate == nil {
		return 0, &InputError{Msg: fmt.Sprintf("restore job %s has no RecoveryPointCreationDate or CreationDate", aws.ToString(job.RestoreJobId))}
	}
	return seconds(job.CreationDate.Sub(*job.RecoveryPointCreationDate)), nil
}

func seconds(d time.Duration) float64 {
	return math.Max(0, math.Round(d.Seconds()))
}

// RecordWorkflow puts the objectives of a restore workflow execution at a
// milestone: RecoveryTimeSeconds from the execution's start to now, and at
// the verified milestone also RecoveryPointAgeSeconds.
func (r *Recorder) RecordWorkflow(ctx context.Context, in MetricsInput) (MetricsOutput, error) {
	start, err := time.Parse(time.RFC3339Nano, in.ExecutionStartTime)
	if err != nil {
		return MetricsOutput{}, &InputError{Msg: fmt.Sprintf("executionStartTime %q is not an RFC 3339 time", in.ExecutionStartTime)}
	}
	out := MetricsOutput{RestoreKind: contract.RestoreKindWorkflow, Milestone: in.Milestone}
	rto := seconds(r.now().Sub(start))
	out.RecoveryTimeSeconds = &rto
	if in.Milestone == contract.MilestoneVerified {
		job, err := r.describe(ctx, in.RestoreJobID)
		if err != nil {
			return MetricsOutput{}, err
		}
		rpo, err := recoveryPointAge(job)
		if err != nil {
			return MetricsOutput{}, err
		}
		out.RecoveryPointAgeSeconds = &rpo
	}
	return out, r.put(ctx, out)
}

// RecordTestRestore puts the objectives of a completed restore test:
// RecoveryPointAgeSeconds and RecoveryTimeSeconds from the restore job's
// creation to its completion. Restore jobs that no restore testing plan
// started (the workflow's own) are skipped: the workflow records them.
func (r *Recorder) RecordTestRestore(ctx context.Context, ev RestoreJobEvent) (MetricsOutput, error) {
	out := MetricsOutput{RestoreKind: contract.RestoreKindTest}
	if ev.Detail.Status != "COMPLETED" {
		out.Skipped = fmt.Sprintf("restore job %s is %s, not COMPLETED", ev.Detail.RestoreJobID, ev.Detail.Status)
		return out, nil
	}
	job, err := r.describe(ctx, ev.Detail.RestoreJobID)
	if err != nil {
		return MetricsOutput{}, err
	}
	if job.CreatedBy == nil || aws.ToString(job.CreatedBy.RestoreTestingPlanArn) == "" {
		out.Skipped = fmt.Sprintf("restore job %s was not started by a restore testing plan", ev.Detail.RestoreJobID)
		return out, nil
	}
	if job.CompletionDate == nil || job.CreationDate == nil {
		return MetricsOutput{}, &InputError{Msg: fmt.Sprintf("restore job %s has no CreationDate or CompletionDate", ev.Detail.RestoreJobID)}
	}
	rpo, err := recoveryPointAge(job)
	if err != nil {
		return MetricsOutput{}, err
	}
	rto := seconds(job.CompletionDate.Sub(*job.CreationDate))
	out.Milestone, out.RecoveryPointAgeSeconds, out.RecoveryTimeSeconds = contract.MilestoneRestored, &rpo, &rto
	return out, r.put(ctx, out)
}

// put sends the datapoints of out in one PutMetricData call.
func (r *Recorder) put(ctx context.Context, out MetricsOutput) error {
	kind := cwtypes.Dimension{Name: aws.String(contract.DimensionRestoreKind), Value: aws.String(out.RestoreKind)}
	var data []cwtypes.MetricDatum
	if out.RecoveryPointAgeSeconds != nil {
		data = append(data, cwtypes.MetricDatum{
			MetricName: aws.String(contract.MetricRecoveryPointAge), Dimensions: []cwtypes.Dimension{kind},
			Value: out.RecoveryPointAgeSeconds, Unit: cwtypes.StandardUnitSeconds,
		})
	}
	if out.RecoveryTimeSeconds != nil {
		data = append(data, cwtypes.MetricDatum{
			MetricName: aws.String(contract.MetricRecoveryTime),
			Dimensions: []cwtypes.Dimension{kind, {Name: aws.String(contract.DimensionMilestone), Value: aws.String(out.Milestone)}},
			Value:      out.RecoveryTimeSeconds, Unit: cwtypes.StandardUnitSeconds,
		})
	}
	if _, err := r.CloudWatch.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{
		Namespace: aws.String(contract.RecoveryMetricsNamespace), MetricData: data,
	}); err != nil {
		return awsErr(err, "cloudwatch:PutMetricData %s", contract.RecoveryMetricsNamespace)
	}
	return nil
}
