package restoreworkflow

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/fintech-resilience/fintech-resilience/components/asl"
	"github.com/fintech-resilience/fintech-resilience/components/encryptedaurora"
	"github.com/fintech-resilience/fintech-resilience/functions/contract"
)

// State names of the workflow (tests and the runbook refer to them).
const (
	StateApplyDefaults    = "ApplyDefaults"
	StateNameRestore      = "NameRestore"
	StatePick             = "PickRecoveryPoint"
	StateStartRestore     = "StartRestoreJob"
	StateWaitRestore      = "WaitForRestoreJob"
	StateDescribeRestore  = "DescribeRestoreJob"
	StateRestoreStatus    = "RestoreJobStatus"
	StateRestoreJobFailed = "RecordRestoreJobFailure"
	StateConfigureCluster = "ConfigureCluster"
	StateInitInstances    = "InitInstances"
	StateWaitInstances    = "WaitForInstances"
	StateInstanceFailed   = "RecordInstanceFailure"
	StateCountRestorePoll = "CountRestorePoll"
	StateRestoreBudget    = "RestoreWithinBudget"
	StateCountInstPoll    = "CountInstancePoll"
	StateInstanceBudget   = "InstancesWithinBudget"
	StateBudgetExceeded   = "RecordBudgetExceeded"
	StateEnableDataAPI    = "EnableDataApi"
	StateVerify           = "VerifyRestore"
	StateRecordVerified   = "RecordVerifiedObjectives"
	StateRecordCutover    = "RecordCutoverObjectives"
	StateNotifyRestored   = "NotifyRestored"
	StateAwaitApproval    = "AwaitCutoverApproval"
	StatePutParameter     = "CutoverWriteEndpoint"
	StateUpdateService    = "CutoverRedeployService"
	StateNotifyCutover    = "NotifyCutover"
	StateSucceeded        = "RestoreComplete"
	StateNotifyFailure    = "NotifyFailure"
	StateFailed           = "RestoreFailed"
	ErrorCutoverRejected  = "CutoverRejected"
	ErrorRestoreJobFailed = "RestoreJobFailed"
	ErrorInstanceFailed   = "InstanceFailed"
	ErrorBudgetExceeded   = "RestoreBudgetExceeded"
	restoreResultPath     = "$.restore"
	failureResultPath     = "$.error"
	maxInstanceCount      = 9
	cutoverMarginSeconds  = 3600
)

// CreateLogGroupState is the name of the state creating the restored
// cluster's log group of log export i (1-based, encryptedaurora.LogExports order).
func CreateLogGroupState(i int) string { return fmt.Sprintf("CreateClusterLogGroup%d", i) }

// LogRetentionState is the name of the state setting log group i's retention.
func LogRetentionState(i int) string { return fmt.Sprintf("SetClusterLogRetention%d", i) }

// ObjectivesStates record the recovery objectives (restoremetrics). A
// persistent failure there does not stop the restore: the error is kept in
// $.objectives and sent with the next notification (docs/decisions/0019).
var ObjectivesStates = []string{StateRecordVerified, StateRecordCutover}

// ClusterLogGroupName is the log group RDS exports log type logType of
// cluster clusterID to.
func ClusterLogGroupName(clusterID, logType string) string {
	return fmt.Sprintf("/aws/rds/cluster/%s/%s", clusterID, logType)
}

// CreateInstanceState is the name of the state creating instance i (1-based).
func CreateInstanceState(i int) string { return fmt.Sprintf("CreateInstance%d", i) }

// CheckInstanceState is the name of the state describing instance i.
func CheckInstanceState(i int) string { return fmt.Sprintf("CheckInstance%d", i) }

// InstanceReadyState is the name of the choice on instance i's status.
func InstanceReadyState(i int) string { return fmt.Sprintf("Instance%dReady", i) }

// CutoverStates change what the application uses; they must only run after
// the approval task.
var CutoverStates = []string{StatePutParameter, StateUpdateService, StateRecordCutover, StateNotifyCutover, StateSucceeded}

