package tests

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/backup"
	backuptypes "github.com/aws/aws-sdk-go-v2/service/backup/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/aws/aws-sdk-go-v2/service/rdsdata"

	"github.com/fintech-resilience/fintech-resilience/components/encryptedaurora"
	"github.com/fintech-resilience/fintech-resilience/components/restoreworkflow"
	"github.com/fintech-resilience/fintech-resilience/internal/lambda/restore"
	"github.com/fintech-resilience/fintech-resilience/internal/sfntest"
)

// fakeAWS answers the restore workflow's Task states like the AWS APIs do,
// keeping state across calls: a restore job goes through jobStatuses on
// each DescribeRestoreJob (the last one repeats) and creates the cluster
// when it completes; an instance goes through instanceStatuses. The Lambda
// tasks run the real functions (internal/lambda/restore) over this state.
type fakeAWS struct {
	p   restoreworkflow.DefinitionParams
	now time.Time

	recoveryPoints []recoveryPoint
	// jobStatuses is the status sequence a restore job reports.
	jobStatuses []string
	// instanceStatuses is the status sequence an instance reports.
	instanceStatuses []string
	// restoredKey, when set, is the key the restore "really" used (a wrong
	// key makes the verification fail).
	restoredKey string
	// approval answers the cut-over approval request.
	approval sfntest.Response
	// faults fail a state's calls: the first n calls (n < 0: every call).
	faults map[string]fault

	// parameterGroups are the cluster parameter groups of the restore
	// account by name, with their parameters.
	parameterGroups map[string]map[string]string

	// logGroups are the CloudWatch Logs groups by name.
	logGroups map[string]*logGroup
	// metrics are the datapoints restoremetrics put.
	metrics []*cloudwatch.PutMetricDataInput

	jobs       map[string]*restoreJob
	jobByToken map[string]string
	clusters   map[string]*rdstypes.DBCluster
	instances  map[string]*fakeInstance
	parameters map[string][]string
	deployed   []string
	published  []publishedMessage
	calls      map[string]int
	problems   []string
}

type recoveryPoint struct {
	arn, resourceArn, resourceType string
	status                         backuptypes.RecoveryPointStatus
	created                        time.Time
	// tags are the source cluster's tags kept with the backup.
	tags map[string]string
}

type restoreJob struct {
	id, recoveryPoint, role string
	metadata                map[string]any
	copyTags                bool
	polls                   int
	status                  string
	created, completed      time.Time
}

type logGroup struct {
	kmsKeyID      string
	retentionDays int
	created       time.Time
}

type fakeInstance struct {
	rdstypes.DBInstance
	polls int
}

// workloadTags are the workload cluster's tags, among them the backup
// selection tag (encryptedaurora BackupTags).
var workloadTags = map[string]string{"backup-policy": "fintech-daily", "environment": "production"}

type publishedMessage struct {
	State, Subject string
	Message        map[string]any
}

type fault struct {
	err, cause string
	n          int
}

const (
	testAccount = "333333333333"
)

func newFakeAWS(p restoreworkflow.DefinitionParams) *fakeAWS {
	day := time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC)
	rp := func(id string, created time.Time, status backuptypes.RecoveryPointStatus) recoveryPoint {
		return recoveryPoint{
			arn:          "arn:aws:backup:ap-northeast-1:222222222222:recovery-point:" + id,
			resourceArn:  "arn:aws:rds:ap-northeast-1:111111111111:cluster:bank",
			resourceType: restore.ResourceTypeAurora, status: status, created: created, tags: workloadTags,
		}
	}
	return &fakeAWS{
		p: p,
		recoveryPoints: []recoveryPoint{
			rp("rp-old", day.Add(-48*time.Hour), backuptypes.RecoveryPointStatusCompleted),
			rp("rp-latest", day, backuptypes.RecoveryPointStatusCompleted),
			rp("rp-partial", day.Add(2*time.Hour), backuptypes.RecoveryPointStatusPartial),
		},
		jobStatuses:      []string{"PENDING", "RUNNING", "RUNNING", "COMPLETED"},
		instanceStatuses: []string{"creating", "backing-up", "available"},
		approval:         sfntest.Response{Output: true, AfterSeconds: 1800},
		faults:           map[string]fault{},
		// What the restore stack deploys (encryptedaurora.NewTLSParameterGroup).
		parameterGroups: map[string]map[string]string{p.ParameterGroupName: encryptedaurora.TLSParameters(p.Engine)},
		jobs:            map[string]*restoreJob{},
		logGroups:       map[string]*logGroup{},
		jobByToken:      map[string]string{},
		clusters:        map[string]*rdstypes.DBCluster{},
		instances:       map[string]*fakeInstance{},
		parameters:      map[string][]string{},
		calls:           map[string]int{},
	}
}

