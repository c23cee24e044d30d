package restoreworkflow

import (
	"fmt"
	"sort"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/fintech-resilience/fintech-resilience/components/asl"
	"github.com/fintech-resilience/fintech-resilience/components/encryptedaurora"
	"github.com/fintech-resilience/fintech-resilience/components/flow"
	"github.com/fintech-resilience/fintech-resilience/functions/contract"
)

// TaskAction returns the IAM action Step Functions authorizes with the
// state machine's role for a Task state's Resource: the aws-sdk
// integration's service and API (aws-sdk:backup:startRestoreJob →
// backup:StartRestoreJob), lambda:invoke → lambda:InvokeFunction,
// sns:publish (any integration pattern) → sns:Publish.
func TaskAction(resource string) (string, error) {
	const prefix = "arn:aws:states:::"
	if !strings.HasPrefix(resource, prefix) {
		return "", fmt.Errorf("task resource %q is not a Step Functions service integration", resource)
	}
	r := strings.TrimPrefix(resource, prefix)
	if i := strings.Index(r, "."); i >= 0 {
		r = r[:i] // .sync, .waitForTaskToken
	}
	parts := strings.Split(r, ":")
	switch {
	case len(parts) == 3 && parts[0] == "aws-sdk":
		api := parts[2]
		if api == "" {
			return "", fmt.Errorf("task resource %q names no API", resource)
		}
		svc := parts[1]
		if iamPrefix, ok := sdkIAMPrefixes[svc]; ok {
			svc = iamPrefix
		}
		return svc + ":" + strings.ToUpper(api[:1]) + api[1:], nil
	case r == "lambda:invoke":
		return "lambda:InvokeFunction", nil
	case r == "sns:publish":
		return "sns:Publish", nil
	}
	return "", fmt.Errorf("task resource %q: no IAM action known for this integration", resource)
}

// sdkIAMPrefixes are the IAM service prefixes of aws-sdk integrations
// whose Step Functions service name differs from it.
var sdkIAMPrefixes = map[string]string{"cloudwatchlogs": "logs"}

// taskActions returns the IAM action of every Task state of sm, sorted,
// each once.
func taskActions(sm *asl.StateMachine) ([]string, error) {
	seen := map[string]bool{}
	for _, n := range asl.Names(sm) {
		t, ok := sm.States[n].(*asl.Task)
		if !ok {
			continue
		}
		a, err := TaskAction(t.Resource)
		if err != nil {
			return nil, fmt.Errorf("state %s: %w", n, err)
		}
		seen[a] = true
	}
	out := make([]string, 0, len(seen))
	for a := range seen {
		out = append(out, a)
	}
	sort.Strings(out)
	return out, nil
}

// Example identifiers of what one execution creates: the flows are
// evaluated against them (the policies grant the prefix patterns).
const exampleExecution = "example-execution"

func (b *builder) exampleCluster() string {
	return b.arn("rds", "cluster:"+b.a.ClusterIdentifierPrefix+"-"+exampleExecution)
}