// DefinitionParams are the resolved values the definition is built from.
type DefinitionParams struct {
	Region            string
	PickFunctionArn   string
	VerifyFunctionArn string
	// MetricsFunctionArn is restoremetrics: the recovery objectives.
	MetricsFunctionArn string
	// LogsKeyArn encrypts the restored cluster's log groups, which keep
	// their exports DatabaseLogRetentionDays (the workload's retention).
	LogsKeyArn               string
	DatabaseLogRetentionDays int
	VaultArn                 string
	RestoreRoleArn           string
	SubnetGroupName          string
	SecurityGroupIDs         []string
	// ParameterGroupName is the restore account's cluster parameter group
	// of encryptedaurora's posture (TLS required).
	ParameterGroupName string
	// BackupTags go on the restored cluster, like on the workload's.
	BackupTags              map[string]string
	KeyArn                  string
	Engine                  string
	EngineVersion           string
	ClusterIdentifierPrefix string
	InstanceCount           int
	MinCapacity             float64
	MaxCapacity             float64
	PollIntervalSeconds     int
	RestoreTimeoutSeconds   int
	ApprovalTimeoutSeconds  int
	VerifyQuery             string
	VerifyDatabase          string
	TopicArn                string
	CutoverParameterName    string
	EcsClusterArn           string
	EcsServiceName          string
}

// TotalTimeoutSeconds is the state machine's TimeoutSeconds: the restore
// budget, the approval window and an hour for the cut-over. It is a last
// resort: the states enforce the restore budget themselves (MaxPolls), and
// an execution that times out anyway is reported by the execution-status
// rule (alerts.go).
func (p DefinitionParams) TotalTimeoutSeconds() int {
	return p.RestoreTimeoutSeconds + p.ApprovalTimeoutSeconds + cutoverMarginSeconds
}

// MaxPolls is how many status polls (restore job and instances together)
// fit in the restore budget: their waits add up to at most the budget less
// one poll interval, which is left for the API calls and the verification.
// The next poll would overrun the budget, so the workflow fails with
// RestoreBudgetExceeded through the failure notification instead.
func (p DefinitionParams) MaxPolls() int {
	if p.PollIntervalSeconds <= 0 {
		return 0
	}
	return (p.RestoreTimeoutSeconds - p.PollIntervalSeconds) / p.PollIntervalSeconds
}

// Retry policies. Lambda errors named by internal/lambda/restore:
// AWSError is retried, VerificationError a few times (a new cluster may need
// minutes before the Data API answers), RecoveryPointError and InputError
// never.
var lambdaTransient = []string{"Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException", "Lambda.TooManyRequestsException", contract.ErrorAWS}

func backoff(errs []string, interval, attempts int) asl.Retrier {
	return asl.Retrier{ErrorEquals: errs, IntervalSeconds: interval, MaxAttempts: attempts, BackoffRate: 2, MaxDelaySeconds: 300}
}

// sdkTransient are the errors of an AWS SDK integration worth retrying for
// a call that is not idempotent: the service's generic exception
// (throttling, internal errors) and client-side faults.
func sdkTransient(svc string, extra ...string) []string {
	out := []string{svc + "." + svc + "Exception", svc + ".SdkClientException"}
	for _, e := range extra {
		out = append(out, svc+"."+e)
	}
	return out
}

// Idempotent calls (describe, put with overwrite, notifications) retry any
// task failure; States.TaskFailed does not match States.Timeout.
var anyTaskFailure = []string{"States.TaskFailed"}

func catchAll() []asl.Catcher {
	return []asl.Catcher{{ErrorEquals: []string{"States.ALL"}, ResultPath: failureResultPath, Next: StateNotifyFailure}}
}

