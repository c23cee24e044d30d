package restore

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/backup"
	"github.com/aws/aws-sdk-go-v2/service/backup/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fintech-resilience/fintech-resilience/functions/contract"
)

type fakeRestoreJobs struct {
	out *backup.DescribeRestoreJobOutput
	err error
	in  []string
}

func (f *fakeRestoreJobs) DescribeRestoreJob(_ context.Context, in *backup.DescribeRestoreJobInput, _ ...func(*backup.Options)) (*backup.DescribeRestoreJobOutput, error) {
	f.in = append(f.in, aws.ToString(in.RestoreJobId))
	return f.out, f.err
}

type fakeMetrics struct {
	puts []*cloudwatch.PutMetricDataInput
	err  error
}

func (f *fakeMetrics) PutMetricData(_ context.Context, in *cloudwatch.PutMetricDataInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.PutMetricDataOutput, error) {
	f.puts = append(f.puts, in)
	return &cloudwatch.PutMetricDataOutput{}, f.err
}

// completedJob is a DescribeRestoreJob answer as AWS Backup gives it for a
// completed Aurora restore: the recovery point was taken 02:00, the job
// created 05:30 and completed 06:15 (UTC).
func completedJob(testPlan string) *backup.DescribeRestoreJobOutput {
	day := time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC)
	out := &backup.DescribeRestoreJobOutput{
		AccountId: aws.String("333333333333"), RestoreJobId: aws.String("8F2C7A1E-3B4D-4E5F-9A0B-1C2D3E4F5A6B"),
		RecoveryPointArn:          aws.String(rpArn),
		RecoveryPointCreationDate: aws.Time(day.Add(2 * time.Hour)),
		CreationDate:              aws.Time(day.Add(5*time.Hour + 30*time.Minute)),
		CompletionDate:            aws.Time(day.Add(6*time.Hour + 15*time.Minute)),
		Status:                    types.RestoreJobStatusCompleted, PercentDone: aws.String("100.00%"),
		ResourceType:       aws.String(ResourceTypeAurora),
		CreatedResourceArn: aws.String("arn:aws:rds:ap-northeast-1:333333333333:cluster:awsbackup-restore-test-1"),
		IamRoleArn:         aws.String("arn:aws:iam::333333333333:role/restore"),
	}
	if testPlan != "" {
		out.CreatedBy = &types.RestoreJobCreator{RestoreTestingPlanArn: aws.String(testPlan)}
	}
	return out
}

func datum(t *testing.T, in *cloudwatch.PutMetricDataInput, metric string) cwtypes.MetricDatum {
	t.Helper()
	for _, d := range in.MetricData {
		if aws.ToString(d.MetricName) == metric {
			return d
		}
	}
	t.Fatalf("no %s in %v", metric, in.MetricData)
	return cwtypes.MetricDatum{}
}

func dims(d cwtypes.MetricDatum) map[string]string {
	out := map[string]string{}
	for _, x := range d.Dimensions {
		out[aws.ToString(x.Name)] = aws.ToString(x.Value)
	}
	return out
}