func (f *fakeAWS) problem(format string, a ...any) {
	f.problems = append(f.problems, fmt.Sprintf(format, a...))
}

func sdkError(service, name, msg string) sfntest.Response {
	return sfntest.Response{Error: sfntest.SDKErrorService(service) + "." + name, Cause: msg}
}

// lambdaError is how Step Functions reports a Go function's error: the
// error type is the Go type name, the cause the function's error JSON.
func lambdaError(err error) sfntest.Response {
	t := reflect.TypeOf(err)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	cause, _ := json.Marshal(map[string]string{"errorMessage": err.Error(), "errorType": t.Name()})
	return sfntest.Response{Error: t.Name(), Cause: string(cause)}
}

func anyStr(v any) string { s, _ := v.(string); return s }

func (f *fakeAWS) handle(r sfntest.Request) sfntest.Response {
	f.now = r.Time
	f.calls[r.State]++
	if fl, ok := f.faults[r.State]; ok && (fl.n < 0 || f.calls[r.State] <= fl.n) {
		return sfntest.Response{Error: fl.err, Cause: fl.cause}
	}
	switch r.Service + ":" + r.Action {
	case "lambda:Invoke":
		return f.invoke(r)
	case "backup:StartRestoreJob":
		return f.startRestoreJob(r.Params)
	case "backup:DescribeRestoreJob":
		return f.describeRestoreJob(r.Params)
	case "rds:ModifyDBCluster":
		return f.modifyDBCluster(r.Params)
	case "rds:CreateDBInstance":
		return f.createDBInstance(r.Params)
	case "rds:DescribeDBInstances":
		return f.describeDBInstances(r.Params)
	case "rds:EnableHttpEndpoint":
		return f.enableHTTPEndpoint(r.Params)
	case "ssm:PutParameter":
		return f.putParameter(r.Params)
	case "ecs:UpdateService":
		return f.updateService(r.Params)
	case "sns:Publish":
		return f.publish(r)
	case "cloudwatchlogs:CreateLogGroup":
		return f.createLogGroup(r.Params)
	case "cloudwatchlogs:PutRetentionPolicy":
		return f.putRetentionPolicy(r.Params)
	}
	f.problem("%s: no fake for %s:%s", r.State, r.Service, r.Action)
	return sfntest.Response{Error: "Harness.NoFake"}
}