// Definition builds the restore workflow. Validate it with asl.Validate (Marshal does).
func Definition(p DefinitionParams) (*asl.StateMachine, error) {
	if p.InstanceCount < 1 || p.InstanceCount > maxInstanceCount {
		return nil, fmt.Errorf("instance count %d is outside 1 to %d", p.InstanceCount, maxInstanceCount)
	}
	if p.DatabaseLogRetentionDays < 1 {
		return nil, fmt.Errorf("database log retention %d days is not positive", p.DatabaseLogRetentionDays)
	}
	if p.MaxPolls() < 1 {
		return nil, fmt.Errorf("restore budget %d s leaves no status poll of %d s", p.RestoreTimeoutSeconds, p.PollIntervalSeconds)
	}
	sgs, err := json.Marshal(p.SecurityGroupIDs)
	if err != nil {
		return nil, fmt.Errorf("security group list: %w", err)
	}
	states := map[string]asl.State{}
	clusterID := "$.cluster.identifier"
	instanceID := func(i int) string { return fmt.Sprintf("States.Format('{}-%d', %s)", i, clusterID) }

	// 1. Input {"recoveryPointArn"?}: default it to "" (latest), and name
	// the restore after the execution, so every execution restores into a
	// cluster of its own.
	states[StateApplyDefaults] = &asl.Pass{
		Comment:    "Keep the execution input and the defaults side by side",
		Parameters: map[string]any{"defaults": map[string]any{"recoveryPointArn": ""}, "input.$": "$"},
		ResultPath: "$",
		Next:       StateNameRestore,
	}
	states[StateNameRestore] = &asl.Pass{
		Comment: "An empty recoveryPointArn means the latest completed one; the cluster is named after the execution",
		Parameters: map[string]any{
			"request.$": "States.JsonMerge($.defaults, $.input, false)",
			"cluster": map[string]any{
				"identifier.$": fmt.Sprintf("States.Format('%s-{}', $$.Execution.Name)", asl.Literal(p.ClusterIdentifierPrefix)),
			},
			// Status polls so far, against MaxPolls: the restore budget.
			"budget": map[string]any{"polls": 0, "maxPolls": p.MaxPolls()},
		},
		ResultPath: "$",
		Next:       StatePick,
	}
	states[StatePick] = &asl.Task{
		Comment:  "restorepick: the named recovery point after checks, or the latest COMPLETED Aurora one of the vault",
		Resource: "arn:aws:states:::lambda:invoke",
		Parameters: map[string]any{
			"FunctionName": p.PickFunctionArn,
			"Payload": map[string]any{
				"vaultArn":           p.VaultArn,
				"recoveryPointArn.$": "$.request.recoveryPointArn",
			},
		},
		ResultSelector: map[string]any{
			"recoveryPointArn.$": "$.Payload.recoveryPointArn",
			"resourceArn.$":      "$.Payload.resourceArn",
			"creationDate.$":     "$.Payload.creationDate",
			"sourceEngine.$":     "$.Payload.sourceEngine",
		},
		ResultPath:     "$.pick",
		TimeoutSeconds: 300,
		Retry:          []asl.Retrier{backoff(lambdaTransient, 5, 6)},
		Catch:          catchAll(),
		Next:           CreateLogGroupState(1),
	}
	logGroupStates(states, p, clusterID)
	metadata := map[string]any{
		"DBClusterIdentifier.$": clusterID,
		"DBSubnetGroupName":     p.SubnetGroupName,
		"VpcSecurityGroupIds":   string(sgs),
		"KmsKeyId":              p.KeyArn,
		"Engine":                p.Engine,
		"DeletionProtection":    "true",
	}
	if p.EngineVersion != "" {
		metadata["EngineVersion"] = p.EngineVersion
	}
	states[StateStartRestore] = &asl.Task{
		Comment:  "AWS Backup restores the picked recovery point into the isolated subnet group, re-encrypted with the restore key",
		Resource: "arn:aws:states:::aws-sdk:backup:startRestoreJob",
		Parameters: map[string]any{
			"RecoveryPointArn.$": "$.pick.recoveryPointArn",
			"IamRoleArn":         p.RestoreRoleArn,
			"ResourceType":       "Aurora",
			"IdempotencyToken.$": "$$.Execution.Name",
			"Metadata":           metadata,
			// The workload cluster's tags, among them the backup selection
			// tag, travel with its recovery points: the restored cluster
			// carries them too.
			"CopySourceTagsToRestoredResource": true,
		},
		ResultSelector: map[string]any{"restoreJobId.$": "$.RestoreJobId"},
		ResultPath:     restoreResultPath,
		// The idempotency token makes a retried start return the same job.
		Retry: []asl.Retrier{backoff(sdkTransient("Backup", "ServiceUnavailableException"), 10, 6)},
		Catch: catchAll(),
		Next:  StateWaitRestore,
	}
	states[StateWaitRestore] = &asl.Wait{Seconds: p.PollIntervalSeconds, Next: StateCountRestorePoll}
	states[StateCountRestorePoll] = countPoll(StateDescribeRestore)
	states[StateDescribeRestore] = &asl.Task{
		Resource:   "arn:aws:states:::aws-sdk:backup:describeRestoreJob",
		Parameters: map[string]any{"RestoreJobId.$": "$.restore.restoreJobId"},
		ResultPath: "$.restoreJob",
		Retry:      []asl.Retrier{backoff(anyTaskFailure, 10, 6)},
		Catch:      catchAll(),
		Next:       StateRestoreStatus,
	}
	states[StateRestoreStatus] = &asl.Choice{
		Choices: []asl.ChoiceRule{
			{Variable: "$.restoreJob.Status", StringEquals: asl.String("COMPLETED"), Next: StateConfigureCluster},
			{Variable: "$.restoreJob.Status", StringEquals: asl.String("FAILED"), Next: StateRestoreJobFailed},
			{Variable: "$.restoreJob.Status", StringEquals: asl.String("ABORTED"), Next: StateRestoreJobFailed},
		},
		Default: StateRestoreBudget, // PENDING, RUNNING
	}
	states[StateRestoreBudget] = withinBudget(p, StateWaitRestore)
	states[StateRestoreJobFailed] = &asl.Pass{
		Parameters: map[string]any{
			"Error":   ErrorRestoreJobFailed,
			"Cause.$": "States.Format('restore job {} ended {}', $.restore.restoreJobId, $.restoreJob.Status)",
		},
		ResultPath: failureResultPath,
		Next:       StateNotifyFailure,
	}
	// The restored cluster gets the posture encryptedaurora gives the
	// workload's (one source: encryptedaurora.PostureFor): IAM database
	// authentication, the TLS parameter group, log exports, deletion
	// protection, tags copied to snapshots, a new master password managed by
	// Secrets Manager with the restore key (the old one may be known to the
	// attacker); Performance Insights is set on each instance.
	posture := encryptedaurora.PostureFor(p.Engine)
	states[StateConfigureCluster] = &asl.Task{
		Comment:  "Serverless v2 capacity and the workload cluster's posture (encryptedaurora.PostureFor), with a new managed master password",
		Resource: "arn:aws:states:::aws-sdk:rds:modifyDBCluster",
		Parameters: map[string]any{
			"DbClusterIdentifier.$": clusterID,
			"ServerlessV2ScalingConfiguration": map[string]any{
				"MinCapacity": p.MinCapacity,
				"MaxCapacity": p.MaxCapacity,
			},
			"ManageMasterUserPassword":        posture.ManagedMasterPassword,
			"MasterUserSecretKmsKeyId":        p.KeyArn,
			"EnableIamDatabaseAuthentication": posture.IAMDatabaseAuthentication,
			"CloudwatchLogsExportConfiguration": map[string]any{
				"EnableLogTypes": posture.LogExports,
			},
			"DeletionProtection": posture.DeletionProtection,
			"CopyTagsToSnapshot": posture.CopyTagsToSnapshot,
			"ApplyImmediately":   true,
		},
		ResultSelector: map[string]any{"arn.$": "$.DbCluster.DbClusterArn"},
		ResultPath:     "$.clusterInfo",
		Retry: []asl.Retrier{
			backoff([]string{"Rds.InvalidDbClusterStateException"}, 30, 10),
			backoff(sdkTransient("Rds"), 10, 6),
		},
		Catch: catchAll(),
		Next:  StateInitInstances,
	}
	if p.ParameterGroupName != "" {
		configure := states[StateConfigureCluster].(*asl.Task)
		configure.Parameters["DbClusterParameterGroupName"] = p.ParameterGroupName
	}
	states[StateInitInstances] = &asl.Pass{
		Comment:    "Instance ids are recorded under $.instances",
		Result:     map[string]any{},
		ResultPath: "$.instances",
		Next:       CreateInstanceState(1),
	}
	for i := 1; i <= p.InstanceCount; i++ {
		next := StateWaitInstances
		if i < p.InstanceCount {
			next = CreateInstanceState(i + 1)
		}
		params := map[string]any{
			"DbInstanceIdentifier.$":             instanceID(i),
			"DbClusterIdentifier.$":              clusterID,
			"DbInstanceClass":                    "db.serverless",
			"Engine":                             p.Engine,
			"PubliclyAccessible":                 false,
			"EnablePerformanceInsights":          posture.PerformanceInsights,
			"PerformanceInsightsKmsKeyId":        p.KeyArn,
			"PerformanceInsightsRetentionPeriod": posture.PerformanceInsightsRetentionDays,
		}
		states[CreateInstanceState(i)] = &asl.Task{
			Resource:       "arn:aws:states:::aws-sdk:rds:createDBInstance",
			Parameters:     params,
			ResultSelector: map[string]any{"identifier.$": "$.DbInstance.DbInstanceIdentifier", "arn.$": "$.DbInstance.DbInstanceArn"},
			ResultPath:     fmt.Sprintf("$.instances.instance%d", i),
			Retry: []asl.Retrier{
				backoff([]string{"Rds.InvalidDbClusterStateException"}, 30, 10),
				backoff(sdkTransient("Rds"), 10, 4),
			},
			Catch: catchAll(),
			Next:  next,
		}
	}
	states[StateWaitInstances] = &asl.Wait{Seconds: p.PollIntervalSeconds, Next: StateCountInstPoll}
	states[StateCountInstPoll] = countPoll(CheckInstanceState(1))
	states[StateInstanceBudget] = withinBudget(p, StateWaitInstances)
	states[StateBudgetExceeded] = &asl.Pass{
		Comment: "The next poll would overrun the restore budget: fail through the failure notification",
		Parameters: map[string]any{
			"Error":   ErrorBudgetExceeded,
			"Cause.$": fmt.Sprintf("States.Format('no verified restore within the restore budget of %d seconds ({} status polls); restore job {}', $.budget.polls, $.restore.restoreJobId)", p.RestoreTimeoutSeconds),
		},
		ResultPath: failureResultPath,
		Next:       StateNotifyFailure,
	}
	afterInstances := StateVerify
	if p.VerifyQuery != "" {
		afterInstances = StateEnableDataAPI
	}
	for i := 1; i <= p.InstanceCount; i++ {
		ready := afterInstances
		if i < p.InstanceCount {
			ready = CheckInstanceState(i + 1)
		}
		states[CheckInstanceState(i)] = &asl.Task{
			Resource:       "arn:aws:states:::aws-sdk:rds:describeDBInstances",
			Parameters:     map[string]any{"DbInstanceIdentifier.$": instanceID(i)},
			ResultSelector: map[string]any{"identifier.$": "$.DbInstances[0].DbInstanceIdentifier", "status.$": "$.DbInstances[0].DbInstanceStatus"},
			ResultPath:     "$.instanceStatus",
			Retry:          []asl.Retrier{backoff(anyTaskFailure, 10, 6)},
			Catch:          catchAll(),
			Next:           InstanceReadyState(i),
		}
		states[InstanceReadyState(i)] = &asl.Choice{
			Choices: []asl.ChoiceRule{
				{Variable: "$.instanceStatus.status", StringEquals: asl.String("available"), Next: ready},
				{Variable: "$.instanceStatus.status", StringEquals: asl.String("failed"), Next: StateInstanceFailed},
				{Variable: "$.instanceStatus.status", StringMatches: asl.String("incompatible-*"), Next: StateInstanceFailed},
				{Variable: "$.instanceStatus.status", StringMatches: asl.String("inaccessible-encryption-credentials*"), Next: StateInstanceFailed},
				{Variable: "$.instanceStatus.status", StringEquals: asl.String("storage-full"), Next: StateInstanceFailed},
			},
			Default: StateInstanceBudget,
		}
	}
	states[StateInstanceFailed] = &asl.Pass{
		Parameters: map[string]any{
			"Error":   ErrorInstanceFailed,
			"Cause.$": "States.Format('instance {} is {}', $.instanceStatus.identifier, $.instanceStatus.status)",
		},
		ResultPath: failureResultPath,
		Next:       StateNotifyFailure,
	}
	verifyPayload := map[string]any{
		"clusterIdentifier.$": clusterID,
		"expectedKmsKeyArn":   p.KeyArn,
		"expectedSubnetGroup": p.SubnetGroupName,
		"expectedEngine":      p.Engine,
	}
	if p.VerifyQuery != "" {
		verifyPayload["query"] = p.VerifyQuery
		if p.VerifyDatabase != "" {
			verifyPayload["database"] = p.VerifyDatabase
		}
		states[StateEnableDataAPI] = &asl.Task{
			Comment:        "The RDS Data API (HTTP endpoint) for the health query; Serverless v2 needs EnableHttpEndpoint, not ModifyDBCluster",
			Resource:       "arn:aws:states:::aws-sdk:rds:enableHttpEndpoint",
			Parameters:     map[string]any{"ResourceArn.$": "$.clusterInfo.arn"},
			ResultSelector: map[string]any{"enabled.$": "$.HttpEndpointEnabled"},
			ResultPath:     "$.dataApi",
			Retry: []asl.Retrier{
				backoff([]string{"Rds.InvalidDbClusterStateException"}, 30, 10),
				backoff(sdkTransient("Rds"), 10, 6),
			},
			Catch: catchAll(),
			Next:  StateVerify,
		}
	}
	states[StateVerify] = &asl.Task{
		Comment:  "restoreverify: available, encrypted with the restore key, in the isolated subnet group, right engine, an instance up, health query",
		Resource: "arn:aws:states:::lambda:invoke",
		Parameters: map[string]any{
			"FunctionName": p.VerifyFunctionArn,
			"Payload":      verifyPayload,
		},
		ResultSelector: map[string]any{
			"verified.$":       "$.Payload.verified",
			"clusterArn.$":     "$.Payload.clusterArn",
			"endpoint.$":       "$.Payload.endpoint",
			"readerEndpoint.$": "$.Payload.readerEndpoint",
			"checks.$":         "$.Payload.checks",
		},
		ResultPath:     "$.verify",
		TimeoutSeconds: 300,
		Retry: []asl.Retrier{
			backoff(lambdaTransient, 5, 6),
			backoff([]string{contract.ErrorVerification}, 60, 4),
		},
		Catch: catchAll(),
		Next:  StateRecordVerified,
	}
	states[StateRecordVerified] = objectivesTask(p, contract.MilestoneVerified, StateNotifyRestored)
	summary := map[string]any{
		"execution.$":        "$$.Execution.Id",
		"recoveryPointArn.$": "$.pick.recoveryPointArn",
		"restoreJobId.$":     "$.restore.restoreJobId",
		"cluster.$":          clusterID,
		"endpoint.$":         "$.verify.endpoint",
		"instances.$":        "$.instances",
		"checks.$":           "$.verify.checks",
		// What restoremetrics put, or why it could not.
		"objectives.$": "$.objectives",
	}
	states[StateNotifyRestored] = &asl.Task{
		Resource: "arn:aws:states:::sns:publish",
		Parameters: map[string]any{
			"TopicArn": p.TopicArn,
			"Subject":  "Restore verified; cut-over approval follows",
			"Message":  withFields(summary, map[string]any{"result": "RESTORED_AND_VERIFIED"}),
		},
		ResultPath: "$.notified",
		Retry:      []asl.Retrier{backoff(anyTaskFailure, 5, 3)},
		Catch:      catchAll(),
		Next:       StateAwaitApproval,
	}
	region := asl.Literal(p.Region)
	states[StateAwaitApproval] = &asl.Task{
		Comment:  "A human decides the cut-over. Rejection (send-task-failure) or the timeout changes nothing",
		Resource: "arn:aws:states:::sns:publish.waitForTaskToken",
		Parameters: map[string]any{
			"TopicArn": p.TopicArn,
			"Subject":  "APPROVAL NEEDED: cut the application over to the restored database",
			"Message": withFields(summary, map[string]any{
				"result":          "AWAITING_CUTOVER_APPROVAL",
				"onApprove":       fmt.Sprintf("writes the endpoint to SSM parameter %s and forces a new deployment of ECS service %s in %s", p.CutoverParameterName, p.EcsServiceName, p.EcsClusterArn),
				"deadlineSeconds": p.ApprovalTimeoutSeconds,
				"approve.$":       fmt.Sprintf("States.Format('aws stepfunctions send-task-success --region %s --task-output true --task-token {}', $$.Task.Token)", region),
				"reject.$":        fmt.Sprintf("States.Format('aws stepfunctions send-task-failure --region %s --error %s --cause rejected-by-operator --task-token {}', $$.Task.Token)", region, ErrorCutoverRejected),
			}),
		},
		ResultPath:     "$.approval",
		TimeoutSeconds: p.ApprovalTimeoutSeconds,
		// Only publishing faults are retried: a rejection or the timeout must
		// never be retried into a second chance.
		Retry: []asl.Retrier{backoff([]string{"SNS.InternalErrorException", "SNS.ThrottledException", "SNS.KMSThrottlingException", "SNS.SdkClientException"}, 5, 3)},
		Catch: catchAll(),
		Next:  StatePutParameter,
	}
	states[StatePutParameter] = &asl.Task{
		Comment:  "Cut-over 1/2: the application's database endpoint",
		Resource: "arn:aws:states:::aws-sdk:ssm:putParameter",
		Parameters: map[string]any{
			"Name":      p.CutoverParameterName,
			"Value.$":   "$.verify.endpoint",
			"Type":      "String",
			"Overwrite": true,
		},
		ResultSelector: map[string]any{"version.$": "$.Version"},
		ResultPath:     "$.cutoverParameter",
		Retry:          []asl.Retrier{backoff(anyTaskFailure, 5, 5)},
		Catch:          catchAll(),
		Next:           StateUpdateService,
	}
	states[StateUpdateService] = &asl.Task{
		Comment:  "Cut-over 2/2: new tasks read the new endpoint",
		Resource: "arn:aws:states:::aws-sdk:ecs:updateService",
		Parameters: map[string]any{
			"Cluster":            p.EcsClusterArn,
			"Service":            p.EcsServiceName,
			"ForceNewDeployment": true,
		},
		ResultSelector: map[string]any{"serviceArn.$": "$.Service.ServiceArn"},
		ResultPath:     "$.cutoverService",
		Retry:          []asl.Retrier{backoff(sdkTransient("Ecs", "ServerException"), 10, 5)},
		Catch:          catchAll(),
		Next:           StateRecordCutover,
	}
	states[StateRecordCutover] = objectivesTask(p, contract.MilestoneCutover, StateNotifyCutover)
	states[StateNotifyCutover] = &asl.Task{
		Resource: "arn:aws:states:::sns:publish",
		Parameters: map[string]any{
			"TopicArn": p.TopicArn,
			"Subject":  "Cut-over done: the application uses the restored database",
			"Message": withFields(summary, map[string]any{
				"result":             "CUT_OVER",
				"parameterVersion.$": "$.cutoverParameter.version",
				"service.$":          "$.cutoverService.serviceArn",
			}),
		},
		ResultPath: "$.notified",
		Retry:      []asl.Retrier{backoff(anyTaskFailure, 5, 3)},
		Catch:      catchAll(),
		Next:       StateSucceeded,
	}
	states[StateSucceeded] = &asl.Succeed{}
	states[StateNotifyFailure] = &asl.Task{
		Comment:  "Every failure, rejection and timeout ends here with the error and the job ids recorded so far",
		Resource: "arn:aws:states:::sns:publish",
		Parameters: map[string]any{
			"TopicArn": p.TopicArn,
			"Subject":  "FAILED: restore workflow",
			"Message": map[string]any{
				"result":      "FAILED",
				"execution.$": "$$.Execution.Id",
				"error.$":     failureResultPath,
				"state.$":     "$",
			},
		},
		ResultPath: "$.notified",
		Retry:      []asl.Retrier{backoff(anyTaskFailure, 5, 5)},
		Catch:      []asl.Catcher{{ErrorEquals: []string{"States.ALL"}, ResultPath: "$.notifyError", Next: StateFailed}},
		Next:       StateFailed,
	}
	states[StateFailed] = &asl.Fail{ErrorPath: "$.error.Error", CausePath: "$.error.Cause"}

	return &asl.StateMachine{
		Comment:        "Restore account recovery: pick a recovery point of the shared air-gapped vault, restore it, verify it, and cut over only after a human approves",
		StartAt:        StateApplyDefaults,
		TimeoutSeconds: p.TotalTimeoutSeconds(),
		States:         states,
	}, nil
}