func TestRecordWorkflowVerified(t *testing.T) {
	jobs, cw := &fakeRestoreJobs{out: completedJob("")}, &fakeMetrics{}
	now := time.Date(2026, 12, 4, 6, 40, 0, 0, time.UTC)
	r := &Recorder{Backup: jobs, CloudWatch: cw, Now: func() time.Time { return now }}
	in, ev, err := ParseMetricsEvent([]byte(`{"restoreJobId":"8F2C7A1E-3B4D-4E5F-9A0B-1C2D3E4F5A6B","executionStartTime":"2026-12-04T05:29:30.123Z","milestone":"verified"}`))
	require.NoError(t, err)
	require.Nil(t, ev)
	out, err := r.RecordWorkflow(context.Background(), *in)
	require.NoError(t, err)
	assert.Equal(t, []string{"8F2C7A1E-3B4D-4E5F-9A0B-1C2D3E4F5A6B"}, jobs.in)
	// RPO: recovery point 02:00, job started 05:30. RTO: 05:29:30.123 to 06:40.
	assert.Equal(t, 3.5*3600, *out.RecoveryPointAgeSeconds)
	assert.Equal(t, float64(70*60+30), *out.RecoveryTimeSeconds)
	require.Len(t, cw.puts, 1)
	put := cw.puts[0]
	assert.Equal(t, "FinTech/Recovery", aws.ToString(put.Namespace))
	rpo := datum(t, put, "RecoveryPointAgeSeconds")
	assert.Equal(t, 12600.0, aws.ToFloat64(rpo.Value))
	assert.Equal(t, cwtypes.StandardUnitSeconds, rpo.Unit)
	assert.Equal(t, map[string]string{"RestoreKind": "workflow"}, dims(rpo))
	rto := datum(t, put, "RecoveryTimeSeconds")
	assert.Equal(t, 4230.0, aws.ToFloat64(rto.Value))
	assert.Equal(t, map[string]string{"RestoreKind": "workflow", "Milestone": "verified"}, dims(rto))
}

func TestRecordWorkflowCutoverPutsOnlyRecoveryTime(t *testing.T) {
	jobs, cw := &fakeRestoreJobs{out: completedJob("")}, &fakeMetrics{}
	r := &Recorder{Backup: jobs, CloudWatch: cw, Now: func() time.Time { return time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC) }}
	out, err := r.RecordWorkflow(context.Background(), MetricsInput{RestoreJobID: "j", ExecutionStartTime: "2026-12-04T05:00:00Z", Milestone: contract.MilestoneCutover})
	require.NoError(t, err)
	assert.Nil(t, out.RecoveryPointAgeSeconds)
	assert.Equal(t, 4*3600.0, *out.RecoveryTimeSeconds)
	assert.Empty(t, jobs.in, "the recovery point's age was put at the verified milestone")
	require.Len(t, cw.puts, 1)
	require.Len(t, cw.puts[0].MetricData, 1)
	assert.Equal(t, map[string]string{"RestoreKind": "workflow", "Milestone": "cutover"}, dims(cw.puts[0].MetricData[0]))
}

func TestRecordTestRestore(t *testing.T) {
	plan := "arn:aws:backup:ap-northeast-1:333333333333:restore-testing-plan:fintech_bunker_restore_test-8f2c7a1e"
	event := []byte(`{"version":"0","id":"e1","detail-type":"Restore Job State Change","source":"aws.backup","account":"333333333333",
		"time":"2026-12-04T06:15:00Z","region":"ap-northeast-1","resources":[],
		"detail":{"restoreJobId":"8F2C7A1E-3B4D-4E5F-9A0B-1C2D3E4F5A6B","backupSizeInBytes":"2147483648","creationDate":"2026-12-04T05:30:00Z",
		"iamRoleArn":"arn:aws:iam::333333333333:role/restore","percentDone":100.0,"resourceType":"Aurora","status":"COMPLETED",
		"createdResourceArn":"arn:aws:rds:ap-northeast-1:333333333333:cluster:awsbackup-restore-test-1"}}`)
	in, ev, err := ParseMetricsEvent(event)
	require.NoError(t, err)
	require.Nil(t, in)
	require.NotNil(t, ev)

	jobs, cw := &fakeRestoreJobs{out: completedJob(plan)}, &fakeMetrics{}
	r := &Recorder{Backup: jobs, CloudWatch: cw}
	out, err := r.RecordTestRestore(context.Background(), *ev)
	require.NoError(t, err)
	assert.Equal(t, "", out.Skipped)
	assert.Equal(t, 12600.0, *out.RecoveryPointAgeSeconds)
	assert.Equal(t, 45*60.0, *out.RecoveryTimeSeconds, "job created 05:30, completed 06:15")
	require.Len(t, cw.puts, 1)
	assert.Equal(t, map[string]string{"RestoreKind": "restore-test"}, dims(datum(t, cw.puts[0], "RecoveryPointAgeSeconds")))
	assert.Equal(t, map[string]string{"RestoreKind": "restore-test", "Milestone": "restored"}, dims(datum(t, cw.puts[0], "RecoveryTimeSeconds")))

	// The workflow's own restore jobs (no restore testing plan) are skipped:
	// the workflow records them itself, with its own start.
	jobs.out, cw.puts = completedJob(""), nil
	out, err = r.RecordTestRestore(context.Background(), *ev)
	require.NoError(t, err)
	assert.Contains(t, out.Skipped, "not started by a restore testing plan")
	assert.Empty(t, cw.puts)

	// A failed restore test is no recovery time.
	ev.Detail.Status = "FAILED"
	out, err = r.RecordTestRestore(context.Background(), *ev)
	require.NoError(t, err)
	assert.Contains(t, out.Skipped, "FAILED")
	assert.Empty(t, cw.puts)
}