func (f *fakeAWS) invoke(r sfntest.Request) sfntest.Response {
	raw, err := json.Marshal(r.Params["Payload"])
	if err != nil {
		f.problem("%s: payload: %v", r.State, err)
	}
	ctx := context.Background()
	switch r.Params["FunctionName"] {
	case f.p.PickFunctionArn:
		in, err := restore.ParsePickInput(raw)
		if err != nil {
			return lambdaError(err)
		}
		out, err := (&restore.Picker{Backup: fakeBackup{f}}).Pick(ctx, in)
		if err != nil {
			return lambdaError(err)
		}
		return sfntest.Response{Output: out}
	case f.p.VerifyFunctionArn:
		in, err := restore.ParseVerifyInput(raw)
		if err != nil {
			return lambdaError(err)
		}
		out, err := (&restore.Verifier{RDS: fakeRDS{f}, Data: fakeData{f}}).Verify(ctx, in)
		if err != nil {
			return lambdaError(err)
		}
		return sfntest.Response{Output: out}
	case f.p.MetricsFunctionArn:
		in, ev, err := restore.ParseMetricsEvent(raw)
		if err != nil {
			return lambdaError(err)
		}
		if ev != nil {
			f.problem("%s: the workflow sent a restore job event", r.State)
		}
		rec := &restore.Recorder{Backup: fakeBackup{f}, CloudWatch: fakeCloudWatch{f}, Now: func() time.Time { return f.now }}
		out, err := rec.RecordWorkflow(ctx, *in)
		if err != nil {
			return lambdaError(err)
		}
		return sfntest.Response{Output: out}
	}
	return sfntest.Response{Error: "Lambda.ResourceNotFoundException", Cause: fmt.Sprintf("Function not found: %v", r.Params["FunctionName"])}
}

func (f *fakeAWS) recoveryPoint(arn string) (recoveryPoint, bool) {
	for _, rp := range f.recoveryPoints {
		if rp.arn == arn {
			return rp, true
		}
	}
	return recoveryPoint{}, false
}

func (f *fakeAWS) startRestoreJob(p map[string]any) sfntest.Response {
	arn := anyStr(p["RecoveryPointArn"])
	if _, ok := f.recoveryPoint(arn); !ok {
		return sdkError("backup", "ResourceNotFoundException", "recovery point "+arn)
	}
	if role := anyStr(p["IamRoleArn"]); role != f.p.RestoreRoleArn {
		f.problem("StartRestoreJob: role %q, want %q", role, f.p.RestoreRoleArn)
	}
	if rt := anyStr(p["ResourceType"]); rt != restore.ResourceTypeAurora {
		return sdkError("backup", "InvalidParameterValueException", "resource type "+rt)
	}
	md, _ := p["Metadata"].(map[string]any)
	for _, k := range []string{"DBClusterIdentifier", "DBSubnetGroupName", "VpcSecurityGroupIds", "KmsKeyId", "Engine"} {
		if _, ok := md[k]; !ok {
			return sdkError("backup", "InvalidParameterValueException", "restore metadata misses "+k)
		}
	}
	token := anyStr(p["IdempotencyToken"])
	if id, ok := f.jobByToken[token]; ok && token != "" {
		return sfntest.Response{Result: map[string]any{"RestoreJobId": id}}
	}
	id := fmt.Sprintf("restore-job-%d", len(f.jobs)+1)
	f.jobs[id] = &restoreJob{id: id, recoveryPoint: arn, role: anyStr(p["IamRoleArn"]), metadata: md, status: "PENDING", created: f.now,
		copyTags: p["CopySourceTagsToRestoredResource"] == true}
	f.jobByToken[token] = id
	return sfntest.Response{Result: map[string]any{"RestoreJobId": id}}
}

func (f *fakeAWS) clusterArn(id string) string {
	return fmt.Sprintf("arn:aws:rds:%s:%s:cluster:%s", f.p.Region, testAccount, id)
}