// declareFlows declares what the state machine role does in each Task
// state, derived from the definition itself: a Task state whose action has
// no declaration here fails the construction.
func (b *builder) declareFlows(role *iam.Role, restoreRole *iam.Role) error {
	a := b.a
	params := DefinitionParams{
		Region: a.Region, InstanceCount: a.InstanceCount, ClusterIdentifierPrefix: a.ClusterIdentifierPrefix,
		Engine: a.Engine, SecurityGroupIDs: []string{"sg-example"}, VerifyQuery: a.VerifyQuery,
		PollIntervalSeconds: a.PollIntervalSeconds, RestoreTimeoutSeconds: a.TimeoutSeconds,
		ApprovalTimeoutSeconds: a.ApprovalTimeoutSeconds, CutoverParameterName: a.CutoverParameterName,
		DatabaseLogRetentionDays: a.DatabaseLogRetentionDays,
	}
	sm, err := Definition(params)
	if err != nil {
		return fmt.Errorf("flows: %w", err)
	}
	actions, err := taskActions(sm)
	if err != nil {
		return fmt.Errorf("flows: %w", err)
	}
	cluster := b.exampleCluster()
	logGroup := b.arn("logs", "log-group:"+ClusterLogGroupName(a.ClusterIdentifierPrefix+"-"+exampleExecution, encryptedaurora.LogExports(a.Engine)[0]))
	instance := b.arn("rds", "db:"+a.ClusterIdentifierPrefix+"-"+exampleExecution+"-1")
	recoveryPoint := a.VaultArn.ToStringOutput().ApplyT(func(v string) (string, error) {
		p, err := vaultOwnerRecoveryPoints(v)
		return strings.TrimSuffix(p, "*") + exampleExecution, err
	}).(pulumi.StringOutput)
	service := pulumi.All(a.EcsClusterArn, a.EcsServiceName).ApplyT(func(v []any) (string, error) {
		return ecsServiceArn(v[0].(string), v[1].(string))
	}).(pulumi.StringOutput)
	type target struct {
		resource pulumi.StringInput
		context  map[string]pulumi.StringInput
		why      string
	}
	targets := map[string][]target{
		"lambda:InvokeFunction": {
			{resource: b.w.Functions[FunctionPick].Arn, why: "pick the recovery point"},
			{resource: b.w.Functions[FunctionVerify].Arn, why: "verify the restored cluster"},
			{resource: b.w.Functions[FunctionMetrics].Arn, why: "record the recovery objectives (RPO/RTO)"},
		},
		"logs:CreateLogGroup":       {{resource: pulumi.String(logGroup), why: "the restored cluster's log export groups, encrypted with the logs key, before RDS creates them"}},
		"logs:PutRetentionPolicy":   {{resource: pulumi.String(logGroup), why: "the workload's retention on the restored cluster's log export groups"}},
		"backup:StartRestoreJob":    {{resource: recoveryPoint, why: "restore the picked recovery point of the bunker vault"}},
		"backup:DescribeRestoreJob": {{resource: pulumi.String("*"), why: "poll the restore job (no resource-level permissions)"}},
		"rds:ModifyDBCluster":       {{resource: pulumi.String(cluster), why: "capacity and a new managed master password"}},
		"rds:CreateDBInstance":      {{resource: pulumi.String(instance), why: "instances of the restored cluster"}},
		"rds:DescribeDBInstances":   {{resource: pulumi.String(instance), why: "wait for the instances"}},
		"rds:EnableHttpEndpoint":    {{resource: pulumi.String(cluster), why: "the Data API the verification query uses"}},
		"sns:Publish":               {{resource: b.w.Topic.Arn, why: "restore, approval request, cut-over and failure notices"}},
		"ssm:PutParameter":          {{resource: pulumi.String(ParameterArn(a.Region, a.AccountID, a.CutoverParameterName)), why: "cut-over: the endpoint the application reads"}},
		"ecs:UpdateService":         {{resource: service, why: "cut-over: redeploy the application"}},
	}
	caller := "state machine " + b.name + " (Task states)"
	for _, action := range actions {
		ts, ok := targets[action]
		if !ok {
			return fmt.Errorf("flows: a Task state calls %s but no flow declares its resource; add it to declareFlows", action)
		}
		for i, t := range ts {
			part := "task-" + strings.ToLower(strings.NewReplacer(":", "-").Replace(action))
			if len(ts) > 1 {
				part = fmt.Sprintf("%s-%d", part, i+1)
			}
			if action == "sns:Publish" {
				if err := b.w.Topic.RequirePublish(b.ctx, b.w, b.name, part, role.Arn, nil, caller, t.why); err != nil {
					return err
				}
				continue
			}
			if err := flow.Require(b.ctx, b.w, b.name, part, flow.Access{
				Principal: role.Arn, Actions: []string{action}, Resource: t.resource, Context: t.context,
				Caller: caller, Reason: t.why,
			}); err != nil {
				return err
			}
		}
	}
	// Implied by the Task states: StartRestoreJob passes the restore role
	// to AWS Backup; ModifyDBCluster with ManageMasterUserPassword makes
	// RDS create the master secret, encrypted with the restore key, as the
	// caller.
	implied := []struct {
		part, why string
		actions   []string
		resource  pulumi.StringInput
		context   map[string]pulumi.StringInput
	}{
		{"pass-restore-role", "StartRestoreJob passes the restore role to AWS Backup", []string{"iam:PassRole"}, restoreRole.Arn,
			map[string]pulumi.StringInput{"iam:PassedToService": pulumi.String("backup.amazonaws.com")}},
		{"master-secret", "ModifyDBCluster with ManageMasterUserPassword: RDS creates the secret as the caller",
			[]string{"secretsmanager:CreateSecret", "secretsmanager:TagResource"},
			pulumi.String(b.arn("secretsmanager", "secret:rds!cluster-"+exampleExecution)), nil},
		{"master-secret-key", "the managed master secret is encrypted with the restore key through Secrets Manager",
			[]string{"kms:GenerateDataKey", "kms:Decrypt", "kms:DescribeKey"}, a.KeyArn,
			map[string]pulumi.StringInput{
				"kms:ViaService":    pulumi.String(fmt.Sprintf("secretsmanager.%s.amazonaws.com", a.Region)),
				"kms:CallerAccount": pulumi.String(a.AccountID),
			}},
		// The posture (posture.go): ModifyDBCluster names the TLS parameter
		// group, and AWS Backup tags the restored cluster as the caller
		// with the source tags.
		{"parameter-group", "ModifyDBCluster applies the restore account's TLS parameter group", []string{"rds:ModifyDBCluster"},
			pulumi.String(b.arn("rds", "cluster-pg:"+a.ParameterGroupName)), nil},
		{"tag-restored-cluster", "StartRestoreJob with CopySourceTagsToRestoredResource: the source tags on the restored cluster",
			[]string{"rds:AddTagsToResource"}, pulumi.String(cluster), nil},
	}
	for _, f := range implied {
		if err := flow.Require(b.ctx, b.w, b.name, f.part, flow.Access{
			Principal: role.Arn, Actions: f.actions, Resource: f.resource, Context: f.context,
			Caller: caller, Reason: f.why,
		}); err != nil {
			return err
		}
	}
	// Forbidden: the state machine role passes no role but the restore
	// role (the AWS-managed restore policy's iam:PassRole on every role is
	// what this guards against, for the restore role too).
	for _, p := range []struct {
		principal pulumi.StringInput
		part      string
	}{{role.Arn, "no-pass-other-role"}, {restoreRole.Arn, "restore-role-no-pass-other-role"}} {
		if err := flow.Forbid(b.ctx, b.w, b.name, p.part, flow.Access{
			Principal: p.principal, Actions: []string{"iam:PassRole"},
			Resource: pulumi.String(fmt.Sprintf("arn:aws:iam::%s:role/any-other-role", a.AccountID)),
			Context:  map[string]pulumi.StringInput{"iam:PassedToService": pulumi.String("backup.amazonaws.com")},
			Caller:   caller, Reason: "passing an arbitrary role would let a compromised workflow act with that role's rights",
		}); err != nil {
			return err
		}
	}
	return nil
}