func TestRecordErrorsAreTyped(t *testing.T) {
	denied := errors.New("AccessDeniedException: not authorized to perform backup:DescribeRestoreJob")
	r := &Recorder{Backup: &fakeRestoreJobs{err: denied}, CloudWatch: &fakeMetrics{}}
	_, err := r.RecordWorkflow(context.Background(), MetricsInput{RestoreJobID: "j", ExecutionStartTime: "2026-12-04T05:00:00Z", Milestone: contract.MilestoneVerified})
	var ae *AWSError
	require.ErrorAs(t, err, &ae)
	assert.ErrorIs(t, err, denied)
	assert.Contains(t, err.Error(), "backup:DescribeRestoreJob j")

	throttled := errors.New("Throttling: Rate exceeded")
	cw := &fakeMetrics{err: throttled}
	r = &Recorder{Backup: &fakeRestoreJobs{out: completedJob("")}, CloudWatch: cw}
	_, err = r.RecordWorkflow(context.Background(), MetricsInput{RestoreJobID: "j", ExecutionStartTime: "2026-12-04T05:00:00Z", Milestone: contract.MilestoneVerified})
	require.ErrorAs(t, err, &ae)
	assert.Contains(t, err.Error(), "cloudwatch:PutMetricData FinTech/Recovery")

	// A job without the dates is not measurable: an input error, not retried.
	job := completedJob("")
	job.RecoveryPointCreationDate = nil
	r = &Recorder{Backup: &fakeRestoreJobs{out: job}, CloudWatch: &fakeMetrics{}}
	_, err = r.RecordWorkflow(context.Background(), MetricsInput{RestoreJobID: "j", ExecutionStartTime: "2026-12-04T05:00:00Z", Milestone: contract.MilestoneVerified})
	var ie *InputError
	require.ErrorAs(t, err, &ie)
}

func TestParseMetricsEventRejects(t *testing.T) {
	for name, raw := range map[string]string{
		"not json":          `[`,
		"no job":            `{"executionStartTime":"2026-12-04T05:00:00Z","milestone":"verified"}`,
		"unknown milestone": `{"restoreJobId":"j","executionStartTime":"2026-12-04T05:00:00Z","milestone":"done"}`,
		"bad start":         `{"restoreJobId":"j","executionStartTime":"yesterday","milestone":"verified"}`,
		"unknown member":    `{"restoreJobId":"j","executionStartTime":"2026-12-04T05:00:00Z","milestone":"verified","extra":1}`,
		"other event":       `{"detail-type":"Backup Job State Change","source":"aws.backup","detail":{"restoreJobId":"j"}}`,
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := ParseMetricsEvent([]byte(raw))
			var ie *InputError
			require.ErrorAs(t, err, &ie)
		})
	}
}

// The Lambda error types are the names the state machine matches
// (functions/contract): renaming a type without the contract turns this red.
func TestErrorTypesAreTheContractNames(t *testing.T) {
	for want, err := range map[string]error{
		contract.ErrorInput: &InputError{}, contract.ErrorRecoveryPoint: &RecoveryPointError{},
		contract.ErrorVerification: &VerificationError{}, contract.ErrorAWS: &AWSError{},
	} {
		assert.Equal(t, want, reflect.TypeOf(err).Elem().Name())
	}
}
