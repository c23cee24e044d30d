package contract

// The contract between components/isolationresponder and its functions
// (functions/isolate, functions/release; logic and config loader in
// internal/lambda/isolation).

// Environment variables the component sets on the isolate function (all of
// them) and on the release function (StateTable, TopicArn, EvidenceLogGroup,
// AccountID).
const (
	// IsolationEnvStateTable is the DynamoDB table of replaced associations.
	IsolationEnvStateTable = "STATE_TABLE"
	// IsolationEnvQuarantineNACLs is a JSON object: VPC id -> quarantine
	// network ACL id.
	IsolationEnvQuarantineNACLs = "QUARANTINE_NACLS"
	// IsolationEnvBlastRadiusSubnets is a JSON object: VPC id -> subnet ids
	// isolated when a finding names no network resource.
	IsolationEnvBlastRadiusSubnets = "BLAST_RADIUS_SUBNETS"
	// IsolationEnvAccountID is the only account whose findings are acted on.
	IsolationEnvAccountID = "ACCOUNT_ID"
	// IsolationEnvSeverityThreshold: findings below it are ignored.
	IsolationEnvSeverityThreshold = "SEVERITY_THRESHOLD"
	// IsolationEnvFindingTypePrefixes is a comma-separated list of finding
	// type prefixes acted on (empty: all).
	IsolationEnvFindingTypePrefixes = "FINDING_TYPE_PREFIXES"
	// IsolationEnvImmediateSeverity: findings at or above it isolate at
	// once; below it a human approves first.
	IsolationEnvImmediateSeverity = "IMMEDIATE_SEVERITY"
	// IsolationEnvApprovalStateMachineArn is the approval workflow started
	// for findings below the immediate severity.
	IsolationEnvApprovalStateMachineArn = "APPROVAL_STATE_MACHINE_ARN"
	// IsolationEnvTopicArn is the SNS topic of the notifications.
	IsolationEnvTopicArn = "TOPIC_ARN"
	// IsolationEnvEvidenceLogGroup is the log group of the incident timeline.
	IsolationEnvEvidenceLogGroup = "EVIDENCE_LOG_GROUP"
	// IsolationEnvAuroraClusterIDs is a comma-separated list of DB clusters
	// snapshotted as evidence.
	IsolationEnvAuroraClusterIDs = "AURORA_CLUSTER_IDS"
	// IsolationEnvActOnSampleFindings says whether GuardDuty sample
	// findings isolate ("true") or only notify.
	IsolationEnvActOnSampleFindings = "ACT_ON_SAMPLE_FINDINGS"
	// IsolationEnvReleaseFunctionName is the release function named in the
	// incident report.
	IsolationEnvReleaseFunctionName = "RELEASE_FUNCTION_NAME"
)

// RuntimeEnvRegion is set by the Lambda runtime, not by a component.
const RuntimeEnvRegion = "AWS_REGION"

// Defaults of the isolation settings, applied by the component to its Args
// and by the function to an empty variable.
const (
	// IsolationDefaultSeverityThreshold is GuardDuty's "high".
	IsolationDefaultSeverityThreshold = 7.0
	// IsolationDefaultImmediateSeverity is GuardDuty's "critical".
	IsolationDefaultImmediateSeverity = 9.0
	// IsolationDefaultActOnSampleFindings: rehearsals with sample findings
	// notify but do not isolate (docs/runbooks/isolation.md).
	IsolationDefaultActOnSampleFindings = false
)

// IsolationActionApproved is the "action" of the isolate function's
// invocation by the approval state machine, after a human approved.
const IsolationActionApproved = "isolate-approved"