// logGroupStates create the restored cluster's log groups before the
// restore creates the cluster, so RDS exports into groups encrypted with
// the logs key that keep the workload's retention (RDS would otherwise
// create them unencrypted, kept forever). An existing group (a retry after
// a lost answer) is taken as created; its retention is set either way.
func logGroupStates(states map[string]asl.State, p DefinitionParams, clusterID string) {
	exports := encryptedaurora.PostureFor(p.Engine).LogExports
	for i, logType := range exports {
		next := StateStartRestore
		if i+1 < len(exports) {
			next = CreateLogGroupState(i + 2)
		}
		// ClusterLogGroupName with the cluster as the format's placeholder.
		format := strings.Replace(asl.Literal(ClusterLogGroupName("\x00", logType)), "\x00", "{}", 1)
		name := fmt.Sprintf("States.Format('%s', %s)", format, clusterID)
		states[CreateLogGroupState(i+1)] = &asl.Task{
			Comment:    fmt.Sprintf("The %s log export's group, encrypted with the logs key, before RDS creates it", logType),
			Resource:   "arn:aws:states:::aws-sdk:cloudwatchlogs:createLogGroup",
			Parameters: map[string]any{"LogGroupName.$": name, "KmsKeyId": p.LogsKeyArn},
			ResultPath: "$.logGroup",
			Retry:      []asl.Retrier{backoff(sdkTransient("CloudWatchLogs", "ServiceUnavailableException"), 5, 5)},
			Catch: append([]asl.Catcher{{
				ErrorEquals: []string{ErrorLogGroupExists}, ResultPath: "$.logGroup", Next: LogRetentionState(i + 1),
			}}, catchAll()...),
			Next: LogRetentionState(i + 1),
		}
		states[LogRetentionState(i+1)] = &asl.Task{
			Comment:    fmt.Sprintf("The workload's retention for the %s log export", logType),
			Resource:   "arn:aws:states:::aws-sdk:cloudwatchlogs:putRetentionPolicy",
			Parameters: map[string]any{"LogGroupName.$": name, "RetentionInDays": p.DatabaseLogRetentionDays},
			ResultPath: "$.logGroup",
			Retry:      []asl.Retrier{backoff(anyTaskFailure, 5, 5)},
			Catch:      catchAll(),
			Next:       next,
		}
	}
}