// functionFlows declares the SDK calls of internal/lambda/restore made
// with the function's role: restorepick reads the shared bunker vault,
// restoreverify reads the restored cluster (and queries it through the
// Data API when a verification query is configured).
func (b *builder) functionFlows(fn string, role pulumi.StringInput) error {
	a := b.a
	caller := "internal/lambda/restore (" + fn + ")"
	recoveryPoint := a.VaultArn.ToStringOutput().ApplyT(func(v string) (string, error) {
		p, err := vaultOwnerRecoveryPoints(v)
		return strings.TrimSuffix(p, "*") + exampleExecution, err
	}).(pulumi.StringOutput)
	type access struct {
		part, why string
		actions   []string
		resource  pulumi.StringInput
	}
	var list []access
	switch fn {
	case FunctionPick:
		list = []access{
			{"list-vault", "ListRecoveryPointsByBackupVault: the latest completed recovery point", []string{"backup:ListRecoveryPointsByBackupVault"}, a.VaultArn},
			{"read-recovery-point", "DescribeRecoveryPoint and GetRecoveryPointRestoreMetadata: checks before restoring",
				[]string{"backup:DescribeRecoveryPoint", "backup:GetRecoveryPointRestoreMetadata"}, recoveryPoint},
		}
	case FunctionMetrics:
		list = []access{
			{"describe-restore-job", "DescribeRestoreJob: the restored recovery point's age and the job's times (no resource-level permissions)",
				[]string{"backup:DescribeRestoreJob"}, pulumi.String("*")},
		}
		if err := b.metricsFlows(role, caller); err != nil {
			return err
		}
	case FunctionVerify:
		list = []access{
			{"describe-cluster", "DescribeDBClusters: the restored cluster", []string{"rds:DescribeDBClusters"}, pulumi.String(b.exampleCluster())},
			{"describe-instances", "DescribeDBInstances: its instances",
				[]string{"rds:DescribeDBInstances"}, pulumi.String(b.arn("rds", "db:"+a.ClusterIdentifierPrefix+"-"+exampleExecution+"-1"))},
		}
		if a.VerifyQuery != "" {
			list = append(list, access{"health-query", "ExecuteStatement: the verification query (Data API)",
				[]string{"rds-data:ExecuteStatement"}, pulumi.String(b.exampleCluster())})
		}
	}
	for _, f := range list {
		if err := flow.Require(b.ctx, b.w, b.name, fn+"-"+f.part, flow.Access{
			Principal: role, Actions: f.actions, Resource: f.resource, Caller: caller, Reason: f.why,
		}); err != nil {
			return err
		}
	}
	return nil
}

// metricsFlows: restoremetrics puts into the recovery namespace only.
func (b *builder) metricsFlows(role pulumi.StringInput, caller string) error {
	ns := func(n string) map[string]pulumi.StringInput {
		return map[string]pulumi.StringInput{"cloudwatch:namespace": pulumi.String(n)}
	}
	if err := flow.Require(b.ctx, b.w, b.name, FunctionMetrics+"-put-metrics", flow.Access{
		Principal: role, Actions: []string{"cloudwatch:PutMetricData"}, Resource: pulumi.String("*"),
		Context: ns(contract.RecoveryMetricsNamespace), Caller: caller, Reason: "RPO/RTO datapoints the objective alarms watch",
	}); err != nil {
		return err
	}
	return flow.Forbid(b.ctx, b.w, b.name, FunctionMetrics+"-no-other-namespace", flow.Access{
		Principal: role, Actions: []string{"cloudwatch:PutMetricData"}, Resource: pulumi.String("*"),
		Context: ns("AWS/Backup"), Caller: caller, Reason: "a compromised function must not forge other metrics (alarms of other components)",
	})
}