func (f *fakeAWS) describeRestoreJob(p map[string]any) sfntest.Response {
	job, ok := f.jobs[anyStr(p["RestoreJobId"])]
	if !ok {
		return sdkError("backup", "ResourceNotFoundException", "restore job "+anyStr(p["RestoreJobId"]))
	}
	if job.status == "PENDING" || job.status == "RUNNING" {
		job.status = f.jobStatuses[min(job.polls, len(f.jobStatuses)-1)]
		job.polls++
	}
	if !slices.Contains(backuptypes.RestoreJobStatus("").Values(), backuptypes.RestoreJobStatus(job.status)) {
		f.problem("restore job status %q is not a RestoreJobStatus", job.status)
	}
	out := map[string]any{
		"AccountId": testAccount, "RestoreJobId": job.id, "RecoveryPointArn": job.recoveryPoint,
		"CreationDate": job.created.Format(time.RFC3339), "Status": job.status, "IamRoleArn": job.role,
		"ResourceType": restore.ResourceTypeAurora, "PercentDone": "50.00%",
	}
	if rp, ok := f.recoveryPoint(job.recoveryPoint); ok {
		out["RecoveryPointCreationDate"] = rp.created.Format(time.RFC3339)
	}
	switch job.status {
	case "COMPLETED":
		if job.completed.IsZero() {
			job.completed = f.now
		}
		id := anyStr(job.metadata["DBClusterIdentifier"])
		if _, ok := f.clusters[id]; !ok {
			f.createCluster(id, job)
		}
		out["CreatedResourceArn"], out["PercentDone"] = f.clusterArn(id), "100.00%"
		out["CompletionDate"] = job.completed.Format(time.RFC3339)
	case "FAILED", "ABORTED":
		out["StatusMessage"] = "restore job " + strings.ToLower(job.status)
	}
	return sfntest.Response{Result: out}
}

func (f *fakeAWS) createLogGroup(p map[string]any) sfntest.Response {
	name := anyStr(p["logGroupName"])
	if _, ok := f.logGroups[name]; ok {
		return sdkError("cloudwatchlogs", "ResourceAlreadyExistsException", "The specified log group already exists")
	}
	f.logGroups[name] = &logGroup{kmsKeyID: anyStr(p["kmsKeyId"]), created: f.now}
	return sfntest.Response{Result: map[string]any{}}
}

func (f *fakeAWS) putRetentionPolicy(p map[string]any) sfntest.Response {
	lg, ok := f.logGroups[anyStr(p["logGroupName"])]
	if !ok {
		return sdkError("cloudwatchlogs", "ResourceNotFoundException", "The specified log group does not exist.")
	}
	days, _ := p["retentionInDays"].(float64)
	lg.retentionDays = int(days)
	return sfntest.Response{Result: map[string]any{}}
}

// createCluster is what AWS Backup creates from the restore metadata.
func (f *fakeAWS) createCluster(id string, job *restoreJob) {
	md := job.metadata
	key := anyStr(md["KmsKeyId"])
	if f.restoredKey != "" {
		key = f.restoredKey
	}
	f.clusters[id] = &rdstypes.DBCluster{
		DBClusterIdentifier: aws.String(id), DBClusterArn: aws.String(f.clusterArn(id)),
		Status: aws.String("available"), StorageEncrypted: aws.Bool(true), KmsKeyId: aws.String(key),
		DBSubnetGroup: aws.String(anyStr(md["DBSubnetGroupName"])), Engine: aws.String(anyStr(md["Engine"])),
		Endpoint:       aws.String(id + ".cluster-abc.ap-northeast-1.rds.amazonaws.com"),
		ReaderEndpoint: aws.String(id + ".cluster-ro-abc.ap-northeast-1.rds.amazonaws.com"),
		// A restore from a snapshot gets the engine's default parameter
		// group and none of the source's settings but encryption.
		DBClusterParameterGroup: aws.String("default." + anyStr(md["Engine"])),
		DeletionProtection:      aws.Bool(anyStr(md["DeletionProtection"]) == "true"),
	}
	if job.copyTags {
		rp, _ := f.recoveryPoint(job.recoveryPoint)
		for _, k := range slices.Sorted(maps.Keys(rp.tags)) {
			f.clusters[id].TagList = append(f.clusters[id].TagList, rdstypes.Tag{Key: aws.String(k), Value: aws.String(rp.tags[k])})
		}
	}
}