// ErrorLogGroupExists is CreateLogGroup's answer for an existing group.
const ErrorLogGroupExists = "CloudWatchLogs.ResourceAlreadyExistsException"

// objectivesTask records the recovery objectives at milestone (restoremetrics).
// Its persistent failure is kept in $.objectives.<milestone> and the workflow
// goes on to next, whose notification carries it: measuring must never
// block recovering (docs/decisions/0019).
func objectivesTask(p DefinitionParams, milestone, next string) *asl.Task {
	path := "$.objectives." + milestone
	return &asl.Task{
		Comment:  fmt.Sprintf("restoremetrics: RPO/RTO at %s (CloudWatch %s); a failure is reported in the next notice, not fatal", milestone, contract.RecoveryMetricsNamespace),
		Resource: "arn:aws:states:::lambda:invoke",
		Parameters: map[string]any{
			"FunctionName": p.MetricsFunctionArn,
			"Payload": map[string]any{
				"restoreJobId.$":       "$.restore.restoreJobId",
				"executionStartTime.$": "$$.Execution.StartTime",
				"milestone":            milestone,
			},
		},
		ResultSelector: map[string]any{"recorded.$": "$.Payload"},
		ResultPath:     path,
		TimeoutSeconds: 60,
		Retry:          []asl.Retrier{backoff(lambdaTransient, 5, 4)},
		Catch:          []asl.Catcher{{ErrorEquals: []string{"States.ALL"}, ResultPath: path, Next: next}},
		Next:           next,
	}
}

// countPoll counts one status poll.
func countPoll(next string) *asl.Pass {
	return &asl.Pass{
		Parameters: map[string]any{"polls.$": "States.MathAdd($.budget.polls, 1)", "maxPolls.$": "$.budget.maxPolls"},
		ResultPath: "$.budget",
		Next:       next,
	}
}

// withinBudget polls again (wait) while the budget allows another poll.
func withinBudget(p DefinitionParams, wait string) *asl.Choice {
	return &asl.Choice{
		Comment: fmt.Sprintf("The restore budget (%d s) allows %d polls of %d s", p.RestoreTimeoutSeconds, p.MaxPolls(), p.PollIntervalSeconds),
		Choices: []asl.ChoiceRule{
			{Variable: "$.budget.polls", NumericGreaterThanEquals: asl.Number(float64(p.MaxPolls())), Next: StateBudgetExceeded},
		},
		Default: wait,
	}
}

func withFields(base, extra map[string]any) map[string]any {
	out := make(map[string]any, len(base)+len(extra))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range extra {
		out[k] = v
	}
	return out
}
