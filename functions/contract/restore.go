package contract

// The restore account's contract between components/restoreworkflow (state
// machine, IAM, alarms) and its functions (functions/restorepick,
// functions/restoreverify, functions/restoremetrics; logic in
// internal/lambda/restore). Each name is spelled here once.

// Restore function directories (functions/<name>): the component builds
// them, keys its function maps by them and names the deployed functions
// after them.
const (
	FunctionRestorePick    = "restorepick"
	FunctionRestoreVerify  = "restoreverify"
	FunctionRestoreMetrics = "restoremetrics"
)

// Lambda error types of the restore functions (the Go type names of
// internal/lambda/restore's errors, which Step Functions reports as the
// error name): the state machine's Retry and Catch match them.
const (
	// ErrorInput is a malformed event; never retried.
	ErrorInput = "InputError"
	// ErrorRecoveryPoint is no usable recovery point; never retried.
	ErrorRecoveryPoint = "RecoveryPointError"
	// ErrorVerification is a restored cluster failing a check; retried a
	// few times (a new cluster may need minutes before the Data API answers).
	ErrorVerification = "VerificationError"
	// ErrorAWS is a failed AWS API call; retried.
	ErrorAWS = "AWSError"
)

// Recovery objectives: CloudWatch metrics of every restore in the restore
// account, put by restoremetrics, alarmed on by the restore workflow.
const (
	// RecoveryMetricsNamespace is the CloudWatch namespace of the metrics.
	RecoveryMetricsNamespace = "FinTech/Recovery"
	// MetricRecoveryPointAge is the RPO actually achieved: seconds from the
	// restored recovery point's creation to the restore job's start.
	MetricRecoveryPointAge = "RecoveryPointAgeSeconds"
	// MetricRecoveryTime is the RTO actually achieved: seconds from the
	// start (workflow execution, or restore job for a restore test) to the
	// milestone.
	MetricRecoveryTime = "RecoveryTimeSeconds"

	// DimensionRestoreKind says which restore the datapoint measures:
	// RestoreKindWorkflow or RestoreKindTest.
	DimensionRestoreKind = "RestoreKind"
	// DimensionMilestone says which point RecoveryTimeSeconds measures to.
	DimensionMilestone = "Milestone"

	// RestoreKindWorkflow is a restore of the restore workflow.
	RestoreKindWorkflow = "workflow"
	// RestoreKindTest is a restore of an AWS Backup restore testing plan.
	RestoreKindTest = "restore-test"

	// MilestoneVerified: the workflow verified the restored cluster.
	MilestoneVerified = "verified"
	// MilestoneCutover: the workflow cut the application over.
	MilestoneCutover = "cutover"
	// MilestoneRestored: a restore test's restore job completed.
	MilestoneRestored = "restored"
)

// RecoveryTimeMilestones returns the milestones RecoveryTimeSeconds is put
// for by a restore of kind, in order (nil for an unknown kind).
func RecoveryTimeMilestones(kind string) []string {
	switch kind {
	case RestoreKindWorkflow:
		return []string{MilestoneVerified, MilestoneCutover}
	case RestoreKindTest:
		return []string{MilestoneRestored}
	}
	return nil
}