func (f *fakeAWS) modifyDBCluster(p map[string]any) sfntest.Response {
	c, ok := f.clusters[anyStr(p["DBClusterIdentifier"])]
	if !ok {
		return sdkError("rds", "DbClusterNotFoundException", "DBCluster "+anyStr(p["DBClusterIdentifier"])+" not found.")
	}
	if p["ManageMasterUserPassword"] == true {
		key := anyStr(p["MasterUserSecretKmsKeyId"])
		c.MasterUserSecret = &rdstypes.MasterUserSecret{
			SecretArn: aws.String(fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:rds!cluster-%s", f.p.Region, testAccount, *c.DBClusterIdentifier)),
			KmsKeyId:  aws.String(key), SecretStatus: aws.String("creating"),
		}
	}
	if v, ok := p["DBClusterParameterGroupName"]; ok {
		if _, exists := f.parameterGroups[anyStr(v)]; !exists {
			return sdkError("rds", "DbClusterParameterGroupNotFoundException", "DBClusterParameterGroup not found: "+anyStr(v))
		}
		c.DBClusterParameterGroup = aws.String(anyStr(v))
	}
	if v, ok := p["EnableIAMDatabaseAuthentication"].(bool); ok {
		c.IAMDatabaseAuthenticationEnabled = aws.Bool(v)
	}
	if v, ok := p["DeletionProtection"].(bool); ok {
		c.DeletionProtection = aws.Bool(v)
	}
	if v, ok := p["CopyTagsToSnapshot"].(bool); ok {
		c.CopyTagsToSnapshot = aws.Bool(v)
	}
	if lc, ok := p["CloudwatchLogsExportConfiguration"].(map[string]any); ok {
		enable, _ := lc["EnableLogTypes"].([]any)
		for _, e := range enable {
			if !slices.Contains(c.EnabledCloudwatchLogsExports, anyStr(e)) {
				c.EnabledCloudwatchLogsExports = append(c.EnabledCloudwatchLogsExports, anyStr(e))
			}
		}
	}
	if sc, ok := p["ServerlessV2ScalingConfiguration"].(map[string]any); ok {
		minC, _ := sc["MinCapacity"].(float64)
		maxC, _ := sc["MaxCapacity"].(float64)
		c.ServerlessV2ScalingConfiguration = &rdstypes.ServerlessV2ScalingConfigurationInfo{MinCapacity: aws.Float64(minC), MaxCapacity: aws.Float64(maxC)}
	}
	return sfntest.Response{Result: map[string]any{"DBCluster": map[string]any{
		"DBClusterIdentifier": *c.DBClusterIdentifier, "DBClusterArn": *c.DBClusterArn, "Status": "modifying",
		"Engine": *c.Engine, "KmsKeyId": *c.KmsKeyId, "StorageEncrypted": true,
	}}}
}

func (f *fakeAWS) createDBInstance(p map[string]any) sfntest.Response {
	id, clusterID := anyStr(p["DBInstanceIdentifier"]), anyStr(p["DBClusterIdentifier"])
	c, ok := f.clusters[clusterID]
	if !ok {
		return sdkError("rds", "DbClusterNotFoundException", "DBCluster "+clusterID+" not found.")
	}
	if _, dup := f.instances[id]; dup {
		return sdkError("rds", "DbInstanceAlreadyExistsException", "DB instance already exists")
	}
	if anyStr(p["Engine"]) != *c.Engine {
		return sdkError("rds", "InvalidParameterCombinationException", "engine differs from the cluster's")
	}
	inst := &fakeInstance{DBInstance: rdstypes.DBInstance{
		DBInstanceIdentifier: aws.String(id), DBClusterIdentifier: aws.String(clusterID),
		DBInstanceArn:   aws.String(fmt.Sprintf("arn:aws:rds:%s:%s:db:%s", f.p.Region, testAccount, id)),
		DBInstanceClass: aws.String(anyStr(p["DBInstanceClass"])), Engine: aws.String(anyStr(p["Engine"])),
		DBInstanceStatus: aws.String("creating"),
	}}
	if p["EnablePerformanceInsights"] == true {
		days, _ := p["PerformanceInsightsRetentionPeriod"].(float64)
		inst.PerformanceInsightsEnabled = aws.Bool(true)
		inst.PerformanceInsightsKMSKeyId = aws.String(anyStr(p["PerformanceInsightsKMSKeyId"]))
		inst.PerformanceInsightsRetentionPeriod = aws.Int32(int32(days))
	}
	f.instances[id] = inst
	c.DBClusterMembers = append(c.DBClusterMembers, rdstypes.DBClusterMember{DBInstanceIdentifier: aws.String(id), IsClusterWriter: aws.Bool(len(c.DBClusterMembers) == 0)})
	return sfntest.Response{Result: map[string]any{"DBInstance": instanceJSON(inst.DBInstance)}}
}

func instanceJSON(i rdstypes.DBInstance) map[string]any {
	return map[string]any{
		"DBInstanceIdentifier": *i.DBInstanceIdentifier, "DBInstanceArn": *i.DBInstanceArn,
		"DBClusterIdentifier": *i.DBClusterIdentifier, "DBInstanceClass": *i.DBInstanceClass,
		"Engine": *i.Engine, "DBInstanceStatus": *i.DBInstanceStatus,
	}
}

func (f *fakeAWS) advance(inst *fakeInstance) {
	if s := *inst.DBInstanceStatus; s == "available" || s == "failed" || strings.HasPrefix(s, "incompatible-") {
		return
	}
	inst.DBInstanceStatus = aws.String(f.instanceStatuses[min(inst.polls, len(f.instanceStatuses)-1)])
	inst.polls++
}

func (f *fakeAWS) describeDBInstances(p map[string]any) sfntest.Response {
	inst, ok := f.instances[anyStr(p["DBInstanceIdentifier"])]
	if !ok {
		return sdkError("rds", "DbInstanceNotFoundException", "DBInstance "+anyStr(p["DBInstanceIdentifier"])+" not found.")
	}
	f.advance(inst)
	return sfntest.Response{Result: map[string]any{"DBInstances": []any{instanceJSON(inst.DBInstance)}}}
}

func (f *fakeAWS) enableHTTPEndpoint(p map[string]any) sfntest.Response {
	for _, c := range f.clusters {
		if *c.DBClusterArn == anyStr(p["ResourceArn"]) {
			c.HttpEndpointEnabled = aws.Bool(true)
			return sfntest.Response{Result: map[string]any{"ResourceArn": *c.DBClusterArn, "HttpEndpointEnabled": true}}
		}
	}
	return sdkError("rds", "DbClusterNotFoundException", "no cluster "+anyStr(p["ResourceArn"]))
}

func (f *fakeAWS) putParameter(p map[string]any) sfntest.Response {
	if t := anyStr(p["Type"]); t != "" && !slices.Contains([]string{"String", "StringList", "SecureString"}, t) {
		f.problem("PutParameter Type %q is not a ParameterType", t)
	}
	name := anyStr(p["Name"])
	if len(f.parameters[name]) > 0 && p["Overwrite"] != true {
		return sdkError("ssm", "ParameterAlreadyExistsException", "The parameter already exists.")
	}
	f.parameters[name] = append(f.parameters[name], anyStr(p["Value"]))
	return sfntest.Response{Result: map[string]any{"Version": len(f.parameters[name]), "Tier": "Standard"}}
}

func (f *fakeAWS) updateService(p map[string]any) sfntest.Response {
	cluster, service := anyStr(p["cluster"]), anyStr(p["service"])
	if cluster != f.p.EcsClusterArn {
		return sdkError("ecs", "ClusterNotFoundException", "Cluster not found.")
	}
	if service != f.p.EcsServiceName {
		return sdkError("ecs", "ServiceNotFoundException", "Service not found.")
	}
	arn := strings.Replace(cluster, ":cluster/", ":service/", 1) + "/" + service
	f.deployed = append(f.deployed, arn)
	return sfntest.Response{Result: map[string]any{"service": map[string]any{
		"serviceArn": arn, "serviceName": service, "clusterArn": cluster, "status": "ACTIVE",
	}}}
}

func (f *fakeAWS) publish(r sfntest.Request) sfntest.Response {
	var msg map[string]any
	if err := json.Unmarshal([]byte(anyStr(r.Params["Message"])), &msg); err != nil {
		f.problem("%s: message is not JSON: %v", r.State, err)
	}
	f.published = append(f.published, publishedMessage{State: r.State, Subject: anyStr(r.Params["Subject"]), Message: msg})
	if anyStr(r.Params["TopicArn"]) != f.p.TopicArn {
		return sdkError("sns", "NotFoundException", "Topic does not exist")
	}
	if r.WaitForTaskToken {
		return f.approval
	}
	return sfntest.Response{Result: map[string]any{"MessageId": fmt.Sprintf("msg-%d", len(f.published))}}
}

// fakeBackup is the AWS Backup API restorepick sees.
type fakeBackup struct{ f *fakeAWS }

func (b fakeBackup) DescribeRecoveryPoint(_ context.Context, in *backup.DescribeRecoveryPointInput, _ ...func(*backup.Options)) (*backup.DescribeRecoveryPointOutput, error) {
	rp, ok := b.f.recoveryPoint(aws.ToString(in.RecoveryPointArn))
	if !ok || "arn:aws:backup:ap-northeast-1:"+aws.ToString(in.BackupVaultAccountId)+":backup-vault:"+aws.ToString(in.BackupVaultName) != bunkerVault {
		return nil, &backuptypes.ResourceNotFoundException{Message: aws.String("recovery point not found")}
	}
	return &backup.DescribeRecoveryPointOutput{
		RecoveryPointArn: aws.String(rp.arn), ResourceArn: aws.String(rp.resourceArn), ResourceType: aws.String(rp.resourceType),
		Status: rp.status, CreationDate: aws.Time(rp.created), BackupVaultArn: aws.String(bunkerVault),
	}, nil
}

func (b fakeBackup) ListRecoveryPointsByBackupVault(_ context.Context, in *backup.ListRecoveryPointsByBackupVaultInput, _ ...func(*backup.Options)) (*backup.ListRecoveryPointsByBackupVaultOutput, error) {
	var out []backuptypes.RecoveryPointByBackupVault
	for _, rp := range b.f.recoveryPoints {
		if in.ByResourceType != nil && *in.ByResourceType != rp.resourceType {
			continue
		}
		out = append(out, backuptypes.RecoveryPointByBackupVault{
			RecoveryPointArn: aws.String(rp.arn), ResourceArn: aws.String(rp.resourceArn), ResourceType: aws.String(rp.resourceType),
			Status: rp.status, CreationDate: aws.Time(rp.created), BackupVaultArn: aws.String(bunkerVault),
		})
	}
	return &backup.ListRecoveryPointsByBackupVaultOutput{RecoveryPoints: out}, nil
}

func (b fakeBackup) GetRecoveryPointRestoreMetadata(_ context.Context, in *backup.GetRecoveryPointRestoreMetadataInput, _ ...func(*backup.Options)) (*backup.GetRecoveryPointRestoreMetadataOutput, error) {
	if _, ok := b.f.recoveryPoint(aws.ToString(in.RecoveryPointArn)); !ok {
		return nil, &backuptypes.ResourceNotFoundException{Message: aws.String("recovery point not found")}
	}
	return &backup.GetRecoveryPointRestoreMetadataOutput{RestoreMetadata: map[string]string{"Engine": b.f.p.Engine}}, nil
}

// DescribeRestoreJob is the AWS Backup API restoremetrics sees: the same
// job the state machine polls.
func (b fakeBackup) DescribeRestoreJob(_ context.Context, in *backup.DescribeRestoreJobInput, _ ...func(*backup.Options)) (*backup.DescribeRestoreJobOutput, error) {
	job, ok := b.f.jobs[aws.ToString(in.RestoreJobId)]
	if !ok {
		return nil, &backuptypes.ResourceNotFoundException{Message: aws.String("restore job not found")}
	}
	out := &backup.DescribeRestoreJobOutput{
		AccountId: aws.String(testAccount), RestoreJobId: aws.String(job.id), RecoveryPointArn: aws.String(job.recoveryPoint),
		CreationDate: aws.Time(job.created), Status: backuptypes.RestoreJobStatus(job.status), ResourceType: aws.String(restore.ResourceTypeAurora),
	}
	if rp, ok := b.f.recoveryPoint(job.recoveryPoint); ok {
		out.RecoveryPointCreationDate = aws.Time(rp.created)
	}
	if !job.completed.IsZero() {
		out.CompletionDate = aws.Time(job.completed)
	}
	return out, nil
}

// fakeCloudWatch keeps what restoremetrics puts.
type fakeCloudWatch struct{ f *fakeAWS }

func (c fakeCloudWatch) PutMetricData(_ context.Context, in *cloudwatch.PutMetricDataInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.PutMetricDataOutput, error) {
	// What the API requires (Namespace, MetricName; at most 1000 datapoints
	// and 30 dimensions) and a StandardUnit it knows.
	if aws.ToString(in.Namespace) == "" || len(in.MetricData) == 0 || len(in.MetricData) > 1000 {
		c.f.problem("PutMetricData: namespace %q with %d datapoints", aws.ToString(in.Namespace), len(in.MetricData))
	}
	for _, d := range in.MetricData {
		if aws.ToString(d.MetricName) == "" || d.Value == nil || len(d.Dimensions) > 30 ||
			!slices.Contains(cwtypes.StandardUnit("").Values(), d.Unit) {
			c.f.problem("PutMetricData: datum %q unit %q is not what the API takes", aws.ToString(d.MetricName), d.Unit)
		}
	}
	c.f.metrics = append(c.f.metrics, in)
	return &cloudwatch.PutMetricDataOutput{}, nil
}

// fakeRDS is the RDS API restoreverify sees.
type fakeRDS struct{ f *fakeAWS }

func (r fakeRDS) DescribeDBClusters(_ context.Context, in *rds.DescribeDBClustersInput, _ ...func(*rds.Options)) (*rds.DescribeDBClustersOutput, error) {
	c, ok := r.f.clusters[aws.ToString(in.DBClusterIdentifier)]
	if !ok {
		return nil, &rdstypes.DBClusterNotFoundFault{Message: aws.String("not found")}
	}
	return &rds.DescribeDBClustersOutput{DBClusters: []rdstypes.DBCluster{*c}}, nil
}

func (r fakeRDS) DescribeDBInstances(_ context.Context, in *rds.DescribeDBInstancesInput, _ ...func(*rds.Options)) (*rds.DescribeDBInstancesOutput, error) {
	inst, ok := r.f.instances[aws.ToString(in.DBInstanceIdentifier)]
	if !ok {
		return nil, &rdstypes.DBInstanceNotFoundFault{Message: aws.String("not found")}
	}
	return &rds.DescribeDBInstancesOutput{DBInstances: []rdstypes.DBInstance{inst.DBInstance}}, nil
}

// fakeData is the RDS Data API: it answers when the cluster has the Data API
// enabled and the secret is the cluster's managed one.
type fakeData struct{ f *fakeAWS }

func (d fakeData) ExecuteStatement(_ context.Context, in *rdsdata.ExecuteStatementInput, _ ...func(*rdsdata.Options)) (*rdsdata.ExecuteStatementOutput, error) {
	for _, c := range d.f.clusters {
		if *c.DBClusterArn != aws.ToString(in.ResourceArn) {
			continue
		}
		if !aws.ToBool(c.HttpEndpointEnabled) {
			return nil, errors.New("BadRequestException: HttpEndpoint is not enabled")
		}
		if c.MasterUserSecret == nil || aws.ToString(c.MasterUserSecret.SecretArn) != aws.ToString(in.SecretArn) {
			return nil, errors.New("BadRequestException: secret does not match the cluster")
		}
		return &rdsdata.ExecuteStatementOutput{}, nil
	}
	return nil, errors.New("BadRequestException: no such cluster")
}
